//! What leaves a session for the page: replies, pushes and tail frames queue as [`Outgoing`] in
//! the session's outbox, and leave the socket as [`WsFrame`]s.

use futures_util::Sink;
use shared::protocol::ServerMessage;
use std::pin::Pin;

/// A WebSocket frame to the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsFrame {
    /// A JSON [`ServerMessage`].
    Text(String),
    /// A tail's records (see [`shared::tail`]).
    Binary(Vec<u8>),
}

/// What the session's writer sends: messages, and binary frames from tails.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// A reply or push.
    Message(ServerMessage),
    /// A tail frame, sent as is.
    Binary(Vec<u8>),
    /// A text frame in a shape other than the current protocol's, sent as is: the refusal of an
    /// older page's greeting, written the way that page reads.
    Text(String),
}

/// Outgoing frames.
pub(crate) type FrameSink = Pin<Box<dyn Sink<WsFrame, Error = axum::Error> + Send>>;
