//! The planned decoder against `apache-avro` as the oracle: generated clicks under both click
//! schemas, schemas with every planned type and some that are not, and broken bodies.

use super::plan::{IntKind, LongKind, Prim, Step};
use super::*;
use crate::generator::{Event, Generator, GeneratorConfig, GeneratorOptions};
use crate::Click;
use apache_avro::schema::RecordField;

const V1: &str = include_str!("../../../schemas/click_v1.avsc");
const V2: &str = include_str!("../../../schemas/click_v2.avsc");

fn parse(text: &str) -> Schema {
    Schema::parse_str(text).unwrap_or_else(|e| panic!("{e}"))
}

/// A click as `apache-avro` sees it under `schema`.
fn click_value(click: &Click, schema: &Schema) -> Value {
    let Schema::Record(record) = schema else {
        panic!("not a record")
    };
    let union = |field: &RecordField, value: Option<&str>| {
        let Schema::Union(u) = &field.schema else {
            return value.map_or(Value::Null, |v| Value::String(v.to_owned()));
        };
        let wanted = |s: &Schema| match value {
            Some(_) => matches!(s, Schema::String),
            None => matches!(s, Schema::Null),
        };
        let index = u.variants().iter().position(wanted).unwrap_or(0) as u32;
        let inner = value.map_or(Value::Null, |v| Value::String(v.to_owned()));
        Value::Union(index, Box::new(inner))
    };
    let fields = record
        .fields
        .iter()
        .map(|f| {
            let value = match f.name.as_str() {
                "id" => Value::String(click.id.clone()),
                "impression_id" => Value::String(click.impression_id.clone()),
                "creative_id" => Value::String(click.creative_id.clone()),
                "placement_id" => Value::String(click.placement_id.clone()),
                "timestamp" => Value::TimestampMillis(click.timestamp),
                "user_agent" => union(f, click.user_agent.as_deref()),
                "ip" => union(f, click.ip.as_deref()),
                "referrer" => union(f, click.referrer.as_deref()),
                "cost" => Value::Float(click.cost),
                _ => union(f, None),
            };
            (f.name.clone(), value)
        })
        .collect();
    Value::Record(fields)
}

fn encode(schema: &Schema, value: Value) -> Vec<u8> {
    apache_avro::to_avro_datum(schema, value).unwrap_or_else(|e| panic!("{e}"))
}

/// What `apache-avro` decodes, with its own leftover check.
fn oracle(schema: &Schema, body: &[u8]) -> Option<Value> {
    let mut rest = body;
    let value = apache_avro::from_avro_datum(schema, &mut rest, None).ok()?;
    rest.is_empty().then_some(value)
}

fn prim_value(prim: &Prim, cell: Cell, body: &[u8]) -> Value {
    match (prim, cell) {
        (Prim::Null, Cell::Null) => Value::Null,
        (Prim::Bool, Cell::Bool(b)) => Value::Boolean(b),
        (Prim::Int(kind), Cell::Int(n)) => match kind {
            IntKind::Int => Value::Int(n),
            IntKind::Date => Value::Date(n),
            IntKind::TimeMillis => Value::TimeMillis(n),
        },
        (Prim::Long(kind), Cell::Long(n)) => match kind {
            LongKind::Long => Value::Long(n),
            LongKind::TimeMicros => Value::TimeMicros(n),
            LongKind::TimestampMillis => Value::TimestampMillis(n),
            LongKind::TimestampMicros => Value::TimestampMicros(n),
            LongKind::TimestampNanos => Value::TimestampNanos(n),
            LongKind::LocalTimestampMillis => Value::LocalTimestampMillis(n),
            LongKind::LocalTimestampMicros => Value::LocalTimestampMicros(n),
            LongKind::LocalTimestampNanos => Value::LocalTimestampNanos(n),
        },
        (Prim::Float, Cell::Float(x)) => Value::Float(x),
        (Prim::Double, Cell::Double(x)) => Value::Double(x),
        (Prim::Bytes, Cell::Bytes(s)) => Value::Bytes(s.of(body).to_vec()),
        (Prim::Str, Cell::Str(s)) => Value::String(s.str(body).unwrap_or("<not utf-8>").into()),
        (Prim::Enum(symbols), Cell::Enum(i)) => {
            Value::Enum(i, symbols.get(i as usize).cloned().unwrap_or_default())
        }
        (Prim::Fixed(size), Cell::Fixed(s)) => Value::Fixed(*size, s.of(body).to_vec()),
        (prim, cell) => panic!("cell {cell:?} does not fit {prim:?}"),
    }
}

fn branch_of(prims: &[Prim], cell: Cell) -> (u32, &Prim) {
    let fits = |p: &Prim| {
        matches!(
            (p, cell),
            (Prim::Null, Cell::Null)
                | (Prim::Bool, Cell::Bool(_))
                | (Prim::Int(_), Cell::Int(_))
                | (Prim::Long(_), Cell::Long(_))
                | (Prim::Float, Cell::Float(_))
                | (Prim::Double, Cell::Double(_))
                | (Prim::Bytes, Cell::Bytes(_))
                | (Prim::Str, Cell::Str(_))
                | (Prim::Enum(_), Cell::Enum(_))
                | (Prim::Fixed(_), Cell::Fixed(_))
        )
    };
    let i = prims
        .iter()
        .position(fits)
        .unwrap_or_else(|| panic!("{cell:?} fits no branch"));
    (i as u32, &prims[i])
}

/// The row as an `apache-avro` record, rebuilt through the plan.
fn row_value(decoder: &Decoder, row: &Row, body: &[u8]) -> Value {
    let fields = decoder
        .columns
        .iter()
        .zip(row.cells())
        .map(|(column, &cell)| {
            let value = match (&column.step, cell) {
                (_, Cell::Value(i)) => row.value(i).cloned().unwrap_or(Value::Null),
                (Step::Prim(prim), cell) => prim_value(prim, cell, body),
                (Step::Nullable { null, .. }, Cell::Null) => {
                    Value::Union(*null as u32, Box::new(Value::Null))
                }
                (Step::Nullable { null, prim }, cell) => {
                    Value::Union(1 - *null as u32, Box::new(prim_value(prim, cell, body)))
                }
                (Step::Union(prims), cell) => {
                    let (i, prim) = branch_of(prims, cell);
                    Value::Union(i, Box::new(prim_value(prim, cell, body)))
                }
                (Step::Avro(_), cell) => panic!("planned cell {cell:?} in an apache-avro column"),
            };
            (column.name.clone(), value)
        })
        .collect();
    Value::Record(fields)
}

fn decode(decoder: &Decoder, body: &[u8]) -> Result<Row, DecodeError> {
    let mut row = Row::new();
    decoder.decode(body, &mut row).map(|()| row)
}

fn assert_agrees(schema: &Schema, decoder: &Decoder, body: &[u8]) {
    let want = oracle(schema, body).unwrap_or_else(|| panic!("the oracle refuses {body:?}"));
    let row = decode(decoder, body).unwrap_or_else(|e| panic!("{e} for {body:?}"));
    assert_eq!(row_value(decoder, &row, body), want);
}

fn clicks(seed: u64, null_rate: f64, n: usize) -> Vec<Click> {
    let options = GeneratorOptions {
        seed,
        user_agent_null_rate: null_rate,
        ip_null_rate: null_rate,
        referrer_null_rate: null_rate,
        ..GeneratorOptions::default()
    };
    let config = GeneratorConfig::new(options).unwrap_or_else(|e| panic!("{e}"));
    Generator::new(config)
        .take(n)
        .filter_map(|e| match e {
            Event::Click { click, .. } | Event::Duplicate(click) => Some(click),
            Event::Poison(_) => None,
        })
        .collect()
}

#[test]
fn generated_clicks_decode_as_apache_avro_decodes_them() {
    let (v1, v2) = (parse(V1), parse(V2));
    let (d1, d2) = (Decoder::new(&v1), Decoder::new(&v2));
    assert!(d1.fully_planned() && d2.fully_planned());
    let mut seen = 0;
    for (seed, null_rate) in [(1, 0.0), (7, 0.3), (42, 1.0), (2024, 0.05)] {
        for click in clicks(seed, null_rate, 600) {
            for (schema, decoder) in [(&v1, &d1), (&v2, &d2)] {
                let body = encode(schema, click_value(&click, schema));
                assert_agrees(schema, decoder, &body);
                seen += 1;
            }
        }
    }
    assert!(seen > 4_000, "{seen}");
}

#[test]
fn v2_country_is_null_and_text_shows_each_column() {
    let v2 = parse(V2);
    let decoder = Decoder::new(&v2);
    let click = clicks(3, 0.0, 1).remove(0);
    let body = encode(&v2, click_value(&click, &v2));
    let row = decode(&decoder, &body).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = decoder.columns().collect();
    assert_eq!(names.len(), 10);
    assert_eq!(row.cells()[9], Cell::Null);
    assert_eq!(decoder.text(&row, &body, 0), click.id);
    // The first click of the default generator is at 2024-01-01T00:00:00Z; a table shows the
    // timestamp-millis field as people read it, JSON keeps the number.
    assert_eq!(click.timestamp, 1_704_067_200_000);
    assert_eq!(decoder.text(&row, &body, 4), "2024-01-01T00:00:00.000Z");
    assert_eq!(decoder.text(&row, &body, 8), click.cost.to_string());
    assert_eq!(decoder.text(&row, &body, 9), "null");
    assert_eq!(decoder.text(&row, &body, 10), "");
    let json = decoder.to_json(&row, &body);
    assert_eq!(json["id"], click.id.as_str());
    assert_eq!(json["timestamp"], click.timestamp);
    assert_eq!(json["country"], serde_json::Value::Null);
    // A float's JSON is the shortest decimal that reads back as it, not the nearest double.
    let cost = json["cost"].as_f64().unwrap_or(f64::NAN);
    assert_eq!(cost as f32, click.cost);
    assert_eq!(json["cost"].to_string(), click.cost.to_string());
}

const EVERY_TYPE: &str = r#"{"type":"record","name":"all","namespace":"t","fields":[
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
    {"name":"tm","type":{"type":"int","logicalType":"time-millis"}},
    {"name":"tu","type":{"type":"long","logicalType":"time-micros"}},
    {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}},
    {"name":"lts","type":{"type":"long","logicalType":"local-timestamp-millis"}},
    {"name":"multi","type":["null","int","string","double"]},
    {"name":"nl","type":["long","null"]},
    {"name":"nested","type":{"type":"record","name":"geo","fields":[
        {"name":"lat","type":"double"},{"name":"tags","type":{"type":"array","items":"string"}}]}},
    {"name":"m","type":{"type":"map","values":"long"}},
    {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}}
]}"#;

fn every_type_value(k: i32) -> Value {
    let s = |t: &str| Value::String(t.to_owned());
    Value::Record(vec![
        ("n".into(), Value::Null),
        ("b".into(), Value::Boolean(k % 2 == 0)),
        ("i".into(), Value::Int(k.wrapping_mul(-77_777))),
        ("l".into(), Value::Long(i64::from(k) << 40)),
        ("f".into(), Value::Float(k as f32 / 3.0)),
        ("d".into(), Value::Double(-f64::from(k) / 7.0)),
        ("by".into(), Value::Bytes(vec![0, 0xff, k as u8])),
        ("s".into(), s(&format!("ß-{k}-✓"))),
        (
            "e".into(),
            Value::Enum(
                (k % 2) as u32,
                ["hearts", "spades"][(k % 2) as usize].into(),
            ),
        ),
        ("fx".into(), Value::Fixed(4, k.to_le_bytes().to_vec())),
        ("date".into(), Value::Date(19_000 + k)),
        ("tm".into(), Value::TimeMillis(k * 1000)),
        ("tu".into(), Value::TimeMicros(i64::from(k) * 1_000_000)),
        (
            "ts".into(),
            Value::TimestampMicros(1_700_000_000_000_000 + i64::from(k)),
        ),
        ("lts".into(), Value::LocalTimestampMillis(-i64::from(k))),
        (
            "multi".into(),
            match k % 4 {
                0 => Value::Union(0, Box::new(Value::Null)),
                1 => Value::Union(1, Box::new(Value::Int(k))),
                2 => Value::Union(2, Box::new(s("two"))),
                _ => Value::Union(3, Box::new(Value::Double(0.5))),
            },
        ),
        (
            "nl".into(),
            match k % 2 {
                0 => Value::Union(1, Box::new(Value::Null)),
                _ => Value::Union(0, Box::new(Value::Long(-5))),
            },
        ),
        (
            "nested".into(),
            Value::Record(vec![
                ("lat".into(), Value::Double(52.5)),
                ("tags".into(), Value::Array(vec![s("a"); (k % 3) as usize])),
            ]),
        ),
        (
            "m".into(),
            Value::Map([("k".to_owned(), Value::Long(7))].into()),
        ),
        (
            "dec".into(),
            Value::Decimal(apache_avro::Decimal::from(vec![0x01, 0x02])),
        ),
    ])
}

#[test]
fn every_planned_type_and_apache_avro_columns_agree_with_the_oracle() {
    let schema = parse(EVERY_TYPE);
    let decoder = Decoder::new(&schema);
    assert!(!decoder.fully_planned());
    for k in 0..40 {
        let body = encode(&schema, every_type_value(k));
        assert_agrees(&schema, &decoder, &body);
        let row = decode(&decoder, &body).unwrap_or_else(|e| panic!("{e}"));
        let planned = row.cells()[..17]
            .iter()
            .all(|c| !matches!(c, Cell::Value(_)));
        assert!(planned, "{:?}", row.cells());
        assert!(matches!(row.cells()[17], Cell::Value(_)));
        assert_eq!(
            decoder.text(&row, &body, 8),
            ["hearts", "spades"][(k % 2) as usize]
        );
        assert_eq!(decoder.to_json(&row, &body)["nested"]["lat"], 52.5);
        // The decimal's unscaled 0x0102 = 258 with scale 2, read exactly.
        let dec = decoder
            .columns()
            .position(|c| c == "dec")
            .unwrap_or(usize::MAX);
        assert_eq!(decoder.text(&row, &body, dec), "2.58");
    }
}

#[test]
fn records_referring_to_earlier_types_decode_whole_with_apache_avro() {
    let schema = parse(
        r#"{"type":"record","name":"pair","fields":[
            {"name":"a","type":{"type":"fixed","name":"two","size":2}},
            {"name":"b","type":"two"},
            {"name":"c","type":"string"}]}"#,
    );
    let decoder = Decoder::new(&schema);
    assert!(decoder.whole.is_some());
    let body = [1, 2, 3, 4, 2, b'x'];
    let row = decode(&decoder, &body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(row.cells().len(), 3);
    assert_eq!(decoder.text(&row, &body, 2), "\"x\"");
    let mut longer = body.to_vec();
    longer.push(0);
    assert_eq!(
        decode(&decoder, &longer).err(),
        Some(DecodeError::TrailingBytes { count: 1 })
    );
}

#[test]
fn schemas_that_are_not_records_are_one_column() {
    for (text, body) in [
        (r#""string""#, vec![2, b'z']),
        (r#"{"type":"array","items":"int"}"#, vec![4, 2, 4, 0]),
    ] {
        let schema = parse(text);
        let decoder = Decoder::new(&schema);
        assert_eq!(decoder.columns().collect::<Vec<_>>(), ["value"]);
        let row = decode(&decoder, &body).unwrap_or_else(|e| panic!("{e}"));
        let want = oracle(&schema, &body).unwrap_or_else(|| panic!("oracle"));
        let got = match row.cells()[0] {
            Cell::Str(s) => Value::String(s.str(&body).unwrap_or_default().into()),
            Cell::Value(i) => row.value(i).cloned().unwrap_or(Value::Null),
            other => panic!("{other:?}"),
        };
        assert_eq!(got, want);
    }
}

fn v1_body() -> (Schema, Vec<u8>) {
    let v1 = parse(V1);
    let click = clicks(5, 0.0, 1).remove(0);
    let body = encode(&v1, click_value(&click, &v1));
    (v1, body)
}

#[test]
fn every_strict_prefix_of_a_body_is_an_error() {
    let (v1, body) = v1_body();
    let decoder = Decoder::new(&v1);
    for cut in 0..body.len() {
        assert!(
            decode(&decoder, &body[..cut]).is_err(),
            "prefix of {cut} bytes decoded"
        );
    }
}

#[test]
fn broken_bodies_name_their_fault() {
    let (v1, body) = v1_body();
    let decoder = Decoder::new(&v1);
    let fault = |bytes: &[u8]| match decode(&decoder, bytes) {
        Err(DecodeError::Field { field, fault }) => (field, fault),
        other => panic!("expected a field fault, got {other:?}"),
    };
    let mut trailing = body.clone();
    trailing.extend([0, 0]);
    assert_eq!(
        decode(&decoder, &trailing).err(),
        Some(DecodeError::TrailingBytes { count: 2 })
    );
    assert_eq!(fault(&[]), ("id".into(), Fault::Truncated));
    assert_eq!(fault(&[0x80; 12]), ("id".into(), Fault::BadVarint));
    assert_eq!(fault(&[4, 0xc3, 0x28]), ("id".into(), Fault::InvalidUtf8));
    // Four empty strings, timestamp 0, then user_agent's union branch 2 of 2.
    assert_eq!(
        fault(&[0, 0, 0, 0, 0, 4]),
        (
            "user_agent".into(),
            Fault::BadUnionIndex {
                index: 2,
                branches: 2
            }
        )
    );
    assert_eq!(
        fault(&[0, 0, 0, 0, 0, 1]),
        (
            "user_agent".into(),
            Fault::BadUnionIndex {
                index: -1,
                branches: 2
            }
        )
    );
    let enums = parse(EVERY_TYPE);
    let mut bad_enum = encode(&enums, every_type_value(1));
    // n (0 bytes), b (1), i, l, f (4), d (8), by, s, then e: find e's byte by re-encoding.
    let prefix = encode(
        &parse(
            r#"{"type":"record","name":"p","fields":[{"name":"b","type":"boolean"},{"name":"i","type":"int"},{"name":"l","type":"long"},{"name":"f","type":"float"},{"name":"d","type":"double"},{"name":"by","type":"bytes"},{"name":"s","type":"string"}]}"#,
        ),
        match every_type_value(1) {
            Value::Record(fields) => Value::Record(fields[1..8].to_vec()),
            other => other,
        },
    );
    bad_enum[prefix.len()] = 4; // index 2 of 2 symbols
    match decode(&Decoder::new(&enums), &bad_enum) {
        Err(DecodeError::Field { field, fault }) => {
            assert_eq!(field, "e");
            assert_eq!(
                fault,
                Fault::BadEnumIndex {
                    index: 2,
                    symbols: 2
                }
            );
        }
        other => panic!("expected a bad enum index, got {other:?}"),
    }
}

/// A small xorshift, so the fuzz loop needs no dependency and repeats exactly.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_bytes_never_panic_and_agree_when_both_decode() {
    let schemas = [parse(V1), parse(V2), parse(EVERY_TYPE)];
    let decoders: Vec<Decoder> = schemas.iter().map(Decoder::new).collect();
    let (_, valid) = v1_body();
    let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
    let mut row = Row::new();
    let mut agreed = 0;
    for round in 0..20_000 {
        let bytes: Vec<u8> = if round % 2 == 0 {
            let len = (rng.next() % 96) as usize;
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            // A valid body with a few bytes flipped: deeper paths than pure noise reaches.
            let mut b = valid.clone();
            for _ in 0..=(rng.next() % 3) {
                let at = (rng.next() as usize) % b.len();
                b[at] = rng.next() as u8;
            }
            b
        };
        for (schema, decoder) in schemas.iter().zip(&decoders) {
            if decoder.decode(&bytes, &mut row).is_ok() {
                if let Some(want) = oracle(schema, &bytes) {
                    assert_eq!(row_value(decoder, &row, &bytes), want, "{bytes:?}");
                    agreed += 1;
                }
                for column in 0..row.cells().len() {
                    let _ = decoder.text(&row, &bytes, column);
                }
            }
        }
    }
    assert!(
        agreed > 1_000,
        "only {agreed} random bodies decoded on both sides"
    );
}

#[test]
fn framed_records_are_decoded_or_named_poison_pills() {
    let (v1, body) = v1_body();
    let mut writers = Writers::new();
    writers.insert(crate::SchemaId(1), &v1);
    let mut framed = Vec::new();
    crate::Frame {
        schema_id: crate::SchemaId(1),
        body: &body,
    }
    .write_to(&mut framed);
    let mut row = Row::new();
    let ok = writers
        .decode(&framed, &mut row)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((ok.schema_id, ok.body), (crate::SchemaId(1), &body[..]));
    assert_eq!(ok.decoder.columns().len(), 9);
    let reason = |bytes: &[u8]| writers.decode(bytes, &mut Row::new()).err();
    assert_eq!(reason(&[0, 0]), Some(PoisonReason::TooShort { len: 2 }));
    assert_eq!(
        reason(&[b'{', 0, 0, 0, 1, 0]),
        Some(PoisonReason::WrongMagic { found: b'{' })
    );
    let mut unknown = framed.clone();
    unknown[4] = 9;
    assert_eq!(
        reason(&unknown),
        Some(PoisonReason::UnknownSchemaId {
            id: crate::SchemaId(9)
        })
    );
    let truncated = &framed[..framed.len() - 3];
    assert!(matches!(
        reason(truncated),
        Some(PoisonReason::Undecodable {
            id: crate::SchemaId(1),
            ..
        })
    ));
    let mut trailing = framed.clone();
    trailing.push(0);
    match reason(&trailing) {
        Some(PoisonReason::Undecodable { detail, .. }) => {
            assert!(detail.contains("1 bytes left over"), "{detail}")
        }
        other => panic!("expected undecodable, got {other:?}"),
    }
    let kinds = [
        PoisonReason::TooShort { len: 0 },
        PoisonReason::WrongMagic { found: 1 },
        PoisonReason::UnknownSchemaId {
            id: crate::SchemaId(1),
        },
        PoisonReason::Undecodable {
            id: crate::SchemaId(1),
            detail: String::new(),
        },
    ];
    assert_eq!(kinds.each_ref().map(|r| r.kind()), PoisonReason::KINDS);
}

fn refusal(schema: &str, body: &[u8]) -> Fault {
    let schema = parse(schema);
    match decode(&Decoder::new(&schema), body) {
        Err(DecodeError::Field { fault, .. }) => fault,
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[test]
fn an_announced_array_is_refused_before_apache_avro_allocates_it() {
    // Six bytes announcing 500 million ints: apache-avro alone asks for 28 GB and aborts.
    let mut body = vec![0x80, 0xd0, 0xac, 0xf3, 0x03];
    body.push(0);
    let array = r#"{"type":"record","name":"r","fields":[{"name":"a","type":{"type":"array","items":"int"}}]}"#;
    assert_eq!(refusal(array, &body[..5]), Fault::Truncated);
    let map = r#"{"type":"record","name":"r","fields":[{"name":"m","type":{"type":"map","values":"long"}}]}"#;
    assert_eq!(refusal(map, &[0xfe, 0xff, 0xff, 0x0f]), Fault::Truncated);
    let text = r#"{"type":"record","name":"r","fields":[{"name":"a","type":{"type":"array","items":"string"}}]}"#;
    assert_eq!(
        refusal(text, &[2, 0xfe, 0xff, 0xff, 0x0f]),
        Fault::Truncated
    );
}

#[test]
fn values_taking_no_bytes_are_counted_not_trusted() {
    let nulls = r#"{"type":"record","name":"r","fields":[{"name":"a","type":{"type":"array","items":"null"}}]}"#;
    let schema = parse(nulls);
    let decoder = Decoder::new(&schema);
    // 1000 nulls in three bytes is a valid body; 2^40 of them is not one we decode.
    let few = [0xd0, 0x0f, 0];
    assert_agrees(&schema, &decoder, &few);
    assert_eq!(
        refusal(nulls, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 0]),
        Fault::TooManyItems(MAX_EMPTY_ITEMS)
    );
}

#[test]
fn a_truncated_body_is_refused_where_apache_avro_would_read_null() {
    // apache-avro reads a boolean, a string or a union index cut off at the end as null.
    for (schema, body) in [
        (
            r#"{"type":"record","name":"r","fields":[{"name":"n","type":{"type":"record","name":"in","fields":[{"name":"b","type":"boolean"}]}}]}"#,
            &[][..],
        ),
        (
            r#"{"type":"record","name":"r","fields":[{"name":"a","type":{"type":"array","items":["int","null"]}}]}"#,
            &[2][..],
        ),
        (
            r#"{"type":"record","name":"r","fields":[{"name":"a","type":{"type":"array","items":"string"}}]}"#,
            &[2, 6, b'a'][..],
        ),
    ] {
        assert_eq!(refusal(schema, body), Fault::Truncated, "{schema}");
    }
    let whole = r#"{"type":"record","name":"r","fields":[
        {"name":"a","type":{"type":"enum","name":"e","symbols":["x"]}},{"name":"b","type":"e"},
        {"name":"c","type":"boolean"}]}"#;
    assert_eq!(refusal(whole, &[0, 0]), Fault::Truncated);
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let list = r#"{"type":"record","name":"r","fields":[{"name":"next","type":{"type":"record","name":"node","fields":[
        {"name":"tail","type":["null","node"]}]}}]}"#;
    let schema = parse(list);
    let decoder = Decoder::new(&schema);
    let mut shallow = vec![2; 10];
    shallow.push(0);
    assert_agrees(&schema, &decoder, &shallow);
    let mut deep = vec![2; 100_000];
    deep.push(0);
    assert_eq!(refusal(list, &deep), Fault::TooDeep(MAX_DEPTH));
}
