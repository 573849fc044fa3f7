//! Consumer groups: list them, describe one (committed offset, end and lag per partition), and
//! move a group's committed offsets on a topic (dry run first; refused while members are
//! joined).
//!
//! A group is looked at through a consumer created with its id that never subscribes: it asks
//! the coordinator for the committed offsets and commits new ones outside any generation, which
//! the coordinator accepts only while the group has no members. librdkafka's calls block, so
//! each runs on the blocking pool.

mod assignment;
mod plan;

pub use plan::target_offset;

use crate::kafka::{client_config_with, KafkaOpError};
use crate::settings::KafkaConfig;
use futures_util::stream::{self, StreamExt as _};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::groups::GroupInfo;
use rdkafka::{Offset, TopicPartitionList};
use shared::groups::{
    group_problem, GroupDescription, GroupMember, GroupPartition, GroupSummary, ResetPlan,
    ResetRow, ResetTo,
};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// How many groups are looked into at once when listing.
const LIST_CONCURRENCY: usize = 8;

/// What went wrong with a consumer group.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    /// Talking to Kafka failed.
    #[error(transparent)]
    Kafka(#[from] KafkaOpError),
    /// The group id cannot be used.
    #[error("{0}")]
    BadName(String),
    /// No such group: no members and no committed offsets.
    #[error("consumer group {group} does not exist (no members, no committed offsets)")]
    NotFound {
        /// The group.
        group: String,
    },
    /// The topic to reset does not exist.
    #[error("topic {topic} does not exist")]
    UnknownTopic {
        /// The topic.
        topic: String,
    },
    /// A reset of a group whose members are reading.
    #[error("consumer group {group} has {members} active member(s) ({clients}); stop them before resetting its offsets, or they would overwrite the new ones with their next commit")]
    Active {
        /// The group.
        group: String,
        /// How many members.
        members: usize,
        /// Their client ids.
        clients: String,
    },
    /// An offset cannot be asked for.
    #[error("{0}")]
    BadTarget(String),
    /// The coordinator refused the new offsets.
    #[error("could not commit the new offsets of group {group}: {reason}")]
    Commit {
        /// The group.
        group: String,
        /// librdkafka's reason.
        reason: KafkaError,
    },
    /// Reading the offsets back found something else.
    #[error("group {group} partition {partition}: committed {expected} but reads back {found:?}")]
    NotApplied {
        /// The group.
        group: String,
        /// The partition.
        partition: i32,
        /// What was committed.
        expected: i64,
        /// What the coordinator answers now.
        found: Option<i64>,
    },
    /// A Kafka call failed.
    #[error("Kafka refused to {action}: {reason}")]
    Call {
        /// What was asked.
        action: &'static str,
        /// librdkafka's reason.
        reason: KafkaError,
    },
}

/// Every consumer group of the cluster with its state, members and topics, sorted by id.
pub async fn list(kafka: &KafkaConfig, timeout: Duration) -> Result<Vec<GroupSummary>, GroupError> {
    let config = kafka.clone();
    let (infos, topics) = blocking(move || {
        let consumer = looker(&config, "kafka-demo-groups")?;
        let infos = group_infos(&consumer, None, timeout)?;
        let topics = topic_partitions(&consumer, timeout)?;
        Ok((infos, topics))
    })
    .await?;
    let looked: Vec<Result<GroupSummary, GroupError>> = stream::iter(infos)
        .map(|info| {
            let kafka = kafka.clone();
            let topics = topics.clone();
            blocking(move || {
                let consumer = looker(&kafka, &info.group)?;
                let committed = committed(&consumer, &topics, timeout)?;
                Ok(info.summary(committed.keys().map(|(t, _)| t.clone())))
            })
        })
        .buffer_unordered(LIST_CONCURRENCY)
        .collect()
        .await;
    let mut groups = looked.into_iter().collect::<Result<Vec<_>, _>>()?;
    groups.sort_by(|a, b| a.group.cmp(&b.group));
    Ok(groups)
}

/// `group`'s members and, for every partition it has a committed offset on or a member reading
/// it, the committed offset, the end and the lag. The ends of all partitions are asked for in one
/// request per broker.
pub async fn describe(
    kafka: &KafkaConfig,
    group: &str,
    timeout: Duration,
) -> Result<GroupDescription, GroupError> {
    check_name(group)?;
    let config = kafka.clone();
    let group = group.to_owned();
    blocking(move || {
        let consumer = looker(&config, &group)?;
        let info = group_infos(&consumer, Some(&group), timeout)?
            .into_iter()
            .find(|g| g.group == group)
            .unwrap_or_else(|| Info::dead(&group));
        let topics = topic_partitions(&consumer, timeout)?;
        let committed = committed(&consumer, &topics, timeout)?;
        let mut rows: BTreeSet<(String, i32)> = committed.keys().cloned().collect();
        for member in &info.members {
            for (topic, partitions) in &member.assigned {
                rows.extend(partitions.iter().map(|p| (topic.clone(), *p)));
            }
        }
        if rows.is_empty() && info.members.is_empty() {
            return Err(GroupError::NotFound { group });
        }
        let ends = ends(&consumer, &rows, timeout)?;
        let partitions = rows
            .into_iter()
            .map(|(topic, partition)| {
                let key = (topic, partition);
                let end = ends.get(&key).copied().unwrap_or(0);
                let committed = committed.get(&key).copied();
                GroupPartition::new(key.0, key.1, committed, end)
            })
            .collect();
        let summary = info.summary(committed.keys().map(|(t, _)| t.clone()));
        Ok(GroupDescription {
            summary,
            members: info.members,
            partitions,
        })
    })
    .await
}

/// Resets `group` on `topic` to `to`: the plan, committed and read back when `execute` is set
/// (see [`plan_reset`] and [`execute_reset`]).
pub async fn reset(
    kafka: &KafkaConfig,
    group: &str,
    topic: &str,
    to: ResetTo,
    execute: bool,
    timeout: Duration,
) -> Result<ResetPlan, GroupError> {
    let plan = plan_reset(kafka, group, topic, to, timeout).await?;
    if execute {
        execute_reset(kafka, plan, timeout).await
    } else {
        Ok(plan)
    }
}

/// What resetting `group` on `topic` to `to` would commit, partition by partition. Refused
/// while the group has members.
pub async fn plan_reset(
    kafka: &KafkaConfig,
    group: &str,
    topic: &str,
    to: ResetTo,
    timeout: Duration,
) -> Result<ResetPlan, GroupError> {
    check_name(group)?;
    if let ResetTo::Offset(n) = to {
        if n < 0 {
            return Err(GroupError::BadTarget(format!(
                "an offset must be 0 or more, not {n}"
            )));
        }
    }
    let config = kafka.clone();
    let group = group.to_owned();
    let topic = topic.to_owned();
    blocking(move || {
        let consumer = looker(&config, &group)?;
        refuse_active(&consumer, &group, timeout)?;
        let all = topic_partitions(&consumer, timeout)?;
        let partitions = all
            .get(&topic)
            .filter(|p| !p.is_empty())
            .cloned()
            .ok_or_else(|| GroupError::UnknownTopic {
                topic: topic.clone(),
            })?;
        let only = BTreeMap::from([(topic.clone(), partitions.clone())]);
        let current = committed(&consumer, &only, timeout)?;
        let mut marks = BTreeMap::new();
        for &p in &partitions {
            let (low, high) = consumer
                .fetch_watermarks(&topic, p, timeout)
                .map_err(|reason| call("read a partition's offsets", reason))?;
            marks.insert(p, (low, high));
        }
        let by_time = match to {
            ResetTo::Time(ms) => offsets_at(&consumer, &topic, &partitions, ms, timeout)?,
            _ => BTreeMap::new(),
        };
        let rows = partitions
            .iter()
            .map(|&p| {
                let (start, end) = marks.get(&p).copied().unwrap_or((0, 0));
                let (target, note) = target_offset(to, start, end, by_time.get(&p).copied());
                ResetRow {
                    partition: p,
                    current: current.get(&(topic.clone(), p)).copied(),
                    target,
                    start,
                    end,
                    note,
                }
            })
            .collect();
        Ok(ResetPlan {
            group,
            topic,
            to,
            rows,
            executed: false,
        })
    })
    .await
}

/// Commits `plan`'s offsets for its group, then reads them back from the coordinator; the plan
/// comes back marked executed only when every partition reads back as committed. Refused while
/// the group has members (checked again: one may have joined since the plan was made).
pub async fn execute_reset(
    kafka: &KafkaConfig,
    mut plan: ResetPlan,
    timeout: Duration,
) -> Result<ResetPlan, GroupError> {
    check_name(&plan.group)?;
    let config = kafka.clone();
    blocking(move || {
        let consumer = looker(&config, &plan.group)?;
        refuse_active(&consumer, &plan.group, timeout)?;
        let mut list = TopicPartitionList::new();
        for row in &plan.rows {
            list.add_partition_offset(&plan.topic, row.partition, Offset::Offset(row.target))
                .map_err(|reason| call("list the partitions", reason))?;
        }
        consumer
            .commit(&list, CommitMode::Sync)
            .map_err(|reason| GroupError::Commit {
                group: plan.group.clone(),
                reason,
            })?;
        let partitions = plan.rows.iter().map(|r| r.partition).collect();
        let only = BTreeMap::from([(plan.topic.clone(), partitions)]);
        let now = committed(&consumer, &only, timeout)?;
        for row in &plan.rows {
            let found = now.get(&(plan.topic.clone(), row.partition)).copied();
            if found != Some(row.target) {
                return Err(GroupError::NotApplied {
                    group: plan.group.clone(),
                    partition: row.partition,
                    expected: row.target,
                    found,
                });
            }
        }
        plan.executed = true;
        Ok(plan)
    })
    .await
}

/// A group as the coordinator describes it.
#[derive(Debug, Clone)]
struct Info {
    group: String,
    state: String,
    protocol_type: String,
    members: Vec<GroupMember>,
}

impl Info {
    fn from_rdkafka(info: &GroupInfo) -> Self {
        let members = info
            .members()
            .iter()
            .map(|m| GroupMember {
                member: m.id().to_owned(),
                client_id: m.client_id().to_owned(),
                host: m.client_host().to_owned(),
                assigned: m
                    .assignment()
                    .and_then(assignment::topics)
                    .unwrap_or_default(),
            })
            .collect();
        Self {
            group: info.name().to_owned(),
            state: info.state().to_owned(),
            protocol_type: info.protocol_type().to_owned(),
            members,
        }
    }

    fn dead(group: &str) -> Self {
        Self {
            group: group.to_owned(),
            state: "Dead".into(),
            protocol_type: String::new(),
            members: Vec::new(),
        }
    }

    /// The summary, with the topics of `committed` and of the members' assignments.
    fn summary(&self, committed: impl Iterator<Item = String>) -> GroupSummary {
        let mut topics: BTreeSet<String> = committed.collect();
        for member in &self.members {
            topics.extend(member.assigned.iter().map(|(t, _)| t.clone()));
        }
        GroupSummary {
            group: self.group.clone(),
            state: self.state.clone(),
            members: u32::try_from(self.members.len()).unwrap_or(u32::MAX),
            protocol_type: self.protocol_type.clone(),
            topics: topics.into_iter().collect(),
        }
    }
}

fn check_name(group: &str) -> Result<(), GroupError> {
    match group_problem(group) {
        Some(problem) => Err(GroupError::BadName(problem)),
        None => Ok(()),
    }
}

fn call(action: &'static str, reason: KafkaError) -> GroupError {
    GroupError::Call { action, reason }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, GroupError> + Send + 'static,
) -> Result<T, GroupError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| GroupError::Kafka(KafkaOpError::Join(e)))?
}

/// A consumer carrying `group`'s id that never subscribes, so it never joins the group.
fn looker(kafka: &KafkaConfig, group: &str) -> Result<BaseConsumer, GroupError> {
    client_config_with(
        kafka,
        &[
            ("group.id", group),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
        ],
    )
    .create()
    .map_err(|e| GroupError::Kafka(KafkaOpError::Config(e)))
}

fn group_infos(
    consumer: &BaseConsumer,
    group: Option<&str>,
    timeout: Duration,
) -> Result<Vec<Info>, GroupError> {
    let list = consumer
        .fetch_group_list(group, timeout)
        .map_err(|reason| call("list the consumer groups", reason))?;
    Ok(list.groups().iter().map(Info::from_rdkafka).collect())
}

fn refuse_active(
    consumer: &BaseConsumer,
    group: &str,
    timeout: Duration,
) -> Result<(), GroupError> {
    let info = group_infos(consumer, Some(group), timeout)?
        .into_iter()
        .find(|g| g.group == group);
    match info {
        Some(info) if !info.members.is_empty() => Err(GroupError::Active {
            group: group.to_owned(),
            members: info.members.len(),
            clients: info
                .members
                .iter()
                .map(|m| format!("{} at {}", m.client_id, m.host))
                .collect::<Vec<_>>()
                .join(", "),
        }),
        _ => Ok(()),
    }
}

/// Every topic that is not internal, with its partitions.
fn topic_partitions(
    consumer: &BaseConsumer,
    timeout: Duration,
) -> Result<BTreeMap<String, Vec<i32>>, GroupError> {
    let metadata = consumer
        .fetch_metadata(None, timeout)
        .map_err(|reason| call("describe the topics", reason))?;
    Ok(metadata
        .topics()
        .iter()
        .filter(|t| !t.name().starts_with("__") && t.error().is_none())
        .map(|t| {
            (
                t.name().to_owned(),
                t.partitions().iter().map(|p| p.id()).collect(),
            )
        })
        .collect())
}

/// The committed offsets of the consumer's group on `topics`, only where there is one.
fn committed(
    consumer: &BaseConsumer,
    topics: &BTreeMap<String, Vec<i32>>,
    timeout: Duration,
) -> Result<BTreeMap<(String, i32), i64>, GroupError> {
    let mut list = TopicPartitionList::new();
    for (topic, partitions) in topics {
        for &p in partitions {
            list.add_partition(topic, p);
        }
    }
    if list.count() == 0 {
        return Ok(BTreeMap::new());
    }
    let list = consumer
        .committed_offsets(list, timeout)
        .map_err(|reason| call("read the committed offsets", reason))?;
    Ok(list
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(n) if e.error().is_ok() => {
                Some(((e.topic().to_owned(), e.partition()), n))
            }
            _ => None,
        })
        .collect())
}

/// The end of each of `rows`, in one request per leader.
fn ends(
    consumer: &BaseConsumer,
    rows: &BTreeSet<(String, i32)>,
    timeout: Duration,
) -> Result<BTreeMap<(String, i32), i64>, GroupError> {
    let mut list = TopicPartitionList::new();
    for (topic, p) in rows {
        list.add_partition_offset(topic, *p, Offset::End)
            .map_err(|reason| call("list the partitions", reason))?;
    }
    if list.count() == 0 {
        return Ok(BTreeMap::new());
    }
    // Asking for the offset of "time" -1 is asking for the end.
    let list = consumer
        .offsets_for_times(list, timeout)
        .map_err(|reason| call("read the partitions' ends", reason))?;
    Ok(list
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(n) => Some(((e.topic().to_owned(), e.partition()), n)),
            _ => None,
        })
        .collect())
}

/// For each partition, the offset of the first record at or after `ms`; partitions with no
/// such record are left out.
fn offsets_at(
    consumer: &BaseConsumer,
    topic: &str,
    partitions: &[i32],
    ms: i64,
    timeout: Duration,
) -> Result<BTreeMap<i32, i64>, GroupError> {
    let mut list = TopicPartitionList::new();
    for &p in partitions {
        list.add_partition_offset(topic, p, Offset::Offset(ms))
            .map_err(|reason| call("list the partitions", reason))?;
    }
    let list = consumer
        .offsets_for_times(list, timeout)
        .map_err(|reason| call("look up offsets by time", reason))?;
    Ok(list
        .elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(n) if n >= 0 => Some((e.partition(), n)),
            _ => None,
        })
        .collect())
}
