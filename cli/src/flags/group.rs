//! Flags of `kafka-demo group …`.

use clap::{Subcommand, ValueEnum};
use shared::groups::ResetTo;

/// `kafka-demo group …`
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// List the consumer groups with their state, members and topics
    List {
        /// Text for people or JSON (a list of objects)
        #[arg(long, value_enum, default_value_t = GroupFormat::Text)]
        format: GroupFormat,
    },
    /// Show a group's members and, per partition, its committed offset, the end and the lag
    Describe {
        /// The group id
        group: String,
        /// Text for people or JSON (a list of objects with topic, partition, committed, end, lag)
        #[arg(long, value_enum, default_value_t = GroupFormat::Text)]
        format: GroupFormat,
    },
    /// Move a group's committed offsets on a topic; shows the plan unless --execute is given
    Reset {
        /// The group id (it must have no active members)
        group: String,
        /// The topic whose offsets move (every partition)
        #[arg(long)]
        topic: String,
        /// earliest, latest, a time (RFC 3339, e.g. 2024-01-01T00:00:00Z) or an offset
        #[arg(long, value_parser = parse_reset_to, value_name = "earliest|latest|TIME|OFFSET")]
        to: ResetTo,
        /// Commit the new offsets (without it, nothing changes)
        #[arg(long)]
        execute: bool,
        /// Text for people or JSON (the plan)
        #[arg(long, value_enum, default_value_t = GroupFormat::Text)]
        format: GroupFormat,
    },
}

/// How `group` commands print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupFormat {
    /// Aligned columns.
    Text,
    /// One JSON document.
    Json,
}

/// Reads `--to`: `earliest`, `latest`, an offset (digits) or an RFC 3339 time.
pub fn parse_reset_to(text: &str) -> Result<ResetTo, String> {
    let text = text.trim();
    match text.to_ascii_lowercase().as_str() {
        "earliest" => return Ok(ResetTo::Earliest),
        "latest" => return Ok(ResetTo::Latest),
        _ => {}
    }
    if let Ok(offset) = text.parse::<i64>() {
        return if offset < 0 {
            Err(format!("an offset must be 0 or more, not {offset}"))
        } else {
            Ok(ResetTo::Offset(offset))
        };
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| ResetTo::Time(t.timestamp_millis()))
        .map_err(|_| {
            format!("{text:?} is not earliest, latest, an offset or an RFC 3339 time (2024-01-01T00:00:00Z)")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_target_reads() {
        assert_eq!(parse_reset_to("earliest"), Ok(ResetTo::Earliest));
        assert_eq!(parse_reset_to("LATEST"), Ok(ResetTo::Latest));
        assert_eq!(parse_reset_to("42"), Ok(ResetTo::Offset(42)));
        assert_eq!(
            parse_reset_to("2024-01-01T00:00:01Z"),
            Ok(ResetTo::Time(1_704_067_201_000))
        );
        assert!(parse_reset_to("-1").is_err());
        assert!(parse_reset_to("tomorrow").is_err_and(|e| e.contains("RFC 3339")));
    }
}
