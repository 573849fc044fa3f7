//! The binary frame a tail's records travel in, bridge → browser: raw records exactly as Kafka
//! holds them (the browser decodes the values itself), many per WebSocket message.
//!
//! Layout, all integers little-endian:
//! ```text
//! "KDT1"  tail id: u64  count: u32
//! count × { partition: i32  offset: i64  timestamp_ms: i64  key: blob  value: blob }
//! blob = length: u32 (u32::MAX for null) then the bytes
//! ```
//! A JSON frame would cost a base64 string per value and a parse per field; this costs one copy.

use crate::protocol::JobId;

/// The first four bytes of every tail frame.
pub const MAGIC: [u8; 4] = *b"KDT1";
/// The length written for a null key or value.
const NULL: u32 = u32::MAX;
/// Bytes of the frame header.
const HEADER: usize = 16;

/// One Kafka record, undecoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// Its partition.
    pub partition: i32,
    /// Its offset in the partition.
    pub offset: i64,
    /// Its timestamp (create or log-append time), milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// Its key, if any.
    pub key: Option<Vec<u8>>,
    /// Its value, if any.
    pub value: Option<Vec<u8>>,
}

/// Why bytes are not a tail frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TailFrameError {
    /// The frame does not start with [`MAGIC`].
    #[error("not a tail frame (its first bytes are not the tail magic)")]
    NotATailFrame,
    /// The frame ends inside a record.
    #[error("the tail frame is cut short")]
    Truncated,
    /// Bytes remain after the last record.
    #[error("the tail frame has bytes after its last record")]
    TrailingBytes,
}

/// Builds one frame; records are appended as they come.
#[derive(Debug)]
pub struct FrameWriter {
    bytes: Vec<u8>,
    count: u32,
}

impl FrameWriter {
    /// An empty frame for `tail`, with room for `capacity` bytes.
    pub fn new(tail: JobId, capacity: usize) -> Self {
        let mut bytes = Vec::with_capacity(capacity.max(HEADER));
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&tail.0.to_le_bytes());
        bytes.extend_from_slice(&0u32.to_le_bytes());
        Self { bytes, count: 0 }
    }

    /// Appends a record.
    pub fn push(
        &mut self,
        partition: i32,
        offset: i64,
        timestamp_ms: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) {
        self.bytes.extend_from_slice(&partition.to_le_bytes());
        self.bytes.extend_from_slice(&offset.to_le_bytes());
        self.bytes.extend_from_slice(&timestamp_ms.to_le_bytes());
        blob(&mut self.bytes, key);
        blob(&mut self.bytes, value);
        self.count += 1;
    }

    /// Records so far.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes so far.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// The finished frame.
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes[12..HEADER].copy_from_slice(&self.count.to_le_bytes());
        self.bytes
    }
}

fn blob(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        // Kafka caps a record far below 4 GiB; a longer one would not have been fetched.
        Some(b) => {
            out.extend_from_slice(&u32::try_from(b.len()).unwrap_or(NULL - 1).to_le_bytes());
            out.extend_from_slice(b);
        }
        None => out.extend_from_slice(&NULL.to_le_bytes()),
    }
}

/// A frame read back: its tail and its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailFrame {
    /// The tail the records belong to.
    pub tail: JobId,
    /// The records, in the order read.
    pub records: Vec<RawRecord>,
}

/// Whether `bytes` look like a tail frame (cheap; [`read`] checks the rest).
pub fn is_tail_frame(bytes: &[u8]) -> bool {
    bytes.starts_with(&MAGIC)
}

/// One record of a frame, borrowed from the frame's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// Its partition.
    pub partition: i32,
    /// Its offset in the partition.
    pub offset: i64,
    /// Its timestamp, milliseconds since the epoch.
    pub timestamp_ms: i64,
    /// Its key, if any.
    pub key: Option<&'a [u8]>,
    /// Its value, if any.
    pub value: Option<&'a [u8]>,
}

impl RecordRef<'_> {
    /// The record with its own copies of the key and value.
    pub fn to_owned(&self) -> RawRecord {
        RawRecord {
            partition: self.partition,
            offset: self.offset,
            timestamp_ms: self.timestamp_ms,
            key: self.key.map(<[u8]>::to_vec),
            value: self.value.map(<[u8]>::to_vec),
        }
    }
}

impl RawRecord {
    /// The record, borrowed.
    pub fn as_ref(&self) -> RecordRef<'_> {
        RecordRef {
            partition: self.partition,
            offset: self.offset,
            timestamp_ms: self.timestamp_ms,
            key: self.key.as_deref(),
            value: self.value.as_deref(),
        }
    }
}

/// A frame read in place: its tail and its records, which borrow the frame's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRef<'a> {
    /// The tail the records belong to.
    pub tail: JobId,
    /// The records, in the order read.
    pub records: Vec<RecordRef<'a>>,
}

impl FrameRef<'_> {
    /// The frame with its own copies of every record.
    pub fn to_owned(&self) -> TailFrame {
        TailFrame {
            tail: self.tail,
            records: self.records.iter().map(RecordRef::to_owned).collect(),
        }
    }
}

/// Reads a whole frame.
pub fn read(bytes: &[u8]) -> Result<TailFrame, TailFrameError> {
    read_in_place(bytes).map(|frame| frame.to_owned())
}

/// Reads a whole frame without copying a key or value: the records point into `bytes`.
pub fn read_in_place(bytes: &[u8]) -> Result<FrameRef<'_>, TailFrameError> {
    if !is_tail_frame(bytes) {
        return Err(TailFrameError::NotATailFrame);
    }
    let mut cursor = Cursor { bytes, at: 4 };
    let tail = JobId(u64::from_le_bytes(cursor.array()?));
    let count = u32::from_le_bytes(cursor.array()?);
    // Each record takes at least 28 bytes: a lying count cannot make us reserve much.
    let mut records = Vec::with_capacity((count as usize).min(bytes.len() / 28));
    for _ in 0..count {
        records.push(RecordRef {
            partition: i32::from_le_bytes(cursor.array()?),
            offset: i64::from_le_bytes(cursor.array()?),
            timestamp_ms: i64::from_le_bytes(cursor.array()?),
            key: cursor.blob()?,
            value: cursor.blob()?,
        });
    }
    if cursor.at != bytes.len() {
        return Err(TailFrameError::TrailingBytes);
    }
    Ok(FrameRef { tail, records })
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], TailFrameError> {
        let end = self.at.checked_add(n).ok_or(TailFrameError::Truncated)?;
        let taken = self
            .bytes
            .get(self.at..end)
            .ok_or(TailFrameError::Truncated)?;
        self.at = end;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], TailFrameError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn blob(&mut self) -> Result<Option<&'a [u8]>, TailFrameError> {
        match u32::from_le_bytes(self.array()?) {
            NULL => Ok(None),
            len => Ok(Some(self.take(len as usize)?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records() -> Vec<RawRecord> {
        vec![
            RawRecord {
                partition: 2,
                offset: 41,
                timestamp_ms: 1_704_067_200_123,
                key: Some(b"imp-1".to_vec()),
                value: Some(vec![0, 0, 0, 0, 7, 2, 4]),
            },
            RawRecord {
                partition: 0,
                offset: i64::MAX,
                timestamp_ms: -1,
                key: None,
                value: None,
            },
            RawRecord {
                partition: 1,
                offset: 0,
                timestamp_ms: 0,
                key: Some(Vec::new()),
                value: Some(Vec::new()),
            },
        ]
    }

    fn write(tail: JobId, records: &[RawRecord]) -> Vec<u8> {
        let mut writer = FrameWriter::new(tail, 64);
        for r in records {
            writer.push(
                r.partition,
                r.offset,
                r.timestamp_ms,
                r.key.as_deref(),
                r.value.as_deref(),
            );
        }
        assert_eq!(writer.len(), records.len());
        writer.finish()
    }

    #[test]
    fn records_read_back_as_written_nulls_and_empties_apart() {
        let frame = write(JobId(9), &records());
        assert_eq!(
            read(&frame),
            Ok(TailFrame {
                tail: JobId(9),
                records: records()
            })
        );
    }

    #[test]
    fn a_frame_read_in_place_borrows_what_read_copies() {
        let frame = write(JobId(4), &records());
        let in_place = read_in_place(&frame).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(in_place.to_owned().records, records());
        assert_eq!(in_place.records[0].key, Some(&b"imp-1"[..]));
        assert_eq!(in_place.records[1].value, None);
        assert_eq!(in_place.records[2].value, Some(&[][..]));
    }

    #[test]
    fn an_empty_frame_reads_as_no_records() {
        let frame = FrameWriter::new(JobId(1), 0).finish();
        assert_eq!(frame.len(), HEADER);
        assert_eq!(read(&frame).map(|f| f.records.len()), Ok(0));
    }

    #[test]
    fn every_cut_of_a_frame_is_refused_not_misread() {
        let frame = write(JobId(3), &records());
        for cut in 0..frame.len() {
            let expected = if cut < 4 {
                TailFrameError::NotATailFrame
            } else {
                TailFrameError::Truncated
            };
            assert_eq!(read(&frame[..cut]), Err(expected), "cut at {cut}");
        }
    }

    #[test]
    fn trailing_bytes_and_other_frames_are_refused() {
        let mut frame = write(JobId(3), &records());
        frame.push(0);
        assert_eq!(read(&frame), Err(TailFrameError::TrailingBytes));
        assert_eq!(
            read(br#"{"type":"push"}"#),
            Err(TailFrameError::NotATailFrame)
        );
    }

    #[test]
    fn a_lying_count_is_truncation_not_a_huge_allocation() {
        let mut frame = FrameWriter::new(JobId(1), 0).finish();
        frame[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(read(&frame), Err(TailFrameError::Truncated));
    }
}
