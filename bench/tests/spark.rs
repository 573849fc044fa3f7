//! The Spark benchmarks' code paths on small inputs against the real stack (the numbers
//! themselves are not checked: a benchmark reports them, a test cannot judge them).

#[path = "../../cli/tests/common/mod.rs"]
mod common;

use common::{assert_ok, stdout, unique, SHARED};

/// The benchmark's code path on a small topic (the numbers themselves are not checked).
#[tokio::test]
async fn the_bench_runs_on_a_small_topic() {
    SHARED.ensure_up().await;
    let topic = unique("batch-bench");
    #[rustfmt::skip]
    let out = SHARED.run_bench(&["batch", "--topic", &topic, "--records", "2000", "--runs", "1"]);
    assert_ok(&out, "kafka-demo-bench batch");
    let text = stdout(&out);
    assert!(text.contains("records            2000 in"), "{text}");
    assert!(text.contains("ratio"), "{text}");
}

/// The latency bench on a small rate: every produced record is measured.
#[tokio::test]
async fn the_latency_bench_measures_every_record() {
    SHARED.ensure_up().await;
    #[rustfmt::skip]
    let out = SHARED.run_bench(&["stream", "--rate", "1000", "--duration", "3s",
                           "--warmup", "100", "--seed", "81"]);
    assert_ok(&out, "kafka-demo-bench stream");
    let text = stdout(&out);
    let measured = text
        .lines()
        .find_map(|l| l.strip_prefix("records measured"))
        .unwrap_or_else(|| panic!("{text}"));
    let numbers: Vec<u64> = measured
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        numbers.len() >= 2 && numbers[0] == numbers[1] && numbers[0] > 0,
        "{text}"
    );
    assert!(text.contains("end-to-end ms     p50 "), "{text}");
}
