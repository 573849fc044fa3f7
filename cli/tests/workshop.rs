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
use shared::workshop::{AttendeeName, Step};
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
