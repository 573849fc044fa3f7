//! `kafka-demo serve`: the browser playground's server. It serves the trunk-built page at `/`
//! and the typed WebSocket API at `/ws`.
//!
//! Security: the bridge can write to Kafka, so it binds 127.0.0.1 unless told otherwise, refuses
//! WebSocket upgrades from pages of other origins, and requires a token when bound to any
//! non-loopback address (the page passes it on as `?token=`).

mod guide;
mod handlers;
mod jobs;
mod scope;
pub mod session;
mod workshop;

use crate::config::Config;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt as _, StreamExt as _};
use shared::protocol::StackView;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::services::{ServeDir, ServeFile};

/// How the playground is served.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to bind.
    pub host: IpAddr,
    /// Port to bind (0 picks a free one).
    pub port: u16,
    /// Required from every WebSocket client when set; mandatory off loopback.
    pub token: Option<String>,
    /// The trunk-built frontend (`dist/`).
    pub dist: PathBuf,
    /// Workshop mode: each tab joins with a name and is kept to its namespace.
    pub workshop: bool,
    /// Workshop mode: the key that opens the instructor's seat (a random one when `None`).
    pub instructor_key: Option<InstructorKey>,
    /// Workshop mode: what each attendee may use at once (ignored outside workshop mode).
    pub limits: shared::workshop::Limits,
}

/// The key of workshop mode's instructor seat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstructorKey {
    /// Given with `--instructor-key` (or its environment variable).
    Given(String),
    /// Made at start; the bridge prints the instructor's link with it.
    Made(String),
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A non-loopback bind without a token.
    #[error("binding to {0} exposes the playground (which can write to Kafka) to the network: give a token with --token or KAFKA_DEMO_TOKEN")]
    TokenRequired(IpAddr),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP server failed.
    #[error("the server stopped with an error: {0}")]
    Serve(#[source] std::io::Error),
}

/// What every request handler and WebSocket session shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    registry: Option<crate::registry::Client>,
    token: Option<String>,
    dist: PathBuf,
    status: watch::Receiver<StackView>,
    sessions: TaskTracker,
    shutdown: CancellationToken,
    workshop: bool,
    /// Workshop mode's attendees and instructor seat; `None` outside workshop mode.
    attendees: Option<Arc<workshop::Attendees>>,
    /// Each tab's limits: only in workshop mode, where a tab is one attendee.
    limits: Option<shared::workshop::Limits>,
}

impl AppState {
    /// State for a server over `config`, whose stack status comes from `status`.
    pub fn new(
        config: Config,
        serve: &ServeConfig,
        status: watch::Receiver<StackView>,
        shutdown: CancellationToken,
    ) -> Self {
        let registry = crate::registry::Client::new(&config.registry).ok();
        let attendees = serve.workshop.then(|| {
            let key = serve
                .instructor_key
                .clone()
                .unwrap_or_else(|| InstructorKey::given_or_made(None));
            Arc::new(workshop::Attendees::new(
                key.as_str().to_owned(),
                serve.limits,
            ))
        });
        Self {
            inner: Arc::new(Inner {
                config,
                registry,
                token: serve.token.clone(),
                dist: serve.dist.clone(),
                status,
                sessions: TaskTracker::new(),
                shutdown,
                workshop: serve.workshop,
                attendees,
                limits: serve.workshop.then_some(serve.limits),
            }),
        }
    }
}

/// The routes: the page, the WebSocket, a health check.
pub fn app(state: AppState) -> Router {
    let dist = state.inner.dist.clone();
    let index = dist.join("index.html");
    let page = if index.is_file() {
        Router::new().fallback_service(ServeDir::new(&dist).fallback(ServeFile::new(index)))
    } else {
        Router::new().fallback(get(not_built))
    };
    Router::new()
        .route("/ws", get(websocket))
        .route("/healthz", get(|| async { "ok" }))
        .merge(page)
        .with_state(state)
}

async fn not_built(State(state): State<AppState>) -> Html<String> {
    Html(format!(
        "<!doctype html><title>kafka-demo</title><p>The playground page has not been built: no <code>{}</code>. \
         Run <code>make run</code> (or <code>trunk build</code>) and reload.</p>",
        state.inner.dist.join("index.html").display()
    ))
}

#[derive(serde::Deserialize)]
struct WsQuery {
    token: Option<String>,
}

async fn websocket(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Err(refusal) = admit(
        &headers,
        query.token.as_deref(),
        state.inner.token.as_deref(),
    ) {
        tracing::warn!(reason = refusal.1, "refused a WebSocket");
        return refusal.into_response();
    }
    let tracker = state.inner.sessions.clone();
    upgrade.on_upgrade(move |socket| tracker.track_future(run_socket(socket, state)))
}

/// Decides whether a WebSocket may open: the token when one is set, and the page's own origin.
/// A client that sends no `Origin` is not a browser page, so no other site can be acting through it.
fn admit(
    headers: &HeaderMap,
    given: Option<&str>,
    expected: Option<&str>,
) -> Result<(), (StatusCode, &'static str)> {
    if let Some(expected) = expected {
        if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes())) {
            return Err((StatusCode::UNAUTHORIZED, "missing or wrong token"));
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin.to_str().ok().and_then(|o| {
        o.strip_prefix("http://")
            .or_else(|| o.strip_prefix("https://"))
    });
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => Ok(()),
        _ => Err((StatusCode::FORBIDDEN, "foreign origin")),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Adapts an axum WebSocket to the session loop's text sink and stream.
async fn run_socket(socket: WebSocket, state: AppState) {
    let (sink, stream) = socket.split();
    let sink = sink.with(|frame: session::WsFrame| async move {
        Ok::<_, axum::Error>(match frame {
            session::WsFrame::Text(text) => Message::Text(text.into()),
            session::WsFrame::Binary(bytes) => Message::Binary(bytes.into()),
        })
    });
    let stream = stream.filter_map(|frame| async move {
        match frame {
            Ok(Message::Text(text)) => Some(text.to_string()),
            Ok(Message::Binary(_)) => Some(String::new()),
            _ => None,
        }
    });
    let shutdown = state.inner.shutdown.child_token();
    session::run(Box::pin(sink), Box::pin(stream), state, shutdown).await;
}

/// Polls the services every `every` and publishes changes.
pub fn watch_stack(
    config: Config,
    every: Duration,
    shutdown: CancellationToken,
    tracker: &TaskTracker,
) -> watch::Receiver<StackView> {
    let unknown = shared::protocol::ServiceView {
        address: String::new(),
        up: false,
        problem: Some("checking…".into()),
    };
    let (tx, rx) = watch::channel(StackView {
        kafka: unknown.clone(),
        registry: unknown.clone(),
        spark: unknown,
    });
    tracker.spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {
                    let view = crate::health::snapshot(&config).await;
                    tx.send_if_modified(|current| if *current == view { false } else { *current = view; true });
                }
            }
        }
    });
    rx
}

/// Binds, prints the URL through `announce`, and serves until `shutdown` is cancelled; then
/// waits (a bounded time) for open WebSocket sessions to finish.
pub async fn serve(
    config: Config,
    serve: ServeConfig,
    shutdown: CancellationToken,
    announce: impl FnOnce(&str),
) -> Result<(), ServeError> {
    if !serve.host.is_loopback() && serve.token.is_none() {
        return Err(ServeError::TokenRequired(serve.host));
    }
    let addr = SocketAddr::new(serve.host, serve.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    let background = TaskTracker::new();
    let status = watch_stack(
        config.clone(),
        Duration::from_secs(3),
        shutdown.clone(),
        &background,
    );
    let state = AppState::new(config, &serve, status, shutdown.clone());
    let sessions = state.inner.sessions.clone();
    let token = serve
        .token
        .as_deref()
        .map(|t| format!("?token={t}"))
        .unwrap_or_default();
    announce(&format!("http://{local}/{token}"));
    let stopping = shutdown.clone();
    axum::serve(listener, app(state))
        .with_graceful_shutdown(async move { stopping.cancelled().await })
        .await
        .map_err(ServeError::Serve)?;
    sessions.close();
    background.close();
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        tokio::join!(sessions.wait(), background.wait())
    })
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::HOST,
            HeaderValue::from_str(host).unwrap_or(HeaderValue::from_static("x")),
        );
        if let Some(o) = origin {
            h.insert(
                header::ORIGIN,
                HeaderValue::from_str(o).unwrap_or(HeaderValue::from_static("x")),
            );
        }
        h
    }

    #[test]
    fn same_origin_and_originless_clients_are_admitted() {
        assert!(admit(
            &headers(Some("http://127.0.0.1:38080"), "127.0.0.1:38080"),
            None,
            None
        )
        .is_ok());
        assert!(admit(&headers(None, "127.0.0.1:38080"), None, None).is_ok());
    }

    #[test]
    fn foreign_origins_are_refused() {
        for origin in [
            "http://evil.example",
            "http://127.0.0.1:9999",
            "null",
            "file://",
        ] {
            let refused = admit(&headers(Some(origin), "127.0.0.1:38080"), None, None);
            assert_eq!(
                refused.map_err(|e| e.0),
                Err(StatusCode::FORBIDDEN),
                "{origin}"
            );
        }
    }

    #[test]
    fn a_token_is_required_when_set() {
        let h = headers(Some("http://10.0.0.5:38080"), "10.0.0.5:38080");
        assert_eq!(
            admit(&h, None, Some("s3cret")).map_err(|e| e.0),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert_eq!(
            admit(&h, Some("s3creT"), Some("s3cret")).map_err(|e| e.0),
            Err(StatusCode::UNAUTHORIZED)
        );
        assert!(admit(&h, Some("s3cret"), Some("s3cret")).is_ok());
    }
}
