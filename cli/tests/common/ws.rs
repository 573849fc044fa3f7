//! A `kafka-demo serve` on 127.0.0.1:0 for tests, and WebSocket clients speaking the typed
//! protocol to it.

use bridge::{serve, InstructorKey, ServeConfig};
use futures_util::{SinkExt as _, StreamExt as _};
use pipeline::settings::Config;
use shared::protocol::{
    ClientMessage, ErrorInfo, Push, Request, RequestId, Response, ServerMessage,
};
use shared::workshop::Limits;
use std::path::PathBuf;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_util::sync::CancellationToken;

/// The instructor key of every workshop-mode test server.
pub const INSTRUCTOR_KEY: &str = "test-instructor-key";

/// A running server; cancelled when dropped.
pub struct Server {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The printed URL's query (`?token=…`), or empty.
    pub query: String,
    shutdown: CancellationToken,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Serves `config` on a free loopback port, in workshop mode or not, without a page.
pub async fn start(config: Config, workshop: bool) -> Server {
    start_with_limits(config, workshop, Limits::default()).await
}

/// As [`start`], with workshop limits other than the defaults.
pub async fn start_with_limits(config: Config, workshop: bool, limits: Limits) -> Server {
    serve_with(
        config,
        ServeConfig {
            host: [127, 0, 0, 1].into(),
            port: 0,
            token: None,
            allowed_hosts: Vec::new(),
            dist: PathBuf::from("/nonexistent/kafka-demo-dist"),
            workshop,
            instructor_key: workshop.then(|| InstructorKey::Given(INSTRUCTOR_KEY.into())),
            limits,
            room_file: None,
            new_room: false,
        },
    )
    .await
}

/// Serves `config` (offered as the one cluster, `local`) with `settings` until the returned
/// server is dropped.
pub async fn serve_with(config: Config, settings: ServeConfig) -> Server {
    let shutdown = CancellationToken::new();
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let local = bridge::OfferedCluster {
            name: "local".into(),
            config,
        };
        let result = serve(local, Vec::new(), settings, stop, move |url| {
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

/// A frame from the bridge.
pub enum Frame {
    /// A reply or push.
    Message(ServerMessage),
    /// A tail's records.
    Records(shared::tail::TailFrame),
    /// A ping or pong.
    Other,
}

/// A client of the WebSocket API.
pub struct Client {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
}

impl Client {
    /// Opens a socket as the server's own page would.
    pub async fn connect(server: &Server) -> Result<Self, WsError> {
        let url = format!("{}/ws", server.base.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request()?;
        let origin = HeaderValue::from_str(&server.base).unwrap_or(HeaderValue::from_static("x"));
        request.headers_mut().insert("Origin", origin);
        let (socket, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(Self { socket, next_id: 1 })
    }

    /// Says hello in the page's protocol version; the bridge's welcome, or why not.
    pub async fn hello(&mut self) -> Result<Response, ErrorInfo> {
        self.ask(Request::Hello {
            protocol: shared::protocol::PROTOCOL_VERSION,
            cluster: None,
        })
        .await
    }

    /// The next JSON message, skipping binary frames.
    pub async fn receive(&mut self) -> ServerMessage {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(60), self.socket.next())
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

    /// The next JSON message within `wait`, skipping binary frames; `None` when none came.
    pub async fn receive_within(&mut self, wait: Duration) -> Option<ServerMessage> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return Some(
                        serde_json::from_str(&text)
                            .unwrap_or_else(|e| panic!("bad frame {text}: {e}")),
                    )
                }
                Some(Ok(_)) => continue,
                other => panic!("socket ended: {other:?}"),
            }
        }
    }

    /// The next frame, JSON or a tail's records, or `None` when nothing came within `wait`.
    pub async fn receive_any(&mut self, wait: Duration) -> Option<Frame> {
        let frame = tokio::time::timeout(wait, self.socket.next()).await.ok()?;
        match frame {
            Some(Ok(Message::Text(text))) => Some(Frame::Message(
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad frame {text}: {e}")),
            )),
            Some(Ok(Message::Binary(bytes))) => Some(Frame::Records(
                shared::tail::read(&bytes).unwrap_or_else(|e| panic!("bad tail frame: {e}")),
            )),
            Some(Ok(_)) => Some(Frame::Other),
            other => panic!("socket ended: {other:?}"),
        }
    }

    /// Sends a request and returns its answer, skipping pushes.
    pub async fn ask(&mut self, request: Request) -> Result<Response, ErrorInfo> {
        self.ask_seeing(request, |_| {}).await
    }

    /// Sends a request and returns its answer, handing pushes that arrive meanwhile to `seen`.
    pub async fn ask_seeing(
        &mut self,
        request: Request,
        mut seen: impl FnMut(Push),
    ) -> Result<Response, ErrorInfo> {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        let text = serde_json::to_string(&ClientMessage { id, request }).unwrap_or_default();
        self.socket
            .send(Message::Text(text.into()))
            .await
            .unwrap_or_else(|e| panic!("send: {e}"));
        loop {
            match self.receive().await {
                ServerMessage::Reply { id: got, response } if got == id => return Ok(response),
                ServerMessage::Failed { id: got, error } if got == id => return Err(error),
                ServerMessage::Push(push) => seen(push),
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }
}
