use super::*;
use crate::decode::{Decoder, Row};
use serde_json::json;

const V1: &str = include_str!("../../../schemas/click_v1.avsc");

fn parse(text: &str) -> Schema {
    Schema::parse_str(text).unwrap_or_else(|e| panic!("{e}"))
}

fn click() -> Json {
    json!({
        "id": "clk-1", "impression_id": "imp-1", "creative_id": "cr-1", "placement_id": "pl-1",
        "timestamp": 1_704_067_200_040_i64,
        "user_agent": {"string": "curl"}, "ip": null, "referrer": null,
        "cost": 0.72
    })
}

#[test]
fn a_hand_written_click_encodes_and_the_planned_decoder_reads_it_back() {
    let schema = parse(V1);
    let reader = RecordReader::new(&schema);
    let framed = reader
        .framed(&click(), SchemaId(9), None)
        .unwrap_or_else(|e| panic!("{e}"));
    let frame = Frame::parse(&framed).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(frame.schema_id, SchemaId(9));
    let decoder = Decoder::new(&schema);
    let mut row = Row::new();
    decoder
        .decode(frame.body, &mut row)
        .unwrap_or_else(|e| panic!("{e}"));
    let json = decoder.to_json(&row, frame.body);
    assert_eq!(json["timestamp"], 1_704_067_200_040_i64);
    assert_eq!(json["cost"].to_string(), "0.72");
    assert_eq!(json["user_agent"], "curl");
    assert_eq!(json["ip"], Json::Null);
}

#[test]
fn mistakes_are_named_by_their_field_path() {
    let schema = parse(V1);
    let reader = RecordReader::new(&schema);
    let error = |change: &dyn Fn(&mut Json)| {
        let mut record = click();
        change(&mut record);
        reader.value(&record).err().map(|e| e.to_string())
    };
    assert_eq!(
        error(&|r| r["cost"] = json!("abc")),
        Some("$.cost: expected float, got \"abc\"".into())
    );
    assert_eq!(
        error(&|r| r["user_agent"] = json!("curl"))
            .map(|e| e.starts_with("$.user_agent: a union's value is null or")),
        Some(true)
    );
    assert_eq!(
        error(&|r| r["user_agent"] = json!({"int": 3})),
        Some("$.user_agent: int is not one of the union's types (string, null)".into())
    );
    assert_eq!(
        error(&|r| {
            if let Some(o) = r.as_object_mut() {
                o.remove("id");
            }
        }),
        Some("$.id: missing, and the field has no default".into())
    );
    assert_eq!(
        error(&|r| r["colour"] = json!("red")),
        Some("$.colour: record click has no field colour".into())
    );
    assert_eq!(
        error(&|r| r["timestamp"] = json!(1.5)),
        Some("$.timestamp: expected long (an integer), got 1.5".into())
    );
}

#[test]
fn nested_paths_name_items_and_keys() {
    let schema = parse(
        r#"{"type":"record","name":"r","namespace":"n","fields":[
            {"name":"tags","type":{"type":"array","items":"int"}},
            {"name":"m","type":{"type":"map","values":{"type":"record","name":"inner","fields":[{"name":"x","type":"long"}]}}},
            {"name":"e","type":{"type":"enum","name":"colour","symbols":["RED","GREEN"]},"default":"RED"},
            {"name":"again","type":["null","inner"],"default":null},
            {"name":"f","type":{"type":"fixed","name":"two","size":2}},
            {"name":"d","type":{"type":"bytes","logicalType":"decimal","precision":6,"scale":2}}
        ]}"#,
    );
    let reader = RecordReader::new(&schema);
    let good = json!({"tags": [1, 2], "m": {"k": {"x": 5}}, "again": {"n.inner": {"x": 1}},
                      "f": "\u{00ff}\u{0001}", "d": "\u{0004}\u{00e2}"});
    let value = reader.value(&good).unwrap_or_else(|e| panic!("{e}"));
    let Value::Record(fields) = value else {
        panic!("not a record");
    };
    assert_eq!(
        fields[2].1,
        Value::Enum(0, "RED".into()),
        "the default fills a missing field"
    );
    assert_eq!(fields[4].1, Value::Fixed(2, vec![0xff, 0x01]));
    assert!(reader.body(&good).is_ok());
    let short =
        json!({"again": {"inner": {"x": 1}}, "tags": [1, "two"], "m": {}, "f": "ab", "d": ""});
    assert_eq!(
        reader.value(&short).err().map(|e| e.to_string()),
        Some("$.tags[1]: expected int (a 32-bit integer), got \"two\"".into())
    );
    let bad_key = json!({"tags": [], "m": {"k": {"x": "y"}}, "f": "ab", "d": ""});
    assert_eq!(
        reader.value(&bad_key).err().map(|e| e.path),
        Some("$.m[\"k\"].x".into())
    );
    let bad_fixed = json!({"tags": [], "m": {}, "f": "abc", "d": ""});
    assert_eq!(
        reader.value(&bad_fixed).err().map(|e| e.message),
        Some("fixed two holds 2 bytes, got 3".into())
    );
    let bad_enum = json!({"tags": [], "m": {}, "e": "BLUE", "f": "ab", "d": ""});
    assert_eq!(
        reader.value(&bad_enum).err().map(|e| e.message),
        Some("expected one of RED, GREEN, got \"BLUE\"".into())
    );
}

#[test]
fn pills_break_the_frame_the_way_they_say() {
    let body = [1u8, 2, 3, 4];
    let good = frame(&body, SchemaId(3), None);
    assert_eq!(good, [0, 0, 0, 0, 3, 1, 2, 3, 4]);
    assert_eq!(frame(&body, SchemaId(3), Some(Pill::WrongMagic))[0], 1);
    assert_eq!(
        &frame(&body, SchemaId(3), Some(Pill::UnknownId))[1..5],
        UNKNOWN_ID.0.to_be_bytes()
    );
    assert_eq!(
        frame(&body, SchemaId(3), Some(Pill::Truncated)),
        [0, 0, 0, 0, 3, 1, 2]
    );
}

#[test]
fn a_plain_click_is_filled_into_avro_json_that_reads_back() {
    let schema = parse(V1);
    let plain = json!({"id": "c", "impression_id": "i", "creative_id": "cr", "placement_id": "p",
                       "timestamp": 5, "user_agent": "ua", "ip": null, "cost": 0.5});
    let filled = fill(&schema, &plain);
    assert_eq!(filled["user_agent"], json!({"string": "ua"}));
    assert_eq!(
        filled["referrer"],
        Json::Null,
        "a missing field takes its default"
    );
    assert!(RecordReader::new(&schema).value(&filled).is_ok());
}
