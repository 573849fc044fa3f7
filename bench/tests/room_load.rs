//! The workshop load bench's code, small: three attendees for a few seconds against a real
//! `kafka-demo serve --workshop` child and the real stack. Correctness only — every request
//! answered, every tail fed, the memory read — since timings depend on the machine.

#[path = "../../cli/tests/common/mod.rs"]
mod common;

use common::SHARED;
use kafka_demo_bench::room::{run, BenchWorkshopArgs};
use std::time::Duration;

#[tokio::test]
async fn three_attendees_are_each_answered_and_fed() {
    let config = SHARED.ensure_up().await;
    let args = BenchWorkshopArgs {
        attendees: 3,
        duration: Duration::from_secs(5),
        every: Duration::from_millis(200),
        bridge_bin: None,
    };
    let bin = common::kafka_demo_bin();
    let report = tokio::time::timeout(Duration::from_secs(180), run(&bin, &config, &args))
        .await
        .unwrap_or_else(|_| panic!("the load did not finish"))
        .unwrap_or_else(|e| panic!("the load failed: {e}"));
    assert_eq!(report.attendees.len(), 3);
    for attendee in &report.attendees {
        assert!(attendee.sent >= 10, "{attendee:?}");
        assert_eq!(
            (attendee.answered, attendee.failed),
            (attendee.sent, 0),
            "every light request of {} was answered",
            attendee.name
        );
        assert_eq!(attendee.latencies.len() as u64, attendee.sent);
        assert!(
            attendee.produced > 0 && attendee.tailed > 0,
            "{} produced and tailed records: {attendee:?}",
            attendee.name
        );
    }
    assert_eq!(report.requests().1, 0);
    assert!(
        report.memory_start.rss_kib > 0
            && report.memory_end.peak_kib >= report.memory_start.rss_kib,
        "{:?} {:?}",
        report.memory_start,
        report.memory_end
    );
    println!("{report}");
}
