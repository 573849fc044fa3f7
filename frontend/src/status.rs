//! The status bar: whether Kafka, the schema registry and Spark Connect answer, live from the
//! bridge's stack pushes, and whether the page is connected to the bridge at all. While the page
//! has no word from the bridge, the services are "unknown", never "down": a bridge that cannot be
//! reached (or a link with a wrong token) says nothing about Kafka.

use crate::ws::bridge::WRONG_TOKEN;
use crate::ws::{Bridge, Connection};
use leptos::prelude::*;
use shared::protocol::{ServiceView, StackView};

/// One light per service, then the connection indicator.
#[component]
pub fn StatusBar() -> impl IntoView {
    view! {
        <nav class="status-bar" aria-label="stack status">
            <Service name="Kafka" testid="status-kafka" pick=|s| &s.kafka/>
            <Service name="Registry" testid="status-registry" pick=|s| &s.registry/>
            <Service name="Spark Connect" testid="status-spark" pick=|s| &s.spark/>
            <ConnectionIndicator/>
        </nav>
    }
}

/// Where a service stands, as the status bar says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Light {
    /// It answered the bridge.
    Up,
    /// The bridge could not reach it.
    Down,
    /// The bridge has not looked yet.
    Checking,
    /// The page has no word from the bridge.
    Unknown,
}

impl Light {
    fn of(service: Option<&ServiceView>) -> Self {
        match service {
            None => Self::Unknown,
            Some(s) if s.up => Self::Up,
            Some(s) if s.problem.as_deref() == Some("checking…") => Self::Checking,
            Some(_) => Self::Down,
        }
    }

    /// What the light says, and its name for styles and tests.
    fn word(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::Checking => "checking",
            Self::Unknown => "unknown",
        }
    }
}

/// A service's light: `data-up` says whether it answered ("unknown" while the page has no word
/// from the bridge), the title says where and why not.
#[component]
fn Service(
    /// What people call it.
    name: &'static str,
    /// The element's test id.
    testid: &'static str,
    /// Which part of the stack view is this service.
    pick: fn(&StackView) -> &ServiceView,
) -> impl IntoView {
    let stack = expect_context::<Bridge>().stack();
    let service = Memo::new(move |_| stack.with(|s| s.as_ref().map(|s| pick(s).clone())));
    let light = move || service.with(|s| Light::of(s.as_ref()));
    let up = move || light() == Light::Up;
    let data_up = move || match light() {
        Light::Up => "true",
        Light::Down => "false",
        Light::Checking | Light::Unknown => "unknown",
    };
    let title = move || service.with(|s| describe(name, s.as_ref()));
    view! {
        <span class="service" class:up=up data-testid=testid data-up=data_up data-light=move || light().word() title=title>
            <span class="dot" aria-hidden="true"></span>
            {name}
            <span class="state">{move || light().word()}</span>
        </span>
    }
}

/// The tooltip of a service's light.
fn describe(name: &str, service: Option<&ServiceView>) -> String {
    let Some(service) = service else {
        return format!("{name}: unknown while the page has no word from the bridge");
    };
    let place = if service.address.is_empty() {
        String::new()
    } else {
        format!(" at {}", service.address)
    };
    match (&service.problem, service.up) {
        (_, true) => format!("{name}{place}: up"),
        (Some(problem), false) => format!("{name}{place}: down ({problem})"),
        (None, false) => format!("{name}{place}: down"),
    }
}

/// "connected", "reconnecting…", then "reconnected: the bridge restarted" for a few seconds
/// after a drop (the bridge's session is new: the jobs it ran for the page were cut off).
/// `data-session` names the bridge session, a new number after every reconnection.
#[component]
fn ConnectionIndicator() -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let connection = bridge.connection();
    let session = bridge.session();
    view! {
        <span
            class="connection"
            data-testid="connection"
            data-state=move || connection.with(|c| c.state())
            data-session=move || session.get().map(|s| s.to_string()).unwrap_or_default()
            title="the page's WebSocket to the bridge; after a reconnection the bridge's session is new, and jobs started before it are cut off"
        >
            {move || connection.with(|c| c.label())}
        </span>
    }
}

/// Under the header, in plain words, why the page has no bridge: its token was refused, or the
/// bridge cannot be reached (the page keeps retrying).
#[component]
pub fn ConnectionProblem() -> impl IntoView {
    let connection = expect_context::<Bridge>().connection();
    let problem = move || {
        match connection.get() {
        Connection::Refused(why) => Some(why),
        Connection::WrongToken => Some(WRONG_TOKEN.to_owned()),
        Connection::Reconnecting {
            unreachable: true, ..
        } => Some(
            "The bridge cannot be reached; retrying. If this lasts, check that kafka-demo serve still runs and that this address is the room's."
                .to_owned(),
        ),
        _ => None,
    }
    };
    move || {
        problem().map(|why| {
            view! { <p class="error connection-problem" role="alert" data-testid="connection-problem">{why}</p> }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tooltip_says_where_and_why() {
        let down = ServiceView {
            address: "127.0.0.1:23092".into(),
            up: false,
            problem: Some("connection refused".into()),
        };
        assert_eq!(
            describe("Kafka", Some(&down)),
            "Kafka at 127.0.0.1:23092: down (connection refused)"
        );
        let checking = ServiceView {
            address: String::new(),
            up: false,
            problem: Some("checking…".into()),
        };
        assert_eq!(
            describe("Kafka", Some(&checking)),
            "Kafka: down (checking…)"
        );
        assert!(describe("Kafka", None).contains("unknown"));
        assert_eq!(Light::of(None).word(), "unknown");
        assert_eq!(Light::of(Some(&checking)).word(), "checking");
        assert_eq!(Light::of(Some(&down)).word(), "down");
    }
}
