//! The decode target: a writer schema and a body into `shared`'s planned decoder and into
//! `apache-avro` (the reference); both must decode to the same values, or both must refuse.
//!
//! Bodies are clicks under the click schemas and random records under the every-type schema
//! and random schemas, encoded by apache-avro and then, most of the time, broken by byte
//! mutations; some are plain noise. Besides agreement, the decoder must never hand apache-avro
//! a length it would allocate before noticing the body is shorter (its error then says
//! "Unable to allocate"), and rendering a decoded row as text and JSON must not panic.

use crate::avro::compare;
use crate::avro::oracle::{self, Reference};
use crate::avro::schemas::{random_schema, SEEDS};
use crate::avro::values::{click_body, clicks, random_body};
use crate::avro::writer::{Writer, WriterCache};
use crate::input::Input;
use crate::mutate;
use crate::rng::Rng;
use crate::target::{label, Target, TargetKind, Verdict};
use shared::decode::Row;
use std::rc::Rc;

/// Random schemas in play at once; a new one replaces an old one every so often.
const RANDOM_SCHEMAS: usize = 24;
/// Valid bodies kept per schema, to mutate and to splice from.
const BODIES: usize = 16;

/// A schema in play and valid bodies of it.
#[derive(Debug)]
struct Playing {
    writer: Rc<Writer>,
    bodies: Vec<Vec<u8>>,
}

/// Fuzzes the planned decoder against apache-avro.
#[derive(Debug)]
pub struct DecodeTarget {
    cache: WriterCache,
    seeds: Vec<Playing>,
    random: Vec<Playing>,
    row: Row,
}

impl DecodeTarget {
    /// The click schemas (with generated clicks), the every-type schema, and no random ones yet.
    pub fn new() -> Self {
        let mut cache = WriterCache::default();
        let mut rng = Rng::new(0x5eed);
        let seeds = SEEDS
            .iter()
            .filter_map(|text| cache.get(text))
            .map(|writer| {
                let mut bodies: Vec<Vec<u8>> = clicks(3, BODIES)
                    .iter()
                    .filter_map(|c| click_body(&writer.schema, c))
                    .collect();
                if bodies.is_empty() {
                    bodies = (0..BODIES)
                        .filter_map(|_| random_body(&mut rng, &writer.schema))
                        .collect();
                }
                Playing { writer, bodies }
            })
            .collect();
        Self {
            cache,
            seeds,
            random: Vec::new(),
            row: Row::new(),
        }
    }

    /// A new random schema with a few valid bodies, if one parses within a few tries.
    fn new_random(&mut self, rng: &mut Rng) -> Option<Playing> {
        for _ in 0..8 {
            let text = random_schema(rng);
            let Some(writer) = self.cache.get(&text) else {
                continue;
            };
            let bodies: Vec<Vec<u8>> = (0..BODIES)
                .filter_map(|_| random_body(rng, &writer.schema))
                .collect();
            return Some(Playing { writer, bodies });
        }
        None
    }

    fn playing(&mut self, rng: &mut Rng) -> Option<&Playing> {
        if self.random.len() < RANDOM_SCHEMAS || rng.one_in(2_000) {
            if let Some(playing) = self.new_random(rng) {
                if self.random.len() >= RANDOM_SCHEMAS {
                    let at = rng.below(self.random.len());
                    self.random.swap_remove(at);
                }
                self.random.push(playing);
            }
        }
        match rng.below(5) {
            0 | 1 => rng.pick(&self.seeds),
            _ => rng.pick(&self.random),
        }
    }
}

impl Default for DecodeTarget {
    fn default() -> Self {
        Self::new()
    }
}

impl Target for DecodeTarget {
    fn kind(&self) -> TargetKind {
        TargetKind::Decode
    }

    fn generate(&mut self, rng: &mut Rng, pool: &[Input]) -> Input {
        if rng.one_in(6) {
            if let Some(input) = rng.pick(pool) {
                let mut input = input.clone();
                let donor = input.bytes.clone();
                mutate::mutate(rng, &mut input.bytes, &donor);
                return input;
            }
        }
        let Some(playing) = self.playing(rng) else {
            return Input::bytes(mutate::noise(rng, 32));
        };
        let donor = rng.pick(&playing.bodies).cloned().unwrap_or_default();
        let mut bytes = match rng.below(12) {
            0 => mutate::noise(rng, 48),
            _ => rng.pick(&playing.bodies).cloned().unwrap_or_default(),
        };
        if !rng.one_in(4) {
            mutate::mutate(rng, &mut bytes, &donor);
        }
        Input::with_schema(&playing.writer.text, bytes)
    }

    fn check(&mut self, input: &Input) -> Result<Verdict, String> {
        let Some(writer) = input
            .schema
            .as_deref()
            .and_then(|text| self.cache.get(text))
        else {
            return Ok(Verdict::Refused("no usable writer schema".into()));
        };
        let body = &input.bytes[..];
        let decoded = writer.decoder.decode(body, &mut self.row);
        if let Err(e) = &decoded {
            let message = e.to_string();
            if message.contains("Unable to allocate") {
                return Err(format!(
                    "the decoder let apache-avro allocate what the body announced: {message}"
                ));
            }
        }
        match (decoded, oracle::reference(&writer.schema, body)) {
            (Ok(()), Reference::Value(want)) => {
                compare::agree(&writer.schema, &writer.decoder, &self.row, body, &want)?;
                let _json = writer.decoder.to_json(&self.row, body);
                Ok(Verdict::Accepted("both decode"))
            }
            (Err(e), Reference::Refused(_)) => Ok(Verdict::Refused(label(&e.to_string()))),
            (Err(_), Reference::Lenient) => Ok(Verdict::Refused("truncated; apache-avro lenient".into())),
            (Ok(()), Reference::Lenient) => Err(
                "the decoder accepts a truncated body that apache-avro reads only by taking the missing bytes as null"
                    .into(),
            ),
            (Ok(()), Reference::Refused(why)) => Err(format!("the decoder accepts; apache-avro refuses: {why}")),
            (Err(e), Reference::Value(_)) => Err(format!("apache-avro decodes; the decoder refuses: {e}")),
        }
    }
}
