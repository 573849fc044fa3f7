//! Avro for the decode target: random writer schemas, random records for a schema, the
//! reference decode by `apache-avro`, and the comparison of a decoded row with it.

pub mod compare;
pub mod oracle;
pub mod schemas;
pub mod values;
pub mod writer;
