//! `kafka-demo topic …`: create and list Kafka topics.

use crate::flags::TopicCommand;
use anyhow::bail;
use pipeline::settings::Config;
use shared::Topic;
use std::process::ExitCode;
use std::time::Duration;

pub(crate) async fn topic(cmd: TopicCommand, config: &Config) -> anyhow::Result<ExitCode> {
    let timeout = Duration::from_secs(15);
    match cmd {
        TopicCommand::Create {
            name,
            partitions,
            replication_factor,
        } => {
            let topic = Topic::new(name)?;
            if partitions < 1 {
                bail!("a topic needs at least 1 partition");
            }
            let created = pipeline::kafka::ensure_topic(
                &config.kafka,
                &topic,
                partitions,
                replication_factor.unwrap_or(pipeline::kafka::BROKER_DEFAULT),
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
                println!(
                    "{}  partitions={} replicas={}",
                    t.name, t.partitions, t.replicas
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
