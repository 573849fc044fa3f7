//! kafka-demo's fuzzer: seeded, in-process and mutational, on stable Rust, for the parsers in
//! `shared` that read bytes a peer chose.
//!
//! Three targets, each a generator of inputs plus a property every input must keep:
//! - `protocol`: any bytes into the WebSocket messages (both directions) and the tail frame;
//!   what parses must write back and parse again to the same value.
//! - `framing`: the Confluent header's parse, write and rejection rules, and the framed decode.
//! - `decode`: the planned Avro decoder against `apache-avro` on the same schema and bytes:
//!   both accept with the same values, or both refuse.
//!
//! A panic or a broken property is a defect: its input is written to `corpus/<target>/` and
//! replayed by `cargo test` from then on. There is no coverage feedback (that needs nightly
//! sanitizers); instead the generators know the structures (JSON messages, Avro records of
//! the click schemas and of random schemas) and an input that makes a target answer in a way
//! not seen before joins the pool that later inputs are mutated from.

pub mod avro;
pub mod corpus;
pub mod flags;
pub mod input;
pub mod json;
pub mod mutate;
pub mod rng;
pub mod runner;
pub mod target;
pub mod targets;

pub use input::Input;
pub use runner::{run, Report, RunConfig};
pub use target::{Target, TargetKind, Verdict};
