//! The reference: `apache-avro`'s `from_avro_datum` on the same schema and body, read through a
//! reader that notices when apache-avro asks for bytes past the end.
//!
//! apache-avro 0.21 is lenient at the end of its input: a boolean, a string or a union index
//! cut off there decodes as `null` instead of failing. A body that needs that leniency is
//! truncated, and the planned decoder (rightly) refuses it; the reference counts it as refused
//! too, as [`Reference::Lenient`].

use apache_avro::types::Value;
use apache_avro::Schema;
use std::io::{self, Read};

/// The largest length apache-avro may allocate for in this process. Fuzz bodies are a few
/// kilobytes, so a longer length is truncation anyway; the default (512 MiB) would let a
/// six-byte body ask for a 28 GB array and abort the fuzzer. Set once, before any decoding.
pub const MAX_ALLOCATION: usize = 64 * 1024;

/// Caps apache-avro's allocations for this process (see [`MAX_ALLOCATION`]).
pub fn cap_allocations() {
    apache_avro::util::max_allocation_bytes(MAX_ALLOCATION);
}

/// What apache-avro made of a body.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    /// Decoded, with every byte used.
    Value(Value),
    /// Refused, with apache-avro's message (or the count of bytes left over).
    Refused(String),
    /// Decoded only by reading past the end of the body as `null`.
    Lenient,
}

/// Decodes `body` with `schema` as apache-avro does.
pub fn reference(schema: &Schema, body: &[u8]) -> Reference {
    let mut reader = Tracking {
        rest: body,
        overran: false,
    };
    match apache_avro::from_avro_datum(schema, &mut reader, None) {
        Ok(_) if reader.overran => Reference::Lenient,
        Ok(_) if !reader.rest.is_empty() => {
            Reference::Refused(format!("{} bytes left over", reader.rest.len()))
        }
        Ok(value) => Reference::Value(value),
        Err(e) => Reference::Refused(e.to_string()),
    }
}

/// A byte slice as a reader, as `&[u8]` is one, that remembers a read past its end.
struct Tracking<'a> {
    rest: &'a [u8],
    overran: bool,
}

impl Read for Tracking<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.rest.read(buf)
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        if buf.len() > self.rest.len() {
            self.overran = true;
        }
        self.rest.read_exact(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_off_boolean_is_lenient_not_a_value() {
        let schema = Schema::Boolean;
        assert_eq!(reference(&schema, &[]), Reference::Lenient);
        assert_eq!(
            reference(&schema, &[1]),
            Reference::Value(Value::Boolean(true))
        );
        assert!(matches!(reference(&schema, &[1, 0]), Reference::Refused(_)));
        assert!(matches!(reference(&schema, &[2]), Reference::Refused(_)));
    }
}
