//! What every request handler and WebSocket session of one server shares, and the cluster each
//! session works against.

use crate::hosts::AllowedHosts;
use crate::joined::Joined;
use crate::room;
use crate::secret::InstructorKey;
use crate::settings::ServeConfig;
use pipeline::settings::Config;
use shared::protocol::{ErrorCode, ErrorInfo, StackView};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What every request handler and WebSocket session shares, and the cluster of one session: a
/// session starts on the default cluster and may move to another with its `Hello`.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
    /// The cluster this session's requests go to.
    pub(crate) cluster: Arc<ClusterState>,
}

pub(crate) struct Inner {
    /// The `Host` names served.
    pub(crate) hosts: AllowedHosts,
    /// The clusters offered, the default first.
    pub(crate) clusters: Vec<Arc<ClusterState>>,
    pub(crate) token: Option<String>,
    pub(crate) dist: PathBuf,
    pub(crate) sessions: TaskTracker,
    pub(crate) shutdown: CancellationToken,
    pub(crate) workshop: bool,
    /// Workshop mode's attendees and instructor seat; `None` outside workshop mode.
    pub(crate) attendees: Option<Arc<room::Attendees>>,
    /// Each tab's limits: only in workshop mode, where a tab is one attendee.
    pub(crate) limits: Option<shared::workshop::Limits>,
}

/// One cluster the playground offers: its profile's name and settings, its registry client and
/// the live status of its services.
pub struct ClusterState {
    pub(crate) name: String,
    pub(crate) config: Config,
    pub(crate) registry: Option<pipeline::registry::Client>,
    /// The registry's subject list, one call shared by the tabs asking at once.
    pub(crate) subject_names: Joined<Result<Vec<shared::Subject>, ErrorInfo>>,
    pub(crate) status: watch::Receiver<StackView>,
}

impl ClusterState {
    /// The cluster `name` of `config`, whose services' status comes from `status`.
    pub fn new(name: String, config: Config, status: watch::Receiver<StackView>) -> Self {
        Self {
            name,
            registry: pipeline::registry::Client::new(&config.registry).ok(),
            config,
            subject_names: Joined::default(),
            status,
        }
    }
}

impl AppState {
    /// State for a server offering `default` and `others`, sessions starting on `default`.
    pub fn new(
        default: ClusterState,
        others: Vec<ClusterState>,
        serve: &ServeConfig,
        shutdown: CancellationToken,
    ) -> Self {
        let attendees = serve.workshop.then(|| {
            let key = serve
                .instructor_key
                .clone()
                .unwrap_or_else(|| InstructorKey::given_or_made(None));
            Arc::new(room::Attendees::new(key.as_str().to_owned(), serve.limits))
        });
        let default = Arc::new(default);
        let clusters = std::iter::once(Arc::clone(&default))
            .chain(others.into_iter().map(Arc::new))
            .collect();
        Self {
            inner: Arc::new(Inner {
                hosts: AllowedHosts::new(serve.host, &serve.allowed_hosts),
                clusters,
                token: serve.token.clone(),
                dist: serve.dist.clone(),
                sessions: TaskTracker::new(),
                shutdown,
                workshop: serve.workshop,
                attendees,
                limits: serve.workshop.then_some(serve.limits),
            }),
            cluster: default,
        }
    }

    /// The names of the clusters offered, the default first.
    pub(crate) fn cluster_names(&self) -> Vec<String> {
        (self.inner.clusters.iter())
            .map(|c| c.name.clone())
            .collect()
    }

    /// Whether a page may pick another cluster than the default: not in workshop mode, where
    /// the instructor's holds for the room, nor when there is no other.
    pub(crate) fn can_switch(&self) -> bool {
        !self.inner.workshop && self.inner.clusters.len() > 1
    }

    /// This state on cluster `name`, or why a page may not work against it.
    pub(crate) fn on_cluster(&self, name: &str) -> Result<Self, ErrorInfo> {
        let found = self.inner.clusters.iter().find(|c| c.name == name);
        match found {
            Some(cluster) if Arc::ptr_eq(cluster, &self.cluster) => Ok(self.clone()),
            Some(_) if self.inner.workshop => Err(ErrorInfo {
                code: ErrorCode::Forbidden,
                message: format!(
                    "this workshop works against the cluster {:?}; a page cannot pick another",
                    self.cluster.name
                ),
            }),
            Some(cluster) => Ok(Self {
                inner: Arc::clone(&self.inner),
                cluster: Arc::clone(cluster),
            }),
            None => Err(ErrorInfo {
                code: ErrorCode::UnknownCluster,
                message: format!(
                    "the bridge offers no cluster named {name:?}; it offers {}",
                    self.cluster_names().join(", ")
                ),
            }),
        }
    }
}
