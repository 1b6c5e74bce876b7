//! The download of one config: pin the commit, list the config (or reuse the recorded
//! listing of the same commit), skip what is already complete, fetch the rest a few
//! files at a time under one progress bar, and record the result next to the data.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::api::HubClient;
use super::fetch::{fetch_file, part_path};
use super::files::{self, Local, RemoteFile, check_local, local_path};
use super::record::{Source, SourceRecord};
use super::{Hub, safe_name};

/// What to download, and where.
#[derive(Debug, Clone)]
pub struct Request {
    pub config: String,
    pub data_dir: PathBuf,
    /// Hash every local file against the listing, not only its size.
    pub verify: bool,
    pub jobs: usize,
}

/// What a download did.
#[derive(Debug)]
pub struct Summary {
    pub source: Source,
    pub config_dir: PathBuf,
    /// Files fetched in this run, and their bytes.
    pub fetched: usize,
    pub fetched_bytes: u64,
    /// Files already complete on disk.
    pub present: usize,
    /// Local files that did not match the listing (wrong size, or wrong hash under
    /// `--verify`); fetched again.
    pub damaged: Vec<String>,
}

/// The folder a config lives in under `--data-dir`.
pub fn config_dir(data_dir: &Path, config: &str) -> PathBuf {
    data_dir.join("data").join(config)
}

/// Brings `data/<config>/` under `request.data_dir` up to the requested revision.
/// Offline, nothing is fetched: the local copy is only checked against its record.
pub async fn download(hub: Hub, request: &Request) -> anyhow::Result<Summary> {
    if !safe_name(&request.config) {
        bail!(
            "--dataset must be a config name like 2025_H1, got {:?}",
            request.config
        );
    }
    let config_dir = config_dir(&request.data_dir, &request.config);
    let recorded = SourceRecord::read(&config_dir)?;
    if hub.offline {
        return check_offline(recorded, request, config_dir).await;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    let client = Arc::new(HubClient::new(hub.clone(), bar.clone())?);
    let commit = client.resolve_revision().await?;
    let endpoint = hub.endpoint.to_string();
    let recorded = recorded.filter(|r| {
        r.source.commit == commit && r.source.repo == hub.repo && r.source.endpoint == endpoint
    });
    let was_complete = recorded.as_ref().is_some_and(|r| r.source.complete);
    let files = match recorded {
        Some(record) => record.files,
        None => list_config(&client, &commit, &request.config).await?,
    };
    let mut record = SourceRecord {
        source: Source {
            repo: hub.repo.clone(),
            revision: hub.revision.clone(),
            commit: commit.clone(),
            endpoint,
            config: request.config.clone(),
            complete: false,
            updated_at: String::new(),
            file_count: 0,
            total_bytes: 0,
        },
        files,
    };
    let plan = plan(
        &request.data_dir,
        &request.config,
        &record.files,
        request.verify,
    )
    .await?;
    if plan.todo.is_empty() {
        if !was_complete {
            record.write(&config_dir, true)?;
        }
    } else {
        // Written before the first byte, so an interrupted download is never mistaken
        // for a finished one.
        record.write(&config_dir, false)?;
        fetch_all(&client, &commit, request, &plan.todo, &bar).await?;
        record.write(&config_dir, true)?;
    }
    Ok(Summary {
        source: record.source,
        config_dir,
        fetched: plan.todo.len(),
        fetched_bytes: plan.todo.iter().map(|f| f.size).sum(),
        present: plan.present,
        damaged: plan.damaged,
    })
}

/// The files of `data/<config>` at `commit`, or an error naming the configs that exist.
async fn list_config(
    client: &HubClient,
    commit: &str,
    config: &str,
) -> anyhow::Result<Vec<RemoteFile>> {
    let folder = format!("data/{config}");
    let entries = client
        .tree(commit, &folder, true)
        .await?
        .unwrap_or_default();
    let files = files::from_listing(entries, config)?;
    if files.is_empty() {
        let configs = match client.tree(commit, "data", false).await {
            Ok(Some(entries)) => entries
                .iter()
                .filter(|e| e.kind == "directory")
                .filter_map(|e| e.path.strip_prefix("data/"))
                .collect::<Vec<_>>()
                .join(", "),
            _ => String::new(),
        };
        let known = if configs.is_empty() {
            "none found".to_string()
        } else {
            configs
        };
        bail!(
            "unknown dataset config {config:?}: {} has no folder {folder}/ at commit {commit}. Configs there: {known}",
            client.hub().repo
        );
    }
    let jsonl = format!("{folder}/{config}.jsonl");
    if !files.iter().any(|f| f.path == jsonl) {
        bail!(
            "{} has a folder {folder}/ but no {jsonl} in it at commit {commit}",
            client.hub().repo
        );
    }
    Ok(files)
}

/// Which files must be fetched.
struct Plan {
    todo: Vec<RemoteFile>,
    present: usize,
    damaged: Vec<String>,
}

/// Compares every listed file with the disk (sizes; hashes too when `verify`), largest
/// first so the slowest transfers start early. Paths are checked again here, the one
/// place before any is used, since a listing may also come from a record on disk.
async fn plan(
    data_dir: &Path,
    config: &str,
    listed: &[RemoteFile],
    verify: bool,
) -> anyhow::Result<Plan> {
    let prefix = files::config_prefix(config);
    for file in listed {
        files::check_path(&file.path, &prefix)?;
    }
    let (data_dir, listed) = (data_dir.to_path_buf(), listed.to_vec());
    tokio::task::spawn_blocking(move || {
        let mut plan = Plan {
            todo: Vec::new(),
            present: 0,
            damaged: Vec::new(),
        };
        for file in listed {
            let path = local_path(&data_dir, &file);
            match check_local(&path, &file, verify)
                .with_context(|| format!("cannot read {}", path.display()))?
            {
                Local::Complete => plan.present += 1,
                Local::Missing => plan.todo.push(file),
                Local::WrongSize(_) | Local::WrongHash => {
                    plan.damaged.push(file.path.clone());
                    plan.todo.push(file);
                }
            }
        }
        plan.todo
            .sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.path.cmp(&b.path)));
        Ok(plan)
    })
    .await?
}

/// Offline: the local copy checked against its record, nothing fetched.
async fn check_offline(
    recorded: Option<SourceRecord>,
    request: &Request,
    config_dir: PathBuf,
) -> anyhow::Result<Summary> {
    let Some(record) = recorded else {
        bail!(
            "offline (HF_HUB_OFFLINE or --offline) and {} holds no download record, so there is nothing to check \
             against; unset HF_HUB_OFFLINE to download",
            config_dir.display()
        );
    };
    let plan = plan(
        &request.data_dir,
        &request.config,
        &record.files,
        request.verify,
    )
    .await?;
    if !plan.todo.is_empty() {
        let shown: Vec<&str> = plan.todo.iter().take(5).map(|f| f.path.as_str()).collect();
        bail!(
            "{} of {} files in {} are missing or differ from the listing of commit {} (e.g. {}); offline \
             (HF_HUB_OFFLINE or --offline), so they were not fetched",
            plan.todo.len(),
            record.files.len(),
            config_dir.display(),
            record.source.commit,
            shown.join(", ")
        );
    }
    Ok(Summary {
        source: record.source,
        config_dir,
        fetched: 0,
        fetched_bytes: 0,
        present: plan.present,
        damaged: plan.damaged,
    })
}

/// Fetches `todo` with `request.jobs` workers under one progress bar of bytes and files.
/// On the first file that cannot be fetched the workers stop taking new files; what
/// finished is kept and the next run resumes the rest.
async fn fetch_all(
    client: &Arc<HubClient>,
    commit: &str,
    request: &Request,
    todo: &[RemoteFile],
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    let already: u64 = todo
        .iter()
        .map(|f| {
            let part = part_path(&local_path(&request.data_dir, f));
            std::fs::metadata(part)
                .map(|m| m.len().min(f.size))
                .unwrap_or(0)
        })
        .sum();
    bar.set_length(todo.iter().map(|f| f.size).sum());
    bar.set_position(already);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:16} {bytes}/{total_bytes}  {binary_bytes_per_sec}  ETA {eta}  {wide_msg}",
        )
        .expect("a valid progress template"),
    );
    if !liveclin_term::quiet() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    let total = todo.len();
    bar.set_message(format!("files 0/{total}"));

    let queue = Arc::new(Mutex::new(todo.iter().cloned().collect::<VecDeque<_>>()));
    let done = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..request.jobs.clamp(1, total) {
        let (client, queue, done, stop, failures, bar) = (
            client.clone(),
            queue.clone(),
            done.clone(),
            stop.clone(),
            failures.clone(),
            bar.clone(),
        );
        let (commit, data_dir) = (commit.to_string(), request.data_dir.clone());
        workers.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let Some(file) = queue.lock().expect("queue lock").pop_front() else {
                    break;
                };
                let url = client.file_url(&commit, &file.path);
                match fetch_file(&client, &url, &file, &local_path(&data_dir, &file), &bar).await {
                    Ok(()) => {
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                        bar.set_message(format!("files {n}/{total}"));
                    }
                    Err(err) => {
                        stop.store(true, Ordering::Relaxed);
                        failures
                            .lock()
                            .expect("failures lock")
                            .push(format!("{err:#}"));
                    }
                }
            }
        });
    }
    while let Some(joined) = workers.join_next().await {
        joined.context("a download worker panicked")?;
    }
    bar.finish_and_clear();
    let failures = std::mem::take(&mut *failures.lock().expect("failures lock"));
    if let Some(first) = failures.first() {
        let fetched = done.load(Ordering::Relaxed);
        return Err(anyhow!(
            "the download of config {:?} is incomplete: {fetched} of {total} files fetched. {first}\n\
             Run the same command again to resume: finished files are kept and partial ones continue \
             where they stopped.",
            request.config
        ));
    }
    Ok(())
}
