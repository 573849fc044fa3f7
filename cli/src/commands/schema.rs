//! `kafka-demo schema …`: validate, register and check Avro schemas (seed step 1).

use super::terminal::{registry_error, NO};
use crate::flags::SchemaCommand;
use anyhow::{bail, Context as _};
use pipeline::registry;
use pipeline::settings::Config;
use shared::schema::{self, SchemaProblem};
use shared::{Subject, Topic};
use std::path::Path;
use std::process::ExitCode;

pub(crate) async fn schema_cmd(cmd: SchemaCommand, config: &Config) -> anyhow::Result<ExitCode> {
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
        SchemaCommand::Register {
            file,
            topic,
            references,
        } => {
            let client = registry::Client::new(&config.registry)?;
            let (text, subject) = if references.is_empty() {
                prepare(&file, &topic)?
            } else {
                // The schema is checked with the types its references define written out.
                let text = read_schema_file(&file)?;
                let used = client
                    .referenced_texts(&references)
                    .await
                    .map_err(registry_error)?;
                let whole = shared::references::inline(&text, &used)
                    .map_err(|e| anyhow::anyhow!("{} with its references: {e}", file.display()))?;
                if let Err(problem) = schema::validate(&whole) {
                    bail!("{}", explain_problem(file.as_path(), &whole, &problem));
                }
                (text, Topic::new(topic)?.value_subject())
            };
            let registered = client
                .register_with(&subject, &text, &references)
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
        SchemaProblem::Avro { .. } | SchemaProblem::TooLarge { .. } => {
            format!("{}: {problem}", file.display())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
