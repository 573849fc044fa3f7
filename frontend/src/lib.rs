//! The kafka-demo browser playground: a Leptos (CSR) app that walks the seed's five steps —
//! schema, produce, consume, Spark batch, Spark streaming — over one typed WebSocket to the
//! bridge.
//!
//! Features are modules of small components sharing state through context ([`ws::Bridge`],
//! [`schema::state::SchemaState`], [`registry::state::RegistryState`]). The logic under them — field tables,
//! sample records, hex annotation, line diffs, JSON layout, request bookkeeping — lives in plain
//! modules with native tests (`cargo test -p frontend`); the browser tests cover the wiring.

pub mod app;
pub mod batch;
pub mod consume;
pub mod export;
pub mod produce;
pub mod registry;
pub mod schema;
pub mod status;
pub mod stream;
pub mod text;
pub mod widgets;
pub mod wire;
pub mod workshop;
pub mod ws;

pub use app::App;
