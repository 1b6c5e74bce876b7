//! `liveclin mock-server` and `liveclin demo`.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::cli::{DataArgs, DemoArgs, EvaluateArgs, MockBehaviour, MockServerArgs, parse_words};
use crate::exit::Exit;
use liveclin_net::mock::ratelimit::RateLimit;
use liveclin_net::mock::{FAULTS, Mock, MockConfig};

/// The mock's settings from the command line.
pub(crate) fn config(b: &MockBehaviour) -> anyhow::Result<MockConfig> {
    if !(0.0..=1.0).contains(&b.accuracy) {
        bail!("--accuracy must be between 0 and 1");
    }
    if !(0.0..=1.0).contains(&b.batch_expire) {
        bail!("--batch-expire must be between 0 and 1");
    }
    let mut faults = HashMap::new();
    for item in b.faults.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let Some((kind, rate)) = item.split_once('=') else {
            bail!("--faults: {item:?} is not KIND=RATE");
        };
        if !FAULTS.contains(&kind) {
            bail!(
                "--faults: unknown fault {kind:?} (known: {})",
                FAULTS.join(", ")
            );
        }
        let rate: f64 = rate
            .parse()
            .map_err(|_| anyhow::anyhow!("--faults: {rate:?} is not a number"))?;
        faults.insert(kind.to_string(), rate);
    }
    Ok(MockConfig {
        accuracy: b.accuracy,
        seed: b.seed,
        latency: Duration::from_millis(b.latency_ms),
        faults,
        retry_after: b.retry_after,
        slow: Duration::from_millis(b.slow_ms),
        ignore_images: b.ignore_images,
        max_in_flight: b.max_in_flight.map(|n| n as usize),
        persistent_faults: b.persistent_faults,
        ignore_list_content: b.ignore_list_content,
        api_key: b.require_key.clone(),
        strict_model: b.strict_model,
        context_length: b.context_length,
        one_at_a_time: b.one_at_a_time,
        reply_padding: b.reply_padding,
        rate_limit: (b.limit_rpm.is_some() || b.limit_tpm.is_some()).then_some(RateLimit {
            requests: b.limit_rpm,
            tokens: b.limit_tpm,
            window: b.limit_window,
        }),
        image_tokens: b.image_tokens,
        omit_usage: b.no_usage,
        batch_delay: Duration::from_millis(b.batch_delay_ms),
        batch_expire: b.batch_expire,
        ..MockConfig::default()
    })
}

pub(crate) fn run(args: &MockServerArgs) -> anyhow::Result<Exit> {
    let (dataset, paths) = super::load_config(&args.data)?;
    let mock = Arc::new(Mock::new(
        config(&args.behaviour)?,
        &dataset.cases,
        &paths.image_root,
    ));
    tokio::runtime::Runtime::new()?.block_on(async {
        let (addr, server) = liveclin_net::mock::start(mock, args.port).await?;
        // A reader gone from stdout must not stop the server it announces.
        let mut out = crate::output::stdout();
        let _ = writeln!(out, "Mock model \"mock\" answering {} cases of {} at http://{addr}/v1", dataset.cases.len(), dataset.path.display());
        let _ = writeln!(out, "Try: liveclin evaluate --model mock --api-base http://{addr}/v1 --image-mode local --dataset {} --data-dir {}", args.data.dataset, args.data.data_dir.display());
        drop(out);
        tokio::select! {
            _ = server => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(Exit::Success)
    })
}

/// `liveclin demo`: the built-in mock model in process, then `evaluate` of the demo config
/// against it. Without `--data-dir` the config is the copy built into the binary, so an
/// installed liveclin runs it from any directory; results go under the current one.
pub(crate) fn demo(args: &DemoArgs) -> anyhow::Result<Exit> {
    // Kept alive until the run ends: dropping it removes the unpacked copy.
    let unpacked;
    let data_dir = match &args.data_dir {
        Some(dir) => dir.as_path(),
        None => {
            unpacked = crate::demo::Unpacked::new()
                .context("cannot unpack the built-in demo config into the temporary folder")?;
            liveclin_term::say!(
                "Demo: the demo config built into liveclin, unpacked to {} for this run",
                unpacked.data_dir().display()
            );
            unpacked.data_dir()
        }
    };
    run_demo(args, data_dir)
}

/// Runs the demo on the config under `data_dir`/data/demo/: `evaluate` with the words
/// a user would type, so that every setting the demo does not choose is evaluate's own
/// default.
fn run_demo(args: &DemoArgs, data_dir: &Path) -> anyhow::Result<Exit> {
    let data_words: [OsString; 4] = [
        "--dataset".into(),
        crate::demo::CONFIG.into(),
        "--data-dir".into(),
        data_dir.into(),
    ];
    let data: DataArgs = parse_words(data_words.clone())?;
    let (dataset, paths) = super::load_config(&data)?;
    let mock = Arc::new(Mock::new(
        config(&args.behaviour)?,
        &dataset.cases,
        &paths.image_root,
    ));
    tokio::runtime::Runtime::new()?.block_on(async {
        let (addr, server) = liveclin_net::mock::start(mock, 0).await?;
        liveclin_term::say!(
            "Demo: the built-in mock model serves the demo config at http://{addr}/v1"
        );
        let mut words: Vec<OsString> = [
            "--model",
            "mock",
            "--api-base",
            &format!("http://{addr}/v1"),
            // The mock takes any key; this one keeps the user's own keys at home.
            "--api-key",
            "token",
            "--image-mode",
            "local",
            // A hung reply (`--faults hang=...`) costs 30 s here, not evaluate's 120.
            "--timeout",
            "30",
            // The demo's answers cost nothing; an earlier demo run is moved to a backup.
            "--overwrite",
            "--concurrency",
            &args.concurrency.to_string(),
        ]
        .map(OsString::from)
        .into();
        words.extend(data_words);
        words.extend(["--output".into(), args.output.clone().into_os_string()]);
        let mut evaluate: EvaluateArgs = parse_words(words)?;
        evaluate.price = args.price;
        let code = super::evaluate::evaluate(evaluate).await;
        server.abort();
        code
    })
}
