//! The `kafka-demo` binary: parses the command line, sets up logging, runs, and turns the
//! outcome into an exit code. Everything else lives in the library.

use clap::Parser as _;
use std::process::ExitCode;
use std::time::Duration;

/// How long work left on the runtime's blocking threads may hold up the exit. Every command has
/// finished its own work (a produce run has flushed, the server has drained its sessions within
/// its own bound) before this; what can remain is a Kafka client being torn down against a broker
/// that no longer answers, which must not keep the process alive.
const EXIT_WAIT: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(why) = kafka_demo::flags::misplaced_cluster(&args) {
        eprintln!("error: {why}");
        return ExitCode::from(2);
    }
    let cli = kafka_demo::flags::Cli::parse_from(args);
    install_tracing(cli.global.verbose);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(kafka_demo::commands::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            tracing::debug!(error = ?error, "command failed");
            eprintln!("error: {}", kafka_demo::commands::describe(&error));
            ExitCode::FAILURE
        }
    };
    runtime.shutdown_timeout(EXIT_WAIT);
    code
}

fn install_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,kafka_demo=debug,bridge=debug,pipeline=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
