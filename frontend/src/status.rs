//! The status bar: whether Kafka, the schema registry and Spark Connect answer, live from the
//! bridge's stack pushes, and whether the page is connected to the bridge at all. While the page
//! has no word from the bridge, the services are "unknown", never "down": a bridge that cannot be
//! reached (or a link with a wrong token) says nothing about Kafka.
//!
//! It names the cluster the page works against and, when the bridge lets the page pick another
//! (not in workshop mode, where the instructor's holds for the room), offers the others: picking
//! one reloads the page with `?cluster=NAME`, so every view starts afresh against it.

use crate::ws::bridge::WRONG_TOKEN;
use crate::ws::{Bridge, Connection};
use leptos::prelude::*;
use shared::protocol::{ServiceView, StackView};

/// The cluster, one light per service, then the connection indicator.
#[component]
pub fn StatusBar() -> impl IntoView {
    view! {
        <nav class="status-bar" aria-label="stack status">
            <Cluster/>
            <Service name="Kafka" testid="status-kafka" pick=|s| &s.kafka/>
            <Service name="Registry" testid="status-registry" pick=|s| &s.registry/>
            <Service name="Spark Connect" testid="status-spark" pick=|s| &s.spark/>
            <ConnectionIndicator/>
        </nav>
    }
}

/// The cluster the page works against, and the others to pick from when the bridge allows it.
#[component]
fn Cluster() -> impl IntoView {
    let bridge = expect_context::<Bridge>();
    let welcome = bridge.welcome();
    let current = move || welcome.with(|w| w.as_ref().map(|w| w.cluster.clone()));
    let choices = move || {
        welcome.with(|w| {
            w.as_ref()
                .filter(|w| w.can_switch)
                .map(|w| (w.clusters.clone(), w.cluster.clone()))
        })
    };
    let notice = bridge.cluster_notice();
    let pick = move |ev: leptos::ev::Event| {
        let name = event_target_value(&ev);
        if current().as_deref() != Some(name.as_str()) && !switch_to(&name, bridge.jobs_running()) {
            // Not switching: the select shows the current cluster again.
            if let (Some(select), Some(now)) = (select_of(&ev), current()) {
                select.set_value(&now);
            }
        }
    };
    view! {
        {move || current().map(|name| view! {
            <span class="cluster" title="the cluster profile this page works against">
                "cluster "
                <strong data-testid="cluster-name">{name}</strong>
            </span>
        })}
        {move || choices().map(|(clusters, now)| view! {
            <select
                class="cluster-select"
                data-testid="cluster-select"
                aria-label="switch cluster"
                title="work against another cluster: the page reloads"
                on:change=pick
            >
                {clusters.into_iter().map(|name| {
                    let selected = name == now;
                    view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                }).collect_view()}
            </select>
        })}
        {move || notice.get().map(|why| view! {
            <span class="error cluster-notice" role="alert" data-testid="cluster-notice">{why}</span>
        })}
    }
}

/// The select an event came from.
fn select_of(ev: &leptos::ev::Event) -> Option<web_sys::HtmlSelectElement> {
    use wasm_bindgen::JsCast as _;
    ev.target()?.dyn_into::<web_sys::HtmlSelectElement>().ok()
}

/// Reloads the page against cluster `name`, keeping the rest of its address (the token); with
/// `jobs_running`, only once the user agreed that the reload ends them. Whether it reloads.
fn switch_to(name: &str, jobs_running: bool) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    if jobs_running {
        let question = format!(
            "Switching to the cluster {name} reloads the page and ends its running jobs \
             (produce, tail, batch, stream). Switch?"
        );
        if !window.confirm_with_message(&question).unwrap_or(false) {
            return false;
        }
    }
    let location = window.location();
    let search = location.search().unwrap_or_default();
    let Ok(params) = web_sys::UrlSearchParams::new_with_str(&search) else {
        return false;
    };
    params.set("cluster", name);
    location
        .set_search(&String::from(params.to_string()))
        .is_ok()
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
