//! `kafka-demo serve` through its real router on 127.0.0.1:0: the page, the WebSocket's origin
//! and token checks, and the schema step over the typed protocol against the real registry.

mod common;

use bridge::config::Config;
use bridge::server::{serve, ServeConfig, ServeError};
use common::{unique, SHARED};
use futures_util::{SinkExt as _, StreamExt as _};
use shared::protocol::{
    ClientMessage, ErrorCode, Example, Push, Request, RequestId, Response, ServerMessage,
    PROTOCOL_VERSION,
};
use shared::Topic;
use std::path::PathBuf;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

/// A running server; cancelled when dropped.
struct Server {
    base: String,
    query: String,
    shutdown: CancellationToken,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn start(config: Config, token: Option<&str>, dist: PathBuf) -> Server {
    let shutdown = CancellationToken::new();
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let settings = ServeConfig {
        host: [127, 0, 0, 1].into(),
        port: 0,
        token: token.map(str::to_owned),
        dist,
    };
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let result = serve(config, settings, stop, move |url| {
            let _ = tx.send(url.to_owned());
        })
        .await;
        if let Err(e) = result {
            panic!("serve failed: {e}");
        }
    });
    let url = tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .unwrap_or_else(|_| panic!("the server did not announce its URL"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b.trim_end_matches('/').to_owned(), format!("?{q}")),
        None => (url.trim_end_matches('/').to_owned(), String::new()),
    };
    Server {
        base,
        query,
        shutdown,
    }
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

fn no_dist() -> PathBuf {
    PathBuf::from("/nonexistent/kafka-demo-dist")
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
}

#[tokio::test]
async fn binding_beyond_loopback_needs_a_token() {
    let shutdown = CancellationToken::new();
    let settings = ServeConfig {
        host: [0, 0, 0, 0].into(),
        port: 0,
        token: None,
        dist: no_dist(),
    };
    let result = serve(SHARED.config(), settings, shutdown, |_| {}).await;
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
    let config = SHARED.ensure_up().await;
    let server = start(config, None, no_dist()).await;
    let own = server.base.clone();
    let mut socket = connect(&server, Some(&own), "")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
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
                error.message.contains("line 18, column 6")
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

    let bad = include_str!("data/click_incompatible.avsc").to_owned();
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
