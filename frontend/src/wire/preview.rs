//! The wire-format preview, computed entirely in the page: a sample record of the schema,
//! Avro-encoded, framed the Confluent way under a schema id, then read back from those bytes the
//! way a consumer would. Pure; tested natively.

use super::hex::{annotate, Annotated};
use super::sample::{sample, SampleError};
use crate::text::json;
use apache_avro::{from_avro_datum, to_avro_datum, Schema};
use shared::{Frame, FrameError, SchemaId};

/// What the preview shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The framed record.
    pub bytes: Vec<u8>,
    /// The bytes, segmented for the hex view.
    pub annotated: Annotated,
    /// The record decoded back from `bytes`, as JSON.
    pub decoded: String,
}

/// Why there is no preview.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreviewError {
    /// No sample record could be made.
    #[error("cannot make a sample record: {0}")]
    Sample(#[from] SampleError),
    /// apache-avro would not encode the sample.
    #[error("cannot encode the sample record: {0}")]
    Encode(String),
    /// The framed bytes did not read back.
    #[error("the encoded record does not read back: {0}")]
    Decode(String),
}

/// Builds the preview of `schema`'s sample record framed under `id`.
pub fn preview(schema: &Schema, id: SchemaId) -> Result<Preview, PreviewError> {
    let value = sample(schema)?;
    let body = to_avro_datum(schema, value).map_err(|e| PreviewError::Encode(e.to_string()))?;
    let mut bytes = Vec::new();
    Frame {
        schema_id: id,
        body: &body,
    }
    .write_to(&mut bytes);
    let decoded = decode(schema, &bytes)?;
    Ok(Preview {
        annotated: annotate(&bytes),
        decoded,
        bytes,
    })
}

/// Reads a framed record with `schema`, as a consumer that knows the writer schema does.
pub fn decode(schema: &Schema, bytes: &[u8]) -> Result<String, PreviewError> {
    let frame = Frame::parse(bytes).map_err(|e: FrameError| PreviewError::Decode(e.to_string()))?;
    let mut body = frame.body;
    let value = from_avro_datum(schema, &mut body, None)
        .map_err(|e| PreviewError::Decode(e.to_string()))?;
    if !body.is_empty() {
        return Err(PreviewError::Decode(format!(
            "{} bytes are left over after the record",
            body.len()
        )));
    }
    Ok(json::pretty(&json::from_avro(&value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::hex::SegmentKind;

    const V1: &str = include_str!("../../../schemas/click_v1.avsc");

    fn parse(text: &str) -> Schema {
        Schema::parse_str(text).unwrap_or_else(|e| panic!("test schema does not parse: {e}"))
    }

    #[test]
    fn the_click_preview_is_framed_under_the_id_and_reads_back() {
        let p = preview(&parse(V1), SchemaId(0x0102_0304)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.bytes[..5], [0, 1, 2, 3, 4]);
        // The body starts with "id-1": Avro writes the length 4 as zig-zag 8, then the bytes.
        assert_eq!(p.bytes[5..10], [8, b'i', b'd', b'-', b'1']);
        let segments: Vec<SegmentKind> = p.annotated.segments.iter().map(|s| s.kind).collect();
        assert_eq!(
            segments,
            [SegmentKind::Magic, SegmentKind::SchemaId, SegmentKind::Body]
        );
        assert_eq!(p.annotated.segments[2].bytes.len(), p.bytes.len() - 5);
        let decoded: serde_json::Value =
            serde_json::from_str(&p.decoded).unwrap_or_else(|e| panic!("{e}: {}", p.decoded));
        assert_eq!(decoded["id"], "id-1");
        assert_eq!(decoded["timestamp"], 1_700_000_000_000_i64);
        assert_eq!(decoded["user_agent"], "user_agent-1");
        assert_eq!(decoded["cost"], 1.5);
        assert!(
            p.decoded.find("\"id\"") < p.decoded.find("\"cost\""),
            "field order kept"
        );
    }

    #[test]
    fn the_same_schema_gives_the_same_bytes() {
        let schema = parse(V1);
        let a = preview(&schema, SchemaId(1)).map(|p| p.bytes);
        let b = preview(&schema, SchemaId(1)).map(|p| p.bytes);
        assert!(a.is_ok());
        assert_eq!(a, b);
    }

    #[test]
    fn bytes_that_do_not_match_the_schema_are_reported_not_panicked_on() {
        let schema = parse(V1);
        assert!(matches!(
            decode(&schema, &[0, 0, 0, 0, 1, 0xff]),
            Err(PreviewError::Decode(_))
        ));
        assert!(matches!(
            decode(&schema, &[1, 2]),
            Err(PreviewError::Decode(_))
        ));
        let long = parse(r#""long""#);
        assert!(
            matches!(decode(&long, &[0, 0, 0, 0, 1, 2, 2]), Err(PreviewError::Decode(m)) if m.contains("left over"))
        );
    }
}
