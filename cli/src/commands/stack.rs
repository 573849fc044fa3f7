//! `kafka-demo stack …`: the local stack's services, started, stopped, reset and shown.

use super::terminal::{confirm, say, NO, NOT_RUNNING};
use crate::flags::{ServiceName, StackCommand};
use pipeline::settings::Config;
use pipeline::stack::cluster::{Cluster, Node, KAFKA_NODES, PROFILE_NAME};
use pipeline::stack::{Service, Stack};
use std::process::ExitCode;
use std::time::Duration;

/// Runs a stack command; `profile` is the cluster profile in use, which `status` names.
pub(crate) async fn stack(
    cmd: StackCommand,
    config: &Config,
    profile: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let stack = Stack::new(config.stack.clone());
    match cmd {
        StackCommand::Up { timeout } => {
            let started = stack.up(Duration::from_secs(timeout), &say).await?;
            for s in started {
                let address = stack.address(s.service);
                up_line(
                    SERVICE_COLUMNS,
                    s.service.name(),
                    &address,
                    s.started,
                    s.ready_after,
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        StackCommand::Down => {
            let killed = stack.down(&say).await;
            say_killed(killed.iter().map(|s| s.name().to_owned()));
            say("stack stopped");
            Ok(ExitCode::SUCCESS)
        }
        StackCommand::Status => {
            if let Some(name) = profile {
                say(&super::terminal::profile_line(name, config));
            }
            let statuses = stack.status().await;
            let all_up = statuses.iter().all(|s| s.ready);
            for s in statuses {
                let seen = (s.pid, s.problem.as_deref());
                status_line(SERVICE_COLUMNS, s.service.name(), &s.address, seen);
            }
            Ok(all_up_or_not_running(all_up))
        }
        StackCommand::Logs { service, lines } => {
            let chosen: Vec<Service> = match service {
                Some(name) => vec![service_of(name)],
                None => Service::ALL.to_vec(),
            };
            for service in chosen {
                print_log(service.name(), &stack.log_file(service), lines);
            }
            Ok(ExitCode::SUCCESS)
        }
        StackCommand::Reset { yes } => {
            let what = "all topics, schemas and logs";
            if !yes && !confirm_delete(what, &config.stack.data_dir)? {
                return Ok(ExitCode::from(NO));
            }
            stack.reset(&say).await?;
            say("stack state deleted; downloads kept");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn service_of(name: ServiceName) -> Service {
    match name {
        ServiceName::Kafka => Service::Kafka,
        ServiceName::Registry => Service::Registry,
        ServiceName::Spark => Service::Spark,
    }
}

/// `kafka-demo stack … --cluster`: the same commands for the local cluster's nodes.
pub(crate) async fn cluster(
    cmd: StackCommand,
    name: &str,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    if name != PROFILE_NAME {
        anyhow::bail!(
            "`stack` commands manage the local cluster (--cluster {PROFILE_NAME}) or, without \
             --cluster, the single-node stack; {name:?} is a profile of a cluster kafka-demo \
             does not run"
        );
    }
    let cluster = Cluster::new(config.cluster.clone());
    match cmd {
        StackCommand::Up { timeout } => {
            let started = cluster.up(Duration::from_secs(timeout), &say).await?;
            for s in started {
                let address = cluster.address(s.node);
                up_line(
                    NODE_COLUMNS,
                    &s.node.name(),
                    &address,
                    s.started,
                    s.ready_after,
                );
            }
            say(&format!(
                "connection profile: {} (use it with --cluster {PROFILE_NAME})",
                cluster.profile_file().display()
            ));
            Ok(ExitCode::SUCCESS)
        }
        StackCommand::Down => {
            say_killed(cluster.down(&say).await.iter().map(|n| n.name()));
            say("local cluster stopped");
            Ok(ExitCode::SUCCESS)
        }
        StackCommand::Status => {
            let statuses = cluster.status().await;
            let all_up = statuses.iter().all(|s| s.ready);
            for s in statuses {
                let seen = (s.pid, s.problem.as_deref());
                status_line(NODE_COLUMNS, &s.node.name(), &s.address, seen);
            }
            Ok(all_up_or_not_running(all_up))
        }
        StackCommand::Logs { service, lines } => {
            let chosen: Vec<Node> = match service {
                Some(ServiceName::Kafka) => (1..=KAFKA_NODES).map(Node::Kafka).collect(),
                Some(ServiceName::Registry) => vec![Node::Registry],
                Some(ServiceName::Spark) => Node::all()
                    .into_iter()
                    .filter(|n| n.name().starts_with("spark"))
                    .collect(),
                None => Node::all(),
            };
            for node in chosen {
                print_log(&node.name(), &cluster.log_file(node), lines);
            }
            Ok(ExitCode::SUCCESS)
        }
        StackCommand::Reset { yes } => {
            let what = "the local cluster's topics, schemas, certificates and secrets";
            if !yes && !confirm_delete(what, cluster.data_dir())? {
                return Ok(ExitCode::from(NO));
            }
            cluster.reset(&say).await?;
            say("local cluster deleted; downloads kept");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Widths of the name and address columns: the stack's services, the cluster's nodes.
const SERVICE_COLUMNS: (usize, usize) = (9, 42);
const NODE_COLUMNS: (usize, usize) = (15, 62);

/// One line of `up`: a process, where it is reached, and whether `up` started it.
fn up_line(
    (name_width, address_width): (usize, usize),
    name: &str,
    address: &str,
    started: bool,
    ready_after: Duration,
) {
    let how = match started {
        true => format!("started, ready after {ready_after:.1?}"),
        false => "already running".into(),
    };
    println!("{name:<name_width$} up    {address:<address_width$} {how}");
}

/// One line of `status`: a process is up when it answered; `seen` is its pid (when one of ours
/// runs) and why it did not answer.
fn status_line(
    (name_width, address_width): (usize, usize),
    name: &str,
    address: &str,
    seen: (Option<u32>, Option<&str>),
) {
    let state = if seen.1.is_none() { "up" } else { "down" };
    let detail = match seen {
        (Some(pid), None) => format!("pid {pid}"),
        (None, None) => "not started by kafka-demo".into(),
        (Some(pid), Some(problem)) => format!("pid {pid}, not answering: {problem}"),
        (None, Some(_)) => "not running".into(),
    };
    println!("{name:<name_width$} {state:<5} {address:<address_width$} {detail}");
}

fn all_up_or_not_running(all_up: bool) -> ExitCode {
    match all_up {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(NOT_RUNNING),
    }
}

fn say_killed(names: impl Iterator<Item = String>) {
    for name in names {
        say(&format!(
            "{name} did not stop within its grace period and was killed"
        ));
    }
}

fn print_log(name: &str, log: &std::path::Path, lines: usize) {
    println!("==> {name} ({}) <==", log.display());
    println!("{}", pipeline::stack::process::tail(log, lines));
}

/// Asks before deleting `what` under `dir`; says so when nothing is deleted.
fn confirm_delete(what: &str, dir: &std::path::Path) -> anyhow::Result<bool> {
    let yes = confirm(&format!("Delete {what} under {}?", dir.display()))?;
    if !yes {
        say("nothing deleted");
    }
    Ok(yes)
}
