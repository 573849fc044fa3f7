//! The wall clock as the workshop's records keep it: milliseconds since the Unix epoch.

/// Now, in ms since the epoch (0 should the clock stand before it).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
