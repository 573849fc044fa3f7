//! The browser playground's server (`kafka-demo serve`). It serves the trunk-built page at `/`
//! and the typed WebSocket API at `/ws`, holds one session per tab, turns the page's requests
//! into the pipeline's settings and runs workshop rooms.
//!
//! Security: the bridge can write to Kafka, so it binds 127.0.0.1 unless told otherwise, refuses
//! WebSocket upgrades from pages of other origins, and requires a token when bound to any
//! non-loopback address (the page passes it on as `?token=`).

mod clock;
mod dispatch;
mod groups;
mod guide;
mod hosts;
mod jobs;
mod joined;
mod outbox;
mod records;
mod room;
mod schemas;
mod scope;
mod secret;
pub mod session;
mod settings;
mod state;
mod translate;

pub use outbox::WsFrame;
pub use room::RoomFileError;
pub use secret::InstructorKey;
pub use settings::{OfferedCluster, ServeConfig};
pub use state::{AppState, ClusterState};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use futures_util::{SinkExt as _, StreamExt as _};
use pipeline::settings::Config;
use shared::protocol::StackView;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::services::{ServeDir, ServeFile};
use tracing::Instrument as _;

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
    /// The saved workshop room could not be read.
    #[error(transparent)]
    Room(#[from] room::RoomFileError),
}

/// The routes: the page, the WebSocket, a health check, and a token check for the page (a
/// browser cannot see why a WebSocket upgrade was refused, so the page asks here).
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
        .route("/token", get(token_check))
        .merge(page)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            served_host,
        ))
        .with_state(state)
}

/// Serves a request only under a host name the server answers to (see [`hosts`]).
async fn served_host(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    if state.inner.hosts.admits(host) {
        return next.run(request).await;
    }
    let words = state.inner.hosts.refusal(host);
    tracing::warn!(
        host = host.unwrap_or(""),
        "refused a request for a foreign host name"
    );
    (StatusCode::FORBIDDEN, words).into_response()
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
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
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
    // Every line a session logs says whose it is: the peer, and the attendee once they joined.
    let peer = peer.map_or_else(|| "unknown".to_owned(), |p| p.0 .0.to_string());
    let span = tracing::info_span!("session", %peer, attendee = tracing::field::Empty);
    upgrade
        .on_upgrade(move |socket| tracker.track_future(run_socket(socket, state).instrument(span)))
}

/// `GET /token?token=…`: 204 when the WebSocket would take that token (or none is required), 401
/// when it would refuse it, so a page whose socket keeps failing can say its link is wrong.
async fn token_check(State(state): State<AppState>, Query(query): Query<WsQuery>) -> StatusCode {
    token_status(query.token.as_deref(), state.inner.token.as_deref())
}

/// The answer of [`token_check`]: the same comparison the WebSocket's [`admit`] makes.
fn token_status(given: Option<&str>, expected: Option<&str>) -> StatusCode {
    match expected {
        Some(expected)
            if !given
                .is_some_and(|g| secret::constant_time_eq(g.as_bytes(), expected.as_bytes())) =>
        {
            StatusCode::UNAUTHORIZED
        }
        _ => StatusCode::NO_CONTENT,
    }
}

/// Decides whether a WebSocket may open: the token when one is set, and the page's own origin.
/// A client that sends no `Origin` is not a browser page, so no other site can be acting through it.
fn admit(
    headers: &HeaderMap,
    given: Option<&str>,
    expected: Option<&str>,
) -> Result<(), (StatusCode, &'static str)> {
    if token_status(given, expected) == StatusCode::UNAUTHORIZED {
        return Err((StatusCode::UNAUTHORIZED, "missing or wrong token"));
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

/// Adapts an axum WebSocket to the session loop's text sink and stream.
async fn run_socket(socket: WebSocket, state: AppState) {
    let (sink, stream) = socket.split();
    let sink = sink.with(|frame: outbox::WsFrame| async move {
        Ok::<_, axum::Error>(match frame {
            outbox::WsFrame::Text(text) => Message::Text(text.into()),
            outbox::WsFrame::Binary(bytes) => Message::Binary(bytes.into()),
        })
    });
    let stream = stream.filter_map(|frame| async move {
        match frame {
            Ok(Message::Text(text)) => Some(session::Incoming::Text(text.to_string())),
            Ok(Message::Binary(_)) => Some(session::Incoming::Binary),
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
                    let view = pipeline::health::snapshot(&config).await;
                    tx.send_if_modified(|current| if *current == view { false } else { *current = view; true });
                }
            }
        }
    });
    rx
}

/// How long a stopping server waits for its sessions and their jobs to finish (a produce run
/// flushing what it sent, a tail closing its consumer) before it returns regardless.
pub const DRAIN_WAIT: Duration = Duration::from_secs(5);

/// Binds, prints the URL through `announce`, and serves until `shutdown` is cancelled; then
/// waits (a bounded time) for open WebSocket sessions to finish. Sessions start on `default`;
/// outside workshop mode a page may pick one of `others` (each has its own status watch).
pub async fn serve(
    default: OfferedCluster,
    others: Vec<OfferedCluster>,
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
    let watched = |offered: OfferedCluster| {
        let status = watch_stack(
            offered.config.clone(),
            Duration::from_secs(3),
            shutdown.clone(),
            &background,
        );
        ClusterState::new(offered.name, offered.config, status)
    };
    let default = watched(default);
    let others = others.into_iter().map(watched).collect();
    let state = AppState::new(default, others, &serve, shutdown.clone());
    if let (Some(attendees), Some(path)) = (&state.inner.attendees, &serve.room_file) {
        if !serve.new_room {
            let room = room::load(path).await?;
            tracing::info!(path = %path.display(), attendees = room.attendees.len(), "workshop room restored");
            attendees.restore(room);
        }
        background.spawn(room::keep(
            std::sync::Arc::clone(attendees),
            path.clone(),
            shutdown.clone(),
        ));
    }
    let sessions = state.inner.sessions.clone();
    let token = serve
        .token
        .as_deref()
        .map(|t| format!("?token={t}"))
        .unwrap_or_default();
    announce(&format!("http://{local}/{token}"));
    let stopping = shutdown.clone();
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move { stopping.cancelled().await })
        .await
        .map_err(ServeError::Serve)?;
    sessions.close();
    background.close();
    let _ = tokio::time::timeout(DRAIN_WAIT, async {
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
            &headers(Some("http://127.0.0.1:23080"), "127.0.0.1:23080"),
            None,
            None
        )
        .is_ok());
        assert!(admit(&headers(None, "127.0.0.1:23080"), None, None).is_ok());
    }

    #[test]
    fn foreign_origins_are_refused() {
        for origin in [
            "http://evil.example",
            "http://127.0.0.1:9999",
            "null",
            "file://",
        ] {
            let refused = admit(&headers(Some(origin), "127.0.0.1:23080"), None, None);
            assert_eq!(
                refused.map_err(|e| e.0),
                Err(StatusCode::FORBIDDEN),
                "{origin}"
            );
        }
    }

    #[test]
    fn a_token_is_required_when_set() {
        let h = headers(Some("http://10.0.0.5:23080"), "10.0.0.5:23080");
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

    #[test]
    fn the_token_check_answers_as_the_websocket_would() {
        assert_eq!(token_status(None, None), StatusCode::NO_CONTENT);
        assert_eq!(token_status(Some("any"), None), StatusCode::NO_CONTENT);
        assert_eq!(
            token_status(Some("s3cret"), Some("s3cret")),
            StatusCode::NO_CONTENT
        );
        for wrong in [None, Some(""), Some("s3creT"), Some("s3cret ")] {
            assert_eq!(
                token_status(wrong, Some("s3cret")),
                StatusCode::UNAUTHORIZED,
                "{wrong:?}"
            );
        }
    }
}
