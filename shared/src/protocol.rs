//! The WebSocket protocol between the browser and the bridge: one enum per direction, JSON text
//! frames, externally tagged (`{"variant": data}`, a variant without data as `"variant"`) —
//! the shape that serde builds with the least code in the page's WebAssembly.
//!
//! Every request carries a [`RequestId`] chosen by the browser; the bridge answers each with
//! exactly one [`ServerMessage::Reply`] or [`ServerMessage::Failed`] carrying the same id.
//! [`ServerMessage::Push`] frames arrive unasked (stack status, notices).

use crate::batch::BatchReport;
use crate::click::Click;
use crate::groups::{GroupDescription, GroupSummary, ResetPlan, ResetTo};
use crate::ids::{SchemaId, Subject, Topic};
use crate::workshop::{AttendeeName, AttendeeView, Limits, Progress, ResetReport, Step, StepCheck};
use serde::{Deserialize, Serialize};

/// Bumped whenever a message changes shape; the bridge refuses a browser speaking another.
pub const PROTOCOL_VERSION: u32 = 8;

/// Names a running job of a session (a produce run or a tail), chosen by the bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub u64);

/// Names a request so its reply can be matched to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub u64);

/// A frame from the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientMessage {
    /// Echoed in the reply.
    pub id: RequestId,
    /// What is asked.
    pub request: Request,
}

/// What the browser can ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// First message of a session: the protocol version the page speaks, and the cluster it
    /// wants to work against.
    Hello {
        /// The page's [`PROTOCOL_VERSION`].
        protocol: u32,
        /// One of the cluster profiles the bridge offers (a [`Response::Welcome`]'s `clusters`);
        /// `None` keeps the bridge's default. The session uses it until it ends. An unknown name
        /// is refused with [`ErrorCode::UnknownCluster`], any other than the room's in workshop
        /// mode with [`ErrorCode::Forbidden`]; the session then stays on the default.
        #[serde(default)]
        cluster: Option<String>,
    },
    /// Whether each service of the stack answers.
    StackStatus,
    /// Workshop mode: take a name; the session's topics and subjects then live under
    /// `<name>.` (see [`crate::workshop`]). Refused when the bridge is not in workshop mode.
    Join {
        /// The attendee's name, checked by the bridge against [`AttendeeName`]'s rules.
        name: String,
    },
    /// Workshop mode: take the instructor's seat with the instructor key the bridge printed at
    /// start. The tab then gets [`Push::Roster`] and may reset attendees and broadcast.
    Instruct {
        /// The instructor key.
        key: String,
    },
    /// Workshop mode: check a guided step against the services now.
    CheckStep {
        /// The step.
        step: Step,
        /// The attendee's answer, for steps that ask a question ([`Step::asks`]).
        answer: Option<String>,
    },
    /// Workshop mode: start step 1 again, the way out of a first version the registry will not
    /// let the full schema follow: deletes every version of the attendee's own value subject of
    /// the step topic (nothing else), so the next registration is version 1. Answered with the
    /// step's new check.
    RestartSchemaStep,
    /// Instructor: stop one attendee's jobs (or everyone's) and delete their topics, subjects,
    /// checkpoints and batch output; their progress starts over.
    ResetAttendees {
        /// Whom; everyone when `None`.
        attendee: Option<AttendeeName>,
    },
    /// Instructor: show a message on every attendee's page.
    Broadcast {
        /// The message (at most 500 characters).
        message: String,
    },
    /// One of the schema files shipped with kafka-demo.
    Example {
        /// Which one.
        example: Example,
    },
    /// All subjects with their versions.
    ListSubjects,
    /// One version of a subject.
    GetSchema {
        /// The subject.
        subject: Subject,
        /// Which version.
        version: VersionRef,
    },
    /// A schema by its global id (what a record header names).
    GetSchemaById {
        /// The id.
        id: SchemaId,
    },
    /// Register a schema as the value schema of a topic (subject `{topic}-value`).
    Register {
        /// The topic.
        topic: Topic,
        /// The schema's JSON text.
        schema: String,
    },
    /// Check a candidate against the latest version under a topic's value subject.
    CheckCompatibility {
        /// The topic.
        topic: Topic,
        /// The candidate's JSON text.
        schema: String,
    },
    /// The compatibility level in force (a subject's, or the global one).
    GetCompatibility {
        /// The subject, or `None` for the global level.
        subject: Option<Subject>,
    },
    /// Set the compatibility level of a subject, or the global one.
    SetCompatibility {
        /// The subject, or `None` for the global level.
        subject: Option<Subject>,
        /// The new level.
        level: CompatLevel,
    },
    /// Start producing generated clicks; progress arrives as [`Push::Produce`].
    StartProduce(ProduceSpec),
    /// Stop a produce run (what was sent is still flushed and reported).
    StopProduce {
        /// The run.
        job: JobId,
    },
    /// Start tailing a topic: raw records arrive as binary frames (see [`crate::tail`]),
    /// positions and lag as [`Push::TailLag`].
    StartTail(TailSpec),
    /// Pause or resume a tail; a paused tail reads nothing.
    PauseTail {
        /// The tail.
        tail: JobId,
        /// Paused or not.
        paused: bool,
    },
    /// Stop a tail.
    StopTail {
        /// The tail.
        tail: JobId,
    },
    /// Run a Spark batch job over a topic; stages arrive as [`Push::BatchStage`], the result
    /// as [`Push::BatchDone`].
    RunBatch(BatchSpec),
    /// Start a Spark Structured Streaming query over a topic; progress and window results
    /// arrive as [`Push::StreamProgress`] and [`Push::StreamWindows`].
    StartStream(StreamSpec),
    /// Stop a streaming query (its checkpoint is kept, so a new one resumes there).
    StopStream {
        /// The query's job.
        job: JobId,
    },
    /// Send records the page encoded itself (a record written by hand, or a poison pill made
    /// on purpose); answered once every copy is acknowledged.
    SendRecords(SendSpec),
    /// One generated click, to start a hand-written record from.
    SampleClick {
        /// The generator's seed.
        seed: u64,
    },
    /// The consumer groups, with state, members and topics.
    ListGroups,
    /// One group's members and, per partition, committed offset, end and lag.
    DescribeGroup {
        /// The group id.
        group: String,
    },
    /// Plan (or, with `execute`, commit) new offsets for a group on a topic.
    ResetGroup {
        /// The group id; it must have no members.
        group: String,
        /// The topic whose offsets move.
        topic: Topic,
        /// Where to.
        to: ResetTo,
        /// Commit them; otherwise only plan.
        execute: bool,
    },
}

impl Request {
    /// The request's name as it travels (`list_subjects`, `start_produce`, …), for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hello { .. } => "hello",
            Self::StackStatus => "stack_status",
            Self::Join { .. } => "join",
            Self::Instruct { .. } => "instruct",
            Self::CheckStep { .. } => "check_step",
            Self::RestartSchemaStep => "restart_schema_step",
            Self::ResetAttendees { .. } => "reset_attendees",
            Self::Broadcast { .. } => "broadcast",
            Self::Example { .. } => "example",
            Self::ListSubjects => "list_subjects",
            Self::GetSchema { .. } => "get_schema",
            Self::GetSchemaById { .. } => "get_schema_by_id",
            Self::Register { .. } => "register",
            Self::CheckCompatibility { .. } => "check_compatibility",
            Self::GetCompatibility { .. } => "get_compatibility",
            Self::SetCompatibility { .. } => "set_compatibility",
            Self::StartProduce(_) => "start_produce",
            Self::StopProduce { .. } => "stop_produce",
            Self::StartTail(_) => "start_tail",
            Self::PauseTail { .. } => "pause_tail",
            Self::StopTail { .. } => "stop_tail",
            Self::RunBatch(_) => "run_batch",
            Self::StartStream(_) => "start_stream",
            Self::StopStream { .. } => "stop_stream",
            Self::SendRecords(_) => "send_records",
            Self::SampleClick { .. } => "sample_click",
            Self::ListGroups => "list_groups",
            Self::DescribeGroup { .. } => "describe_group",
            Self::ResetGroup { .. } => "reset_group",
        }
    }
}

/// Most bytes a record sent from the page may hold (Kafka's default largest message is 1 MiB).
pub const MAX_SENT_VALUE: usize = 1 << 20;
/// Most copies of a record one request may send.
pub const MAX_COPIES: u32 = 10_000;

/// Records encoded by the page, to be sent as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendSpec {
    /// The topic (created with 3 partitions when missing).
    pub topic: Topic,
    /// The key, as text.
    pub key: Option<String>,
    /// Headers, name and text value, in order.
    pub headers: Vec<(String, String)>,
    /// The value's bytes: normally a Confluent frame, on purpose broken for a poison pill.
    pub value: Vec<u8>,
    /// How many times to send it.
    pub copies: u32,
}

/// When a streaming query runs a micro-batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamTrigger {
    /// Every so many milliseconds.
    ProcessingTime(u64),
    /// Drain what the topic holds now, then stop.
    AvailableNow,
}

/// What a streaming query from the page computes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamSpec {
    /// The topic.
    pub topic: Topic,
    /// Tumbling window size, seconds.
    pub window_secs: u32,
    /// How late an event may be before it is dropped, seconds.
    pub watermark_secs: u32,
    /// When micro-batches run.
    pub trigger: StreamTrigger,
}

/// Clicks and cost of one creative in one event-time window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowCount {
    /// Window start, ms since the epoch.
    pub start_ms: i64,
    /// Window end (exclusive).
    pub end_ms: i64,
    /// The creative.
    pub creative_id: String,
    /// Clicks so far.
    pub clicks: u64,
    /// Their cost, in cents.
    pub cost_cents: u64,
}

/// A streaming query's last micro-batch, as Spark reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamProgress {
    /// The query's job.
    pub job: JobId,
    /// The micro-batch number.
    pub batch_id: i64,
    /// Rows in the micro-batch.
    pub input_rows: u64,
    /// Rows per second arriving.
    pub input_rows_per_sec: f64,
    /// Rows per second processed.
    pub processed_rows_per_sec: f64,
    /// How long the micro-batch took, in milliseconds.
    pub batch_duration_ms: u64,
    /// The event-time watermark, as Spark prints it.
    pub watermark: Option<String>,
    /// Rows dropped so far as later than the watermark.
    pub dropped_late: u64,
    /// Poison pills skipped so far.
    pub poison: u64,
}
/// What a batch job from the page reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchSpec {
    /// The topic.
    pub topic: Topic,
    /// Start: an offset, or a time (RFC 3339 or ms since the epoch); the oldest record when `None`.
    pub from: Option<String>,
    /// End (exclusive), in the same forms; the newest record when `None`.
    pub to: Option<String>,
    /// Rows of the top-N tables.
    pub top: u32,
}

/// What a produce run from the page is asked to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProduceSpec {
    /// Where the records go (created with `partitions` when missing).
    pub topic: Topic,
    /// The writer schema's JSON text, registered under the topic's value subject.
    pub schema: String,
    /// Records to produce; until stopped when `None`.
    pub count: Option<u64>,
    /// Records per second; unthrottled when `None`.
    pub rate: Option<f64>,
    /// The generator's seed.
    pub seed: u64,
    /// Fraction of events that are poison pills, shared equally by the three kinds.
    pub poison: f64,
    /// Fraction of events that re-deliver an earlier click.
    pub duplicates: f64,
    /// Fraction of clicks whose event time is five minutes late.
    pub late: f64,
    /// Partitions of a topic created now.
    pub partitions: i32,
}

/// Where a tail starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TailFrom {
    /// The oldest record of each partition.
    Beginning,
    /// Only records written from now on.
    End,
}

/// What a tail reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TailSpec {
    /// The topic.
    pub topic: Topic,
    /// Where to start.
    pub from: TailFrom,
}

/// Schema files the bridge serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Example {
    /// `schemas/click_v1.avsc`.
    ClickV1,
    /// `schemas/click_v2.avsc`, a BACKWARD-compatible evolution.
    ClickV2,
    /// A candidate BACKWARD-incompatible with version 1.
    ClickIncompatible,
    /// The seed's original text, trailing comma and all.
    ClickSeed,
}

/// A version of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionRef {
    /// The newest.
    Latest,
    /// A numbered version.
    Number(u32),
}

/// Registry compatibility levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompatLevel {
    /// Anything goes.
    None,
    /// The new schema reads data written with the previous one.
    Backward,
    /// … with every earlier one.
    BackwardTransitive,
    /// The previous schema reads data written with the new one.
    Forward,
    /// … every earlier one does.
    ForwardTransitive,
    /// Both backward and forward.
    Full,
    /// … against every earlier version.
    FullTransitive,
}

impl CompatLevel {
    /// Every level, in the order a menu shows them.
    pub const ALL: [CompatLevel; 7] = [
        Self::None,
        Self::Backward,
        Self::BackwardTransitive,
        Self::Forward,
        Self::ForwardTransitive,
        Self::Full,
        Self::FullTransitive,
    ];

    /// The level as the registry API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Backward => "BACKWARD",
            Self::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Self::Forward => "FORWARD",
            Self::ForwardTransitive => "FORWARD_TRANSITIVE",
            Self::Full => "FULL",
            Self::FullTransitive => "FULL_TRANSITIVE",
        }
    }

    /// Reads the registry's spelling.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == text)
    }
}

/// A frame from the bridge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerMessage {
    /// The answer to request `id`.
    Reply {
        /// The request answered.
        id: RequestId,
        /// The answer.
        response: Response,
    },
    /// Request `id` failed.
    Failed {
        /// The request that failed.
        id: RequestId,
        /// Why, for people and for code.
        error: ErrorInfo,
    },
    /// Unasked news.
    Push(Push),
}

/// Answers, one variant per kind of request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    /// Answer to requests that only need doing (stop, pause).
    Done,
    /// Answer to `StartProduce`: every check passed and records are flowing.
    ProduceStarted {
        /// The run, named in its progress pushes.
        job: JobId,
        /// The writer schema as registered.
        schema: RegisteredSchema,
        /// Whether the topic was created for this run.
        topic_created: bool,
        /// Event time of the run's first click, ms since the epoch: where the topic's event
        /// time stood, so that every run moves it on.
        #[serde(default)]
        event_start_ms: i64,
    },
    /// Answer to `RunBatch`: the job is under way.
    BatchStarted {
        /// The job, named in its pushes.
        job: JobId,
    },
    /// Answer to `StartStream`: the query is running.
    StreamStarted {
        /// The query's job, named in its pushes.
        job: JobId,
        /// Where its checkpoints live, as the location the Spark server was given
        /// (`file:///…/stream/TOPIC`); a later start resumes from there.
        checkpoint: String,
    },
    /// Answer to `StartTail`.
    TailStarted {
        /// The tail, named in its record frames and pushes.
        tail: JobId,
        /// The topic's partitions.
        partitions: Vec<i32>,
    },
    /// Answer to `Hello`.
    Welcome {
        /// The bridge's [`PROTOCOL_VERSION`].
        protocol: u32,
        /// The bridge's version.
        bridge_version: String,
        /// Whether the bridge runs in workshop mode, where the tab must `Join` first.
        workshop: bool,
        /// The names of the cluster profiles the bridge offers, its default first.
        clusters: Vec<String>,
        /// The cluster this session works against (one of `clusters`).
        cluster: String,
        /// Whether a page may pick another cluster (`Hello`'s `cluster`): not in workshop mode,
        /// where the instructor's holds for the room, nor when only one is offered.
        can_switch: bool,
    },
    /// Answer to `Join`.
    Joined {
        /// The name taken.
        name: AttendeeName,
        /// What the attendee's topics and subjects start with (`<name>.`).
        prefix: String,
        /// What the attendee may use at once.
        limits: Limits,
        /// Their progress so far (kept by the bridge when a tab comes back under the name).
        progress: Progress,
    },
    /// Answer to `Instruct`: the attendees so far.
    Instructing {
        /// Every attendee who joined, by name.
        roster: Vec<AttendeeView>,
    },
    /// Answer to `CheckStep`.
    StepChecked(StepCheck),
    /// Answer to `ResetAttendees`: what was removed, per attendee.
    Reset(Vec<ResetReport>),
    /// Answer to `StackStatus`.
    Stack(StackView),
    /// Answer to `Example`.
    Example {
        /// Which one.
        example: Example,
        /// Its file name.
        file: String,
        /// Its text.
        text: String,
    },
    /// Answer to `ListSubjects`.
    Subjects(Vec<SubjectInfo>),
    /// Answer to `GetSchema` and `Register`.
    Schema(RegisteredSchema),
    /// Answer to `GetSchemaById`.
    SchemaText {
        /// The id asked for.
        id: SchemaId,
        /// The schema.
        schema: String,
        /// The subject versions registered with this schema (may be empty).
        versions: Vec<SubjectVersion>,
    },
    /// Answer to `CheckCompatibility`.
    Compatibility(CompatibilityReport),
    /// Answer to `GetCompatibility` and `SetCompatibility`.
    Level {
        /// The subject, or `None` for the global level.
        subject: Option<Subject>,
        /// The level in force.
        level: String,
    },
    /// Answer to `SendRecords`.
    RecordsSent {
        /// Records acknowledged.
        count: u64,
        /// Where the first ones landed: (partition, offset), in sending order.
        places: Vec<(i32, i64)>,
        /// Whether the topic was created for them.
        topic_created: bool,
    },
    /// Answer to `SampleClick`.
    Click(Click),
    /// Answer to `ListGroups`.
    Groups(Vec<GroupSummary>),
    /// Answer to `DescribeGroup`.
    Group(GroupDescription),
    /// Answer to `ResetGroup`.
    GroupReset(ResetPlan),
}

/// A subject and its versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectInfo {
    /// The subject.
    pub subject: Subject,
    /// Its version numbers, ascending.
    pub versions: Vec<u32>,
}

/// A version of a subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectVersion {
    /// The subject.
    pub subject: Subject,
    /// The version.
    pub version: u32,
}

/// A schema as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredSchema {
    /// The subject.
    pub subject: Subject,
    /// Version under the subject.
    pub version: u32,
    /// Global id.
    pub id: SchemaId,
    /// The schema text.
    pub schema: String,
}

/// The outcome of a compatibility check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompatibilityReport {
    /// The subject checked against.
    pub subject: Subject,
    /// Whether the candidate may be registered.
    pub compatible: bool,
    /// The version compared with; `None` when the subject has none yet.
    pub against_version: Option<u32>,
    /// The level applied.
    pub level: String,
    /// Why not, when incompatible.
    pub reasons: Vec<String>,
}

/// Where each service of the stack stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackView {
    /// Kafka.
    pub kafka: ServiceView,
    /// The schema registry.
    pub registry: ServiceView,
    /// Spark Connect.
    pub spark: ServiceView,
}

/// One service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    /// How clients reach it.
    pub address: String,
    /// Whether it answered.
    pub up: bool,
    /// Why not, when it did not.
    pub problem: Option<String>,
}

/// News the bridge sends unasked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Push {
    /// The stack's state changed (sent on connect and on every change).
    Stack(StackView),
    /// A produce run's progress, about once a second, and its end.
    Produce(ProduceUpdate),
    /// A tail's position and the topic's end, per partition, about once a second.
    TailLag(TailLag),
    /// A batch job started a stage.
    BatchStage {
        /// The job.
        job: JobId,
        /// What it is doing, in words.
        stage: String,
        /// Milliseconds since the job started.
        elapsed_ms: u64,
    },
    /// A batch job ended.
    BatchDone {
        /// The job.
        job: JobId,
        /// Its result, or why there is none.
        outcome: BatchOutcome,
    },
    /// A streaming query finished a micro-batch.
    StreamProgress(StreamProgress),
    /// Windows a streaming query updated: each replaces the earlier count of its window and
    /// creative.
    StreamWindows {
        /// The query's job.
        job: JobId,
        /// The updated windows.
        windows: Vec<WindowCount>,
    },
    /// Something a person watching the query should know (it restarted, a new schema id).
    StreamNotice {
        /// The query's job.
        job: JobId,
        /// What happened.
        message: String,
    },
    /// A streaming query ended: stopped, drained, or failed.
    StreamEnded {
        /// The query's job.
        job: JobId,
        /// Why it failed, when it did.
        error: Option<ErrorInfo>,
    },
    /// Workshop mode, to an attendee: their progress changed.
    Progress(Progress),
    /// Workshop mode, to instructors: an attendee joined, left, progressed or was reset.
    Roster(Vec<AttendeeView>),
    /// Workshop mode: a message from the instructor.
    Broadcast {
        /// The message.
        message: String,
    },
    /// Workshop mode, to an attendee: the instructor reset their work.
    WasReset(ResetReport),
    /// A tail stopped by itself (the topic went away, Kafka failed).
    TailEnded {
        /// The tail.
        tail: JobId,
        /// Why.
        error: ErrorInfo,
    },
}

/// How a batch job ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchOutcome {
    /// It ran to the end.
    Finished(Box<BatchReport>),
    /// It failed.
    Failed(ErrorInfo),
}

/// Where a produce run stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProduceUpdate {
    /// The run.
    pub job: JobId,
    /// Milliseconds since the first record.
    pub elapsed_ms: u64,
    /// Records handed to the producer.
    pub sent: u64,
    /// Records the brokers acknowledged.
    pub acknowledged: u64,
    /// Records that failed for good.
    pub failed: u64,
    /// Records sent per second lately.
    pub rate: f64,
    /// Median delivery latency lately, in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile delivery latency lately, in milliseconds.
    pub p99_ms: f64,
    /// Set on the last update of the run.
    pub finished: Option<ProduceFinished>,
}

/// How a produce run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProduceFinished {
    /// Why it stopped, in plain words.
    pub stopped: String,
    /// Records sent but not acknowledged.
    pub not_delivered: u64,
    /// The first delivery error, if any.
    pub first_error: Option<String>,
    /// Valid records among those sent (the manifest's count).
    pub records: u64,
    /// Poison pills among those sent.
    pub poison: u64,
    /// Duplicates among those sent.
    pub duplicates: u64,
}

/// A tail's position in each partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TailLag {
    /// The tail.
    pub tail: JobId,
    /// One entry per partition, by partition number.
    pub partitions: Vec<PartitionLag>,
}

/// A tail's position in one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionLag {
    /// The partition.
    pub partition: i32,
    /// The offset the tail reads next (`None` before it has a position).
    pub next_offset: Option<i64>,
    /// The partition's end: the offset the next record written will get.
    pub high_watermark: Option<i64>,
}

impl PartitionLag {
    /// Records written but not read yet, when both ends are known.
    pub fn lag(&self) -> Option<i64> {
        Some((self.high_watermark? - self.next_offset?).max(0))
    }
}

/// A failure: a stable code for the page's logic and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    /// What kind of failure.
    pub code: ErrorCode,
    /// What happened, in plain words.
    pub message: String,
}

/// Kinds of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame could not be understood.
    BadRequest,
    /// The page speaks another protocol version; reload it.
    ProtocolMismatch,
    /// The schema text is not valid Avro.
    InvalidSchema,
    /// The registry refused: incompatible schema.
    Incompatible,
    /// The subject, version or id does not exist.
    NotFound,
    /// The registry did not answer.
    RegistryUnreachable,
    /// The registry answered with another error.
    RegistryError,
    /// Kafka did not answer or refused.
    KafkaError,
    /// Spark Connect did not answer or failed the job.
    SparkError,
    /// The job named is not running (it ended, or belongs to another tab).
    NoSuchJob,
    /// The page is not connected to the bridge.
    NotConnected,
    /// Workshop mode: the request reaches outside the attendee's namespace, or comes before
    /// `Join`.
    Forbidden,
    /// Workshop mode: another connected tab already uses that name.
    NameTaken,
    /// `Hello` named a cluster the bridge does not offer.
    UnknownCluster,
    /// Workshop mode: a per-attendee limit is reached (e.g. Spark jobs running at once).
    LimitReached,
    /// Something inside the bridge failed.
    Internal,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn topic() -> Topic {
        Topic::new("clicks-avro").unwrap_or_else(|e| panic!("{e}"))
    }

    fn subject() -> Subject {
        topic().value_subject()
    }

    fn round_trip<T>(value: &T) -> T
    where
        T: Serialize + for<'de> Deserialize<'de>,
    {
        let text = serde_json::to_string(value).unwrap_or_else(|e| panic!("serialize: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("deserialize {text}: {e}"))
    }

    fn every_request() -> Vec<Request> {
        vec![
            Request::Hello {
                protocol: PROTOCOL_VERSION,
                cluster: None,
            },
            Request::Hello {
                protocol: PROTOCOL_VERSION,
                cluster: Some("staging".into()),
            },
            Request::StackStatus,
            Request::Join { name: "ada".into() },
            Request::Instruct { key: "k".into() },
            Request::CheckStep {
                step: Step::Batch,
                answer: Some("creative-3".into()),
            },
            Request::ResetAttendees {
                attendee: Some(AttendeeName::new("ada").unwrap_or_else(|e| panic!("{e}"))),
            },
            Request::ResetAttendees { attendee: None },
            Request::Broadcast {
                message: "break".into(),
            },
            Request::Example {
                example: Example::ClickSeed,
            },
            Request::ListSubjects,
            Request::GetSchema {
                subject: subject(),
                version: VersionRef::Latest,
            },
            Request::GetSchema {
                subject: subject(),
                version: VersionRef::Number(2),
            },
            Request::GetSchemaById { id: SchemaId(7) },
            Request::Register {
                topic: topic(),
                schema: "{}".into(),
            },
            Request::CheckCompatibility {
                topic: topic(),
                schema: "{}".into(),
            },
            Request::GetCompatibility { subject: None },
            Request::SetCompatibility {
                subject: Some(subject()),
                level: CompatLevel::FullTransitive,
            },
            Request::StartProduce(ProduceSpec {
                topic: topic(),
                schema: "{}".into(),
                count: Some(10_000),
                rate: None,
                seed: 7,
                poison: 0.01,
                duplicates: 0.0,
                late: 0.5,
                partitions: 3,
            }),
            Request::StopProduce { job: JobId(1) },
            Request::StartTail(TailSpec {
                topic: topic(),
                from: TailFrom::Beginning,
            }),
            Request::PauseTail {
                tail: JobId(2),
                paused: true,
            },
            Request::StopTail { tail: JobId(2) },
            Request::StartStream(StreamSpec {
                topic: topic(),
                window_secs: 60,
                watermark_secs: 30,
                trigger: StreamTrigger::ProcessingTime(1000),
            }),
            Request::StopStream { job: JobId(8) },
            Request::RunBatch(BatchSpec {
                topic: topic(),
                from: Some("2024-01-01T00:00:00Z".into()),
                to: None,
                top: 10,
            }),
        ]
    }

    fn every_server_message() -> Vec<ServerMessage> {
        let service = ServiceView {
            address: "127.0.0.1:1".into(),
            up: true,
            problem: None,
        };
        let stack = StackView {
            kafka: service.clone(),
            registry: ServiceView {
                up: false,
                problem: Some("refused".into()),
                ..service.clone()
            },
            spark: service,
        };
        let registered = RegisteredSchema {
            subject: subject(),
            version: 1,
            id: SchemaId(3),
            schema: "{}".into(),
        };
        let responses = vec![
            Response::Welcome {
                protocol: 1,
                bridge_version: "0.1.0".into(),
                workshop: true,
                clusters: vec!["local".into(), "staging".into()],
                cluster: "local".into(),
                can_switch: false,
            },
            Response::Stack(stack.clone()),
            Response::Joined {
                name: AttendeeName::new("ada").unwrap_or_else(|e| panic!("{e}")),
                prefix: "ada.".into(),
                limits: Limits {
                    produce_rate: 1000.0,
                    tail_rate: 5000,
                    spark_jobs: 1,
                },
                progress: Progress::default(),
            },
            Response::Instructing {
                roster: vec![AttendeeView {
                    name: AttendeeName::new("ada").unwrap_or_else(|e| panic!("{e}")),
                    connected: true,
                    progress: Progress::default(),
                }],
            },
            Response::StepChecked(StepCheck {
                step: Step::Consume,
                done: false,
                state: crate::workshop::StepState::Failed,
                started_at_ms: 1,
                passed_at_ms: 0,
                summary: "0:3 decodes fine".into(),
                missing: vec!["a poison pill's position".into()],
                checked_at_ms: 1,
            }),
            Response::Reset(vec![ResetReport {
                name: AttendeeName::new("ada").unwrap_or_else(|e| panic!("{e}")),
                topics: vec!["ada.clicks-avro".into()],
                subjects: vec!["ada.clicks-avro-value".into()],
                folders: vec![],
                jobs_stopped: 2,
            }]),
            Response::Example {
                example: Example::ClickV1,
                file: "click_v1.avsc".into(),
                text: "{}".into(),
            },
            Response::Subjects(vec![SubjectInfo {
                subject: subject(),
                versions: vec![1, 2],
            }]),
            Response::Schema(registered.clone()),
            Response::ProduceStarted {
                job: JobId(1),
                schema: registered,
                topic_created: true,
                event_start_ms: 1_704_067_200_000,
            },
            Response::SchemaText {
                id: SchemaId(3),
                schema: "{}".into(),
                versions: vec![SubjectVersion {
                    subject: subject(),
                    version: 2,
                }],
            },
            Response::Done,
            Response::BatchStarted { job: JobId(5) },
            Response::StreamStarted {
                job: JobId(8),
                checkpoint: "file:///data/stream/clicks-avro".into(),
            },
            Response::TailStarted {
                tail: JobId(4),
                partitions: vec![0, 1, 2],
            },
            Response::Compatibility(CompatibilityReport {
                subject: subject(),
                compatible: false,
                against_version: Some(1),
                level: "BACKWARD".into(),
                reasons: vec!["campaign_id has no default".into()],
            }),
            Response::Level {
                subject: None,
                level: "BACKWARD".into(),
            },
        ];
        let mut all: Vec<ServerMessage> = responses
            .into_iter()
            .map(|response| ServerMessage::Reply {
                id: RequestId(9),
                response,
            })
            .collect();
        all.push(ServerMessage::Failed {
            id: RequestId(10),
            error: ErrorInfo {
                code: ErrorCode::RegistryUnreachable,
                message: "no answer".into(),
            },
        });
        all.push(ServerMessage::Push(Push::Stack(stack)));
        all.push(ServerMessage::Push(Push::Produce(ProduceUpdate {
            job: JobId(1),
            elapsed_ms: 1500,
            sent: 10,
            acknowledged: 9,
            failed: 1,
            rate: 6.5,
            p50_ms: 1.25,
            p99_ms: 9.5,
            finished: Some(ProduceFinished {
                stopped: "count reached".into(),
                not_delivered: 1,
                first_error: Some("timed out".into()),
                records: 8,
                poison: 1,
                duplicates: 1,
            }),
        })));
        all.push(ServerMessage::Push(Push::TailLag(TailLag {
            tail: JobId(4),
            partitions: vec![PartitionLag {
                partition: 0,
                next_offset: Some(5),
                high_watermark: None,
            }],
        })));
        all.push(ServerMessage::Push(Push::BatchStage {
            job: JobId(5),
            stage: "reading offsets…".into(),
            elapsed_ms: 20,
        }));
        let mut report = crate::batch::BatchReport::empty(
            "clicks-avro".into(),
            vec![crate::batch::PartitionRange {
                partition: 0,
                start: 0,
                end: 9,
            }],
        );
        report.per_minute.push(crate::batch::Minute {
            minute_ms: 60_000,
            clicks: 3,
            cost_cents: 120,
        });
        all.push(ServerMessage::Push(Push::BatchDone {
            job: JobId(5),
            outcome: BatchOutcome::Finished(Box::new(report)),
        }));
        all.push(ServerMessage::Push(Push::BatchDone {
            job: JobId(6),
            outcome: BatchOutcome::Failed(ErrorInfo {
                code: ErrorCode::SparkError,
                message: "down".into(),
            }),
        }));
        all.push(ServerMessage::Push(Push::StreamProgress(StreamProgress {
            job: JobId(8),
            batch_id: 3,
            input_rows: 1200,
            input_rows_per_sec: 1000.5,
            processed_rows_per_sec: 2400.0,
            batch_duration_ms: 480,
            watermark: Some("2024-01-01T00:01:30.000Z".into()),
            dropped_late: 2,
            poison: 1,
        })));
        all.push(ServerMessage::Push(Push::StreamWindows {
            job: JobId(8),
            windows: vec![WindowCount {
                start_ms: 60_000,
                end_ms: 120_000,
                creative_id: "cr-1".into(),
                clicks: 4,
                cost_cents: 99,
            }],
        }));
        all.push(ServerMessage::Push(Push::StreamNotice {
            job: JobId(8),
            message: "restarted".into(),
        }));
        all.push(ServerMessage::Push(Push::StreamEnded {
            job: JobId(8),
            error: None,
        }));
        all.push(ServerMessage::Push(Push::Progress(Progress::default())));
        all.push(ServerMessage::Push(Push::Roster(vec![])));
        all.push(ServerMessage::Push(Push::Broadcast {
            message: "ten minutes left".into(),
        }));
        all.push(ServerMessage::Push(Push::WasReset(ResetReport {
            name: AttendeeName::new("bob").unwrap_or_else(|e| panic!("{e}")),
            topics: vec![],
            subjects: vec![],
            folders: vec!["stream/bob.clicks-avro".into()],
            jobs_stopped: 0,
        })));
        all.push(ServerMessage::Push(Push::TailEnded {
            tail: JobId(4),
            error: ErrorInfo {
                code: ErrorCode::KafkaError,
                message: "gone".into(),
            },
        }));
        all
    }

    #[test]
    fn lag_needs_both_ends_and_is_never_negative() {
        let lag = |next_offset, high_watermark| {
            PartitionLag {
                partition: 0,
                next_offset,
                high_watermark,
            }
            .lag()
        };
        assert_eq!(lag(Some(3), Some(10)), Some(7));
        assert_eq!(lag(Some(12), Some(10)), Some(0));
        assert_eq!(lag(None, Some(10)), None);
        assert_eq!(lag(Some(3), None), None);
    }

    #[test]
    fn every_client_message_round_trips() {
        for (i, request) in every_request().into_iter().enumerate() {
            let message = ClientMessage {
                id: RequestId(i as u64),
                request,
            };
            assert_eq!(round_trip(&message), message);
        }
    }

    #[test]
    fn a_request_kind_is_its_tag_on_the_wire() {
        for request in every_request() {
            let wire = serde_json::to_value(&request).unwrap_or_else(|e| panic!("{e}"));
            let tag = match &wire {
                serde_json::Value::String(unit) => Some(unit.as_str()),
                serde_json::Value::Object(one) if one.len() == 1 => {
                    one.keys().next().map(String::as_str)
                }
                _ => None,
            };
            assert_eq!(tag, Some(request.kind()), "{request:?}");
        }
    }

    #[test]
    fn every_server_message_round_trips() {
        for message in every_server_message() {
            assert_eq!(round_trip(&message), message);
        }
    }

    #[test]
    fn floats_read_back_exactly_even_with_long_mantissas() {
        // Integers past 2^53 in an f64 field: written back in shortest form, they used to parse
        // one unit in the last place away.
        for text in [
            r#"{"id":1,"request":{"start_produce":{"topic":"t","schema":"{}","count":null,"rate":null,"seed":7,"poison":0.0,"duplicates":0.0,"late":18395032993953903000,"partitions":1}}}"#,
            r#"{"id":1,"request":{"start_produce":{"topic":"t","schema":"{}","count":null,"rate":9571941712364319000,"seed":7,"poison":0.0,"duplicates":0.0,"late":0.1,"partitions":1}}}"#,
        ] {
            let message: ClientMessage =
                serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(round_trip(&message), message);
        }
    }

    #[test]
    fn every_level_reads_back_from_its_spelling() {
        for level in CompatLevel::ALL {
            assert_eq!(CompatLevel::parse(level.as_str()), Some(level));
            assert_eq!(
                serde_json::to_value(level).ok(),
                Some(json!(level.as_str()))
            );
        }
    }

    // The JSON shapes below are the contract with the browser; they change only with
    // PROTOCOL_VERSION.
    #[test]
    fn request_shape_is_pinned() {
        let message = ClientMessage {
            id: RequestId(4),
            request: Request::Register {
                topic: topic(),
                schema: "{}".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&message).ok(),
            Some(
                json!({"id": 4, "request": {"register": {"topic": "clicks-avro", "schema": "{}"}}})
            )
        );
        let unit = ClientMessage {
            id: RequestId(5),
            request: Request::StackStatus,
        };
        assert_eq!(
            serde_json::to_value(&unit).ok(),
            Some(json!({"id": 5, "request": "stack_status"}))
        );
    }

    #[test]
    fn reply_and_failure_shapes_are_pinned() {
        let reply = ServerMessage::Reply {
            id: RequestId(4),
            response: Response::Level {
                subject: Some(subject()),
                level: "FULL".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&reply).ok(),
            Some(
                json!({"reply": {"id": 4, "response": {"level": {"subject": "clicks-avro-value", "level": "FULL"}}}})
            )
        );
        let failed = ServerMessage::Failed {
            id: RequestId(4),
            error: ErrorInfo {
                code: ErrorCode::InvalidSchema,
                message: "bad".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&failed).ok(),
            Some(
                json!({"failed": {"id": 4, "error": {"code": "invalid_schema", "message": "bad"}}})
            )
        );
    }

    #[test]
    fn join_shapes_are_pinned() {
        let join = ClientMessage {
            id: RequestId(1),
            request: Request::Join { name: "ada".into() },
        };
        assert_eq!(
            serde_json::to_value(&join).ok(),
            Some(json!({"id": 1, "request": {"join": {"name": "ada"}}}))
        );
        let joined = ServerMessage::Reply {
            id: RequestId(1),
            response: Response::Joined {
                name: AttendeeName::new("ada").unwrap_or_else(|e| panic!("{e}")),
                prefix: "ada.".into(),
                limits: Limits {
                    produce_rate: 500.0,
                    tail_rate: 2000,
                    spark_jobs: 1,
                },
                progress: Progress {
                    steps: vec![StepCheck::unchecked(Step::Schema)],
                },
            },
        };
        assert_eq!(
            serde_json::to_value(&joined).ok(),
            Some(json!({"reply": {"id": 1, "response": {"joined": {
                "name": "ada", "prefix": "ada.",
                "limits": {"produce_rate": 500.0, "tail_rate": 2000, "spark_jobs": 1},
                "progress": {"steps": [{"step": "schema", "done": false, "state": "not_started", "started_at_ms": 0, "passed_at_ms": 0, "summary": "not checked yet", "missing": [], "checked_at_ms": 0}]}
            }}}}))
        );
        let check = ClientMessage {
            id: RequestId(2),
            request: Request::CheckStep {
                step: Step::Consume,
                answer: Some("0:17".into()),
            },
        };
        assert_eq!(
            serde_json::to_value(&check).ok(),
            Some(
                json!({"id": 2, "request": {"check_step": {"step": "consume", "answer": "0:17"}}})
            )
        );
        assert_eq!(
            serde_json::to_value(ErrorCode::Forbidden).ok(),
            Some(json!("forbidden"))
        );
        assert_eq!(
            serde_json::to_value(ErrorCode::NameTaken).ok(),
            Some(json!("name_taken"))
        );
    }

    #[test]
    fn hello_and_welcome_shapes_are_pinned() {
        let hello = ClientMessage {
            id: RequestId(1),
            request: Request::Hello {
                protocol: 8,
                cluster: Some("staging".into()),
            },
        };
        assert_eq!(
            serde_json::to_value(&hello).ok(),
            Some(json!({"id": 1, "request": {"hello": {"protocol": 8, "cluster": "staging"}}}))
        );
        // An older page's greeting names no cluster: it still parses, so the bridge can answer
        // it with the protocol mismatch the page reads.
        let older = r#"{"id":1,"request":{"hello":{"protocol":7}}}"#;
        assert_eq!(
            serde_json::from_str::<ClientMessage>(older).ok(),
            Some(ClientMessage {
                id: RequestId(1),
                request: Request::Hello {
                    protocol: 7,
                    cluster: None
                },
            })
        );
        let welcome = ServerMessage::Reply {
            id: RequestId(1),
            response: Response::Welcome {
                protocol: 8,
                bridge_version: "0.1.0".into(),
                workshop: false,
                clusters: vec!["a".into(), "b".into()],
                cluster: "b".into(),
                can_switch: true,
            },
        };
        assert_eq!(
            serde_json::to_value(&welcome).ok(),
            Some(json!({"reply": {"id": 1, "response": {"welcome": {
                "protocol": 8, "bridge_version": "0.1.0", "workshop": false,
                "clusters": ["a", "b"], "cluster": "b", "can_switch": true
            }}}}))
        );
        assert_eq!(
            serde_json::to_value(ErrorCode::UnknownCluster).ok(),
            Some(json!("unknown_cluster"))
        );
    }

    #[test]
    fn an_invalid_attendee_name_in_a_reply_is_refused() {
        let text = r#"{"reply":{"id":1,"response":{"joined":{"name":"A.b","prefix":"A.b."}}}}"#;
        assert!(serde_json::from_str::<ServerMessage>(text).is_err());
    }

    #[test]
    fn an_invalid_topic_in_a_request_is_refused() {
        let text = r#"{"id":1,"request":{"register":{"topic":"a b","schema":"{}"}}}"#;
        assert!(serde_json::from_str::<ClientMessage>(text).is_err());
    }
}
