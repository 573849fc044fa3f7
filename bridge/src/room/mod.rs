//! Workshop mode's sessions: who has joined under which name, their progress for the bridge's
//! lifetime, the instructor's seat, and the gate every request of a tab passes before it is
//! answered (join first, then stay in your namespace).
//!
//! A name is held by one connected tab at a time; it is free again when that tab's session ends,
//! but the attendee stays on the roster with their progress, so a tab that comes back under the
//! name finds it. Changes reach tabs through channels the sessions watch: each attendee's
//! progress is a `watch` their tab follows, the roster a `watch` instructor tabs follow, and
//! broadcasts a `broadcast` every tab follows. Locks here are std mutexes held only for short,
//! synchronous updates, never across an `.await`.

mod roster;
mod store;
mod tab;
mod words;

pub(crate) use roster::{steps_to_recheck, Attendees, Control};
pub use store::RoomFileError;
pub(crate) use store::{keep, load};
pub(crate) use tab::{Standing, TabEvent};
pub(crate) use words::for_attendee;
