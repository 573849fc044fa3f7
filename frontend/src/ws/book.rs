//! The socket-free half of the bridge connection: numbering requests, matching each reply to
//! the request waiting for it, failing everything that waits when the socket goes, the reconnect
//! backoff and the socket's URL. Pure; tested natively with channels.

use futures::channel::oneshot;
use shared::protocol::{
    ClientMessage, ErrorCode, ErrorInfo, Push, Request, RequestId, Response, ServerMessage,
};
use std::collections::HashMap;
use std::time::Duration;

/// What a request comes back with.
pub type Reply = Result<Response, ErrorInfo>;

/// The first retry waits this long; each further one twice as long, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The requests sent and not yet answered.
#[derive(Debug, Default)]
pub struct RequestBook {
    next: u64,
    waiting: HashMap<RequestId, oneshot::Sender<Reply>>,
}

impl RequestBook {
    /// Numbers `request` and returns its id, the frame to send and where its reply will arrive.
    pub fn open(&mut self, request: Request) -> (RequestId, String, oneshot::Receiver<Reply>) {
        self.next += 1;
        let id = RequestId(self.next);
        let (tx, rx) = oneshot::channel();
        let frame = serde_json::to_string(&ClientMessage { id, request });
        match frame {
            Ok(frame) => {
                self.waiting.insert(id, tx);
                (id, frame, rx)
            }
            Err(e) => {
                let _ = tx.send(Err(ErrorInfo {
                    code: ErrorCode::BadRequest,
                    message: format!("the page could not write its request: {e}"),
                }));
                (id, String::new(), rx)
            }
        }
    }

    /// Routes a frame from the bridge: a reply goes to its waiting request, a push is returned.
    /// Replies nobody waits for any more are dropped.
    pub fn settle(&mut self, frame: &str) -> Result<Option<Push>, serde_json::Error> {
        let (id, reply) = match serde_json::from_str::<ServerMessage>(frame)? {
            ServerMessage::Push(push) => return Ok(Some(push)),
            ServerMessage::Reply { id, response } => (id, Ok(response)),
            ServerMessage::Failed { id, error } => (id, Err(error)),
        };
        if let Some(waiting) = self.waiting.remove(&id) {
            let _ = waiting.send(reply);
        }
        Ok(None)
    }

    /// Answers request `id` with `error` (its frame could not be sent).
    pub fn fail(&mut self, id: RequestId, error: &ErrorInfo) {
        if let Some(waiting) = self.waiting.remove(&id) {
            let _ = waiting.send(Err(error.clone()));
        }
    }

    /// Answers every waiting request with `error` (the socket they were sent on is gone).
    pub fn fail_all(&mut self, error: &ErrorInfo) {
        for (_, waiting) in self.waiting.drain() {
            let _ = waiting.send(Err(error.clone()));
        }
    }

    /// How many requests wait for a reply.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }
}

/// Why a request failed without an answer: the connection dropped.
pub fn connection_lost() -> ErrorInfo {
    ErrorInfo {
        code: ErrorCode::NotConnected,
        message: "The connection to the bridge dropped before it answered. It reconnects by itself; try again in a moment.".into(),
    }
}

/// Why a request was not even sent: there is no open connection.
pub fn not_connected() -> ErrorInfo {
    ErrorInfo {
        code: ErrorCode::NotConnected,
        message: "Not connected to the bridge (is `kafka-demo serve` running?). It reconnects by itself; try again in a moment.".into(),
    }
}

/// How long to wait before connection attempt number `attempt` (0 is the first retry).
pub fn backoff(attempt: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(2u32.saturating_pow(attempt))
        .min(MAX_BACKOFF)
}

/// The bridge's WebSocket address for a page served from `host` over `page_protocol`
/// (`http:` or `https:`), passing on the page's `token` when it has one.
pub fn socket_url(page_protocol: &str, host: &str, token: Option<&str>) -> String {
    let scheme = if page_protocol == "https:" {
        "wss"
    } else {
        "ws"
    };
    match token {
        Some(token) => format!("{scheme}://{host}/ws?token={}", percent_encode(token)),
        None => format!("{scheme}://{host}/ws"),
    }
}

/// The page-relative address of the bridge's token check, with the page's `token` when it has one.
pub fn token_url(token: Option<&str>) -> String {
    match token {
        Some(token) => format!("/token?token={}", percent_encode(token)),
        None => "/token".to_owned(),
    }
}

/// Percent-encodes everything but the URL-safe characters.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::{Example, ServiceView, StackView, PROTOCOL_VERSION};

    fn sent_id(frame: &str) -> u64 {
        let message: ClientMessage =
            serde_json::from_str(frame).unwrap_or_else(|e| panic!("{e}: {frame}"));
        message.id.0
    }

    #[test]
    fn requests_get_distinct_ids_and_the_protocol_shape() {
        let mut book = RequestBook::default();
        let (_, first, _a) = book.open(Request::Hello {
            protocol: PROTOCOL_VERSION,
            cluster: None,
        });
        let (_, second, _b) = book.open(Request::ListSubjects);
        assert_ne!(sent_id(&first), sent_id(&second));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&second).ok(),
            Some(serde_json::json!({"id": sent_id(&second), "request": "list_subjects"}))
        );
        assert_eq!(book.waiting(), 2);
    }

    #[test]
    fn replies_reach_the_request_with_their_id_whatever_the_order() {
        let mut book = RequestBook::default();
        let (_, f1, mut r1) = book.open(Request::ListSubjects);
        let (_, f2, mut r2) = book.open(Request::Example {
            example: Example::ClickV1,
        });
        let failed = format!(
            r#"{{"failed":{{"id":{},"error":{{"code":"not_found","message":"nope"}}}}}}"#,
            sent_id(&f2)
        );
        let reply = format!(
            r#"{{"reply":{{"id":{},"response":{{"subjects":[]}}}}}}"#,
            sent_id(&f1)
        );
        assert_eq!(book.settle(&failed).ok(), Some(None));
        assert_eq!(book.settle(&reply).ok(), Some(None));
        assert_eq!(
            r1.try_recv().ok(),
            Some(Some(Ok(Response::Subjects(vec![]))))
        );
        assert_eq!(
            r2.try_recv()
                .ok()
                .flatten()
                .and_then(Result::err)
                .map(|e| e.message),
            Some("nope".to_owned())
        );
        assert_eq!(book.waiting(), 0);
    }

    #[test]
    fn pushes_are_handed_back_and_strangers_ignored() {
        let mut book = RequestBook::default();
        let service = ServiceView {
            address: "127.0.0.1:23092".into(),
            up: true,
            problem: None,
        };
        let view = StackView {
            kafka: service.clone(),
            registry: service.clone(),
            spark: service,
        };
        let push = serde_json::to_string(&ServerMessage::Push(Push::Stack(view.clone())))
            .unwrap_or_default();
        assert_eq!(book.settle(&push).ok(), Some(Some(Push::Stack(view))));
        let stranger = r#"{"reply":{"id":99,"response":{"subjects":[]}}}"#;
        assert_eq!(book.settle(stranger).ok(), Some(None));
        assert!(book.settle("not json").is_err());
    }

    #[test]
    fn a_dropped_socket_fails_every_waiting_request() {
        let mut book = RequestBook::default();
        let (_, _, mut r1) = book.open(Request::ListSubjects);
        let (_, _, mut r2) = book.open(Request::StackStatus);
        book.fail_all(&connection_lost());
        for r in [&mut r1, &mut r2] {
            let error = r.try_recv().ok().flatten().and_then(Result::err);
            assert_eq!(error.map(|e| e.message), Some(connection_lost().message));
        }
        assert_eq!(book.waiting(), 0);
    }

    #[test]
    fn a_request_that_could_not_be_sent_fails_alone() {
        let mut book = RequestBook::default();
        let (unsent, _, mut r1) = book.open(Request::ListSubjects);
        let (_, sent, mut r2) = book.open(Request::StackStatus);
        book.fail(unsent, &connection_lost());
        let error = r1.try_recv().ok().flatten().and_then(Result::err);
        assert_eq!(error.map(|e| e.message), Some(connection_lost().message));
        assert_eq!(
            r2.try_recv().ok(),
            Some(None),
            "the other request still waits"
        );
        let reply = format!(
            r#"{{"reply":{{"id":{},"response":{{"subjects":[]}}}}}}"#,
            sent_id(&sent)
        );
        assert_eq!(book.settle(&reply).ok(), Some(None));
        assert_eq!(
            r2.try_recv().ok(),
            Some(Some(Ok(Response::Subjects(vec![]))))
        );
    }

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(3), Duration::from_secs(2));
        assert_eq!(backoff(5), Duration::from_secs(5));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn the_token_check_carries_the_pages_token() {
        assert_eq!(token_url(None), "/token");
        assert_eq!(token_url(Some("a b&c")), "/token?token=a%20b%26c");
    }

    #[test]
    fn the_socket_url_follows_the_page() {
        assert_eq!(
            socket_url("http:", "127.0.0.1:23080", None),
            "ws://127.0.0.1:23080/ws"
        );
        assert_eq!(
            socket_url("https:", "demo.example", None),
            "wss://demo.example/ws"
        );
        assert_eq!(
            socket_url("http:", "10.0.0.5:23080", Some("a b&c=d")),
            "ws://10.0.0.5:23080/ws?token=a%20b%26c%3Dd"
        );
    }
}
