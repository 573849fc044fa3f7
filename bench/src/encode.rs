//! `encode`: the planned [`ClickEncoder`](pipeline::produce::ClickEncoder) against building an
//! `apache-avro` `Value` per click and calling `to_avro_datum`, both framing into a reused
//! buffer.

use super::workload::{rate, Input};
use apache_avro::types::Value;
use apache_avro::Schema;
use shared::decode::corpus::{median, CORPUS_SCHEMA_ID};
use shared::wire::Frame;
use shared::Click;
use std::fmt;
use std::time::Instant;

/// Medians of the two encoders.
#[derive(Debug, Clone)]
pub(crate) struct EncodeReport {
    records: usize,
    rounds: u32,
    planned: f64,
    apache: f64,
}

pub(crate) fn run(input: &Input) -> anyhow::Result<EncodeReport> {
    let mut out = Vec::with_capacity(512);
    let (mut planned, mut apache) = (Vec::new(), Vec::new());
    let mut checksum = 0usize;
    for _ in 0..input.rounds {
        let start = Instant::now();
        for click in &input.clicks {
            input
                .encoder
                .write_framed(CORPUS_SCHEMA_ID, click, &mut out);
            checksum = checksum.wrapping_add(out.len());
        }
        planned.push(rate(input.clicks.len(), start.elapsed()));
        let start = Instant::now();
        for click in &input.clicks {
            let body = apache_avro::to_avro_datum(&input.schema, value(click, &input.schema))?;
            out.clear();
            Frame {
                schema_id: CORPUS_SCHEMA_ID,
                body: &body,
            }
            .write_to(&mut out);
            checksum = checksum.wrapping_sub(out.len());
        }
        apache.push(rate(input.clicks.len(), start.elapsed()));
    }
    anyhow::ensure!(checksum == 0, "the two encoders wrote different lengths");
    Ok(EncodeReport {
        records: input.clicks.len(),
        rounds: input.rounds,
        planned: median(&planned),
        apache: median(&apache),
    })
}

/// The click as an `apache-avro` record of `schema`: what a plain producer builds per record.
fn value(click: &Click, schema: &Schema) -> Value {
    let Schema::Record(record) = schema else {
        return Value::Null;
    };
    let text = |s: &str| Value::String(s.to_owned());
    let fields = record.fields.iter().map(|field| {
        let branch = |wanted: fn(&Schema) -> bool| match &field.schema {
            Schema::Union(u) => u.variants().iter().position(wanted).unwrap_or(0) as u32,
            _ => 0,
        };
        let optional = |v: Option<&String>| match v {
            Some(s) => Value::Union(branch(|s| matches!(s, Schema::String)), Box::new(text(s))),
            None => Value::Union(branch(|s| matches!(s, Schema::Null)), Box::new(Value::Null)),
        };
        let value = match field.name.as_str() {
            "id" => text(&click.id),
            "impression_id" => text(&click.impression_id),
            "creative_id" => text(&click.creative_id),
            "placement_id" => text(&click.placement_id),
            "timestamp" => match field.schema {
                Schema::Long => Value::Long(click.timestamp),
                _ => Value::TimestampMillis(click.timestamp),
            },
            "user_agent" => optional(click.user_agent.as_ref()),
            "ip" => optional(click.ip.as_ref()),
            "referrer" => optional(click.referrer.as_ref()),
            "cost" => match field.schema {
                Schema::Double => Value::Double(f64::from(click.cost)),
                _ => Value::Float(click.cost),
            },
            _ => optional(None),
        };
        (field.name.clone(), value)
    });
    Value::Record(fields.collect())
}

impl EncodeReport {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "bench": "encode",
            "records": self.records,
            "rounds": self.rounds,
            "planned_records_per_s": self.planned,
            "apache_avro_records_per_s": self.apache,
            "speedup": self.planned / self.apache.max(f64::MIN_POSITIVE),
        })
    }
}

impl fmt::Display for EncodeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "encode: {} clicks, median of {} rounds",
            self.records, self.rounds
        )?;
        writeln!(
            f,
            "  planned ClickEncoder      {:>12.0} records/s",
            self.planned
        )?;
        writeln!(
            f,
            "  apache-avro Value path    {:>12.0} records/s",
            self.apache
        )?;
        write!(
            f,
            "  speed-up                  {:>12.2}x",
            self.planned / self.apache.max(f64::MIN_POSITIVE)
        )
    }
}
