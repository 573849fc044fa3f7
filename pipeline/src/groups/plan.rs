//! Where a reset puts one partition, from what was asked and what the partition holds.

use shared::groups::ResetTo;

/// The offset a reset to `to` commits on a partition holding `start..end`, with a note when it
/// differs from what was asked; `at_time` is the broker's answer for a reset to a time (`None`
/// when no record is that late).
pub fn target_offset(
    to: ResetTo,
    start: i64,
    end: i64,
    at_time: Option<i64>,
) -> (i64, Option<String>) {
    match to {
        ResetTo::Earliest => (start, None),
        ResetTo::Latest => (end, None),
        ResetTo::Time(_) => match at_time {
            Some(offset) => (offset.clamp(start, end), None),
            None => (end, Some("no record at or after that time: the end".into())),
        },
        ResetTo::Offset(n) if n < start => (
            start,
            Some(format!("{n} is before the oldest kept record: {start}")),
        ),
        ResetTo::Offset(n) if n > end => (end, Some(format!("{n} is past the end: {end}"))),
        ResetTo::Offset(n) => (n, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_are_the_partition_s_own() {
        assert_eq!(target_offset(ResetTo::Earliest, 7, 90, None), (7, None));
        assert_eq!(target_offset(ResetTo::Latest, 7, 90, None), (90, None));
    }

    #[test]
    fn an_offset_is_held_within_the_partition_and_says_so() {
        assert_eq!(target_offset(ResetTo::Offset(40), 7, 90, None), (40, None));
        let (before, note) = target_offset(ResetTo::Offset(3), 7, 90, None);
        assert_eq!(before, 7);
        assert!(note.is_some_and(|n| n.contains("oldest")));
        let (past, note) = target_offset(ResetTo::Offset(500), 7, 90, None);
        assert_eq!(past, 90);
        assert!(note.is_some_and(|n| n.contains("past the end")));
    }

    #[test]
    fn a_time_after_the_last_record_means_the_end() {
        assert_eq!(target_offset(ResetTo::Time(5), 0, 90, Some(12)), (12, None));
        let (offset, note) = target_offset(ResetTo::Time(5), 0, 90, None);
        assert_eq!(offset, 90);
        assert!(note.is_some());
    }
}
