//! `kafka-demo stream`: seed step 5 for people — window results on stdout as Spark updates
//! them, progress on stderr, the final windows at the end; Ctrl-C stops the queries cleanly.

use super::batch::{batch_error, money, time};
use super::{say, wait_for_signal};
use crate::config::{Config, StreamArgs, StreamFormat};
use crate::stream::{self, StreamError, StreamEvent, StreamSummary};
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub(super) async fn stream(args: &StreamArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let request = args.validate(&config.stack.data_dir);
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let signals = tokio::spawn(async move {
        wait_for_signal().await;
        say("stopping the streaming queries… (Ctrl-C again to leave them running on Spark)");
        stop.cancel();
        wait_for_signal().await;
        say("left without stopping; the queries stop when Spark Connect ends the session");
        std::process::exit(i32::from(super::INTERRUPTED));
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

fn stream_error(error: StreamError) -> anyhow::Error {
    match error {
        StreamError::Batch(e) => batch_error(e),
        StreamError::Kafka { .. } => anyhow::anyhow!(
            "{error} (is the stack up? start it with `kafka-demo stack up`, or point --bootstrap-servers at your brokers)"
        ),
        other => other.into(),
    }
}

fn print_event(event: &StreamEvent, format: StreamFormat) {
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

/// Produces at `--rate` into a new one-partition topic while the streaming job runs, and
/// reports how long each record took from its append to Kafka to its window result reaching
/// the bridge.
pub(super) async fn bench(
    args: &crate::config::stream::BenchStreamArgs,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let topic = shared::Topic::new(format!("bench-stream-{stamp}"))?;
    say(&format!("warm-up: {} records to {topic}…", args.warmup));
    produce_into(config, &topic, args, &["--count", &args.warmup.to_string()]).await?;
    let request = stream::StreamRequest {
        interval: args.interval,
        state_dir: config
            .stack
            .data_dir
            .join("bench")
            .join("stream")
            .join(topic.as_str()),
        fresh: true,
        registry_poll: Duration::from_secs(3600),
        ..stream::StreamRequest::with_defaults(topic.clone(), &config.stack.data_dir)
    };
    let shutdown = CancellationToken::new();
    let (events, received) = tokio::sync::mpsc::channel(65_536);
    let (total_tx, total) = tokio::sync::watch::channel(0u64);
    let collector = tokio::spawn(collect(received, total_tx));
    let driver = drive(config, &topic, args, total, shutdown.clone());
    let (result, driven) = tokio::join!(stream::run(config, &request, shutdown, events), driver);
    let samples = collector.await.unwrap_or_default();
    result.map_err(stream_error)?;
    let produced = driven?;
    let first = args.warmup;
    let appended = append_times(config, &topic, first, first + produced).await?;
    let mut latencies = stream::latency::per_record(&samples, &appended, first);
    let seen = latencies.len();
    let p = |latencies: &mut Vec<i64>, q| stream::latency::percentile(latencies, q).unwrap_or(-1);
    let (p50, p90, p99) = (
        p(&mut latencies, 50.0),
        p(&mut latencies, 90.0),
        p(&mut latencies, 99.0),
    );
    let max = latencies.iter().max().copied().unwrap_or(-1);
    println!("records measured  {seen} of {produced} (after {first} warm-up records)");
    println!(
        "rate              {:.0} records/s for {:.0} s, trigger every {:?}",
        args.rate,
        args.duration.as_secs_f64(),
        args.interval
    );
    println!("end-to-end ms     p50 {p50}  p90 {p90}  p99 {p99}  max {max}  (target p99 <= 1500)");
    Ok(ExitCode::SUCCESS)
}

/// Waits for the warm-up records, produces the measured ones, waits until the windows hold
/// them all, then stops the run; how many were produced.
async fn drive(
    config: &Config,
    topic: &shared::Topic,
    args: &crate::config::stream::BenchStreamArgs,
    mut total: tokio::sync::watch::Receiver<u64>,
    shutdown: CancellationToken,
) -> anyhow::Result<u64> {
    let _stop = shutdown.drop_guard();
    let warmup = args.warmup;
    let wait = Duration::from_secs(300);
    tokio::time::timeout(wait, total.wait_for(|t| *t >= warmup))
        .await
        .map_err(|_| anyhow::anyhow!("the warm-up records did not reach the windows in {wait:?}"))?
        .map_err(|_| anyhow::anyhow!("the streaming run ended during the warm-up"))?;
    say(&format!(
        "measuring: {} records/s for {:?}…",
        args.rate, args.duration
    ));
    let seconds = format!("{}ms", args.duration.as_millis());
    let rate = args.rate.to_string();
    let produced = produce_into(
        config,
        topic,
        args,
        &["--duration", &seconds, "--rate", &rate],
    )
    .await?;
    let target = warmup + produced;
    let wait = Duration::from_secs(120);
    tokio::time::timeout(wait, total.wait_for(|t| *t >= target))
        .await
        .map_err(|_| anyhow::anyhow!("the windows did not reach {target} clicks in {wait:?}"))?
        .map_err(|_| anyhow::anyhow!("the streaming run ended early"))?;
    Ok(produced)
}

/// Follows the windows' total click count; `(ms since the epoch, total)` each time it grows.
async fn collect(
    mut events: tokio::sync::mpsc::Receiver<StreamEvent>,
    total: tokio::sync::watch::Sender<u64>,
) -> Vec<stream::latency::Sample> {
    let mut windows = std::collections::HashMap::new();
    let (mut sum, mut samples) = (0u64, Vec::new());
    while let Some(event) = events.recv().await {
        let w = match event {
            StreamEvent::Window(w) => w,
            StreamEvent::Progress(p) => {
                print_event(&StreamEvent::Progress(p), StreamFormat::Text);
                continue;
            }
            _ => continue,
        };
        let old = windows.insert((w.window_start_ms, w.creative_id), w.clicks);
        sum = sum.saturating_sub(old.unwrap_or(0)) + w.clicks;
        samples.push((chrono::Utc::now().timestamp_millis(), sum));
        total.send_replace(sum);
    }
    samples
}

/// Produces generated clicks to the one-partition `topic` as `kafka-demo produce` would.
async fn produce_into(
    config: &Config,
    topic: &shared::Topic,
    args: &crate::config::stream::BenchStreamArgs,
    extra: &[&str],
) -> anyhow::Result<u64> {
    let seed = args.seed.to_string();
    #[rustfmt::skip]
    let argv = ["kafka-demo", "produce", "--topic", topic.as_str(), "--seed", &seed,
                "--partitions", "1"];
    let argv = argv.iter().chain(extra.iter()).copied();
    let report = super::produce::quietly(config, argv).await?;
    Ok(report.acknowledged)
}

/// Kafka's append time (ms) of offsets `from..to` of partition 0.
async fn append_times(
    config: &Config,
    topic: &shared::Topic,
    from: u64,
    to: u64,
) -> anyhow::Result<Vec<i64>> {
    use rdkafka::consumer::{BaseConsumer, Consumer as _};
    use rdkafka::message::Message as _;
    let consumer: BaseConsumer = crate::kafka::client_config_with(
        &config.kafka,
        &[
            ("group.id", "kafka-demo-bench-stream"),
            ("enable.auto.commit", "false"),
        ],
    )
    .create()?;
    let topic = topic.to_string();
    let (from, to) = (i64::try_from(from)?, i64::try_from(to)?);
    tokio::task::spawn_blocking(move || {
        let mut list = rdkafka::TopicPartitionList::new();
        list.add_partition_offset(&topic, 0, rdkafka::Offset::Offset(from))?;
        consumer.assign(&list)?;
        let mut times = Vec::with_capacity(usize::try_from(to - from).unwrap_or(0));
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        while (times.len() as i64) < to - from {
            if std::time::Instant::now() > deadline {
                anyhow::bail!("could not read back the produced records' times");
            }
            match consumer.poll(Duration::from_millis(500)) {
                Some(Ok(m)) if m.offset() < to => {
                    times.push(m.timestamp().to_millis().unwrap_or(0));
                }
                Some(Ok(_)) | None => {}
                Some(Err(e)) => return Err(e.into()),
            }
        }
        Ok(times)
    })
    .await?
}
