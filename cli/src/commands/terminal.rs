//! What the command line shares when it talks to people: exit codes, one-line errors, the
//! signals that stop a command, and the words for registry and Kafka failures.

use anyhow::bail;
use pipeline::registry::RegistryError;
use std::io::{BufRead as _, IsTerminal as _, Write as _};

/// Exit code for "ran fine, but the answer is no" (invalid schema, incompatible, stack down).
pub(crate) const NO: u8 = 1;
/// Exit code of `stack status` when a service is down (as `systemctl status` does).
pub(crate) const NOT_RUNNING: u8 = 3;
/// Exit code of a bounded `produce` stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub(crate) const INTERRUPTED: u8 = 130;

/// Ctrl-C or SIGTERM.
pub(crate) async fn wait_for_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// The error and its causes on one line, each cause once: many library errors already quote
/// their cause in their own message, so a cause whose text is already there is not repeated.
pub fn describe(error: &anyhow::Error) -> String {
    pipeline::error::describe(error.as_ref())
}

/// A line for the person at the terminal (on stderr, so stdout stays the command's output).
pub fn say(line: &str) {
    eprintln!("{line}");
}

/// Asks on the terminal; refuses when there is none to ask on.
pub(crate) fn confirm(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("refusing to delete without confirmation: run again with --yes");
    }
    eprint!("{question} Type 'yes' to confirm: ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim().eq_ignore_ascii_case("yes"))
}

pub(crate) fn registry_error(error: RegistryError) -> anyhow::Error {
    let hint = match &error {
        RegistryError::Unreachable { .. } => " (is the stack up? start it with `kafka-demo stack up`, or point --registry-url at your registry)",
        _ => "",
    };
    anyhow::anyhow!("{error}{hint}")
}

pub(crate) fn kafka_error(error: pipeline::kafka::KafkaOpError) -> anyhow::Error {
    let hint = match &error {
        pipeline::kafka::KafkaOpError::Unreachable { .. } => " (is the stack up? start it with `kafka-demo stack up`, or point --bootstrap-servers at your brokers)",
        _ => "",
    };
    anyhow::anyhow!("{error}{hint}")
}

/// The line naming the cluster profile in use and where it points.
pub(crate) fn profile_line(name: &str, config: &pipeline::settings::Config) -> String {
    format!(
        "cluster profile {name}: Kafka {}, registry {}, Spark Connect {}",
        config.kafka.bootstrap_servers,
        pipeline::health::shown_url(&config.registry.url),
        config.spark.url
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_told_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let quoted = anyhow::Error::new(pipeline::stack::StackError::Io {
            action: "create",
            path: "/x".into(),
            source: io,
        });
        assert_eq!(describe(&quoted), "could not create /x: No such file");
        let wrapped = anyhow::anyhow!("No such file").context("cannot read a.avsc");
        assert_eq!(describe(&wrapped), "cannot read a.avsc: No such file");
    }
}
