//! The guided steps' verdicts, as pure functions of what the bridge found: the registry's
//! subject, the topic's record count, the record at a position, and what the attendee's session
//! showed ([`Seen`]). The lookups themselves are in [`super::probe`].

use super::seen::{ClosedWindow, Seen, StreamStanding};
use shared::decode::PoisonReason;
use shared::generator::PAGE_EVENTS_PER_SECOND;
use shared::workshop::{Step, StepCheck, StepState};
use shared::SchemaId;

/// Records the Produce step asks for.
pub const RECORDS_WANTED: u64 = 1_000;

/// The fields of the fixed click schema (`schemas/click_v1.avsc`).
pub fn v1_fields() -> Vec<String> {
    let text = include_str!("../../../schemas/click_v1.avsc");
    match apache_avro::Schema::parse_str(text) {
        Ok(schema) => record_fields(&schema).into_iter().map(|f| f.name).collect(),
        Err(_) => Vec::new(),
    }
}

/// A record field: its name and whether it has a default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The name.
    pub name: String,
    /// Whether it has a default.
    pub defaulted: bool,
}

/// The top-level fields of a record schema (none for other schemas).
pub fn record_fields(schema: &apache_avro::Schema) -> Vec<Field> {
    match schema {
        apache_avro::Schema::Record(record) => record
            .fields
            .iter()
            .map(|f| Field {
                name: f.name.clone(),
                defaulted: f.default.is_some(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The attendee's value subject as the registry holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Nothing registered.
    Missing,
    /// Its versions, and the latest one's text.
    Found {
        /// Version numbers, ascending.
        versions: Vec<u32>,
        /// The latest version's schema.
        latest: String,
    },
}

/// What is at the position an attendee named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// The topic does not exist.
    NoTopic,
    /// The topic has no such partition.
    NoPartition {
        /// How many it has.
        partitions: usize,
    },
    /// The offset is outside the partition's records.
    OutOfRange {
        /// The first offset held.
        low: i64,
        /// One past the last.
        high: i64,
    },
    /// The record did not arrive in time.
    NotRead,
    /// A poison pill.
    Poison(PoisonReason),
    /// A click that decodes with its writer schema.
    Click(SchemaId),
}

fn check(step: Step, state: StepState, summary: String, missing: Vec<String>) -> StepCheck {
    StepCheck::verdict(step, state, summary, missing)
}

/// `Passed` when `done`, else `otherwise`.
fn passed_or(done: bool, otherwise: StepState) -> StepState {
    if done {
        StepState::Passed
    } else {
        otherwise
    }
}

/// A check that could not ask the services.
pub fn unreachable(step: Step, problem: &str) -> StepCheck {
    check(
        step,
        StepState::InProgress,
        format!("The bridge could not check this step: {problem}"),
        vec!["ask the instructor to check that the services are up, then check again".into()],
    )
}

/// Step 1: the subject's latest version is a record holding every field of the click.
pub fn schema(subject: &Subject, name: &str) -> StepCheck {
    let register = format!(
        "register the schema under {}-value (the seed's text does not parse: fix it in the editor first)",
        super::STEP_TOPIC
    );
    let Subject::Found { versions, latest } = subject else {
        return check(
            Step::Schema,
            StepState::NotStarted,
            format!("Nothing is registered under {name} yet."),
            vec![register],
        );
    };
    let version = versions.last().copied().unwrap_or(0);
    let parsed = match shared::names::parse_schema(latest) {
        Ok(parsed) => parsed,
        Err(e) => {
            let summary = format!("Version {version} of {name} does not parse as Avro: {e}.");
            return check(Step::Schema, StepState::Failed, summary, vec![register]);
        }
    };
    let fields: Vec<String> = record_fields(&parsed).into_iter().map(|f| f.name).collect();
    let lacking: Vec<String> = v1_fields()
        .into_iter()
        .filter(|f| !fields.contains(f))
        .collect();
    if fields.is_empty() {
        let summary = format!("Version {version} of {name} is not a record.");
        return check(Step::Schema, StepState::Failed, summary, vec![register]);
    }
    let done = lacking.is_empty();
    let summary = if done {
        format!(
            "Version {version} of {name} is a record with every field of the click ({} fields).",
            fields.len()
        )
    } else {
        format!("Version {version} of {name} lacks fields of the click.")
    };
    let missing = vec![
        format!(
            "version {version} lacks {}: the full click cannot simply follow it, because the registry checks each new version against the last (BACKWARD) and a field added without a default would leave version {version}'s records unreadable",
            lacking.join(", ")
        ),
        "press \"Start step 1 again\": it deletes your clicks-avro-value subject (nothing else), so the full click schema registers as version 1".into(),
    ];
    check(
        Step::Schema,
        passed_or(done, StepState::Failed),
        summary,
        missing,
    )
}

/// Step 2: the topic holds at least [`RECORDS_WANTED`] records.
pub fn produce(records: Option<u64>, topic: &str) -> StepCheck {
    let Some(records) = records else {
        return check(
            Step::Produce,
            StepState::NotStarted,
            format!("The topic {topic} does not exist yet."),
            vec![format!(
                "produce at least {RECORDS_WANTED} clicks to clicks-avro"
            )],
        );
    };
    let done = records >= RECORDS_WANTED;
    let summary = format!("{topic} holds {records} records.");
    let more = RECORDS_WANTED.saturating_sub(records);
    let missing = vec![format!(
        "produce {more} more records to clicks-avro (at least {RECORDS_WANTED} in all)"
    )];
    let short = if records == 0 {
        StepState::NotStarted
    } else {
        StepState::InProgress
    };
    check(Step::Produce, passed_or(done, short), summary, missing)
}

/// Reads `partition:offset`.
pub fn parse_position(answer: &str) -> Option<(i32, i64)> {
    let (partition, offset) = answer.trim().split_once(':')?;
    let partition = partition.trim().parse::<i32>().ok().filter(|p| *p >= 0)?;
    let offset = offset.trim().parse::<i64>().ok().filter(|o| *o >= 0)?;
    Some((partition, offset))
}

/// What the Consume step says to an answer that is not a position.
pub fn malformed_position(answer: Option<&str>) -> StepCheck {
    let (state, summary) = match answer.map(str::trim).filter(|a| !a.is_empty()) {
        Some(text) => (StepState::Failed, format!("{text:?} is not a position.")),
        None => (StepState::NotStarted, "No position was given.".into()),
    };
    check(
        Step::Consume,
        state,
        summary,
        vec![
            "answer with the poison pill's partition:offset as the inspector shows it, e.g. 0:17"
                .into(),
        ],
    )
}

/// Step 3: the record at `partition:offset` is a poison pill.
pub fn consume(partition: i32, offset: i64, found: &Position) -> StepCheck {
    let at = format!("{partition}:{offset}");
    let look = "look for a record the inspector marks as poison (too short, wrong magic byte, unknown schema id, undecodable) and answer with its partition:offset".to_owned();
    let (state, summary, missing) = match found {
        Position::Poison(reason) => (
            StepState::Passed,
            format!("{at} is a poison pill ({}): {reason}.", reason.kind()),
            vec![],
        ),
        Position::Click(id) => (
            StepState::Failed,
            format!("{at} decodes as a click with schema id {id}."),
            vec![look],
        ),
        Position::NoTopic => (
            StepState::NotStarted,
            "clicks-avro does not exist yet.".into(),
            vec!["produce clicks with some poison first".into()],
        ),
        Position::NoPartition { partitions } => (
            StepState::Failed,
            format!("clicks-avro has no partition {partition} (it has {partitions})."),
            vec![look],
        ),
        Position::OutOfRange { low, high } => (
            StepState::Failed,
            format!(
                "Partition {partition} holds offsets {low} to {} only.",
                high - 1
            ),
            vec![look],
        ),
        Position::NotRead => (
            StepState::InProgress,
            format!("The record at {at} could not be read in time."),
            vec!["check again in a moment".into()],
        ),
    };
    check(Step::Consume, state, summary, missing)
}

/// Step 4: `answer` names the top creative of the last batch report.
pub fn batch(answer: Option<&str>, seen: &Seen) -> StepCheck {
    let Some(report) = &seen.batch else {
        return check(
            Step::Batch,
            StepState::NotStarted,
            "No batch report over clicks-avro yet.".into(),
            vec!["run the batch job on clicks-avro first".into()],
        );
    };
    if report.top.is_empty() {
        return check(
            Step::Batch,
            StepState::InProgress,
            "The last batch report counted no clicks.".into(),
            vec!["produce clicks, then run the batch job again".into()],
        );
    }
    let answer = answer.map(str::trim).unwrap_or_default();
    let done = report.top.iter().any(|t| t.eq_ignore_ascii_case(answer));
    let summary = if done {
        format!(
            "{answer} leads with {} clicks in the last batch report.",
            report.top_clicks
        )
    } else if answer.is_empty() {
        "No creative was named.".into()
    } else {
        format!("{answer:?} is not the creative with the most clicks.")
    };
    let missing = vec!["name the creative at the top of the batch report's clicks table".into()];
    let wrong = if answer.is_empty() {
        StepState::InProgress
    } else {
        StepState::Failed
    };
    check(Step::Batch, passed_or(done, wrong), summary, missing)
}

/// Step 5: a window of the stream closed. While none has, says what will close the next one:
/// the watermark trails the newest event time by the query's delay, so the earliest window
/// closes once events reach as far past the watermark as the window's end lies ahead of it.
pub fn stream(closed: Option<&ClosedWindow>, standing: Option<StreamStanding>) -> StepCheck {
    let Some(w) = closed else {
        return stream_open(standing);
    };
    let summary = format!(
        "Window {}–{} closed at watermark {}.",
        clock(w.start_ms),
        clock(w.end_ms),
        w.watermark
    );
    check(Step::Stream, StepState::Passed, summary, vec![])
}

fn stream_open(standing: Option<StreamStanding>) -> StepCheck {
    let open =
        |state, summary: String, what: String| check(Step::Stream, state, summary, vec![what]);
    let Some(standing) = standing else {
        return open(
            StepState::NotStarted,
            "No stream is running over clicks-avro.".into(),
            "start the stream on clicks-avro in step 5 and keep it running".into(),
        );
    };
    let (Some((start, end)), Some(mark)) = (standing.earliest, standing.watermark_ms) else {
        return open(
            StepState::InProgress,
            "The stream runs; no window has been counted yet.".into(),
            format!(
                "produce {RECORDS_WANTED} clicks to clicks-avro while the stream runs: its first micro-batch counts them and sets the watermark"
            ),
        );
    };
    let ahead_ms = (end - mark).max(0);
    let clicks = (ahead_ms as f64 * PAGE_EVENTS_PER_SECOND / 1000.0).ceil() as u64;
    // Rounded up to a hundred, with a margin for the late and duplicated clicks of a run.
    let suggest = (clicks + clicks / 10).div_ceil(100) * 100;
    open(
        StepState::InProgress,
        format!(
            "No window has closed yet: the watermark is at {}, the window {}–{} closes when it reaches {}.",
            clock(mark),
            clock(start),
            clock(end),
            clock(end)
        ),
        format!(
            "produce about {suggest} more clicks to clicks-avro while the stream runs: the watermark must move {} s further, and each run continues the event time where the last one ended, {PAGE_EVENTS_PER_SECOND} clicks per second of it",
            (ahead_ms + 999) / 1000
        ),
    )
}

/// `HH:MM`, or `HH:MM:SS` off the minute, in UTC.
fn clock(ms: i64) -> String {
    let Some(at) = chrono::DateTime::from_timestamp_millis(ms) else {
        return ms.to_string();
    };
    if ms % 60_000 == 0 {
        at.format("%H:%M").to_string()
    } else {
        at.format("%H:%M:%S").to_string()
    }
}

/// The drill: v2 registered, an incompatible change refused, two writers in the topic, and a
/// batch that read both.
pub fn evolve(subject: &Subject, seen: &Seen) -> StepCheck {
    let added = added_with_default(subject);
    let batch_writers = seen.batch.as_ref().map_or(0, |b| b.writer_ids.len());
    let parts = [
        (
            added.is_some(),
            "register v2 (the click with a new field that has a default) as the next version of clicks-avro-value",
        ),
        (
            seen.refused,
            "try an incompatible change (e.g. a new field without a default) and see the registry refuse it",
        ),
        (
            seen.produced_ids.len() >= 2 || batch_writers >= 2,
            "produce records with v2, so clicks-avro holds records of two writer schemas",
        ),
        (
            batch_writers >= 2,
            "run the batch job again so it reads both writer schemas",
        ),
    ];
    let missing: Vec<String> = parts
        .iter()
        .filter(|(ok, _)| !ok)
        .map(|(_, what)| (*what).to_owned())
        .collect();
    let done = missing.is_empty();
    let summary = match added {
        Some(field) if done => format!(
            "The schema gained {field}, an incompatible change was refused, and the batch read both writers."
        ),
        _ => format!("{} of 4 parts of the drill done.", parts.len() - missing.len()),
    };
    let begun = if missing.len() < parts.len() {
        StepState::InProgress
    } else {
        StepState::NotStarted
    };
    check(Step::Evolve, passed_or(done, begun), summary, missing)
}

/// The first field of the latest version, when there are two or more, that v1 lacks and that
/// has a default.
fn added_with_default(subject: &Subject) -> Option<String> {
    let Subject::Found { versions, latest } = subject else {
        return None;
    };
    if versions.len() < 2 {
        return None;
    }
    let parsed = shared::names::parse_schema(latest).ok()?;
    let v1 = v1_fields();
    record_fields(&parsed)
        .into_iter()
        .find(|f| f.defaulted && !v1.contains(&f.name))
        .map(|f| f.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workshop::seen::BatchSeen;

    const V1: &str = include_str!("../../../schemas/click_v1.avsc");
    const V2: &str = include_str!("../../../schemas/click_v2.avsc");
    const NAME: &str = "ada.clicks-avro-value";

    fn found(versions: &[u32], latest: &str) -> Subject {
        Subject::Found {
            versions: versions.to_vec(),
            latest: latest.into(),
        }
    }

    #[test]
    fn the_click_fields_come_from_the_shipped_schema() {
        let fields = v1_fields();
        assert_eq!(fields.len(), 9);
        assert!(fields.contains(&"creative_id".to_owned()));
    }

    #[test]
    fn the_schema_step_wants_every_click_field() {
        let missing = schema(&Subject::Missing, NAME);
        assert!(!missing.done);
        assert_eq!(
            missing.missing,
            vec!["register the schema under clicks-avro-value (the seed's text does not parse: fix it in the editor first)".to_owned()]
        );
        assert!(schema(&found(&[1], V1), NAME).done);
        assert!(schema(&found(&[1, 2], V2), NAME).done, "v2 keeps them all");
        let short = r#"{"type":"record","name":"click","fields":[{"name":"id","type":"string"}]}"#;
        let partial = schema(&found(&[1], short), NAME);
        assert!(!partial.done);
        assert!(partial.missing[0].contains("creative_id"), "{partial:?}");
        assert_eq!(partial.state, StepState::Failed);
        assert!(
            partial.missing[1].contains("Start step 1 again"),
            "a way out is offered: {partial:?}"
        );
        assert!(!schema(&found(&[1], r#""string""#), NAME).done);
    }

    #[test]
    fn the_produce_step_says_how_many_more() {
        assert!(!produce(None, "ada.clicks-avro").done);
        let short = produce(Some(400), "ada.clicks-avro");
        assert!(!short.done);
        assert!(short.missing[0].contains("produce 600 more"), "{short:?}");
        let done = produce(Some(1_000), "ada.clicks-avro");
        assert!(done.done && done.missing.is_empty());
    }

    #[test]
    fn positions_parse_leniently_but_not_wrongly() {
        assert_eq!(parse_position(" 0:17 "), Some((0, 17)));
        assert_eq!(parse_position("2 : 5"), Some((2, 5)));
        for bad in ["", "17", "a:b", "-1:3", "0:-3", "0:1:2"] {
            assert_eq!(parse_position(bad), None, "{bad}");
        }
        assert!(!malformed_position(Some("x")).done);
    }

    #[test]
    fn only_a_poison_pill_completes_the_consume_step() {
        let pill = consume(
            0,
            3,
            &Position::Poison(PoisonReason::WrongMagic { found: 7 }),
        );
        assert!(pill.done);
        assert!(pill.summary.contains("wrong_magic"), "{}", pill.summary);
        let click = consume(0, 3, &Position::Click(SchemaId(1)));
        assert!(!click.done);
        assert!(click.summary.contains("decodes as a click"));
        let past = consume(0, 99, &Position::OutOfRange { low: 0, high: 10 });
        assert!(!past.done && past.summary.contains("0 to 9"), "{past:?}");
    }

    #[test]
    fn the_batch_step_accepts_any_creative_tied_at_the_top() {
        assert_eq!(
            batch(Some("cr-1"), &Seen::default()).missing,
            vec!["run the batch job on clicks-avro first".to_owned()]
        );
        let mut seen = Seen::default();
        seen.batch = Some(BatchSeen {
            top: vec!["cr-2".into(), "cr-9".into()],
            top_clicks: 7,
            writer_ids: vec![1],
        });
        assert!(batch(Some(" CR-9 "), &seen).done);
        assert!(batch(Some("cr-2"), &seen).done);
        assert!(!batch(Some("cr-1"), &seen).done);
        assert!(!batch(None, &seen).done);
    }

    #[test]
    fn the_stream_step_says_what_closes_the_next_window() {
        let none = stream(None, None);
        assert_eq!(none.state, StepState::NotStarted);
        let counting = stream(None, Some(StreamStanding::default()));
        assert_eq!(counting.state, StepState::InProgress);
        assert!(
            counting.missing[0].contains("produce 1000 clicks"),
            "{counting:?}"
        );
        // The watermark at 00:00:20 and the first window ending at 00:01:00: 40 s of event
        // time to go, 800 clicks at the page's 20 per second, suggested with a margin.
        let standing = StreamStanding {
            earliest: Some((0, 60_000)),
            watermark_ms: Some(20_000),
        };
        let open = stream(None, Some(standing));
        assert_eq!(open.state, StepState::InProgress);
        assert!(
            open.summary.contains("watermark is at 00:00:20"),
            "{}",
            open.summary
        );
        assert!(
            open.summary.contains("window 00:00–00:01"),
            "{}",
            open.summary
        );
        assert!(
            open.missing[0].starts_with("produce about 900 more clicks"),
            "{:?}",
            open.missing
        );
        assert!(
            open.missing[0].contains("move 40 s further"),
            "{:?}",
            open.missing
        );
    }

    #[test]
    fn the_stream_step_names_the_closed_window() {
        let closed = ClosedWindow {
            start_ms: 36_180_000,
            end_ms: 36_240_000,
            watermark: "1970-01-01T10:04:30.000Z".into(),
        };
        let done = stream(Some(&closed), None);
        assert!(done.done);
        assert!(
            done.summary.starts_with("Window 10:03–10:04 closed"),
            "{}",
            done.summary
        );
    }

    #[test]
    fn the_drill_lists_each_part_until_seen() {
        let none = evolve(&found(&[1], V1), &Seen::default());
        assert_eq!(none.missing.len(), 4);
        let mut seen = Seen::default();
        seen.refused = true;
        let registered = evolve(&found(&[1, 2], V2), &seen);
        assert_eq!(registered.missing.len(), 2, "{registered:?}");
        seen.batch = Some(BatchSeen {
            top: vec!["cr-1".into()],
            top_clicks: 1,
            writer_ids: vec![1, 2],
        });
        let done = evolve(&found(&[1, 2], V2), &seen);
        assert!(done.done, "{done:?}");
        assert!(done.summary.contains("country"), "{}", done.summary);
        let no_default = V2.replace(r#", "default": null"#, "");
        assert_eq!(evolve(&found(&[1, 2], &no_default), &seen).missing.len(), 1);
    }
}
