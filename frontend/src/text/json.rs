//! JSON laid out for people: an order-preserving tree (`serde_json::Value` would sort keys), a
//! printer that keeps short containers on one line like a hand-written `.avsc`, and the JSON
//! view of a decoded Avro value. Pure; tested natively.

use apache_avro::types::Value as Avro;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Containers that fit in this many columns (after indentation) stay on one line.
const WIDTH: usize = 80;

/// A JSON document whose objects keep their keys in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A string, number, boolean or null, as JSON text.
    Scalar(String),
    /// An array.
    Array(Vec<Node>),
    /// An object, keys in order.
    Object(Vec<(String, Node)>),
}

impl Node {
    /// A JSON string.
    pub fn string(text: &str) -> Self {
        Self::Scalar(serde_json::Value::from(text).to_string())
    }
}

/// Parses JSON text, keeping the order of object keys.
pub fn parse(text: &str) -> Result<Node, serde_json::Error> {
    serde_json::from_str(text)
}

/// Lays `text` out with [`pretty`] when it is JSON; returns it unchanged otherwise.
pub fn reformat(text: &str) -> String {
    parse(text).map_or_else(|_| text.to_owned(), |node| pretty(&node))
}

/// The document with two-space indentation, short containers on one line.
pub fn pretty(node: &Node) -> String {
    let mut out = String::new();
    write_node(node, 0, &mut out);
    out
}

fn write_node(node: &Node, indent: usize, out: &mut String) {
    if let Some(line) = inline(node).filter(|l| indent + l.len() <= WIDTH) {
        out.push_str(&line);
        return;
    }
    let (open, close, children): (char, char, Vec<(Option<&str>, &Node)>) = match node {
        Node::Scalar(text) => return out.push_str(text),
        Node::Array(items) => ('[', ']', items.iter().map(|n| (None, n)).collect()),
        Node::Object(entries) => (
            '{',
            '}',
            entries.iter().map(|(k, n)| (Some(k.as_str()), n)).collect(),
        ),
    };
    out.push(open);
    for (i, (key, child)) in children.iter().enumerate() {
        out.push('\n');
        out.push_str(&" ".repeat(indent + 2));
        if let Some(key) = key {
            out.push_str(&key_text(key));
        }
        write_node(child, indent + 2, out);
        if i + 1 < children.len() {
            out.push(',');
        }
    }
    out.push('\n');
    out.push_str(&" ".repeat(indent));
    out.push(close);
}

/// The one-line form of a node, or `None` when it holds a container that is not itself short.
fn inline(node: &Node) -> Option<String> {
    let line = match node {
        Node::Scalar(text) => text.clone(),
        Node::Array(items) if items.is_empty() => "[]".to_owned(),
        Node::Object(entries) if entries.is_empty() => "{}".to_owned(),
        Node::Array(items) => {
            let parts: Option<Vec<String>> = items.iter().map(inline).collect();
            format!("[{}]", parts?.join(", "))
        }
        Node::Object(entries) => {
            let parts: Option<Vec<String>> = entries
                .iter()
                .map(|(k, n)| inline(n).map(|v| format!("{}{v}", key_text(k))))
                .collect();
            format!("{{ {} }}", parts?.join(", "))
        }
    };
    (line.len() <= WIDTH).then_some(line)
}

fn key_text(key: &str) -> String {
    format!("{}: ", serde_json::Value::from(key))
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Scalar(serde_json::Value::from(v).to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::string(v))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Scalar("null".into()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Node>()? {
            entries.push((key, value));
        }
        Ok(Node::Object(entries))
    }
}

/// The JSON view of a decoded Avro value: records keep their field order, unions show the
/// chosen branch's value, bytes and fixed show as hex strings, logical types as their numbers.
pub fn from_avro(value: &Avro) -> Node {
    let number = |n: f64| Node::Scalar(serde_json::Value::from(n).to_string());
    match value {
        Avro::Null => Node::Scalar("null".into()),
        Avro::Boolean(b) => Node::Scalar(b.to_string()),
        Avro::Int(n) | Avro::Date(n) | Avro::TimeMillis(n) => Node::Scalar(n.to_string()),
        Avro::Long(n)
        | Avro::TimeMicros(n)
        | Avro::TimestampMillis(n)
        | Avro::TimestampMicros(n)
        | Avro::TimestampNanos(n)
        | Avro::LocalTimestampMillis(n)
        | Avro::LocalTimestampMicros(n)
        | Avro::LocalTimestampNanos(n) => Node::Scalar(n.to_string()),
        Avro::Float(n) => number(f64::from(*n)),
        Avro::Double(n) => number(*n),
        Avro::Bytes(bytes) | Avro::Fixed(_, bytes) => Node::string(&hex_string(bytes)),
        Avro::String(s) | Avro::Enum(_, s) => Node::string(s),
        Avro::Uuid(uuid) => Node::string(&uuid.to_string()),
        Avro::BigDecimal(d) => Node::string(&d.to_string()),
        Avro::Decimal(d) => Node::string(&hex_string(&Vec::<u8>::try_from(d).unwrap_or_default())),
        Avro::Duration(d) => Node::Object(vec![
            (
                "months".into(),
                Node::Scalar(u32::from(d.months()).to_string()),
            ),
            ("days".into(), Node::Scalar(u32::from(d.days()).to_string())),
            (
                "millis".into(),
                Node::Scalar(u32::from(d.millis()).to_string()),
            ),
        ]),
        Avro::Union(_, inner) => from_avro(inner),
        Avro::Array(items) => Node::Array(items.iter().map(from_avro).collect()),
        Avro::Map(map) => {
            let mut entries: Vec<(String, Node)> =
                map.iter().map(|(k, v)| (k.clone(), from_avro(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Node::Object(entries)
        }
        Avro::Record(fields) => Node::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), from_avro(v)))
                .collect(),
        ),
    }
}

/// `0x` and two lowercase hex digits per byte.
fn hex_string(bytes: &[u8]) -> String {
    format!("0x{}", shared::wire::hex(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_without_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&deep).is_err_and(|e| e.to_string().contains("recursion limit")));
    }

    #[test]
    fn keys_keep_document_order() {
        let node = parse(r#"{"type":"record","name":"click","fields":[]}"#);
        assert_eq!(
            node.ok(),
            Some(Node::Object(vec![
                ("type".into(), Node::string("record")),
                ("name".into(), Node::string("click")),
                ("fields".into(), Node::Array(vec![])),
            ]))
        );
    }

    #[test]
    fn short_containers_stay_on_one_line_and_long_ones_break() {
        let text = r#"{"type":"record","name":"click","fields":[{"name":"id","type":"string"},{"name":"timestamp","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"ua","type":["string","null"]}]}"#;
        let expected = r#"{
  "type": "record",
  "name": "click",
  "fields": [
    { "name": "id", "type": "string" },
    {
      "name": "timestamp",
      "type": { "type": "long", "logicalType": "timestamp-millis" }
    },
    { "name": "ua", "type": ["string", "null"] }
  ]
}"#;
        assert_eq!(reformat(text), expected);
    }

    #[test]
    fn reformatting_is_stable_and_keeps_meaning() {
        let text = include_str!("../../../schemas/click_v2.avsc");
        let once = reformat(text);
        assert_eq!(reformat(&once), once);
        let before: Result<serde_json::Value, _> = serde_json::from_str(text);
        let after: Result<serde_json::Value, _> = serde_json::from_str(&once);
        assert_eq!(before.ok(), after.ok());
    }

    #[test]
    fn strings_are_escaped_and_non_json_is_returned_as_is() {
        assert_eq!(
            reformat(r#"{"a":"say \"hi\"\n"}"#),
            r#"{ "a": "say \"hi\"\n" }"#
        );
        assert_eq!(reformat("{not json"), "{not json");
    }

    #[test]
    fn avro_records_keep_field_order_and_unions_unwrap() {
        let value = Avro::Record(vec![
            ("z".into(), Avro::Long(1)),
            (
                "a".into(),
                Avro::Union(1, Box::new(Avro::String("x".into()))),
            ),
            ("b".into(), Avro::Bytes(vec![0xde, 0xad])),
            ("n".into(), Avro::Union(0, Box::new(Avro::Null))),
            ("f".into(), Avro::Float(1.5)),
        ]);
        assert_eq!(
            pretty(&from_avro(&value)),
            r#"{ "z": 1, "a": "x", "b": "0xdead", "n": null, "f": 1.5 }"#
        );
    }
}
