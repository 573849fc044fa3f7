//! Workshop namespaces: an attendee's validated name and the rules that keep each attendee's
//! topics and subjects under their own prefix `<name>.`.
//!
//! The rules are pure so the bridge, its tests and the page agree on them: a topic or subject
//! that already starts with the attendee's prefix is theirs; a name holding no `.` is a short
//! name and is moved into the namespace; any other dotted name belongs to someone else (or to
//! nobody) and is refused. Attendee names cannot hold `.`, so no prefix is a prefix of another.

use crate::ids::{IdError, Subject, Topic};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest attendee name accepted.
pub const MAX_ATTENDEE_NAME_LEN: usize = 32;

/// Why an attendee name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name was empty.
    #[error("a name cannot be empty")]
    Empty,
    /// The name was too long.
    #[error("the name is {len} characters long; at most {MAX_ATTENDEE_NAME_LEN} are allowed")]
    TooLong {
        /// Length of the refused name, in characters.
        len: usize,
    },
    /// The name does not start with a lowercase letter.
    #[error("the name {name:?} must start with a lowercase letter (a-z)")]
    FirstCharacter {
        /// The refused name.
        name: String,
    },
    /// The name holds a character outside `[a-z0-9-]`.
    #[error(
        "the name {name:?} contains {bad:?}; only lowercase letters, digits and '-' are allowed"
    )]
    Character {
        /// The refused name.
        name: String,
        /// The first character that is not allowed.
        bad: char,
    },
}

/// Why a topic or subject cannot be used by an attendee.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// The name lies in another namespace (or names one that does not exist).
    #[error("{what} {name:?} is outside your namespace {prefix:?}; use a name without '.' or one starting with {prefix:?}")]
    Outside {
        /// "topic", "subject" or "consumer group".
        what: &'static str,
        /// The refused name.
        name: String,
        /// The attendee's prefix.
        prefix: String,
    },
    /// The prefixed topic is not a valid topic name (too long).
    #[error(transparent)]
    Invalid(#[from] IdError),
}

/// A workshop attendee's name: 1–32 characters of `[a-z0-9-]`, starting with a letter.
///
/// Neither `.` nor `_` is allowed: Kafka treats the two alike when it checks topic names for
/// collisions, so a name holding `_` could claim a topic that collides with another attendee's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AttendeeName(String);

impl AttendeeName {
    /// Checks `name` against the rules for attendee names.
    pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
        let name = name.into();
        let len = name.chars().count();
        if len == 0 {
            return Err(NameError::Empty);
        }
        if len > MAX_ATTENDEE_NAME_LEN {
            return Err(NameError::TooLong { len });
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if let Some(bad) = name.chars().find(|c| !allowed(*c)) {
            return Err(NameError::Character { name, bad });
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(NameError::FirstCharacter { name });
        }
        Ok(Self(name))
    }

    /// The name's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What every topic and subject of this attendee starts with: `<name>.`.
    pub fn prefix(&self) -> String {
        format!("{}.", self.0)
    }

    /// Whether `topic` lies in this attendee's namespace.
    pub fn owns_topic(&self, topic: &Topic) -> bool {
        self.owns(topic.as_str())
    }

    /// Whether `subject` lies in this attendee's namespace.
    pub fn owns_subject(&self, subject: &Subject) -> bool {
        self.owns(subject.as_str())
    }

    /// The topic as this attendee may use it: their own topics unchanged, a short name
    /// (no `.`) moved under the prefix, anything else refused.
    pub fn scope_topic(&self, topic: &Topic) -> Result<Topic, ScopeError> {
        match self.scoped_text(topic.as_str(), "topic")? {
            Some(scoped) => Ok(Topic::new(scoped)?),
            None => Ok(topic.clone()),
        }
    }

    /// The subject as this attendee may use it, by the same rule as [`Self::scope_topic`].
    pub fn scope_subject(&self, subject: &Subject) -> Result<Subject, ScopeError> {
        match self.scoped_text(subject.as_str(), "subject")? {
            Some(scoped) => Ok(Subject::new(scoped)?),
            None => Ok(subject.clone()),
        }
    }

    /// Whether consumer group `group` lies in this attendee's namespace.
    pub fn owns_group(&self, group: &str) -> bool {
        self.owns(group)
    }

    /// The consumer group as this attendee may use it, by the same rule as
    /// [`Self::scope_topic`].
    pub fn scope_group(&self, group: &str) -> Result<String, ScopeError> {
        Ok(self
            .scoped_text(group, "consumer group")?
            .unwrap_or_else(|| group.to_owned()))
    }

    fn owns(&self, name: &str) -> bool {
        name.strip_prefix(self.0.as_str())
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|rest| !rest.is_empty())
    }

    /// `None` when `name` is already this attendee's, the prefixed name when it is short.
    fn scoped_text(&self, name: &str, what: &'static str) -> Result<Option<String>, ScopeError> {
        if self.owns(name) {
            Ok(None)
        } else if name.contains('.') {
            Err(ScopeError::Outside {
                what,
                name: name.to_owned(),
                prefix: self.prefix(),
            })
        } else {
            Ok(Some(format!("{}{name}", self.prefix())))
        }
    }
}

impl TryFrom<String> for AttendeeName {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<AttendeeName> for String {
    fn from(value: AttendeeName) -> Self {
        value.0
    }
}

impl fmt::Display for AttendeeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The guided steps of a workshop, in the order the page shows them: the seed's five steps and
/// the schema-evolution drill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// 1. Fix the seed's schema and register it as `<name>.clicks-avro-value`.
    Schema,
    /// 2. Produce clicks to `<name>.clicks-avro`.
    Produce,
    /// 3. Consume them and find a poison pill with the inspector (the answer: its
    ///    `partition:offset`).
    Consume,
    /// 4. Run the batch job and name its top creative (the answer).
    Batch,
    /// 5. Start the stream and watch a window close.
    Stream,
    /// The drill: register v2, see an incompatible change rejected, produce v2 records, and read
    /// both versions in the batch job.
    Evolve,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 6] = [
        Self::Schema,
        Self::Produce,
        Self::Consume,
        Self::Batch,
        Self::Stream,
        Self::Evolve,
    ];

    /// A short title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Schema => "Fix and register the schema",
            Self::Produce => "Produce clicks",
            Self::Consume => "Consume and find a poison pill",
            Self::Batch => "Run the batch job",
            Self::Stream => "Watch a window close",
            Self::Evolve => "Evolve the schema",
        }
    }

    /// Whether the check needs an answer from the attendee.
    pub fn asks(self) -> Option<&'static str> {
        match self {
            Self::Consume => Some("Where is a poison pill? (partition:offset, e.g. 0:17)"),
            Self::Batch => Some("Which creative has the most clicks?"),
            _ => None,
        }
    }
}

/// Where an attendee stands on one step, as the desk marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Nothing of the step is there yet.
    #[default]
    NotStarted,
    /// Part of it is there (some records, a stream running, a report without an answer).
    InProgress,
    /// The last attempt was wrong (a schema lacking fields, a wrong answer).
    Failed,
    /// Everything the step asks for is there.
    Passed,
}

/// The outcome of one step's check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepCheck {
    /// The step.
    pub step: Step,
    /// Whether everything the step asks for is there (`state` is [`StepState::Passed`]).
    pub done: bool,
    /// Where the attendee stands on it.
    #[serde(default)]
    pub state: StepState,
    /// When a check first found the step begun, ms since the epoch (0: not yet).
    #[serde(default)]
    pub started_at_ms: i64,
    /// When a check first found it passed (0: not yet).
    #[serde(default)]
    pub passed_at_ms: i64,
    /// What the check found, in one sentence.
    pub summary: String,
    /// What is still missing, one item per line; empty when done.
    pub missing: Vec<String>,
    /// When the check ran, ms since the epoch (0: never checked).
    pub checked_at_ms: i64,
}

impl StepCheck {
    /// A step nobody has checked yet.
    pub fn unchecked(step: Step) -> Self {
        Self {
            step,
            done: false,
            state: StepState::NotStarted,
            started_at_ms: 0,
            passed_at_ms: 0,
            summary: "not checked yet".into(),
            missing: Vec::new(),
            checked_at_ms: 0,
        }
    }

    /// A verdict: `state` with what was found and what is missing (dropped once passed).
    pub fn verdict(step: Step, state: StepState, summary: String, missing: Vec<String>) -> Self {
        let done = state == StepState::Passed;
        Self {
            step,
            done,
            state,
            started_at_ms: 0,
            passed_at_ms: 0,
            summary,
            missing: if done { Vec::new() } else { missing },
            checked_at_ms: 0,
        }
    }

    /// This verdict as a follow-up of `earlier`: the times the step was first begun and first
    /// passed carry over, or are set to `now_ms` when this verdict is the first to find them.
    pub fn after(mut self, earlier: &StepCheck, now_ms: i64) -> Self {
        self.started_at_ms = match earlier.started_at_ms {
            0 if self.state != StepState::NotStarted => now_ms,
            t => t,
        };
        self.passed_at_ms = match earlier.passed_at_ms {
            0 if self.done => now_ms,
            t => t,
        };
        if self.passed_at_ms != 0 && self.started_at_ms == 0 {
            self.started_at_ms = self.passed_at_ms;
        }
        self
    }

    /// Time spent on the step: from its start to its pass, or to `now_ms` while not passed.
    pub fn spent_ms(&self, now_ms: i64) -> Option<i64> {
        match (self.started_at_ms, self.passed_at_ms) {
            (0, _) => None,
            (start, 0) => Some(now_ms.saturating_sub(start).max(0)),
            (start, end) => Some(end.saturating_sub(start).max(0)),
        }
    }
}

/// An attendee's progress: one check per [`Step`], in [`Step::ALL`] order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The steps.
    pub steps: Vec<StepCheck>,
}

impl Default for Progress {
    fn default() -> Self {
        Self {
            steps: Step::ALL.into_iter().map(StepCheck::unchecked).collect(),
        }
    }
}

impl Progress {
    /// Steps done.
    pub fn done(&self) -> usize {
        self.steps.iter().filter(|s| s.done).count()
    }
}

/// What each attendee may use at once, so one cannot starve the others.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    /// Records per second a produce run may send (faster asks are held to this).
    pub produce_rate: f64,
    /// Records per second a tail may deliver.
    pub tail_rate: u64,
    /// Spark jobs (batch or stream) that may run at once.
    pub spark_jobs: u32,
}

impl Default for Limits {
    /// What `kafka-demo serve --workshop` allows unless told otherwise: more records a second
    /// than anyone can watch (a tail drains a backlog five times faster than it is produced),
    /// and one Spark job at a time, so the shared Spark server's cores go round.
    fn default() -> Self {
        Self {
            produce_rate: 1000.0,
            tail_rate: 5000,
            spark_jobs: 1,
        }
    }
}

/// One attendee as the instructor sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendeeView {
    /// The name.
    pub name: AttendeeName,
    /// Whether a tab holds the name now.
    pub connected: bool,
    /// Their steps.
    pub progress: Progress,
}

/// What a reset removed for one attendee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetReport {
    /// Whose state.
    pub name: AttendeeName,
    /// Topics deleted.
    pub topics: Vec<String>,
    /// Subjects deleted.
    pub subjects: Vec<String>,
    /// Data folders (checkpoints, batch output) removed.
    pub folders: Vec<String>,
    /// Jobs stopped.
    pub jobs_stopped: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_keeps_when_it_was_first_begun_and_first_passed() {
        let fresh = StepCheck::unchecked(Step::Produce);
        let nothing = StepCheck::verdict(Step::Produce, StepState::NotStarted, "x".into(), vec![])
            .after(&fresh, 10);
        assert_eq!((nothing.started_at_ms, nothing.passed_at_ms), (0, 0));
        let some = StepCheck::verdict(
            Step::Produce,
            StepState::InProgress,
            "x".into(),
            vec!["y".into()],
        )
        .after(&nothing, 20);
        assert_eq!((some.started_at_ms, some.passed_at_ms), (20, 0));
        assert_eq!(some.spent_ms(50), Some(30));
        let passed = StepCheck::verdict(
            Step::Produce,
            StepState::Passed,
            "x".into(),
            vec!["y".into()],
        )
        .after(&some, 90);
        assert!(passed.done && passed.missing.is_empty());
        assert_eq!((passed.started_at_ms, passed.passed_at_ms), (20, 90));
        let again = StepCheck::verdict(Step::Produce, StepState::Passed, "x".into(), vec![])
            .after(&passed, 120);
        assert_eq!(again.spent_ms(500), Some(70), "the first pass counts");
        let at_once = StepCheck::verdict(Step::Schema, StepState::Passed, "x".into(), vec![])
            .after(&fresh, 40);
        assert_eq!((at_once.started_at_ms, at_once.passed_at_ms), (40, 40));
    }

    fn name(text: &str) -> AttendeeName {
        AttendeeName::new(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn topic(text: &str) -> Topic {
        Topic::new(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn subject(text: &str) -> Subject {
        Subject::new(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn accepts_plain_names() {
        let longest = format!("a{}", "9".repeat(MAX_ATTENDEE_NAME_LEN - 1));
        for text in ["a", "ada", "team-7", "x-y", longest.as_str()] {
            assert_eq!(AttendeeName::new(text).map(String::from), Ok(text.into()));
        }
    }

    #[test]
    fn refuses_names_that_could_escape_or_collide() {
        assert_eq!(AttendeeName::new(""), Err(NameError::Empty));
        let long = "a".repeat(MAX_ATTENDEE_NAME_LEN + 1);
        assert_eq!(
            AttendeeName::new(long),
            Err(NameError::TooLong {
                len: MAX_ATTENDEE_NAME_LEN + 1
            })
        );
        for (text, bad) in [
            ("a.b", '.'),
            ("..", '.'),
            (".", '.'),
            ("Ada", 'A'),
            ("ada lovelace", ' '),
            ("a/b", '/'),
            ("team_7", '_'),
            ("é", 'é'),
        ] {
            assert_eq!(
                AttendeeName::new(text),
                Err(NameError::Character {
                    name: text.into(),
                    bad
                }),
                "{text}"
            );
        }
        for text in ["1ada", "9", "-ada"] {
            assert_eq!(
                AttendeeName::new(text),
                Err(NameError::FirstCharacter { name: text.into() })
            );
        }
    }

    #[test]
    fn errors_say_what_is_allowed() {
        let message = AttendeeName::new("A.b").map_err(|e| e.to_string());
        assert!(
            message
                .as_ref()
                .is_err_and(|m| m.contains("only lowercase letters, digits")),
            "{message:?}"
        );
    }

    #[test]
    fn serde_refuses_invalid_names() {
        assert!(serde_json::from_str::<AttendeeName>("\"a.b\"").is_err());
        let ok: Result<AttendeeName, _> = serde_json::from_str("\"ada\"");
        assert_eq!(ok.ok().map(String::from), Some("ada".to_owned()));
    }

    #[test]
    fn short_topics_move_into_the_namespace() {
        let ada = name("ada");
        assert_eq!(
            ada.scope_topic(&topic("clicks-avro")),
            Ok(topic("ada.clicks-avro"))
        );
        assert_eq!(
            ada.scope_topic(&topic("ada.clicks-avro")),
            Ok(topic("ada.clicks-avro")),
            "scoping twice changes nothing"
        );
        assert_eq!(
            ada.scope_topic(&topic("clicks-avro"))
                .map(|t| t.value_subject()),
            Ok(subject("ada.clicks-avro-value"))
        );
    }

    #[test]
    fn another_attendees_topics_and_subjects_are_refused() {
        let ada = name("ada");
        for other in [
            "bob.clicks-avro",
            "adam.clicks-avro",
            "ad.clicks-avro",
            ".ada.clicks",
            "..",
            "x.ada.clicks",
        ] {
            let as_topic = Topic::new(other).ok();
            if let Some(t) = as_topic {
                assert!(!ada.owns_topic(&t), "{other}");
                assert!(
                    matches!(ada.scope_topic(&t), Err(ScopeError::Outside { .. })),
                    "{other}"
                );
            }
            let s = subject(&format!("{other}-value"));
            assert!(!ada.owns_subject(&s), "{other}");
            assert!(
                matches!(ada.scope_subject(&s), Err(ScopeError::Outside { .. })),
                "{other}"
            );
        }
    }

    #[test]
    fn the_bare_prefix_is_nobodys_topic() {
        let ada = name("ada");
        assert!(!ada.owns_topic(&topic("ada.")));
        assert!(matches!(
            ada.scope_topic(&topic("ada.")),
            Err(ScopeError::Outside { .. })
        ));
    }

    #[test]
    fn own_subjects_are_kept_and_short_ones_prefixed() {
        let ada = name("ada");
        assert!(ada.owns_subject(&subject("ada.clicks-avro-value")));
        assert_eq!(
            ada.scope_subject(&subject("clicks-avro-value")),
            Ok(subject("ada.clicks-avro-value"))
        );
        assert_eq!(
            ada.scope_subject(&subject("ada.clicks-avro-value")),
            Ok(subject("ada.clicks-avro-value"))
        );
    }

    #[test]
    fn a_topic_too_long_once_prefixed_is_refused() {
        let ada = name("ada");
        let long = topic(&"t".repeat(crate::ids::MAX_TOPIC_LEN));
        assert!(matches!(
            ada.scope_topic(&long),
            Err(ScopeError::Invalid(IdError::TopicTooLong { .. }))
        ));
    }
}
