//! kafka-demo's native side: the local stack of real services, the schema registry client, Kafka
//! and Spark Connect access, and the command line that drives them.

pub mod cli;
pub mod config;
pub mod kafka;
pub mod registry;
pub mod schema;
pub mod spark;
pub mod stack;
