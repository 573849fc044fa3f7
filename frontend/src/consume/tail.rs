//! The state of the running tail, shared by the Consume section's components: the book of
//! records it feeds, the writer schemas it fetches once per id, the frames that arrive before the
//! bridge's answer naming the tail, the filter, the selection and the measured rate.
//!
//! The tail is keyed by the bridge session that started it: frames and pushes are taken only
//! from that session, so a new session's tail that happens to get the same id is never mixed up
//! with a tail that a bridge restart cut off.

use super::book::{Row, TailBook, Writer};
use super::filter::Matching;
use crate::ws::session::SessionJob;
use crate::ws::CallError;
use leptos::prelude::*;
use shared::protocol::{ErrorCode, SubjectVersion, TailLag};
use shared::tail::{RecordRef, TailFrame};
use shared::{SchemaId, Topic};
use std::sync::Arc;
use std::time::Duration;

/// How often the view catches up with the records that arrived.
const REFRESH: Duration = Duration::from_millis(100);

/// What the section's components share.
#[derive(Clone, Copy)]
pub struct TailState {
    pub(super) book: StoredValue<TailBook, LocalStorage>,
    /// Bumped when the book changed and the view should catch up.
    tick: RwSignal<u64>,
    refresh_due: StoredValue<bool, LocalStorage>,
    /// The running tail, and the session that started it.
    pub(super) tail: RwSignal<Option<SessionJob>>,
    /// The topic it reads.
    pub(super) topic: RwSignal<Option<Topic>>,
    /// Frames that arrived while the bridge's answer to `StartTail` was on its way (the tail
    /// may send before its answer is read), with the session they came on; `None` when no
    /// start is pending.
    pub(super) early: StoredValue<Option<Vec<(u32, TailFrame)>>, LocalStorage>,
    /// The tail's latest positions, as the bridge last reported them.
    pub(super) lag: RwSignal<Option<(SessionJob, TailLag)>>,
    pub(super) paused: RwSignal<bool>,
    /// The record being inspected.
    pub(super) selected: RwSignal<Option<Row>>,
    /// Field the filter looks at (`""` for any).
    pub(super) filter_field: RwSignal<String>,
    /// Text the field must contain.
    pub(super) filter_text: RwSignal<String>,
    /// Show poison pills only.
    pub(super) poison_only: RwSignal<bool>,
    /// The rows the filter keeps, brought up to date as the view catches up.
    pub(super) matching: StoredValue<Matching, LocalStorage>,
    /// Records per second, as last measured.
    pub(super) rate: RwSignal<f64>,
    last_count: StoredValue<(f64, u64), LocalStorage>,
}

impl TailState {
    pub(super) fn new() -> Self {
        Self {
            book: StoredValue::new_local(TailBook::new()),
            tick: RwSignal::new(0),
            refresh_due: StoredValue::new_local(false),
            tail: RwSignal::new(None),
            topic: RwSignal::new(None),
            early: StoredValue::new_local(None),
            lag: RwSignal::new(None),
            paused: RwSignal::new(false),
            selected: RwSignal::new(None),
            filter_field: RwSignal::new(String::new()),
            filter_text: RwSignal::new(String::new()),
            poison_only: RwSignal::new(false),
            matching: StoredValue::new_local(Matching::default()),
            rate: RwSignal::new(0.0),
            last_count: StoredValue::new_local((now_ms(), 0)),
        }
    }

    /// Reads the book (tracks the tick, so views catch up with it).
    pub fn with_book<T>(self, f: impl FnOnce(&TailBook) -> T) -> Option<T> {
        self.tick.track();
        self.book.try_with_value(f)
    }

    /// Asks the view to catch up soon (at most every [`REFRESH`]).
    fn refresh(self) {
        if self.refresh_due.get_value() {
            return;
        }
        self.refresh_due.set_value(true);
        set_timeout(
            move || {
                self.refresh_due.set_value(false);
                self.measure_rate();
                self.tick.update(|t| *t += 1);
            },
            REFRESH,
        );
    }

    fn measure_rate(self) {
        let now = now_ms();
        let (then, before) = self.last_count.get_value();
        if now - then >= 1000.0 {
            let received = self.book.with_value(|b| b.counts().received);
            self.rate
                .set((received - before) as f64 * 1000.0 / (now - then));
            self.last_count.set_value((now, received));
        }
    }

    /// Takes a binary tail frame the bridge sent in `session`; returns the writer schema ids to
    /// fetch.
    pub(super) fn take_frame(self, session: u32, bytes: &[u8]) -> Vec<SchemaId> {
        let Ok(frame) = shared::tail::read_in_place(bytes) else {
            leptos::logging::warn!("ignored a tail frame that does not read");
            return Vec::new();
        };
        let owned = self
            .tail
            .get_untracked()
            .is_some_and(|t| t.owns(session, frame.tail));
        if !owned {
            self.early.update_value(|early| {
                if let Some(early) = early {
                    early.push((session, frame.to_owned()));
                }
            });
            return Vec::new();
        }
        self.feed(&frame.records)
    }

    /// Feeds records that borrow a frame's bytes.
    fn feed(self, records: &[RecordRef<'_>]) -> Vec<SchemaId> {
        let fetch = self
            .book
            .try_update_value(|b| b.feed_in_place(records.iter().copied()))
            .unwrap_or_default();
        self.refresh();
        fetch
    }

    /// The writer schema `id` was fetched (or could not be).
    pub(super) fn schema_arrived(self, id: SchemaId, writer: Writer) {
        self.book.update_value(|b| b.schema_arrived(id, writer));
        self.refresh();
    }

    /// The tail `tail` started: takes the frames that came before the answer; returns the
    /// writer schema ids to fetch.
    pub(super) fn started(self, tail: SessionJob) -> Vec<SchemaId> {
        self.paused.set(false);
        self.tail.set(Some(tail));
        let early = self
            .early
            .try_update_value(Option::take)
            .flatten()
            .unwrap_or_default();
        early
            .into_iter()
            .filter(|(session, f)| tail.owns(*session, f.tail))
            .flat_map(|(_, frame): (u32, TailFrame)| {
                let records: Vec<RecordRef<'_>> =
                    frame.records.iter().map(|r| r.as_ref()).collect();
                self.feed(&records)
            })
            .collect()
    }

    /// Forgets everything shown (a new tail starts clean).
    pub(super) fn reset(self) {
        self.book.set_value(TailBook::new());
        self.matching.set_value(Matching::default());
        self.lag.set(None);
        self.selected.set(None);
        self.rate.set(0.0);
        self.last_count.set_value((now_ms(), 0));
        self.tick.update(|t| *t += 1);
    }
}

/// The writer a `GetSchemaById` call found: the schema parsed, or why there is none.
pub(super) fn writer_of(found: Result<(String, Vec<SubjectVersion>), CallError>) -> Writer {
    match found {
        Ok((text, versions)) => match shared::names::parse_schema(&text) {
            Ok(parsed) => Writer::Known {
                schema: Arc::new(parsed),
                text,
                versions,
            },
            Err(e) => Writer::Failed(format!("the registered schema does not parse: {e}")),
        },
        Err(e) if e.code() == Some(ErrorCode::NotFound) => Writer::Missing,
        Err(e) => Writer::Failed(e.to_string()),
    }
}

/// A tail's new report over its last: a position or end the new one does not know (a report
/// made as the tail stops) keeps its last known value, so the table never loses what it showed.
pub(super) fn merge_lag(before: &TailLag, mut now: TailLag) -> TailLag {
    for p in &mut now.partitions {
        if let Some(old) = before
            .partitions
            .iter()
            .find(|o| o.partition == p.partition)
        {
            p.next_offset = p.next_offset.or(old.next_offset);
            p.high_watermark = p.high_watermark.or(old.high_watermark);
        }
    }
    now
}

/// The page clock, in milliseconds.
fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::{JobId, PartitionLag};

    fn lag(parts: &[(i32, Option<i64>, Option<i64>)]) -> TailLag {
        TailLag {
            tail: JobId(1),
            partitions: parts
                .iter()
                .map(|&(partition, next_offset, high_watermark)| PartitionLag {
                    partition,
                    next_offset,
                    high_watermark,
                })
                .collect(),
        }
    }

    #[test]
    fn a_report_without_positions_keeps_the_last_known_ones() {
        let before = lag(&[(0, Some(382), Some(382)), (1, Some(10), Some(412))]);
        let now = lag(&[(0, None, Some(390)), (1, Some(12), None), (2, None, None)]);
        assert_eq!(
            merge_lag(&before, now),
            lag(&[
                (0, Some(382), Some(390)),
                (1, Some(12), Some(412)),
                (2, None, None)
            ])
        );
    }
}
