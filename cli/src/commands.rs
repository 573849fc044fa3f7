//! The `kafka-demo` command line: runs a parsed [`Cli`] and prints for people. Library errors
//! arrive here and are turned into one plain message and an exit code.

use crate::flags::{Cli, Command, SchemaCommand, ServiceName, StackCommand, TopicCommand};
use anyhow::{bail, Context as _};
use pipeline::registry::{self, RegistryError};
use pipeline::settings::Config;
use pipeline::stack::{Service, Stack};
use shared::schema::{self, SchemaProblem};
use shared::{Subject, Topic};
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

pub mod batch;
mod consume;
pub mod produce;
pub mod stream;

/// Exit code for "ran fine, but the answer is no" (invalid schema, incompatible, stack down).
const NO: u8 = 1;
/// Exit code of `stack status` when a service is down (as `systemctl status` does).
const NOT_RUNNING: u8 = 3;
/// Exit code of a bounded `produce` stopped by Ctrl-C (128 + SIGINT, as shells report it).
const INTERRUPTED: u8 = 130;

/// Runs one command line.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.global.config_from_env()?;
    match cli.command {
        Command::Stack(cmd) => stack(cmd, &config).await,
        Command::Schema(cmd) => schema_cmd(cmd, &config).await,
        Command::Topic(cmd) => topic(cmd, &config).await,
        Command::Serve(args) => serve(args, config).await,
        Command::Produce(args) => produce::produce(&args, &config).await,
        Command::Consume(args) => consume::consume(&args, &config).await,
        Command::Batch(args) => batch::batch(&args, &config).await,
        Command::Stream(args) => stream::stream(&args, &config).await,
    }
}

async fn serve(args: crate::flags::ServeArgs, config: Config) -> anyhow::Result<ExitCode> {
    let shutdown = tokio_util::sync::CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        stop.cancel();
    });
    let serve = args.into_config();
    // The instructor's link goes to the terminal of whoever started the bridge, like the
    // token's: a made key is known no other way, a given one saves typing the link.
    let instructor_key = serve
        .instructor_key
        .as_ref()
        .map(|key| key.as_str().to_owned());
    bridge::serve(config, serve, shutdown, |url| {
        println!("kafka-demo playground: {url}");
        if let Some(key) = &instructor_key {
            println!("instructor view: {url}#instructor={key}");
        }
        say("press Ctrl-C to stop");
    })
    .await?;
    say("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM.
async fn wait_for_signal() {
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

async fn stack(cmd: StackCommand, config: &Config) -> anyhow::Result<ExitCode> {
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

/// Asks on the terminal; refuses when there is none to ask on.
fn confirm(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("refusing to delete without confirmation: run again with --yes");
    }
    eprint!("{question} Type 'yes' to confirm: ");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim().eq_ignore_ascii_case("yes"))
}

async fn schema_cmd(cmd: SchemaCommand, config: &Config) -> anyhow::Result<ExitCode> {
    match cmd {
        SchemaCommand::Validate { file } => {
            let text = read_schema_file(&file)?;
            match schema::validate(&text) {
                Ok(d) => {
                    println!(
                        "{}: valid Avro schema {} ({} fields)",
                        file.display(),
                        d.name,
                        d.fields
                    );
                    println!("fingerprint (CRC-64-AVRO): {}", d.fingerprint);
                    println!("canonical form: {}", d.canonical);
                    Ok(ExitCode::SUCCESS)
                }
                Err(problem) => {
                    eprintln!("{}", explain_problem(&file, &text, &problem));
                    Ok(ExitCode::from(NO))
                }
            }
        }
        SchemaCommand::Register { file, topic } => {
            let (text, subject) = prepare(&file, &topic)?;
            let client = registry::Client::new(&config.registry)?;
            let registered = client
                .register(&subject, &text)
                .await
                .map_err(registry_error)?;
            println!(
                "subject={} version={} id={}",
                registered.subject, registered.version, registered.id
            );
            Ok(ExitCode::SUCCESS)
        }
        SchemaCommand::Check { file, topic } => check(&file, &topic, config).await,
        SchemaCommand::Compat { set, topic } => {
            let client = registry::Client::new(&config.registry)?;
            let subject = topic
                .as_deref()
                .map(|t| Topic::new(t).map(|t| t.value_subject()))
                .transpose()?;
            let level = match set {
                Some(level) => {
                    client
                        .set_compatibility(subject.as_ref(), level.as_str())
                        .await
                }
                None => client.compatibility(subject.as_ref()).await,
            }
            .map_err(registry_error)?;
            match subject {
                Some(subject) => println!("{subject}: {level}"),
                None => println!("global: {level}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        SchemaCommand::List => {
            let client = registry::Client::new(&config.registry)?;
            let subjects = client.subjects().await.map_err(registry_error)?;
            if subjects.is_empty() {
                println!("no subjects registered at {}", client.url());
            }
            for subject in subjects {
                let versions = client.versions(&subject).await.map_err(registry_error)?;
                let latest = client
                    .version(&subject, "latest")
                    .await
                    .map_err(registry_error)?;
                let list: Vec<String> = versions.iter().map(u32::to_string).collect();
                println!(
                    "{subject}  versions={}  latest: version={} id={}",
                    list.join(","),
                    latest.version,
                    latest.id
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Reads and validates a schema file and works out the subject of `topic`.
fn prepare(file: &Path, topic: &str) -> anyhow::Result<(String, Subject)> {
    let text = read_schema_file(file)?;
    if let Err(problem) = schema::validate(&text) {
        bail!("{}", explain_problem(file, &text, &problem));
    }
    let topic = Topic::new(topic)?;
    Ok((text, topic.value_subject()))
}

async fn check(file: &Path, topic: &str, config: &Config) -> anyhow::Result<ExitCode> {
    let (text, _) = prepare(file, topic)?;
    let topic = Topic::new(topic)?;
    let client = registry::Client::new(&config.registry)?;
    let report = match pipeline::schema_step::check(&client, &topic, &text).await {
        Ok(report) => report,
        Err(pipeline::schema_step::StepError::Registry(e)) => return Err(registry_error(e)),
        Err(e) => return Err(e.into()),
    };
    let (subject, level) = (&report.subject, &report.level);
    let Some(version) = report.against_version else {
        println!(
            "{subject} has no versions yet: {} can be registered as its first",
            file.display()
        );
        return Ok(ExitCode::SUCCESS);
    };
    if report.compatible {
        println!(
            "compatible: {} can follow {subject} version {version} (level {level})",
            file.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "incompatible: {} cannot follow {subject} version {version} (level {level})",
        file.display()
    );
    for reason in &report.reasons {
        println!("  - {reason}");
    }
    Ok(ExitCode::from(NO))
}

fn registry_error(error: RegistryError) -> anyhow::Error {
    let hint = match &error {
        RegistryError::Unreachable { .. } => " (is the stack up? start it with `kafka-demo stack up`, or point --registry-url at your registry)",
        _ => "",
    };
    anyhow::anyhow!("{error}{hint}")
}

fn kafka_error(error: pipeline::kafka::KafkaOpError) -> anyhow::Error {
    let hint = match &error {
        pipeline::kafka::KafkaOpError::Unreachable { .. } => " (is the stack up? start it with `kafka-demo stack up`, or point --bootstrap-servers at your brokers)",
        _ => "",
    };
    anyhow::anyhow!("{error}{hint}")
}

fn read_schema_file(file: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

/// A compiler-style report: `file:line:column: problem`, the line itself and a caret.
fn explain_problem(file: &Path, text: &str, problem: &SchemaProblem) -> String {
    match problem {
        SchemaProblem::Json {
            line,
            column,
            message,
        } => {
            let source = text.lines().nth(line.saturating_sub(1)).unwrap_or_default();
            let caret = " ".repeat(column.saturating_sub(1));
            format!(
                "{}:{line}:{column}: invalid JSON: {message}\n{source}\n{caret}^",
                file.display()
            )
        }
        SchemaProblem::Avro { .. } => format!("{}: {problem}", file.display()),
    }
}

async fn topic(cmd: TopicCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let timeout = Duration::from_secs(15);
    match cmd {
        TopicCommand::Create {
            name,
            partitions,
            replication_factor,
        } => {
            let topic = Topic::new(name)?;
            if partitions < 1 || replication_factor < 1 {
                bail!("partitions and replication factor must be at least 1");
            }
            let created = pipeline::kafka::ensure_topic(
                &config.kafka,
                &topic,
                partitions,
                replication_factor,
                timeout,
            )
            .await?;
            println!(
                "{topic}: {}",
                if created { "created" } else { "already exists" }
            );
            Ok(ExitCode::SUCCESS)
        }
        TopicCommand::List => {
            for t in pipeline::kafka::list_topics(&config.kafka, timeout).await? {
                println!("{}  partitions={}", t.name, t.partitions);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
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

    #[test]
    fn json_problems_show_the_line_and_a_caret() {
        let problem = SchemaProblem::Json {
            line: 2,
            column: 3,
            message: "trailing comma".into(),
        };
        let text = explain_problem(Path::new("s.avsc"), "{\n  ],\n}", &problem);
        assert_eq!(text, "s.avsc:2:3: invalid JSON: trailing comma\n  ],\n  ^");
    }
}
