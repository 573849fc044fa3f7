//! The three targets, and the one place that makes a target from its kind.

mod decode;
mod framing;
mod protocol;

pub use decode::DecodeTarget;
pub use framing::FramingTarget;
pub use protocol::ProtocolTarget;

use crate::target::{Target, TargetKind};

/// A fresh target of `kind`.
pub fn make(kind: TargetKind) -> Box<dyn Target> {
    match kind {
        TargetKind::Protocol => Box::new(ProtocolTarget::new()),
        TargetKind::Framing => Box::new(FramingTarget::new()),
        TargetKind::Decode => Box::new(DecodeTarget::new()),
    }
}
