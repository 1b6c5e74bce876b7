//! The full-size benchmark: `cargo bench --bench full_run`.
//!
//! Generates a full-size synthetic config (1,407 cases, 6,605 MCQs, 1,800 pictures of
//! about 150 KB; `synth.rs`), starts `liveclin mock-server` as a separate process, runs
//! `liveclin evaluate` in local image mode at 0 ms and at 200 ms per reply, and prints,
//! for each: wall time, MCQs/s, CPU time, peak RSS, request bytes sent, and the ratio of
//! wall time to the latency-bound ideal. Then it times `validate` of the config and
//! `report` of the results, and runs evaluate on a quarter, a half and all of the cases
//! to show that the cost per case does not grow with the run.
//!
//! Options (after `--`): `--cases N`, `--mcqs N`, `--images N` for a smaller config,
//! `--concurrency N` (100), `--latencies 0,200`.

mod synth;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use synth::Size;

const BIN: &str = env!("CARGO_BIN_EXE_liveclin");

struct Options {
    size: Size,
    concurrency: usize,
    latencies: Vec<u64>,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        size: Size::FULL,
        concurrency: 100,
        latencies: vec![0, 200],
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || -> anyhow::Result<String> {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--cases" => o.size.cases = value()?.parse()?,
            "--mcqs" => o.size.mcqs = value()?.parse()?,
            "--images" => o.size.images = value()?.parse()?,
            "--concurrency" => o.concurrency = value()?.parse()?,
            "--latencies" => {
                o.latencies = value()?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?
            }
            "--bench" => {} // added by `cargo bench`
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    anyhow::ensure!(
        o.size.mcqs >= 3 * o.size.cases && o.size.mcqs <= 6 * o.size.cases,
        "--mcqs must be 3 to 6 per case"
    );
    Ok(o)
}

/// What one process cost.
#[derive(Debug, Clone, Copy)]
struct Cost {
    wall: Duration,
    cpu: Duration,
    peak_rss_mb: f64,
}

/// Waits for `child` and reads its resource usage from the kernel.
fn wait_measured(child: Child, started: Instant) -> anyhow::Result<(ExitStatus, Cost)> {
    use std::os::unix::process::ExitStatusExt;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value, filled by wait4 for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: pid is our child, not yet reaped; the pointers are to live locals.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    anyhow::ensure!(
        reaped == pid,
        "wait4 failed: {}",
        std::io::Error::last_os_error()
    );
    let wall = started.elapsed();
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Ok((
        ExitStatus::from_raw(status),
        Cost {
            wall,
            cpu: time(usage.ru_utime) + time(usage.ru_stime),
            peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        },
    ))
}

/// Runs `liveclin ARGS` to the end, output discarded, and measures it.
fn run_measured(args: &[&str]) -> anyhow::Result<Cost> {
    let started = Instant::now();
    let child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stderr = String::new();
    let mut child = child;
    let mut pipe = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let _ = pipe.read_to_string(&mut stderr);
        stderr
    });
    let (status, cost) = wait_measured(child, started)?;
    let stderr = reader.join().expect("the reader thread ends");
    anyhow::ensure!(
        status.success(),
        "liveclin {} failed ({status}):\n{}",
        args.join(" "),
        stderr.lines().rev().take(20).collect::<Vec<_>>().join("\n")
    );
    Ok(cost)
}

/// `liveclin mock-server` on a free port, as a process of its own.
struct MockServer {
    child: Child,
    addr: String,
    started: Instant,
}

impl MockServer {
    fn start(config: &synth::Config, latency_ms: u64) -> anyhow::Result<Self> {
        let started = Instant::now();
        let mut child = Command::new(BIN)
            .args(["mock-server", "--port", "0", "--latency-ms"])
            .arg(latency_ms.to_string())
            .arg("--data-dir")
            .arg(&config.data_dir)
            .args(["--dataset", config.dataset])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        stdout.read_line(&mut line)?;
        // Keep reading: a closed pipe would kill the server at its next line.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .ok_or_else(|| anyhow::anyhow!("mock-server said {line:?}"))?
            .to_string();
        Ok(MockServer {
            child,
            addr,
            started,
        })
    }

    fn base(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Request body bytes received so far.
    fn bytes_received(&self) -> anyhow::Result<u64> {
        let mut stream = std::net::TcpStream::connect(&self.addr)?;
        write!(
            stream,
            "GET /v1/mock/stats HTTP/1.0\r\nHost: {}\r\n\r\n",
            self.addr
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
        let stats: serde_json::Value = serde_json::from_str(body)?;
        stats["bytes_received"]
            .as_u64()
            .ok_or_else(|| anyhow::anyhow!("no bytes_received in the mock's stats"))
    }

    /// Stops the server (Ctrl-C) and returns what it cost.
    fn stop(self) -> anyhow::Result<Cost> {
        // SAFETY: signalling our own child process.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
        Ok(wait_measured(self.child, self.started)?.1)
    }
}

/// The latency-bound ideal: the time the replies alone need, each case's turns one after
/// another, cases started in dataset order on `concurrency` places (list scheduling).
fn ideal(mcqs_per_case: &[usize], concurrency: usize, latency: Duration) -> Duration {
    let mut free: BinaryHeap<Reverse<u64>> = (0..concurrency).map(|_| Reverse(0)).collect();
    let mut makespan = 0;
    for &n in mcqs_per_case {
        let Reverse(start) = free.pop().expect("one place at least");
        let end = start + n as u64;
        makespan = makespan.max(end);
        free.push(Reverse(end));
    }
    latency * makespan as u32
}

struct Row {
    name: String,
    cost: Cost,
    mcqs: usize,
    sent_mb: f64,
    ideal: Option<Duration>,
    mock_cpu: Duration,
}

fn evaluate(
    config: &synth::Config,
    out: &Path,
    latency_ms: u64,
    concurrency: usize,
    limit: Option<usize>,
) -> anyhow::Result<Row> {
    let server = MockServer::start(config, latency_ms)?;
    let output = out.join(format!(
        "results-{latency_ms}ms-{}.json",
        limit.unwrap_or(0)
    ));
    // A benchmark's results are disposable: `evaluate` refuses to start over earlier work.
    let _ = std::fs::remove_file(&output);
    let _ = std::fs::remove_file(output.with_extension("json.journal.jsonl"));
    let base = server.base();
    let concurrency_text = concurrency.to_string();
    let limit_text = limit.map(|n| n.to_string());
    let mut args = vec![
        "evaluate",
        "--model",
        "mock",
        "--api-base",
        &base,
        "--image-mode",
        "local",
        "--dataset",
        config.dataset,
        "--concurrency",
        &concurrency_text,
        "--data-dir",
    ];
    let data_dir = config.data_dir.to_string_lossy();
    args.push(&data_dir);
    let output_text = output.to_string_lossy();
    args.extend(["--output", &output_text]);
    if let Some(limit) = &limit_text {
        args.extend(["--limit", limit]);
    }
    let cost = run_measured(&args)?;
    let sent = server.bytes_received()?;
    let mock = server.stop()?;
    let cases = limit.unwrap_or(config.mcqs_per_case.len());
    let per_case = &config.mcqs_per_case[..cases];
    let latency = Duration::from_millis(latency_ms);
    Ok(Row {
        name: match limit {
            Some(n) => format!("evaluate, {n} cases, {latency_ms} ms"),
            None => format!("evaluate, {latency_ms} ms replies"),
        },
        cost,
        mcqs: per_case.iter().sum(),
        sent_mb: sent as f64 / 1e6,
        ideal: (latency_ms > 0).then(|| ideal(per_case, concurrency, latency)),
        mock_cpu: mock.cpu,
    })
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").parse::<f64>().ok())
        })
        .map_or("?".into(), |kb| format!("{:.0} GiB", kb / 1024.0 / 1024.0));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{cores} cores ({model}), {memory} RAM, {}",
        std::env::consts::OS
    )
}

fn main() -> anyhow::Result<()> {
    let o = options()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/liveclin-bench");
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo/demo.jsonl");
    let config = synth::generate(&root, o.size, &templates)?;
    let out: PathBuf = root.join("results");
    std::fs::create_dir_all(&out)?;
    println!("Machine: {}", machine());
    println!(
        "Config: {} cases, {} MCQs, {} pictures ({:.0} MB); local image mode, concurrency {}, mock endpoint in its own process",
        o.size.cases,
        o.size.mcqs,
        o.size.images,
        config.image_bytes_total as f64 / 1e6,
        o.concurrency
    );

    let mut rows = Vec::new();
    for &latency in &o.latencies {
        rows.push(evaluate(&config, &out, latency, o.concurrency, None)?);
    }
    println!();
    println!(
        "| run | wall s | MCQs/s | CPU s | peak RSS MB | sent MB | ideal s | wall / ideal | mock CPU s |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {:.2} | {:.0} | {:.2} | {:.1} | {:.0} | {} | {} | {:.2} |",
            r.name,
            r.cost.wall.as_secs_f64(),
            r.mcqs as f64 / r.cost.wall.as_secs_f64(),
            r.cost.cpu.as_secs_f64(),
            r.cost.peak_rss_mb,
            r.sent_mb,
            r.ideal
                .map_or("-".into(), |d| format!("{:.2}", d.as_secs_f64())),
            r.ideal.map_or("-".into(), |d| format!(
                "{:.3}",
                r.cost.wall.as_secs_f64() / d.as_secs_f64()
            )),
            r.mock_cpu.as_secs_f64(),
        );
    }

    let data_dir = config.data_dir.to_string_lossy().to_string();
    let validate = run_measured(&[
        "validate",
        "--data-dir",
        &data_dir,
        "--dataset",
        config.dataset,
    ])?;
    let results = out.join(format!("results-{}ms-0.json", o.latencies[0]));
    let report = run_measured(&["report", &results.to_string_lossy()])?;
    println!();
    println!("| command | wall s | CPU s | peak RSS MB |");
    println!("|---|---:|---:|---:|");
    for (name, c) in [
        ("validate (full config)", validate),
        ("report (full results)", report),
    ] {
        println!(
            "| {name} | {:.3} | {:.3} | {:.1} |",
            c.wall.as_secs_f64(),
            c.cpu.as_secs_f64(),
            c.peak_rss_mb
        );
    }

    // The cost per case must not grow with the number of cases (0 ms replies).
    println!();
    println!("| cases (0 ms replies) | wall s | ms per case | CPU ms per case | peak RSS MB |");
    println!("|---:|---:|---:|---:|---:|");
    let all = o.size.cases;
    for cases in [all / 4, all / 2, all] {
        let r = evaluate(&config, &out, 0, o.concurrency, Some(cases))?;
        println!(
            "| {cases} | {:.2} | {:.2} | {:.2} | {:.1} |",
            r.cost.wall.as_secs_f64(),
            r.cost.wall.as_secs_f64() * 1000.0 / cases as f64,
            r.cost.cpu.as_secs_f64() * 1000.0 / cases as f64,
            r.cost.peak_rss_mb
        );
    }
    Ok(())
}
