//! liveclin: the LiveClin clinical benchmark harness.
//!
//! The pipeline runs left to right: `dataset` (cases) -> `prompt` (turns) -> model ->
//! `scoring` (extraction) -> `results` -> `analysis` -> `report`.

pub mod analysis;
pub mod cli;
pub mod client;
pub mod commands;
pub mod dataset;
pub mod engine;
pub mod hub;
pub mod images;
pub mod mock;
pub mod prompt;
pub mod pytext;
pub mod report;
pub mod results;
pub mod scoring;
pub mod serve;
pub mod shard;
pub mod shell;
pub mod vision;
