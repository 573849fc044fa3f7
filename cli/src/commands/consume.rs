//! `kafka-demo consume`: seed step 3 for people — decoded records on stdout, one line per poison
//! pill and a closing summary on stderr.

use super::terminal::{kafka_error, registry_error, say, wait_for_signal};
use crate::flags::ConsumeArgs;
use pipeline::consume::{self, ConsumeError, ConsumeReport, ConsumeStop, PoisonPill};
use pipeline::settings::{Config, ConsumeConfig};
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

pub(super) async fn consume(args: &ConsumeArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let request = args.validate()?;
    let stop = CancellationToken::new();
    let signals = {
        let stop = stop.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            stop.cancel();
        })
    };
    let outcome = consume::run(
        config,
        &request,
        tokio::io::stdout(),
        |pill| say(&poison_line(pill)),
        &stop,
    )
    .await;
    signals.abort();
    let _ = signals.await; // cancelled: nothing to report
    let report = outcome.map_err(consume_error)?;
    say(&summary(&request, &report));
    if let Some(problem) = &report.commit_problem {
        say(&format!(
            "warning: the final offset commit failed ({problem}); the next run of the group may see some records again"
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// `poison pill: partition=1 offset=345 reason=wrong_magic: magic byte is 0x7b, expected 0x00`
pub(super) fn poison_line(pill: &PoisonPill) -> String {
    format!(
        "poison pill: partition={} offset={} reason={}: {}",
        pill.partition,
        pill.offset,
        pill.reason.kind(),
        pill.reason
    )
}

fn summary(request: &ConsumeConfig, r: &ConsumeReport) -> String {
    let secs = r.elapsed.as_secs_f64().max(1e-3);
    let kinds: Vec<String> = r.poison.iter().map(|(k, n)| format!("{k}={n}")).collect();
    let dlq = match &request.dlq {
        Some(topic) => format!(" dead_lettered={} (to {topic})", r.dead_lettered),
        None => String::new(),
    };
    let why = match r.stopped {
        ConsumeStop::Max => "--max reached".to_owned(),
        ConsumeStop::Idle(d) => format!("nothing new for {d:?}"),
        ConsumeStop::Interrupted => "interrupted".to_owned(),
    };
    format!(
        "consumed {} messages from {} in {secs:.2} s ({:.0}/s): records={} poison_pills={} {} schemas={}{dlq}; stopped: {why}",
        r.messages,
        request.topic,
        r.messages as f64 / secs,
        r.records,
        r.poison_total(),
        kinds.join(" "),
        r.schemas,
    )
}

fn consume_error(error: ConsumeError) -> anyhow::Error {
    match error {
        ConsumeError::Registry(e) => registry_error(e),
        ConsumeError::Kafka(e) => kafka_error(e),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipeline::consume::PoisonReason;

    #[test]
    fn poison_lines_name_where_and_why() {
        let pill = PoisonPill {
            partition: 1,
            offset: 345,
            reason: PoisonReason::WrongMagic { found: b'{' },
        };
        assert_eq!(
            poison_line(&pill),
            "poison pill: partition=1 offset=345 reason=wrong_magic: magic byte is 0x7b, expected 0x00"
        );
    }
}
