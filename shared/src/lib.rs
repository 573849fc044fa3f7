//! Types that both halves of kafka-demo speak: the click record, the identifiers of topics,
//! subjects and schemas, and the Confluent wire framing.
//!
//! This crate stays small on purpose: plain types and serde, so it builds for the browser (wasm32)
//! and for the native bridge alike. The `avro` feature adds schema diagnostics built on
//! `apache-avro`, for the two sides that parse schemas.

pub mod batch;
pub mod click;
#[cfg(feature = "avro")]
pub mod decode;
pub mod generator;
pub mod groups;
pub mod ids;
#[cfg(feature = "avro")]
pub mod names;
pub mod protocol;
#[cfg(feature = "avro")]
pub mod record;
#[cfg(feature = "avro")]
pub mod references;
#[cfg(feature = "avro")]
pub mod schema;
pub mod tail;
pub mod wire;
pub mod workshop;

pub use click::Click;
pub use ids::{IdError, SchemaId, Subject, Topic};
pub use wire::{Frame, FrameError};
pub use workshop::AttendeeName;
