//! Workshop limits on the real stack, through the real router on 127.0.0.1:0: an attendee's
//! Spark jobs at once, produce rate and tail rate are held to what `serve` was given.

mod common;

use common::ws::{start_with_limits, Client, Frame, Server};
use common::{unique, SHARED};
use shared::protocol::{
    BatchOutcome, BatchSpec, ErrorCode, JobId, ProduceSpec, ProduceUpdate, Push, Request, Response,
    ServerMessage, StreamSpec, StreamTrigger, TailFrom, TailSpec,
};
use shared::workshop::Limits;
use shared::Topic;
use std::time::{Duration, Instant};

const SCHEMA: &str = include_str!("../../schemas/click_v1.avsc");

fn topic(text: &str) -> Topic {
    Topic::new(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A name no earlier run used, within the 32 characters allowed.
fn attendee(first: &str) -> String {
    unique(first).chars().take(32).collect()
}

fn produce(topic_name: &str, count: Option<u64>, rate: Option<f64>) -> ProduceSpec {
    produce_into(topic_name, count, rate, 1)
}

fn produce_into(
    topic_name: &str,
    count: Option<u64>,
    rate: Option<f64>,
    partitions: i32,
) -> ProduceSpec {
    ProduceSpec {
        topic: topic(topic_name),
        schema: SCHEMA.to_owned(),
        count,
        rate,
        seed: 5,
        poison: 0.0,
        duplicates: 0.0,
        late: 0.0,
        partitions,
    }
}

/// A workshop server with `limits`, and a tab joined under a fresh name that was told them.
async fn joined(first: &str, limits: Limits) -> (Server, Client) {
    let config = SHARED.ensure_up().await;
    let server = start_with_limits(config, true, limits).await;
    let mut client = Client::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let hello = client.hello().await;
    assert!(matches!(
        hello,
        Ok(Response::Welcome { workshop: true, .. })
    ));
    let name = attendee(first);
    match client.ask(Request::Join { name: name.clone() }).await {
        Ok(Response::Joined { limits: told, .. }) => assert_eq!(told, limits),
        other => panic!("join as {name}: {other:?}"),
    }
    (server, client)
}

/// Frames until `wanted` picks a value out of one, failing the test after `wait`.
async fn until<T>(
    client: &mut Client,
    wait: Duration,
    mut wanted: impl FnMut(Frame) -> Option<T>,
) -> T {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "the awaited frame did not come in {wait:?}"
        );
        if let Some(found) = client.receive_any(left).await.and_then(&mut wanted) {
            return found;
        }
    }
}

fn produce_update(frame: Frame, job: JobId) -> Option<ProduceUpdate> {
    match frame {
        Frame::Message(ServerMessage::Push(Push::Produce(update))) if update.job == job => {
            Some(update)
        }
        _ => None,
    }
}

/// Produces `count` records to `topic_name` and waits until all are acknowledged.
async fn fill(client: &mut Client, topic_name: &str, count: u64) {
    fill_partitions(client, topic_name, count, 1).await;
}

/// As [`fill`], into a topic of `partitions` partitions.
async fn fill_partitions(client: &mut Client, topic_name: &str, count: u64, partitions: i32) {
    let job = match client
        .ask(Request::StartProduce(produce_into(
            topic_name,
            Some(count),
            None,
            partitions,
        )))
        .await
    {
        Ok(Response::ProduceStarted { job, .. }) => job,
        other => panic!("produce: {other:?}"),
    };
    let last = until(client, Duration::from_secs(120), |f| {
        produce_update(f, job).filter(|u| u.finished.is_some())
    })
    .await;
    assert_eq!(last.acknowledged, count, "{last:?}");
}

#[tokio::test]
async fn a_second_spark_job_waits_for_the_first_to_end() {
    let limits = Limits {
        spark_jobs: 1,
        ..Limits::default()
    };
    let (_server, mut client) = joined("spark", limits).await;
    fill(&mut client, "clicks", 50).await;
    let stream = match client.ask(stream_spec()).await {
        Ok(Response::StreamStarted { job, .. }) => job,
        other => panic!("stream: {other:?}"),
    };
    let batch = || {
        Request::RunBatch(BatchSpec {
            topic: topic("clicks"),
            from: None,
            to: None,
            top: 3,
        })
    };
    match client.ask(batch()).await {
        Err(e) if e.code == ErrorCode::LimitReached => assert!(
            e.message.contains("1 Spark job at once")
                && e.message.contains("stop your streaming query"),
            "the refusal names the limit and how to free a slot: {}",
            e.message
        ),
        other => panic!("a second Spark job was not refused: {other:?}"),
    }
    assert_eq!(
        client.ask(Request::StopStream { job: stream }).await,
        Ok(Response::Done)
    );
    until(&mut client, Duration::from_secs(180), |f| match f {
        Frame::Message(ServerMessage::Push(Push::StreamEnded { job, .. })) if job == stream => {
            Some(())
        }
        _ => None,
    })
    .await;
    let job = match client.ask(batch()).await {
        Ok(Response::BatchStarted { job }) => job,
        other => panic!("the slot was not freed when the stream ended: {other:?}"),
    };
    let outcome = until(&mut client, Duration::from_secs(300), |f| match f {
        Frame::Message(ServerMessage::Push(Push::BatchDone { job: of, outcome })) if of == job => {
            Some(outcome)
        }
        _ => None,
    })
    .await;
    assert!(matches!(outcome, BatchOutcome::Finished(_)), "{outcome:?}");
    // The page may start the next job as soon as it hears the last one ended.
    let again = client.ask(stream_spec()).await;
    let Ok(Response::StreamStarted { job: stream, .. }) = again else {
        panic!("the slot was not free when the batch's end was pushed: {again:?}");
    };
    assert_eq!(
        client.ask(Request::StopStream { job: stream }).await,
        Ok(Response::Done)
    );
}

fn stream_spec() -> Request {
    Request::StartStream(StreamSpec {
        topic: topic("clicks"),
        window_secs: 60,
        watermark_secs: 30,
        trigger: StreamTrigger::ProcessingTime(1000),
    })
}

#[tokio::test]
async fn a_fast_produce_run_is_held_to_the_limit() {
    let limits = Limits {
        produce_rate: 2_000.0,
        ..Limits::default()
    };
    let (_server, mut client) = joined("produce", limits).await;
    let job = match client
        .ask(Request::StartProduce(produce("fast", None, Some(50_000.0))))
        .await
    {
        Ok(Response::ProduceStarted { job, .. }) => job,
        other => panic!("produce: {other:?}"),
    };
    let wait = Duration::from_secs(60);
    let first = until(&mut client, wait, |f| {
        produce_update(f, job).filter(|u| u.sent > 0)
    })
    .await;
    // At least three seconds of the run, as the bridge measures it.
    let later = until(&mut client, wait, |f| {
        produce_update(f, job).filter(|u| u.elapsed_ms >= first.elapsed_ms + 3_000)
    })
    .await;
    let seconds = (later.elapsed_ms - first.elapsed_ms) as f64 / 1000.0;
    let rate = (later.sent - first.sent) as f64 / seconds;
    // Unthrottled, a run sends tens of thousands a second; held, at most about 2,000. A busy
    // machine can only make it slower, so the bound is an upper one; the run must still move.
    assert!(
        later.sent > first.sent && rate <= 3_000.0,
        "{rate:.0} records/s over {seconds:.1} s"
    );
    assert_eq!(
        client.ask(Request::StopProduce { job }).await,
        Ok(Response::Done)
    );
    let last = until(&mut client, wait, |f| {
        produce_update(f, job).filter(|u| u.finished.is_some())
    })
    .await;
    let stopped = last.finished.map(|f| f.stopped).unwrap_or_default();
    assert!(
        stopped.contains("held to the workshop limit of 2000 records/s"),
        "the summary says the run was held: {stopped}"
    );
}

#[tokio::test]
async fn a_tail_delivers_no_faster_than_the_limit() {
    let limits = Limits {
        produce_rate: 1_000_000.0,
        tail_rate: 500,
        spark_jobs: 1,
    };
    let (_server, mut client) = joined("tail", limits).await;
    // Unlimited, a tail would deliver all of these within a second or two.
    fill(&mut client, "backlog", 20_000).await;
    // Counted from before the tail was asked for, so the bridge cannot have been delivering
    // longer than measured: a busy test machine can only lower the count, never raise it.
    let asked = Instant::now();
    let tail = match client
        .ask(Request::StartTail(TailSpec {
            topic: topic("backlog"),
            from: TailFrom::Beginning,
        }))
        .await
    {
        Ok(Response::TailStarted { tail, .. }) => tail,
        other => panic!("tail: {other:?}"),
    };
    let records_of = |f: Frame| match f {
        Frame::Records(frame) if frame.tail == tail => Some(frame.records.len()),
        _ => None,
    };
    let mut records = until(&mut client, Duration::from_secs(30), records_of).await;
    let span = Duration::from_secs(4);
    let counting = Instant::now();
    while counting.elapsed() < span {
        let left = span.saturating_sub(counting.elapsed());
        if let Some(n) = client.receive_any(left).await.and_then(records_of) {
            records += n;
        }
    }
    let seconds = asked.elapsed().as_secs_f64();
    // 500 a second; the bound allows for frames in flight and a burst of a twentieth second.
    // Unlimited, the whole backlog of 20,000 would arrive within a second or two.
    let most = 500.0 * seconds * 1.25 + 100.0;
    assert!(
        records > 0 && records as f64 <= most,
        "{records} records in {seconds:.1} s (at most {most:.0} allowed)"
    );
    assert_eq!(
        client.ask(Request::StopTail { tail }).await,
        Ok(Response::Done)
    );
}

#[tokio::test]
async fn a_limited_tail_reads_every_partition_to_the_end() {
    // The room's default tail limit, and a backlog of several seconds' worth over three
    // partitions: every record must arrive, from every partition, at about the limit.
    let (_server, mut client) = joined("tailall", Limits::default()).await;
    let count: u64 = 13_000;
    fill_partitions(&mut client, "backlog", count, 3).await;
    let tail = match client
        .ask(Request::StartTail(TailSpec {
            topic: topic("backlog"),
            from: TailFrom::Beginning,
        }))
        .await
    {
        Ok(Response::TailStarted { tail, partitions }) => {
            assert_eq!(partitions, vec![0, 1, 2]);
            tail
        }
        other => panic!("tail: {other:?}"),
    };
    // Counted by offset per partition, so a record delivered twice cannot hide one lost.
    let mut seen: std::collections::BTreeMap<i32, std::collections::BTreeSet<i64>> =
        std::collections::BTreeMap::new();
    let mut lag_ends = std::collections::BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let total = |seen: &std::collections::BTreeMap<i32, std::collections::BTreeSet<i64>>| {
        seen.values().map(|s| s.len() as u64).sum::<u64>()
    };
    while total(&seen) < count {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "{} of {count} records arrived in 60 s; per partition: {:?}",
            total(&seen),
            seen.iter().map(|(p, s)| (*p, s.len())).collect::<Vec<_>>()
        );
        match client.receive_any(left).await {
            Some(Frame::Records(frame)) if frame.tail == tail => {
                for r in frame.records {
                    seen.entry(r.partition).or_default().insert(r.offset);
                }
            }
            Some(Frame::Message(ServerMessage::Push(Push::TailLag(lag)))) if lag.tail == tail => {
                for p in lag.partitions {
                    if let Some(end) = p.high_watermark {
                        lag_ends.insert(p.partition, end);
                    }
                }
            }
            _ => {}
        }
    }
    assert_eq!(total(&seen), count);
    assert_eq!(seen.len(), 3, "every partition was read");
    assert_eq!(
        lag_ends.len(),
        3,
        "the lag reports give every partition's end: {lag_ends:?}"
    );
    for (partition, offsets) in &seen {
        let expected: i64 = offsets.len() as i64;
        assert_eq!(
            offsets.iter().next_back().map(|o| o + 1),
            Some(expected),
            "partition {partition}: offsets 0..{expected} without a gap"
        );
    }
    assert_eq!(
        client.ask(Request::StopTail { tail }).await,
        Ok(Response::Done)
    );
}
