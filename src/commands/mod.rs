//! One module per subcommand: each reads its inputs, calls the pipeline, prints.

pub mod check_vision;
pub mod compare;
pub mod completions;
pub mod download;
pub mod evaluate;
pub mod extract;
pub mod merge;
pub mod mock_server;
pub mod prompts;
pub mod report;
pub mod serve;
pub mod validate;

use anyhow::{Context, bail};

use crate::cli::DataArgs;
use liveclin_core::dataset::{DataPaths, Dataset, load_jsonl};

/// Resolves the config's paths and loads its cases, with errors that say what to do.
pub fn load_config(args: &DataArgs) -> anyhow::Result<(Dataset, DataPaths)> {
    let paths = DataPaths::resolve(
        &args.data_dir,
        &args.dataset,
        args.jsonl_path.as_deref(),
        args.image_root.as_deref(),
    );
    if !paths.jsonl.is_file() {
        match &args.jsonl_path {
            Some(path) => bail!("--jsonl-path not found: {}", path.display()),
            None => bail!(
                "dataset config {:?} not found at {} (pass --data-dir to the folder that holds data/{}/, or --jsonl-path)",
                args.dataset,
                paths.jsonl.display(),
                args.dataset
            ),
        }
    }
    let dataset = load_jsonl(&paths.jsonl).context("cannot load the dataset")?;
    Ok((dataset, paths))
}
