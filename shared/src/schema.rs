//! Seed step 1, the part that needs no registry: reading an `.avsc` text, saying precisely what
//! is wrong with it (line and column for JSON, the field for Avro), and describing a valid one.
//! The same code runs in the bridge and, compiled to WASM, in the browser's editor.

use apache_avro::rabin::Rabin;
use apache_avro::schema_compatibility::SchemaCompatibility;
use apache_avro::Schema;
use serde_json::Value;

/// Why a text is not a usable Avro schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaProblem {
    /// Not JSON at all; `line` and `column` are 1-based, as editors count.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// JSON, but not valid Avro; `field` is the path of the field at fault, when one is.
    #[error("invalid Avro{}: {message}", field.as_ref().map(|f| format!(" in field `{f}`")).unwrap_or_default())]
    Avro {
        /// Dotted path of the offending field, e.g. `click.cost`.
        field: Option<String>,
        /// What the Avro parser said.
        message: String,
    },
    /// Larger than any schema the playground takes: refused before parsing, so a pasted
    /// megabyte-sized text never stalls the page or the bridge.
    #[error("the schema is {} long; the playground takes schemas up to {}", size(*bytes), size(*limit))]
    TooLarge {
        /// The text's length in bytes.
        bytes: usize,
        /// [`MAX_SCHEMA_BYTES`].
        limit: usize,
    },
}

/// The longest schema text taken, in bytes. Real schemas are kilobytes; a registry's request
/// limit is about a megabyte.
pub const MAX_SCHEMA_BYTES: usize = 1 << 20;

/// A byte count as people read it.
fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.0} KB", b as f64 / (1 << 10) as f64),
        b => format!("{b} bytes"),
    }
}

/// A schema that parsed, with what a person wants to know about it.
#[derive(Debug, Clone)]
pub struct Described {
    /// The parsed schema.
    pub schema: Schema,
    /// Full name (`com.example.click`), or the type for unnamed schemas.
    pub name: String,
    /// Number of fields, for records.
    pub fields: usize,
    /// Parsing Canonical Form.
    pub canonical: String,
    /// CRC-64-AVRO (Rabin) fingerprint of the canonical form, hex.
    pub fingerprint: String,
}

/// Parses `text` as an Avro schema, or says exactly what is wrong.
pub fn validate(text: &str) -> Result<Described, SchemaProblem> {
    if text.len() > MAX_SCHEMA_BYTES {
        return Err(SchemaProblem::TooLarge {
            bytes: text.len(),
            limit: MAX_SCHEMA_BYTES,
        });
    }
    let json: Value = serde_json::from_str(text).map_err(|e| json_problem(text, &e))?;
    // apache-avro panics on some bad names: they are refused before it sees them.
    crate::names::check_names(&json).map_err(|message| SchemaProblem::Avro {
        field: None,
        message,
    })?;
    let schema = Schema::parse(&json).map_err(|e| SchemaProblem::Avro {
        field: locate(&json),
        message: e.to_string(),
    })?;
    Ok(describe(schema))
}

/// A JSON syntax error placed where a person looks for it. serde_json names the byte where it
/// noticed the error; the problem counts columns in characters, as editors do, and a trailing
/// comma — noticed at the `]` or `}` after it — is placed at the comma itself.
fn json_problem(text: &str, error: &serde_json::Error) -> SchemaProblem {
    let line_start = line_start(text, error.line());
    // serde_json's column is the count of bytes up to and including the one it stopped at (0
    // when it stopped at the start of a line, at the end of the text).
    let noticed = error
        .column()
        .checked_sub(1)
        .map(|c| line_start + c)
        .filter(|&at| at < text.len());
    if let Some((comma, closer)) = noticed.and_then(|at| trailing_comma(text, at)) {
        let (line, column) = position(text, comma);
        let last = match closer {
            b']' if closes_fields(text, comma) => "field",
            b']' => "item of the array",
            _ => "member of the object",
        };
        return SchemaProblem::Json {
            line,
            column,
            message: format!("trailing comma after the last {last}"),
        };
    }
    let end = (line_start + error.column()).min(text.len());
    SchemaProblem::Json {
        line: error.line(),
        column: chars_in(&text.as_bytes()[line_start.min(end)..end]),
        message: json_message(error),
    }
}

/// The byte offset where the 1-based `line` starts (the text's end past its last line).
fn line_start(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(at, _)| at + 1)
}

/// The 1-based line and character column of the byte at `at`.
fn position(text: &str, at: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..at.min(text.len())];
    let start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |nl| nl + 1);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    (line, chars_in(&before[start..]) + 1)
}

/// How many characters start in `bytes` (a slice of UTF-8 that may cut a character).
fn chars_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// When the byte at `at` is a `]` or `}` with only whitespace between it and a comma before it,
/// the comma's offset and the closer.
fn trailing_comma(text: &str, at: usize) -> Option<(usize, u8)> {
    let bytes = text.as_bytes();
    let closer = *bytes.get(at).filter(|b| matches!(b, b']' | b'}'))?;
    let comma = bytes[..at]
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .filter(|&c| bytes[c] == b',')?;
    Some((comma, closer))
}

/// Whether the array open at byte `at` is the value of a `"fields"` key. The text before `at`
/// parsed as JSON, so a plain scan of its strings and brackets follows its structure.
fn closes_fields(text: &str, at: usize) -> bool {
    let bytes = &text.as_bytes()[..at.min(text.len())];
    let mut open: Vec<bool> = Vec::new();
    let (mut string, mut key) = ((0, 0), None);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i = start;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                string = (start, i.min(bytes.len()));
            }
            b':' => key = Some(string),
            b'[' => open.push(key.take().is_some_and(|(s, e)| &bytes[s..e] == b"fields")),
            b'{' => {
                open.push(false);
                key = None;
            }
            b']' | b'}' => {
                open.pop();
                key = None;
            }
            b',' => key = None,
            _ => {}
        }
        i += 1;
    }
    open.last() == Some(&true)
}

/// serde_json appends " at line L column C" to its messages; the position is reported apart.
fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

fn describe(schema: Schema) -> Described {
    let (name, fields) = match &schema {
        Schema::Record(record) => (record.name.fullname(None), record.fields.len()),
        other => (
            format!("{:?}", apache_avro::schema::SchemaKind::from(other)).to_lowercase(),
            0,
        ),
    };
    let canonical = schema.canonical_form();
    let fingerprint = schema.fingerprint::<Rabin>().to_string();
    Described {
        schema,
        name,
        fields,
        canonical,
        fingerprint,
    }
}

/// Finds the field that makes a record schema fail: the first prefix of the field list that no
/// longer parses ends with the culprit. Nested records are searched the same way, giving a
/// dotted path. `None` when the fault lies outside any field.
fn locate(json: &Value) -> Option<String> {
    let record = json.as_object()?;
    let fields = record.get("fields")?.as_array()?;
    let name = record
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("record");
    let with_fields = |n: usize| {
        let mut copy = record.clone();
        copy.insert("fields".into(), Value::Array(fields[..n].to_vec()));
        Schema::parse(&Value::Object(copy)).is_ok()
    };
    if !with_fields(0) {
        return None;
    }
    let culprit = (1..=fields.len()).find(|n| !with_fields(*n))? - 1;
    let field = &fields[culprit];
    let field_name = field
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("fields[{culprit}]"));
    let path = format!("{name}.{field_name}");
    match field.get("type").and_then(locate) {
        Some(inner) => Some(format!(
            "{path}.{}",
            inner
                .split_once('.')
                .map(|(_, rest)| rest)
                .unwrap_or(&inner)
        )),
        None => Some(path),
    }
}

/// Why records written with `writer` cannot be read with `reader`, computed locally with
/// `apache-avro`; `None` when they can. Used to explain a registry's bare "incompatible".
pub fn read_incompatibility(writer: &Schema, reader: &Schema) -> Option<String> {
    SchemaCompatibility::can_read(writer, reader)
        .err()
        .map(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = include_str!("../../schemas/click_v1.avsc");
    const V2: &str = include_str!("../../schemas/click_v2.avsc");
    const SEED: &str = include_str!("../../schemas/examples/click_seed.avsc");
    const INCOMPATIBLE: &str = include_str!("../../schemas/examples/click_incompatible.avsc");

    #[test]
    fn hostile_texts_get_a_plain_problem_not_a_crash() {
        // JSON nested 100,000 deep: the parser's depth limit answers, the stack is never at risk.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        match validate(&deep) {
            Err(SchemaProblem::Json { message, .. }) => {
                assert!(message.contains("recursion limit"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        // A 10 MB schema is refused by its size before anything parses it; the largest that is
        // taken still parses.
        let field = |i: usize| {
            format!(
                r#"{{"name":"f{i}","type":"string","doc":"{}"}}"#,
                "x".repeat(20)
            )
        };
        let record = |n: usize| {
            let fields: Vec<String> = (0..n).map(field).collect();
            format!(
                r#"{{"type":"record","name":"big","fields":[{}]}}"#,
                fields.join(",")
            )
        };
        let big = record(200_000);
        assert!(big.len() > 10_000_000, "{}", big.len());
        match validate(&big) {
            Err(e @ SchemaProblem::TooLarge { .. }) => {
                assert!(e.to_string().contains("up to 1.0 MB"), "{e}")
            }
            other => panic!("{other:?}"),
        }
        let largest = record(MAX_SCHEMA_BYTES / 70);
        assert!(largest.len() <= MAX_SCHEMA_BYTES, "{}", largest.len());
        assert_eq!(valid(&largest).fields, MAX_SCHEMA_BYTES / 70);
    }

    fn valid(text: &str) -> Described {
        match validate(text) {
            Ok(d) => d,
            Err(e) => panic!("expected a valid schema, got {e}"),
        }
    }

    #[test]
    fn a_name_apache_avro_would_panic_on_is_a_problem_not_a_crash() {
        let problem = validate(r#"{"type":"record","name":"my-click","fields":[]}"#).err();
        assert!(
            matches!(&problem, Some(SchemaProblem::Avro { message, .. }) if message.contains("\"my-click\" is not a valid Avro name")),
            "{problem:?}"
        );
    }

    #[test]
    fn the_click_schemas_are_valid_records() {
        let v1 = valid(V1);
        assert_eq!((v1.name.as_str(), v1.fields), ("com.example.click", 9));
        let v2 = valid(V2);
        assert_eq!((v2.name.as_str(), v2.fields), ("com.example.click", 10));
        assert_ne!(v1.fingerprint, v2.fingerprint);
        assert_eq!(v1.fingerprint.len(), 16, "{}", v1.fingerprint);
        assert!(v1.canonical.starts_with(r#"{"name":"com.example.click","type":"record","fields":[{"name":"id","type":"string"}"#), "{}", v1.canonical);
    }

    fn json_problem_of(text: &str) -> (usize, usize, String) {
        match validate(text) {
            Err(SchemaProblem::Json {
                line,
                column,
                message,
            }) => (line, column, message),
            other => panic!("expected a JSON problem, got {other:?}"),
        }
    }

    #[test]
    fn the_seed_trailing_comma_is_pinpointed() {
        // The seed's text has `{ "name": "cost", "type": "float" },` on line 17 before the
        // closing `]`; the parser notices at the `]`, the problem names the comma.
        let line = SEED.lines().position(|l| l.trim() == "]").unwrap_or(0);
        let comma = SEED.lines().nth(line - 1).and_then(|l| l.rfind(','));
        assert_eq!(line, 17);
        assert_eq!(
            json_problem_of(SEED),
            (
                17,
                comma.map_or(0, |c| c + 1),
                "trailing comma after the last field".into()
            )
        );
    }

    #[test]
    fn trailing_commas_elsewhere_name_what_they_follow() {
        assert_eq!(
            json_problem_of("[1,\n  2 ,\n]"),
            (
                2,
                5,
                "trailing comma after the last item of the array".into()
            )
        );
        assert_eq!(
            json_problem_of(r#"{"type": "enum", "symbols": ["A",]}"#),
            (
                1,
                33,
                "trailing comma after the last item of the array".into()
            )
        );
        assert_eq!(
            json_problem_of(r#"{"a": {"fields": 1}, "b": 2,}"#),
            (
                1,
                28,
                "trailing comma after the last member of the object".into()
            )
        );
        // A "fields" array of a nested record, after strings holding brackets and quotes.
        let nested = r#"{"doc": "[\"fields\": [", "fields": [{"name": "x", "type": {"type": "record", "fields": [{"name": "y", "type": "int"},]}}]}"#;
        let (_, column, message) = json_problem_of(nested);
        assert_eq!(message, "trailing comma after the last field");
        assert_eq!(nested.as_bytes().get(column - 1), Some(&b','));
    }

    #[test]
    fn other_json_errors_keep_their_place_in_characters() {
        // serde_json counts bytes; the problem counts characters, as editors do.
        let (line, column, message) = json_problem_of("{\n  \"doc\": \"été\" x}");
        assert_eq!((line, column), (2, 16), "{message}");
        assert_eq!(json_problem_of("[1 2]").1, 4);
        let (line, column, message) = json_problem_of("{\"a\": [1,\n");
        assert_eq!((line, column), (2, 0), "{message}");
        assert!(message.contains("EOF"), "{message}");
        assert!(json_problem_of("[,]").2.contains("expected value"));
    }

    #[test]
    fn every_json_problem_lies_within_the_text() {
        // Each one-byte deletion of v1 and each comma inserted into it that breaks the JSON: the
        // problem's position names a character of the text (or the end of a line), never beyond.
        // (Texts that stay JSON are left out: they are about Avro, and apache-avro 0.21 panics
        // on some invalid names.)
        let broken = (0..V1.len())
            .filter(|&i| V1.is_char_boundary(i) && V1.is_char_boundary(i + 1))
            .flat_map(|i| {
                [
                    format!("{}{}", &V1[..i], &V1[i + 1..]),
                    format!("{},{}", &V1[..i], &V1[i..]),
                ]
            });
        let mut checked = 0;
        let json = |t: &str| serde_json::from_str::<serde::de::IgnoredAny>(t).is_ok();
        for text in broken.filter(|t| !json(t)) {
            if let Err(SchemaProblem::Json {
                line,
                column,
                message,
            }) = validate(&text)
            {
                let chars = text.split('\n').nth(line - 1).map(|l| l.chars().count());
                assert!(
                    chars.is_some_and(|n| column <= n + 1),
                    "{line}:{column} {message}\n{text}"
                );
                if message.starts_with("trailing comma") {
                    let at = text
                        .split('\n')
                        .nth(line - 1)
                        .and_then(|l| l.chars().nth(column - 1));
                    assert_eq!(at, Some(','), "{line}:{column}\n{text}");
                }
                checked += 1;
            }
        }
        assert!(checked > 200, "{checked}");
    }

    #[test]
    fn a_bad_field_type_names_the_field() {
        let text = V1.replace(r#""type": "float""#, r#""type": "flaot""#);
        match validate(&text) {
            Err(SchemaProblem::Avro { field, message }) => {
                assert_eq!(field.as_deref(), Some("click.cost"));
                assert!(message.contains("flaot"), "{message}");
            }
            other => panic!("expected an Avro problem, got {other:?}"),
        }
    }

    #[test]
    fn a_field_without_a_name_is_named_by_position() {
        let text = V1.replace(
            r#"{ "name": "ip", "type": ["string", "null"] }"#,
            r#"{ "type": ["string", "null"] }"#,
        );
        match validate(&text) {
            Err(SchemaProblem::Avro { field, .. }) => {
                assert_eq!(field.as_deref(), Some("click.fields[6]"))
            }
            other => panic!("expected an Avro problem, got {other:?}"),
        }
    }

    #[test]
    fn nested_record_faults_get_a_dotted_path() {
        let text = r#"{"type":"record","name":"outer","fields":[
            {"name":"ok","type":"int"},
            {"name":"geo","type":{"type":"record","name":"geo_t","fields":[
                {"name":"lat","type":"double"},{"name":"lon","type":"dubble"}]}}]}"#;
        match validate(text) {
            Err(SchemaProblem::Avro { field, .. }) => {
                assert_eq!(field.as_deref(), Some("outer.geo.lon"))
            }
            other => panic!("expected an Avro problem, got {other:?}"),
        }
    }

    #[test]
    fn record_level_faults_name_no_field() {
        match validate(r#"{"type":"record","fields":[]}"#) {
            Err(SchemaProblem::Avro { field: None, .. }) => {}
            other => panic!("expected a record-level Avro problem, got {other:?}"),
        }
    }

    #[test]
    fn v2_reads_v1_data_and_the_candidate_does_not() {
        let (v1, v2, bad) = (
            valid(V1).schema,
            valid(V2).schema,
            valid(INCOMPATIBLE).schema,
        );
        assert_eq!(read_incompatibility(&v1, &v2), None);
        let reason = read_incompatibility(&v1, &bad).unwrap_or_default();
        assert!(reason.contains("campaign_id"), "{reason}");
    }
}
