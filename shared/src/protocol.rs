//! The WebSocket protocol between the browser and the bridge: one enum per direction, JSON text
//! frames, adjacently tagged (`{"type": …, "data": …}`).
//!
//! Every request carries a [`RequestId`] chosen by the browser; the bridge answers each with
//! exactly one [`ServerMessage::Reply`] or [`ServerMessage::Failed`] carrying the same id.
//! [`ServerMessage::Push`] frames arrive unasked (stack status, notices).

use crate::ids::{SchemaId, Subject, Topic};
use serde::{Deserialize, Serialize};

/// Bumped whenever a message changes shape; the bridge refuses a browser speaking another.
pub const PROTOCOL_VERSION: u32 = 1;

/// Names a request so its reply can be matched to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub u64);

/// A frame from the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientMessage {
    /// Echoed in the reply.
    pub id: RequestId,
    /// What is asked.
    pub request: Request,
}

/// What the browser can ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Request {
    /// First message of a session: the protocol version the page speaks.
    Hello {
        /// The page's [`PROTOCOL_VERSION`].
        protocol: u32,
    },
    /// Whether each service of the stack answers.
    StackStatus,
    /// One of the schema files shipped with kafka-demo.
    Example {
        /// Which one.
        example: Example,
    },
    /// All subjects with their versions.
    ListSubjects,
    /// One version of a subject.
    GetSchema {
        /// The subject.
        subject: Subject,
        /// Which version.
        version: VersionRef,
    },
    /// A schema by its global id (what a record header names).
    GetSchemaById {
        /// The id.
        id: SchemaId,
    },
    /// Register a schema as the value schema of a topic (subject `{topic}-value`).
    Register {
        /// The topic.
        topic: Topic,
        /// The schema's JSON text.
        schema: String,
    },
    /// Check a candidate against the latest version under a topic's value subject.
    CheckCompatibility {
        /// The topic.
        topic: Topic,
        /// The candidate's JSON text.
        schema: String,
    },
    /// The compatibility level in force (a subject's, or the global one).
    GetCompatibility {
        /// The subject, or `None` for the global level.
        subject: Option<Subject>,
    },
    /// Set the compatibility level of a subject, or the global one.
    SetCompatibility {
        /// The subject, or `None` for the global level.
        subject: Option<Subject>,
        /// The new level.
        level: CompatLevel,
    },
}

/// Schema files the bridge serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Example {
    /// `schemas/click_v1.avsc`.
    ClickV1,
    /// `schemas/click_v2.avsc`, a BACKWARD-compatible evolution.
    ClickV2,
    /// A candidate BACKWARD-incompatible with version 1.
    ClickIncompatible,
    /// The seed's original text, trailing comma and all.
    ClickSeed,
}

/// A version of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionRef {
    /// The newest.
    Latest,
    /// A numbered version.
    Number(u32),
}

/// Registry compatibility levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompatLevel {
    /// Anything goes.
    None,
    /// The new schema reads data written with the previous one.
    Backward,
    /// … with every earlier one.
    BackwardTransitive,
    /// The previous schema reads data written with the new one.
    Forward,
    /// … every earlier one does.
    ForwardTransitive,
    /// Both backward and forward.
    Full,
    /// … against every earlier version.
    FullTransitive,
}

impl CompatLevel {
    /// Every level, in the order a menu shows them.
    pub const ALL: [CompatLevel; 7] = [
        Self::None,
        Self::Backward,
        Self::BackwardTransitive,
        Self::Forward,
        Self::ForwardTransitive,
        Self::Full,
        Self::FullTransitive,
    ];

    /// The level as the registry API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Backward => "BACKWARD",
            Self::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Self::Forward => "FORWARD",
            Self::ForwardTransitive => "FORWARD_TRANSITIVE",
            Self::Full => "FULL",
            Self::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Reads the registry's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == text)
    }
}

/// A frame from the bridge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to request `id`.
    Reply {
        /// The request answered.
        id: RequestId,
        /// The answer.
        response: Response,
    },
    /// Request `id` failed.
    Failed {
        /// The request that failed.
        id: RequestId,
        /// Why, for people and for code.
        error: ErrorInfo,
    },
    /// Unasked news.
    Push(Push),
}

/// Answers, one variant per kind of request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Response {
    /// Answer to `Hello`.
    Welcome {
        /// The bridge's [`PROTOCOL_VERSION`].
        protocol: u32,
        /// The bridge's version.
        bridge_version: String,
    },
    /// Answer to `StackStatus`.
    Stack(StackView),
    /// Answer to `Example`.
    Example {
        /// Which one.
        example: Example,
        /// Its file name.
        file: String,
        /// Its text.
        text: String,
    },
    /// Answer to `ListSubjects`.
    Subjects(Vec<SubjectInfo>),
    /// Answer to `GetSchema` and `Register`.
    Schema(RegisteredSchema),
    /// Answer to `GetSchemaById`.
    SchemaText {
        /// The id asked for.
        id: SchemaId,
        /// The schema.
        schema: String,
    },
    /// Answer to `CheckCompatibility`.
    Compatibility(CompatibilityReport),
    /// Answer to `GetCompatibility` and `SetCompatibility`.
    Level {
        /// The subject, or `None` for the global level.
        subject: Option<Subject>,
        /// The level in force.
        level: String,
    },
}

/// A subject and its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectInfo {
    /// The subject.
    pub subject: Subject,
    /// Its version numbers, ascending.
    pub versions: Vec<u32>,
}

/// A schema as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredSchema {
    /// The subject.
    pub subject: Subject,
    /// Version under the subject.
    pub version: u32,
    /// Global id.
    pub id: SchemaId,
    /// The schema text.
    pub schema: String,
}

/// The outcome of a compatibility check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompatibilityReport {
    /// The subject checked against.
    pub subject: Subject,
    /// Whether the candidate may be registered.
    pub compatible: bool,
    /// The version compared with; `None` when the subject has none yet.
    pub against_version: Option<u32>,
    /// The level applied.
    pub level: String,
    /// Why not, when incompatible.
    pub reasons: Vec<String>,
}

/// Where each service of the stack stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackView {
    /// Kafka.
    pub kafka: ServiceView,
    /// The schema registry.
    pub registry: ServiceView,
    /// Spark Connect.
    pub spark: ServiceView,
}

/// One service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    /// How clients reach it.
    pub address: String,
    /// Whether it answered.
    pub up: bool,
    /// Why not, when it did not.
    pub problem: Option<String>,
}

/// News the bridge sends unasked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum Push {
    /// The stack's state changed (sent on connect and on every change).
    Stack(StackView),
}

/// A failure: a stable code for the page's logic and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// What kind of failure.
    pub code: ErrorCode,
    /// What happened, in plain words.
    pub message: String,
}

/// Kinds of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame could not be understood.
    BadRequest,
    /// The page speaks another protocol version; reload it.
    ProtocolMismatch,
    /// The schema text is not valid Avro.
    InvalidSchema,
    /// The registry refused: incompatible schema.
    Incompatible,
    /// The subject, version or id does not exist.
    NotFound,
    /// The registry did not answer.
    RegistryUnreachable,
    /// The registry answered with another error.
    RegistryError,
    /// Something inside the bridge failed.
    Internal,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn topic() -> Topic {
        Topic::new("clicks-avro").unwrap_or_else(|e| panic!("{e}"))
    }

    fn subject() -> Subject {
        topic().value_subject()
    }

    fn round_trip<T>(value: &T) -> T
    where
        T: Serialize + for<'de> Deserialize<'de>,
    {
        let text = serde_json::to_string(value).unwrap_or_else(|e| panic!("serialize: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("deserialize {text}: {e}"))
    }

    fn every_request() -> Vec<Request> {
        vec![
            Request::Hello {
                protocol: PROTOCOL_VERSION,
            },
            Request::StackStatus,
            Request::Example {
                example: Example::ClickSeed,
            },
            Request::ListSubjects,
            Request::GetSchema {
                subject: subject(),
                version: VersionRef::Latest,
            },
            Request::GetSchema {
                subject: subject(),
                version: VersionRef::Number(2),
            },
            Request::GetSchemaById { id: SchemaId(7) },
            Request::Register {
                topic: topic(),
                schema: "{}".into(),
            },
            Request::CheckCompatibility {
                topic: topic(),
                schema: "{}".into(),
            },
            Request::GetCompatibility { subject: None },
            Request::SetCompatibility {
                subject: Some(subject()),
                level: CompatLevel::FullTransitive,
            },
        ]
    }

    fn every_server_message() -> Vec<ServerMessage> {
        let service = ServiceView {
            address: "127.0.0.1:1".into(),
            up: true,
            problem: None,
        };
        let stack = StackView {
            kafka: service.clone(),
            registry: ServiceView {
                up: false,
                problem: Some("refused".into()),
                ..service.clone()
            },
            spark: service,
        };
        let registered = RegisteredSchema {
            subject: subject(),
            version: 1,
            id: SchemaId(3),
            schema: "{}".into(),
        };
        let responses = vec![
            Response::Welcome {
                protocol: 1,
                bridge_version: "0.1.0".into(),
            },
            Response::Stack(stack.clone()),
            Response::Example {
                example: Example::ClickV1,
                file: "click_v1.avsc".into(),
                text: "{}".into(),
            },
            Response::Subjects(vec![SubjectInfo {
                subject: subject(),
                versions: vec![1, 2],
            }]),
            Response::Schema(registered),
            Response::SchemaText {
                id: SchemaId(3),
                schema: "{}".into(),
            },
            Response::Compatibility(CompatibilityReport {
                subject: subject(),
                compatible: false,
                against_version: Some(1),
                level: "BACKWARD".into(),
                reasons: vec!["campaign_id has no default".into()],
            }),
            Response::Level {
                subject: None,
                level: "BACKWARD".into(),
            },
        ];
        let mut all: Vec<ServerMessage> = responses
            .into_iter()
            .map(|response| ServerMessage::Reply {
                id: RequestId(9),
                response,
            })
            .collect();
        all.push(ServerMessage::Failed {
            id: RequestId(10),
            error: ErrorInfo {
                code: ErrorCode::RegistryUnreachable,
                message: "no answer".into(),
            },
        });
        all.push(ServerMessage::Push(Push::Stack(stack)));
        all
    }

    #[test]
    fn every_client_message_round_trips() {
        for (i, request) in every_request().into_iter().enumerate() {
            let message = ClientMessage {
                id: RequestId(i as u64),
                request,
            };
            assert_eq!(round_trip(&message), message);
        }
    }

    #[test]
    fn every_server_message_round_trips() {
        for message in every_server_message() {
            assert_eq!(round_trip(&message), message);
        }
    }

    #[test]
    fn every_level_reads_back_from_its_spelling() {
        for level in CompatLevel::ALL {
            assert_eq!(CompatLevel::parse(level.as_str()), Some(level));
            assert_eq!(
                serde_json::to_value(level).ok(),
                Some(json!(level.as_str()))
            );
        }
    }

    // The JSON shapes below are the contract with the browser; they change only with
    // PROTOCOL_VERSION.
    #[test]
    fn request_shape_is_pinned() {
        let message = ClientMessage {
            id: RequestId(4),
            request: Request::Register {
                topic: topic(),
                schema: "{}".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&message).ok(),
            Some(
                json!({"id": 4, "request": {"type": "register", "data": {"topic": "clicks-avro", "schema": "{}"}}})
            )
        );
        let unit = ClientMessage {
            id: RequestId(5),
            request: Request::StackStatus,
        };
        assert_eq!(
            serde_json::to_value(&unit).ok(),
            Some(json!({"id": 5, "request": {"type": "stack_status"}}))
        );
    }

    #[test]
    fn reply_and_failure_shapes_are_pinned() {
        let reply = ServerMessage::Reply {
            id: RequestId(4),
            response: Response::Level {
                subject: Some(subject()),
                level: "FULL".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&reply).ok(),
            Some(
                json!({"type": "reply", "data": {"id": 4, "response": {"type": "level", "data": {"subject": "clicks-avro-value", "level": "FULL"}}}})
            )
        );
        let failed = ServerMessage::Failed {
            id: RequestId(4),
            error: ErrorInfo {
                code: ErrorCode::InvalidSchema,
                message: "bad".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&failed).ok(),
            Some(
                json!({"type": "failed", "data": {"id": 4, "error": {"code": "invalid_schema", "message": "bad"}}})
            )
        );
    }

    #[test]
    fn an_invalid_topic_in_a_request_is_refused() {
        let text = r#"{"id":1,"request":{"type":"register","data":{"topic":"a b","schema":"{}"}}}"#;
        assert!(serde_json::from_str::<ClientMessage>(text).is_err());
    }
}
