//! One WebSocket to the bridge, through gloo-net's futures `WebSocket`: it says when it is open,
//! hands over every text and binary frame in arrival order, writes the frames queued on it, and
//! says once that it closed. It knows nothing of the protocol; dropping the [`Socket`] closes it.

use futures::channel::mpsc;
use futures::future::{self, Either};
use futures::{SinkExt as _, StreamExt as _};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::{Message, State, WebSocketError};
use leptos::logging::warn;
use leptos::task::spawn_local;
use shared::protocol::RequestId;
use std::pin::pin;

/// What a socket tells its owner, in the order it happened.
#[derive(Debug)]
pub enum Event<'a> {
    /// The socket is open: frames may be sent.
    Opened,
    /// A text frame (the protocol's JSON).
    Text(&'a str),
    /// A binary frame (a tail's raw records).
    Binary(&'a [u8]),
    /// The frame of this request could not be written.
    Unsent(RequestId),
    /// The socket closed, or never opened. Said once, last.
    Closed,
}

/// The writing end of an open (or opening) socket. The socket itself lives in a task that
/// ends, closing it, when this is dropped or the bridge closes it.
#[derive(Debug)]
pub struct Socket {
    outbox: mpsc::UnboundedSender<(RequestId, String)>,
    open: bool,
}

impl Socket {
    /// Starts connecting to `url`; `on_event` hears everything that happens to the socket.
    pub fn open(url: &str, on_event: impl Fn(Event<'_>) + 'static) -> Result<Self, String> {
        let ws = WebSocket::open(url).map_err(|e| e.to_string())?;
        let (outbox, queued) = mpsc::unbounded();
        spawn_local(drive(ws, queued, on_event));
        Ok(Self {
            outbox,
            open: false,
        })
    }

    /// Whether [`Event::Opened`] was heard (and the socket is still kept).
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Notes that the socket opened.
    pub fn mark_open(&mut self) {
        self.open = true;
    }

    /// Queues the frame of request `id`; `false` when the socket's task is gone.
    pub fn send(&self, id: RequestId, frame: String) -> bool {
        self.outbox.unbounded_send((id, frame)).is_ok()
    }
}

/// Waits for `ws` to open, then reads and writes until the bridge closes it (telling
/// `on_event`) or the [`Socket`] is dropped (telling nobody: its owner has moved on).
async fn drive(
    mut ws: WebSocket,
    mut queued: mpsc::UnboundedReceiver<(RequestId, String)>,
    on_event: impl Fn(Event<'_>),
) {
    // Ready means open, or failed before opening; only the first is news.
    let ready = future::poll_fn(|cx| ws.poll_ready_unpin(cx)).await;
    if ready.is_ok() && matches!(ws.state(), State::Open) {
        on_event(Event::Opened);
    }
    let (mut sink, mut stream) = ws.split();
    let on_event = &on_event;
    let reader = async move {
        while let Some(frame) = stream.next().await {
            match frame {
                Ok(Message::Text(text)) => on_event(Event::Text(&text)),
                Ok(Message::Bytes(bytes)) => on_event(Event::Binary(&bytes)),
                Err(WebSocketError::ConnectionClose(_)) => break,
                // An error event; the close that follows it ends the socket.
                Err(_) => {}
            }
        }
    };
    let writer = async move {
        while let Some((id, frame)) = queued.next().await {
            if let Err(e) = sink.send(Message::Text(frame)).await {
                warn!("the bridge's socket refused a frame: {e}");
                on_event(Event::Unsent(id));
            }
        }
    };
    if let Either::Left(_) = future::select(pin!(reader), pin!(writer)).await {
        on_event(Event::Closed);
    }
}
