//! Identifiers with rules: Kafka topic names, registry subjects and schema ids.
//!
//! A [`Topic`] can only be built from a name Kafka would accept, so code that holds one never
//! has to re-check it (and text that later reaches Spark SQL is known to be plain).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Kafka refuses topic names longer than this.
pub const MAX_TOPIC_LEN: usize = 249;

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The name was empty.
    #[error("a topic name cannot be empty")]
    EmptyTopic,
    /// The name was longer than Kafka allows.
    #[error("topic name is {len} characters long; Kafka allows at most {MAX_TOPIC_LEN}")]
    TopicTooLong {
        /// Length of the refused name.
        len: usize,
    },
    /// `.` and `..` are reserved.
    #[error("\"{0}\" is not a usable topic name")]
    ReservedTopic(String),
    /// The name holds a character outside `[A-Za-z0-9._-]`.
    #[error(
        "topic name {name:?} contains {bad:?}; only letters, digits, '.', '_' and '-' are allowed"
    )]
    TopicCharacter {
        /// The refused name.
        name: String,
        /// The first character that is not allowed.
        bad: char,
    },
    /// A subject was empty.
    #[error("a subject cannot be empty")]
    EmptySubject,
}

/// A valid Kafka topic name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Topic(String);

impl Topic {
    /// Checks `name` against Kafka's rules for topic names.
    pub fn new(name: impl Into<String>) -> Result<Self, IdError> {
        let name = name.into();
        if name.is_empty() {
            return Err(IdError::EmptyTopic);
        }
        if name.len() > MAX_TOPIC_LEN {
            return Err(IdError::TopicTooLong { len: name.len() });
        }
        if name == "." || name == ".." {
            return Err(IdError::ReservedTopic(name));
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if let Some(bad) = name.chars().find(|c| !allowed(*c)) {
            return Err(IdError::TopicCharacter { name, bad });
        }
        Ok(Self(name))
    }

    /// The name as Kafka knows it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The subject of this topic's record values under the TopicNameStrategy: `{topic}-value`.
    pub fn value_subject(&self) -> Subject {
        Subject(format!("{}-value", self.0))
    }
}

impl TryFrom<String> for Topic {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Topic> for String {
    fn from(value: Topic) -> Self {
        value.0
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Topic {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// A schema registry subject, such as `clicks-avro-value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Subject(String);

impl Subject {
    /// Any non-empty text is a subject; registries escape it in URLs themselves.
    pub fn new(name: impl Into<String>) -> Result<Self, IdError> {
        let name = name.into();
        if name.trim().is_empty() {
            return Err(IdError::EmptySubject);
        }
        Ok(Self(name))
    }

    /// The subject's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Subject {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Subject> for String {
    fn from(value: Subject) -> Self {
        value.0
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Subject {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// The id a registry gives a schema; written big-endian into bytes 1–4 of every record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SchemaId(pub u32);

impl fmt::Display for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_kafka_legal_names() {
        for name in ["clicks-avro", "a", "x.y_z-1", &"t".repeat(MAX_TOPIC_LEN)] {
            assert_eq!(
                Topic::new(name).map(|t| t.as_str().to_owned()),
                Ok(name.to_owned())
            );
        }
    }

    #[test]
    fn refuses_names_kafka_would_refuse() {
        assert_eq!(Topic::new(""), Err(IdError::EmptyTopic));
        assert_eq!(Topic::new(".."), Err(IdError::ReservedTopic("..".into())));
        assert_eq!(
            Topic::new("t".repeat(250)),
            Err(IdError::TopicTooLong { len: 250 })
        );
        assert_eq!(
            Topic::new("clicks'; DROP"),
            Err(IdError::TopicCharacter {
                name: "clicks'; DROP".into(),
                bad: '\''
            })
        );
    }

    #[test]
    fn value_subject_follows_topic_name_strategy() {
        let topic = Topic::new("clicks-avro").map(|t| t.value_subject());
        assert_eq!(topic.map(String::from), Ok("clicks-avro-value".to_owned()));
    }

    #[test]
    fn serde_rejects_invalid_topic() {
        assert!(serde_json::from_str::<Topic>("\"a b\"").is_err());
        let ok: Result<Topic, _> = serde_json::from_str("\"clicks\"");
        assert_eq!(ok.ok().map(String::from), Some("clicks".to_owned()));
    }
}
