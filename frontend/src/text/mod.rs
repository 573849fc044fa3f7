//! Text tools for the views: order-preserving JSON layout and a side-by-side line diff.

pub mod diff;
pub mod json;
