//! Where a job's files are (a stream's checkpoint, a batch run's Parquet output), in words. The
//! bridge names them as the URIs the Spark server was given (`file:///…/stream/ada.t`,
//! `hdfs://…`). Outside workshop mode the page shows that URI; in workshop mode the files are
//! the bridge's, under its data folder, so the page names the folder there ("kept by the bridge
//! (stream/ada.clicks-avro)") and never offers a path on that machine as one the reader could
//! open.

/// How the page names `location`, a place of `kind` (`batch` or `stream`): the URI itself, or in
/// workshop mode the folder under the bridge's data folder ([`kept_by_bridge`]).
pub fn shown_place(kind: &str, location: &str, workshop: bool) -> String {
    if workshop {
        kept_by_bridge(kind, location)
    } else {
        location.to_owned()
    }
}

/// `location` without a leading `file://`: the path of a `file:` URI.
fn path_of(location: &str) -> &str {
    location.strip_prefix("file://").unwrap_or(location)
}

/// "kept by the bridge (<kind>/<folder>)": the folder after the last `kind` component of
/// `location` (a path on the bridge's machine, absolute or not, or its `file:` URI), or its last
/// component.
pub fn kept_by_bridge(kind: &str, location: &str) -> String {
    let parts: Vec<&str> = path_of(location)
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

/// A data folder the bridge names (a reset's report): `stream/<name>` or `batch/<name>` as is, an
/// absolute path or its `file:` URI cut down to that part of it (or to its last part).
pub fn data_folder(location: &str) -> String {
    let location = path_of(location);
    if !is_absolute(location) {
        return location.to_owned();
    }
    let parts: Vec<&str> = location
        .split(['/', '\\'])
        .filter(|p| !p.is_empty())
        .collect();
    let kind = parts
        .iter()
        .rposition(|p| matches!(*p, "batch" | "stream"))
        .filter(|i| i + 1 < parts.len());
    match (kind, parts.last()) {
        (Some(i), _) => format!("{}/{}", parts[i], parts[i + 1]),
        (None, Some(last)) => (*last).to_owned(),
        (None, None) => String::new(),
    }
}

/// `text` (a sentence from the bridge) with every absolute path or `file:` URI in it replaced by
/// the folder it names under the bridge's data folder: "writing Parquet to
/// file:///srv/data/batch/t-1…" reads "writing Parquet to the bridge's folder batch/t-1…".
pub fn hide_paths(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let body = word.trim_end_matches(['…', '.', ',', ':', ';', ')']);
            if !is_absolute(path_of(body)) {
                return word.to_owned();
            }
            let tail = &word[body.len()..];
            let folder = data_folder(body);
            if folder.contains('/') {
                format!("the bridge's folder {folder}{tail}")
            } else {
                format!("a folder of the bridge's{tail}")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `word` is an absolute path with at least two parts (`/a/b`, `C:\a\b`).
fn is_absolute(word: &str) -> bool {
    let unix = word.starts_with('/') && word[1..].contains('/');
    let bytes = word.as_bytes();
    let windows = bytes.len() > 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && (bytes[2] == b'\\' || bytes[2] == b'/');
    unix || windows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_workshop_mode_the_uri_is_shown() {
        let uri = "file:///home/t/.kafka-demo/batch/clicks-avro-2026Z";
        assert_eq!(shown_place("batch", uri, false), uri);
        assert_eq!(
            shown_place("batch", uri, true),
            "kept by the bridge (batch/clicks-avro-2026Z)"
        );
    }

    #[test]
    fn a_resets_folders_read_under_the_data_folder() {
        assert_eq!(data_folder("stream/ada.t"), "stream/ada.t");
        assert_eq!(data_folder("/srv/kd/data/batch/ada.t-1"), "batch/ada.t-1");
        assert_eq!(data_folder("/srv/kd/other/x"), "x");
        assert_eq!(
            data_folder("file:///srv/kd/data/stream/ada.t"),
            "stream/ada.t"
        );
    }

    #[test]
    fn paths_in_a_sentence_become_the_bridges_folders() {
        assert_eq!(
            hide_paths("writing Parquet to /work/t/tmp/stack/batch/eve.clicks-avro-2026Z…"),
            "writing Parquet to the bridge's folder batch/eve.clicks-avro-2026Z…"
        );
        assert_eq!(
            hide_paths("checkpoint /srv/data/stream/ada.t/offsets kept."),
            "checkpoint the bridge's folder stream/ada.t kept."
        );
        assert_eq!(
            hide_paths("reading /etc/passwd"),
            "reading a folder of the bridge's"
        );
        assert_eq!(
            hide_paths(r"at C:\data\batch\run-1, done"),
            "at the bridge's folder batch/run-1, done"
        );
        assert_eq!(
            hide_paths("writing Parquet to file:///srv/data/batch/eve.t-2026Z…"),
            "writing Parquet to the bridge's folder batch/eve.t-2026Z…"
        );
        assert_eq!(
            hide_paths("writing Parquet to hdfs://nn/x/batch/run…"),
            "writing Parquet to hdfs://nn/x/batch/run…"
        );
        let plain = "reading 1200 records, decoding 1 schema id… 1/2 done";
        assert_eq!(hide_paths(plain), plain);
    }

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
        assert_eq!(
            kept_by_bridge("stream", "file:///srv/data/stream/ada.t"),
            "kept by the bridge (stream/ada.t)"
        );
        assert_eq!(kept_by_bridge("stream", ""), "kept by the bridge");
        assert_eq!(kept_by_bridge("stream", "file:///"), "kept by the bridge");
        assert_eq!(kept_by_bridge("stream", "/stream/"), "kept by the bridge");
    }
}
