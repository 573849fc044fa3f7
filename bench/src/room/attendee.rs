//! One simulated attendee: a WebSocket client that joins under its name, produces at its limit,
//! tails its topic from the beginning, and sends a light request every so often, timing each
//! answer — what a browser tab in a workshop does, minus the page.

use super::error::LoadError;
use futures_util::{SinkExt as _, StreamExt as _};
use shared::protocol::{
    ClientMessage, ErrorInfo, JobId, ProduceSpec, Push, Request, RequestId, Response,
    ServerMessage, TailFrom, TailSpec, PROTOCOL_VERSION,
};
use shared::workshop::Limits;
use shared::Topic;
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The longest a setup or stop request may wait for its answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);
/// After the run, how long unanswered light requests and the produce run's last update are
/// waited for.
const DRAIN_WITHIN: Duration = Duration::from_secs(15);
/// The topic each attendee produces to and tails (under their prefix).
pub(crate) const TOPIC: &str = "load";

/// The light requests an attendee sends in turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Light {
    /// `StackStatus`, answered from the bridge's memory.
    StackStatus,
    /// `ListSubjects`, answered from the registry.
    ListSubjects,
}

/// What one attendee saw.
#[derive(Debug, Clone, Default)]
pub struct AttendeeLoad {
    /// The attendee's name.
    pub name: String,
    /// Light requests sent.
    pub sent: u64,
    /// Light requests answered with a reply.
    pub answered: u64,
    /// Light requests answered with a failure.
    pub failed: u64,
    /// Round-trip time of every answered light request, with its kind.
    pub latencies: Vec<(Light, Duration)>,
    /// Records the attendee's produce run had acknowledged at its end.
    pub produced: u64,
    /// Records the attendee's tail delivered.
    pub tailed: u64,
}

/// A joined attendee, ready to load the bridge.
pub(crate) struct Attendee {
    socket: Socket,
    next_id: u64,
    /// Light requests in flight, by id, with when they were sent.
    pending: HashMap<RequestId, (Light, Instant)>,
    produce: Option<JobId>,
    produce_finished: bool,
    load: AttendeeLoad,
}

impl Attendee {
    /// Connects to the bridge at `url` (`http://…`), says hello and joins as `name`; also returns
    /// the limits the bridge told.
    pub(crate) async fn join(url: &str, name: &str) -> Result<(Self, Limits), LoadError> {
        let ws = format!("{}/ws", url.replacen("http://", "ws://", 1));
        let (socket, _) = tokio_tungstenite::connect_async(ws)
            .await
            .map_err(|e| LoadError::socket(name, e))?;
        let mut attendee = Self {
            socket,
            next_id: 1,
            pending: HashMap::new(),
            produce: None,
            produce_finished: false,
            load: AttendeeLoad {
                name: name.to_owned(),
                ..AttendeeLoad::default()
            },
        };
        let protocol = PROTOCOL_VERSION;
        let hello = Request::Hello {
            protocol,
            cluster: None,
        };
        attendee.ask("hello", hello).await?;
        let join = Request::Join { name: name.into() };
        match attendee.ask("join", join).await? {
            Response::Joined { limits, .. } => Ok((attendee, limits)),
            other => Err(attendee.unexpected("join", &other)),
        }
    }

    /// Produces at `limits` and tails from the beginning until `until`, sending a light request
    /// every `every` (the first after `offset`), then stops both and reports.
    pub(crate) async fn run(
        mut self,
        limits: Limits,
        until: Instant,
        every: Duration,
        offset: Duration,
    ) -> Result<AttendeeLoad, LoadError> {
        self.start_jobs(limits).await?;
        let mut tick = tokio::time::interval_at(Instant::now() + offset, every);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => break,
                _ = tick.tick() => self.send_light().await?,
                frame = self.socket.next() => {
                    let frame = frame.ok_or_else(|| self.closed())?;
                    let frame = frame.map_err(|e| LoadError::socket(&self.load.name, e))?;
                    self.hear(frame);
                }
            }
        }
        self.stop_jobs().await?;
        let _ = self.socket.close(None).await;
        Ok(self.load)
    }

    async fn start_jobs(&mut self, limits: Limits) -> Result<(), LoadError> {
        let topic = Topic::new(TOPIC).map_err(|e| LoadError::Refused {
            attendee: self.load.name.clone(),
            what: "produce",
            message: e.to_string(),
        })?;
        let spec = ProduceSpec {
            topic: topic.clone(),
            schema: pipeline::produce::DEFAULT_SCHEMA.to_owned(),
            count: None,
            rate: Some(limits.produce_rate),
            seed: 11,
            poison: 0.0,
            duplicates: 0.0,
            late: 0.0,
            partitions: 1,
        };
        match self.ask("produce", Request::StartProduce(spec)).await? {
            Response::ProduceStarted { job, .. } => self.produce = Some(job),
            other => return Err(self.unexpected("produce", &other)),
        }
        let from = TailFrom::Beginning;
        match self
            .ask("tail", Request::StartTail(TailSpec { topic, from }))
            .await?
        {
            Response::TailStarted { .. } => Ok(()),
            other => Err(self.unexpected("tail", &other)),
        }
    }

    /// Stops the produce run (the tail ends with the socket), then waits a bounded time for the
    /// run's last update and for light requests still unanswered.
    async fn stop_jobs(&mut self) -> Result<(), LoadError> {
        if let Some(job) = self.produce {
            self.ask("stop produce", Request::StopProduce { job })
                .await?;
        }
        let deadline = Instant::now() + DRAIN_WITHIN;
        while !(self.produce_finished && self.pending.is_empty()) {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Ok(Some(Ok(frame))) => {
                    self.hear(frame);
                }
                Ok(Some(Err(e))) => return Err(LoadError::socket(&self.load.name, e)),
                Ok(None) => return Err(self.closed()),
                Err(_) => break,
            }
        }
        Ok(())
    }

    /// Sends the next light request: a stack status and a subject list in turn.
    async fn send_light(&mut self) -> Result<(), LoadError> {
        let (light, request) = if self.load.sent.is_multiple_of(2) {
            (Light::StackStatus, Request::StackStatus)
        } else {
            (Light::ListSubjects, Request::ListSubjects)
        };
        let id = self.send(request).await?;
        self.pending.insert(id, (light, Instant::now()));
        self.load.sent += 1;
        Ok(())
    }

    /// Sends a request and waits for its answer, hearing every other frame meanwhile.
    async fn ask(&mut self, what: &'static str, request: Request) -> Result<Response, LoadError> {
        let want = self.send(request).await?;
        let deadline = Instant::now() + ANSWER_WITHIN;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .map_err(|_| LoadError::NoAnswer {
                    attendee: self.load.name.clone(),
                    what,
                })?
                .ok_or_else(|| self.closed())?
                .map_err(|e| LoadError::socket(&self.load.name, e))?;
            match self.hear(frame) {
                Some((id, Ok(response))) if id == want => return Ok(response),
                Some((id, Err(error))) if id == want => return Err(self.refused(what, &error)),
                _ => {}
            }
        }
    }

    async fn send(&mut self, request: Request) -> Result<RequestId, LoadError> {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        let text = serde_json::to_string(&ClientMessage { id, request }).map_err(|e| {
            LoadError::Refused {
                attendee: self.load.name.clone(),
                what: "encode",
                message: e.to_string(),
            }
        })?;
        self.socket
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| LoadError::socket(&self.load.name, e))?;
        Ok(id)
    }

    /// Counts what a frame says; returns the answer to a request that is not a light one.
    fn hear(&mut self, frame: Message) -> Option<(RequestId, Result<Response, ErrorInfo>)> {
        match frame {
            Message::Binary(bytes) => {
                match shared::tail::read(&bytes) {
                    Ok(frame) => self.load.tailed += frame.records.len() as u64,
                    Err(e) => tracing::warn!(error = %e, "a tail frame did not parse"),
                }
                None
            }
            Message::Text(text) => match serde_json::from_str::<ServerMessage>(&text) {
                Ok(message) => self.hear_message(message),
                Err(e) => {
                    tracing::warn!(error = %e, "a frame from the bridge did not parse");
                    None
                }
            },
            _ => None,
        }
    }

    fn hear_message(
        &mut self,
        message: ServerMessage,
    ) -> Option<(RequestId, Result<Response, ErrorInfo>)> {
        let (id, answer) = match message {
            ServerMessage::Reply { id, response } => (id, Ok(response)),
            ServerMessage::Failed { id, error } => (id, Err(error)),
            ServerMessage::Push(Push::Produce(update)) if Some(update.job) == self.produce => {
                self.load.produced = update.acknowledged;
                self.produce_finished |= update.finished.is_some();
                return None;
            }
            ServerMessage::Push(_) => return None,
        };
        let Some((light, sent)) = self.pending.remove(&id) else {
            return Some((id, answer));
        };
        self.load.latencies.push((light, sent.elapsed()));
        match answer {
            Ok(_) => self.load.answered += 1,
            Err(error) => {
                self.load.failed += 1;
                tracing::warn!(attendee = %self.load.name, message = %error.message, "a light request failed");
            }
        }
        None
    }

    fn closed(&self) -> LoadError {
        LoadError::Closed {
            attendee: self.load.name.clone(),
        }
    }

    fn refused(&self, what: &'static str, error: &ErrorInfo) -> LoadError {
        LoadError::Refused {
            attendee: self.load.name.clone(),
            what,
            message: error.message.clone(),
        }
    }

    fn unexpected(&self, what: &'static str, response: &Response) -> LoadError {
        LoadError::Refused {
            attendee: self.load.name.clone(),
            what,
            message: format!("unexpected answer {response:?}"),
        }
    }
}
