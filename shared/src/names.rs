//! Avro names checked before `apache-avro` parses a schema. apache-avro 0.21 panics on some
//! invalid names instead of returning an error (a record named `my-click`, an alias `a-b`, an
//! object whose `type` is `my-type`), and a panic in the page's WebAssembly ends the page. So every
//! schema text kafka-demo parses passes here first, and a bad name is a plain error.

use apache_avro::Schema;
use serde_json::Value;

/// Parses a schema's text after checking its names: every way to parse schema text goes
/// through here or [`check_names`].
pub fn parse_schema(text: &str) -> Result<Schema, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    check_names(&json)?;
    Schema::parse(&json).map_err(|e| e.to_string())
}

/// Parses `main`, which may use named types `dependencies` define, after checking every text's
/// names.
pub fn parse_with(main: &str, dependencies: &[String]) -> Result<(Schema, Vec<Schema>), String> {
    for text in std::iter::once(main).chain(dependencies.iter().map(String::as_str)) {
        let json: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        check_names(&json)?;
    }
    Schema::parse_str_with_list(main, dependencies.iter().map(String::as_str))
        .map_err(|e| e.to_string())
}

/// Checks the names in the schema positions of `schema`: type references, the names and
/// aliases of records, enums and fixed types, down through fields, items, values and unions.
/// Field names, symbols and namespaces are left to apache-avro, which reports them as errors.
pub fn check_names(schema: &Value) -> Result<(), String> {
    check(schema, 0)
}

/// How deep schemas may nest before the check gives up (apache-avro then reports depth itself).
const MAX_DEPTH: usize = 256;

fn check(schema: &Value, depth: usize) -> Result<(), String> {
    if depth > MAX_DEPTH {
        return Err(format!("the schema nests more than {MAX_DEPTH} deep"));
    }
    match schema {
        Value::String(name) => full_name(name),
        Value::Array(branches) => branches.iter().try_for_each(|b| check(b, depth + 1)),
        Value::Object(o) => {
            match o.get("type") {
                Some(Value::String(kind)) => {
                    full_name(kind)?;
                    if matches!(kind.as_str(), "record" | "error" | "enum" | "fixed") {
                        if let Some(Value::String(name)) = o.get("name") {
                            full_name(name)?;
                        }
                        if let Some(Value::Array(aliases)) = o.get("aliases") {
                            for alias in aliases.iter().filter_map(Value::as_str) {
                                full_name(alias)?;
                            }
                        }
                    }
                }
                Some(nested @ (Value::Object(_) | Value::Array(_))) => check(nested, depth + 1)?,
                _ => {}
            }
            if let Some(Value::Array(fields)) = o.get("fields") {
                for field in fields {
                    if let Some(kind) = field.get("type") {
                        check(kind, depth + 1)?;
                    }
                }
            }
            for key in ["items", "values"] {
                if let Some(inner) = o.get(key) {
                    check(inner, depth + 1)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A name, possibly with its namespace before the last dot: each part starts with a letter or
/// `_` and holds letters, digits and `_`.
fn full_name(name: &str) -> Result<(), String> {
    let part_ok = |part: &str| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if name.split('.').all(part_ok) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid Avro name: a name starts with a letter or _ and holds only letters, digits and _ (dots separate its namespace)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts that make apache-avro 0.21 panic when parsed unchecked.
    const PANICKING: [&str; 7] = [
        r#"{"type":"record","name":"my-click","fields":[]}"#,
        r#"{"type":"record","name":"","fields":[]}"#,
        r#"{"type":"record","name":"1abc","fields":[]}"#,
        r#"{"type":"fixed","name":"f-x","size":2}"#,
        r#"{"type":"record","name":"r","aliases":["a-b"],"fields":[]}"#,
        r#"{"type":"record","name":"r","fields":[{"name":"x","type":{"type":"my-type"}}]}"#,
        r#"{"type":"record","name":"r","fields":[{"name":"x","type":["null",{"type":"enum","name":"e-1","symbols":["A"]}]}]}"#,
    ];

    #[test]
    fn names_apache_avro_would_panic_on_are_refused_with_a_reason() {
        for text in PANICKING {
            let error = parse_schema(text).err().unwrap_or_default();
            assert!(
                error.contains("is not a valid Avro name"),
                "{text}: {error}"
            );
        }
    }

    #[test]
    fn good_names_and_data_that_looks_like_names_pass() {
        let text = r#"{"type":"record","name":"click","namespace":"com.example","aliases":["com.old.Click"],
            "fields":[{"name":"geo","type":{"type":"record","name":"Geo","fields":[{"name":"type","type":"string"}]},
                       "default":{"type":"not-a-name"}},
                      {"name":"tags","type":{"type":"array","items":"string"}},
                      {"name":"again","type":["null","com.example.Geo"],"default":null}]}"#;
        assert!(parse_schema(text).is_ok(), "{:?}", parse_schema(text).err());
    }
}
