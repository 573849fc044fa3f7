//! A benchmark corpus: a writer schema and framed records in one byte string, so the native
//! bench and the browser decode the very same bytes with the very same loop.
//!
//! Layout, every length a little-endian `u32`: the length and UTF-8 text of the writer schema,
//! then for each record its length and its framed bytes. Every record is framed under
//! [`CORPUS_SCHEMA_ID`].

use super::{Row, Writers};
use crate::SchemaId;
use apache_avro::Schema;

/// The schema id every record of a corpus is framed with.
pub const CORPUS_SCHEMA_ID: SchemaId = SchemaId(1);

/// Why bytes are not a corpus.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorpusError {
    /// A length prefix or the bytes it announces run past the end.
    #[error("the corpus is cut short at byte {at}")]
    Truncated {
        /// Where.
        at: usize,
    },
    /// The schema is not UTF-8 or not Avro.
    #[error("the corpus's schema is not usable: {0}")]
    Schema(String),
}

/// A parsed corpus, borrowing its bytes.
#[derive(Debug, Clone)]
pub struct Corpus<'a> {
    /// The writer schema's text.
    pub schema_text: &'a str,
    /// The writer schema.
    pub schema: Schema,
    /// The framed records.
    pub records: Vec<&'a [u8]>,
}

/// What one pass over a corpus found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Records that decoded.
    pub decoded: usize,
    /// Records that did not.
    pub poison: usize,
    /// A sum over the decoded data, so no optimiser can skip the work.
    pub checksum: u64,
}

/// Appends a corpus of `records` written with `schema_text` to `out`.
pub fn write_corpus<'r>(
    schema_text: &str,
    records: impl IntoIterator<Item = &'r [u8]>,
    out: &mut Vec<u8>,
) {
    let mut put = |bytes: &[u8]| {
        // Corpora are made by the bench from records of a few hundred bytes.
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    };
    put(schema_text.as_bytes());
    for record in records {
        put(record);
    }
}

impl<'a> Corpus<'a> {
    /// Reads a corpus written by [`write_corpus`].
    pub fn parse(bytes: &'a [u8]) -> Result<Self, CorpusError> {
        let mut at = 0;
        let mut next = || -> Result<Option<&'a [u8]>, CorpusError> {
            if at == bytes.len() {
                return Ok(None);
            }
            let len = bytes
                .get(at..)
                .and_then(|rest| rest.first_chunk::<4>())
                .map(|len| u32::from_le_bytes(*len) as usize)
                .ok_or(CorpusError::Truncated { at })?;
            let item = bytes
                .get(at + 4..at + 4 + len)
                .ok_or(CorpusError::Truncated { at })?;
            at += 4 + len;
            Ok(Some(item))
        };
        let text = next()?.ok_or(CorpusError::Truncated { at: 0 })?;
        let schema_text =
            std::str::from_utf8(text).map_err(|e| CorpusError::Schema(e.to_string()))?;
        let schema = crate::names::parse_schema(schema_text).map_err(CorpusError::Schema)?;
        let mut records = Vec::new();
        while let Some(record) = next()? {
            records.push(record);
        }
        Ok(Self {
            schema_text,
            schema,
            records,
        })
    }

    /// The writer schemas a corpus needs: its own, under [`CORPUS_SCHEMA_ID`].
    pub fn writers(&self) -> Writers {
        let mut writers = Writers::new();
        writers.insert(CORPUS_SCHEMA_ID, &self.schema);
        writers
    }

    /// Decodes every record with the planned decoder into `row`.
    pub fn decode_planned(&self, writers: &Writers, row: &mut Row) -> Tally {
        let mut tally = Tally::default();
        for record in &self.records {
            match writers.decode(record, row) {
                Ok(framed) => {
                    tally.decoded += 1;
                    tally.checksum = tally
                        .checksum
                        .wrapping_add(framed.body.len() as u64 + row.cells().len() as u64);
                }
                Err(_) => tally.poison += 1,
            }
        }
        tally
    }

    /// Decodes every record with `apache-avro`'s `from_avro_datum`, as a plain loop would.
    pub fn decode_apache(&self) -> Tally {
        let mut tally = Tally::default();
        for record in &self.records {
            let Ok(frame) = crate::Frame::parse(record) else {
                tally.poison += 1;
                continue;
            };
            let mut rest = frame.body;
            match apache_avro::from_avro_datum(&self.schema, &mut rest, None) {
                Ok(apache_avro::types::Value::Record(fields)) if rest.is_empty() => {
                    tally.decoded += 1;
                    tally.checksum = tally
                        .checksum
                        .wrapping_add(frame.body.len() as u64 + fields.len() as u64);
                }
                _ => tally.poison += 1,
            }
        }
        tally
    }
}

/// The median of `samples` (the mean of the middle two for an even count); 0 when empty.
pub fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = include_str!("../../../schemas/click_v1.avsc");

    #[test]
    fn a_corpus_reads_back_what_was_written_and_both_loops_agree() {
        let body = [
            2, b'a', 2, b'b', 2, b'c', 2, b'd', 6, 0, 0, 2, 0, 0, 0, 0, 0, 0,
        ];
        let mut framed = Vec::new();
        crate::Frame {
            schema_id: CORPUS_SCHEMA_ID,
            body: &body,
        }
        .write_to(&mut framed);
        let records = [&framed[..], &framed[..], &[0, 0][..]];
        let mut bytes = Vec::new();
        write_corpus(V1, records, &mut bytes);
        let corpus = Corpus::parse(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(corpus.schema_text, V1);
        assert_eq!(corpus.records, records);
        let planned = corpus.decode_planned(&corpus.writers(), &mut Row::new());
        assert_eq!((planned.decoded, planned.poison), (2, 1));
        let apache = corpus.decode_apache();
        assert_eq!((apache.decoded, apache.poison), (2, 1));
        assert_eq!(
            Corpus::parse(&bytes[..bytes.len() - 1]).err(),
            Some(CorpusError::Truncated {
                at: bytes.len() - 6
            })
        );
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }
}
