//! Answers to `SendRecords`: bytes the page encoded, sent as they are after checks of size and
//! count. The bridge never decodes or runs what the page wrote.

use crate::state::AppState;
use pipeline::produce::records::{self, Outgoing};
use pipeline::produce::ProduceError;
use shared::generator::{Event, Generator, GeneratorConfig, GeneratorOptions};
use shared::protocol::{ErrorCode, ErrorInfo, Response, SendSpec, MAX_COPIES, MAX_SENT_VALUE};

/// Partitions of a topic the page's first record creates.
const NEW_TOPIC_PARTITIONS: i32 = 3;
/// Most headers a record may carry.
const MAX_HEADERS: usize = 64;
/// Most bytes of key and headers together.
const MAX_KEY_AND_HEADERS: usize = 64 * 1024;
/// Most bytes one request may send in all its copies.
const MAX_TOTAL_BYTES: usize = 64 << 20;
/// Most copies an attendee may send at once in workshop mode, where one tab is one person of
/// many on a shared broker.
const WORKSHOP_MAX_COPIES: u32 = 1_000;

pub(crate) async fn send(spec: SendSpec, state: &AppState) -> Result<Response, ErrorInfo> {
    check(&spec)?;
    if state.inner.workshop && spec.copies > WORKSHOP_MAX_COPIES {
        return Err(ErrorInfo {
            code: ErrorCode::BadRequest,
            message: format!(
                "in the workshop at most {WORKSHOP_MAX_COPIES} copies can be sent at once"
            ),
        });
    }
    let outgoing = Outgoing {
        key: spec.key.map(String::into_bytes),
        headers: spec
            .headers
            .into_iter()
            .map(|(name, value)| (name, value.into_bytes()))
            .collect(),
        value: spec.value,
    };
    let delivered = records::send(
        &state.cluster.config.kafka,
        &spec.topic,
        std::slice::from_ref(&outgoing),
        spec.copies,
        (NEW_TOPIC_PARTITIONS, 1),
    )
    .await
    .map_err(|e: ProduceError| ErrorInfo {
        code: ErrorCode::KafkaError,
        message: pipeline::error::describe(&e),
    })?;
    Ok(Response::RecordsSent {
        count: delivered.count,
        places: delivered.places,
        topic_created: delivered.topic_created,
    })
}

/// The first click the generator makes with `seed`.
pub(crate) fn sample(seed: u64) -> Result<Response, ErrorInfo> {
    let config = GeneratorConfig::new(GeneratorOptions {
        seed,
        ..GeneratorOptions::default()
    })
    .map_err(|e| ErrorInfo {
        code: ErrorCode::BadRequest,
        message: e.to_string(),
    })?;
    Generator::new(config)
        .find_map(|event| match event {
            Event::Click { click, .. } => Some(Response::Click(click)),
            _ => None,
        })
        .ok_or_else(|| ErrorInfo {
            code: ErrorCode::Internal,
            message: "the generator made no click".into(),
        })
}

fn check(spec: &SendSpec) -> Result<(), ErrorInfo> {
    let refuse = |message: String| {
        Err(ErrorInfo {
            code: ErrorCode::BadRequest,
            message,
        })
    };
    if !(1..=MAX_COPIES).contains(&spec.copies) {
        return refuse(format!("copies must be between 1 and {MAX_COPIES}"));
    }
    if spec.value.len() > MAX_SENT_VALUE {
        return refuse(format!(
            "the value holds {} bytes; at most {MAX_SENT_VALUE} can be sent",
            spec.value.len()
        ));
    }
    let total = (spec.value.len() + spec.key.as_ref().map_or(0, String::len))
        .saturating_mul(spec.copies as usize);
    if total > MAX_TOTAL_BYTES {
        return refuse(format!(
            "{} copies of {} bytes are more than {} MiB at once; send fewer copies",
            spec.copies,
            spec.value.len(),
            MAX_TOTAL_BYTES >> 20
        ));
    }
    if spec.headers.len() > MAX_HEADERS {
        return refuse(format!("at most {MAX_HEADERS} headers can be sent"));
    }
    let extra = spec.key.as_ref().map_or(0, String::len)
        + spec
            .headers
            .iter()
            .map(|(n, v)| n.len() + v.len())
            .sum::<usize>();
    if extra > MAX_KEY_AND_HEADERS {
        return refuse(format!(
            "key and headers hold {extra} bytes; at most {MAX_KEY_AND_HEADERS}"
        ));
    }
    if spec.headers.iter().any(|(n, _)| n.trim().is_empty()) {
        return refuse("a header needs a name".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Topic;

    fn spec() -> SendSpec {
        SendSpec {
            topic: Topic::new("t").unwrap_or_else(|e| panic!("{e}")),
            key: Some("k".into()),
            headers: vec![("source".into(), "page".into())],
            value: vec![0; 10],
            copies: 1,
        }
    }

    #[test]
    fn sizes_and_counts_are_checked_before_anything_is_sent() {
        assert!(check(&spec()).is_ok());
        for bad in [
            SendSpec {
                copies: 0,
                ..spec()
            },
            SendSpec {
                copies: MAX_COPIES + 1,
                ..spec()
            },
            SendSpec {
                value: vec![0; MAX_SENT_VALUE + 1],
                ..spec()
            },
            SendSpec {
                headers: vec![(" ".into(), "x".into())],
                ..spec()
            },
            SendSpec {
                key: Some("k".repeat(MAX_KEY_AND_HEADERS + 1)),
                ..spec()
            },
        ] {
            assert_eq!(check(&bad).map_err(|e| e.code), Err(ErrorCode::BadRequest));
        }
    }
}
