//! `kafka-demo-bench workshop`: the bridge under a room of attendees. A `serve --workshop`
//! child process takes N WebSocket clients; each joins under its own name, produces at its
//! limit, tails its topic from the beginning, and sends a light request (a stack status and a
//! subject list in turn) every 200 ms, timing each answer. The question is whether the page stays
//! responsive for everyone while everyone's jobs run: the target is p99 ≤ 250 ms.

mod attendee;
mod child;
mod error;

pub use attendee::{AttendeeLoad, Light};
pub use child::Memory;
pub use error::LoadError;

use attendee::Attendee;
use child::Bridge;
use clap::Args;
use pipeline::settings::Config;
use shared::workshop::Limits;
use shared::Topic;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The latency target: 99 of 100 light requests answered within this.
pub const P99_TARGET: Duration = Duration::from_millis(250);
/// How often the bridge's memory is sampled during the run.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// `kafka-demo-bench workshop …`
#[derive(Debug, Clone, Args)]
pub struct BenchWorkshopArgs {
    /// Attendees connected at once
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=200))]
    pub attendees: u32,
    /// How long the load runs
    #[arg(long, default_value = "30s", value_parser = kafka_demo::flags::parse_duration)]
    pub duration: Duration,
    /// How often each attendee sends a light request
    #[arg(long, default_value = "200ms", value_parser = kafka_demo::flags::parse_duration)]
    pub every: Duration,
    /// The `kafka-demo` binary to start the bridge from [default: the one beside this bench]
    #[arg(long, env = "KAFKA_DEMO_BIN", value_name = "FILE")]
    pub bridge_bin: Option<PathBuf>,
}

/// Starts a workshop bridge from the `kafka-demo` binary and loads it with simulated attendees.
pub async fn bench(
    args: &BenchWorkshopArgs,
    config: &Config,
) -> anyhow::Result<std::process::ExitCode> {
    use anyhow::Context as _;
    let bin = match &args.bridge_bin {
        Some(bin) => bin.clone(),
        None => std::env::current_exe()
            .context("cannot find the folder of this bench to look for kafka-demo in")?
            .with_file_name("kafka-demo"),
    };
    kafka_demo::commands::say(&format!(
        "starting `{} serve --workshop` and {} attendees for {:?}…",
        bin.display(),
        args.attendees,
        args.duration
    ));
    let report = run(&bin, config, args).await?;
    println!("{report}");
    for figure in report.figures() {
        println!("{figure}");
    }
    Ok(std::process::ExitCode::SUCCESS)
}

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Each attendee's counts and timings.
    pub attendees: Vec<AttendeeLoad>,
    /// How long the load ran.
    pub duration: Duration,
    /// How often each attendee sent a light request.
    pub every: Duration,
    /// What the bridge told each attendee they may use.
    pub limits: Limits,
    /// The bridge's memory once it was up, before anyone joined.
    pub memory_start: Memory,
    /// The bridge's memory at the end of the load (its peak is the run's peak).
    pub memory_end: Memory,
}

/// Runs the load: starts `bin serve --workshop` against the services of `config`, drives it with
/// `args.attendees` attendees for `args.duration`, stops it and deletes the attendees' topics.
pub async fn run(
    bin: &Path,
    config: &Config,
    args: &BenchWorkshopArgs,
) -> Result<LoadReport, LoadError> {
    let bridge = Bridge::start(bin, config).await?;
    let names = names(args.attendees);
    let result = drive(&bridge, &names, args).await;
    bridge.stop().await;
    clean_up(config, &names).await;
    result
}

/// Attendee names no earlier run used: `load<time>-<n>`.
fn names(count: u32) -> Vec<String> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    (1..=count).map(|n| format!("load{stamp:x}-{n}")).collect()
}

async fn drive(
    bridge: &Bridge,
    names: &[String],
    args: &BenchWorkshopArgs,
) -> Result<LoadReport, LoadError> {
    let memory_start = bridge.memory().await?;
    let joins = names.iter().map(|name| Attendee::join(bridge.url(), name));
    let joined = futures_util::future::try_join_all(joins).await?;
    let limits = joined.first().map(|(_, l)| *l).unwrap_or_default();
    let until = Instant::now() + args.duration;
    let count = u32::try_from(joined.len()).unwrap_or(u32::MAX).max(1);
    // Attendees' requests are spread over the interval, as people's clicks would be.
    let runs = joined
        .into_iter()
        .zip(0u32..)
        .map(|((attendee, limits), i)| {
            let offset = args.every * i / count;
            attendee.run(limits, until, args.every, offset)
        });
    let stop_sampling = CancellationToken::new();
    let (loads, ()) = tokio::join!(
        async {
            let _stop = stop_sampling.clone().drop_guard();
            futures_util::future::try_join_all(runs).await
        },
        watch_memory(bridge, &stop_sampling)
    );
    let attendees = loads?;
    Ok(LoadReport {
        attendees,
        duration: args.duration,
        every: args.every,
        limits,
        memory_start,
        memory_end: bridge.memory().await?,
    })
}

/// Reads the bridge's memory now and then while the load runs, so a bridge that dies or whose
/// `/proc` entry goes away shows in the log at the time.
async fn watch_memory(bridge: &Bridge, stop: &CancellationToken) {
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => match bridge.memory().await {
                Ok(memory) => tracing::debug!(rss_kib = memory.rss_kib, peak_kib = memory.peak_kib, "bridge memory"),
                Err(e) => tracing::warn!(error = %e, "bridge memory"),
            },
        }
    }
}

/// Deletes each attendee's topic and value subject, so runs do not pile up state: every
/// subject left behind would make the next run's subject lists slower.
async fn clean_up(config: &Config, names: &[String]) {
    let deletions = names.iter().map(|name| async move {
        if let Ok(topic) = Topic::new(format!("{name}.{}", attendee::TOPIC)) {
            crate::produce::delete_topic(&config.kafka, &topic).await;
            delete_subject(&config.registry, topic.value_subject().as_str()).await;
        }
    });
    futures_util::future::join_all(deletions).await;
}

/// Deletes a subject, soft then for good (the registry wants both); a failure only leaves it
/// behind, so it is logged, not returned.
async fn delete_subject(registry: &pipeline::settings::RegistryConfig, subject: &str) {
    let client = reqwest::Client::new();
    for permanent in [false, true] {
        let mut url = registry.url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("subjects").push(subject);
        }
        if permanent {
            url.query_pairs_mut().append_pair("permanent", "true");
        }
        let request = pipeline::registry::authorize(
            client.delete(url).timeout(Duration::from_secs(10)),
            registry.auth.as_ref(),
        );
        match request.send().await {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => {
                tracing::warn!(subject, status = %response.status(), "could not delete a bench subject");
                return;
            }
            Err(e) => {
                tracing::warn!(subject, error = %e, "could not delete a bench subject");
                return;
            }
        }
    }
}

impl LoadReport {
    /// The round trips of answered light requests (of one kind, or all), shortest first.
    pub fn latencies(&self, of: Option<Light>) -> Vec<Duration> {
        let mut all: Vec<Duration> = self
            .attendees
            .iter()
            .flat_map(|a| a.latencies.iter())
            .filter(|(light, _)| of.is_none_or(|of| of == *light))
            .map(|(_, took)| *took)
            .collect();
        all.sort();
        all
    }

    /// Light requests sent, and those left unanswered.
    pub fn requests(&self) -> (u64, u64) {
        let sent = self.attendees.iter().map(|a| a.sent).sum::<u64>();
        let answered = self
            .attendees
            .iter()
            .map(|a| a.answered + a.failed)
            .sum::<u64>();
        (sent, sent.saturating_sub(answered))
    }

    /// Whether the p99 round trip meets [`P99_TARGET`] with every request answered.
    pub fn passed(&self) -> bool {
        let (_, unanswered) = self.requests();
        unanswered == 0
            && percentile(&self.latencies(None), 99.0).is_some_and(|p99| p99 <= P99_TARGET)
    }

    fn per_second(&self, n: u64) -> f64 {
        n as f64 / self.duration.as_secs_f64().max(1e-9)
    }

    /// The median over attendees of `of`, per second.
    fn median_rate(&self, of: fn(&AttendeeLoad) -> u64) -> f64 {
        let mut rates: Vec<f64> = self
            .attendees
            .iter()
            .map(|a| self.per_second(of(a)))
            .collect();
        rates.sort_by(f64::total_cmp);
        rates.get(rates.len() / 2).copied().unwrap_or(0.0)
    }
}

/// The `q`th percentile (nearest rank) of sorted `values`.
pub fn percentile(values: &[Duration], q: f64) -> Option<Duration> {
    let rank = (q / 100.0 * values.len() as f64).ceil() as usize;
    values.get(rank.clamp(1, values.len().max(1)) - 1).copied()
}

fn ms(d: Option<Duration>) -> f64 {
    d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

impl LoadReport {
    /// The figures issue 17 sets targets for: the light requests' p99 with this many attendees,
    /// and the bridge's memory.
    pub fn figures(&self) -> Vec<String> {
        use crate::figure::{line, Verdict};
        let p99 = ms(percentile(&self.latencies(None), 99.0));
        vec![
            line(
                &format!(
                    "workshop light-request p99, {} attendees",
                    self.attendees.len()
                ),
                &format!("{p99:.1} ms"),
                &format!("<= {} ms, all answered", P99_TARGET.as_millis()),
                Verdict::of(self.passed()),
            ),
            line(
                &format!("workshop bridge memory, {} attendees", self.attendees.len()),
                &format!(
                    "{:.1} MiB at start, peak {:.1} MiB",
                    mib(self.memory_start.rss_kib),
                    mib(self.memory_end.peak_kib)
                ),
                "-",
                Verdict::Reported,
            ),
        ]
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.attendees.len();
        let (sent, unanswered) = self.requests();
        let failed = self.attendees.iter().map(|a| a.failed).sum::<u64>();
        let latencies = self.latencies(None);
        let p = |q| ms(percentile(&latencies, q));
        let status = self.latencies(Some(Light::StackStatus));
        let subjects = self.latencies(Some(Light::ListSubjects));
        let produced = self.attendees.iter().map(|a| a.produced).sum::<u64>();
        let tailed = self.attendees.iter().map(|a| a.tailed).sum::<u64>();
        let l = &self.limits;
        writeln!(
            f,
            "attendees          {n} for {:.0} s (limits each: produce {} records/s, tail {} records/s, {} Spark job)",
            self.duration.as_secs_f64(), l.produce_rate, l.tail_rate, l.spark_jobs
        )?;
        writeln!(
            f,
            "requests           {sent} sent ({:.0} ms apart per attendee), {unanswered} unanswered, {failed} failed",
            self.every.as_secs_f64() * 1000.0
        )?;
        writeln!(
            f,
            "latency ms         p50 {:.1}  p99 {:.1}  max {:.1}",
            p(50.0),
            p(99.0),
            ms(latencies.last().copied())
        )?;
        for (what, of) in [("  stack status", &status), ("  subject list", &subjects)] {
            writeln!(
                f,
                "{what:<19}p50 {:.1}  p99 {:.1}  max {:.1}",
                ms(percentile(of, 50.0)),
                ms(percentile(of, 99.0)),
                ms(of.last().copied())
            )?;
        }
        let median_produced = self.median_rate(|a| a.produced);
        writeln!(
            f,
            "produced           {produced} ({:.0} records/s; median attendee {median_produced:.0}/s, ratio {:.2} of the limit)",
            self.per_second(produced),
            median_produced / l.produce_rate.max(f64::MIN_POSITIVE)
        )?;
        writeln!(
            f,
            "tailed             {tailed} ({:.0} records/s; median attendee {:.0}/s; ratio {:.2} of produced)",
            self.per_second(tailed),
            self.median_rate(|a| a.tailed),
            tailed as f64 / (produced.max(1)) as f64
        )?;
        writeln!(
            f,
            "bridge RSS         start {:.1} MiB, end {:.1} MiB, peak {:.1} MiB (VmHWM)",
            mib(self.memory_start.rss_kib),
            mib(self.memory_end.rss_kib),
            mib(self.memory_end.peak_kib)
        )?;
        write!(
            f,
            "p99 {:.1} ms (target <= {} ms, every request answered): {}",
            p(99.0),
            P99_TARGET.as_millis(),
            if self.passed() { "PASS" } else { "FAIL" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&values, 50.0), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&values, 99.0), Some(Duration::from_millis(99)));
        assert_eq!(percentile(&values, 100.0), Some(Duration::from_millis(100)));
        assert_eq!(
            percentile(&values[..1], 99.0),
            Some(Duration::from_millis(1))
        );
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn names_are_attendee_names() {
        for name in names(20) {
            assert!(
                shared::workshop::AttendeeName::new(name.clone()).is_ok(),
                "{name}"
            );
        }
    }

    fn report(p99_ms: u64, unanswered: u64) -> LoadReport {
        let attendee = AttendeeLoad {
            name: "a".into(),
            sent: 100 + unanswered,
            answered: 100,
            latencies: (1..=100)
                .map(|i| (Light::StackStatus, Duration::from_millis(i * p99_ms / 99)))
                .collect(),
            ..AttendeeLoad::default()
        };
        LoadReport {
            attendees: vec![attendee],
            duration: Duration::from_secs(10),
            every: Duration::from_millis(200),
            limits: Limits::default(),
            memory_start: Memory::default(),
            memory_end: Memory::default(),
        }
    }

    #[test]
    fn the_verdict_needs_the_target_and_every_answer() {
        assert!(report(200, 0).passed());
        assert!(!report(400, 0).passed());
        assert!(!report(200, 1).passed());
        assert!(report(200, 0).to_string().ends_with("PASS"));
    }
}
