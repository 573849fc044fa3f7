//! `kafka-demo serve` through its real router on 127.0.0.1:0: the page, the WebSocket's origin
//! and token checks, and the schema step over the typed protocol against the real registry.

mod common;

use bridge::{serve, ServeConfig, ServeError};
use common::ws::{serve_with, Server};
use common::{unique, SHARED};
use futures_util::{SinkExt as _, StreamExt as _};
use pipeline::settings::Config;
use shared::protocol::{
    BatchOutcome, BatchSpec, ClientMessage, ErrorCode, Example, JobId, ProduceFinished,
    ProduceSpec, Push, Request, RequestId, Response, ServerMessage, StreamSpec, StreamTrigger,
    TailFrom, TailSpec, PROTOCOL_VERSION,
};
use shared::Topic;
use std::path::PathBuf;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

async fn start(config: Config, token: Option<&str>, dist: PathBuf) -> Server {
    let settings = ServeConfig {
        host: [127, 0, 0, 1].into(),
        port: 0,
        token: token.map(str::to_owned),
        allowed_hosts: Vec::new(),
        dist,
        workshop: false,
        instructor_key: None,
        limits: shared::workshop::Limits::default(),
        room_file: None,
        new_room: false,
    };
    serve_with(config, settings).await
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(server: &Server, origin: Option<&str>, query: &str) -> Result<Socket, WsError> {
    let url = format!("{}/ws{query}", server.base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request()?;
    if let Some(origin) = origin {
        request.headers_mut().insert(
            "Origin",
            HeaderValue::from_str(origin).unwrap_or(HeaderValue::from_static("x")),
        );
    }
    let (socket, _) = tokio_tungstenite::connect_async(request).await?;
    Ok(socket)
}

fn refusal_status(result: Result<Socket, WsError>) -> Option<u16> {
    match result {
        Err(WsError::Http(response)) => Some(response.status().as_u16()),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => None,
    }
}

async fn receive(socket: &mut Socket) -> ServerMessage {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(60), socket.next())
            .await
            .unwrap_or_else(|_| panic!("no frame from the bridge"));
        match frame {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("bad frame {text}: {e}"))
            }
            Some(Ok(_)) => continue,
            other => panic!("socket ended: {other:?}"),
        }
    }
}

/// Sends a request and returns its answer, skipping pushes.
async fn ask(
    socket: &mut Socket,
    id: u64,
    request: Request,
) -> Result<Response, shared::protocol::ErrorInfo> {
    let text = serde_json::to_string(&ClientMessage {
        id: RequestId(id),
        request,
    })
    .unwrap_or_default();
    socket
        .send(Message::Text(text.into()))
        .await
        .unwrap_or_else(|e| panic!("send: {e}"));
    loop {
        match receive(socket).await {
            ServerMessage::Reply { id: got, response } if got == RequestId(id) => {
                return Ok(response)
            }
            ServerMessage::Failed { id: got, error } if got == RequestId(id) => return Err(error),
            ServerMessage::Push(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// A bridge on the shared test stack and a socket to it, as its own page would open one.
async fn open_page_socket() -> (Server, Socket) {
    let config = SHARED.ensure_up().await;
    let server = start(config, None, no_dist()).await;
    let own = server.base.clone();
    let socket = connect(&server, Some(&own), "")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (server, socket)
}

fn no_dist() -> PathBuf {
    PathBuf::from("/nonexistent/kafka-demo-dist")
}

/// The status line's code of one raw HTTP/1.1 request for `path` naming `host`, with `extra`
/// headers: raw, so the `Host` header is exactly what a rebinding page's browser would send.
async fn status_for(server: &Server, path: &str, host: &str, extra: &[(&str, &str)]) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let addr = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n");
    if !extra
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("connection"))
    {
        request.push_str("Connection: close\r\n");
    }
    for (name, value) in extra {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));
    // Only the status line is wanted; an upgraded connection stays open after it.
    let mut answer = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let mut chunk = [0u8; 512];
        let read = tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await;
        match read {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&chunk[..n]),
            other => panic!("no status line for {host}{path}: {other:?}"),
        }
    }
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"))
}

/// A page on a foreign domain that re-resolved its name to 127.0.0.1 (DNS rebinding) sends that
/// name in `Host` and `Origin`, which agree with each other; only the host check stops it.
#[tokio::test]
async fn a_foreign_host_name_is_refused_and_the_loopback_names_served() {
    let server = start(SHARED.config(), None, no_dist()).await;
    let port = server
        .base
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let upgrade = |origin: String| {
        vec![
            ("Origin".to_owned(), origin),
            ("Upgrade".to_owned(), "websocket".to_owned()),
            ("Connection".to_owned(), "Upgrade".to_owned()),
            ("Sec-WebSocket-Version".to_owned(), "13".to_owned()),
            (
                "Sec-WebSocket-Key".to_owned(),
                "dGhlIHNhbXBsZSBub25jZQ==".to_owned(),
            ),
        ]
    };
    let ask = |path: &'static str, host: String, extra: Vec<(String, String)>| {
        let server = &server;
        async move {
            let extra: Vec<(&str, &str)> = extra
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            status_for(server, path, &host, &extra).await
        }
    };
    let evil = format!("evil.example:{port}");
    assert_eq!(ask("/", evil.clone(), vec![]).await, 403, "the page");
    assert_eq!(
        ask("/healthz", evil.clone(), vec![]).await,
        403,
        "the health check"
    );
    let socket = upgrade(format!("http://{evil}"));
    assert_eq!(ask("/ws", evil, socket).await, 403, "the WebSocket");
    for name in ["127.0.0.1", "localhost", "[::1]"] {
        let host = format!("{name}:{port}");
        assert_eq!(ask("/", host.clone(), vec![]).await, 200, "{host}");
        let socket = upgrade(format!("http://{host}"));
        assert_eq!(ask("/ws", host.clone(), socket).await, 101, "{host}");
    }
}

#[tokio::test]
async fn a_named_host_is_served_when_allowed() {
    let settings = ServeConfig {
        host: [127, 0, 0, 1].into(),
        port: 0,
        token: None,
        allowed_hosts: vec!["class.example".into()],
        dist: no_dist(),
        workshop: false,
        instructor_key: None,
        limits: shared::workshop::Limits::default(),
        room_file: None,
        new_room: false,
    };
    let server = serve_with(SHARED.config(), settings).await;
    let port = server
        .base
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        status_for(&server, "/", &format!("class.example:{port}"), &[]).await,
        200
    );
    assert_eq!(
        status_for(&server, "/", &format!("evil.example:{port}"), &[]).await,
        403
    );
}

#[tokio::test]
async fn a_foreign_origin_is_refused_and_the_own_origin_served() {
    let server = start(SHARED.config(), None, no_dist()).await;
    let own = server.base.clone();
    assert_eq!(
        refusal_status(connect(&server, Some("http://evil.example"), "").await),
        Some(403)
    );
    assert_eq!(
        refusal_status(connect(&server, Some("null"), "").await),
        Some(403)
    );
    let mut socket = connect(&server, Some(&own), "")
        .await
        .unwrap_or_else(|e| panic!("own origin refused: {e}"));
    assert!(
        matches!(
            receive(&mut socket).await,
            ServerMessage::Push(Push::Stack(_))
        ),
        "status comes first"
    );
    let welcome = ask(
        &mut socket,
        1,
        Request::Hello {
            protocol: PROTOCOL_VERSION,
            cluster: None,
        },
    )
    .await;
    assert!(
        matches!(
            welcome,
            Ok(Response::Welcome {
                protocol: PROTOCOL_VERSION,
                ..
            })
        ),
        "{welcome:?}"
    );
}

#[tokio::test]
async fn a_token_is_required_when_one_is_set() {
    let server = start(SHARED.config(), Some("s3cret-token"), no_dist()).await;
    assert_eq!(
        server.query, "?token=s3cret-token",
        "the printed URL carries the token for the page"
    );
    let own = server.base.clone();
    assert_eq!(
        refusal_status(connect(&server, Some(&own), "").await),
        Some(401)
    );
    assert_eq!(
        refusal_status(connect(&server, Some(&own), "?token=wrong").await),
        Some(401)
    );
    assert!(connect(&server, Some(&own), "?token=s3cret-token")
        .await
        .is_ok());
    // The page's own check of its link, over plain HTTP (a browser cannot see a WebSocket's 401).
    let host = own.trim_start_matches("http://").to_owned();
    for (path, code) in [
        ("/token?token=s3cret-token", 204),
        ("/token?token=wrong", 401),
        ("/token", 401),
    ] {
        assert_eq!(status_for(&server, path, &host, &[]).await, code, "{path}");
    }
}

#[tokio::test]
async fn binding_beyond_loopback_needs_a_token() {
    let shutdown = CancellationToken::new();
    let settings = ServeConfig {
        host: [0, 0, 0, 0].into(),
        port: 0,
        token: None,
        allowed_hosts: Vec::new(),
        dist: no_dist(),
        workshop: false,
        instructor_key: None,
        limits: shared::workshop::Limits::default(),
        room_file: None,
        new_room: false,
    };
    let local = bridge::OfferedCluster {
        name: "local".into(),
        config: SHARED.config(),
    };
    let result = serve(local, Vec::new(), settings, shutdown, |_| {}).await;
    assert!(
        matches!(result, Err(ServeError::TokenRequired(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn the_page_is_served_or_the_missing_build_explained() {
    let missing = start(SHARED.config(), None, no_dist()).await;
    let body = reqwest::get(format!("{}/", missing.base))
        .await
        .and_then(|r| r.error_for_status());
    let text = match body {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(e) => panic!("{e}"),
    };
    assert!(
        text.contains("has not been built") && text.contains("make run"),
        "{text}"
    );

    let dist = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dist.path().join("index.html"), "<title>the page</title>")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dist.path().join("app.js"), "// js").unwrap_or_else(|e| panic!("{e}"));
    let built = start(SHARED.config(), None, dist.path().to_owned()).await;
    for (path, expected) in [
        ("/", "the page"),
        ("/app.js", "// js"),
        ("/some/route", "the page"),
    ] {
        let text = match reqwest::get(format!("{}{path}", built.base)).await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(e) => panic!("{path}: {e}"),
        };
        assert!(text.contains(expected), "{path}: {text}");
    }
}

#[tokio::test]
async fn the_schema_step_runs_over_the_websocket_against_the_real_registry() {
    let (_server, mut socket) = open_page_socket().await;
    let topic = Topic::new(unique("ws-clicks")).unwrap_or_else(|e| panic!("{e}"));

    let seed = match ask(
        &mut socket,
        1,
        Request::Example {
            example: Example::ClickSeed,
        },
    )
    .await
    {
        Ok(Response::Example { text, .. }) => text,
        other => panic!("{other:?}"),
    };
    match ask(
        &mut socket,
        2,
        Request::Register {
            topic: topic.clone(),
            schema: seed.clone(),
        },
    )
    .await
    {
        Err(error) => {
            assert_eq!(error.code, ErrorCode::InvalidSchema);
            assert!(
                error.message.contains("line 17, column 43")
                    && error.message.contains("trailing comma"),
                "{}",
                error.message
            );
        }
        other => panic!("the seed text must be refused: {other:?}"),
    }

    let v1 = include_str!("../../schemas/click_v1.avsc").to_owned();
    let first = match ask(
        &mut socket,
        3,
        Request::Register {
            topic: topic.clone(),
            schema: v1.clone(),
        },
    )
    .await
    {
        Ok(Response::Schema(s)) => s,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        (first.subject.as_str(), first.version),
        (topic.value_subject().as_str(), 1)
    );
    match ask(
        &mut socket,
        4,
        Request::Register {
            topic: topic.clone(),
            schema: v1,
        },
    )
    .await
    {
        Ok(Response::Schema(again)) => assert_eq!((again.version, again.id), (1, first.id)),
        other => panic!("{other:?}"),
    }

    let bad = include_str!("../../schemas/examples/click_incompatible.avsc").to_owned();
    match ask(
        &mut socket,
        5,
        Request::CheckCompatibility {
            topic: topic.clone(),
            schema: bad.clone(),
        },
    )
    .await
    {
        Ok(Response::Compatibility(report)) => {
            assert!(!report.compatible);
            assert_eq!(
                (report.against_version, report.level.as_str()),
                (Some(1), "BACKWARD")
            );
            assert!(
                report.reasons.iter().any(|r| r.contains("campaign_id")),
                "{:?}",
                report.reasons
            );
        }
        other => panic!("{other:?}"),
    }
    match ask(
        &mut socket,
        6,
        Request::Register {
            topic: topic.clone(),
            schema: bad,
        },
    )
    .await
    {
        Err(error) => {
            assert_eq!(error.code, ErrorCode::Incompatible);
            assert!(
                !error.message.contains("Exception"),
                "no Java class names: {}",
                error.message
            );
        }
        other => panic!("{other:?}"),
    }
    match ask(&mut socket, 7, Request::ListSubjects).await {
        Ok(Response::Subjects(all)) => {
            let mine = all.iter().find(|s| s.subject == topic.value_subject());
            assert_eq!(mine.map(|s| s.versions.clone()), Some(vec![1]));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn many_tabs_are_served_at_once_and_a_closed_one_leaves_the_rest_working() {
    let server = start(SHARED.config(), None, no_dist()).await;
    let own = server.base.clone();
    let mut tabs = Vec::new();
    for _ in 0..8 {
        tabs.push(
            connect(&server, Some(&own), "")
                .await
                .unwrap_or_else(|e| panic!("{e}")),
        );
    }
    for (i, tab) in tabs.iter_mut().enumerate() {
        let answer = ask(
            tab,
            i as u64 + 1,
            Request::Hello {
                protocol: PROTOCOL_VERSION,
                cluster: None,
            },
        )
        .await;
        assert!(
            matches!(answer, Ok(Response::Welcome { .. })),
            "tab {i}: {answer:?}"
        );
    }
    let mut closed = tabs.remove(0);
    closed.close(None).await.unwrap_or_else(|e| panic!("{e}"));
    for (i, tab) in tabs.iter_mut().enumerate() {
        let answer = ask(
            tab,
            100 + i as u64,
            Request::Example {
                example: Example::ClickV2,
            },
        )
        .await;
        assert!(
            matches!(
                answer,
                Ok(Response::Example {
                    example: Example::ClickV2,
                    ..
                })
            ),
            "tab {i}: {answer:?}"
        );
    }
}

/// A frame of either kind.
enum Incoming {
    Message(ServerMessage),
    Records(shared::tail::TailFrame),
}

async fn receive_any(socket: &mut Socket) -> Incoming {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(60), socket.next())
            .await
            .unwrap_or_else(|_| panic!("no frame from the bridge"));
        match frame {
            Some(Ok(Message::Text(text))) => {
                return Incoming::Message(
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad frame {text}: {e}")),
                )
            }
            Some(Ok(Message::Binary(bytes))) => {
                return Incoming::Records(
                    shared::tail::read(&bytes).unwrap_or_else(|e| panic!("bad tail frame: {e}")),
                )
            }
            Some(Ok(_)) => continue,
            other => panic!("socket ended: {other:?}"),
        }
    }
}

fn spec(topic: &Topic, count: u64) -> ProduceSpec {
    ProduceSpec {
        topic: topic.clone(),
        schema: include_str!("../../schemas/click_v1.avsc").to_owned(),
        count: Some(count),
        rate: None,
        seed: 11,
        poison: 0.03,
        duplicates: 0.01,
        late: 0.0,
        partitions: 3,
    }
}

/// Produces `count` records from the page (request id 1) and waits for the run's end.
async fn produce_all(socket: &mut Socket, topic: &Topic, count: u64) -> ProduceFinished {
    let job = match ask(socket, 1, Request::StartProduce(spec(topic, count))).await {
        Ok(Response::ProduceStarted { job, .. }) => job,
        other => panic!("{other:?}"),
    };
    loop {
        if let Incoming::Message(ServerMessage::Push(Push::Produce(u))) = receive_any(socket).await
        {
            if let (true, Some(f)) = (u.job == job, u.finished) {
                return f;
            }
        }
    }
}

#[tokio::test]
async fn the_page_produces_and_tails_over_the_websocket() {
    let (_server, mut socket) = open_page_socket().await;
    let topic = Topic::new(unique("ws-produce")).unwrap_or_else(|e| panic!("{e}"));
    const COUNT: u64 = 5_000;

    let (job, schema_id) =
        match ask(&mut socket, 1, Request::StartProduce(spec(&topic, COUNT))).await {
            Ok(Response::ProduceStarted {
                job,
                schema,
                topic_created,
                event_start_ms,
            }) => {
                assert!(topic_created, "a new topic is created");
                assert_eq!(
                    event_start_ms,
                    shared::generator::GeneratorOptions::default().start_ms,
                    "an empty topic's event time starts at the generator's default"
                );
                (job, schema.id)
            }
            other => panic!("{other:?}"),
        };
    let finished = loop {
        match receive_any(&mut socket).await {
            Incoming::Message(ServerMessage::Push(Push::Produce(update))) if update.job == job => {
                assert!(update.acknowledged <= update.sent && update.sent <= COUNT);
                if let Some(finished) = update.finished {
                    assert_eq!(
                        (update.sent, update.acknowledged, update.failed),
                        (COUNT, COUNT, 0)
                    );
                    break finished;
                }
            }
            _ => continue,
        }
    };
    assert_eq!(finished.not_delivered, 0);
    assert!(finished.poison > 0, "3% poison pills in {COUNT} events");
    assert_eq!(
        finished.records + finished.duplicates + finished.poison,
        COUNT,
        "{finished:?}"
    );

    let tail = match ask(
        &mut socket,
        2,
        Request::StartTail(TailSpec {
            topic: topic.clone(),
            from: TailFrom::Beginning,
        }),
    )
    .await
    {
        Ok(Response::TailStarted { tail, partitions }) => {
            assert_eq!(partitions, vec![0, 1, 2]);
            tail
        }
        other => panic!("{other:?}"),
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut foreign = 0u64;
    let mut caught_up = false;
    while seen.len() < COUNT as usize || !caught_up {
        match receive_any(&mut socket).await {
            Incoming::Records(frame) => {
                assert_eq!(frame.tail, tail);
                for record in frame.records {
                    assert!(
                        seen.insert((record.partition, record.offset)),
                        "each record once"
                    );
                    let value = record.value.unwrap_or_default();
                    match shared::wire::Frame::parse(&value) {
                        Ok(f) if f.schema_id == schema_id => {}
                        _ => foreign += 1,
                    }
                }
            }
            Incoming::Message(ServerMessage::Push(Push::TailLag(lag))) if lag.tail == tail => {
                let lag: Vec<_> = lag.partitions.iter().map(|p| p.lag()).collect();
                caught_up = lag.iter().all(|l| *l == Some(0));
            }
            _ => continue,
        }
    }
    assert_eq!(seen.len() as u64, COUNT);
    assert!(
        foreign > 0 && foreign <= finished.poison,
        "wrong-magic and unknown-id pills are among the poison: {foreign} of {}",
        finished.poison
    );

    assert_eq!(
        ask(&mut socket, 3, Request::PauseTail { tail, paused: true }).await,
        Ok(Response::Done)
    );
    assert_eq!(
        ask(&mut socket, 4, Request::StopTail { tail }).await,
        Ok(Response::Done)
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut id = 5;
    loop {
        // The tail ends on its own schedule; until then it is still stoppable.
        match ask(&mut socket, id, Request::StopTail { tail }).await {
            Err(e) if e.code == ErrorCode::NoSuchJob => break,
            Ok(Response::Done) if tokio::time::Instant::now() < deadline => id += 1,
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn bad_produce_and_tail_requests_are_refused_plainly() {
    let (_server, mut socket) = open_page_socket().await;
    let topic = Topic::new(unique("ws-missing")).unwrap_or_else(|e| panic!("{e}"));

    let refused = ask(&mut socket, 1, Request::StartProduce(spec(&topic, 0))).await;
    assert!(
        matches!(&refused, Err(e) if e.code == ErrorCode::BadRequest && e.message.contains("at least 1")),
        "{refused:?}"
    );
    let mut bad_schema = spec(&topic, 10);
    bad_schema.schema = include_str!("../../schemas/examples/click_seed.avsc").to_owned();
    let refused = ask(&mut socket, 2, Request::StartProduce(bad_schema)).await;
    assert!(
        matches!(&refused, Err(e) if e.code == ErrorCode::InvalidSchema),
        "{refused:?}"
    );
    let refused = ask(
        &mut socket,
        3,
        Request::StartTail(TailSpec {
            topic: topic.clone(),
            from: TailFrom::End,
        }),
    )
    .await;
    assert!(
        matches!(&refused, Err(e) if e.code == ErrorCode::NotFound && e.message.contains(topic.as_str())),
        "{refused:?}"
    );
    let refused = ask(&mut socket, 4, Request::StopProduce { job: JobId(99) }).await;
    assert!(
        matches!(&refused, Err(e) if e.code == ErrorCode::NoSuchJob),
        "{refused:?}"
    );
    // Nothing was registered on the way.
    match ask(&mut socket, 5, Request::ListSubjects).await {
        Ok(Response::Subjects(all)) => assert!(
            all.iter().all(|s| s.subject != topic.value_subject()),
            "{all:?}"
        ),
        other => panic!("{other:?}"),
    }
}

/// Waits for the end of batch job `job`, skipping other frames.
async fn batch_outcome(socket: &mut Socket, job: JobId) -> (Vec<String>, BatchOutcome) {
    let mut stages = Vec::new();
    loop {
        match receive_any(socket).await {
            Incoming::Message(ServerMessage::Push(Push::BatchStage { job: of, stage, .. }))
                if of == job =>
            {
                stages.push(stage)
            }
            Incoming::Message(ServerMessage::Push(Push::BatchDone { job: of, outcome }))
                if of == job =>
            {
                return (stages, outcome)
            }
            _ => continue,
        }
    }
}

#[tokio::test]
async fn the_page_runs_a_batch_job_that_agrees_with_what_it_produced() {
    let (_server, mut socket) = open_page_socket().await;
    let topic = Topic::new(unique("ws-batch")).unwrap_or_else(|e| panic!("{e}"));
    const COUNT: u64 = 2_000;
    let finished = produce_all(&mut socket, &topic, COUNT).await;
    let batch = BatchSpec {
        topic: topic.clone(),
        from: None,
        to: None,
        top: 3,
    };
    let job = match ask(&mut socket, 2, Request::RunBatch(batch)).await {
        Ok(Response::BatchStarted { job }) => job,
        other => panic!("{other:?}"),
    };
    let (stages, outcome) = batch_outcome(&mut socket, job).await;
    assert!(stages.iter().any(|s| s.contains("decoding")), "{stages:?}");
    let BatchOutcome::Finished(report) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(report.records_read, COUNT);
    assert_eq!(report.totals.clicks, finished.records + finished.duplicates);
    assert_eq!(report.poison_total(), finished.poison);
    assert_eq!(report.top_by_clicks.len(), 3);
    assert_eq!(
        report.per_minute.iter().map(|m| m.clicks).sum::<u64>(),
        report.totals.clicks
    );

    let missing = BatchSpec {
        topic: Topic::new(unique("ws-batch-missing")).unwrap_or_else(|e| panic!("{e}")),
        from: None,
        to: None,
        top: 3,
    };
    let job = match ask(&mut socket, 3, Request::RunBatch(missing)).await {
        Ok(Response::BatchStarted { job }) => job,
        other => panic!("{other:?}"),
    };
    match batch_outcome(&mut socket, job).await.1 {
        BatchOutcome::Failed(e) => assert!(e.message.contains("ws-batch-missing"), "{}", e.message),
        other => panic!("{other:?}"),
    }
    let refused = ask(
        &mut socket,
        4,
        Request::RunBatch(BatchSpec {
            topic,
            from: Some("yesterday".into()),
            to: None,
            top: 3,
        }),
    )
    .await;
    assert!(
        matches!(&refused, Err(e) if e.code == ErrorCode::BadRequest),
        "{refused:?}"
    );
}

#[tokio::test]
async fn the_page_streams_windows_that_add_up_to_what_it_produced() {
    let (_server, mut socket) = open_page_socket().await;
    let topic = Topic::new(unique("ws-stream")).unwrap_or_else(|e| panic!("{e}"));
    const COUNT: u64 = 2_000;
    let finished = produce_all(&mut socket, &topic, COUNT).await;
    let stream = StreamSpec {
        topic: topic.clone(),
        window_secs: 60,
        watermark_secs: 3600,
        trigger: StreamTrigger::AvailableNow,
    };
    let job = match ask(&mut socket, 2, Request::StartStream(stream)).await {
        Ok(Response::StreamStarted { job, checkpoint }) => {
            assert!(checkpoint.contains(topic.as_str()), "{checkpoint}");
            job
        }
        other => panic!("{other:?}"),
    };
    let mut latest = std::collections::BTreeMap::new();
    let mut progress = None;
    loop {
        match receive_any(&mut socket).await {
            Incoming::Message(ServerMessage::Push(Push::StreamWindows { job: of, windows }))
                if of == job =>
            {
                for w in windows {
                    latest.insert((w.start_ms, w.creative_id.clone()), w.clicks);
                }
            }
            Incoming::Message(ServerMessage::Push(Push::StreamProgress(p))) if p.job == job => {
                progress = Some(p)
            }
            Incoming::Message(ServerMessage::Push(Push::StreamEnded { job: of, error }))
                if of == job =>
            {
                assert_eq!(error, None);
                break;
            }
            _ => continue,
        }
    }
    assert_eq!(
        latest.values().sum::<u64>(),
        finished.records + finished.duplicates,
        "every decoded click is in a window, once"
    );
    let progress = progress.unwrap_or_else(|| panic!("no progress was pushed"));
    assert_eq!(progress.dropped_late, 0);
    let refused = ask(&mut socket, 3, Request::StopStream { job }).await;
    assert!(
        matches!(&refused, Err(e) if e.code == ErrorCode::NoSuchJob),
        "{refused:?}"
    );
}
