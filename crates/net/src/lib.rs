//! Everything of liveclin that talks to other programs: the chat client and its retry
//! policy (`client`), the engine that runs every case as a conversation, crash-safe and
//! resumable (`engine`, with the run's files in `runfiles` and `shard` for several
//! machines), the Hugging Face Hub download (`hub`), the model-server launcher (`serve`),
//! the vision checks (`vision`) and the mock model used by the demo and the tests
//! (`mock`, served by `httpd`, which serves the tests' own servers too). Built on
//! `liveclin-core`; knows nothing of the command line.

pub mod client;
pub mod engine;
pub mod httpd;
pub mod hub;
pub mod mock;
pub mod runfiles;
pub mod serve;
pub mod shard;
pub mod shell;
pub mod signals;
pub mod vision;
