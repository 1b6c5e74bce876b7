//! `liveclin evaluate`: a model over a config, crash-safe and resumable.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::{Map, Value};

use crate::cli::EvaluateArgs;
use crate::exit::Exit;
use liveclin_core::analysis::outcome::{self, OutcomeCounts};
use liveclin_core::analysis::summarize;
use liveclin_core::cost::picture::ImageTokens;
use liveclin_core::cost::tokens::Counter;
use liveclin_core::dataset::LoadedCase;
use liveclin_core::identity::{Difference, RunIdentity, Setting};
use liveclin_core::prompt::ImageMode;
use liveclin_core::results::{self, ResultsFile, RunMeta};
use liveclin_core::timestamp::Timestamp;
use liveclin_net::client::{ChatClient, ChatSettings, retry};
use liveclin_net::engine::batch::BatchSettings;
use liveclin_net::engine::breaker::Breaker;
use liveclin_net::engine::journal::{Journal, JournalFlush};
use liveclin_net::engine::pace::{Caps, Pacer};
use liveclin_net::engine::pool::{EndpointTally, Pool};
use liveclin_net::engine::preflight;
use liveclin_net::engine::progress::Progress;
use liveclin_net::engine::resume::Prior;
use liveclin_net::engine::stop::{Stop, StopReason};
use liveclin_net::engine::{self, Engine, Plan, RunOutcome};
use liveclin_net::runfiles::journal_path;
use liveclin_net::runfiles::{OutputLock, Protected, RunFiles};
use liveclin_net::shard::Shard;
use liveclin_net::shell::shell_word;
use liveclin_net::signals::Interrupts;
use liveclin_report::{extras, terminal};

pub(crate) fn run(args: &EvaluateArgs) -> anyhow::Result<Exit> {
    super::download::fetch_missing(&args.data)?;
    tokio::runtime::Runtime::new()?.block_on(evaluate(args.clone()))
}

/// The official default output path: `results/<model>_<dataset>.json`, with `/` and
/// spaces in the model name replaced by `_`; a shard adds `_shard-K-of-N`.
pub(crate) fn default_output(model: &str, dataset: &str, shard: Option<Shard>) -> PathBuf {
    let safe = model.replace(['/', ' '], "_");
    let suffix = shard.map_or(String::new(), |s| {
        format!("_shard-{}-of-{}", s.index, s.count)
    });
    PathBuf::from(format!("results/{safe}_{dataset}{suffix}.json"))
}

/// The API key: the flag, else $LIVECLIN_API_KEY, else $OPENAI_API_KEY, else "token".
pub(crate) fn api_key(flag: Option<&str>) -> String {
    flag.map(String::from)
        .or_else(|| std::env::var("LIVECLIN_API_KEY").ok())
        .or_else(|| std::env::var("OPENAI_API_KEY").ok())
        .unwrap_or_else(|| "token".into())
}

/// Where `api_key` finds the key, for messages (never the key itself).
fn api_key_source(flag: Option<&str>) -> String {
    if flag.is_some() {
        "--api-key".into()
    } else if std::env::var("LIVECLIN_API_KEY").is_ok() {
        "$LIVECLIN_API_KEY".into()
    } else if std::env::var("OPENAI_API_KEY").is_ok() {
        "$OPENAI_API_KEY".into()
    } else {
        "nowhere (no --api-key, $LIVECLIN_API_KEY or $OPENAI_API_KEY: \"token\" was sent)".into()
    }
}

/// `--extra-body` as a JSON object, with an example when it is not one.
pub(crate) fn extra_body(text: Option<&str>) -> anyhow::Result<Map<String, Value>> {
    let Some(text) = text else {
        return Ok(Map::new());
    };
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => bail!(
            "--extra-body must be a JSON object, e.g. '{{\"chat_template_kwargs\":{{\"enable_thinking\":false}}}}'"
        ),
        Err(e) => bail!("--extra-body is not valid JSON: {e}"),
    }
}

fn now() -> String {
    Timestamp::now().isoformat_micros()
}

pub(crate) async fn evaluate(args: EvaluateArgs) -> anyhow::Result<Exit> {
    // `--shard auto` becomes K/N here, once: everything below works with the concrete shard.
    let shard = liveclin_net::shard::resolve(args.shard, args.shard_count)?;
    if args.batch && args.api_base.len() > 1 {
        bail!("--batch sends every request through one provider: give a single --api-base");
    }
    let (mut dataset, paths) = super::load_config(&args.data)?;
    let clients = clients(&args)?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| default_output(&args.model, &args.data.dataset, shard));
    let files = RunFiles::new(&output);
    files.check(&Protected {
        jsonl: &paths.jsonl,
        image_root: &paths.image_root,
    })?;
    // From here until the end, this run alone writes these files.
    let _lock = OutputLock::acquire(&files.lock, &output)?;
    // Signals are ours from here: a SIGTERM during set-up stops the run before any call.
    let interrupts = Interrupts::new()?;
    let earlier = files.earlier_work().filter(|_| !args.resume);
    if let Some(earlier) = &earlier
        && !args.overwrite
    {
        bail!(
            "{earlier}. Nothing was changed. To continue that run, add --resume; to keep it and start \
             another, give another --output; to start afresh here, add --overwrite (the old files are \
             moved to a numbered backup, not deleted)."
        );
    }

    let cases_in_config = dataset.cases.len();
    let identity = identity(&args, &dataset, &paths.image_root)?;
    if let Some(shard) = shard {
        dataset.cases.retain(|case| shard.contains(&case.id));
        liveclin_term::say!(
            "Shard {shard}: {} of {cases_in_config} cases",
            dataset.cases.len()
        );
    }
    if let Some(limit) = args.limit {
        dataset.cases.truncate(limit);
    }
    if args.image_mode == ImageMode::Local && !paths.image_root.is_dir() {
        eprintln!(
            "{} image directory not found at {}",
            liveclin_term::warning(),
            paths.image_root.display()
        );
        eprintln!("Local images may not be available. Consider using --image-mode url.");
    }
    let pool = Arc::new(Pool::new(clients, args.concurrency as usize));

    let (prior, accepted) = if args.resume {
        prior_run(&args, &output, &identity, &dataset.cases)?
    } else {
        (Prior::default(), Vec::new())
    };
    let offline = args.offline_batch();
    if !offline {
        preflight::check(pool.clients(), &api_key_source(args.api_key.as_deref())).await?;
    }
    if earlier.is_some() {
        let backup = files.back_up()?;
        liveclin_term::say!(
            "--overwrite: the earlier results and journal were moved to {} (and its journal beside it)",
            backup.display()
        );
    }
    let cases = Arc::new(dataset.cases);
    let plan = Plan::new(&cases, &prior);
    liveclin_term::say!(
        "Loaded {} cases from {}",
        cases.len(),
        dataset.path.display()
    );
    announce(&args, &output, &prior, &plan, &cases, pool.endpoints());

    let mut meta = RunMeta {
        identity,
        api_bases: args.api_base.clone(),
        max_retries: args.max_retries,
        shard: shard.map(|s| s.to_string()),
        accepted,
        started_at: now(),
        finished_at: None,
        endpoints: None,
        price: args.price.or(prior.price),
    };
    let stop = Arc::new(Stop::default());
    let journal = Journal::open(
        &files.journal,
        &Value::Object(meta.to_map()),
        !args.resume,
        stop.clone(),
    )?;
    watch_signals(interrupts, stop.clone(), journal.flusher());
    let progress = Progress::new(
        plan.remaining_mcqs(&cases) as u64,
        plan.pending_cases() as u64,
        Duration::from_secs_f64(args.progress_interval),
    );
    let engine = Arc::new(Engine {
        pool: pool.clone(),
        mode: args.image_mode,
        image_root: paths.image_root.clone(),
        max_retries: args.max_retries,
        verbose: liveclin_term::verbose(1),
        journal,
        progress,
        stop: stop.clone(),
        breaker: Breaker::default(),
        pacer: pacer(&args, pool.endpoints(), &cases, &paths.image_root),
    });
    let clock = Instant::now();
    let outcome = drive(&args, &engine, &cases, plan, &prior).await?;
    let elapsed = clock.elapsed();
    let tripped = engine.breaker.tripped();
    print_pacing(&engine.pacer);
    let journal_failure = match Arc::try_unwrap(engine) {
        Ok(engine) => engine.journal.close().err(),
        Err(_) => None,
    };

    meta.finished_at = Some(now());
    let tallies = pool.tallies();
    if tallies.len() > 1
        || tallies
            .iter()
            .any(|e| e.tally.throttled > 0 || e.tally.timeouts > 0)
    {
        print_tallies(&tallies);
        meta.endpoints = Some(serde_json::to_value(&tallies).expect("tallies serialise"));
    }
    let file = liveclin_core::analysis::file::assemble(
        meta.to_map(),
        Some(cases_in_config),
        outcome.cases,
        outcome.unfinished,
    );
    let saved = save(&output, &file);

    if journal_failure.is_some() || saved.is_err() {
        explain_lost_writes(journal_failure.as_ref(), &saved, &file, &output);
        return Ok(Exit::Io);
    }

    if let Some(tripped) = tripped {
        extras::print_tokens(&file);
        eprintln!(
            "\n{} stopped: every recent call failed with {} and retrying cannot fix it.\n  The server said: {}\n  Fix: {}\n{} finished cases are saved to {}. Once fixed, resume with:\n  {}",
            liveclin_term::error(),
            tripped.class.label(),
            tripped.message,
            tripped.class.fix(),
            file.cases.len(),
            output.display(),
            resume_command()
        );
        return Ok(Exit::CaseErrors);
    }
    let ending = Ending {
        file: &file,
        output: &output,
        journal: &files.journal,
        elapsed,
        selected: cases.len(),
        ran: outcome.ran,
        ci: args.ci,
    };
    let (printed, exit) = if let Some(dir) = args
        .batch_export
        .as_deref()
        .filter(|_| outcome.interrupted && stop.reason().is_none())
    {
        (ending.exported(dir, &args.model), Exit::Success)
    } else if outcome.interrupted {
        (ending.interrupted(), Exit::Interrupted)
    } else {
        let errored = outcome::cases_with_errors(&file.cases);
        let exit = if errored > 0 {
            Exit::CaseErrors
        } else {
            Exit::Success
        };
        (ending.completed(errored), exit)
    };
    // The results are saved: a reader gone from stdout changes nothing, not even the exit.
    if let Err(e) = printed
        && !crate::output::is_closed(&e)
    {
        eprintln!("{} {e:#}", liveclin_term::warning());
    }
    Ok(exit)
}

/// What the end of a run prints on stdout, after its results are saved.
struct Ending<'a> {
    file: &'a ResultsFile,
    output: &'a Path,
    journal: &'a Path,
    elapsed: Duration,
    /// Cases this run was asked to do (after --shard and --limit).
    selected: usize,
    /// Cases run (not kept) by this run.
    ran: usize,
    ci: bool,
}

impl Ending<'_> {
    fn interrupted(&self) -> anyhow::Result<()> {
        extras::print_tokens(self.file);
        let mut out = crate::output::stdout();
        writeln!(
            out,
            "\nInterrupted after {:.1}s: {} of {} cases finished and saved to {}.",
            self.elapsed.as_secs_f64(),
            self.file.cases.len(),
            self.selected,
            self.output.display()
        )?;
        writeln!(
            out,
            "Every finished turn is in {}. Resume with:",
            self.journal.display()
        )?;
        writeln!(out, "  {}", resume_command())
    }

    /// After `--batch-export` wrote a round: what to do with it, and the next command.
    fn exported(&self, dir: &Path, model: &str) -> anyhow::Result<()> {
        let mut out = crate::output::stdout();
        writeln!(
            out,
            "\n{} of {} cases finished (saved to {}); the next round's requests are in {}.",
            self.file.cases.len(),
            self.selected,
            self.output.display(),
            dir.display()
        )?;
        writeln!(
            out,
            "Answer each file, e.g. vllm run-batch -i FILE -o OUTPUT.jsonl --model {}, then:",
            shell_word(model)
        )?;
        let next = resume_command_without(&["--batch-import"]);
        writeln!(out, "  {next} --batch-import OUTPUT.jsonl")
    }

    fn completed(&self, errored: usize) -> anyhow::Result<()> {
        let file = self.file;
        let mut out = crate::output::stdout();
        writeln!(
            out,
            "\nEvaluation completed in {:.1}s ({} cases)",
            self.elapsed.as_secs_f64(),
            self.ran
        )?;
        if errored > 0 {
            let counts = OutcomeCounts::of(&file.cases);
            writeln!(
                out,
                "  Errors: {errored} cases affected, {} MCQs failed, {} MCQs skipped",
                counts.api_failure, counts.skipped
            )?;
            writeln!(out, "  Tip: re-run with --resume to retry failed cases.")?;
        }
        writeln!(out, "Results saved to: {}", self.output.display())?;
        let summary = summarize(&file.cases);
        write!(out, "{}", terminal::render(&file.meta, summary.as_ref()))?;
        out.flush()?;
        extras::print(file, self.ci);
        writeln!(out, "Detailed results: {}", self.output.display())
    }
}

/// The earlier run `--resume` continues, and the changed settings it accepted. Refuses
/// (before any call) a live resume of batches still with the provider, and changed
/// settings not allowed by `--allow-change`.
fn prior_run(
    args: &EvaluateArgs,
    output: &Path,
    identity: &RunIdentity,
    cases: &[LoadedCase],
) -> anyhow::Result<(Prior, Vec<Difference>)> {
    let mut prior = Prior::load(output)?;
    let pending = engine::batch::pending(&prior.batch);
    if pending > 0 && !args.batch && args.batch_import.is_none() {
        bail!(
            "{} of the earlier run {} still with the provider (batch mode): resume with --batch to collect {}; a live resume would ask and pay for their requests again",
            liveclin_core::plural::count(pending as u64, "file or batch", "files or batches"),
            if pending == 1 { "is" } else { "are" },
            if pending == 1 { "it" } else { "them" },
        );
    }
    if let Some(note) = prior.match_unnamed(cases)? {
        eprintln!("{} {note}", liveclin_term::warning());
    }
    let differences = identity.differences(&prior.recorded);
    let allowed: BTreeSet<Setting> = args.allow_change.iter().copied().collect();
    if let Some(refusal) = liveclin_core::identity::refusal(&differences, &allowed, &prior.source) {
        bail!("{refusal}");
    }
    for difference in &differences {
        eprintln!(
            "--allow-change {}: answers made with {} are kept beside this run's {}",
            difference.setting.flag_name(),
            difference.recorded,
            difference.now
        );
    }
    Ok((prior, differences))
}

/// What the run is about to do: what it resumes, how many cases and MCQs, on what.
fn announce(
    args: &EvaluateArgs,
    output: &Path,
    prior: &Prior,
    plan: &Plan,
    cases: &[LoadedCase],
    endpoints: usize,
) {
    if args.resume {
        if prior.is_empty() {
            liveclin_term::say!(
                "Resuming: nothing to resume at {}; running every case.",
                output.display()
            );
        } else {
            liveclin_term::say!(
                "Resuming from {}: {} cases finished, {} to run ({} answered turns kept).",
                prior.source,
                plan.finished_cases(),
                plan.pending_cases(),
                plan.kept_turns()
            );
        }
    }
    liveclin_term::say!(
        "Evaluating {} cases ({} MCQs), concurrency={}; model {}, image mode {}",
        plan.pending_cases(),
        plan.remaining_mcqs(cases),
        args.concurrency,
        args.model,
        args.image_mode.as_str()
    );
    if endpoints > 1 {
        liveclin_term::say!(
            "{endpoints} endpoints: each case stays on one; new cases go to the least loaded"
        );
    }
}

/// The run's pacing: `--rpm`/`--tpm` and the servers' rate-limit headers, with a call's
/// tokens counted as OpenAI-family providers bill them (and the mock does): a picture
/// sent by URL is sized from its file, one sent inline from its bytes.
fn pacer(args: &EvaluateArgs, endpoints: usize, cases: &[LoadedCase], image_root: &Path) -> Pacer {
    let caps = Caps {
        rpm: args.rpm,
        tpm: args.tpm,
        follow_headers: !args.no_pacing,
    };
    let counter = match args.image_mode {
        ImageMode::Url => Counter::with_dataset(ImageTokens::OpenAi, cases, image_root),
        ImageMode::Local => Counter::new(ImageTokens::OpenAi),
    };
    Pacer::new(endpoints, caps, counter)
}

/// Runs the cases live, in batch mode, or through request files (`--batch-export`,
/// `--batch-import`).
async fn drive(
    args: &EvaluateArgs,
    engine: &Arc<Engine>,
    cases: &Arc<Vec<LoadedCase>>,
    plan: Plan,
    prior: &Prior,
) -> anyhow::Result<RunOutcome> {
    let (engine, cases) = (engine.clone(), cases.clone());
    if args.offline_batch() {
        let (import, export) = (args.batch_import.as_deref(), args.batch_export.as_deref());
        return engine::batch::offline(engine, cases, plan, import, export).await;
    }
    if args.batch {
        let settings = BatchSettings {
            poll_max: args.batch_poll_max,
            fallback_live: args.batch_fallback == crate::cli::BatchFallback::Live,
        };
        return Ok(engine::batch::run(engine, cases, plan, settings, &prior.batch).await);
    }
    Ok(engine::run(engine, cases, plan).await)
}

/// Says what became of the answers when the journal or the results could not be written
/// (a full disk): where they are, and how to resume once there is room.
fn explain_lost_writes(
    journal_failure: Option<&anyhow::Error>,
    saved: &anyhow::Result<PathBuf>,
    file: &ResultsFile,
    output: &Path,
) {
    if let Some(error) = journal_failure {
        eprintln!("{} {error:#}", liveclin_term::error());
        eprintln!("The run stopped at once: no call was made after that.");
    }
    match saved {
        Ok(path) if path == output => eprintln!(
            "The answers held when the run stopped ({} finished cases, {} unfinished) are in {}.",
            file.cases.len(),
            file.unfinished_cases.len(),
            path.display()
        ),
        Ok(path) => eprintln!(
            "Every answer held when the run stopped is in {}. When there is room again, move it to {} and resume:\n  mv {} {}\n  {}",
            path.display(),
            output.display(),
            shell_word(&path.to_string_lossy()),
            shell_word(&output.to_string_lossy()),
            resume_command()
        ),
        Err(error) => eprintln!("{} {error:#}", liveclin_term::error()),
    }
    if saved.as_ref().is_ok_and(|path| path == output) {
        eprintln!("Free some space, then resume with:\n  {}", resume_command());
    }
}

/// This run's identity; in local mode it reads every picture once to fingerprint them.
fn identity(
    args: &EvaluateArgs,
    dataset: &liveclin_core::dataset::Dataset,
    image_root: &Path,
) -> anyhow::Result<RunIdentity> {
    let pictures_sha256 = match args.image_mode {
        ImageMode::Local => Some(liveclin_core::identity::pictures_sha256(
            &dataset.cases,
            image_root,
        )?),
        ImageMode::Url => None,
    };
    Ok(RunIdentity {
        model: args.model.clone(),
        dataset: args.data.dataset.clone(),
        image_mode: args.image_mode.as_str().into(),
        dataset_sha256: dataset.sha256.clone(),
        pictures_sha256,
        temperature: args.temperature,
        max_tokens: args.max_tokens,
        extra_body: extra_body(args.extra_body.as_deref())?,
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Writes the results to `output`; when that fails (a full disk), to a file beside it,
/// then to the temp folder. Returns where they went.
fn save(output: &Path, file: &ResultsFile) -> anyhow::Result<PathBuf> {
    let first = match results::write_atomic(output, file) {
        Ok(()) => return Ok(output.to_path_buf()),
        Err(e) => e,
    };
    eprintln!("{} {first:#}", liveclin_term::error());
    let name = output.file_stem().unwrap_or_default().to_string_lossy();
    let rescue = format!("{name}.rescued-{}.json", std::process::id());
    let mut tried = vec![output.display().to_string()];
    for path in [
        output.with_file_name(&rescue),
        std::env::temp_dir().join(format!("liveclin-{rescue}")),
    ] {
        match results::write_atomic(&path, file) {
            Ok(()) => return Ok(path),
            Err(e) => {
                eprintln!("{} {e:#}", liveclin_term::error());
                tried.push(path.display().to_string());
            }
        }
    }
    bail!(
        "the results could not be written anywhere (tried {}); the journal {} keeps what it could",
        tried.join(", "),
        journal_path(output).display()
    )
}
/// The address of the client of `--batch-export`/`--batch-import` without `--api-base`,
/// never called.
const OFFLINE_API_BASE: &str = "http://127.0.0.1/v1";

/// One chat client per `--api-base`, sharing every other setting.
fn clients(args: &EvaluateArgs) -> anyhow::Result<Vec<ChatClient>> {
    let settings = ChatSettings {
        api_base: String::new(),
        api_key: api_key(args.api_key.as_deref()),
        model: args.model.clone(),
        temperature: args.temperature,
        max_tokens: args.max_tokens,
        timeout: args.timeout,
        max_wait: retry::WaitCap::new(args.max_wait, "--max-wait"),
        extra_body: extra_body(args.extra_body.as_deref())?,
    };
    // Offline batches make no call: their client only builds the request bodies.
    let offline = [OFFLINE_API_BASE.to_string()];
    let bases = if args.api_base.is_empty() {
        &offline[..]
    } else {
        &args.api_base[..]
    };
    bases
        .iter()
        .map(|base| {
            ChatClient::new(ChatSettings {
                api_base: base.clone(),
                ..settings.clone()
            })
        })
        .collect()
}

/// How each endpoint fared, on stderr (before the scores).
/// How long pacing held calls back, when it did (or when the user asked for it).
fn print_pacing(pacer: &Pacer) {
    let waited = pacer.waited();
    let Some(shown) = pacer.shown() else {
        return;
    };
    liveclin_term::say!(
        "Pacing ({shown}): {} of {} calls waited for the rate limit, {:.1}s in all",
        waited.paced,
        waited.calls,
        waited.total.as_secs_f64()
    );
}

fn print_tallies(tallies: &[EndpointTally]) {
    liveclin_term::say!("Endpoints:");
    for EndpointTally { api_base, tally: t } in tallies {
        liveclin_term::say!(
            "  {api_base}: {} cases, {} answers, {} rate-limited (429), {} timed out, {} failed calls, rested {} times, lowest limit {}",
            t.cases,
            t.answers,
            t.throttled,
            t.timeouts,
            t.failures,
            t.rests,
            t.lowest_limit
        );
    }
}

/// How long the turns in flight at a first signal may take to finish: long enough for
/// most answers, short enough to write the results inside a scheduler's usual 30 s
/// between SIGTERM and SIGKILL.
const IN_FLIGHT_GRACE: Duration = Duration::from_secs(10);

/// First signal (SIGINT, SIGTERM or SIGHUP): stop starting turns, let the ones in flight
/// finish for up to [`IN_FLIGHT_GRACE`] (they are paid for; abandoned, a resume would pay
/// for them again), write what finished. Second: make the journal durable, then exit at
/// once.
fn watch_signals(mut interrupts: Interrupts, stop: Arc<Stop>, journal: JournalFlush) {
    tokio::spawn(async move {
        let first = interrupts.recv().await;
        // Stop first: after SIGHUP the terminal may be gone and printing may fail.
        stop.trigger(StopReason::Signal(first));
        let grace = Arc::clone(&stop);
        tokio::spawn(async move {
            tokio::time::sleep(IN_FLIGHT_GRACE).await;
            grace.abandon();
        });
        eprintln!(
            "\n{first}: stopping: no new turns, the turns in flight get up to {} s to finish, \
             then the finished cases are written (send it again to exit at once)...",
            IN_FLIGHT_GRACE.as_secs()
        );
        let second = interrupts.recv().await;
        eprintln!("{second} again: exiting now; every finished turn is in the journal");
        journal.flush(Duration::from_secs(10));
        std::process::exit(i32::from(Exit::Interrupted.code()));
    });
}

/// This run's command line with `--resume` added and any API key left out; when the key
/// was given on the command line, a second line says where it must come from again.
fn resume_command() -> String {
    resume_command_without(&[])
}

/// `resume_command` without the flags `dropped` (each with its value).
fn resume_command_without(dropped: &[&str]) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut args = std::env::args();
    let with_value = |arg: &str, flag: &str| {
        arg.strip_prefix(flag)
            .is_some_and(|rest| rest.starts_with('='))
    };
    while let Some(arg) = args.next() {
        if arg == "--api-key" || dropped.contains(&arg.as_str()) {
            args.next();
            continue;
        }
        if with_value(&arg, "--api-key")
            || dropped.iter().any(|flag| with_value(&arg, flag))
            || arg == "--overwrite"
        {
            continue;
        }
        words.push(shell_word(&arg).into_owned());
    }
    if !words.iter().any(|w| w == "--resume") {
        words.push("--resume".into());
    }
    let mut command = words.join(" ");
    if std::env::args().any(|a| a == "--api-key" || a.starts_with("--api-key=")) {
        command.push_str(
            "\n  (--api-key was given on the command line and is not repeated here: add it again, or set LIVECLIN_API_KEY or OPENAI_API_KEY)",
        );
    }
    command
}
