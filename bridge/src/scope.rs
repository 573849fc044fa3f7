//! Workshop isolation in one place: every request an attendee sends is rewritten into their
//! namespace (`<name>.…`) or refused, and every answer listing subjects is cut down to theirs.
//!
//! The page sends short topic names (`clicks-avro`); the bridge works on `<name>.clicks-avro`
//! and subject `<name>.clicks-avro-value`. A name already under the attendee's prefix passes
//! unchanged, so what the bridge answers can be sent back. Any other dotted name is refused
//! with [`ErrorCode::Forbidden`] (the rules are [`shared::workshop`]'s).

use shared::protocol::{ErrorCode, ErrorInfo, Request, Response};
use shared::workshop::{AttendeeName, ScopeError};
use shared::{Subject, Topic};

/// The request as `attendee` may make it, or why not. `None` means the tab has not joined;
/// then only the requests that touch nobody's data pass.
pub(super) fn scope_request(
    request: Request,
    attendee: Option<&AttendeeName>,
) -> Result<Request, ErrorInfo> {
    if is_open(&request) {
        return Ok(request);
    }
    let Some(who) = attendee else {
        return Err(forbidden(
            "join the workshop with your name first (Join)".into(),
        ));
    };
    let topic = |t: &Topic| who.scope_topic(t).map_err(refusal);
    let subject = |s: &Subject| who.scope_subject(s).map_err(refusal);
    Ok(match request {
        Request::GetSchema { subject: s, version } => Request::GetSchema {
            subject: subject(&s)?,
            version,
        },
        Request::Register { topic: t, schema } => Request::Register {
            topic: topic(&t)?,
            schema,
        },
        Request::CheckCompatibility { topic: t, schema } => Request::CheckCompatibility {
            topic: topic(&t)?,
            schema,
        },
        Request::GetCompatibility { subject: s } => Request::GetCompatibility {
            subject: s.as_ref().map(subject).transpose()?,
        },
        Request::SetCompatibility { subject: None, .. } => {
            return Err(forbidden(
                "the global compatibility level is shared by everyone; set your subject's level instead".into(),
            ))
        }
        Request::SetCompatibility {
            subject: Some(s),
            level,
        } => Request::SetCompatibility {
            subject: Some(subject(&s)?),
            level,
        },
        Request::StartProduce(mut spec) => {
            spec.topic = topic(&spec.topic)?;
            Request::StartProduce(spec)
        }
        Request::StartTail(mut spec) => {
            spec.topic = topic(&spec.topic)?;
            Request::StartTail(spec)
        }
        Request::RunBatch(mut spec) => {
            spec.topic = topic(&spec.topic)?;
            Request::RunBatch(spec)
        }
        Request::StartStream(mut spec) => {
            spec.topic = topic(&spec.topic)?;
            Request::StartStream(spec)
        }
        Request::SendRecords(mut spec) => {
            spec.topic = topic(&spec.topic)?;
            Request::SendRecords(spec)
        }
        Request::DescribeGroup { group } => Request::DescribeGroup {
            group: who.scope_group(&group).map_err(refusal)?,
        },
        Request::ResetGroup {
            group,
            topic: t,
            to,
            execute,
        } => Request::ResetGroup {
            group: who.scope_group(&group).map_err(refusal)?,
            topic: topic(&t)?,
            to,
            execute,
        },
        // Lists are cut down in `scope_response`; jobs are named per tab, so a tab can only
        // steer its own.
        other @ (Request::ListSubjects
        | Request::ListGroups
        | Request::SampleClick { .. }
        | Request::GetSchemaById { .. }
        | Request::StopProduce { .. }
        | Request::PauseTail { .. }
        | Request::StopTail { .. }
        | Request::StopStream { .. }) => other,
        open @ (Request::Hello { .. }
        | Request::StackStatus
        | Request::Example { .. }
        | Request::Join { .. }
        | Request::Instruct { .. }) => open,
        // Checks are of the attendee's own steps; the instructor's requests are answered by the
        // session, which knows whether the tab holds the instructor's seat.
        other @ (Request::CheckStep { .. }
        | Request::RestartSchemaStep
        | Request::ResetAttendees { .. }
        | Request::Broadcast { .. }) => other,
    })
}

/// Requests anyone may make, joined or not: they touch no topic or subject.
fn is_open(request: &Request) -> bool {
    matches!(
        request,
        Request::Hello { .. }
            | Request::StackStatus
            | Request::Example { .. }
            | Request::Join { .. }
            | Request::Instruct { .. }
    )
}

/// The answer as `attendee` may see it: subject lists hold only their subjects, group lists
/// only their groups, and a group only their topics.
pub(super) fn scope_response(response: Response, attendee: &AttendeeName) -> Response {
    let own_topic = |t: &str| Topic::new(t).is_ok_and(|t| attendee.owns_topic(&t));
    match response {
        Response::Groups(mut groups) => {
            groups.retain(|g| attendee.owns_group(&g.group));
            for g in &mut groups {
                g.topics.retain(|t| own_topic(t));
            }
            Response::Groups(groups)
        }
        Response::Group(mut group) => {
            group.summary.topics.retain(|t| own_topic(t));
            group.partitions.retain(|p| own_topic(&p.topic));
            for m in &mut group.members {
                m.assigned.retain(|(t, _)| own_topic(t));
            }
            Response::Group(group)
        }
        Response::Subjects(mut subjects) => {
            subjects.retain(|s| attendee.owns_subject(&s.subject));
            Response::Subjects(subjects)
        }
        Response::SchemaText {
            id,
            schema,
            mut versions,
        } => {
            versions.retain(|v| attendee.owns_subject(&v.subject));
            Response::SchemaText {
                id,
                schema,
                versions,
            }
        }
        other => other,
    }
}

pub(super) fn forbidden(message: String) -> ErrorInfo {
    ErrorInfo {
        code: ErrorCode::Forbidden,
        message,
    }
}

fn refusal(error: ScopeError) -> ErrorInfo {
    match error {
        ScopeError::Outside { .. } => forbidden(error.to_string()),
        ScopeError::Invalid(e) => ErrorInfo {
            code: ErrorCode::BadRequest,
            message: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::groups::{GroupDescription, GroupPartition, GroupSummary, ResetTo};
    use shared::protocol::{
        BatchSpec, CompatLevel, Example, JobId, ProduceSpec, SendSpec, StreamSpec, StreamTrigger,
        SubjectInfo, SubjectVersion, TailFrom, TailSpec, VersionRef,
    };
    use shared::SchemaId;

    fn ada() -> AttendeeName {
        AttendeeName::new("ada").unwrap_or_else(|e| panic!("{e}"))
    }

    fn topic(text: &str) -> Topic {
        Topic::new(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn subject(text: &str) -> Subject {
        Subject::new(text).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Every request that names a topic, for topic `t`.
    fn topic_requests(t: &str) -> Vec<Request> {
        vec![
            Request::Register {
                topic: topic(t),
                schema: "{}".into(),
            },
            Request::CheckCompatibility {
                topic: topic(t),
                schema: "{}".into(),
            },
            Request::StartProduce(ProduceSpec {
                topic: topic(t),
                schema: "{}".into(),
                count: Some(1),
                rate: None,
                seed: 1,
                poison: 0.0,
                duplicates: 0.0,
                late: 0.0,
                partitions: 1,
            }),
            Request::StartTail(TailSpec {
                topic: topic(t),
                from: TailFrom::Beginning,
            }),
            Request::SendRecords(SendSpec {
                topic: topic(t),
                key: None,
                headers: vec![],
                value: vec![0],
                copies: 1,
            }),
            Request::RunBatch(BatchSpec {
                topic: topic(t),
                from: None,
                to: None,
                top: 5,
            }),
            Request::StartStream(StreamSpec {
                topic: topic(t),
                window_secs: 60,
                watermark_secs: 30,
                trigger: StreamTrigger::AvailableNow,
            }),
        ]
    }

    /// Every request that names a subject, for subject `s`.
    fn subject_requests(s: &str) -> Vec<Request> {
        vec![
            Request::GetSchema {
                subject: subject(s),
                version: VersionRef::Latest,
            },
            Request::GetCompatibility {
                subject: Some(subject(s)),
            },
            Request::SetCompatibility {
                subject: Some(subject(s)),
                level: CompatLevel::Full,
            },
        ]
    }

    #[test]
    fn short_names_are_moved_into_the_namespace() {
        let short = topic_requests("clicks-avro")
            .into_iter()
            .chain(subject_requests("clicks-avro-value"));
        let scoped: Vec<_> = topic_requests("ada.clicks-avro")
            .into_iter()
            .chain(subject_requests("ada.clicks-avro-value"))
            .collect();
        for (request, expected) in short.zip(&scoped) {
            assert_eq!(scope_request(request, Some(&ada())).as_ref(), Ok(expected));
        }
        for request in scoped.clone() {
            assert_eq!(
                scope_request(request.clone(), Some(&ada())),
                Ok(request),
                "own names pass unchanged"
            );
        }
    }

    #[test]
    fn another_attendees_names_are_forbidden() {
        let foreign = topic_requests("bob.clicks-avro")
            .into_iter()
            .chain(topic_requests("adam.clicks-avro"))
            .chain(subject_requests("bob.clicks-avro-value"))
            .chain(subject_requests("ada-clicks.x"));
        for request in foreign {
            let refused = scope_request(request.clone(), Some(&ada())).map_err(|e| e.code);
            assert_eq!(refused, Err(ErrorCode::Forbidden), "{request:?}");
        }
    }

    #[test]
    fn the_global_level_can_be_read_but_not_set() {
        let read = Request::GetCompatibility { subject: None };
        assert_eq!(scope_request(read.clone(), Some(&ada())), Ok(read));
        let set = Request::SetCompatibility {
            subject: None,
            level: CompatLevel::None,
        };
        assert_eq!(
            scope_request(set, Some(&ada())).map_err(|e| e.code),
            Err(ErrorCode::Forbidden)
        );
    }

    #[test]
    fn before_joining_only_open_requests_pass() {
        for open in [
            Request::StackStatus,
            Request::Hello {
                protocol: 3,
                cluster: None,
            },
            Request::Example {
                example: Example::ClickV1,
            },
        ] {
            assert_eq!(scope_request(open.clone(), None), Ok(open));
        }
        let closed = topic_requests("clicks-avro")
            .into_iter()
            .chain(subject_requests("clicks-avro-value"))
            .chain([
                Request::ListSubjects,
                Request::GetSchemaById { id: SchemaId(1) },
                Request::StopTail { tail: JobId(1) },
            ]);
        for request in closed {
            assert_eq!(
                scope_request(request.clone(), None).map_err(|e| e.code),
                Err(ErrorCode::Forbidden),
                "{request:?}"
            );
        }
    }

    #[test]
    fn lists_show_only_own_subjects() {
        let info = |s: &str| SubjectInfo {
            subject: subject(s),
            versions: vec![1],
        };
        let listed = Response::Subjects(vec![
            info("ada.clicks-avro-value"),
            info("bob.clicks-avro-value"),
            info("clicks-avro-value"),
        ]);
        assert_eq!(
            scope_response(listed, &ada()),
            Response::Subjects(vec![info("ada.clicks-avro-value")])
        );
        let version = |s: &str| SubjectVersion {
            subject: subject(s),
            version: 1,
        };
        let text = Response::SchemaText {
            id: SchemaId(3),
            schema: "{}".into(),
            versions: vec![version("bob.clicks-avro-value"), version("ada.x-value")],
        };
        assert_eq!(
            scope_response(text, &ada()),
            Response::SchemaText {
                id: SchemaId(3),
                schema: "{}".into(),
                versions: vec![version("ada.x-value")],
            }
        );
    }

    #[test]
    fn groups_are_scoped_like_topics() {
        let reset = |group: &str, t: &str| Request::ResetGroup {
            group: group.into(),
            topic: topic(t),
            to: ResetTo::Earliest,
            execute: true,
        };
        assert_eq!(
            scope_request(reset("readers", "clicks-avro"), Some(&ada())),
            Ok(reset("ada.readers", "ada.clicks-avro"))
        );
        let describe = |group: &str| Request::DescribeGroup {
            group: group.into(),
        };
        assert_eq!(
            scope_request(describe("readers"), Some(&ada())),
            Ok(describe("ada.readers"))
        );
        for foreign in [
            describe("bob.readers"),
            reset("ada.readers", "bob.clicks-avro"),
        ] {
            let refused = scope_request(foreign.clone(), Some(&ada())).map_err(|e| e.code);
            assert_eq!(refused, Err(ErrorCode::Forbidden), "{foreign:?}");
        }
    }

    #[test]
    fn group_lists_show_only_own_groups_and_topics() {
        let summary = |g: &str, topics: &[&str]| GroupSummary {
            group: g.into(),
            state: "Empty".into(),
            members: 0,
            protocol_type: "consumer".into(),
            topics: topics.iter().map(|t| (*t).to_owned()).collect(),
        };
        let all = Response::Groups(vec![
            summary("ada.readers", &["ada.clicks-avro", "bob.clicks-avro"]),
            summary("bob.readers", &["bob.clicks-avro"]),
            summary("readers", &["clicks-avro"]),
        ]);
        assert_eq!(
            scope_response(all, &ada()),
            Response::Groups(vec![summary("ada.readers", &["ada.clicks-avro"])])
        );
        let described = Response::Group(GroupDescription {
            summary: summary("ada.readers", &["ada.clicks-avro", "bob.x"]),
            members: vec![],
            partitions: vec![
                GroupPartition::new("ada.clicks-avro".into(), 0, Some(1), 2),
                GroupPartition::new("bob.x".into(), 0, Some(1), 2),
            ],
        });
        let Response::Group(seen) = scope_response(described, &ada()) else {
            panic!("not a group");
        };
        assert_eq!(seen.summary.topics, vec!["ada.clicks-avro".to_owned()]);
        assert_eq!(seen.partitions.len(), 1);
    }
}
