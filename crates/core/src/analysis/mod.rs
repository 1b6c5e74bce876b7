//! Pure aggregation from results to the official summary, its breakdowns, and what we add
//! beside it.

pub mod bootstrap;
pub mod breakdown;
pub mod compare;
pub mod failures;
pub mod file;
pub mod insight;
pub mod multiturn;
pub mod outcome;
pub mod reading;
pub mod summary;
pub mod tokens;

pub use breakdown::Breakdown;
pub use file::Analysis;
pub use summary::{Summary, summarize, summary_value};
