//! What an attendee's own session showed them, kept as evidence for the steps the services alone
//! cannot tell: the last batch report over their topic, an incompatible change refused, a window
//! closed by the watermark, the writer schemas their produce runs delivered.
//!
//! The bridge hears every message leaving the attendee's session ([`Seen::hear`]), so nothing
//! here depends on the page reporting honestly — only on what the bridge itself answered.

use shared::protocol::{BatchOutcome, ErrorCode, JobId, Push, Response, ServerMessage};
use shared::{SchemaId, Topic};
use std::collections::{BTreeSet, HashMap};

/// How a batch report marks a writer schema it decoded records with (pills naming unknown ids
/// are listed too, as `unknown`).
const DECODED: &str = "decoded";

/// The evidence gathered for one attendee. What it says of the services outlives the session
/// (and, saved with the room, the bridge); the jobs it follows belong to one session.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Seen {
    /// Writer schema ids of produce runs that delivered records to the attendee's topic.
    pub produced_ids: BTreeSet<SchemaId>,
    /// The last batch report over the attendee's topic.
    pub batch: Option<BatchSeen>,
    /// Whether the registry refused an incompatible schema for the attendee.
    pub refused: bool,
    /// A window the watermark closed.
    pub closed: Option<ClosedWindow>,
    /// Produce runs of this session to the attendee's topic, with their writer schema.
    #[serde(skip)]
    produce_jobs: HashMap<JobId, SchemaId>,
    /// Streaming queries of this session over the attendee's topic.
    #[serde(skip)]
    stream_jobs: HashMap<JobId, StreamJob>,
}

/// What the checks need of a batch report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchSeen {
    /// The creatives tied for the most clicks.
    pub top: Vec<String>,
    /// Their clicks.
    pub top_clicks: u64,
    /// Writer schema ids the job decoded records with.
    pub writer_ids: Vec<u32>,
}

/// A window whose end the watermark passed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClosedWindow {
    /// Window start, ms since the epoch.
    pub start_ms: i64,
    /// Window end.
    pub end_ms: i64,
    /// The watermark, as Spark printed it.
    pub watermark: String,
}

/// Where the attendee's streams stand while no window has closed: the earliest window reported
/// and the furthest watermark, ms since the epoch (either may be unknown yet).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamStanding {
    /// The earliest window a query reported: start and end.
    pub earliest: Option<(i64, i64)>,
    /// The furthest watermark.
    pub watermark_ms: Option<i64>,
}

/// One streaming query's earliest window and latest watermark.
#[derive(Debug, Clone, Default, PartialEq)]
struct StreamJob {
    earliest: Option<(i64, i64)>,
    watermark: Option<(i64, String)>,
}

impl Seen {
    /// A new session holds the name: job ids start over, the evidence stays.
    pub fn new_session(&mut self) {
        self.produce_jobs.clear();
        self.stream_jobs.clear();
    }

    /// Where this session's streams stand, or `None` when none was started.
    pub fn stream_standing(&self) -> Option<StreamStanding> {
        if self.stream_jobs.is_empty() {
            return None;
        }
        let mut standing = StreamStanding::default();
        for job in self.stream_jobs.values() {
            if let Some((start, end)) = job.earliest {
                if standing.earliest.is_none_or(|(_, e)| end < e) {
                    standing.earliest = Some((start, end));
                }
            }
            if let Some((ms, _)) = job.watermark {
                standing.watermark_ms = Some(standing.watermark_ms.map_or(ms, |w| w.max(ms)));
            }
        }
        Some(standing)
    }

    /// Takes note of `message` leaving the session of the attendee whose topic is `topic`.
    /// Returns whether the services may have changed so that checks are worth running again.
    pub fn hear(&mut self, topic: &Topic, message: &ServerMessage) -> bool {
        match message {
            ServerMessage::Reply { response, .. } => self.hear_reply(topic, response),
            ServerMessage::Failed { error, .. } if error.code == ErrorCode::Incompatible => {
                self.refused = true;
                true
            }
            ServerMessage::Failed { .. } => false,
            ServerMessage::Push(push) => self.hear_push(topic, push),
        }
    }

    fn hear_reply(&mut self, topic: &Topic, response: &Response) -> bool {
        match response {
            Response::Schema(_) => true,
            Response::Compatibility(report) if !report.compatible => {
                self.refused = true;
                true
            }
            Response::ProduceStarted { job, schema, .. } => {
                if schema.subject == topic.value_subject() {
                    self.produce_jobs.insert(*job, schema.id);
                }
                true
            }
            Response::StreamStarted { job, checkpoint } => {
                if ends_with_topic(checkpoint, topic) {
                    self.stream_jobs.insert(*job, StreamJob::default());
                }
                false
            }
            _ => false,
        }
    }

    fn hear_push(&mut self, topic: &Topic, push: &Push) -> bool {
        match push {
            Push::Produce(update) => match &update.finished {
                Some(_) => {
                    let id = self.produce_jobs.remove(&update.job);
                    if let (Some(id), true) = (id, update.acknowledged > 0) {
                        self.produced_ids.insert(id);
                    }
                    true
                }
                None => false,
            },
            Push::BatchDone {
                outcome: BatchOutcome::Finished(report),
                ..
            } if report.topic == topic.as_str() => {
                self.batch = Some(batch_seen(report));
                true
            }
            Push::StreamWindows { job, windows } => {
                let Some(stream) = self.stream_jobs.get_mut(job) else {
                    return false;
                };
                for w in windows {
                    if stream.earliest.is_none_or(|(_, end)| w.end_ms < end) {
                        stream.earliest = Some((w.start_ms, w.end_ms));
                    }
                }
                self.close_window(*job)
            }
            Push::StreamProgress(p) => {
                let Some(stream) = self.stream_jobs.get_mut(&p.job) else {
                    return false;
                };
                let Some((ms, text)) = p.watermark.as_deref().and_then(parse_watermark) else {
                    return false;
                };
                let moved = stream.watermark.as_ref().is_none_or(|(seen, _)| ms > *seen);
                if moved {
                    stream.watermark = Some((ms, text));
                }
                // A watermark that moved changes what the step says is still needed.
                self.close_window(p.job) || (moved && self.closed.is_none())
            }
            _ => false,
        }
    }

    /// Notes the query's earliest window as closed once the watermark has passed its end
    /// (windows and progress reach the bridge by different paths, so either may come first).
    fn close_window(&mut self, job: JobId) -> bool {
        if self.closed.is_some() {
            return false;
        }
        let Some(StreamJob {
            earliest: Some((start_ms, end_ms)),
            watermark: Some((mark, text)),
        }) = self.stream_jobs.get(&job)
        else {
            return false;
        };
        if end_ms > mark {
            return false;
        }
        self.closed = Some(ClosedWindow {
            start_ms: *start_ms,
            end_ms: *end_ms,
            watermark: text.clone(),
        });
        true
    }
}

/// The creatives at the top by clicks and the writer schemas of a report.
fn batch_seen(report: &shared::batch::BatchReport) -> BatchSeen {
    let top_clicks = report
        .top_by_clicks
        .iter()
        .map(|g| g.clicks)
        .max()
        .unwrap_or(0);
    BatchSeen {
        top: report
            .top_by_clicks
            .iter()
            .filter(|g| g.clicks == top_clicks && top_clicks > 0)
            .map(|g| g.key.clone())
            .collect(),
        top_clicks,
        writer_ids: report
            .schemas
            .iter()
            .filter(|s| s.records > 0 && s.status == DECODED)
            .map(|s| s.schema_id)
            .collect(),
    }
}

/// Whether a stream checkpoint folder is the one of `topic` (`…/stream/<topic>`).
fn ends_with_topic(checkpoint: &str, topic: &Topic) -> bool {
    std::path::Path::new(checkpoint)
        .file_name()
        .is_some_and(|f| f == topic.as_str())
}

/// Spark's watermark text (`2024-01-01T00:01:30.000Z`) in ms since the epoch, with the text.
pub fn parse_watermark(text: &str) -> Option<(i64, String)> {
    let at = chrono::DateTime::parse_from_rfc3339(text.trim()).ok()?;
    Some((at.timestamp_millis(), text.trim().to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::batch::{BatchReport, Group, SchemaUse};
    use shared::protocol::{
        CompatibilityReport, ErrorInfo, ProduceFinished, ProduceUpdate, RegisteredSchema,
        RequestId, StreamProgress, WindowCount,
    };

    fn topic() -> Topic {
        Topic::new("ada.clicks-avro").unwrap_or_else(|e| panic!("{e}"))
    }

    fn reply(response: Response) -> ServerMessage {
        ServerMessage::Reply {
            id: RequestId(1),
            response,
        }
    }

    fn push(push: Push) -> ServerMessage {
        ServerMessage::Push(push)
    }

    fn progress(job: u64, watermark: &str) -> ServerMessage {
        push(Push::StreamProgress(StreamProgress {
            job: JobId(job),
            batch_id: 1,
            input_rows: 0,
            input_rows_per_sec: 0.0,
            processed_rows_per_sec: 0.0,
            batch_duration_ms: 1,
            watermark: Some(watermark.into()),
            dropped_late: 0,
            poison: 0,
        }))
    }

    fn windows(job: u64, ends: &[i64]) -> ServerMessage {
        push(Push::StreamWindows {
            job: JobId(job),
            windows: ends
                .iter()
                .map(|&end_ms| WindowCount {
                    start_ms: end_ms - 60_000,
                    end_ms,
                    creative_id: "cr-1".into(),
                    clicks: 1,
                    cost_cents: 1,
                })
                .collect(),
        })
    }

    fn started_stream(seen: &mut Seen, job: u64, checkpoint: &str) {
        seen.hear(
            &topic(),
            &reply(Response::StreamStarted {
                job: JobId(job),
                checkpoint: checkpoint.into(),
            }),
        );
    }

    #[test]
    fn watermarks_parse_as_spark_prints_them() {
        assert_eq!(
            parse_watermark("1970-01-01T00:01:00.000Z").map(|w| w.0),
            Some(60_000)
        );
        assert_eq!(parse_watermark("soon"), None);
    }

    #[test]
    fn a_window_closes_once_the_watermark_passes_its_end() {
        let mut seen = Seen::default();
        started_stream(&mut seen, 4, "/data/stream/ada.clicks-avro");
        assert!(
            seen.hear(&topic(), &progress(4, "1970-01-01T00:00:00.000Z")),
            "a first watermark changes what step 5 asks for"
        );
        assert!(
            !seen.hear(&topic(), &progress(4, "1970-01-01T00:00:00.000Z")),
            "the same watermark again changes nothing"
        );
        seen.hear(&topic(), &windows(4, &[180_000, 120_000]));
        assert_eq!(seen.closed, None, "the watermark is still at 0");
        assert!(seen.hear(&topic(), &progress(4, "1970-01-01T00:02:00.000Z")));
        assert_eq!(
            seen.closed,
            Some(ClosedWindow {
                start_ms: 60_000,
                end_ms: 120_000,
                watermark: "1970-01-01T00:02:00.000Z".into()
            })
        );
    }

    #[test]
    fn streams_over_other_topics_are_ignored() {
        let mut seen = Seen::default();
        started_stream(&mut seen, 4, "/data/stream/ada.other");
        seen.hear(&topic(), &windows(4, &[60_000]));
        seen.hear(&topic(), &progress(4, "1970-01-01T01:00:00.000Z"));
        assert_eq!(seen.closed, None);
    }

    #[test]
    fn refusals_batches_and_produced_writers_are_noted() {
        let mut seen = Seen::default();
        let report = CompatibilityReport {
            subject: topic().value_subject(),
            compatible: false,
            against_version: Some(1),
            level: "BACKWARD".into(),
            reasons: vec![],
        };
        assert!(seen.hear(&topic(), &reply(Response::Compatibility(report))));
        assert!(seen.refused);

        let schema = RegisteredSchema {
            subject: topic().value_subject(),
            version: 2,
            id: SchemaId(9),
            schema: "{}".into(),
        };
        seen.hear(
            &topic(),
            &reply(Response::ProduceStarted {
                job: JobId(2),
                schema,
                topic_created: false,
                event_start_ms: 0,
            }),
        );
        let finished = ProduceUpdate {
            job: JobId(2),
            elapsed_ms: 1,
            sent: 5,
            acknowledged: 5,
            failed: 0,
            rate: 1.0,
            p50_ms: 1.0,
            p99_ms: 1.0,
            finished: Some(ProduceFinished {
                stopped: "all records sent".into(),
                not_delivered: 0,
                first_error: None,
                records: 5,
                poison: 0,
                duplicates: 0,
            }),
        };
        assert!(seen.hear(&topic(), &push(Push::Produce(finished))));
        assert_eq!(seen.produced_ids, BTreeSet::from([SchemaId(9)]));

        let mut report = BatchReport::empty(topic().to_string(), vec![]);
        let group = |key: &str, clicks| Group {
            key: key.into(),
            clicks,
            cost_cents: 0,
        };
        report.top_by_clicks = vec![group("cr-2", 7), group("cr-9", 7), group("cr-1", 3)];
        report.schemas = vec![
            SchemaUse {
                schema_id: 9,
                records: 10,
                status: "decoded".into(),
            },
            SchemaUse {
                schema_id: 77,
                records: 2,
                status: "unknown".into(),
            },
        ];
        let done = push(Push::BatchDone {
            job: JobId(3),
            outcome: BatchOutcome::Finished(Box::new(report.clone())),
        });
        assert!(seen.hear(&topic(), &done));
        assert_eq!(
            seen.batch,
            Some(BatchSeen {
                top: vec!["cr-2".into(), "cr-9".into()],
                top_clicks: 7,
                writer_ids: vec![9]
            })
        );
        report.topic = "ada.other".into();
        let other = push(Push::BatchDone {
            job: JobId(4),
            outcome: BatchOutcome::Finished(Box::new(report)),
        });
        assert!(!seen.hear(&topic(), &other), "another topic's report");
    }

    #[test]
    fn an_incompatible_failure_counts_as_a_refusal() {
        let mut seen = Seen::default();
        let failed = ServerMessage::Failed {
            id: RequestId(1),
            error: ErrorInfo {
                code: ErrorCode::Incompatible,
                message: "no".into(),
            },
        };
        assert!(seen.hear(&topic(), &failed));
        assert!(seen.refused);
    }
}
