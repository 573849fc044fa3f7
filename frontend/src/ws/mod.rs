//! The page's connection to the bridge: one [`Bridge`] (provided by context) over a gloo-net
//! WebSocket, with one typed call — send a `Request`, get the reply it calls for or a
//! [`CallError`] — used by every view.
//!
//! [`bridge`] keeps the connection and turns pushes into signals; [`socket`] is the WebSocket;
//! [`book`], [`call`], [`running`] and [`session`] are the socket-free bookkeeping, tested natively; [`probe`]
//! asks the bridge over HTTP why a socket will not open.

pub mod book;
pub mod bridge;
pub mod call;
pub mod probe;
pub mod running;
pub mod session;
pub mod socket;

pub use bridge::{Bridge, Connection, PushHandler, RecordsHandler, Welcome};
pub use call::CallError;
