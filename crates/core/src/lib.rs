//! The typed model of a LiveClin run, from the dataset to the numbers: what a case is
//! and how it is checked (`dataset`), the exact turns sent (`prompt`, `images`), how a
//! reply is read (`scoring`), the results file (`results`), and everything computed
//! from results (`analysis`). Pure: no network, no async runtime, no command line, no
//! terminal, so that scoring and analysis can never reach the network.
//!
//! The pipeline runs left to right: `dataset` (cases) -> `prompt` (turns) -> model ->
//! `scoring` (extraction) -> `results` -> `analysis`.

pub mod analysis;
pub mod cost;
pub mod dataset;
pub mod digest;
pub mod identity;
pub mod images;
pub mod plural;
pub mod prompt;
pub mod pytext;
pub mod results;
pub mod scoring;
pub mod timestamp;
