//! Where the bridge keeps a job's files (a stream's checkpoint, a batch run's Parquet output), in
//! words: the files live on the bridge's machine, so the page names the folder under the bridge's
//! data folder ("kept by the bridge (stream/ada.clicks-avro)") and never offers a path on that
//! machine as one the reader could open.

/// "kept by the bridge (<kind>/<folder>)": the folder after the last `kind` component of
/// `location` (a path on the bridge's machine, absolute or not), or its last component.
pub fn kept_by_bridge(kind: &str, location: &str) -> String {
    let parts: Vec<&str> = location
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let after_kind = parts
        .iter()
        .rposition(|p| *p == kind)
        .and_then(|i| parts.get(i + 1));
    match after_kind.or(parts.last()).filter(|p| **p != kind) {
        Some(folder) => format!("kept by the bridge ({kind}/{folder})"),
        None => "kept by the bridge".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_reads_as_the_bridges_folder() {
        assert_eq!(
            kept_by_bridge("stream", "/home/t/kafka-demo/data/stream/ada.clicks-avro"),
            "kept by the bridge (stream/ada.clicks-avro)"
        );
        assert_eq!(
            kept_by_bridge(
                "batch",
                "/srv/data/batch/ada.clicks-avro-20261207/part/x.parquet"
            ),
            "kept by the bridge (batch/ada.clicks-avro-20261207)"
        );
        assert_eq!(
            kept_by_bridge("stream", "stream/clicks-avro"),
            "kept by the bridge (stream/clicks-avro)"
        );
        assert_eq!(
            kept_by_bridge("batch", r"C:\data\elsewhere\run-1"),
            "kept by the bridge (batch/run-1)"
        );
        assert_eq!(kept_by_bridge("stream", ""), "kept by the bridge");
        assert_eq!(kept_by_bridge("stream", "/stream/"), "kept by the bridge");
    }
}
