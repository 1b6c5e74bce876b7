//! `liveclin download`, and the same download run on demand by the commands that read a
//! config (`evaluate`, `validate`, `prompts`) when it is not on disk yet.

use anyhow::bail;

use crate::cli::{DataArgs, DownloadArgs};
use crate::exit::Exit;
use liveclin_net::hub::download::{Request, Summary, config_dir};
use liveclin_net::hub::record::SourceRecord;
use liveclin_net::hub::{DEFAULT_JOBS, Hub, download};

pub(crate) fn run(args: &DownloadArgs) -> anyhow::Result<Exit> {
    let hub = Hub::new(&args.hub.settings())?;
    let request = Request {
        config: args.dataset.clone(),
        data_dir: args.data_dir.clone(),
        verify: args.verify,
        jobs: args.jobs.into(),
    };
    let summary = tokio::runtime::Runtime::new()?.block_on(download(hub, &request))?;
    writeln!(crate::output::stdout(), "{}", describe(&summary))?;
    Ok(Exit::Success)
}

/// Downloads the config named by `data` if it is not complete on disk: missing (and no
/// `--jsonl-path` given), or left unfinished by an interrupted download. A copy without
/// a download record (a `git clone` or `snapshot_download` of the repo) is used as is.
pub(crate) fn fetch_missing(data: &DataArgs) -> anyhow::Result<()> {
    if data.jsonl_path.is_some() {
        return Ok(());
    }
    let dir = config_dir(&data.data_dir, &data.dataset);
    let jsonl = dir.join(format!("{}.jsonl", data.dataset));
    let unfinished = match SourceRecord::read(&dir)? {
        Some(record) => !record.source.complete,
        None => false,
    };
    if jsonl.is_file() && !unfinished {
        return Ok(());
    }
    let hub = Hub::new(&data.hub.settings())?;
    if hub.offline {
        let state = if unfinished {
            format!("is only partly downloaded in {}", dir.display())
        } else {
            format!("not found at {}", jsonl.display())
        };
        bail!(
            "dataset config {:?} {state}, and HF_HUB_OFFLINE / --offline forbids downloading it. \
             Unset it, or point --data-dir at a copy (a `git clone` of the dataset repo or a \
             `snapshot_download` of it)",
            data.dataset
        );
    }
    eprintln!(
        "Dataset config {:?} {} at {}: downloading it from {}",
        data.dataset,
        if unfinished {
            "is only partly downloaded"
        } else {
            "not found"
        },
        dir.display(),
        hub.repo_page()
    );
    let request = Request {
        config: data.dataset.clone(),
        data_dir: data.data_dir.clone(),
        verify: false,
        jobs: DEFAULT_JOBS.into(),
    };
    let summary = tokio::runtime::Runtime::new()?.block_on(download(hub, &request))?;
    eprintln!("{}", describe(&summary));
    Ok(())
}

/// What happened, in one paragraph.
fn describe(summary: &Summary) -> String {
    let s = &summary.source;
    let mut text = if summary.fetched == 0 {
        format!(
            "Config {} is complete in {}: {} files, nothing to fetch.",
            s.config,
            summary.config_dir.display(),
            summary.present
        )
    } else {
        format!(
            "Fetched {} files ({}) of config {} into {}; {} were already there.",
            summary.fetched,
            indicatif::HumanBytes(summary.fetched_bytes),
            s.config,
            summary.config_dir.display(),
            summary.present
        )
    };
    if !summary.damaged.is_empty() {
        let shown: Vec<&str> = summary
            .damaged
            .iter()
            .take(10)
            .map(String::as_str)
            .collect();
        text += &format!(
            "\n{} local files differed from the listing and were fetched again: {}{}",
            summary.damaged.len(),
            shown.join(", "),
            if summary.damaged.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        );
    }
    text + &format!("\nSource: {}", s.describe())
}
