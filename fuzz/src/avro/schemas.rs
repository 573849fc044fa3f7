//! Writer schemas for the decode target: the two click schemas, one with every type, and
//! random records — every primitive and logical type, enums, fixed, unions, arrays, maps,
//! nested and namespaced records, references to earlier names and recursive lists.

use crate::rng::Rng;
use serde_json::{json, Value as Json};

/// `schemas/click_v1.avsc`.
pub const CLICK_V1: &str = include_str!("../../../schemas/click_v1.avsc");
/// `schemas/click_v2.avsc`.
pub const CLICK_V2: &str = include_str!("../../../schemas/click_v2.avsc");
/// A record with a field of every planned type and a few that are not planned.
pub const EVERY_TYPE: &str = r#"{"type":"record","name":"all","namespace":"t","fields":[
    {"name":"n","type":"null"},
    {"name":"b","type":"boolean"},
    {"name":"i","type":"int"},
    {"name":"l","type":"long"},
    {"name":"f","type":"float"},
    {"name":"d","type":"double"},
    {"name":"by","type":"bytes"},
    {"name":"s","type":"string"},
    {"name":"e","type":{"type":"enum","name":"suit","symbols":["hearts","spades"]}},
    {"name":"fx","type":{"type":"fixed","name":"four","size":4}},
    {"name":"date","type":{"type":"int","logicalType":"date"}},
    {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}},
    {"name":"multi","type":["null","int","string","double"]},
    {"name":"nl","type":["long","null"]},
    {"name":"nested","type":{"type":"record","name":"geo","fields":[
        {"name":"lat","type":"double"},{"name":"tags","type":{"type":"array","items":"string"}}]}},
    {"name":"m","type":{"type":"map","values":"long"}},
    {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}},
    {"name":"last","type":"boolean"}
]}"#;

/// The schemas every run starts from.
pub const SEEDS: [&str; 3] = [CLICK_V1, CLICK_V2, EVERY_TYPE];

const PRIMITIVES: [&str; 8] = [
    "null", "boolean", "int", "long", "float", "double", "bytes", "string",
];

/// A random record schema as JSON text. It may not parse (a reference the namespaces hide,
/// a union apache-avro refuses); callers try again.
pub fn random_schema(rng: &mut Rng) -> String {
    let mut maker = Maker {
        rng,
        names: Vec::new(),
        next: 0,
    };
    maker.record(0, None).to_string()
}

/// A named type made so far: its full name and whether its encoding may take no bytes.
struct Named {
    full: String,
    may_be_empty: bool,
}

struct Maker<'r> {
    rng: &'r mut Rng,
    names: Vec<Named>,
    next: usize,
}

impl Maker<'_> {
    fn fresh(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    fn full(name: &str, namespace: Option<&str>) -> String {
        match namespace {
            Some(ns) => format!("{ns}.{name}"),
            None => name.to_owned(),
        }
    }

    fn record(&mut self, depth: usize, namespace: Option<&str>) -> Json {
        let name = self.fresh("r");
        let own_ns = self
            .rng
            .one_in(4)
            .then(|| format!("ns{}", self.rng.below(3)));
        let ns = own_ns.as_deref().or(namespace);
        let full = Self::full(&name, ns);
        let count = 1 + self.rng.below(if depth == 0 { 8 } else { 3 });
        let mut fields: Vec<Json> = (0..count)
            .map(|i| {
                let field_type = if i == 0 && depth > 0 {
                    // Nested records always take bytes, so arrays of them cannot be free.
                    json!(PRIMITIVES[1 + self.rng.below(7)])
                } else {
                    self.any(depth + 1, ns, false)
                };
                json!({"name": format!("f{i}"), "type": field_type})
            })
            .collect();
        self.names.push(Named {
            full: full.clone(),
            may_be_empty: depth == 0,
        });
        if self.rng.one_in(8) {
            // A linked list through this very record.
            fields.push(json!({"name": "next", "type": ["null", full]}));
        }
        let mut record = json!({"type": "record", "name": name, "fields": fields});
        if let Some(own) = own_ns {
            record["namespace"] = json!(own);
        }
        record
    }

    /// Any type; `taking_bytes` asks for one whose encoding is never empty (array items).
    fn any(&mut self, depth: usize, ns: Option<&str>, taking_bytes: bool) -> Json {
        let roll = if depth > 3 {
            self.rng.below(8)
        } else {
            self.rng.below(24)
        };
        match roll {
            0..=7 => match PRIMITIVES[roll] {
                "null" if taking_bytes => json!("long"),
                primitive => json!(primitive),
            },
            8 => self.logical(),
            9 => {
                let symbols: Vec<String> = (0..1 + self.rng.below(4))
                    .map(|i| format!("S{i}"))
                    .collect();
                self.named("e", json!({"type": "enum", "symbols": symbols}), ns, false)
            }
            10 => {
                let size = if taking_bytes {
                    1 + self.rng.below(16)
                } else {
                    self.rng.below(17)
                };
                self.named("x", json!({"type": "fixed", "size": size}), ns, size == 0)
            }
            11 => {
                let size = 1 + self.rng.below(16);
                let precision = 1 + self.rng.below(2 * size);
                let fixed = json!({"type": "fixed", "size": size,
                    "logicalType": "decimal", "precision": precision, "scale": self.rng.below(precision + 1)});
                self.named("d", fixed, ns, false)
            }
            12 => {
                let duration = json!({"type": "fixed", "size": 12, "logicalType": "duration"});
                self.named("dur", duration, ns, false)
            }
            13 | 14 => json!({"type": "array", "items": self.any(depth + 1, ns, true)}),
            15 | 16 => json!({"type": "map", "values": self.any(depth + 1, ns, false)}),
            17..=19 => self.union(depth, ns),
            20 | 21 => self.record(depth, ns),
            _ => self
                .reference(taking_bytes)
                .unwrap_or_else(|| json!("string")),
        }
    }

    fn logical(&mut self) -> Json {
        const LOGICAL: [(&str, &str); 11] = [
            ("int", "date"),
            ("int", "time-millis"),
            ("long", "time-micros"),
            ("long", "timestamp-millis"),
            ("long", "timestamp-micros"),
            ("long", "timestamp-nanos"),
            ("long", "local-timestamp-millis"),
            ("long", "local-timestamp-micros"),
            ("long", "local-timestamp-nanos"),
            ("string", "uuid"),
            ("bytes", "big-decimal"),
        ];
        if self.rng.one_in(6) {
            let precision = 1 + self.rng.below(20);
            return json!({"type": "bytes", "logicalType": "decimal", "precision": precision,
                "scale": self.rng.below(precision + 1)});
        }
        let (base, logical) = LOGICAL[self.rng.below(LOGICAL.len())];
        json!({"type": base, "logicalType": logical})
    }

    /// Names `schema` (an enum or a fixed) and records it so later fields may refer to it.
    fn named(
        &mut self,
        prefix: &str,
        mut schema: Json,
        ns: Option<&str>,
        may_be_empty: bool,
    ) -> Json {
        let name = self.fresh(prefix);
        self.names.push(Named {
            full: Self::full(&name, ns),
            may_be_empty,
        });
        schema["name"] = json!(name);
        schema
    }

    fn union(&mut self, depth: usize, ns: Option<&str>) -> Json {
        let mut kinds: Vec<&str> = PRIMITIVES.to_vec();
        let mut branches = Vec::new();
        for _ in 0..1 + self.rng.below(4) {
            let at = self.rng.below(kinds.len());
            branches.push(json!(kinds.swap_remove(at)));
        }
        if self.rng.one_in(3) {
            // One complex branch: a record, an enum, an array or a map.
            let complex = match self.rng.below(4) {
                0 => self.record(depth + 1, ns),
                1 => self.any(depth + 1, ns, false),
                2 => json!({"type": "array", "items": "int"}),
                _ => json!({"type": "map", "values": "string"}),
            };
            if !complex.is_array() {
                let at = self.rng.below(branches.len() + 1);
                branches.insert(at, complex);
            }
        }
        Json::Array(branches)
    }

    fn reference(&mut self, taking_bytes: bool) -> Option<Json> {
        let candidates: Vec<&Named> = self
            .names
            .iter()
            .filter(|n| !(taking_bytes && n.may_be_empty))
            .collect();
        let named = candidates.get(self.rng.below(candidates.len()))?;
        Some(json!(named.full))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_and_most_random_schemas_do() {
        for seed in SEEDS {
            assert!(apache_avro::Schema::parse_str(seed).is_ok(), "{seed}");
        }
        let mut rng = Rng::new(11);
        let parsed = (0..200)
            .filter(|_| apache_avro::Schema::parse_str(&random_schema(&mut rng)).is_ok())
            .count();
        assert!(parsed > 120, "only {parsed} of 200 random schemas parse");
    }
}
