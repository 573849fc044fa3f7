//! Workshop mode's guided steps: what each step asks, how the bridge checks it against the real
//! services ([`checks`] decides, [`probe`] looks), the evidence it keeps from an attendee's own
//! session ([`seen`]), and resetting an attendee ([`reset`]).
//!
//! Every step is about one topic and its value subject, `<name>.clicks-avro` and
//! `<name>.clicks-avro-value`: the page sends the short names and the bridge scopes them.

pub mod checks;
pub mod probe;
pub mod reset;
pub mod seen;

use shared::workshop::AttendeeName;
use shared::Topic;

/// The short name of the topic the guided steps use.
pub const STEP_TOPIC: &str = "clicks-avro";

/// The attendee's step topic, `<name>.clicks-avro`.
pub fn step_topic(name: &AttendeeName) -> Option<Topic> {
    let short = Topic::new(STEP_TOPIC).ok()?;
    name.scope_topic(&short).ok()
}
