//! `kafka-demo stream`: seed step 5 for people — window results on stdout as Spark updates
//! them, progress on stderr, the final windows at the end; Ctrl-C stops the queries cleanly.

use super::batch::{batch_error, money, time};
use super::terminal::{say, wait_for_signal};
use crate::flags::{StreamArgs, StreamFormat};
use pipeline::settings::Config;
use pipeline::stream::{self, StreamError, StreamEvent, StreamSummary};
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

pub(super) async fn stream(args: &StreamArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let request = args.validate(&config.spark_state);
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let signals = tokio::spawn(async move {
        wait_for_signal().await;
        say("stopping the streaming queries… (Ctrl-C again to leave them running on Spark)");
        stop.cancel();
        wait_for_signal().await;
        say("left without stopping; the queries stop when Spark Connect ends the session");
        std::process::exit(i32::from(super::terminal::INTERRUPTED));
    });
    let (events, mut received) = tokio::sync::mpsc::channel(1024);
    let format = args.format;
    let printer = tokio::spawn(async move {
        while let Some(event) = received.recv().await {
            print_event(&event, format);
        }
    });
    let result = stream::run(config, &request, shutdown, events).await;
    signals.abort();
    // The sender went with `run`: the printer ends once it has printed everything.
    printer.await.ok();
    let summary = result.map_err(stream_error)?;
    match format {
        StreamFormat::Json => println!(
            "{}",
            serde_json::json!({"type": "summary", "data": summary})
        ),
        StreamFormat::Text => print!("{}", final_table(&summary)),
    }
    Ok(ExitCode::SUCCESS)
}

/// A stream failure as the terminal tells it.
pub fn stream_error(error: StreamError) -> anyhow::Error {
    match error {
        StreamError::Batch(e) => batch_error(e),
        StreamError::Checkpoint { .. } => anyhow::anyhow!(
            "{error}; give --checkpoint-location a location the Spark server can write: a path \
             on its machine, or a URI such as hdfs://namenode/path or s3a://bucket/path"
        ),
        StreamError::Kafka { .. } => anyhow::anyhow!(
            "{error} (is the stack up? start it with `kafka-demo stack up`, or point --bootstrap-servers at your brokers)"
        ),
        other => other.into(),
    }
}

/// Prints one event of a run in `format`.
pub fn print_event(event: &StreamEvent, format: StreamFormat) {
    if format == StreamFormat::Json {
        match serde_json::to_string(event) {
            Ok(line) => println!("{line}"),
            Err(e) => say(&format!("cannot print an event: {e}")),
        }
        return;
    }
    match event {
        StreamEvent::Started {
            resumed,
            checkpoint,
            results_topic,
            schema_ids,
        } => say(&format!(
            "{} streaming queries; checkpoint {checkpoint}; results to {results_topic}; writer schema ids {:?}",
            if *resumed { "resumed" } else { "started" },
            schema_ids
        )),
        StreamEvent::Window(w) => println!(
            "window {} .. {}  creative {:<12} clicks {:>8}  cost {:>12}",
            time(w.window_start_ms),
            time(w.window_end_ms),
            w.creative_id,
            w.clicks,
            money(w.cost_cents)
        ),
        StreamEvent::Records(r) => println!(
            "records {:<18} schema id {:<10} {:>10}",
            r.outcome,
            r.schema_id.map(|i| i.to_string()).unwrap_or_else(|| "-".into()),
            r.records
        ),
        StreamEvent::Progress(p) => say(&format!(
            "batch {:>4} {:<8} {:>8} rows  in {:>10.1}/s  processed {:>10.1}/s  {:>6} ms  watermark {}  dropped by watermark {}  state rows {}",
            p.batch_id,
            format!("{:?}", p.query).to_lowercase(),
            p.input_rows,
            p.input_rows_per_second,
            p.processed_rows_per_second,
            p.batch_duration_ms,
            p.watermark.as_deref().unwrap_or("-"),
            p.dropped_by_watermark,
            p.state_rows
        )),
        StreamEvent::Restarting { reason } => say(&format!("restarting: {reason}")),
        StreamEvent::Stopped { reason } => say(&format!("stopped ({reason:?})").to_lowercase()),
    }
}

fn final_table(s: &StreamSummary) -> String {
    let mut out = format!("\nfinal windows ({})\n", s.windows.len());
    out += &format!(
        "  {:<24} {:<12} {:>10} {:>14}\n",
        "window start", "creative", "clicks", "cost"
    );
    for w in &s.windows {
        out += &format!(
            "  {:<24} {:<12} {:>10} {:>14}\n",
            time(w.window_start_ms),
            w.creative_id,
            w.clicks,
            money(w.cost_cents)
        );
    }
    out += "\nrecords\n";
    for r in &s.records {
        out += &format!(
            "  {:<18} schema id {:<10} {:>10}\n",
            r.outcome,
            r.schema_id
                .map(|i| i.to_string())
                .unwrap_or_else(|| "-".into()),
            r.records
        );
    }
    out += &format!(
        "\nmicro-batches {}  dropped by watermark {}  late clicks in no window {}  restarts {}\n",
        s.batches, s.dropped_by_watermark, s.late_clicks, s.restarts
    );
    out
}
