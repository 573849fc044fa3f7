//! Schema references (the registry's `references`: a schema naming a type that another subject
//! defines) made self-contained: the named types are written out where they are first used, so
//! every reader — the page's decoder, the command line's, Spark's `from_avro` — gets one schema
//! text and needs no registry of names.

use apache_avro::schema::{Name, ResolvedSchema, Schema};
use std::collections::{HashMap, HashSet};

/// `main` with every named type it takes from `dependencies` written out at its first use, as
/// schema JSON. `dependencies` are the referenced schemas' texts, in any order.
pub fn inline(main: &str, dependencies: &[String]) -> Result<String, String> {
    let (main, deps) = crate::names::parse_with(main, dependencies)?;
    let all: Vec<&Schema> = deps.iter().chain(std::iter::once(&main)).collect();
    let names: HashMap<Name, Schema> = ResolvedSchema::try_from(all)
        .map_err(|e| e.to_string())?
        .get_names()
        .iter()
        .map(|(n, s)| (n.clone(), (*s).clone()))
        .collect();
    let mut defined = HashSet::new();
    let whole = expand(&main, &names, &mut defined, 0)?;
    serde_json::to_string(&whole).map_err(|e| e.to_string())
}

/// How deep named types may nest in one another.
const MAX_DEPTH: usize = 64;

fn expand(
    schema: &Schema,
    names: &HashMap<Name, Schema>,
    defined: &mut HashSet<Name>,
    depth: usize,
) -> Result<Schema, String> {
    if depth > MAX_DEPTH {
        return Err(format!("named types nest more than {MAX_DEPTH} deep"));
    }
    let deeper = |s: &Schema, defined: &mut HashSet<Name>| expand(s, names, defined, depth + 1);
    Ok(match schema {
        Schema::Ref { name } if !defined.contains(name) => {
            let named = names
                .get(name)
                .ok_or_else(|| format!("{} is used but no reference defines it", name.name))?;
            deeper(named, defined)?
        }
        Schema::Record(r) => {
            defined.insert(r.name.clone());
            let mut r = r.clone();
            for field in &mut r.fields {
                field.schema = deeper(&field.schema, defined)?;
            }
            Schema::Record(r)
        }
        Schema::Enum(e) => {
            defined.insert(e.name.clone());
            schema.clone()
        }
        Schema::Fixed(f) => {
            defined.insert(f.name.clone());
            schema.clone()
        }
        Schema::Array(a) => {
            let mut a = a.clone();
            a.items = Box::new(deeper(&a.items, defined)?);
            Schema::Array(a)
        }
        Schema::Map(m) => {
            let mut m = m.clone();
            m.types = Box::new(deeper(&m.types, defined)?);
            Schema::Map(m)
        }
        Schema::Union(u) => {
            let variants = u
                .variants()
                .iter()
                .map(|v| deeper(v, defined))
                .collect::<Result<Vec<_>, _>>()?;
            Schema::Union(
                apache_avro::schema::UnionSchema::new(variants).map_err(|e| e.to_string())?,
            )
        }
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GEO: &str = r#"{"type":"record","name":"Geo","namespace":"com.example","fields":[
        {"name":"country","type":"string"},
        {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["CITY","REGION"]}}]}"#;
    const MAIN: &str = r#"{"type":"record","name":"Visit","namespace":"com.example","fields":[
        {"name":"id","type":"string"},
        {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"from","type":"com.example.Geo"},
        {"name":"to","type":["null","com.example.Geo"],"default":null}]}"#;

    #[test]
    fn a_referenced_type_is_written_out_once_and_reads_alone() {
        let whole = inline(MAIN, &[GEO.to_owned()]).unwrap_or_else(|e| panic!("{e}"));
        let alone = Schema::parse_str(&whole).unwrap_or_else(|e| panic!("{e}: {whole}"));
        let Schema::Record(r) = &alone else {
            panic!("not a record: {whole}");
        };
        assert!(
            matches!(r.fields[2].schema, Schema::Record(_)),
            "first use written out"
        );
        assert!(
            whole.contains("timestamp-millis"),
            "logical types are kept: {whole}"
        );
        assert_eq!(whole.matches("\"Geo\"").count(), 1, "defined once: {whole}");
        // Records written with the two schemas read the same.
        let value = apache_avro::types::Value::Record(vec![
            ("id".into(), apache_avro::types::Value::String("v".into())),
            ("at".into(), apache_avro::types::Value::TimestampMillis(5)),
            (
                "from".into(),
                apache_avro::types::Value::Record(vec![
                    (
                        "country".into(),
                        apache_avro::types::Value::String("NL".into()),
                    ),
                    (
                        "kind".into(),
                        apache_avro::types::Value::Enum(1, "REGION".into()),
                    ),
                ]),
            ),
            (
                "to".into(),
                apache_avro::types::Value::Union(0, Box::new(apache_avro::types::Value::Null)),
            ),
        ]);
        let body =
            apache_avro::to_avro_datum(&alone, value.clone()).unwrap_or_else(|e| panic!("{e}"));
        let back = apache_avro::from_avro_datum(&alone, &mut body.as_slice(), None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, value);
    }

    #[test]
    fn a_missing_reference_is_named() {
        let error = inline(MAIN, &[]).err().unwrap_or_default();
        assert!(error.contains("Geo"), "{error}");
    }
}
