//! Text tools for the views: order-preserving JSON layout, a side-by-side line diff and counts
//! with thousands separated, and where the bridge keeps a job's files, in words.

pub mod count;
pub mod diff;
pub mod json;
pub mod place;
