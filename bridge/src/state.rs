//! What every request handler and WebSocket session of one server shares.

use crate::hosts::AllowedHosts;
use crate::joined::Joined;
use crate::room;
use crate::secret::InstructorKey;
use crate::settings::ServeConfig;
use pipeline::settings::Config;
use shared::protocol::{ErrorInfo, StackView};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What every request handler and WebSocket session shares.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    /// The `Host` names served.
    pub(crate) hosts: AllowedHosts,
    pub(crate) config: Config,
    pub(crate) registry: Option<pipeline::registry::Client>,
    /// The registry's subject list, one call shared by the tabs asking at once.
    pub(crate) subject_names: Joined<Result<Vec<shared::Subject>, ErrorInfo>>,
    pub(crate) token: Option<String>,
    pub(crate) dist: PathBuf,
    pub(crate) status: watch::Receiver<StackView>,
    pub(crate) sessions: TaskTracker,
    pub(crate) shutdown: CancellationToken,
    pub(crate) workshop: bool,
    /// Workshop mode's attendees and instructor seat; `None` outside workshop mode.
    pub(crate) attendees: Option<Arc<room::Attendees>>,
    /// Each tab's limits: only in workshop mode, where a tab is one attendee.
    pub(crate) limits: Option<shared::workshop::Limits>,
}

impl AppState {
    /// State for a server over `config`, whose stack status comes from `status`.
    pub fn new(
        config: Config,
        serve: &ServeConfig,
        status: watch::Receiver<StackView>,
        shutdown: CancellationToken,
    ) -> Self {
        let registry = pipeline::registry::Client::new(&config.registry).ok();
        let attendees = serve.workshop.then(|| {
            let key = serve
                .instructor_key
                .clone()
                .unwrap_or_else(|| InstructorKey::given_or_made(None));
            Arc::new(room::Attendees::new(key.as_str().to_owned(), serve.limits))
        });
        Self {
            inner: Arc::new(Inner {
                hosts: AllowedHosts::new(serve.host, &serve.allowed_hosts),
                config,
                registry,
                subject_names: Joined::default(),
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
