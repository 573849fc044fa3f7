//! Bytes of a record value cut into labelled segments — magic byte, schema id, Avro body — for
//! an annotated hex view. Bytes that are not a Confluent frame (too short, another magic byte)
//! are annotated as such rather than refused. Pure; tested natively.

use shared::wire::{Frame, FrameError, HEADER_LEN};

/// What a run of bytes is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegmentKind {
    /// Byte 0, `0x00`.
    Magic,
    /// Bytes 1–4, the big-endian schema id.
    SchemaId,
    /// The Avro binary body.
    Body,
    /// Bytes that do not fit the framing.
    Invalid,
}

impl SegmentKind {
    /// The name the view uses as `data-segment` and in class names.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Magic => "magic",
            Self::SchemaId => "schema-id",
            Self::Body => "body",
            Self::Invalid => "invalid",
        }
    }
}

/// A run of bytes with what they mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// What they are.
    pub kind: SegmentKind,
    /// Offset of the first byte in the record.
    pub offset: usize,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// What a person reads in the legend.
    pub label: String,
}

/// A record value, segmented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotated {
    /// The segments, in order, covering every byte.
    pub segments: Vec<Segment>,
    /// Why the bytes are not a Confluent frame, when they are not.
    pub problem: Option<FrameError>,
}

/// Segments `bytes` as a Confluent-framed record.
pub fn annotate(bytes: &[u8]) -> Annotated {
    match Frame::parse(bytes) {
        Ok(frame) => Annotated {
            segments: vec![
                segment(SegmentKind::Magic, 0, &bytes[..1], "magic byte 0x00".into()),
                segment(
                    SegmentKind::SchemaId,
                    1,
                    &bytes[1..HEADER_LEN],
                    format!("schema id {} (big-endian u32)", frame.schema_id),
                ),
                segment(
                    SegmentKind::Body,
                    HEADER_LEN,
                    frame.body,
                    format!("Avro body, {} bytes", frame.body.len()),
                ),
            ],
            problem: None,
        },
        Err(problem) => Annotated {
            segments: unframed(bytes, &problem),
            problem: Some(problem),
        },
    }
}

fn unframed(bytes: &[u8], problem: &FrameError) -> Vec<Segment> {
    match (problem, bytes.split_first()) {
        (FrameError::BadMagic { found }, Some((first, rest))) => {
            let mut segments = vec![segment(
                SegmentKind::Invalid,
                0,
                std::slice::from_ref(first),
                format!("magic byte 0x{found:02x}, expected 0x00"),
            )];
            if !rest.is_empty() {
                segments.push(segment(
                    SegmentKind::Invalid,
                    1,
                    rest,
                    format!("{} bytes that are not a Confluent frame", rest.len()),
                ));
            }
            segments
        }
        _ if bytes.is_empty() => Vec::new(),
        _ => vec![segment(
            SegmentKind::Invalid,
            0,
            bytes,
            format!(
                "only {} bytes: too short for the {HEADER_LEN}-byte header",
                bytes.len()
            ),
        )],
    }
}

fn segment(kind: SegmentKind, offset: usize, bytes: &[u8], label: String) -> Segment {
    Segment {
        kind,
        offset,
        bytes: bytes.to_vec(),
        label,
    }
}

/// Two lowercase hex digits per byte, separated by spaces.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(a: &Annotated) -> Vec<(SegmentKind, usize, usize)> {
        a.segments
            .iter()
            .map(|s| (s.kind, s.offset, s.bytes.len()))
            .collect()
    }

    #[test]
    fn a_frame_splits_into_magic_id_and_body() {
        let a = annotate(&[0, 0, 0, 1, 2, 0x0a, 0x0b, 0x0c]);
        assert_eq!(a.problem, None);
        assert_eq!(
            kinds(&a),
            [
                (SegmentKind::Magic, 0, 1),
                (SegmentKind::SchemaId, 1, 4),
                (SegmentKind::Body, 5, 3)
            ]
        );
        assert_eq!(a.segments[1].label, "schema id 258 (big-endian u32)");
        assert_eq!(a.segments[2].bytes, [0x0a, 0x0b, 0x0c]);
        assert_eq!(a.segments[2].label, "Avro body, 3 bytes");
    }

    #[test]
    fn a_header_without_body_still_has_an_empty_body_segment() {
        let a = annotate(&[0, 0, 0, 0, 7]);
        assert_eq!(a.problem, None);
        assert_eq!(kinds(&a)[2], (SegmentKind::Body, 5, 0));
    }

    #[test]
    fn short_records_are_one_invalid_segment() {
        let a = annotate(&[0, 1, 2]);
        assert_eq!(a.problem, Some(FrameError::TooShort { len: 3 }));
        assert_eq!(kinds(&a), [(SegmentKind::Invalid, 0, 3)]);
        assert!(
            a.segments[0].label.contains("only 3 bytes"),
            "{}",
            a.segments[0].label
        );
        let empty = annotate(&[]);
        assert_eq!(empty.problem, Some(FrameError::TooShort { len: 0 }));
        assert!(empty.segments.is_empty());
    }

    #[test]
    fn a_wrong_magic_byte_is_named() {
        let a = annotate(b"{\"id\":1}");
        assert_eq!(a.problem, Some(FrameError::BadMagic { found: b'{' }));
        assert_eq!(
            kinds(&a),
            [(SegmentKind::Invalid, 0, 1), (SegmentKind::Invalid, 1, 7)]
        );
        assert_eq!(a.segments[0].label, "magic byte 0x7b, expected 0x00");
        let lone = annotate(&[9]);
        assert_eq!(lone.problem, Some(FrameError::TooShort { len: 1 }));
    }

    #[test]
    fn hex_is_spaced_pairs() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00 ab 10");
        assert_eq!(hex(&[]), "");
    }
}
