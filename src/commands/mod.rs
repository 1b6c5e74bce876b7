//! One module per subcommand: each reads its inputs, calls the pipeline, prints.

pub(crate) mod check_vision;
pub(crate) mod compare;
pub(crate) mod completions;
pub(crate) mod download;
pub(crate) mod estimate;
pub(crate) mod evaluate;
pub(crate) mod extract;
pub(crate) mod merge;
pub(crate) mod mock_server;
pub(crate) mod prompts;
pub(crate) mod report;
pub(crate) mod serve;
pub(crate) mod validate;

use anyhow::{Context, bail};

use crate::cli::DataArgs;
use liveclin_core::dataset::{DataPaths, Dataset, load_jsonl};

/// Resolves the config's paths and loads its cases, with errors that say what to do.
pub(crate) fn load_config(args: &DataArgs) -> anyhow::Result<(Dataset, DataPaths)> {
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
