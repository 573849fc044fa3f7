//! Types that both halves of kafka-demo speak: the click record, the identifiers of topics,
//! subjects and schemas, and the Confluent wire framing.
//!
//! This crate stays small on purpose: plain types and serde only, so it builds for the browser
//! (wasm32) and for the native bridge alike.

pub mod click;
pub mod ids;
pub mod wire;

pub use click::Click;
pub use ids::{IdError, SchemaId, Subject, Topic};
pub use wire::{Frame, FrameError};
