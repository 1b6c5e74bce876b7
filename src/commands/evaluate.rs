//! `liveclin evaluate`: a model over a config, crash-safe and resumable.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};

use crate::analysis::insight;
use crate::analysis::{summarize, summary_value};
use crate::cli::EvaluateArgs;
use crate::client::{ChatClient, ChatSettings};
use crate::engine::journal::{Journal, journal_path};
use crate::engine::pool::{EndpointTally, Pool};
use crate::engine::progress::Progress;
use crate::engine::resume::Prior;
use crate::engine::stop::Stop;
use crate::engine::{self, Engine, Plan};
use crate::prompt::ImageMode;
use crate::report::{extras, terminal};
use crate::results::{self, ResultsFile};
use crate::shard::Shard;
use crate::shell::shell_word;

/// Exit status when some cases ended with an error (rerun with --resume).
pub const EXIT_CASE_ERRORS: u8 = 3;
/// Exit status after Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;

pub fn run(args: &EvaluateArgs) -> anyhow::Result<ExitCode> {
    super::download::fetch_missing(&args.data)?;
    tokio::runtime::Runtime::new()?.block_on(evaluate(args.clone()))
}

/// The official default output path: `results/<model>_<dataset>.json`, with `/` and
/// spaces in the model name replaced by `_`; a shard adds `_shard-K-of-N`.
pub fn default_output(model: &str, dataset: &str, shard: Option<Shard>) -> PathBuf {
    let safe = model.replace(['/', ' '], "_");
    let suffix = shard.map_or(String::new(), |s| {
        format!("_shard-{}-of-{}", s.index, s.count)
    });
    PathBuf::from(format!("results/{safe}_{dataset}{suffix}.json"))
}

/// The API key: the flag, else $LIVECLIN_API_KEY, else $OPENAI_API_KEY, else "token".
pub fn api_key(flag: Option<&str>) -> String {
    flag.map(String::from)
        .or_else(|| std::env::var("LIVECLIN_API_KEY").ok())
        .or_else(|| std::env::var("OPENAI_API_KEY").ok())
        .unwrap_or_else(|| "token".into())
}

/// `--extra-body` as a JSON object, with an example when it is not one.
pub fn extra_body(text: Option<&str>) -> anyhow::Result<Map<String, Value>> {
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
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        .to_string()
}

pub async fn evaluate(args: EvaluateArgs) -> anyhow::Result<ExitCode> {
    let (mut dataset, paths) = super::load_config(&args.data)?;
    if let Some(shard) = args.shard {
        let total = dataset.cases.len();
        dataset.cases.retain(|case| shard.contains(&case.id));
        eprintln!("Shard {shard}: {} of {total} cases", dataset.cases.len());
    }
    if let Some(limit) = args.limit {
        dataset.cases.truncate(limit);
    }
    if args.image_mode == ImageMode::Local && !paths.image_root.is_dir() {
        eprintln!(
            "Warning: image directory not found at {}",
            paths.image_root.display()
        );
        eprintln!("Local images may not be available. Consider using --image-mode url.");
    }
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| default_output(&args.model, &args.data.dataset, args.shard));
    let pool = Arc::new(Pool::new(clients(&args)?, args.concurrency as usize));

    let prior = if args.resume {
        Prior::load(&output)?
    } else {
        Prior::default()
    };
    let cases = Arc::new(dataset.cases);
    let plan = Plan::new(&cases, &prior);
    eprintln!(
        "Loaded {} cases from {}",
        cases.len(),
        dataset.path.display()
    );
    if args.resume {
        if prior.is_empty() {
            eprintln!(
                "Resuming: nothing to resume at {}; running every case.",
                output.display()
            );
        } else {
            eprintln!(
                "Resuming from {}: {} cases finished, {} to run ({} answered turns kept).",
                prior.source,
                plan.finished_cases(),
                plan.pending_cases(),
                plan.kept_turns()
            );
        }
    }
    let remaining = plan.remaining_mcqs(&cases);
    eprintln!(
        "Evaluating {} cases ({remaining} MCQs), concurrency={}; model {}, image mode {}",
        plan.pending_cases(),
        args.concurrency,
        args.model,
        args.image_mode.as_str()
    );
    if pool.endpoints() > 1 {
        eprintln!(
            "{} endpoints: each case stays on one; new cases go to the least loaded",
            pool.endpoints()
        );
    }

    let started_at = now();
    let mut meta = Map::new();
    meta.insert("model".into(), json!(args.model));
    meta.insert("dataset".into(), json!(args.data.dataset));
    meta.insert("image_mode".into(), json!(args.image_mode.as_str()));
    meta.insert("api_base".into(), json!(args.api_base[0]));
    if args.api_base.len() > 1 {
        meta.insert("api_bases".into(), json!(args.api_base));
    }
    meta.insert("started_at".into(), json!(started_at));
    meta.insert("finished_at".into(), Value::Null);
    meta.insert("liveclin_version".into(), json!(env!("CARGO_PKG_VERSION")));
    meta.insert("tool".into(), json!("liveclin (Rust)"));
    meta.insert("temperature".into(), json!(args.temperature));
    meta.insert("max_tokens".into(), json!(args.max_tokens));
    meta.insert("max_retries".into(), json!(args.max_retries));
    if let Some(shard) = args.shard {
        meta.insert("shard".into(), json!(shard.to_string()));
    }

    let journal_file = journal_path(&output);
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    if !args.resume && journal_file.is_file() {
        // A fresh run starts a new journal; the old one is kept, never silently lost.
        let mut previous = journal_file.clone().into_os_string();
        previous.push(".previous");
        std::fs::rename(&journal_file, &previous).with_context(|| {
            format!(
                "cannot move the old journal {} aside",
                journal_file.display()
            )
        })?;
        eprintln!(
            "Starting afresh (no --resume): the earlier journal is kept as {}",
            Path::new(&previous).display()
        );
    }
    let journal = Journal::open(&journal_file, &Value::Object(meta.clone()), !args.resume)?;
    let stop = Arc::new(Stop::default());
    watch_ctrl_c(stop.clone());
    let engine = Arc::new(Engine {
        pool: pool.clone(),
        mode: args.image_mode,
        image_root: paths.image_root.clone(),
        max_retries: args.max_retries,
        verbose: args.verbose,
        journal,
        progress: Progress::new(remaining as u64),
        stop,
    });
    let clock = Instant::now();
    let outcome = engine::run(engine.clone(), cases.clone(), plan).await;
    let elapsed = clock.elapsed();
    if let Ok(engine) = Arc::try_unwrap(engine) {
        engine.journal.close()?;
    }

    meta.insert("finished_at".into(), json!(now()));
    let tallies = pool.tallies();
    if tallies.len() > 1 || tallies.iter().any(|e| e.tally.throttled > 0) {
        print_tallies(&tallies);
        // A key of ours: official readers ignore it.
        meta.insert("endpoints".into(), serde_json::to_value(&tallies)?);
    }
    let summary = summarize(&outcome.cases);
    let file = ResultsFile {
        meta,
        summary: summary_value(summary.as_ref()),
        extra: insight::keys(&outcome.cases),
        cases: outcome.cases,
    };
    results::write_atomic(&output, &file)?;

    if outcome.interrupted {
        let finished = file.cases.len();
        println!(
            "\nInterrupted after {:.1}s: {finished} of {} cases finished and saved to {}.",
            elapsed.as_secs_f64(),
            cases.len(),
            output.display()
        );
        println!(
            "Every finished turn is in {}. Resume with:",
            journal_file.display()
        );
        println!("  {}", resume_command());
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    let errors = error_counts(&file);
    println!(
        "\nEvaluation completed in {:.1}s ({} cases)",
        elapsed.as_secs_f64(),
        outcome.ran
    );
    if errors.cases > 0 {
        println!(
            "  Errors: {} cases affected, {} MCQs failed, {} MCQs skipped",
            errors.cases, errors.failed, errors.skipped
        );
        println!("  Tip: re-run with --resume to retry failed cases.");
    }
    println!("Results saved to: {}", output.display());
    print!("{}", terminal::render(&file.meta, summary.as_ref()));
    extras::print(&file, args.ci);
    println!("Detailed results: {}", output.display());
    Ok(if errors.cases > 0 {
        ExitCode::from(EXIT_CASE_ERRORS)
    } else {
        ExitCode::SUCCESS
    })
}

/// One chat client per `--api-base`, sharing every other setting.
fn clients(args: &EvaluateArgs) -> anyhow::Result<Vec<ChatClient>> {
    let settings = ChatSettings {
        api_base: String::new(),
        api_key: api_key(args.api_key.as_deref()),
        model: args.model.clone(),
        temperature: args.temperature,
        max_tokens: args.max_tokens,
        timeout: crate::client::call_timeout(args.timeout)?,
        extra_body: extra_body(args.extra_body.as_deref())?,
    };
    args.api_base
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
fn print_tallies(tallies: &[EndpointTally]) {
    eprintln!("Endpoints:");
    for EndpointTally { api_base, tally: t } in tallies {
        eprintln!(
            "  {api_base}: {} cases, {} answers, {} rate-limited (429), {} failed calls, rested {} times, lowest limit {}",
            t.cases, t.answers, t.throttled, t.failures, t.rests, t.lowest_limit
        );
    }
}

struct ErrorCounts {
    cases: usize,
    failed: usize,
    skipped: usize,
}

/// The official end-of-run error summary: cases with any error, failed and skipped MCQs.
fn error_counts(file: &ResultsFile) -> ErrorCounts {
    let mut counts = ErrorCounts {
        cases: 0,
        failed: 0,
        skipped: 0,
    };
    for case in &file.cases {
        let mut any = false;
        for mcq in case.mcqs.iter().filter(|m| m.has_error()) {
            any = true;
            if mcq
                .error
                .as_str()
                .is_some_and(|e| e.starts_with("Skipped:"))
            {
                counts.skipped += 1;
            } else {
                counts.failed += 1;
            }
        }
        counts.cases += usize::from(any);
    }
    counts
}

/// First Ctrl-C: stop starting turns, abandon the ones in flight, write what finished.
/// Second Ctrl-C: exit at once (the journal already holds every finished turn).
fn watch_ctrl_c(stop: Arc<Stop>) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        eprintln!("\nStopping: writing the finished cases (Ctrl-C again to exit at once)...");
        stop.trigger();
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
}

/// This run's command line with `--resume` added and any API key left out.
fn resume_command() -> String {
    let mut words: Vec<String> = Vec::new();
    let mut args = std::env::args();
    while let Some(arg) = args.next() {
        if arg == "--api-key" {
            args.next();
            continue;
        }
        if arg.starts_with("--api-key=") {
            continue;
        }
        words.push(shell_word(&arg).into_owned());
    }
    if !words.iter().any(|w| w == "--resume") {
        words.push("--resume".into());
    }
    words.join(" ")
}

/// For `demo`: the API key flag is not needed against the mock.
pub fn mock_args(api_base: &str, data_dir: &Path, output: &Path, concurrency: u32) -> EvaluateArgs {
    EvaluateArgs {
        model: "mock".into(),
        api_base: vec![api_base.into()],
        api_key: Some("token".into()),
        image_mode: ImageMode::Local,
        data: crate::cli::DataArgs {
            dataset: "demo".into(),
            data_dir: data_dir.to_path_buf(),
            jsonl_path: None,
            image_root: None,
            hub: crate::cli::HubArgs::default(),
        },
        concurrency,
        output: Some(output.to_path_buf()),
        resume: false,
        max_retries: 5,
        temperature: 0.0,
        max_tokens: 16384,
        timeout: 30.0,
        verbose: false,
        ci: false,
        limit: None,
        shard: None,
        extra_body: None,
    }
}
