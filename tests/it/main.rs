//! Integration tests: one binary, one module per area.

mod cli;
mod common;
mod download;
mod engine;
mod extraction;
mod hub_server;
mod parity;
mod shards;
