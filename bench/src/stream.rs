//! `kafka-demo-bench stream`: the streaming job's end-to-end latency at a rate, from a record's
//! append to Kafka to its window result reaching the reader.

use clap::Args;
use kafka_demo::commands::say;
use kafka_demo::commands::stream::{print_event, stream_error};
use kafka_demo::flags::parse_duration;
use kafka_demo::flags::StreamFormat;
use pipeline::settings::Config;
use pipeline::stream::{self, StreamEvent};
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The end-to-end p99 aimed for at 10k events/s, in milliseconds.
pub const P99_TARGET_MS: i64 = 1000;

/// `kafka-demo-bench stream …`
#[derive(Debug, Args)]
pub struct BenchStreamArgs {
    /// Records per second produced while measuring
    #[arg(long, default_value_t = 10_000.0)]
    pub rate: f64,
    /// How long to produce while measuring
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Trigger interval of the streaming queries
    #[arg(long, default_value = "100ms", value_parser = parse_duration)]
    pub interval: Duration,
    /// Records produced and processed before measuring (the first micro-batches plan the query)
    #[arg(long, default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub warmup: u64,
    /// Then how long to produce at --rate, unmeasured, before measuring: the JVM compiles the
    /// queries' hot code in the first seconds, which a job running for hours pays once
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub warm_for: Duration,
    /// Seed of the generated records
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// Produces at `--rate` into a new one-partition topic while the streaming job runs, and
/// reports how long each record took from its append to Kafka to its window result reaching
/// the bridge.
pub async fn bench(args: &BenchStreamArgs, config: &Config) -> anyhow::Result<ExitCode> {
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let topic = shared::Topic::new(format!("bench-stream-{stamp}"))?;
    say(&format!("warm-up: {} records to {topic}…", args.warmup));
    produce_into(config, &topic, args, &["--count", &args.warmup.to_string()]).await?;
    let request = stream::StreamRequest {
        interval: args.interval,
        checkpoint: pipeline::spark::SparkLocation::local(
            &config
                .stack
                .data_dir
                .join("bench")
                .join("stream")
                .join(topic.as_str()),
        ),
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
    let appended = append_times(config, &topic, args.warmup, args.warmup + produced).await?;
    let warm = warming(&appended, args.warm_for);
    let first = args.warmup + warm as u64;
    let produced = produced - warm as u64;
    let measured = appended.get(warm..).unwrap_or_default();
    let mut latencies = stream::latency::per_record(&samples, measured, first);
    let seen = latencies.len();
    let p = |latencies: &mut Vec<i64>, q| stream::latency::percentile(latencies, q).unwrap_or(-1);
    let (p50, p90, p99) = (
        p(&mut latencies, 50.0),
        p(&mut latencies, 90.0),
        p(&mut latencies, 99.0),
    );
    let max = latencies.iter().max().copied().unwrap_or(-1);
    println!(
        "records measured  {seen} of {produced} (after {first} warm-up records, the last {:?} of them at the rate)",
        args.warm_for
    );
    println!(
        "rate              {:.0} records/s for {:.0} s, trigger every {:?}",
        args.rate,
        args.duration.as_secs_f64(),
        args.interval
    );
    println!("end-to-end ms     p50 {p50}  p90 {p90}  p99 {p99}  max {max}  (target p99 <= {P99_TARGET_MS})");
    crate::figure::print(
        &format!("Spark stream p99 at {:.0} events/s", args.rate),
        &format!("{p99} ms"),
        &format!("<= {P99_TARGET_MS} ms"),
        crate::figure::Verdict::of((0..=P99_TARGET_MS).contains(&p99)),
    );
    Ok(ExitCode::SUCCESS)
}
/// Waits for the warm-up records, produces at the rate for `--warm-for` and then `--duration`,
/// waits until the windows hold them all, then stops the run; how many were produced at the rate.
async fn drive(
    config: &Config,
    topic: &shared::Topic,
    args: &BenchStreamArgs,
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
        "producing {} records/s for {:?}, measuring after the first {:?}…",
        args.rate,
        args.warm_for + args.duration,
        args.warm_for
    ));
    // One run: a second would start the generator's event time over, behind the watermark.
    let millis = format!("{}ms", (args.warm_for + args.duration).as_millis());
    let rate = args.rate.to_string();
    let produced = produce_into(
        config,
        topic,
        args,
        &["--duration", &millis, "--rate", &rate],
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

/// How many of the records appended at `times` (ms, in offset order) came within `warm` of the
/// first of them.
fn warming(times: &[i64], warm: Duration) -> usize {
    let Some(&start) = times.first() else {
        return 0;
    };
    let until = start.saturating_add(i64::try_from(warm.as_millis()).unwrap_or(i64::MAX));
    times.partition_point(|&t| t < until)
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
    args: &BenchStreamArgs,
    extra: &[&str],
) -> anyhow::Result<u64> {
    let seed = args.seed.to_string();
    #[rustfmt::skip]
    let argv = ["kafka-demo", "produce", "--topic", topic.as_str(), "--seed", &seed,
                "--partitions", "1"];
    let argv = argv.iter().chain(extra.iter()).copied();
    let report = kafka_demo::commands::produce::quietly(config, argv).await?;
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
    let consumer: BaseConsumer = pipeline::kafka::client_config_with(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warm_records_are_those_appended_within_the_warm_time_of_the_first() {
        let times = [1_000, 1_400, 1_999, 2_000, 2_500];
        assert_eq!(warming(&times, Duration::from_secs(1)), 3);
        assert_eq!(warming(&times, Duration::ZERO), 0);
        assert_eq!(warming(&times, Duration::from_secs(60)), 5);
        assert_eq!(warming(&[], Duration::from_secs(1)), 0);
    }
}
