//! The protocol target: any bytes, as a text frame, into both message types of the WebSocket
//! protocol and, as a binary frame, into the tail frame reader.
//!
//! Properties: parsing never panics; `from_slice` and `from_str` agree; a message that parses
//! writes back to JSON that parses to the same message and writes the same text again, with
//! its `type` tag equal to `Request::kind`; a tail frame that reads writes back to the very
//! same bytes, and a refusal says `NotATailFrame` exactly when the magic is missing.

use crate::input::Input;
use crate::json::{self, Dictionary};
use crate::mutate;
use crate::rng::Rng;
use crate::target::{label, Target, TargetKind, Verdict};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::protocol::{ClientMessage, JobId, ServerMessage};
use shared::tail::{self, FrameWriter, TailFrameError};
use std::fmt::Debug;

/// Messages the browser sends, one per line.
const CLIENT_SEEDS: &str = include_str!("../../seeds/client.jsonl");
/// Messages the bridge sends, one per line.
const SERVER_SEEDS: &str = include_str!("../../seeds/server.jsonl");

/// Fuzzes the WebSocket protocol and the tail frame.
#[derive(Debug)]
pub struct ProtocolTarget {
    seeds: Vec<serde_json::Value>,
    dictionary: Dictionary,
}

impl ProtocolTarget {
    /// A target seeded with the messages in `seeds/`.
    pub fn new() -> Self {
        let seeds: Vec<serde_json::Value> = CLIENT_SEEDS
            .lines()
            .chain(SERVER_SEEDS.lines())
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect();
        let dictionary = Dictionary::new(&seeds);
        Self { seeds, dictionary }
    }

    fn json_input(&self, rng: &mut Rng, pool: &[Input]) -> Vec<u8> {
        let from_pool = rng
            .pick(pool)
            .filter(|_| rng.one_in(3))
            .and_then(|input| serde_json::from_slice(&input.bytes).ok());
        let mut value = match from_pool {
            Some(value) => value,
            None => rng.pick(&self.seeds).cloned().unwrap_or_default(),
        };
        json::mutate(rng, &mut value, &self.dictionary);
        let text = if rng.one_in(8) {
            serde_json::to_vec_pretty(&value)
        } else {
            serde_json::to_vec(&value)
        };
        text.unwrap_or_default()
    }
}

impl Default for ProtocolTarget {
    fn default() -> Self {
        Self::new()
    }
}

impl Target for ProtocolTarget {
    fn kind(&self) -> TargetKind {
        TargetKind::Protocol
    }

    fn generate(&mut self, rng: &mut Rng, pool: &[Input]) -> Input {
        let donor = rng.pick(pool).map(|i| i.bytes.clone()).unwrap_or_default();
        let mut bytes = match rng.below(10) {
            0..=4 => self.json_input(rng, pool),
            5 | 6 => tail_frame(rng),
            7 | 8 => match rng.pick(pool) {
                Some(input) => input.bytes.clone(),
                None => self.json_input(rng, pool),
            },
            _ => mutate::noise(rng, 64),
        };
        if rng.one_in(3) {
            mutate::mutate(rng, &mut bytes, &donor);
        }
        Input::bytes(bytes)
    }

    fn check(&mut self, input: &Input) -> Result<Verdict, String> {
        let bytes = &input.bytes;
        let client = message::<ClientMessage>(bytes)?;
        if let Ok(message) = &client {
            request_kind_is_its_tag(message)?;
        }
        let server = message::<ServerMessage>(bytes)?;
        let frame = tail_frame_round_trip(bytes)?;
        Ok(match (client, server, frame) {
            (Ok(_), _, _) => Verdict::Accepted("client message"),
            (_, Ok(_), _) => Verdict::Accepted("server message"),
            (_, _, Ok(())) => Verdict::Accepted("tail frame"),
            // serde's messages name the field or variant it stopped at: a refusal seen for the
            // first time is an input worth mutating further.
            (Err(client), Err(server), Err(_)) => Verdict::Refused(format!("{client} | {server}")),
        })
    }
}

/// Parses `bytes` as a `T`; what parses must round-trip. `Ok(Err(label))` is a consistent
/// refusal, labelled by serde's message.
fn message<T>(bytes: &[u8]) -> Result<Result<T, String>, String>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let parsed = serde_json::from_slice::<T>(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        let from_str = serde_json::from_str::<T>(text);
        if from_str.as_ref().ok() != parsed.as_ref().ok() {
            return Err(format!("from_str {from_str:?} but from_slice {parsed:?}"));
        }
    }
    let message = match parsed {
        Ok(message) => message,
        // Up to the first quoted string: its contents are random, the field names are not.
        Err(e) => {
            return Ok(Err(label(
                e.to_string().split('"').next().unwrap_or_default(),
            )))
        }
    };
    let text = serde_json::to_string(&message)
        .map_err(|e| format!("{message:?} does not serialize: {e}"))?;
    let again: T =
        serde_json::from_str(&text).map_err(|e| format!("{text} does not parse back: {e}"))?;
    if again != message {
        return Err(format!("{text} parses back as {again:?}, not {message:?}"));
    }
    let twice = serde_json::to_string(&again).map_err(|e| format!("{again:?}: {e}"))?;
    if twice != text {
        return Err(format!("written twice, {text} became {twice}"));
    }
    Ok(Ok(message))
}

fn request_kind_is_its_tag(message: &ClientMessage) -> Result<(), String> {
    // Externally tagged: a variant without data is its name, one with data an object whose only
    // key is its name.
    let wire = serde_json::to_value(&message.request).map_err(|e| e.to_string())?;
    let tag = match &wire {
        serde_json::Value::String(name) => Some(name.as_str()),
        serde_json::Value::Object(fields) if fields.len() == 1 => {
            fields.keys().next().map(String::as_str)
        }
        _ => None,
    };
    match tag {
        Some(tag) if tag == message.request.kind() => Ok(()),
        tag => Err(format!("kind {} but tag {tag:?}", message.request.kind())),
    }
}

/// Reads `bytes` as a tail frame: `Ok` when it reads and writes back identically, `Err(label)`
/// for a consistent refusal; a broken rule is the outer `Err`.
fn tail_frame_round_trip(bytes: &[u8]) -> Result<Result<(), String>, String> {
    match tail::read(bytes) {
        Ok(frame) => {
            let mut writer = FrameWriter::new(frame.tail, 0);
            for r in &frame.records {
                writer.push(
                    r.partition,
                    r.offset,
                    r.timestamp_ms,
                    r.key.as_deref(),
                    r.value.as_deref(),
                );
            }
            let written = writer.finish();
            if written != bytes {
                return Err(format!("tail frame {frame:?} writes back as other bytes"));
            }
            Ok(Ok(()))
        }
        Err(TailFrameError::NotATailFrame) if tail::is_tail_frame(bytes) => {
            Err("a frame with the tail magic is refused as not a tail frame".into())
        }
        Err(e) if e != TailFrameError::NotATailFrame && !tail::is_tail_frame(bytes) => {
            Err(format!("bytes without the tail magic are refused as {e:?}"))
        }
        Err(e) => Ok(Err(label(&format!("{e:?}")))),
    }
}

/// A valid tail frame of a few random records.
fn tail_frame(rng: &mut Rng) -> Vec<u8> {
    let mut writer = FrameWriter::new(JobId(rng.next_u64()), 64);
    for _ in 0..rng.small(4) {
        let blob = |rng: &mut Rng| (!rng.one_in(4)).then(|| mutate::noise(rng, 12));
        let (key, value) = (blob(rng), blob(rng));
        writer.push(
            rng.interesting_i64() as i32,
            rng.interesting_i64(),
            rng.interesting_i64(),
            key.as_deref(),
            value.as_deref(),
        );
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_seeds_parse_as_their_direction() {
        let parsed = |text: &str, client: bool| {
            text.lines()
                .filter(|line| match client {
                    true => serde_json::from_str::<ClientMessage>(line).is_ok(),
                    false => serde_json::from_str::<ServerMessage>(line).is_ok(),
                })
                .count()
        };
        let (clients, servers) = (CLIENT_SEEDS.lines().count(), SERVER_SEEDS.lines().count());
        // A seed that stops parsing after a protocol change still feeds the fuzzer, but if most
        // do, the seeds need refreshing from the protocol's golden tests.
        assert!(
            parsed(CLIENT_SEEDS, true) * 2 > clients,
            "refresh seeds/client.jsonl"
        );
        assert!(
            parsed(SERVER_SEEDS, false) * 2 > servers,
            "refresh seeds/server.jsonl"
        );
    }
}
