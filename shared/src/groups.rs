//! Kafka consumer groups as the page and the command line show them: a group's summary, its
//! committed offsets and lag per partition, and the plan of an offset reset.

use serde::{Deserialize, Serialize};

/// Longest group id accepted from people (Kafka itself has no limit; this keeps requests small).
pub const MAX_GROUP_LEN: usize = 249;

/// A group as listed: its state, how many members it has and the topics it reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// The group id.
    pub group: String,
    /// The coordinator's word for it: `Stable`, `Empty`, `PreparingRebalance`, `Dead`, …
    pub state: String,
    /// Members joined now.
    pub members: u32,
    /// `consumer` for Kafka consumers, `connect` for Kafka Connect workers, empty for a group
    /// that only ever committed offsets.
    pub protocol_type: String,
    /// Topics it has offsets on or members assigned to, sorted.
    pub topics: Vec<String>,
}

/// One partition a group has an offset on or a member reading it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPartition {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The next offset the group will read; `None` when it has committed none.
    pub committed: Option<i64>,
    /// The partition's end (the offset the next record will get).
    pub end: i64,
    /// Records between the committed offset and the end; `None` without a committed offset.
    pub lag: Option<i64>,
}

impl GroupPartition {
    /// A row from the committed offset and the end; lag never goes below 0 (an end read a
    /// moment before the commit can be smaller).
    pub fn new(topic: String, partition: i32, committed: Option<i64>, end: i64) -> Self {
        Self {
            topic,
            partition,
            committed,
            end,
            lag: committed.map(|c| (end - c).max(0)),
        }
    }
}

/// A member of a group and what it reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    /// The member id the coordinator gave it.
    pub member: String,
    /// The client's `client.id`.
    pub client_id: String,
    /// Where it connects from.
    pub host: String,
    /// Partitions assigned to it, by topic.
    pub assigned: Vec<(String, Vec<i32>)>,
}

/// One group described: its summary, members and every partition it has a position on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDescription {
    /// The summary, as [`GroupSummary`] lists it.
    pub summary: GroupSummary,
    /// Its members now.
    pub members: Vec<GroupMember>,
    /// Its partitions, by topic then partition.
    pub partitions: Vec<GroupPartition>,
}

impl GroupDescription {
    /// Records behind over all partitions with a committed offset.
    pub fn total_lag(&self) -> i64 {
        self.partitions.iter().filter_map(|p| p.lag).sum()
    }
}

/// Where an offset reset moves a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetTo {
    /// Each partition's oldest record still kept.
    Earliest,
    /// Each partition's end: only records produced later are read.
    Latest,
    /// The first record whose timestamp is at or after this time (ms since the epoch); the end
    /// where there is none.
    Time(i64),
    /// This offset in every partition, held within the partition's records.
    Offset(i64),
}

/// One partition of a reset plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetRow {
    /// The partition.
    pub partition: i32,
    /// The committed offset before the reset.
    pub current: Option<i64>,
    /// The offset the reset commits.
    pub target: i64,
    /// The partition's oldest kept offset.
    pub start: i64,
    /// The partition's end.
    pub end: i64,
    /// Why the target is not what was asked (an offset outside the partition, a time after its
    /// last record).
    pub note: Option<String>,
}

impl ResetRow {
    /// Records the group will read again (positive) or skip (negative) after the reset;
    /// without a committed offset, counted from the end.
    pub fn change(&self) -> i64 {
        self.current.unwrap_or(self.end) - self.target
    }
}

/// What a reset does or did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetPlan {
    /// The group.
    pub group: String,
    /// The topic.
    pub topic: String,
    /// Where to.
    pub to: ResetTo,
    /// Every partition of the topic.
    pub rows: Vec<ResetRow>,
    /// Whether the offsets were committed (and read back) or this is a dry run.
    pub executed: bool,
}

/// Why a group id is refused, or `None` when it may be used.
pub fn group_problem(group: &str) -> Option<String> {
    if group.trim().is_empty() {
        Some("a consumer group needs a name".into())
    } else if group.len() > MAX_GROUP_LEN {
        Some(format!(
            "a consumer group name may be at most {MAX_GROUP_LEN} bytes"
        ))
    } else if group.chars().any(char::is_control) {
        Some("a consumer group name may not hold control characters".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_measured_from_the_committed_offset_and_never_negative() {
        assert_eq!(
            GroupPartition::new("t".into(), 0, Some(40), 100).lag,
            Some(60)
        );
        assert_eq!(
            GroupPartition::new("t".into(), 0, Some(101), 100).lag,
            Some(0)
        );
        assert_eq!(GroupPartition::new("t".into(), 0, None, 100).lag, None);
    }

    #[test]
    fn a_reset_row_says_how_many_records_are_read_again() {
        let row = ResetRow {
            partition: 0,
            current: Some(80),
            target: 0,
            start: 0,
            end: 100,
            note: None,
        };
        assert_eq!(row.change(), 80);
        let fresh = ResetRow {
            current: None,
            target: 100,
            ..row
        };
        assert_eq!(fresh.change(), 0);
    }

    #[test]
    fn group_names_are_checked() {
        assert!(group_problem("orders").is_none());
        assert!(group_problem(" ").is_some());
        assert!(group_problem("a\nb").is_some());
        assert!(group_problem(&"g".repeat(MAX_GROUP_LEN + 1)).is_some());
    }
}
