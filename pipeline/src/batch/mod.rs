//! Seed step 4: a Spark batch job over a Kafka topic, run on a Spark Connect server.
//!
//! The job reads a fixed range of offsets with Spark's Kafka source, checks the Confluent
//! framing in SQL, decodes each writer schema id's records with `from_avro` and that id's
//! schema from the registry, maps them all to the latest registered version's fields, and
//! aggregates in Spark. Records that are not valid Confluent Avro are counted and listed by
//! position, never turned into silent nulls. The aggregate tables are written as Parquet and
//! collected into a [`BatchReport`].

mod error;
pub mod job;
pub mod range;
mod request;
pub mod result;
mod rows;
pub mod sql;
pub mod verify;

pub use error::BatchError;
pub(crate) use error::{location_problem, plain_message};
pub use job::run;
pub use range::{Bound, PartitionRange, RangeError};
pub use request::{run_name, BatchRequest, Stage, POISON_LISTED};
pub use result::BatchReport;
