//! The guided steps, the instructor's seat, broadcasts and resets, through the real router
//! against the real stack. Two attendees work in parallel; everything the bridge checks is
//! produced by crafted requests, and the answers are found the way an attendee would (the poison
//! pill by reading the topic directly here, not through the bridge's check code).

use super::common::ws::{start, Client, Server, INSTRUCTOR_KEY};
use super::common::{unique, SHARED};
use pipeline::settings::Config;
use shared::protocol::{
    BatchOutcome, BatchSpec, ErrorCode, JobId, ProduceFinished, ProduceSpec, Push, Request,
    Response, ServerMessage, StreamSpec, StreamTrigger,
};
use shared::workshop::{AttendeeName, AttendeeView, Progress, ResetReport, Step, StepCheck};
use shared::{SchemaId, Topic};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::Instant;

const V1: &str = include_str!("../../../schemas/click_v1.avsc");
const V2: &str = include_str!("../../../schemas/click_v2.avsc");
const INCOMPATIBLE: &str = include_str!("../../../schemas/examples/click_incompatible.avsc");

/// A name no earlier run used, without `_` and within the 32 characters allowed.
fn attendee(first: &str) -> String {
    unique(first).chars().take(32).collect()
}

fn short_topic() -> Topic {
    Topic::new("clicks-avro").unwrap_or_else(|e| panic!("{e}"))
}

/// A tab speaking to the bridge, keeping what the bridge pushed.
struct Tab {
    client: Client,
    label: String,
    progress: Option<Progress>,
    roster: Option<Vec<AttendeeView>>,
    news: Vec<String>,
    was_reset: Option<ResetReport>,
    pushes: VecDeque<Push>,
}

impl Tab {
    async fn open(server: &Server, label: &str) -> Self {
        let mut client = Client::connect(server)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        let hello = client.hello().await;
        assert!(
            matches!(hello, Ok(Response::Welcome { workshop: true, .. })),
            "{hello:?}"
        );
        Self {
            client,
            label: label.to_owned(),
            progress: None,
            roster: None,
            news: Vec::new(),
            was_reset: None,
            pushes: VecDeque::new(),
        }
    }

    /// A tab joined as `name`.
    async fn join(server: &Server, name: &str) -> Self {
        let mut tab = Self::open(server, name).await;
        match tab.ask(Request::Join { name: name.into() }).await {
            Ok(Response::Joined { progress, .. }) => tab.progress = Some(progress),
            other => panic!("join as {name}: {other:?}"),
        }
        tab
    }

    /// A tab holding the instructor's seat.
    async fn instructor(server: &Server) -> Self {
        let mut tab = Self::open(server, "instructor").await;
        match tab
            .ask(Request::Instruct {
                key: INSTRUCTOR_KEY.into(),
            })
            .await
        {
            Ok(Response::Instructing { roster }) => tab.roster = Some(roster),
            other => panic!("instruct: {other:?}"),
        }
        tab
    }

    fn note(&mut self, push: Push) {
        match &push {
            Push::Progress(p) => self.progress = Some(p.clone()),
            Push::Roster(r) => self.roster = Some(r.clone()),
            Push::Broadcast { message } => self.news.push(message.clone()),
            Push::WasReset(report) => self.was_reset = Some(report.clone()),
            _ => {}
        }
        self.pushes.push_back(push);
        if self.pushes.len() > 10_000 {
            self.pushes.pop_front();
        }
    }

    async fn ask(&mut self, request: Request) -> Result<Response, shared::protocol::ErrorInfo> {
        let mut seen = Vec::new();
        let answer = self.client.ask_seeing(request, |p| seen.push(p)).await;
        for push in seen {
            self.note(push);
        }
        answer
    }

    /// Receives until `done` holds of the tab, failing the test at `within`.
    async fn wait_until(&mut self, what: &str, within: Duration, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + within;
        while !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.client.receive_within(left).await {
                Some(ServerMessage::Push(push)) => self.note(push),
                Some(_) => {}
                None => panic!("{}: {what} did not happen within {within:?}", self.label),
            }
        }
    }

    /// Takes the first push (kept or new) that `pick` accepts.
    async fn take<T>(
        &mut self,
        what: &str,
        within: Duration,
        pick: impl Fn(&Push) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + within;
        loop {
            if let Some(at) = self.pushes.iter().position(|p| pick(p).is_some()) {
                let push = self.pushes.remove(at);
                if let Some(found) = push.as_ref().and_then(&pick) {
                    return found;
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.client.receive_within(left).await {
                Some(ServerMessage::Push(push)) => self.note(push),
                Some(_) => {}
                None => panic!("{}: {what} did not arrive within {within:?}", self.label),
            }
        }
    }

    fn step(&self, step: Step) -> Option<&StepCheck> {
        self.progress
            .as_ref()?
            .steps
            .iter()
            .find(|s| s.step == step)
    }

    fn step_done(&self, step: Step) -> bool {
        self.step(step).is_some_and(|s| s.done)
    }

    async fn check(&mut self, step: Step, answer: Option<&str>) -> StepCheck {
        let request = Request::CheckStep {
            step,
            answer: answer.map(str::to_owned),
        };
        match self.ask(request).await {
            Ok(Response::StepChecked(check)) => {
                assert_eq!(check.step, step);
                assert!(check.checked_at_ms > 0);
                assert_eq!(check.done, check.missing.is_empty(), "{check:?}");
                check
            }
            other => panic!("{}: check {step:?}: {other:?}", self.label),
        }
    }

    async fn register(&mut self, schema: &str) -> SchemaId {
        let request = Request::Register {
            topic: short_topic(),
            schema: schema.to_owned(),
        };
        match self.ask(request).await {
            Ok(Response::Schema(s)) => s.id,
            other => panic!("{}: register: {other:?}", self.label),
        }
    }

    /// Produces `count` clicks with `poison` pills and waits for the run's end.
    async fn produce(&mut self, schema: &str, count: u64, poison: f64) -> ProduceFinished {
        let job = self.start_produce(schema, Some(count), None, poison).await;
        let finished = self
            .take(
                "the produce run's end",
                Duration::from_secs(120),
                |p| match p {
                    Push::Produce(u) if u.job == job => u.finished.clone(),
                    _ => None,
                },
            )
            .await;
        assert_eq!(finished.not_delivered, 0, "{finished:?}");
        finished
    }

    async fn start_produce(
        &mut self,
        schema: &str,
        count: Option<u64>,
        rate: Option<f64>,
        poison: f64,
    ) -> JobId {
        let spec = ProduceSpec {
            topic: short_topic(),
            schema: schema.to_owned(),
            count,
            rate,
            seed: 11,
            poison,
            duplicates: 0.0,
            late: 0.0,
            partitions: 2,
        };
        match self.ask(Request::StartProduce(spec)).await {
            Ok(Response::ProduceStarted { job, .. }) => job,
            other => panic!("{}: produce: {other:?}", self.label),
        }
    }

    /// Runs the batch job over the attendee's topic and returns its report.
    async fn batch(&mut self) -> Box<shared::batch::BatchReport> {
        let spec = BatchSpec {
            topic: short_topic(),
            from: None,
            to: None,
            top: 5,
        };
        let job = match self.ask(Request::RunBatch(spec)).await {
            Ok(Response::BatchStarted { job }) => job,
            other => panic!("{}: batch: {other:?}", self.label),
        };
        let outcome = self
            .take(
                "the batch job's end",
                Duration::from_secs(300),
                |p| match p {
                    Push::BatchDone { job: of, outcome } if *of == job => Some(outcome.clone()),
                    _ => None,
                },
            )
            .await;
        match outcome {
            BatchOutcome::Finished(report) => report,
            BatchOutcome::Failed(e) => panic!("{}: the batch job failed: {e:?}", self.label),
        }
    }

    async fn start_stream(&mut self, trigger: StreamTrigger) -> JobId {
        let spec = StreamSpec {
            topic: short_topic(),
            window_secs: 2,
            watermark_secs: 1,
            trigger,
        };
        match self.ask(Request::StartStream(spec)).await {
            Ok(Response::StreamStarted { job, .. }) => job,
            other => panic!("{}: stream: {other:?}", self.label),
        }
    }

    async fn stream_ended(&mut self, job: JobId) {
        let error = self
            .take("the stream's end", Duration::from_secs(300), |p| match p {
                Push::StreamEnded { job: of, error } if *of == job => Some(error.clone()),
                _ => None,
            })
            .await;
        assert_eq!(error, None, "{}", self.label);
    }
}

/// The first poison pill and the first clean click of `topic`, read directly from Kafka: a
/// value is clean when it is framed with `writer` and its body decodes with click v1.
async fn pill_and_click(
    config: &Config,
    topic: &str,
    writer: SchemaId,
) -> ((i32, i64), (i32, i64)) {
    use rdkafka::consumer::{Consumer as _, StreamConsumer};
    use rdkafka::message::Message as _;
    let schema = apache_avro::Schema::parse_str(V1).unwrap_or_else(|e| panic!("{e}"));
    let consumer: StreamConsumer = pipeline::kafka::client_config(&config.kafka)
        .set("group.id", unique("pill-finder"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut list = rdkafka::TopicPartitionList::new();
    for partition in [0, 1] {
        list.add_partition_offset(topic, partition, rdkafka::Offset::Beginning)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    consumer.assign(&list).unwrap_or_else(|e| panic!("{e}"));
    let (mut pill, mut click) = (None, None);
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while pill.is_none() || click.is_none() {
            let message = consumer.recv().await.unwrap_or_else(|e| panic!("{e}"));
            let at = (message.partition(), message.offset());
            let value = message.payload().unwrap_or_default();
            let clean = value.len() >= 5
                && value[0] == 0
                && value[1..5] == writer.0.to_be_bytes()
                && decodes_whole(&schema, &value[5..]);
            if clean {
                click.get_or_insert(at);
            } else {
                pill.get_or_insert(at);
            }
        }
    })
    .await;
    assert!(found.is_ok(), "no pill and click found in {topic}");
    match (pill, click) {
        (Some(p), Some(c)) => (p, c),
        other => panic!("{other:?}"),
    }
}

fn decodes_whole(schema: &apache_avro::Schema, body: &[u8]) -> bool {
    let mut rest = body;
    apache_avro::from_avro_datum(schema, &mut rest, None).is_ok() && rest.is_empty()
}

/// Every step of the workshop, as one attendee does it; returns the attendee's tab.
async fn complete_every_step(server: &Server, config: &Config, name: &str) -> Tab {
    let mut tab = Tab::join(server, name).await;
    assert_eq!(tab.progress.as_ref().map(Progress::done), Some(0));

    // 1. Schema: nothing registered yet, then the fixed schema.
    let before = tab.check(Step::Schema, None).await;
    assert!(
        !before.done && before.missing[0].contains("register the schema"),
        "{before:?}"
    );
    let v1 = tab.register(V1).await;
    let schema = tab.check(Step::Schema, None).await;
    assert!(schema.done, "{schema:?}");

    // 2. Produce: turns green by itself once the run is over.
    let short = tab.check(Step::Produce, None).await;
    assert!(!short.done, "{short:?}");
    let finished = tab.produce(V1, 2_000, 0.05).await;
    assert!(finished.poison > 0, "{finished:?}");
    tab.wait_until(
        "the Produce step turning green",
        Duration::from_secs(60),
        |t| t.step_done(Step::Produce),
    )
    .await;

    // 3. Consume: a clean click is not a pill, a made-up position is refused plainly.
    let topic = format!("{name}.clicks-avro");
    let (pill, click) = pill_and_click(config, &topic, v1).await;
    let wrong = tab
        .check(Step::Consume, Some(&format!("{}:{}", click.0, click.1)))
        .await;
    assert!(
        !wrong.done && wrong.summary.contains("decodes as a click"),
        "{wrong:?}"
    );
    let garbled = tab.check(Step::Consume, Some("the third one")).await;
    assert!(
        !garbled.done && garbled.summary.contains("not a position"),
        "{garbled:?}"
    );
    let past = tab.check(Step::Consume, Some("0:99999999")).await;
    assert!(!past.done, "{past:?}");
    let found = tab
        .check(Step::Consume, Some(&format!("{}:{}", pill.0, pill.1)))
        .await;
    assert!(
        found.done && found.summary.contains("poison pill"),
        "{found:?}"
    );

    // 4. Batch: nothing before the job ran, then only the top creative.
    let early = tab.check(Step::Batch, Some("cr-1")).await;
    assert_eq!(
        early.missing,
        vec!["run the batch job on clicks-avro first".to_owned()]
    );
    let report = tab.batch().await;
    let top = report
        .top_by_clicks
        .first()
        .map(|g| g.key.clone())
        .unwrap_or_else(|| panic!("{name}: the report has no top creative"));
    let wrong = tab.check(Step::Batch, Some("no-such-creative")).await;
    assert!(!wrong.done, "{wrong:?}");
    let right = tab
        .check(Step::Batch, Some(&format!(" {} ", top.to_uppercase())))
        .await;
    assert!(right.done, "{right:?}");

    // 5. Stream: runs until the bridge sees a window closed, by itself.
    let job = tab.start_stream(StreamTrigger::ProcessingTime(500)).await;
    tab.wait_until(
        "the Stream step turning green",
        Duration::from_secs(300),
        |t| t.step_done(Step::Stream),
    )
    .await;
    let stopped = tab.ask(Request::StopStream { job }).await;
    assert_eq!(stopped, Ok(Response::Done));
    tab.stream_ended(job).await;

    // 6. The drill: v2, a refused change, v2 records, and a batch reading both writers.
    let drill = tab.check(Step::Evolve, None).await;
    assert_eq!(drill.missing.len(), 4, "{drill:?}");
    let v2 = tab.register(V2).await;
    assert_ne!(v1, v2);
    let candidate = Request::CheckCompatibility {
        topic: short_topic(),
        schema: INCOMPATIBLE.to_owned(),
    };
    match tab.ask(candidate).await {
        Ok(Response::Compatibility(r)) => assert!(!r.compatible, "{r:?}"),
        other => panic!("{name}: compatibility: {other:?}"),
    }
    let half = tab.check(Step::Evolve, None).await;
    assert_eq!(half.missing.len(), 2, "{half:?}");
    tab.produce(V2, 300, 0.0).await;
    let report = tab.batch().await;
    assert!(report.schemas.len() >= 2, "{:?}", report.schemas);
    tab.wait_until("the drill turning green", Duration::from_secs(60), |t| {
        t.step_done(Step::Evolve)
    })
    .await;
    let drill = tab.check(Step::Evolve, None).await;
    assert!(drill.done, "{drill:?}");
    tab
}

#[tokio::test]
async fn two_attendees_complete_every_step_in_parallel() {
    let config = SHARED.ensure_up().await;
    let server = start(config.clone(), true).await;
    let mut instructor = Tab::instructor(&server).await;
    let (ada, bob) = (attendee("ada"), attendee("bob"));
    let (a, b) = tokio::join!(
        complete_every_step(&server, &config, &ada),
        complete_every_step(&server, &config, &bob)
    );
    for tab in [&a, &b] {
        let progress = tab.progress.clone().unwrap_or_default();
        assert_eq!(
            progress.done(),
            Step::ALL.len(),
            "{}: {progress:?}",
            tab.label
        );
    }

    instructor
        .wait_until(
            "both attendees done on the roster",
            Duration::from_secs(30),
            |t| {
                let roster = t.roster.clone().unwrap_or_default();
                [&ada, &bob].iter().all(|name| {
                    roster.iter().any(|v| {
                        v.name.as_str() == name.as_str() && v.connected && v.progress.done() == 6
                    })
                })
            },
        )
        .await;

    // Progress outlives the tab: a new tab under the name gets it back.
    drop(a);
    instructor
        .wait_until("ada shown as gone", Duration::from_secs(30), |t| {
            t.roster
                .clone()
                .unwrap_or_default()
                .iter()
                .any(|v| v.name.as_str() == ada && !v.connected)
        })
        .await;
    let again = Tab::join(&server, &ada).await;
    assert_eq!(again.progress.as_ref().map(Progress::done), Some(6));
    drop(b);
}

/// Topics, subjects and data folders starting with `<name>.`.
async fn holdings(config: &Config, name: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let prefix = format!("{name}.");
    let topics: Vec<String> = pipeline::kafka::list_topics(&config.kafka, Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|t| t.name)
        .filter(|t| t.starts_with(&prefix))
        .collect();
    let registry =
        pipeline::registry::Client::new(&config.registry).unwrap_or_else(|e| panic!("{e}"));
    let subjects: Vec<String> = registry
        .subjects()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|s| s.as_str().to_owned())
        .filter(|s| s.starts_with(&prefix))
        .collect();
    let mut folders = Vec::new();
    for parent in ["stream", "batch"] {
        let dir: PathBuf = config.stack.data_dir.join(parent);
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.starts_with(&prefix) {
                folders.push(format!("{parent}/{file}"));
            }
        }
    }
    let mut all = (topics, subjects, folders);
    all.0.sort();
    all.1.sort();
    all.2.sort();
    all
}

/// Registers v1, produces a little, runs the batch job, and (with `stream`) drains a stream.
async fn some_work(server: &Server, name: &str, stream: bool) -> Tab {
    let mut tab = Tab::join(server, name).await;
    tab.register(V1).await;
    tab.produce(V1, 200, 0.0).await;
    tab.batch().await;
    if stream {
        let job = tab.start_stream(StreamTrigger::AvailableNow).await;
        tab.stream_ended(job).await;
    }
    tab
}

#[tokio::test]
async fn a_reset_removes_one_attendees_work_and_leaves_the_others() {
    let config = SHARED.ensure_up().await;
    let server = start(config.clone(), true).await;
    let (ada, bob) = (attendee("ada"), attendee("bob"));
    let (mut a, mut b) = tokio::join!(
        some_work(&server, &ada, true),
        some_work(&server, &bob, false)
    );
    let a_before = holdings(&config, &ada).await;
    let b_before = holdings(&config, &bob).await;
    assert_eq!(
        a_before.0.len(),
        2,
        "clicks and windows topics: {a_before:?}"
    );
    assert_eq!(a_before.1.len(), 1, "{a_before:?}");
    assert_eq!(
        a_before.2.len(),
        2,
        "a checkpoint and a batch output: {a_before:?}"
    );
    assert_eq!(
        (b_before.0.len(), b_before.1.len(), b_before.2.len()),
        (1, 1, 1),
        "{b_before:?}"
    );
    let schema = a.check(Step::Schema, None).await;
    assert!(schema.done);

    // Without the seat nobody resets or broadcasts; a wrong key does not open it.
    for request in [
        Request::ResetAttendees {
            attendee: Some(AttendeeName::new(bob.clone()).unwrap_or_else(|e| panic!("{e}"))),
        },
        Request::Broadcast {
            message: "hi".into(),
        },
        Request::Instruct {
            key: format!("{INSTRUCTOR_KEY}x"),
        },
        Request::Instruct { key: String::new() },
    ] {
        let refused = a.ask(request.clone()).await.map_err(|e| e.code);
        assert_eq!(refused, Err(ErrorCode::Forbidden), "{request:?}");
    }

    // A broadcast reaches every tab, the instructor's included; a long one is refused.
    let mut instructor = Tab::instructor(&server).await;
    let too_long = instructor
        .ask(Request::Broadcast {
            message: "x".repeat(501),
        })
        .await
        .map_err(|e| (e.code, e.message));
    assert!(
        matches!(&too_long, Err((ErrorCode::BadRequest, m)) if m.contains("500")),
        "{too_long:?}"
    );
    let note = format!("ten minutes left {}", unique("n"));
    let sent = instructor
        .ask(Request::Broadcast {
            message: note.clone(),
        })
        .await;
    assert_eq!(sent, Ok(Response::Done));
    for tab in [&mut a, &mut b, &mut instructor] {
        tab.wait_until("the broadcast", Duration::from_secs(10), |t| {
            t.news.contains(&note)
        })
        .await;
    }

    // A produce run that never ends on its own is stopped by the reset.
    a.start_produce(V1, None, Some(50.0), 0.0).await;
    let name = AttendeeName::new(ada.clone()).unwrap_or_else(|e| panic!("{e}"));
    let reports = match instructor
        .ask(Request::ResetAttendees {
            attendee: Some(name.clone()),
        })
        .await
    {
        Ok(Response::Reset(reports)) => reports,
        other => panic!("reset: {other:?}"),
    };
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(report.name, name);
    assert!(report.jobs_stopped >= 1, "{report:?}");
    let sorted = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v
    };
    assert_eq!(
        (
            sorted(&report.topics),
            sorted(&report.subjects),
            sorted(&report.folders)
        ),
        a_before.clone(),
        "the report names exactly what ada had"
    );

    // Gone from the services (topic deletion may take a moment to show in metadata).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut a_after = holdings(&config, &ada).await;
    while a_after != (vec![], vec![], vec![]) {
        assert!(
            Instant::now() < deadline,
            "ada's work is still there: {a_after:?}"
        );
        tokio::task::yield_now().await;
        a_after = holdings(&config, &ada).await;
    }
    assert_eq!(
        holdings(&config, &bob).await,
        b_before,
        "bob's work is untouched"
    );

    // Ada's tab is told, her progress starts over, and she stays on the roster.
    a.wait_until(
        "the reset notice and fresh progress",
        Duration::from_secs(30),
        |t| t.was_reset.is_some() && t.progress.as_ref().is_some_and(|p| p.done() == 0),
    )
    .await;
    assert_eq!(a.was_reset.as_ref(), Some(report));
    instructor
        .wait_until(
            "ada back at zero on the roster",
            Duration::from_secs(30),
            |t| {
                t.roster
                    .clone()
                    .unwrap_or_default()
                    .iter()
                    .any(|v| v.name.as_str() == ada && v.connected && v.progress.done() == 0)
            },
        )
        .await;
    let bob_schema = b.check(Step::Schema, None).await;
    assert!(bob_schema.done, "{bob_schema:?}");

    // The tab works on after the reset.
    a.register(V1).await;
    let finished = a.produce(V1, 20, 0.0).await;
    assert_eq!(finished.records, 20);

    // An attendee who left with a produce run going: the reset waits for it to wind down.
    let cy = attendee("cy");
    let mut c = Tab::join(&server, &cy).await;
    c.register(V1).await;
    c.start_produce(V1, None, Some(50.0), 0.0).await;
    drop(c);
    let name = AttendeeName::new(cy.clone()).unwrap_or_else(|e| panic!("{e}"));
    match instructor
        .ask(Request::ResetAttendees {
            attendee: Some(name),
        })
        .await
    {
        Ok(Response::Reset(reports)) => {
            assert_eq!(
                reports[0].topics,
                vec![format!("{cy}.clicks-avro")],
                "{reports:?}"
            );
            assert_eq!(reports[0].jobs_stopped, 0, "the tab was gone already");
        }
        other => panic!("reset cy: {other:?}"),
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while holdings(&config, &cy).await != (vec![], vec![], vec![]) {
        assert!(Instant::now() < deadline, "cy's work is still there");
        tokio::task::yield_now().await;
    }

    // Everyone: the attendees who joined this bridge, and nobody else.
    let reports = match instructor
        .ask(Request::ResetAttendees { attendee: None })
        .await
    {
        Ok(Response::Reset(reports)) => reports,
        other => panic!("reset everyone: {other:?}"),
    };
    let mut names: Vec<_> = reports.iter().map(|r| r.name.as_str().to_owned()).collect();
    names.sort();
    let mut expected = vec![ada.clone(), bob.clone(), cy.clone()];
    expected.sort();
    assert_eq!(names, expected);
    for report in &reports {
        let prefix = report.name.prefix();
        let all = report.topics.iter().chain(&report.subjects);
        assert!(all.clone().all(|n| n.starts_with(&prefix)), "{report:?}");
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while holdings(&config, &bob).await != (vec![], vec![], vec![]) {
        assert!(Instant::now() < deadline, "bob's work is still there");
        tokio::task::yield_now().await;
    }
}
