//! Integration tests: one binary, one module per area.

#[cfg(unix)] // SIGKILL
mod batch;
mod case_ids;
mod cli;
#[cfg(unix)] // the examples run under bash and sh
mod clusters;
mod common;
mod compare;
mod conventions;
#[cfg(unix)] // SIGKILL
mod crash;
mod download;
mod endpoints;
mod engine;
mod estimate;
mod extraction;
mod hostile;
mod html;
mod hub_server;
mod loud;
mod pacing;
mod parity;
#[cfg(unix)] // symbolic links
mod pictures;
#[cfg(target_os = "linux")] // stand-in engines are bash scripts; liveness is read from /proc
mod serve;
mod servers;
mod shards;
mod snapshots;
mod tokens;
mod trust;
mod vision;
