//! The `kafka-demo` binary: parses the command line, sets up logging, runs, and turns the
//! outcome into an exit code. Everything else lives in the library.

use clap::Parser as _;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = kafka_demo::flags::Cli::parse();
    install_tracing(cli.global.verbose);
    match kafka_demo::commands::run(cli).await {
        Ok(code) => code,
        Err(error) => {
            tracing::debug!(error = ?error, "command failed");
            eprintln!("error: {}", kafka_demo::commands::describe(&error));
            ExitCode::FAILURE
        }
    }
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
