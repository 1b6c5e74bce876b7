//! Batch mode (`evaluate --batch`): the config in rounds through a provider's Files and
//! Batches API, at half the price of live calls and hours instead of minutes.
//!
//! Round k holds the next turn of every case whose earlier turns are answered (a case has
//! at most 6, so a run is a handful of rounds). A round is written as request files
//! (`requests`), each uploaded and made a batch, polled with backoff until every batch is
//! final, and its output and error files are read back as live replies are: through the
//! client's `classify`, the engine's records and the same journal, so resume, the results
//! file and every analysis are a live run's.
//!
//! Crash safety: a file's id is journalled (and fsync'd) as soon as the upload returns,
//! a batch's id as soon as it is created, and a batch is marked recorded once its results
//! are journalled. A resumed run first submits the journalled files that have no batch
//! (after looking for one the lost answer may have made: `api::submit`), then polls every
//! batch not yet recorded, and only then builds the next round from what is answered: no
//! request is submitted twice. A request that failed or expired goes into the next round
//! (a new try; after `--max-retries` tries it fails as a live question does).

pub(crate) mod api;
mod requests;
pub(crate) mod wire;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use super::case::replay;
use super::record::{answered, case_record};
use super::{Engine, Plan, RunOutcome};
use crate::client::{ChatClient, Conversation, EMPTY_REPLY, Outcome, Secret, classify};
use api::BatchApi;
use liveclin_core::dataset::LoadedCase;
use liveclin_core::results::{CaseRecord, McqRecord};
use wire::{BatchObject, BatchStatus, ResultLine};

/// A step of batch mode, journalled the moment it happens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A request file was uploaded (not yet a batch).
    Uploaded {
        file_id: String,
        requests: usize,
        /// When, in Unix seconds (0 when not known).
        #[serde(default)]
        uploaded_at: u64,
    },
    /// A batch was created from the file.
    Submitted { file_id: String, batch_id: String },
    /// Every result of the batch is journalled.
    Recorded { batch_id: String },
}

/// How many files and batches of an earlier run are still with the provider: uploaded
/// files never made into a batch, and batches whose results were not all journalled. A
/// live resume would ask (and pay for) their requests a second time; only `--batch
/// --resume` collects them.
pub fn pending(events: &[Event]) -> usize {
    let mut open = std::collections::HashSet::new();
    for event in events {
        match event {
            Event::Uploaded { file_id, .. } => {
                open.insert(file_id.clone());
            }
            Event::Submitted { file_id, batch_id } => {
                open.remove(file_id);
                open.insert(batch_id.clone());
            }
            Event::Recorded { batch_id } => {
                open.remove(batch_id);
            }
        }
    }
    open.len()
}

/// How the files `--batch-export` writes are named (`liveclin-requests-1.jsonl`, ...).
const EXPORT_PREFIX: &str = "liveclin-requests-";

/// How batch mode runs.
#[derive(Debug, Clone)]
pub struct BatchSettings {
    /// The longest wait between two polls of a batch (`--batch-poll-max`).
    pub poll_max: Duration,
    /// Ask a request that failed or expired in its batch live, at once, instead of in
    /// the next round (`--batch-fallback live`): no extra round, at the live price.
    pub fallback_live: bool,
}

/// A case not finished when the run started.
struct Open {
    /// Its position in the run's cases.
    index: usize,
    records: Vec<McqRecord>,
    /// Failed tries of its next question.
    tries: u32,
    done: bool,
}

struct BatchRun {
    engine: Arc<Engine>,
    cases: Arc<Vec<LoadedCase>>,
    api: BatchApi,
    settings: BatchSettings,
    open: Vec<Open>,
    /// Case id -> position in `open`.
    by_id: HashMap<String, usize>,
    finished: Vec<(usize, CaseRecord)>,
    /// Files uploaded so far by this run and earlier ones (numbers the custom ids).
    files: usize,
    ran: usize,
    /// Open cases whose next question failed in its batch, to be asked live.
    live: Vec<usize>,
}

/// Runs every pending case in batch rounds; `history` is the journal's batch events (a
/// resumed run's unfinished batches are polled, never submitted again).
pub async fn run(
    engine: Arc<Engine>,
    cases: Arc<Vec<LoadedCase>>,
    plan: Plan,
    settings: BatchSettings,
    history: &[Event],
) -> RunOutcome {
    let client = &engine.pool.clients()[0];
    let api = BatchApi::new(client, engine.max_retries);
    let uploaded = history
        .iter()
        .filter(|e| matches!(e, Event::Uploaded { .. }))
        .count();
    let mut run = BatchRun::new(engine.clone(), cases, api, settings, plan, uploaded);
    let result = run.rounds(history).await;
    if let Err(error) = &result {
        engine.progress.println(format!(
            "{} batch mode stopped: {error:#}",
            liveclin_term::error()
        ));
    }
    engine.progress.finish();
    run.outcome(result.is_ok_and(|finished| finished))
}

/// Offline batches (`--batch-export DIR`, `--batch-import FILE`): an engine such as
/// `vllm run-batch` answers request files with no server, so each round goes through
/// files: import the last round's output (recorded as a batch's would be), then export
/// the next round's requests; a run with nothing left to export is complete.
pub async fn offline(
    engine: Arc<Engine>,
    cases: Arc<Vec<LoadedCase>>,
    plan: Plan,
    import: Option<&Path>,
    export: Option<&Path>,
) -> anyhow::Result<RunOutcome> {
    let client = &engine.pool.clients()[0];
    let mut run = BatchRun::new(
        engine.clone(),
        cases,
        BatchApi::new(client, engine.max_retries),
        BatchSettings {
            poll_max: Duration::ZERO,
            fallback_live: false,
        },
        plan,
        0,
    );
    if let Some(path) = import {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("--batch-import: cannot read {}", path.display()))?;
        let secret = Secret::new(&client.settings().api_key);
        let (mut read, mut recorded) = (0, 0);
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let result: ResultLine = serde_json::from_str(line).with_context(|| {
                format!(
                    "--batch-import: {}:{} is not a batch result line",
                    path.display(),
                    i + 1
                )
            })?;
            read += 1;
            recorded += usize::from(run.result(&result, &secret));
        }
        engine.progress.println(format!(
            "--batch-import: {read} results read from {}, {recorded} for questions still open",
            path.display()
        ));
    }
    let mut complete = run.open.iter().all(|o| o.done);
    if let Some(dir) = export {
        let written = run.export(dir)?;
        complete = written.is_empty();
        for (path, requests) in &written {
            engine.progress.println(format!(
                "--batch-export: {requests} requests written to {}",
                path.display()
            ));
        }
    }
    engine.progress.finish();
    Ok(run.outcome(complete))
}

impl BatchRun {
    fn new(
        engine: Arc<Engine>,
        cases: Arc<Vec<LoadedCase>>,
        api: BatchApi,
        settings: BatchSettings,
        plan: Plan,
        files: usize,
    ) -> Self {
        let open: Vec<Open> = plan
            .pending
            .into_iter()
            .map(|(index, records)| Open {
                index,
                records,
                tries: 0,
                done: false,
            })
            .collect();
        let by_id = open
            .iter()
            .enumerate()
            .map(|(i, o)| (cases[o.index].id.to_string(), i))
            .collect();
        BatchRun {
            engine,
            cases,
            api,
            settings,
            open,
            by_id,
            finished: plan.finished,
            files,
            ran: 0,
            live: Vec::new(),
        }
    }

    /// The earlier run's batches, then rounds until every case is done. Whether the run
    /// got to the end (false when stopped).
    async fn rounds(&mut self, history: &[Event]) -> anyhow::Result<bool> {
        let mut left: Vec<String> = Vec::new();
        let mut unsubmitted: Vec<(String, u64)> = Vec::new();
        for event in history {
            match event {
                Event::Uploaded {
                    file_id,
                    uploaded_at,
                    ..
                } => unsubmitted.push((file_id.clone(), *uploaded_at)),
                Event::Submitted { file_id, batch_id } => {
                    unsubmitted.retain(|(f, _)| f != file_id);
                    left.push(batch_id.clone());
                }
                Event::Recorded { batch_id } => left.retain(|b| b != batch_id),
            }
        }
        for (file_id, uploaded_at) in unsubmitted {
            left.push(self.submit(&file_id, uploaded_at, false).await?);
        }
        if !left.is_empty() {
            self.engine.progress.println(format!(
                "Resuming {} batch(es) of the earlier run: polling them, not submitting again",
                left.len()
            ));
            if !self.complete(&left, "earlier batches").await? {
                return Ok(false);
            }
        }
        let mut round = 1;
        loop {
            if self.engine.stop.is_set() {
                return Ok(false);
            }
            let batches = self.submit_round(round).await?;
            if batches.is_empty() {
                return Ok(true);
            }
            if !self.complete(&batches, &format!("round {round}")).await? {
                return Ok(false);
            }
            round += 1;
        }
    }

    /// Writes, uploads and submits the next turn of every open case; the batches' ids.
    async fn submit_round(&mut self, round: usize) -> anyhow::Result<Vec<String>> {
        let mut parts = self.parts();
        let (mut batches, mut asked, mut at) = (Vec::new(), 0, 0);
        while let Some(part) = self.next_part(&mut at, &mut parts) {
            asked += part.lines;
            batches.push(self.send(round, part).await?);
        }
        if asked > 0 {
            self.engine.progress.println(format!(
                "round {round}: {asked} requests in {} batch file(s) submitted",
                batches.len()
            ));
        }
        Ok(batches)
    }

    /// Request files numbered after the run's files so far.
    fn parts(&self) -> requests::Parts {
        requests::Parts::new(self.files + 1, requests::MAX_REQUESTS, requests::MAX_BYTES)
    }

    /// The next request file of a round: full, or the last one (None when every open
    /// case's request is in an earlier file).
    fn next_part(&self, at: &mut usize, parts: &mut requests::Parts) -> Option<requests::Part> {
        self.fill(at, parts)
            .or_else(|| std::mem::replace(parts, self.parts()).finish())
    }

    /// Writes the next turn of every open case to request files in `dir`, which then
    /// holds this round's files only (an earlier round's, answered or obsolete, are
    /// removed); the files written and their requests.
    fn export(&mut self, dir: &Path) -> anyhow::Result<Vec<(PathBuf, usize)>> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("--batch-export: cannot create {}", dir.display()))?;
        let listing = std::fs::read_dir(dir)
            .with_context(|| format!("--batch-export: cannot read {}", dir.display()))?;
        for entry in listing.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(EXPORT_PREFIX) && name.ends_with(".jsonl") {
                std::fs::remove_file(entry.path()).with_context(|| {
                    format!(
                        "--batch-export: cannot remove the earlier {}",
                        entry.path().display()
                    )
                })?;
            }
        }
        let (mut parts, mut at, mut written) = (self.parts(), 0, Vec::new());
        while let Some(part) = self.next_part(&mut at, &mut parts) {
            let path = dir.join(format!("{EXPORT_PREFIX}{}.jsonl", part.seq));
            std::fs::write(&path, &part.bytes)
                .with_context(|| format!("--batch-export: cannot write {}", path.display()))?;
            self.files = part.seq;
            written.push((path, part.lines));
        }
        Ok(written)
    }

    /// Adds the next turn of the open cases from `*at` on to `parts`, until a file is
    /// full (returned) or every case is in (None); `*at` is where to go on.
    fn fill(&self, at: &mut usize, parts: &mut requests::Parts) -> Option<requests::Part> {
        let client = &self.engine.pool.clients()[0];
        while let Some(open) = self.open.get(*at) {
            *at += 1;
            let lc = &self.cases[open.index];
            if open.done || open.records.len() >= lc.case.mcqs().len() {
                continue;
            }
            let body = request_body(&self.engine, client, lc, &open.records);
            if let Some(full) = parts.push(&lc.id, open.records.len(), &body) {
                return Some(full);
            }
        }
        None
    }

    /// Uploads a request file and makes it a batch, journalling each id as it comes.
    async fn send(&mut self, round: usize, part: requests::Part) -> anyhow::Result<String> {
        let name = format!("liveclin-round{round}-{}.jsonl", part.seq);
        self.files = self.files.max(part.seq);
        let file_id = self.api.upload(&name, part.bytes).await?;
        let uploaded_at = api::unix_now();
        self.engine.journal.record_batch(&Event::Uploaded {
            file_id: file_id.clone(),
            requests: part.lines,
            uploaded_at,
        });
        self.submit(&file_id, uploaded_at, true).await
    }

    /// Makes an uploaded file a batch (or finds the one made already, unless `fresh`
    /// from its upload) and journals it.
    async fn submit(
        &mut self,
        file_id: &str,
        uploaded_at: u64,
        fresh: bool,
    ) -> anyhow::Result<String> {
        let batch = self.api.submit(file_id, uploaded_at, fresh).await?;
        self.engine.journal.record_batch(&Event::Submitted {
            file_id: file_id.into(),
            batch_id: batch.id.clone(),
        });
        Ok(batch.id)
    }

    /// Polls the batches until each is final, then records their results. False when the
    /// run was stopped while waiting.
    async fn complete(&mut self, ids: &[String], label: &str) -> anyhow::Result<bool> {
        let mut batches: Vec<Option<BatchObject>> = vec![None; ids.len()];
        let mut shown = String::new();
        let mut polls = 0;
        loop {
            for (id, batch) in ids.iter().zip(&mut batches) {
                if !batch.as_ref().is_some_and(|b| b.status.is_final()) {
                    *batch = Some(self.api.retrieve(id).await?);
                }
            }
            let line = progress_line(label, &batches);
            if line != shown {
                self.engine.progress.println(&line);
                shown = line;
            }
            if batches.iter().flatten().all(|b| b.status.is_final()) {
                break;
            }
            let wait = api::poll_wait(polls, self.settings.poll_max);
            polls += 1;
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.engine.stop.wait() => return Ok(false),
            }
        }
        let mut recorded = 0;
        for batch in batches.into_iter().flatten() {
            recorded += self.record(&batch).await?;
            self.engine.journal.record_batch(&Event::Recorded {
                batch_id: batch.id.clone(),
            });
            if matches!(batch.status, BatchStatus::Failed | BatchStatus::Cancelled) {
                anyhow::bail!(
                    "batch {} ended {}: {}; its requests are asked again by --resume",
                    batch.id,
                    batch.status.as_str(),
                    api::batch_errors(&batch)
                );
            }
        }
        if recorded == 0 {
            anyhow::bail!("the batches of {label} returned no result for any request");
        }
        Ok(self.ask_live(label).await)
    }

    /// Asks live the questions that failed in their batch (`--batch-fallback live`), as
    /// many at once as `--concurrency` allows. False when the run was stopped.
    async fn ask_live(&mut self, label: &str) -> bool {
        if self.live.is_empty() {
            return true;
        }
        self.engine.progress.println(format!(
            "{label}: {} request(s) that failed in their batch asked live",
            self.live.len()
        ));
        let (engine, cases) = (self.engine.clone(), self.cases.clone());
        let jobs: Vec<_> = std::mem::take(&mut self.live)
            .into_iter()
            .map(|at| {
                let mut records = std::mem::take(&mut self.open[at].records);
                let (engine, lc) = (engine.clone(), &cases[self.open[at].index]);
                async move {
                    let mut lease = engine.pool.lease().await;
                    let finished = engine.ask_next(lc, &mut records, &mut lease).await;
                    (at, records, finished)
                }
            })
            .collect();
        let mut stopped = false;
        for (at, records, finished) in futures_util::future::join_all(jobs).await {
            self.open[at].records = records;
            match finished {
                Some(true) => self.finish(at),
                Some(false) => {}
                None => stopped = true,
            }
        }
        !stopped
    }

    fn finish(&mut self, at: usize) {
        self.open[at].done = true;
        self.engine.progress.case();
        self.ran += 1;
    }

    /// Reads a final batch's output and error files into the open cases; the results read.
    async fn record(&mut self, batch: &BatchObject) -> anyhow::Result<usize> {
        let secret = Secret::new(&self.engine.pool.clients()[0].settings().api_key);
        let mut read = 0;
        for file_id in [&batch.output_file_id, &batch.error_file_id]
            .into_iter()
            .flatten()
        {
            let text = self.api.content(file_id).await?;
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let result: ResultLine = serde_json::from_str(line).map_err(|e| {
                    anyhow::anyhow!("a line of the batch file {file_id} is not a result: {e}")
                })?;
                read += 1;
                self.result(&result, &secret);
            }
        }
        Ok(read)
    }

    /// One request's result, recorded as a live call's would be. Whether it was a
    /// question still open (not one of another run, or recorded already: a batch read
    /// again after a kill).
    fn result(&mut self, result: &ResultLine, secret: &Secret) -> bool {
        let Some((case_id, turn)) = requests::parse_custom_id(&result.custom_id) else {
            return false;
        };
        let Some(&at) = self.by_id.get(case_id) else {
            return false;
        };
        let engine = self.engine.clone();
        let lc = &self.cases[self.open[at].index];
        let open = &mut self.open[at];
        if open.done || open.records.len() != turn {
            return false;
        }
        let outcome = match (&result.response, &result.error) {
            (Some(response), _) => classify(
                StatusCode::from_u16(response.status_code).unwrap_or(StatusCode::BAD_GATEWAY),
                None,
                &secret.redact(&response.body.to_string()),
            ),
            (None, error) => Outcome::Retryable {
                message: error
                    .as_ref()
                    .map_or("a batch result without a response".into(), |e| {
                        secret
                            .redact(&format!("batch request {}: {}", e.code, e.message))
                            .into_owned()
                    }),
                retry_after: None,
                throttled: false,
            },
        };
        let mcqs = lc.case.mcqs();
        let finished = match outcome {
            Outcome::Reply(reply) => {
                let record = answered(lc, turn, mcqs[turn], &reply);
                engine.finished_turn(lc, &record);
                open.records.push(record);
                open.tries = 0;
                open.records.len() == mcqs.len()
            }
            Outcome::Permanent { message } => {
                engine.fail_from(lc, &message, &mut open.records);
                true
            }
            Outcome::Empty | Outcome::Retryable { .. } if self.settings.fallback_live => {
                self.live.push(at);
                false
            }
            Outcome::Empty | Outcome::Retryable { .. } => {
                open.tries += 1;
                let message = match outcome {
                    Outcome::Retryable { message, .. } => message,
                    _ => EMPTY_REPLY.to_string(),
                };
                let out_of_tries = open.tries >= engine.max_retries;
                if out_of_tries {
                    engine.fail_from(lc, &message, &mut open.records);
                } else if engine.verbose {
                    engine.progress.println(format!(
                        "  [verbose] {case_id} Q{} failed in its batch, asked again next round: {message}",
                        turn + 1
                    ));
                }
                out_of_tries
            }
        };
        if finished {
            self.finish(at);
        }
        true
    }

    /// What the run produced, as `engine::run` reports it.
    fn outcome(self, complete: bool) -> RunOutcome {
        let mut cases = self.finished;
        let mut unfinished = Vec::new();
        for open in self.open {
            let record = case_record(&self.cases[open.index], open.records);
            if open.done {
                cases.push((open.index, record));
            } else if !record.mcqs.is_empty() {
                unfinished.push((open.index, record));
            }
        }
        cases.sort_by_key(|(i, _)| *i);
        unfinished.sort_by_key(|(i, _)| *i);
        let interrupted = !complete || !unfinished.is_empty();
        RunOutcome {
            cases: cases.into_iter().map(|(_, r)| r).collect(),
            unfinished: unfinished.into_iter().map(|(_, r)| r).collect(),
            ran: self.ran,
            interrupted,
        }
    }
}

/// The body the live client would send for a case's next turn.
fn request_body(
    engine: &Engine,
    client: &ChatClient,
    lc: &LoadedCase,
    answered: &[McqRecord],
) -> Vec<u8> {
    let mut contents = engine.turn_contents(lc);
    let mut conversation = Conversation::default();
    replay(&mut conversation, &mut contents, answered, None);
    conversation.user(contents.next().expect("an unanswered turn has a prompt"));
    client.request_body(&conversation)
}

/// `round 2: 3 batches (in_progress 2, completed 1), requests 120/300 done, 2 failed`.
fn progress_line(label: &str, batches: &[Option<BatchObject>]) -> String {
    let mut states: Vec<(&str, usize)> = Vec::new();
    let (mut total, mut done, mut failed) = (0, 0, 0);
    for batch in batches.iter().flatten() {
        let state = batch.status.as_str();
        match states.iter_mut().find(|(s, _)| *s == state) {
            Some((_, n)) => *n += 1,
            None => states.push((state, 1)),
        }
        let counts = batch.request_counts.unwrap_or_default();
        total += counts.total;
        done += counts.completed;
        failed += counts.failed;
    }
    let states: Vec<String> = states.iter().map(|(s, n)| format!("{s} {n}")).collect();
    format!(
        "{label}: {} batch(es) ({}), requests {done}/{total} done, {failed} failed",
        batches.len(),
        states.join(", ")
    )
}
