//! `liveclin serve`: run a model server (SGLang or vLLM) for an evaluation.
//!
//! The flow is launch -> wait until `GET /v1/models` answers -> supervise until Ctrl-C.
//! `launch` knows each engine's command line and how to tell that it is missing, `ready`
//! polls the server, `process` owns the engine process and stops it in two steps
//! (SIGTERM, then SIGKILL of its whole process group after a grace period).

pub mod launch;
pub mod process;
pub mod ready;

pub use launch::{Engine, Launch, ServedModel};
pub use process::{Server, Stopped};
pub use ready::{Probe, api_base};
