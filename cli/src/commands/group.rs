//! `kafka-demo group …`: list and describe consumer groups, reset their offsets.

use super::terminal::{say, NO};
use crate::flags::{GroupCommand, GroupFormat};
use pipeline::groups::{self, GroupError};
use pipeline::kafka::KafkaOpError;
use pipeline::settings::Config;
use shared::decode::instant;
use shared::groups::{GroupDescription, GroupSummary, ResetPlan, ResetTo};
use std::process::ExitCode;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(15);

pub(crate) async fn group(cmd: GroupCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let kafka = &config.kafka;
    match cmd {
        GroupCommand::List { format } => {
            let list = groups::list(kafka, TIMEOUT).await.map_err(error)?;
            match format {
                GroupFormat::Json => println!("{}", serde_json::to_string_pretty(&list)?),
                GroupFormat::Text => print!("{}", list_text(&list)),
            }
            Ok(ExitCode::SUCCESS)
        }
        GroupCommand::Describe { group, format } => {
            let described = groups::describe(kafka, &group, TIMEOUT)
                .await
                .map_err(error)?;
            match format {
                GroupFormat::Json => {
                    println!("{}", serde_json::to_string_pretty(&described.partitions)?);
                }
                GroupFormat::Text => print!("{}", describe_text(&described)),
            }
            Ok(ExitCode::SUCCESS)
        }
        GroupCommand::Reset {
            group,
            topic,
            to,
            execute,
            format,
        } => {
            let plan = match groups::reset(kafka, &group, &topic, to, execute, TIMEOUT).await {
                Ok(plan) => plan,
                Err(refused @ GroupError::Active { .. }) => {
                    say(&format!("kafka-demo: {refused}"));
                    return Ok(ExitCode::from(NO));
                }
                Err(e) => return Err(error(e)),
            };
            match format {
                GroupFormat::Json => println!("{}", serde_json::to_string_pretty(&plan)?),
                GroupFormat::Text => print!("{}", plan_text(&plan)),
            }
            if !plan.executed {
                say("dry run: nothing was committed; add --execute to commit these offsets");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn error(e: GroupError) -> anyhow::Error {
    match e {
        GroupError::Kafka(k @ KafkaOpError::Unreachable { .. }) => super::terminal::kafka_error(k),
        GroupError::NotFound { group } => anyhow::anyhow!(
            "consumer group {group} does not exist (no members, no committed offsets; kafka-demo group list shows the groups there are)"
        ),
        other => anyhow::Error::new(other),
    }
}

fn list_text(list: &[GroupSummary]) -> String {
    if list.is_empty() {
        return "no consumer groups\n".into();
    }
    let width = list.iter().map(|g| g.group.len()).max().unwrap_or(5).max(5);
    let mut out = format!(
        "{:width$}  {:<20}  {:>7}  TOPICS\n",
        "GROUP", "STATE", "MEMBERS"
    );
    for g in list {
        out.push_str(&format!(
            "{:width$}  {:<20}  {:>7}  {}\n",
            g.group,
            g.state,
            g.members,
            if g.topics.is_empty() {
                "-".to_owned()
            } else {
                g.topics.join(", ")
            }
        ));
    }
    out
}

fn or_dash(n: Option<i64>) -> String {
    n.map_or_else(|| "-".to_owned(), |n| n.to_string())
}

fn describe_text(d: &GroupDescription) -> String {
    let s = &d.summary;
    let mut out = format!(
        "group {}: {}, {} member(s), total lag {}\n",
        s.group,
        s.state,
        s.members,
        d.total_lag()
    );
    for m in &d.members {
        let assigned: Vec<String> = m
            .assigned
            .iter()
            .map(|(t, ps)| {
                let ps: Vec<String> = ps.iter().map(i32::to_string).collect();
                format!("{t}[{}]", ps.join(","))
            })
            .collect();
        out.push_str(&format!(
            "  member {} ({} at {}): {}\n",
            m.member,
            m.client_id,
            m.host,
            if assigned.is_empty() {
                "nothing assigned".to_owned()
            } else {
                assigned.join(" ")
            }
        ));
    }
    let width = d
        .partitions
        .iter()
        .map(|p| p.topic.len())
        .max()
        .unwrap_or(5)
        .max(5);
    out.push_str(&format!(
        "{:width$}  {:>9}  {:>12}  {:>12}  {:>10}\n",
        "TOPIC", "PARTITION", "COMMITTED", "END", "LAG"
    ));
    for p in &d.partitions {
        out.push_str(&format!(
            "{:width$}  {:>9}  {:>12}  {:>12}  {:>10}\n",
            p.topic,
            p.partition,
            or_dash(p.committed),
            p.end,
            or_dash(p.lag)
        ));
    }
    out
}

fn target_words(to: ResetTo) -> String {
    match to {
        ResetTo::Earliest => "the earliest offsets".into(),
        ResetTo::Latest => "the latest offsets".into(),
        ResetTo::Time(ms) => format!("the first records at or after {}", instant(ms, 1000, "Z")),
        ResetTo::Offset(n) => format!("offset {n}"),
    }
}

fn plan_text(plan: &ResetPlan) -> String {
    let mut out = format!(
        "{} group {} on {} to {}\n",
        if plan.executed {
            "reset"
        } else {
            "plan: reset"
        },
        plan.group,
        plan.topic,
        target_words(plan.to)
    );
    out.push_str(&format!(
        "{:>9}  {:>12}  {:>12}  {:>12}  NOTE\n",
        "PARTITION", "CURRENT", "NEW", "CHANGE"
    ));
    for r in &plan.rows {
        out.push_str(&format!(
            "{:>9}  {:>12}  {:>12}  {:>+12}  {}\n",
            r.partition,
            or_dash(r.current),
            r.target,
            -r.change(),
            r.note.as_deref().unwrap_or("")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::groups::{GroupPartition, ResetRow};

    #[test]
    fn a_description_shows_missing_commits_as_dashes() {
        let d = GroupDescription {
            summary: GroupSummary {
                group: "g".into(),
                state: "Empty".into(),
                members: 0,
                protocol_type: "consumer".into(),
                topics: vec!["t".into()],
            },
            members: vec![],
            partitions: vec![
                GroupPartition::new("t".into(), 0, Some(5), 9),
                GroupPartition::new("t".into(), 1, None, 3),
            ],
        };
        let text = describe_text(&d);
        assert!(text.contains("total lag 4"), "{text}");
        let last = text.lines().last().unwrap_or_default();
        assert_eq!(
            last.split_whitespace().collect::<Vec<_>>(),
            ["t", "1", "-", "3", "-"]
        );
    }

    #[test]
    fn a_plan_says_it_is_a_plan_until_executed() {
        let mut plan = ResetPlan {
            group: "g".into(),
            topic: "t".into(),
            to: ResetTo::Earliest,
            rows: vec![ResetRow {
                partition: 0,
                current: Some(10),
                target: 0,
                start: 0,
                end: 10,
                note: None,
            }],
            executed: false,
        };
        assert!(plan_text(&plan).starts_with("plan: reset group g on t"));
        plan.executed = true;
        let text = plan_text(&plan);
        assert!(text.starts_with("reset group g"), "{text}");
        assert!(text.contains("-10"), "{text}");
    }
}
