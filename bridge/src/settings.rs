//! How the playground is served: the server's own settings, filled by the command line.

use crate::secret::InstructorKey;
use pipeline::settings::Config;
use std::net::IpAddr;
use std::path::PathBuf;

/// How the playground is served.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to bind.
    pub host: IpAddr,
    /// Port to bind (0 picks a free one).
    pub port: u16,
    /// Required from every WebSocket client when set; mandatory off loopback.
    pub token: Option<String>,
    /// The trunk-built frontend (`dist/`).
    pub dist: PathBuf,
    /// Host names served besides the loopback names and the bound address (`--allowed-host`).
    pub allowed_hosts: Vec<String>,
    /// Workshop mode: each tab joins with a name and is kept to its namespace.
    pub workshop: bool,
    /// Workshop mode: the key that opens the instructor's seat (a random one when `None`).
    pub instructor_key: Option<InstructorKey>,
    /// Workshop mode: what each attendee may use at once (ignored outside workshop mode).
    pub limits: shared::workshop::Limits,
    /// Workshop mode: the file the room is kept in across restarts (attendees, their progress
    /// and its evidence); `None` keeps it in memory only.
    pub room_file: Option<PathBuf>,
    /// Workshop mode: start with an empty room even when `room_file` holds one (it is
    /// overwritten at the first change).
    pub new_room: bool,
}

/// A cluster the playground offers: a connection profile's name and settings.
#[derive(Debug, Clone)]
pub struct OfferedCluster {
    /// What the page calls it (the profile's name).
    pub name: String,
    /// Where its Kafka, registry and Spark are.
    pub config: Config,
}
