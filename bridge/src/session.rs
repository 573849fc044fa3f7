//! One browser tab's WebSocket session, written over a text sink and stream so tests can drive it
//! with channels.
//!
//! Requests run concurrently (a slow registry call does not hold up the status bar); replies and
//! pushes leave through one writer. The session ends when the tab goes away, the peer stops
//! reading, or the server shuts down; its in-flight requests are then aborted.

use crate::jobs::Jobs;
use crate::outbox::{FrameSink, Outgoing, WsFrame};
use crate::room::{Control, Standing, TabEvent};
use crate::state::AppState;
use crate::{dispatch, guide, scope};
use futures_util::{SinkExt as _, Stream, StreamExt as _};
use shared::protocol::{
    ClientMessage, ErrorCode, ErrorInfo, JobId, Push, Request, RequestId, Response, ServerMessage,
    StackView, PROTOCOL_VERSION,
};
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

/// A WebSocket frame from the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A JSON [`ClientMessage`].
    Text(String),
    /// A binary frame: the protocol has none from the page, so it is refused.
    Binary,
}

/// Incoming frames.
pub type FrameStream = Pin<Box<dyn Stream<Item = Incoming> + Send>>;

/// Requests one tab may have in flight; more are refused rather than queued without bound.
const MAX_IN_FLIGHT: usize = 32;
/// Frames waiting for the writer; a tab that reads slowly slows its tails down.
const OUTBOX: usize = 64;
/// How long one frame may wait for the page to take it. A page that stops reading fills the
/// socket's buffers; past this its session ends (its jobs stop) rather than holding them forever.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the close frame may wait for the page.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs a session until the peer leaves or `shutdown` is cancelled.
pub async fn run(
    mut sink: FrameSink,
    mut stream: FrameStream,
    mut state: AppState,
    shutdown: CancellationToken,
) {
    let (replies, mut outbox) = mpsc::channel::<Outgoing>(OUTBOX);
    // Replies that may overtake what the tab's jobs queued (see `overtakes`): a status or a
    // subject list does not wait behind a busy tail's frames.
    let (answers, mut answered) = mpsc::channel::<Outgoing>(OUTBOX);
    let mut jobs = Jobs::new(shutdown.child_token(), replies.clone(), state.inner.limits);
    let mut status = state.cluster.status.clone();
    // Each request's task yields the tail it stopped, if any (tails end without a push).
    let mut in_flight: JoinSet<Option<JobId>> = JoinSet::new();
    let attendees = state.inner.attendees.clone();
    // Holds the tab's workshop name (if any) until the session ends, and its seat.
    let mut standing = Standing::new(attendees.as_ref(), replies.clone());
    let first = stack_push(&mut status);
    if send(&mut sink, first).await.is_err() {
        return;
    }
    loop {
        // Polled in this order: the bulk of a busy tab's traffic (its jobs' frames, last) cannot
        // hold up replies, finished requests or the page's next frames.
        let mut outgoing = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            Some(answer) = answered.recv() => answer,
            Some(joined) = in_flight.join_next() => {
                if let Ok(Some(tail)) = joined {
                    standing.job_ended(tail);
                }
                continue;
            }
            frame = stream.next() => match frame {
                None => break,
                Some(frame) => match accept(frame, in_flight.len())
                    .and_then(|m| standing.gate(m, attendees.as_ref()).map_err(|r| Box::new(Outgoing::Message(*r))))
                    .and_then(|m| picked_cluster(&m, &state).map(|picked| (m, picked)))
                {
                    Ok((message, picked)) => {
                        // A `Hello` naming another cluster moves the session there before any
                        // other request of the page is read (the page sends none before it),
                        // and the page hears that cluster's services at once.
                        let moved = picked.map(|picked| {
                            state = picked;
                            status = state.cluster.status.clone();
                            stack_push(&mut status)
                        });
                        let lane = if overtakes(&message.request) { &answers } else { &replies };
                        let (state, replies, jobs) = (state.clone(), lane.clone(), jobs.clone());
                        let attendee = standing.attendee().cloned();
                        if let Some(who) = &attendee {
                            tracing::Span::current().record("attendee", who.as_str());
                        }
                        in_flight.spawn(async move {
                            let stopped_tail = match &message.request {
                                Request::StopTail { tail } => Some(*tail),
                                _ => None,
                            };
                            let reply = reply_to(message, attendee, &state, &jobs).await;
                            let done = matches!(&reply, ServerMessage::Reply { response: Response::Done, .. });
                            let _ = replies.send(Outgoing::Message(reply)).await;
                            stopped_tail.filter(|_| done)
                        }.in_current_span());
                        match moved {
                            Some(push) => push,
                            None => continue,
                        }
                    }
                    Err(refusal) => *refusal,
                },
            },
            Ok(()) = status.changed() => stack_push(&mut status),
            event = standing.next_event() => match event {
                TabEvent::Push(push) => Outgoing::Message(ServerMessage::Push(push)),
                TabEvent::Control(Control::StopJobs(answer)) => {
                    // The tab's jobs stop; new ones start under a fresh set.
                    let _ = answer.send(standing.jobs_stopped());
                    jobs.stop_all();
                    jobs = Jobs::new(shutdown.child_token(), replies.clone(), state.inner.limits);
                    continue;
                }
                TabEvent::Recheck(name) => {
                    let state = state.clone();
                    in_flight.spawn(async move {
                        guide::recheck(name, state).await;
                        None
                    }.in_current_span());
                    continue;
                }
            },
            Some(outgoing) = outbox.recv() => outgoing,
        };
        if let Outgoing::Message(message) = &mut outgoing {
            standing.hear(message, attendees.as_ref());
            if standing.attendee().is_some() {
                crate::room::for_attendee(message, &state.cluster.config.stack.data_dir);
            }
        }
        if send(&mut sink, outgoing).await.is_err() {
            break;
        }
    }
    jobs.stop_all();
    in_flight.abort_all();
    standing.leave(&jobs);
    // A page that stopped reading cannot take the close frame either: it gets a bounded try.
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, sink.close()).await;
}

/// The push of the services' status as `status` holds it now.
fn stack_push(status: &mut watch::Receiver<StackView>) -> Outgoing {
    Outgoing::Message(ServerMessage::Push(Push::Stack(
        status.borrow_and_update().clone(),
    )))
}

/// The state a `Hello` naming another cluster than the session's moves it to: `None` for any
/// other message (a `Hello` of another protocol is refused as such, by [`dispatch`]), the
/// refusal when the page may not work against that cluster.
fn picked_cluster(
    message: &ClientMessage,
    state: &AppState,
) -> Result<Option<AppState>, Box<Outgoing>> {
    let Request::Hello {
        protocol: PROTOCOL_VERSION,
        cluster: Some(name),
    } = &message.request
    else {
        return Ok(None);
    };
    match state.on_cluster(name) {
        Ok(picked) if std::sync::Arc::ptr_eq(&picked.cluster, &state.cluster) => Ok(None),
        Ok(picked) => Ok(Some(picked)),
        Err(error) => {
            tracing::info!(cluster = %name, message = %error.message, "refused a cluster");
            Err(Box::new(Outgoing::Message(ServerMessage::Failed {
                id: message.id,
                error,
            })))
        }
    }
}

/// Whether a request's reply may overtake the frames and pushes the tab's jobs have queued:
/// those of requests that read or write the registry, the status or the groups, which no job's
/// output refers to. The replies of requests that start, pause or stop a job, and of the room's
/// requests, keep their place among the jobs' frames and pushes.
fn overtakes(request: &Request) -> bool {
    matches!(
        request,
        Request::Hello { .. }
            | Request::StackStatus
            | Request::Example { .. }
            | Request::ListSubjects
            | Request::GetSchema { .. }
            | Request::GetSchemaById { .. }
            | Request::Register { .. }
            | Request::CheckCompatibility { .. }
            | Request::GetCompatibility { .. }
            | Request::SetCompatibility { .. }
            | Request::SampleClick { .. }
            | Request::ListGroups
            | Request::DescribeGroup { .. }
    )
}

/// Answers a request that passed the gate; an attendee's replies are cut down to their namespace.
async fn reply_to(
    message: ClientMessage,
    attendee: Option<shared::workshop::AttendeeName>,
    state: &AppState,
    jobs: &std::sync::Arc<Jobs>,
) -> ServerMessage {
    let reply = dispatch::answer(message, attendee.as_ref(), state, jobs).await;
    match attendee {
        Some(who) => scoped_reply(reply, &who),
        None => reply,
    }
}

/// A reply as an attendee may see it.
fn scoped_reply(reply: ServerMessage, who: &shared::workshop::AttendeeName) -> ServerMessage {
    match reply {
        ServerMessage::Reply { id, response } => ServerMessage::Reply {
            id,
            response: scope::scope_response(response, who),
        },
        other => other,
    }
}

/// Parses a frame, or builds the refusal to send back.
fn accept(frame: Incoming, in_flight: usize) -> Result<ClientMessage, Box<Outgoing>> {
    let refuse = |message: ServerMessage| Box::new(Outgoing::Message(message));
    let text = match frame {
        Incoming::Text(text) => text,
        Incoming::Binary => {
            return Err(refuse(failed(
                RequestId(0),
                ErrorCode::BadRequest,
                "the bridge takes requests as JSON in text frames; a binary frame was refused"
                    .into(),
            )))
        }
    };
    let text = text.as_str();
    match serde_json::from_str::<ClientMessage>(text) {
        Ok(message) if in_flight >= MAX_IN_FLIGHT => Err(refuse(failed(
            message.id,
            ErrorCode::BadRequest,
            format!("too many requests at once (limit {MAX_IN_FLIGHT}); wait for answers first"),
        ))),
        Ok(message) => Ok(message),
        Err(e) => Err(match older_greeting(text) {
            Some(refusal) => Box::new(Outgoing::Text(refusal)),
            None => refuse(failed(
                request_id_of(text),
                ErrorCode::BadRequest,
                format!("the bridge could not understand a message: {e}"),
            )),
        }),
    }
}

/// The refusal of a greeting from a page of protocol 6 or older (adjacently tagged messages,
/// `{"type": "hello", "data": {"protocol": 6}}`, a page cached from an older bridge), in the
/// shape that page reads, so it tells its user to reload rather than failing to understand.
fn older_greeting(text: &str) -> Option<String> {
    let frame: serde_json::Value = serde_json::from_str(text).ok()?;
    let id = frame.get("id")?.as_u64()?;
    let request = frame.get("request")?;
    if request.get("type")?.as_str()? != "hello" {
        return None;
    }
    let protocol = request.get("data")?.get("protocol")?.as_u64()?;
    let reply = serde_json::json!({
        "type": "failed",
        "data": {"id": id, "error": {
            "code": "protocol_mismatch",
            "message": format!("this page speaks protocol {protocol} but the bridge speaks {PROTOCOL_VERSION}: reload the page"),
        }},
    });
    Some(reply.to_string())
}

/// The id of a frame that did not parse as a whole, so the page can still match the refusal.
fn request_id_of(text: &str) -> RequestId {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("id").and_then(serde_json::Value::as_u64))
        .map_or(RequestId(0), RequestId)
}

fn failed(id: RequestId, code: ErrorCode, message: String) -> ServerMessage {
    ServerMessage::Failed {
        id,
        error: ErrorInfo { code, message },
    }
}

async fn send(sink: &mut FrameSink, outgoing: Outgoing) -> Result<(), ()> {
    let frame = match outgoing {
        Outgoing::Message(message) => WsFrame::Text(
            serde_json::to_string(&message)
                .map_err(|e| tracing::error!(error = %e, "unserialisable reply"))?,
        ),
        Outgoing::Binary(bytes) => WsFrame::Binary(bytes),
        Outgoing::Text(text) => WsFrame::Text(text),
    };
    match tokio::time::timeout(WRITE_TIMEOUT, sink.send(frame)).await {
        Ok(sent) => sent.map_err(|e| tracing::debug!(error = %e, "peer gone")),
        Err(_) => {
            tracing::info!(waited = ?WRITE_TIMEOUT, "the page stopped reading; closing its session");
            Err(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::sink::unfold;
    use pipeline::settings::{default_port, default_version, Config, Locations, Ports, Versions};
    use shared::protocol::{ServiceView, StackView, PROTOCOL_VERSION};
    use std::time::Duration;
    use tokio::sync::watch;

    fn view(up: bool) -> StackView {
        let s = ServiceView {
            address: "a".into(),
            up,
            problem: None,
        };
        StackView {
            kafka: s.clone(),
            registry: s.clone(),
            spark: s,
        }
    }

    /// A session's channels: frames in, frames out, its shutdown and its task.
    type Wired = (
        mpsc::Sender<Incoming>,
        mpsc::Receiver<ServerMessage>,
        CancellationToken,
        tokio::task::JoinHandle<()>,
    );

    /// Settings whose registry does not answer.
    fn config() -> Config {
        Config::resolve(Locations {
            data_dir: "/tmp/.kafka-demo".into(),
            cache_dir: None,
            ports: Ports {
                kafka: default_port::KAFKA,
                kafka_controller: default_port::KAFKA_CONTROLLER,
                registry: default_port::REGISTRY,
                registry_management: default_port::REGISTRY_MANAGEMENT,
                spark: default_port::SPARK,
            },
            versions: Versions {
                kafka: default_version::KAFKA.into(),
                apicurio: default_version::APICURIO.into(),
                spark: default_version::SPARK.into(),
            },
            bootstrap_servers: None,
            kafka_options: Vec::new(),
            registry_url: Some("http://127.0.0.1:9/".into()),
            registry_user: None,
            registry_password: None,
            registry_token: None,
            spark_url: None,
            spark_token: None,
            cluster_base_port: default_port::CLUSTER_BASE,
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn serve_config(workshop: bool) -> crate::settings::ServeConfig {
        crate::settings::ServeConfig {
            host: [127, 0, 0, 1].into(),
            port: 0,
            token: None,
            allowed_hosts: Vec::new(),
            dist: "/nonexistent".into(),
            workshop,
            instructor_key: workshop.then(|| crate::secret::InstructorKey::Given("key".into())),
            limits: shared::workshop::Limits::default(),
            room_file: None,
            new_room: false,
        }
    }

    /// State for sessions of a bridge of one cluster, `local`, whose registry does not answer.
    fn state(status: watch::Receiver<StackView>, workshop: bool) -> AppState {
        let local = crate::state::ClusterState::new("local".into(), config(), status);
        AppState::new(
            local,
            Vec::new(),
            &serve_config(workshop),
            CancellationToken::new(),
        )
    }

    /// State for sessions of a bridge offering clusters `a` (the default) and `b`, each with
    /// its own services' status: every service of `a` at `a:1`, of `b` at `b:1`.
    fn two_clusters(workshop: bool) -> AppState {
        let cluster = |name: &str| {
            let view = at(&format!("{name}:1"));
            // The sender may go: a closed watch keeps its last value.
            let (_, status) = watch::channel(view);
            crate::state::ClusterState::new(name.into(), config(), status)
        };
        AppState::new(
            cluster("a"),
            vec![cluster("b")],
            &serve_config(workshop),
            CancellationToken::new(),
        )
    }

    /// Every service up at `address`.
    fn at(address: &str) -> StackView {
        let s = ServiceView {
            address: address.into(),
            up: true,
            problem: None,
        };
        StackView {
            kafka: s.clone(),
            registry: s.clone(),
            spark: s,
        }
    }

    /// A session wired to channels, outside workshop mode.
    fn start(status: watch::Receiver<StackView>) -> Wired {
        start_on(state(status, false))
    }

    /// A session of `state` wired to channels: frames in, frames out.
    fn start_on(state: AppState) -> Wired {
        let shutdown = CancellationToken::new();
        let (in_tx, in_rx) = mpsc::channel::<Incoming>(8);
        let (out_tx, out_rx) = mpsc::channel::<ServerMessage>(8);
        let sink = unfold(out_tx, |tx, frame: WsFrame| async move {
            let WsFrame::Text(text) = frame else {
                panic!("binary frame without a tail")
            };
            let message = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("bridge sent invalid JSON {text}: {e}"));
            tx.send(message).await.map_err(axum::Error::new)?;
            Ok::<_, axum::Error>(tx)
        });
        let stream = futures_util::stream::unfold(in_rx, |mut rx| async move {
            rx.recv().await.map(|t| (t, rx))
        });
        let handle = tokio::spawn(run(
            Box::pin(sink),
            Box::pin(stream),
            state,
            shutdown.clone(),
        ));
        (in_tx, out_rx, shutdown, handle)
    }

    async fn next(rx: &mut mpsc::Receiver<ServerMessage>) -> ServerMessage {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Some(m)) => m,
            other => panic!("no message from the session: {other:?}"),
        }
    }

    fn frame(id: u64, request: Request) -> Incoming {
        Incoming::Text(
            serde_json::to_string(&ClientMessage {
                id: RequestId(id),
                request,
            })
            .unwrap_or_default(),
        )
    }

    #[tokio::test]
    async fn status_is_pushed_on_connect_and_on_change() {
        let (tx, rx) = watch::channel(view(false));
        let (_in, mut out, shutdown, handle) = start(rx);
        assert_eq!(
            next(&mut out).await,
            ServerMessage::Push(Push::Stack(view(false)))
        );
        let _ = tx.send(view(true));
        assert_eq!(
            next(&mut out).await,
            ServerMessage::Push(Push::Stack(view(true)))
        );
        shutdown.cancel();
        assert!(
            tokio::time::timeout(Duration::from_secs(5), handle)
                .await
                .is_ok(),
            "the session ends on shutdown"
        );
    }

    #[tokio::test]
    async fn replies_carry_the_request_id() {
        let (_tx, rx) = watch::channel(view(true));
        let (input, mut out, _shutdown, _handle) = start(rx);
        next(&mut out).await;
        let _ = input
            .send(frame(
                41,
                Request::Hello {
                    protocol: PROTOCOL_VERSION,
                    cluster: None,
                },
            ))
            .await;
        match next(&mut out).await {
            ServerMessage::Reply {
                id,
                response: Response::Welcome { protocol, .. },
            } => {
                assert_eq!((id, protocol), (RequestId(41), PROTOCOL_VERSION));
            }
            other => panic!("{other:?}"),
        }
        let _ = input
            .send(frame(
                42,
                Request::Hello {
                    protocol: PROTOCOL_VERSION + 1,
                    cluster: None,
                },
            ))
            .await;
        match next(&mut out).await {
            ServerMessage::Failed { id, error } => assert_eq!(
                (id, error.code),
                (RequestId(42), ErrorCode::ProtocolMismatch)
            ),
            other => panic!("{other:?}"),
        }
    }

    /// A page that takes the first frame and then never reads again.
    #[tokio::test(start_paused = true)]
    async fn a_page_that_stops_reading_loses_its_session_not_the_bridge_memory() {
        let (_tx, rx) = watch::channel(view(true));
        let (in_tx, in_rx) = mpsc::channel::<Incoming>(8);
        let taken = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = std::sync::Arc::clone(&taken);
        let sink = unfold((), move |(), _frame: WsFrame| {
            let first = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0;
            async move {
                if !first {
                    std::future::pending::<()>().await;
                }
                Ok::<_, axum::Error>(())
            }
        });
        let stream = futures_util::stream::unfold(in_rx, |mut rx| async move {
            rx.recv().await.map(|t| (t, rx))
        });
        let handle = tokio::spawn(run(
            Box::pin(sink),
            Box::pin(stream),
            state(rx, false),
            CancellationToken::new(),
        ));
        let _ = in_tx.send(frame(1, Request::StackStatus)).await;
        let ended = tokio::time::timeout(WRITE_TIMEOUT * 3, handle).await;
        assert!(
            ended.is_ok(),
            "the session outlived a page that stopped reading"
        );
        assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_binary_frame_gets_a_protocol_error_and_the_session_goes_on() {
        let (_tx, rx) = watch::channel(view(true));
        let (input, mut out, _shutdown, _handle) = start(rx);
        next(&mut out).await;
        let _ = input.send(Incoming::Binary).await;
        match next(&mut out).await {
            ServerMessage::Failed { id, error } => {
                assert_eq!((id, error.code), (RequestId(0), ErrorCode::BadRequest));
                assert!(error.message.contains("binary frame"), "{}", error.message);
            }
            other => panic!("{other:?}"),
        }
        let _ = input.send(frame(9, Request::StackStatus)).await;
        assert!(matches!(
            next(&mut out).await,
            ServerMessage::Reply {
                id: RequestId(9),
                ..
            }
        ));
    }

    #[test]
    fn an_older_pages_greeting_is_refused_in_the_shape_it_reads() {
        let old = r#"{"id": 3, "request": {"type": "hello", "data": {"protocol": 6}}}"#;
        let refusal = older_greeting(old).unwrap_or_default();
        let read: serde_json::Value = serde_json::from_str(&refusal).unwrap_or_default();
        assert_eq!(read["type"], "failed", "{refusal}");
        assert_eq!(read["data"]["id"], 3, "{refusal}");
        assert_eq!(
            read["data"]["error"]["code"], "protocol_mismatch",
            "{refusal}"
        );
        let message = read["data"]["error"]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.contains("protocol 6") && message.contains("reload"),
            "{message}"
        );
        // Anything else that does not parse is refused as before.
        assert_eq!(
            older_greeting(r#"{"id": 3, "request": {"type": "stack_status"}}"#),
            None
        );
        assert_eq!(older_greeting("not json"), None);
    }

    #[tokio::test]
    async fn garbage_gets_a_plain_refusal_and_the_session_goes_on() {
        let (_tx, rx) = watch::channel(view(true));
        let (input, mut out, _shutdown, _handle) = start(rx);
        next(&mut out).await;
        let _ = input
            .send(Incoming::Text(
                r#"{"id": 7, "request": "launch_rockets"}"#.to_owned(),
            ))
            .await;
        match next(&mut out).await {
            ServerMessage::Failed { id, error } => {
                assert_eq!((id, error.code), (RequestId(7), ErrorCode::BadRequest));
                assert!(
                    error.message.starts_with("the bridge could not understand"),
                    "{}",
                    error.message
                );
            }
            other => panic!("{other:?}"),
        }
        let _ = input.send(Incoming::Text("not json".to_owned())).await;
        assert!(matches!(
            next(&mut out).await,
            ServerMessage::Failed {
                id: RequestId(0),
                ..
            }
        ));
        let _ = input
            .send(frame(
                8,
                Request::Example {
                    example: shared::protocol::Example::ClickV1,
                },
            ))
            .await;
        assert!(matches!(
            next(&mut out).await,
            ServerMessage::Reply {
                id: RequestId(8),
                ..
            }
        ));
    }

    #[tokio::test]
    async fn registry_trouble_is_a_plain_failure() {
        let (_tx, rx) = watch::channel(view(true));
        let (input, mut out, _shutdown, _handle) = start(rx);
        next(&mut out).await;
        let _ = input.send(frame(3, Request::ListSubjects)).await;
        match next(&mut out).await {
            ServerMessage::Failed { id, error } => {
                assert_eq!(
                    (id, error.code),
                    (RequestId(3), ErrorCode::RegistryUnreachable)
                );
                assert!(
                    !error.message.contains('{'),
                    "plain words, not JSON: {}",
                    error.message
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn the_session_ends_when_the_tab_goes_away() {
        let (_tx, rx) = watch::channel(view(true));
        let (input, mut out, _shutdown, handle) = start(rx);
        next(&mut out).await;
        drop(input);
        assert!(tokio::time::timeout(Duration::from_secs(5), handle)
            .await
            .is_ok());
    }

    /// The next push `pick` accepts, skipping others.
    async fn next_push<T>(
        rx: &mut mpsc::Receiver<ServerMessage>,
        pick: impl Fn(&Push) -> Option<T>,
    ) -> T {
        loop {
            if let ServerMessage::Push(push) = next(rx).await {
                if let Some(found) = pick(&push) {
                    return found;
                }
            }
        }
    }

    #[tokio::test]
    async fn instructors_follow_the_roster_and_every_tab_gets_broadcasts() {
        let (_tx, rx) = watch::channel(view(true));
        let state = state(rx, true);
        let (teacher, mut teacher_out, _s1, _h1) = start_on(state.clone());
        let (pupil, mut pupil_out, _s2, pupil_task) = start_on(state);
        next(&mut teacher_out).await;
        next(&mut pupil_out).await;

        let _ = teacher
            .send(frame(1, Request::Instruct { key: "key".into() }))
            .await;
        assert!(matches!(
            next(&mut teacher_out).await,
            ServerMessage::Reply { response: Response::Instructing { roster }, .. } if roster.is_empty()
        ));
        let _ = pupil
            .send(frame(2, Request::Join { name: "ada".into() }))
            .await;
        assert!(matches!(
            next(&mut pupil_out).await,
            ServerMessage::Reply {
                response: Response::Joined { .. },
                ..
            }
        ));
        let joined = next_push(&mut teacher_out, |p| match p {
            Push::Roster(r) => Some(r.clone()),
            _ => None,
        })
        .await;
        assert_eq!(joined.len(), 1);
        assert!(joined[0].connected);

        let broadcast = Request::Broadcast {
            message: "break".into(),
        };
        let _ = pupil.send(frame(3, broadcast.clone())).await;
        assert!(matches!(
            next(&mut pupil_out).await,
            ServerMessage::Failed { error, .. } if error.code == ErrorCode::Forbidden
        ));
        let _ = teacher.send(frame(4, broadcast)).await;
        for out in [&mut pupil_out, &mut teacher_out] {
            let message = next_push(out, |p| match p {
                Push::Broadcast { message } => Some(message.clone()),
                _ => None,
            })
            .await;
            assert_eq!(message, "break");
        }

        drop(pupil);
        assert!(tokio::time::timeout(Duration::from_secs(5), pupil_task)
            .await
            .is_ok());
        let left = next_push(&mut teacher_out, |p| match p {
            Push::Roster(r) if r.iter().all(|v| !v.connected) => Some(r.clone()),
            _ => None,
        })
        .await;
        assert_eq!(left.len(), 1, "the name stays on the roster");
    }
    /// The `Welcome` answering a `Hello` for `cluster` sent as request `id`.
    async fn hello(
        input: &mpsc::Sender<Incoming>,
        out: &mut mpsc::Receiver<ServerMessage>,
        id: u64,
        cluster: Option<&str>,
    ) -> Result<Response, ErrorInfo> {
        let hello = Request::Hello {
            protocol: PROTOCOL_VERSION,
            cluster: cluster.map(str::to_owned),
        };
        let _ = input.send(frame(id, hello)).await;
        loop {
            match next(out).await {
                ServerMessage::Reply { id: got, response } if got == RequestId(id) => {
                    return Ok(response)
                }
                ServerMessage::Failed { id: got, error } if got == RequestId(id) => {
                    return Err(error)
                }
                _ => {}
            }
        }
    }

    /// The reply to `StackStatus` sent as request `id`.
    async fn stack_status(
        input: &mpsc::Sender<Incoming>,
        out: &mut mpsc::Receiver<ServerMessage>,
        id: u64,
    ) -> Option<StackView> {
        let _ = input.send(frame(id, Request::StackStatus)).await;
        loop {
            match next(out).await {
                ServerMessage::Reply {
                    id: got,
                    response: Response::Stack(view),
                } if got == RequestId(id) => return Some(view),
                ServerMessage::Failed { id: got, .. } if got == RequestId(id) => return None,
                _ => {}
            }
        }
    }

    #[tokio::test]
    async fn the_welcome_names_the_clusters_offered_and_the_sessions() {
        let (input, mut out, _shutdown, _handle) = start_on(two_clusters(false));
        assert_eq!(
            next(&mut out).await,
            ServerMessage::Push(Push::Stack(at("a:1")))
        );
        match hello(&input, &mut out, 1, None).await {
            Ok(Response::Welcome {
                clusters,
                cluster,
                can_switch,
                ..
            }) => {
                assert_eq!(clusters, ["a", "b"]);
                assert_eq!(cluster, "a");
                assert!(can_switch);
            }
            other => panic!("{other:?}"),
        }
        let (_tx, rx) = watch::channel(view(true));
        let (input, mut out, _shutdown, _handle) = start(rx);
        next(&mut out).await;
        match hello(&input, &mut out, 1, None).await {
            Ok(Response::Welcome {
                clusters,
                cluster,
                can_switch,
                ..
            }) => {
                assert_eq!(
                    (clusters, cluster),
                    (vec!["local".to_owned()], "local".into())
                );
                assert!(!can_switch, "one cluster: nothing to switch to");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_hello_naming_another_cluster_moves_the_session_there() {
        let (input, mut out, _shutdown, _handle) = start_on(two_clusters(false));
        next(&mut out).await;
        let _ = input
            .send(frame(
                1,
                Request::Hello {
                    protocol: PROTOCOL_VERSION,
                    cluster: Some("b".into()),
                },
            ))
            .await;
        // The page hears b's services at once, then the welcome naming b.
        assert_eq!(
            next(&mut out).await,
            ServerMessage::Push(Push::Stack(at("b:1")))
        );
        match next(&mut out).await {
            ServerMessage::Reply {
                id: RequestId(1),
                response: Response::Welcome { cluster, .. },
            } => assert_eq!(cluster, "b"),
            other => panic!("{other:?}"),
        }
        assert_eq!(stack_status(&input, &mut out, 2).await, Some(at("b:1")));
        // Another session of the same bridge still starts on the default.
        let (input, mut out, _shutdown, _handle) = start_on(two_clusters(false));
        next(&mut out).await;
        assert_eq!(stack_status(&input, &mut out, 1).await, Some(at("a:1")));
    }

    #[tokio::test]
    async fn an_unknown_cluster_is_refused_and_the_session_stays_on_the_default() {
        let (input, mut out, _shutdown, _handle) = start_on(two_clusters(false));
        next(&mut out).await;
        match hello(&input, &mut out, 1, Some("nope")).await {
            Err(error) => {
                assert_eq!(error.code, ErrorCode::UnknownCluster);
                assert!(
                    error.message.contains("\"nope\"") && error.message.contains("a, b"),
                    "{}",
                    error.message
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(stack_status(&input, &mut out, 2).await, Some(at("a:1")));
        match hello(&input, &mut out, 3, None).await {
            Ok(Response::Welcome { cluster, .. }) => assert_eq!(cluster, "a"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn in_a_workshop_the_rooms_cluster_holds() {
        let (input, mut out, _shutdown, _handle) = start_on(two_clusters(true));
        next(&mut out).await;
        match hello(&input, &mut out, 1, Some("b")).await {
            Err(error) => {
                assert_eq!(error.code, ErrorCode::Forbidden);
                assert!(error.message.contains("\"a\""), "{}", error.message);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(stack_status(&input, &mut out, 2).await, Some(at("a:1")));
        // Naming the room's own cluster is no switch, and welcome.
        match hello(&input, &mut out, 3, Some("a")).await {
            Ok(Response::Welcome {
                cluster,
                can_switch,
                workshop,
                ..
            }) => {
                assert_eq!(cluster, "a");
                assert!(workshop && !can_switch);
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn an_older_pages_hello_is_told_to_reload_whatever_cluster() {
        let (input, mut out, _shutdown, _handle) = start_on(two_clusters(false));
        next(&mut out).await;
        let older = r#"{"id":4,"request":{"hello":{"protocol":7}}}"#;
        let _ = input.send(Incoming::Text(older.to_owned())).await;
        match next(&mut out).await {
            ServerMessage::Failed { id, error } => {
                assert_eq!(
                    (id, error.code),
                    (RequestId(4), ErrorCode::ProtocolMismatch)
                );
                assert!(error.message.contains("reload"), "{}", error.message);
            }
            other => panic!("{other:?}"),
        }
    }
}
