//! Where the tail's kept rows live: by column, in a few large buffers, not as an object per row.
//! Every row's key and value bytes sit in one byte arena, its decoded cells in one cell arena,
//! and a fixed-size entry per row says where; the rare extras (a poison pill's reason, values
//! `apache-avro` decoded) sit in side queues keyed by arrival number. Both arenas are rings of
//! chunks: a chunk is freed once the oldest kept row is past it, so memory follows the rows kept.
//! Pure; tested natively.

use apache_avro::types::Value;
use shared::decode::Cell;
use shared::tail::RecordRef;
use shared::SchemaId;
use std::collections::VecDeque;

/// Bytes per chunk of the byte arena.
const BYTE_CHUNK: usize = 1 << 20;
/// Cells per chunk of the cell arena.
const CELL_CHUNK: usize = 1 << 16;
/// The length kept for a missing key or value.
const NULL: u32 = u32::MAX;

/// Where a run of items lies in an [`Arena`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Loc {
    chunk: u32,
    start: u32,
    len: u32,
}

/// A ring of chunks that items are appended to; a run never straddles two chunks.
#[derive(Debug)]
struct Arena<T> {
    chunks: VecDeque<Vec<T>>,
    /// The number of `chunks[0]`.
    first: u32,
    chunk_len: usize,
}

impl<T: Copy> Arena<T> {
    fn new(chunk_len: usize) -> Self {
        Self {
            chunks: VecDeque::new(),
            first: 0,
            chunk_len,
        }
    }

    /// Appends `parts` as one run (a run longer than a chunk gets a chunk of its own).
    fn push(&mut self, parts: &[&[T]]) -> Loc {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let fits = self
            .chunks
            .back()
            .is_some_and(|c| c.len() + len <= c.capacity());
        if !fits {
            self.chunks
                .push_back(Vec::with_capacity(self.chunk_len.max(len)));
        }
        let number = self.first.wrapping_add(self.chunks.len() as u32 - 1);
        let chunk = self.chunks.back_mut();
        let start = chunk.as_ref().map_or(0, |c| c.len());
        if let Some(chunk) = chunk {
            for part in parts {
                chunk.extend_from_slice(part);
            }
        }
        Loc {
            chunk: number,
            start: start as u32,
            len: len as u32,
        }
    }

    fn get(&self, loc: Loc) -> &[T] {
        let start = loc.start as usize;
        self.chunks
            .get(loc.chunk.wrapping_sub(self.first) as usize)
            .and_then(|c| c.get(start..start + loc.len as usize))
            .unwrap_or_default()
    }

    /// Frees the chunks before chunk number `chunk`.
    fn release_before(&mut self, chunk: u32) {
        while self.first != chunk && self.chunks.len() > 1 {
            self.chunks.pop_front();
            self.first = self.first.wrapping_add(1);
        }
    }

    /// Bytes held, counting every chunk's whole capacity.
    fn footprint(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| c.capacity() * size_of::<T>())
            .sum()
    }
}

/// A kept row's fixed-size entry.
#[derive(Debug, Clone, Copy)]
struct Entry {
    partition: i32,
    offset: i64,
    timestamp_ms: i64,
    /// The key's bytes, then the value's.
    bytes: Loc,
    key_len: u32,
    value_len: u32,
    cells: Loc,
    kind: Kind,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Decoded with writer schema `id`; `values` when `apache-avro` values are kept for it.
    Decoded {
        id: SchemaId,
        values: bool,
    },
    Poison,
}

/// What decoding made of a record, as the store takes it.
#[derive(Debug)]
pub enum Outcome<'a, P> {
    /// Decoded by writer schema `id`: its cells, and the `apache-avro` values they point to.
    Decoded {
        /// The writer schema's id.
        id: SchemaId,
        /// The cells, in the writer's field order.
        cells: &'a [Cell],
        /// The values of fields outside the planned decoder.
        values: &'a [Value],
    },
    /// A poison pill, and why.
    Poison(P),
}

/// A kept row, borrowed from the store.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a, P> {
    /// Arrival order, from 1.
    pub seq: u64,
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Its timestamp, milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// Its key, if any.
    pub key: Option<&'a [u8]>,
    /// Its value, if any.
    pub value: Option<&'a [u8]>,
    /// What decoding made of it.
    pub outcome: StoredOutcome<'a, P>,
}

/// What decoding made of a kept row.
#[derive(Debug, Clone, Copy)]
pub enum StoredOutcome<'a, P> {
    /// Decoded by writer schema `id`.
    Decoded {
        /// The writer schema's id.
        id: SchemaId,
        /// The cells.
        cells: &'a [Cell],
        /// The values of fields outside the planned decoder.
        values: &'a [Value],
    },
    /// A poison pill.
    Poison(&'a P),
}

/// The newest `capacity` rows, oldest first; `P` says why a poison pill is one.
#[derive(Debug)]
pub struct Store<P> {
    capacity: usize,
    entries: VecDeque<Entry>,
    bytes: Arena<u8>,
    cells: Arena<Cell>,
    poisons: VecDeque<(u64, P)>,
    values: VecDeque<(u64, Vec<Value>)>,
    /// The arrival number of the next row.
    next_seq: u64,
}

impl<P> Store<P> {
    /// An empty store that keeps at most `capacity` rows (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: VecDeque::new(),
            bytes: Arena::new(BYTE_CHUNK),
            cells: Arena::new(CELL_CHUNK),
            poisons: VecDeque::new(),
            values: VecDeque::new(),
            next_seq: 1,
        }
    }

    /// Keeps a record and what decoding made of it, making room by dropping the oldest row.
    pub fn push(&mut self, record: &RecordRef<'_>, outcome: Outcome<'_, P>) {
        if self.entries.len() == self.capacity {
            self.drop_oldest();
        }
        let (key, value) = (
            record.key.unwrap_or_default(),
            record.value.unwrap_or_default(),
        );
        let seq = self.next_seq;
        self.next_seq += 1;
        let (cells, kind) = match outcome {
            Outcome::Decoded { id, cells, values } => {
                if !values.is_empty() {
                    self.values.push_back((seq, values.to_vec()));
                }
                let kind = Kind::Decoded {
                    id,
                    values: !values.is_empty(),
                };
                (self.cells.push(&[cells]), kind)
            }
            Outcome::Poison(p) => {
                self.poisons.push_back((seq, p));
                (self.cells.push(&[]), Kind::Poison)
            }
        };
        if self.entries.len() == self.entries.capacity() {
            // Grows by doubling, as a VecDeque would, but never past the rows kept.
            let more = self
                .entries
                .len()
                .max(64)
                .min(self.capacity - self.entries.len());
            self.entries.reserve_exact(more);
        }
        self.entries.push_back(Entry {
            partition: record.partition,
            offset: record.offset,
            timestamp_ms: record.timestamp_ms,
            bytes: self.bytes.push(&[key, value]),
            key_len: record.key.map_or(NULL, |k| k.len() as u32),
            value_len: record.value.map_or(NULL, |v| v.len() as u32),
            cells,
            kind,
        });
    }

    fn drop_oldest(&mut self) {
        if self.entries.pop_front().is_none() {
            return;
        }
        let first = self.first_seq();
        while self.poisons.front().is_some_and(|(seq, _)| *seq < first) {
            self.poisons.pop_front();
        }
        while self.values.front().is_some_and(|(seq, _)| *seq < first) {
            self.values.pop_front();
        }
        if let Some(front) = self.entries.front() {
            self.bytes.release_before(front.bytes.chunk);
            self.cells.release_before(front.cells.chunk);
        }
    }

    /// Rows kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no row is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The arrival number of the oldest kept row (of the next row when none is kept).
    pub fn first_seq(&self) -> u64 {
        self.next_seq - self.entries.len() as u64
    }

    /// The row at position `index`, oldest first.
    pub fn get(&self, index: usize) -> Option<Stored<'_, P>> {
        let entry = self.entries.get(index)?;
        let seq = self.first_seq() + index as u64;
        let bytes = self.bytes.get(entry.bytes);
        let key_len = if entry.key_len == NULL {
            0
        } else {
            entry.key_len as usize
        };
        let (key, value) = bytes.split_at(key_len.min(bytes.len()));
        let outcome = match entry.kind {
            Kind::Decoded { id, values } => StoredOutcome::Decoded {
                id,
                cells: self.cells.get(entry.cells),
                values: if values {
                    side(&self.values, seq).map_or(&[][..], Vec::as_slice)
                } else {
                    &[]
                },
            },
            Kind::Poison => StoredOutcome::Poison(side(&self.poisons, seq)?),
        };
        Some(Stored {
            seq,
            partition: entry.partition,
            offset: entry.offset,
            timestamp_ms: entry.timestamp_ms,
            key: (entry.key_len != NULL).then_some(key),
            value: (entry.value_len != NULL).then_some(value),
            outcome,
        })
    }

    /// Bytes the store holds (entries, arenas and side queues, by capacity; the contents of a
    /// poison pill's reason and of `apache-avro` values left out).
    pub fn footprint(&self) -> usize {
        self.entries.capacity() * size_of::<Entry>()
            + self.bytes.footprint()
            + self.cells.footprint()
            + self.poisons.capacity() * size_of::<(u64, P)>()
            + self.values.capacity() * size_of::<(u64, Vec<Value>)>()
    }
}

/// The item of a side queue kept for row `seq`.
fn side<T>(queue: &VecDeque<(u64, T)>, seq: u64) -> Option<&T> {
    let at = queue.binary_search_by_key(&seq, |(s, _)| *s).ok()?;
    queue.get(at).map(|(_, item)| item)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(offset: i64, key: Option<&[u8]>, value: Option<&[u8]>) -> RecordRef<'static> {
        let leak = |b: &[u8]| -> &'static [u8] { Box::leak(b.to_vec().into_boxed_slice()) };
        RecordRef {
            partition: (offset % 3) as i32,
            offset,
            timestamp_ms: offset * 10,
            key: key.map(leak),
            value: value.map(leak),
        }
    }

    fn decoded(id: u32, cells: &[Cell]) -> Outcome<'_, String> {
        Outcome::Decoded {
            id: SchemaId(id),
            cells,
            values: &[],
        }
    }

    #[test]
    fn rows_read_back_with_their_bytes_cells_and_nulls_apart() {
        let mut store = Store::<String>::new(10);
        let cells = [Cell::Int(7), Cell::Bool(true)];
        store.push(&record(0, Some(b"k"), Some(b"value")), decoded(1, &cells));
        store.push(&record(1, None, Some(b"")), Outcome::Poison("empty".into()));
        store.push(&record(2, Some(b""), None), decoded(2, &[]));
        let row = store.get(0).unwrap_or_else(|| panic!("no row 0"));
        assert_eq!(
            (row.seq, row.partition, row.offset, row.timestamp_ms),
            (1, 0, 0, 0)
        );
        assert_eq!((row.key, row.value), (Some(&b"k"[..]), Some(&b"value"[..])));
        assert!(matches!(
            row.outcome,
            StoredOutcome::Decoded { id: SchemaId(1), cells: c, .. } if c == cells
        ));
        let row = store.get(1).unwrap_or_else(|| panic!("no row 1"));
        assert_eq!((row.key, row.value), (None, Some(&b""[..])));
        assert!(matches!(row.outcome, StoredOutcome::Poison(p) if p == "empty"));
        let row = store.get(2).unwrap_or_else(|| panic!("no row 2"));
        assert_eq!((row.key, row.value), (Some(&b""[..]), None));
        assert!(store.get(3).is_none());
    }

    #[test]
    fn the_ring_wraps_at_capacity_keeping_the_newest_and_their_poison() {
        let mut store = Store::<String>::new(100);
        for offset in 0..1_050_i64 {
            let value = offset.to_le_bytes();
            if offset % 7 == 0 {
                store.push(
                    &record(offset, None, Some(&value)),
                    Outcome::Poison(format!("p{offset}")),
                );
            } else {
                let cells = [Cell::Long(offset)];
                store.push(
                    &record(offset, Some(b"key"), Some(&value)),
                    decoded(1, &cells),
                );
            }
        }
        assert_eq!(store.len(), 100);
        assert_eq!(store.first_seq(), 951);
        for index in 0..100 {
            let row = store.get(index).unwrap_or_else(|| panic!("no row {index}"));
            let offset = 950 + index as i64;
            assert_eq!((row.seq, row.offset), (offset as u64 + 1, offset));
            assert_eq!(row.value, Some(&offset.to_le_bytes()[..]), "row {index}");
            match row.outcome {
                StoredOutcome::Poison(p) => assert_eq!(*p, format!("p{offset}")),
                StoredOutcome::Decoded { cells, .. } => {
                    assert_eq!(cells, [Cell::Long(offset)]);
                    assert_eq!(row.key, Some(&b"key"[..]));
                }
            }
        }
        assert_eq!(
            store.poisons.len(),
            (950..1_050).filter(|o| o % 7 == 0).count()
        );
    }

    #[test]
    fn chunks_are_freed_as_the_oldest_rows_go() {
        let mut store = Store::<String>::new(1_000);
        let big = vec![1u8; 64 * 1024];
        for offset in 0..200 {
            store.push(&record(offset, None, Some(&big)), decoded(1, &[Cell::Null]));
        }
        // 1,000 rows of 64 KiB would be 64 MiB; the ring holds the last ~200 rows' chunks.
        let held = store.bytes.footprint();
        assert!(held <= 14 * BYTE_CHUNK, "{held}");
        let mut small = Store::<String>::new(10);
        for offset in 0..100_000 {
            small.push(
                &record(offset, None, Some(&big[..100])),
                decoded(1, &[Cell::Null]),
            );
        }
        assert!(
            small.bytes.chunks.len() <= 2,
            "{}",
            small.bytes.chunks.len()
        );
        assert!(
            small.cells.chunks.len() <= 2,
            "{}",
            small.cells.chunks.len()
        );
        assert_eq!(small.get(9).map(|r| r.offset), Some(99_999));
    }

    #[test]
    fn a_run_longer_than_a_chunk_gets_a_chunk_of_its_own() {
        let mut arena = Arena::<u8>::new(4);
        let a = arena.push(&[b"ab"]);
        let b = arena.push(&[b"cdefgh"]);
        let c = arena.push(&[b"i", b"j"]);
        assert_eq!(arena.get(a), b"ab");
        assert_eq!(arena.get(b), b"cdefgh");
        assert_eq!(arena.get(c), b"ij");
        assert_eq!((a.chunk, b.chunk, c.chunk), (0, 1, 2));
        arena.release_before(2);
        assert_eq!(arena.get(c), b"ij");
        assert_eq!(arena.get(a), b"", "a freed run reads as nothing");
    }
}
