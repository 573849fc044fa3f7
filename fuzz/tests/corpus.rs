//! Every input that ever found a defect keeps its property, and a short deterministic run of
//! each target finds none: `cargo test` is the fuzzer's regression suite.

use kafka_demo_fuzz::runner::{self, RunConfig};
use kafka_demo_fuzz::{corpus, TargetKind};
use std::time::Duration;

#[test]
fn every_corpus_input_keeps_its_property() {
    let entries = corpus::load(&corpus::default_dir()).unwrap_or_else(|e| panic!("corpus: {e}"));
    let broken: Vec<String> = entries
        .iter()
        .filter_map(|entry| {
            let result = runner::replay(entry.target, &entry.input);
            result
                .err()
                .map(|e| format!("{}: {e}", entry.path.display()))
        })
        .collect();
    assert!(
        broken.is_empty(),
        "{} of {} inputs break:\n{}",
        broken.len(),
        entries.len(),
        broken.join("\n")
    );
}

#[test]
fn a_short_run_of_each_target_finds_nothing_and_reaches_past_the_parsers() {
    for kind in TargetKind::ALL {
        let config = RunConfig {
            seed: 2024,
            time: Duration::from_secs(120),
            max_executions: Some(4_000),
            corpus: None,
        };
        let report = runner::run_kind(kind, config);
        let messages: Vec<&str> = report.defects.iter().map(|d| d.message.as_str()).collect();
        assert!(messages.is_empty(), "{}", messages.join("\n"));
        assert_eq!(report.executions, 4_000, "{}", report.summary());
        // Inputs that every side accepts: the generators get past the first refusal.
        assert!(report.accepted > 200, "{}", report.summary());
        assert!(report.answers > 3, "{}", report.summary());
    }
}

#[test]
fn a_seed_replays_the_same_run() {
    let run = || {
        let config = RunConfig {
            seed: 99,
            time: Duration::from_secs(120),
            max_executions: Some(500),
            corpus: None,
        };
        let report = runner::run_kind(TargetKind::Decode, config);
        (report.accepted, report.answers)
    };
    assert_eq!(run(), run());
}
