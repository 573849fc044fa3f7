//! The framing target: the Confluent header on any bytes, and framed decoding with writer
//! schemas under known ids.
//!
//! Properties: `Frame::parse` refuses exactly the values shorter than five bytes (`TooShort`
//! with their length) and those whose first byte is not 0 (`BadMagic` with that byte); what it
//! accepts holds the big-endian id and the rest as body, and writes back to the same bytes
//! after whatever the buffer held; `Writers::decode` names the same poison pill, refuses an
//! unknown id, and otherwise decodes exactly as the id's decoder does on the body.

use crate::avro::schemas::{CLICK_V1, CLICK_V2, EVERY_TYPE};
use crate::avro::values::{click_body, clicks, random_body};
use crate::avro::writer::{Writer, WriterCache};
use crate::input::Input;
use crate::mutate;
use crate::rng::Rng;
use crate::target::{label, Target, TargetKind, Verdict};
use shared::decode::{PoisonReason, Row, Writers};
use shared::wire::{Frame, FrameError, HEADER_LEN, MAGIC};
use shared::SchemaId;
use std::rc::Rc;

/// Fuzzes the Confluent framing.
#[derive(Debug)]
pub struct FramingTarget {
    writers: Writers,
    known: Vec<(SchemaId, Rc<Writer>)>,
    bodies: Vec<Vec<u8>>,
    row: Row,
}

impl FramingTarget {
    /// Writer schemas 1, 2 and 3: click version 1, click version 2 and every type.
    pub fn new() -> Self {
        let mut cache = WriterCache::default();
        let known: Vec<(SchemaId, Rc<Writer>)> = [CLICK_V1, CLICK_V2, EVERY_TYPE]
            .into_iter()
            .zip(1..)
            .filter_map(|(text, id)| Some((SchemaId(id), cache.get(text)?)))
            .collect();
        let mut writers = Writers::new();
        for (id, writer) in &known {
            writers.insert(*id, &writer.schema);
        }
        let mut bodies = Vec::new();
        let mut rng = Rng::new(1);
        for (_, writer) in &known {
            bodies.extend(
                clicks(7, 32)
                    .iter()
                    .filter_map(|c| click_body(&writer.schema, c)),
            );
            bodies.extend((0..16).filter_map(|_| random_body(&mut rng, &writer.schema)));
        }
        Self {
            writers,
            known,
            bodies,
            row: Row::new(),
        }
    }

    fn decoder_verdict(&mut self, bytes: &[u8], frame: Frame<'_>) -> Result<Verdict, String> {
        let id = frame.schema_id;
        let own = self
            .known
            .iter()
            .rev()
            .find(|(known, _)| *known == id)
            .map(|(_, writer)| writer.decoder.decode(frame.body, &mut Row::new()));
        match (self.writers.decode(bytes, &mut self.row), own) {
            (Err(PoisonReason::UnknownSchemaId { id: named }), None) if named == id => {
                Ok(Verdict::Refused("unknown schema id".into()))
            }
            (Ok(framed), Some(Ok(()))) if framed.schema_id == id && framed.body == frame.body => {
                Ok(Verdict::Accepted("decoded"))
            }
            (Err(PoisonReason::Undecodable { id: named, detail }), Some(Err(e)))
                if named == id && detail == e.to_string() =>
            {
                Ok(Verdict::Refused(label(&detail)))
            }
            (framed, own) => Err(format!(
                "framed decode {:?} but the decoder of {id} says {own:?}",
                framed.map(|f| f.schema_id)
            )),
        }
    }
}

impl Default for FramingTarget {
    fn default() -> Self {
        Self::new()
    }
}

impl Target for FramingTarget {
    fn kind(&self) -> TargetKind {
        TargetKind::Framing
    }

    fn generate(&mut self, rng: &mut Rng, pool: &[Input]) -> Input {
        let mut bytes = match rng.below(8) {
            0 => mutate::noise(rng, 8),
            1 | 2 => match rng.pick(pool) {
                Some(input) => input.bytes.clone(),
                None => mutate::noise(rng, 16),
            },
            _ => {
                let id = match rng.below(3) {
                    0 => rng.interesting_i64() as u32,
                    _ => 1 + rng.below(3) as u32,
                };
                let body = rng.pick(&self.bodies).cloned().unwrap_or_default();
                let mut out = Vec::new();
                Frame {
                    schema_id: SchemaId(id),
                    body: &body,
                }
                .write_to(&mut out);
                out
            }
        };
        if rng.one_in(2) {
            let donor = rng.pick(&self.bodies).cloned().unwrap_or_default();
            mutate::mutate(rng, &mut bytes, &donor);
        }
        Input::bytes(bytes)
    }

    fn check(&mut self, input: &Input) -> Result<Verdict, String> {
        let bytes = &input.bytes[..];
        let parsed = Frame::parse(bytes);
        match (bytes, parsed) {
            (_, Err(FrameError::TooShort { len })) if len == bytes.len() && len < HEADER_LEN => {
                poison_matches(self, bytes, PoisonReason::TooShort { len })?;
                Ok(Verdict::Refused("too short".into()))
            }
            ([first, ..], Err(FrameError::BadMagic { found }))
                if found == *first && found != MAGIC && bytes.len() >= HEADER_LEN =>
            {
                poison_matches(self, bytes, PoisonReason::WrongMagic { found })?;
                Ok(Verdict::Refused("bad magic".into()))
            }
            ([MAGIC, a, b, c, d, body @ ..], Ok(frame))
                if frame.schema_id == SchemaId(u32::from_be_bytes([*a, *b, *c, *d]))
                    && frame.body == body =>
            {
                writes_back(bytes, frame)?;
                self.decoder_verdict(bytes, frame)
            }
            (_, parsed) => Err(format!("Frame::parse gives {parsed:?}")),
        }
    }
}

fn poison_matches(
    target: &mut FramingTarget,
    bytes: &[u8],
    want: PoisonReason,
) -> Result<(), String> {
    match target.writers.decode(bytes, &mut target.row) {
        Err(reason) if reason == want && PoisonReason::KINDS.contains(&reason.kind()) => {
            let _shown = reason.to_string();
            Ok(())
        }
        other => Err(format!(
            "framed decode gives {:?}, not {want:?}",
            other.map(|f| f.schema_id)
        )),
    }
}

fn writes_back(bytes: &[u8], frame: Frame<'_>) -> Result<(), String> {
    let mut out = vec![0xee; bytes.len() % 3];
    let before = out.len();
    frame.write_to(&mut out);
    match out.get(before..) {
        Some(written) if written == bytes => Ok(()),
        _ => Err(format!("{frame:?} writes back as other bytes")),
    }
}
