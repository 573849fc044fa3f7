//! The workshop's plain logic, tested natively: the tab's role from the address, step names for
//! test ids, how a check reads (✓ / ✗ / not checked), the limits in words, and merging a check
//! into the progress.

use shared::workshop::{Limits, Progress, Step, StepCheck, StepState};

/// The longest broadcast the bridge accepts, in characters.
pub const MAX_BROADCAST: usize = 500;

/// What this tab is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// The playground (joining first in workshop mode).
    Attendee,
    /// The instructor's desk, with the key from the address.
    Instructor(String),
}

/// The role named by the address's hash: `#instructor=<key>` (the key percent-decoded) makes
/// the instructor's desk, anything else the playground.
pub fn role(hash: &str) -> Role {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|part| part.strip_prefix("instructor="))
        .map_or(Role::Attendee, |key| Role::Instructor(percent_decode(key)))
}

/// Decodes `%XX` escapes; a malformed escape is kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The step's name in test ids and styles (the protocol's spelling).
pub fn slug(step: Step) -> &'static str {
    match step {
        Step::Schema => "schema",
        Step::Produce => "produce",
        Step::Consume => "consume",
        Step::Batch => "batch",
        Step::Stream => "stream",
        Step::Evolve => "evolve",
    }
}

/// The step's label in the guide: its number among the seed's five, or "drill".
pub fn number(step: Step) -> &'static str {
    match step {
        Step::Schema => "1",
        Step::Produce => "2",
        Step::Consume => "3",
        Step::Batch => "4",
        Step::Stream => "5",
        Step::Evolve => "drill",
    }
}

/// How the desk marks a step's state: a symbol, a word (so colour is never the only sign) and a
/// stable name for styles and tests.
pub fn state_mark(state: StepState) -> (&'static str, &'static str, &'static str) {
    match state {
        StepState::NotStarted => ("○", "not started", "not-started"),
        StepState::InProgress => ("◐", "in progress", "in-progress"),
        StepState::Failed => ("✗", "failed", "failed"),
        StepState::Passed => ("✓", "passed", "passed"),
    }
}

/// Time spent on a step in words: "40 s", "4 min", "1 h 05 min".
pub fn spent_words(ms: i64) -> String {
    let secs = ms.max(0) / 1000;
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min", secs / 60),
        _ => format!("{} h {:02} min", secs / 3600, secs % 3600 / 60),
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nobody checked it yet.
    Unchecked,
    /// Checked, and everything is there.
    Done,
    /// Checked, and something is missing.
    NotYet,
}

impl Status {
    /// The status of `check`.
    pub fn of(check: &StepCheck) -> Self {
        match (check.done, check.checked_at_ms) {
            (true, _) => Self::Done,
            (false, 0) => Self::Unchecked,
            (false, _) => Self::NotYet,
        }
    }

    /// A stable name for styles and tests.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unchecked => "unchecked",
            Self::Done => "done",
            Self::NotYet => "not-done",
        }
    }

    /// What the page shows.
    pub fn label(self) -> &'static str {
        match self {
            Self::Unchecked => "not checked",
            Self::Done => "✓ done",
            Self::NotYet => "✗ not yet",
        }
    }

    /// One character for the instructor's table.
    pub fn mark(self) -> &'static str {
        match self {
            Self::Unchecked => "·",
            Self::Done => "✓",
            Self::NotYet => "✗",
        }
    }
}

/// The check of `step` in `progress`, or an unchecked one when the bridge sent none.
pub fn check_of(progress: &Progress, step: Step) -> StepCheck {
    progress
        .steps
        .iter()
        .find(|c| c.step == step)
        .cloned()
        .unwrap_or_else(|| StepCheck::unchecked(step))
}

/// Replaces the check of `check.step` in `progress` (adding it when missing).
pub fn put_check(progress: &mut Progress, check: StepCheck) {
    match progress.steps.iter_mut().find(|c| c.step == check.step) {
        Some(old) => *old = check,
        None => progress.steps.push(check),
    }
}

/// A check in a few lines: the summary, then what is missing (for a tooltip).
pub fn tooltip(check: &StepCheck) -> String {
    let mut text = format!("{}: {}", check.step.title(), check.summary);
    for line in &check.missing {
        text.push_str("\n– ");
        text.push_str(line);
    }
    text
}

/// "produce ≤ 1,000 records/s · tail ≤ 5,000 records/s · 1 Spark job at a time".
pub fn limits_line(limits: &Limits) -> String {
    let produce = if limits.produce_rate.fract() == 0.0 && limits.produce_rate >= 0.0 {
        thousands(limits.produce_rate as u64)
    } else {
        format!("{:.1}", limits.produce_rate)
    };
    let jobs = match limits.spark_jobs {
        1 => "1 Spark job".to_owned(),
        n => format!("{} Spark jobs", thousands(u64::from(n))),
    };
    format!(
        "produce ≤ {produce} records/s · tail ≤ {} records/s · {jobs} at a time",
        thousands(limits.tail_rate)
    )
}

pub use crate::text::count::thousands;

/// "12 / 500", and whether the message may be sent.
pub fn broadcast_count(message: &str) -> (String, bool) {
    let n = message.chars().count();
    (
        format!("{n} / {MAX_BROADCAST}"),
        n <= MAX_BROADCAST && !message.trim().is_empty(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_names_the_instructor() {
        assert_eq!(role(""), Role::Attendee);
        assert_eq!(role("#"), Role::Attendee);
        assert_eq!(role("#section-schema"), Role::Attendee);
        assert_eq!(role("#instructor=k3y"), Role::Instructor("k3y".into()));
        assert_eq!(
            role("#x=1&instructor=a%20b%2"),
            Role::Instructor("a b%2".into())
        );
        assert_eq!(role("#instructor="), Role::Instructor(String::new()));
    }

    #[test]
    fn a_check_reads_as_done_not_yet_or_unchecked() {
        let mut check = StepCheck::unchecked(Step::Batch);
        assert_eq!(Status::of(&check), Status::Unchecked);
        check.checked_at_ms = 5;
        assert_eq!(Status::of(&check), Status::NotYet);
        check.done = true;
        assert_eq!(Status::of(&check).label(), "✓ done");
    }

    #[test]
    fn a_check_replaces_its_steps_entry() {
        let mut progress = Progress::default();
        let check = StepCheck {
            checked_at_ms: 9,
            ..StepCheck::verdict(
                Step::Consume,
                shared::workshop::StepState::Passed,
                "0:3 is a poison pill".into(),
                vec![],
            )
        };
        put_check(&mut progress, check.clone());
        assert_eq!(progress.steps.len(), Step::ALL.len());
        assert_eq!(check_of(&progress, Step::Consume), check);
        assert_eq!(progress.done(), 1);
        let mut empty = Progress { steps: vec![] };
        assert_eq!(check_of(&empty, Step::Evolve).checked_at_ms, 0);
        put_check(&mut empty, check);
        assert_eq!(empty.steps.len(), 1);
    }

    #[test]
    fn limits_read_in_words() {
        let limits = Limits {
            produce_rate: 1000.0,
            tail_rate: 5000,
            spark_jobs: 1,
        };
        assert_eq!(
            limits_line(&limits),
            "produce ≤ 1,000 records/s · tail ≤ 5,000 records/s · 1 Spark job at a time"
        );
        let more = Limits {
            produce_rate: 2.5,
            tail_rate: 1_250_000,
            spark_jobs: 2,
        };
        assert_eq!(
            limits_line(&more),
            "produce ≤ 2.5 records/s · tail ≤ 1,250,000 records/s · 2 Spark jobs at a time"
        );
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(100_000), "100,000");
    }

    #[test]
    fn states_have_distinct_marks_and_words() {
        let all = [
            StepState::NotStarted,
            StepState::InProgress,
            StepState::Failed,
            StepState::Passed,
        ]
        .map(state_mark);
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(a.0 != b.0 && a.1 != b.1 && a.2 != b.2, "{a:?} vs {b:?}");
            }
        }
        assert_eq!(state_mark(StepState::Passed), ("✓", "passed", "passed"));
    }

    #[test]
    fn time_spent_reads_in_seconds_minutes_or_hours() {
        assert_eq!(spent_words(-5), "0 s");
        assert_eq!(spent_words(999), "0 s");
        assert_eq!(spent_words(59_999), "59 s");
        assert_eq!(spent_words(60_000), "1 min");
        assert_eq!(spent_words(4 * 60_000 + 59_000), "4 min");
        assert_eq!(spent_words(3_600_000 + 5 * 60_000), "1 h 05 min");
    }

    #[test]
    fn broadcasts_are_counted_in_characters() {
        assert_eq!(broadcast_count("hé"), ("2 / 500".to_owned(), true));
        assert!(!broadcast_count("  ").1);
        assert!(broadcast_count(&"é".repeat(500)).1);
        assert!(!broadcast_count(&"a".repeat(501)).1);
    }

    #[test]
    fn the_tooltip_lists_what_is_missing() {
        let check = StepCheck {
            checked_at_ms: 1,
            ..StepCheck::verdict(
                Step::Produce,
                shared::workshop::StepState::InProgress,
                "200 clicks".into(),
                vec!["1,000 clicks".into(), "a poison pill".into()],
            )
        };
        assert_eq!(
            tooltip(&check),
            "Produce clicks: 200 clicks\n– 1,000 clicks\n– a poison pill"
        );
    }
}
