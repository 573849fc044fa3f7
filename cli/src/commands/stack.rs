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
                let how = if s.started {
                    format!("started, ready after {:.1?}", s.ready_after)
                } else {
                    "already running".into()
                };
                println!(
                    "{:<9} up    {:<42} {how}",
                    s.service.name(),
                    stack.address(s.service)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        StackCommand::Down => {
            let killed = stack.down(&say).await;
            for service in &killed {
                say(&format!(
                    "{} did not stop within its grace period and was killed",
                    service.name()
                ));
            }
            say("stack stopped");
            Ok(ExitCode::SUCCESS)
        }
        StackCommand::Status => {
            if let Some(name) = profile {
                say(&super::profile_line(name, config));
            }
            let statuses = stack.status().await;
            let all_up = statuses.iter().all(|s| s.ready);
            for s in statuses {
                let state = if s.ready { "up" } else { "down" };
                let detail = match (&s.pid, &s.problem) {
                    (Some(pid), None) => format!("pid {pid}"),
                    (None, None) => "not started by kafka-demo".into(),
                    (Some(pid), Some(problem)) => format!("pid {pid}, not answering: {problem}"),
                    (None, Some(_)) => "not running".into(),
                };
                println!(
                    "{:<9} {state:<5} {:<42} {detail}",
                    s.service.name(),
                    s.address
                );
            }
            Ok(if all_up {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(NOT_RUNNING)
            })
        }
        StackCommand::Logs { service, lines } => {
            let chosen: Vec<Service> = match service {
                Some(name) => vec![service_of(name)],
                None => Service::ALL.to_vec(),
            };
            for service in chosen {
                let log = stack.log_file(service);
                println!("==> {} ({}) <==", service.name(), log.display());
                println!("{}", pipeline::stack::process::tail(&log, lines));
            }
            Ok(ExitCode::SUCCESS)
        }
        StackCommand::Reset { yes } => {
            if !yes
                && !confirm(&format!(
                    "Delete all topics, schemas and logs under {}?",
                    config.stack.data_dir.display()
                ))?
            {
                say("nothing deleted");
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
                let how = if s.started {
                    format!("started, ready after {:.1?}", s.ready_after)
                } else {
                    "already running".into()
                };
                println!(
                    "{:<15} up    {:<62} {how}",
                    s.node.name(),
                    cluster.address(s.node)
                );
            }
            say(&format!(
                "connection profile: {} (use it with --cluster {PROFILE_NAME})",
                cluster.profile_file().display()
            ));
            Ok(ExitCode::SUCCESS)
        }
        StackCommand::Down => {
            for node in cluster.down(&say).await {
                say(&format!(
                    "{} did not stop within its grace period and was killed",
                    node.name()
                ));
            }
            say("local cluster stopped");
            Ok(ExitCode::SUCCESS)
        }
        StackCommand::Status => {
            let statuses = cluster.status().await;
            let all_up = statuses.iter().all(|s| s.ready);
            for s in statuses {
                let state = if s.ready { "up" } else { "down" };
                let detail = match (&s.pid, &s.problem) {
                    (Some(pid), None) => format!("pid {pid}"),
                    (Some(pid), Some(problem)) => format!("pid {pid}, not answering: {problem}"),
                    (None, _) => "not running".into(),
                };
                println!(
                    "{:<15} {state:<5} {:<62} {detail}",
                    s.node.name(),
                    s.address
                );
            }
            Ok(if all_up {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(NOT_RUNNING)
            })
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
                let log = cluster.log_file(node);
                println!("==> {} ({}) <==", node.name(), log.display());
                println!("{}", pipeline::stack::process::tail(&log, lines));
            }
            Ok(ExitCode::SUCCESS)
        }
        StackCommand::Reset { yes } => {
            if !yes
                && !confirm(&format!(
                "Delete the local cluster's topics, schemas, certificates and secrets under {}?",
                cluster.data_dir().display()
            ))? {
                say("nothing deleted");
                return Ok(ExitCode::from(NO));
            }
            cluster.reset(&say).await?;
            say("local cluster deleted; downloads kept");
            Ok(ExitCode::SUCCESS)
        }
    }
}
