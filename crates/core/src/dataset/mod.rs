//! The dataset: schema, loading, path resolution and validation.

pub mod icd;
pub mod load;
pub mod paths;
pub mod schema;
pub mod source;
pub mod taxonomy;
pub mod validate;

pub use load::{Dataset, LoadedCase, load_jsonl};
pub use paths::DataPaths;
pub use schema::Case;
