//! liveclin: the LiveClin clinical benchmark harness.
//!
//! The pipeline runs left to right: `dataset` (cases) -> `prompt` (turns) -> model ->
//! `scoring` (extraction) -> `results` -> `analysis` -> `report`.

pub mod analysis;
pub mod cli;
pub mod client;
pub mod commands;
pub mod dataset;
pub mod demo;
pub mod digest;
pub mod engine;
pub mod exit;
pub mod hub;
pub mod identity;
pub mod images;
pub mod mock;
pub mod output;
pub mod plural;
pub mod prompt;
pub mod pytext;
pub mod report;
pub mod results;
pub mod runfiles;
pub mod scoring;
pub mod serve;
pub mod shard;
pub mod shell;
pub mod signals;
pub mod term;
pub mod vision;
