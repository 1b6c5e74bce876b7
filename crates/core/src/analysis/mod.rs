//! Pure aggregation from results to the official summary and its breakdowns.

pub mod bootstrap;
pub mod compare;
pub mod failures;
pub mod insight;
pub mod multiturn;
pub mod outcome;
pub mod reading;
pub mod summary;

pub use summary::{Summary, summarize, summary_value};
