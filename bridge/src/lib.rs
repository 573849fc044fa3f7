//! kafka-demo's native side: the local stack of real services, the schema registry client, Kafka
//! and Spark Connect access, and the command line that drives them.

pub mod batch;
pub mod bench;
pub mod cli;
pub mod config;
pub mod consume;
pub mod health;
pub mod kafka;
pub mod produce;
pub mod registry;
pub mod schema_step;
pub mod server;
pub mod spark;
pub mod stack;
pub mod stream;
pub mod tail;
pub mod workshop;
