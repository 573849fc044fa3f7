//! Workshop mode through the real router on 127.0.0.1:0 against the real stack: attendees join
//! with a name, work under their own prefix, and cannot reach another attendee's topics or
//! subjects however they craft their requests.

mod common;

use common::ws::{start, Client, Server, INSTRUCTOR_KEY};
use common::{unique, SHARED};
use shared::protocol::{
    BatchSpec, CompatLevel, ErrorCode, JobId, ProduceSpec, Push, Request, Response, ServerMessage,
    StreamSpec, StreamTrigger, TailFrom, TailSpec, VersionRef,
};
use shared::workshop::{AttendeeName, Step, StepState};
use shared::{Subject, Topic};

#[path = "workshop/guided.rs"]
mod guided;

const SCHEMA: &str = include_str!("../../schemas/click_v1.avsc");
const COUNT: u64 = 20;

fn topic(text: &str) -> Topic {
    Topic::new(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn subject(text: &str) -> Subject {
    Subject::new(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A name no earlier run used (topics outlive a run), within the 32 characters allowed.
fn attendee(first: &str) -> String {
    unique(first).chars().take(32).collect()
}

fn produce(topic_name: &str, partitions: i32) -> ProduceSpec {
    ProduceSpec {
        topic: topic(topic_name),
        schema: SCHEMA.to_owned(),
        count: Some(COUNT),
        rate: None,
        seed: 3,
        poison: 0.0,
        duplicates: 0.0,
        late: 0.0,
        partitions,
    }
}

/// A socket that has said hello and joined as `name`.
async fn join(server: &Server, name: &str) -> Client {
    let mut client = Client::connect(server)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let hello = client.hello().await;
    assert!(
        matches!(hello, Ok(Response::Welcome { workshop: true, .. })),
        "the page learns it must join: {hello:?}"
    );
    match client.ask(Request::Join { name: name.into() }).await {
        Ok(Response::Joined {
            name: got, prefix, ..
        }) => {
            assert_eq!((got.as_str(), prefix), (name, format!("{name}.")));
        }
        other => panic!("join as {name}: {other:?}"),
    }
    client
}

/// Registers click v1 for `clicks-avro`, produces to it, and returns the registered subject.
async fn register_and_produce(client: &mut Client, partitions: i32) -> Subject {
    let registered = match client
        .ask(Request::Register {
            topic: topic("clicks-avro"),
            schema: SCHEMA.to_owned(),
        })
        .await
    {
        Ok(Response::Schema(s)) => s.subject,
        other => panic!("register: {other:?}"),
    };
    let job = match client
        .ask(Request::StartProduce(produce("clicks-avro", partitions)))
        .await
    {
        Ok(Response::ProduceStarted { job, schema, .. }) => {
            assert_eq!(schema.subject, registered);
            job
        }
        other => panic!("produce: {other:?}"),
    };
    wait_for_produce(client, job).await;
    registered
}

async fn wait_for_produce(client: &mut Client, job: JobId) {
    loop {
        if let ServerMessage::Push(Push::Produce(update)) = client.receive().await {
            if update.job == job && update.finished.is_some() {
                assert_eq!((update.acknowledged, update.failed), (COUNT, 0));
                return;
            }
        }
    }
}

/// The partitions a tail of `name` finds.
async fn tail_partitions(client: &mut Client, name: &str) -> Result<Vec<i32>, ErrorCode> {
    let tail = client
        .ask(Request::StartTail(TailSpec {
            topic: topic(name),
            from: TailFrom::Beginning,
        }))
        .await;
    match tail {
        Ok(Response::TailStarted { tail, partitions }) => {
            let stopped = client.ask(Request::StopTail { tail }).await;
            assert_eq!(stopped, Ok(Response::Done));
            Ok(partitions)
        }
        Ok(other) => panic!("tail: {other:?}"),
        Err(error) => Err(error.code),
    }
}

/// Every request that reaches for `other`'s topic `clicks-avro` or its subject.
fn crafted_for(other: &str) -> Vec<Request> {
    let foreign = format!("{other}.clicks-avro");
    let foreign_subject = subject(&format!("{foreign}-value"));
    vec![
        Request::Register {
            topic: topic(&foreign),
            schema: SCHEMA.to_owned(),
        },
        Request::CheckCompatibility {
            topic: topic(&foreign),
            schema: SCHEMA.to_owned(),
        },
        Request::StartProduce(produce(&foreign, 1)),
        Request::StartTail(TailSpec {
            topic: topic(&foreign),
            from: TailFrom::Beginning,
        }),
        Request::RunBatch(BatchSpec {
            topic: topic(&foreign),
            from: None,
            to: None,
            top: 5,
        }),
        Request::StartStream(StreamSpec {
            topic: topic(&foreign),
            window_secs: 60,
            watermark_secs: 30,
            trigger: StreamTrigger::AvailableNow,
        }),
        Request::GetSchema {
            subject: foreign_subject.clone(),
            version: VersionRef::Latest,
        },
        Request::GetCompatibility {
            subject: Some(foreign_subject.clone()),
        },
        Request::SetCompatibility {
            subject: Some(foreign_subject),
            level: CompatLevel::None,
        },
        Request::SetCompatibility {
            subject: None,
            level: CompatLevel::None,
        },
        Request::ResetAttendees {
            attendee: Some(AttendeeName::new(other).unwrap_or_else(|e| panic!("{e}"))),
        },
        Request::ResetAttendees { attendee: None },
        Request::Broadcast {
            message: "hello from someone without the seat".into(),
        },
    ]
}

#[tokio::test]
async fn attendees_work_apart_and_cannot_reach_each_other() {
    let config = SHARED.ensure_up().await;
    let server = start(config, true).await;
    let (ada, bob) = (attendee("ada"), attendee("bob"));

    let mut stranger = Client::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let before = stranger
        .ask(Request::ListSubjects)
        .await
        .map_err(|e| e.code);
    assert_eq!(before, Err(ErrorCode::Forbidden), "nothing before joining");

    let mut a = join(&server, &ada).await;
    let mut b = join(&server, &bob).await;
    let a_subject = register_and_produce(&mut a, 1).await;
    let b_subject = register_and_produce(&mut b, 2).await;
    assert_eq!(a_subject, subject(&format!("{ada}.clicks-avro-value")));
    assert_eq!(b_subject, subject(&format!("{bob}.clicks-avro-value")));

    // The same short name is two topics: one partition for ada, two for bob.
    assert_eq!(tail_partitions(&mut a, "clicks-avro").await, Ok(vec![0]));
    assert_eq!(tail_partitions(&mut b, "clicks-avro").await, Ok(vec![0, 1]));
    let own = tail_partitions(&mut a, &format!("{ada}.clicks-avro")).await;
    assert_eq!(own, Ok(vec![0]), "a full name of one's own works too");

    match a.ask(Request::ListSubjects).await {
        Ok(Response::Subjects(listed)) => {
            let names: Vec<_> = listed.iter().map(|s| s.subject.clone()).collect();
            assert!(names.contains(&a_subject), "{names:?}");
            let prefix = format!("{ada}.");
            assert!(
                names.iter().all(|s| s.as_str().starts_with(&prefix)),
                "only ada's subjects: {names:?}"
            );
        }
        other => panic!("list: {other:?}"),
    }

    for request in crafted_for(&bob) {
        let refused = a.ask(request.clone()).await.map_err(|e| e.code);
        assert_eq!(refused, Err(ErrorCode::Forbidden), "{request:?}");
    }
    let latest = b
        .ask(Request::GetSchema {
            subject: b_subject.clone(),
            version: VersionRef::Latest,
        })
        .await;
    assert!(
        matches!(&latest, Ok(Response::Schema(s)) if s.version == 1),
        "bob's subject is untouched: {latest:?}"
    );

    let mut twin = Client::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let taken = twin.ask(Request::Join { name: ada.clone() }).await;
    assert_eq!(taken.map_err(|e| e.code), Err(ErrorCode::NameTaken));
    let bad = twin
        .ask(Request::Join {
            name: "Ada.x".into(),
        })
        .await;
    assert_eq!(bad.map_err(|e| e.code), Err(ErrorCode::BadRequest));
}

#[tokio::test]
async fn join_is_refused_outside_workshop_mode() {
    let server = start(SHARED.config(), false).await;
    let mut client = Client::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let hello = client.hello().await;
    assert!(
        matches!(
            hello,
            Ok(Response::Welcome {
                workshop: false,
                ..
            })
        ),
        "{hello:?}"
    );
    for request in [
        Request::Join { name: "ada".into() },
        Request::Instruct {
            key: INSTRUCTOR_KEY.into(),
        },
        Request::CheckStep {
            step: Step::Schema,
            answer: None,
        },
    ] {
        match client.ask(request.clone()).await {
            Err(error) => {
                assert_eq!(error.code, ErrorCode::BadRequest, "{request:?}");
                assert!(error.message.contains("--workshop"), "{}", error.message);
            }
            Ok(other) => panic!("answered outside workshop mode: {other:?}"),
        }
    }
}

/// Produces `spec` and returns its run's event start and writer schema version.
async fn produce_run(client: &mut Client, spec: ProduceSpec) -> (i64, u32) {
    let (job, start, version) = match client.ask(Request::StartProduce(spec)).await {
        Ok(Response::ProduceStarted {
            job,
            schema,
            event_start_ms,
            ..
        }) => (job, event_start_ms, schema.version),
        other => panic!("produce: {other:?}"),
    };
    wait_for_produce(client, job).await;
    (start, version)
}

#[tokio::test]
async fn whitespace_makes_no_version_and_each_run_continues_the_event_time() {
    let config = SHARED.ensure_up().await;
    let server = start(config, true).await;
    let name = attendee("evt");
    let mut client = join(&server, &name).await;
    // Step 1 registers the fixed schema as the attendee typed it: compact, one line.
    let compact = serde_json::to_string(
        &serde_json::from_str::<serde_json::Value>(SCHEMA).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_ne!(compact, SCHEMA, "the two texts differ in whitespace");
    match client
        .ask(Request::Register {
            topic: topic("clicks-avro"),
            schema: compact,
        })
        .await
    {
        Ok(Response::Schema(s)) => assert_eq!(s.version, 1),
        other => panic!("register: {other:?}"),
    }
    // The produce panel's writer is the shipped, indented text: the same schema, version 1.
    let (first, version) = produce_run(&mut client, produce("clicks-avro", 1)).await;
    assert_eq!(version, 1, "a whitespace-only difference finds version 1");
    assert_eq!(
        first,
        shared::generator::GeneratorOptions::default().start_ms
    );
    // The second run continues where the first's clicks ended (20 a second of event time), so
    // its clicks lie after every click of the first: a stream's watermark moves on.
    let (second, _) = produce_run(&mut client, produce("clicks-avro", 1)).await;
    let span = (COUNT as f64 * 1000.0 / shared::generator::PAGE_EVENTS_PER_SECOND) as i64;
    assert!(
        second > first && second >= first + span - 1000 && second <= first + span + 5_000,
        "the second run starts at {second}, the first at {first} spanning about {span} ms"
    );
    let mine = subject(&format!("{name}.clicks-avro-value"));
    let versions = match client.ask(Request::ListSubjects).await {
        Ok(Response::Subjects(list)) => list
            .into_iter()
            .find(|s| s.subject == mine)
            .map(|s| s.versions),
        other => panic!("subjects: {other:?}"),
    };
    assert_eq!(
        versions,
        Some(vec![1]),
        "one version after three registrations"
    );
}

#[tokio::test]
async fn an_attendee_stuck_on_a_short_first_version_finds_the_way_out_alone() {
    let config = SHARED.ensure_up().await;
    let server = start(config, true).await;
    let name = attendee("stuck");
    let mut client = join(&server, &name).await;
    // The click without its last field, as an attendee might register by mistake.
    let mut short: serde_json::Value =
        serde_json::from_str(SCHEMA).unwrap_or_else(|e| panic!("{e}"));
    let dropped = short["fields"]
        .as_array_mut()
        .and_then(|f| f.pop())
        .and_then(|f| f["name"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("the click has fields"));
    let register = |schema: String| Request::Register {
        topic: topic("clicks-avro"),
        schema,
    };
    let first = client.ask(register(short.to_string())).await;
    assert!(
        matches!(first, Ok(Response::Schema(ref s)) if s.version == 1),
        "{first:?}"
    );
    let failed = check_schema_step(&mut client).await;
    assert_eq!(failed.state, StepState::Failed, "{failed:?}");
    assert!(failed.missing[0].contains(&dropped), "{failed:?}");
    assert!(
        failed
            .missing
            .iter()
            .any(|m| m.contains("Start step 1 again")),
        "{failed:?}"
    );
    // The full click cannot follow the short version...
    let refused = client.ask(register(SCHEMA.to_owned())).await;
    assert!(
        matches!(refused, Err(ref e) if e.code == ErrorCode::Incompatible),
        "{refused:?}"
    );
    // ...until step 1 starts again, which removes the attendee's subject and nothing else.
    match client.ask(Request::RestartSchemaStep).await {
        Ok(Response::StepChecked(check)) => {
            assert_eq!(check.state, StepState::NotStarted, "{check:?}");
        }
        other => panic!("restart: {other:?}"),
    }
    let again = client.ask(register(SCHEMA.to_owned())).await;
    assert!(
        matches!(again, Ok(Response::Schema(ref s)) if s.version == 1),
        "{again:?}"
    );
    let passed = check_schema_step(&mut client).await;
    assert!(
        passed.done && passed.state == StepState::Passed,
        "{passed:?}"
    );
    assert!(passed.started_at_ms > 0 && passed.passed_at_ms >= passed.started_at_ms);
}

async fn check_schema_step(client: &mut Client) -> shared::workshop::StepCheck {
    match client
        .ask(Request::CheckStep {
            step: Step::Schema,
            answer: None,
        })
        .await
    {
        Ok(Response::StepChecked(check)) => check,
        other => panic!("check: {other:?}"),
    }
}

#[tokio::test]
async fn a_restarted_bridge_finds_the_room_it_kept() {
    let config = SHARED.ensure_up().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let room_file = dir.path().join("room.json");
    let settings = |new_room: bool| bridge::ServeConfig {
        host: [127, 0, 0, 1].into(),
        port: 0,
        token: None,
        allowed_hosts: Vec::new(),
        dist: std::path::PathBuf::from("/nonexistent/kafka-demo-dist"),
        workshop: true,
        instructor_key: Some(bridge::InstructorKey::Given(INSTRUCTOR_KEY.into())),
        limits: shared::workshop::Limits::default(),
        room_file: Some(room_file.clone()),
        new_room,
    };
    let name = attendee("kept");
    {
        let server = common::ws::serve_with(config.clone(), settings(false)).await;
        let mut client = join(&server, &name).await;
        let registered = client
            .ask(Request::Register {
                topic: topic("clicks-avro"),
                schema: SCHEMA.to_owned(),
            })
            .await;
        assert!(
            matches!(registered, Ok(Response::Schema(_))),
            "{registered:?}"
        );
        assert!(check_schema_step(&mut client).await.done);
        // The room is written a moment after the change; the file is the evidence.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut poll = tokio::time::interval(std::time::Duration::from_millis(50));
        loop {
            poll.tick().await;
            let text = std::fs::read_to_string(&room_file).unwrap_or_default();
            if text.contains(&name) && text.contains("\"passed\"") {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "room file: {text}");
        }
    }
    let again = common::ws::serve_with(config.clone(), settings(false)).await;
    let mut client = Client::connect(&again)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(client.hello().await.is_ok());
    match client.ask(Request::Join { name: name.clone() }).await {
        Ok(Response::Joined { progress, .. }) => {
            let schema = &progress.steps[0];
            assert!(schema.done && schema.passed_at_ms > 0, "{schema:?}");
        }
        other => panic!("join again: {other:?}"),
    }
    drop(client);
    drop(again);
    let fresh = common::ws::serve_with(config, settings(true)).await;
    let mut client = Client::connect(&fresh)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(client.hello().await.is_ok());
    match client.ask(Request::Join { name: name.clone() }).await {
        Ok(Response::Joined { progress, .. }) => {
            assert_eq!(progress.done(), 0, "a new room starts empty");
        }
        other => panic!("join a new room: {other:?}"),
    }
}
