//! The page's one connection to the bridge, provided to every component by context as a
//! [`Bridge`]: typed requests that resolve with their own reply, pushes turned into signals, and
//! reconnection with backoff when the bridge goes away.
//!
//! The socket itself is [`super::socket`]'s (gloo-net); requests are numbered and matched to
//! their replies by [`super::book`]; [`Bridge::call`] is the one typed way to ask the bridge
//! something, with [`super::call`]'s deadline and errors.
//!
//! Every socket gets an epoch; events from a socket that has been replaced are ignored, so a late
//! `close` of an old socket cannot tear down a new one. Requests are only sent on an open socket
//! and fail with a plain sentence when that socket closes before answering.
//!
//! A browser cannot see why a WebSocket failed to open, so after every failure the page asks the
//! bridge over plain HTTP (`GET /token?token=…`): no answer at all means the bridge cannot be
//! reached (the page keeps retrying and says so), a 401 means the link's token is wrong (the page
//! says so and stops retrying: the token is in its address and cannot change by itself).
//!
//! Each socket opens with `Hello`, naming the cluster of the page's `?cluster=` if it has one;
//! the bridge's [`Welcome`] says whether it runs in workshop mode, which clusters it offers and
//! which one the session works against. A cluster the bridge refuses leaves a notice
//! ([`Bridge::cluster_notice`]) and the page greets it again without one: it works against the
//! bridge's default.
//! [`Bridge::online`] turns true only once the socket is admitted: at once outside workshop
//! mode, after `Join` (or `Instruct`) in it — so the playground's sections never send a request
//! the bridge would refuse before the tab has a name.
//!
//! A session is the bridge's side of one socket: the jobs the page starts belong to it, are
//! numbered by it and end with it. [`Bridge::session`] names the current one, and
//! [`Bridge::session_now`] the one whose frame is being handled, so views key their jobs by
//! session (see [`super::session`]).

use super::book::{self, RequestBook};
use super::call::{self, CallError};
use super::probe;
use super::running::{self, Running};
use super::socket::{Event, Socket};
use futures::channel::oneshot;
use futures::future::{self, Either};
use leptos::logging::warn;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::protocol::{
    ErrorCode, Push, Request, RequestId, Response, StackView, PROTOCOL_VERSION,
};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::time::Duration;

/// Where a tail's binary frames go.
pub type RecordsHandler = Rc<dyn Fn(&[u8])>;
/// Something that hears every push as it arrives (none is missed, unlike a signal read later).
pub type PushHandler = Rc<dyn Fn(&Push)>;

/// How long "reconnected" stays up before the indicator settles on "connected".
const NOTICE: Duration = Duration::from_secs(6);

/// What the page says when the bridge refuses its token.
pub const WRONG_TOKEN: &str =
    "This link's token is wrong or missing — ask for the room's link (it ends in ?token=…).";

/// Where the connection stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// The first attempt is under way.
    Connecting,
    /// Open; `reconnected` while the notice that it came back is shown.
    Open {
        /// The connection came back after a drop.
        reconnected: bool,
    },
    /// The bridge went away (or never answered); retrying.
    Reconnecting {
        /// Attempts so far.
        attempt: u32,
        /// The bridge did not answer plain HTTP either: it cannot be reached (down, or the
        /// network is in the way), as opposed to not known yet.
        unreachable: bool,
    },
    /// The bridge refused the page (another protocol version); no more retries.
    Refused(String),
    /// The bridge refused the token in the page's address; no more retries (the address cannot
    /// change by itself).
    WrongToken,
}

impl Connection {
    /// What the indicator says.
    pub fn label(&self) -> String {
        match self {
            Self::Connecting => "connecting…".into(),
            Self::Open { reconnected: false } => "connected".into(),
            Self::Open { reconnected: true } => "reconnected: the bridge restarted".into(),
            Self::Reconnecting {
                unreachable: false, ..
            } => "reconnecting…".into(),
            Self::Reconnecting {
                unreachable: true, ..
            } => "the bridge cannot be reached; retrying…".into(),
            Self::Refused(why) => why.clone(),
            Self::WrongToken => "token refused".into(),
        }
    }

    /// Whether the page gave up on the bridge: it refused the page, and trying again would not
    /// change that.
    pub fn gave_up(&self) -> bool {
        matches!(self, Self::Refused(_) | Self::WrongToken)
    }

    /// A stable name for styling and tests.
    pub fn state(&self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Open { .. } => "open",
            Self::Reconnecting { .. } => "reconnecting",
            Self::Refused(_) | Self::WrongToken => "refused",
        }
    }
}

/// What the bridge said when it greeted the current socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Welcome {
    /// Whether the bridge runs in workshop mode, where a tab joins before anything else.
    pub workshop: bool,
    /// The clusters the bridge offers, its default first.
    pub clusters: Vec<String>,
    /// The cluster this session works against.
    pub cluster: String,
    /// Whether the page may switch to another of `clusters`.
    pub can_switch: bool,
    /// Which socket this was said on: a new value after every reconnection.
    pub session: u32,
}

/// The typed connection to the bridge. Cheap to copy; every component takes it from context.
#[derive(Clone, Copy)]
pub struct Bridge {
    connection: RwSignal<Connection>,
    online: Memo<bool>,
    welcome: RwSignal<Option<Welcome>>,
    session: Memo<Option<u32>>,
    admitted: RwSignal<bool>,
    stack: RwSignal<Option<StackView>>,
    cluster_notice: RwSignal<Option<String>>,
    running: StoredValue<Running, LocalStorage>,
    push_handlers: StoredValue<Vec<PushHandler>, LocalStorage>,
    records: StoredValue<Option<RecordsHandler>, LocalStorage>,
    link: StoredValue<Link, LocalStorage>,
}

/// The socket-side state, reachable only from the page's thread.
#[derive(Default)]
struct Link {
    epoch: u32,
    socket: Option<Socket>,
    book: RequestBook,
    attempt: u32,
    opened_before: bool,
}

impl Bridge {
    /// Starts connecting to the bridge that served the page.
    pub fn start() -> Self {
        let connection = RwSignal::new(Connection::Connecting);
        let admitted = RwSignal::new(false);
        let welcome = RwSignal::new(None::<Welcome>);
        let bridge = Self {
            connection,
            online: Memo::new(move |_| {
                admitted.get() && matches!(connection.get(), Connection::Open { .. })
            }),
            welcome,
            session: Memo::new(move |_| welcome.with(|w| w.as_ref().map(|w| w.session))),
            admitted,
            stack: RwSignal::new(None),
            cluster_notice: RwSignal::new(None),
            running: StoredValue::new_local(Running::default()),
            push_handlers: StoredValue::new_local(Vec::new()),
            records: StoredValue::new_local(None),
            link: StoredValue::new_local(Link::default()),
        };
        bridge.connect();
        bridge
    }

    /// Where the connection stands.
    pub fn connection(self) -> Signal<Connection> {
        self.connection.into()
    }

    /// Whether the playground's requests can be sent now: the socket is open, the bridge
    /// greeted it and, in workshop mode, the tab has joined. Changes only when that does.
    pub fn online(self) -> Memo<bool> {
        self.online
    }

    /// The bridge's greeting on the current socket; `None` while there is none.
    pub fn welcome(self) -> Signal<Option<Welcome>> {
        self.welcome.into()
    }

    /// The session of the current socket, once the bridge greeted it; `None` while there is
    /// none. A job started in one session is gone once this names another (or none).
    pub fn session(self) -> Memo<Option<u32>> {
        self.session
    }

    /// The session whose frames are being heard now (untracked): inside a push or records
    /// handler, the session that pushed. Frames of a replaced socket never reach the handlers.
    pub fn session_now(self) -> u32 {
        self.link.try_with_value(|link| link.epoch).unwrap_or(0)
    }

    /// Lets the playground's requests through on the socket of `session` (a [`Welcome`]'s),
    /// if it is still the current one: called once a workshop tab has joined (outside workshop
    /// mode the greeting does it).
    pub fn admit(self, session: u32) {
        if self.current(session) {
            self.admitted.set(true);
        }
    }

    /// The stack's state as last pushed by the bridge; `None` while not connected.
    pub fn stack(self) -> Signal<Option<StackView>> {
        self.stack.into()
    }

    /// Why the bridge refused the cluster the page's address names (the page then works
    /// against the bridge's default); `None` when it did not.
    pub fn cluster_notice(self) -> Signal<Option<String>> {
        self.cluster_notice.into()
    }

    /// Whether a job the page started (produce, tail, batch, stream) runs in the current
    /// session (untracked): leaving the page would cut it off.
    pub fn jobs_running(self) -> bool {
        self.running.try_with_value(Running::any).unwrap_or(false)
    }

    /// Calls `handler` with every push from now on, in arrival order.
    pub fn on_push(self, handler: PushHandler) {
        self.push_handlers.update_value(|all| all.push(handler));
    }

    /// Where binary tail frames go from now on (one handler: the Consume section's).
    pub fn on_records(self, handler: RecordsHandler) {
        self.records.set_value(Some(handler));
    }

    /// Sends `request` and resolves with what `pick` takes out of its reply (matched to it by
    /// the request's id), or with a [`CallError`]: the bridge's failure, no open connection or
    /// one that drops before the answer, no answer within the request's deadline, or a reply
    /// `pick` does not take (another kind than the request calls for).
    pub fn call<T>(
        self,
        request: Request,
        pick: impl FnOnce(Response) -> Option<T> + 'static,
    ) -> impl Future<Output = Result<T, CallError>> + 'static {
        let deadline = call::deadline(&request);
        let stopped = running::stops(&request);
        let reply = self.request(request);
        async move {
            match within(deadline, reply).await {
                Some(reply) => {
                    if let Ok(response) = &reply {
                        self.running
                            .try_update_value(|r| r.replied(stopped, response));
                    }
                    call::settle(reply, pick)
                }
                None => Err(CallError::TimedOut(deadline)),
            }
        }
    }

    /// Sends `request` and resolves with its reply, or with a plain-worded error when there is
    /// no open connection or it drops before the bridge answers.
    fn request(self, request: Request) -> impl Future<Output = book::Reply> + 'static {
        let receiver = self
            .link
            .try_update_value(|link| link.submit(request))
            .flatten();
        async move {
            match receiver {
                Some(receiver) => receiver
                    .await
                    .unwrap_or_else(|_| Err(book::connection_lost())),
                None => Err(book::not_connected()),
            }
        }
    }

    fn connect(self) {
        if self.connection.get_untracked().gave_up() {
            return;
        }
        let Some(epoch) = self.link.try_update_value(|link| {
            link.epoch = link.epoch.wrapping_add(1);
            link.epoch
        }) else {
            return;
        };
        match Socket::open(&page_socket_url(), move |event| self.heard(epoch, event)) {
            Ok(socket) => {
                self.link
                    .try_update_value(|link| link.socket = Some(socket));
            }
            Err(e) => {
                warn!("cannot open the bridge's WebSocket: {e}");
                self.closed(epoch);
            }
        }
    }

    /// Takes what the socket of `epoch` says, unless another socket has replaced it.
    fn heard(self, epoch: u32, event: Event<'_>) {
        if !self.current(epoch) {
            return;
        }
        match event {
            Event::Opened => self.opened(epoch),
            Event::Text(frame) => self.received(frame),
            Event::Binary(bytes) => self.received_binary(bytes),
            Event::Unsent(id) => self.unsent(id),
            Event::Closed => self.closed(epoch),
        }
    }

    fn current(self, epoch: u32) -> bool {
        self.link
            .try_with_value(|link| link.epoch == epoch)
            .unwrap_or(false)
    }

    fn opened(self, epoch: u32) {
        let reconnected = self
            .link
            .try_update_value(|link| {
                link.attempt = 0;
                if let Some(socket) = &mut link.socket {
                    socket.mark_open();
                }
                std::mem::replace(&mut link.opened_before, true)
            })
            .unwrap_or(false);
        self.running.try_update_value(Running::clear);
        let wanted = page_cluster();
        let hello = self.hello(epoch, wanted.clone());
        self.connection.set(Connection::Open { reconnected });
        spawn_local(async move {
            match hello.await {
                Err(CallError::Failed(refusal))
                    if wanted.is_some()
                        && matches!(
                            refusal.code,
                            ErrorCode::UnknownCluster | ErrorCode::Forbidden
                        ) =>
                {
                    // The address names a cluster the bridge does not let this page use: say
                    // so, and work against its default.
                    self.cluster_notice.set(Some(refusal.message));
                    let again = self.hello(epoch, None).await;
                    self.greeted(epoch, again);
                }
                first => self.greeted(epoch, first),
            }
        });
        if reconnected {
            set_timeout(move || self.settle_notice(epoch), NOTICE);
        }
    }

    /// Says `Hello` on the socket of `epoch`, asking for `cluster`.
    fn hello(
        self,
        epoch: u32,
        cluster: Option<String>,
    ) -> impl Future<Output = Result<Welcome, CallError>> + 'static {
        self.call(
            Request::Hello {
                protocol: PROTOCOL_VERSION,
                cluster,
            },
            move |reply| match reply {
                Response::Welcome {
                    workshop,
                    clusters,
                    cluster,
                    can_switch,
                    ..
                } => Some(Welcome {
                    workshop,
                    clusters,
                    cluster,
                    can_switch,
                    session: epoch,
                }),
                _ => None,
            },
        )
    }

    /// Takes the answer to the `Hello` of the socket of `epoch`.
    fn greeted(self, epoch: u32, answer: Result<Welcome, CallError>) {
        match answer {
            Ok(welcome) => self.welcomed(epoch, welcome),
            Err(CallError::Failed(refusal)) if refusal.code == ErrorCode::ProtocolMismatch => {
                self.refuse(Connection::Refused(refusal.message));
            }
            Err(CallError::Unexpected) => warn!("the bridge answered Hello with another reply"),
            Err(_) => {}
        }
    }

    fn welcomed(self, epoch: u32, welcome: Welcome) {
        if !self.current(epoch) {
            return;
        }
        let workshop = welcome.workshop;
        self.welcome.set(Some(welcome));
        if !workshop {
            self.admit(epoch);
        }
    }

    fn settle_notice(self, epoch: u32) {
        if self.current(epoch)
            && self.connection.get_untracked() == (Connection::Open { reconnected: true })
        {
            self.connection.set(Connection::Open { reconnected: false });
        }
    }

    /// Gives up on the bridge for good: drops the socket (its `close` will not be heard, so the
    /// requests still waiting are failed here) and stops reconnecting.
    fn refuse(self, why: Connection) {
        self.connection.set(why);
        self.stack.set(None);
        self.welcome.set(None);
        self.admitted.set(false);
        self.link.try_update_value(|link| {
            link.epoch = link.epoch.wrapping_add(1);
            link.socket = None;
            link.book.fail_all(&book::connection_lost());
        });
    }

    fn received(self, frame: &str) {
        let settled = self.link.try_update_value(|link| link.book.settle(frame));
        if let Some(Ok(Some(push))) = &settled {
            self.running.try_update_value(|r| r.pushed(push));
            let handlers = self.push_handlers.get_value();
            for handler in &handlers {
                handler(push);
            }
        }
        match settled {
            Some(Ok(Some(Push::Stack(view)))) => self.stack.set(Some(view)),
            Some(Err(e)) => warn!("ignored a frame the page does not understand: {e}"),
            _ => {}
        }
    }

    fn received_binary(self, bytes: &[u8]) {
        if let Some(handler) = self.records.get_value() {
            handler(bytes);
        }
    }

    /// The frame of request `id` could not be written: it fails alone.
    fn unsent(self, id: RequestId) {
        self.link
            .try_update_value(|link| link.book.fail(id, &book::connection_lost()));
    }

    fn closed(self, epoch: u32) {
        if !self.current(epoch) {
            return;
        }
        let attempt = self
            .link
            .try_update_value(|link| {
                link.socket = None;
                link.book.fail_all(&book::connection_lost());
                let attempt = link.attempt;
                link.attempt = link.attempt.saturating_add(1);
                attempt
            })
            .unwrap_or(0);
        self.stack.set(None);
        self.welcome.set(None);
        self.admitted.set(false);
        if self.connection.get_untracked().gave_up() {
            return;
        }
        let unreachable = matches!(
            self.connection.get_untracked(),
            Connection::Reconnecting {
                unreachable: true,
                ..
            }
        );
        self.connection.set(Connection::Reconnecting {
            attempt: attempt.saturating_add(1),
            unreachable,
        });
        spawn_local(async move { self.probed(epoch, probe::ask(&page_token_url()).await) });
        set_timeout(move || self.connect(), book::backoff(attempt));
    }

    /// Takes what the bridge's HTTP side said after the socket of `epoch` failed, unless a
    /// newer socket has opened since.
    fn probed(self, epoch: u32, answer: probe::Answer) {
        let Connection::Reconnecting { attempt, .. } = self.connection.get_untracked() else {
            return;
        };
        if !self.current(epoch) && !self.current(epoch.wrapping_add(1)) {
            return;
        }
        match answer {
            probe::Answer::WrongToken => self.refuse(Connection::WrongToken),
            probe::Answer::Unreachable => self.connection.set(Connection::Reconnecting {
                attempt,
                unreachable: true,
            }),
            probe::Answer::Reachable => self.connection.set(Connection::Reconnecting {
                attempt,
                unreachable: false,
            }),
        }
    }
}

impl Link {
    /// Queues `request` on the socket if it is open; `None` if there is none.
    fn submit(&mut self, request: Request) -> Option<oneshot::Receiver<book::Reply>> {
        let socket = self.socket.as_ref().filter(|s| s.is_open())?;
        let (id, frame, receiver) = self.book.open(request);
        if !socket.send(id, frame) {
            warn!("the bridge's socket is gone");
            self.book.fail(id, &book::connection_lost());
        }
        Some(receiver)
    }
}

/// Resolves with `reply`, or with `None` once `deadline` has passed.
async fn within<T>(deadline: Duration, reply: impl Future<Output = T>) -> Option<T> {
    let (expired, timer) = oneshot::channel::<()>();
    let handle = set_timeout_with_handle(
        move || {
            let _ = expired.send(());
        },
        deadline,
    )
    .ok();
    let outcome = match future::select(pin!(reply), timer).await {
        Either::Left((reply, _)) => Some(reply),
        Either::Right((Ok(()), _)) => None,
        // No timer could be set: wait as long as it takes.
        Either::Right((Err(_), reply)) => Some(reply.await),
    };
    if let Some(handle) = handle {
        handle.clear();
    }
    outcome
}

/// `ws(s)://{host}/ws` for the page's own host, with the page's `?token=` passed on.
fn page_socket_url() -> String {
    let (protocol, host, token) = page_place();
    book::socket_url(&protocol, &host, token.as_deref())
}

/// `/token?token=…` on the page's own host: where the page asks whether its token is right.
fn page_token_url() -> String {
    let (_, _, token) = page_place();
    book::token_url(token.as_deref())
}

/// The cluster the page's address asks for (`?cluster=`), if any.
fn page_cluster() -> Option<String> {
    let search = web_sys::window().and_then(|w| w.location().search().ok())?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get("cluster")
        .filter(|name| !name.is_empty())
}

/// The page's protocol, host and `?token=`.
fn page_place() -> (String, String, Option<String>) {
    let location = web_sys::window().map(|w| w.location());
    let read = |f: fn(&web_sys::Location) -> Result<String, wasm_bindgen::JsValue>| {
        location
            .as_ref()
            .and_then(|l| f(l).ok())
            .unwrap_or_default()
    };
    let token = web_sys::UrlSearchParams::new_with_str(&read(web_sys::Location::search))
        .ok()
        .and_then(|params| params.get("token"));
    (
        read(web_sys::Location::protocol),
        read(web_sys::Location::host),
        token,
    )
}
