//! The long-running work a tab starts — produce runs and tails — and the requests that steer
//! them. Jobs belong to their session: they report through its outbox and stop when it ends
//! (a produce run still flushes what it sent, so every record's fate is known).
//!
//! In workshop mode a tab is one attendee, and its jobs are held to the attendee's [`Limits`]:
//! produce runs go no faster than the produce limit, tails deliver no faster than the tail limit,
//! and only so many Spark jobs (batch and stream together) run at once, so one attendee cannot
//! starve the others of the broker, the bridge or Spark's cores. Outside workshop mode nothing is
//! limited but the number of jobs per tab.

mod batch;
mod produce;
pub(crate) mod registry;
mod stream;
mod tail;

pub(crate) use batch::start_batch;
pub(crate) use produce::{start_produce, stop_produce};
pub(crate) use stream::{start_stream, stop_stream};
pub(crate) use tail::{pause_tail, start_tail, stop_tail};

pub(crate) use registry::Jobs;
