//! The click record of `schemas/click_v1.avsc`, as a Rust value.

use serde::{Deserialize, Serialize};

/// One ad click, field for field the `com.example.click` record of version 1 of the schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Click {
    /// Unique id of this click.
    pub id: String,
    /// The impression this click belongs to.
    pub impression_id: String,
    /// The creative (ad) that was clicked.
    pub creative_id: String,
    /// Where the creative was shown.
    pub placement_id: String,
    /// Event time in milliseconds since the Unix epoch (`timestamp-millis`).
    pub timestamp: i64,
    /// The browser's user agent, when known.
    pub user_agent: Option<String>,
    /// The client's IPv4 or IPv6 address, when known.
    pub ip: Option<String>,
    /// The referring page, when known.
    pub referrer: Option<String>,
    /// What the click cost the advertiser.
    pub cost: f32,
}
