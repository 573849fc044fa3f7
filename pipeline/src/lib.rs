//! kafka-demo's domain: the local stack of real services, the schema registry client, Kafka and
//! Spark Connect access, and the pipeline's five steps (schema, produce, consume, batch, stream)
//! with the workshop's checks on them. It takes the plain settings of [`settings`] and returns
//! typed errors; it knows nothing of the server, the command line or the page.

pub mod batch;
pub mod consume;
pub mod error;
pub mod groups;
pub mod health;
pub mod java_options;
pub mod kafka;
pub mod produce;
pub mod registry;
pub mod schema_step;
pub mod settings;
pub mod spark;
pub mod stack;
pub mod stream;
pub mod tail;
pub mod workshop;
