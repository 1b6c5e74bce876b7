//! `liveclin serve` against stand-in engines: bash scripts that record how they were
//! started, then serve the built-in mock model, never get ready, exit, or ignore SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::common::{liveclin, repo};

/// Becomes the mock model on the port it was given (its output kept off serve's stdout).
const SERVES: &str = "sleep 0.3\nexec \"$LIVECLIN\" mock-server --port \"$port\" --data-dir \"$REPO\" --dataset demo >&2";
/// Runs, but never listens.
const NEVER_READY: &str = "exec sleep 30";
/// Fails while loading.
const EXITS: &str = "exit 3";
/// Ignores SIGTERM, and starts a worker (as engines do, one per GPU).
const STUBBORN: &str = "trap '' TERM\nsleep 30 &\necho $! > \"$DIR/worker\"\nwait";

/// A stand-in engine in a temp dir of its own, which also holds what it records.
struct StandIn {
    dir: tempfile::TempDir,
    script: PathBuf,
}

impl StandIn {
    /// A stand-in whose interpreter check (`-c ...`) says SGLang is installed.
    fn new(behaviour: &str) -> Self {
        Self::build(0, behaviour)
    }

    /// A Python without SGLang: the check fails.
    fn without_sglang() -> Self {
        Self::build(1, SERVES)
    }

    fn build(check_status: u8, behaviour: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("engine");
        let text = format!(
            "#!/usr/bin/env bash\n\
             if [ \"$1\" = -c ]; then exit {check_status}; fi\n\
             DIR={dir}\nLIVECLIN={bin}\nREPO={repo}\n\
             printf '%s\\n' \"$@\" > \"$DIR/argv\"\n\
             echo $$ > \"$DIR/pid\"\n\
             while [ $# -gt 0 ]; do if [ \"$1\" = --port ]; then port=$2; fi; shift; done\n\
             {behaviour}\n",
            dir = quoted(dir.path()),
            bin = quoted(Path::new(env!("CARGO_BIN_EXE_liveclin"))),
            repo = quoted(&repo("")),
        );
        std::fs::write(&script, text).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        StandIn { dir, script }
    }

    /// The arguments the engine was started with, if it was started.
    fn argv(&self) -> Option<Vec<String>> {
        let text = std::fs::read_to_string(self.dir.path().join("argv")).ok()?;
        Some(text.lines().map(String::from).collect())
    }

    /// A pid the stand-in wrote (`pid`: the engine itself; `worker`: its child), once
    /// it has been written.
    fn pid(&self, name: &str) -> i32 {
        let path = self.dir.path().join(name);
        wait_for(|| std::fs::read_to_string(&path).ok()?.trim().parse().ok())
    }
}

/// Nothing outlives a test, even a failed one.
impl Drop for StandIn {
    fn drop(&mut self) {
        for name in ["pid", "worker"] {
            let text = std::fs::read_to_string(self.dir.path().join(name));
            if let Some(pid) = text.ok().and_then(|t| t.trim().parse::<i32>().ok())
                && alive(pid)
            {
                // SAFETY: kill(2) has no memory effects.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

/// A running `liveclin serve`: its stdout line by line, its stderr in a file.
struct Serve {
    child: Child,
    lines: Receiver<String>,
    stderr: PathBuf,
}

impl Serve {
    fn start(stand_in: &StandIn, args: &[&str]) -> Self {
        let stderr = stand_in.dir.path().join("serve.stderr");
        let mut child = Command::new(env!("CARGO_BIN_EXE_liveclin"))
            .arg("serve")
            .args(args)
            .current_dir(repo(""))
            .env("HF_HUB_OFFLINE", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let _ = send.send(line);
            }
        });
        Serve {
            child,
            lines,
            stderr,
        }
    }

    /// The first line of stdout that contains `needle`.
    fn line_with(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!("no line with {needle:?}; stderr:\n{}", self.stderr()),
            }
        }
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) has no memory effects; the pid is our unreaped child.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// Its exit status, which must come within `limit`.
    fn exit_within(&mut self, limit: Duration) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if started.elapsed() > limit {
                self.child.kill().unwrap();
                panic!(
                    "serve still running after {limit:?}; stderr:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `path` in single quotes, for the bash script.
fn quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

fn free_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port().to_string()
}

/// Polls `probe` for up to 10 s.
fn wait_for<T>(mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether a process runs (a zombie, dead but not yet reaped by its new parent, does not).
fn alive(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
    !matches!(state, Some(Some('Z' | 'X')))
}

/// Dead within 2 s (a killed worker is reaped by whoever inherits it, not by us).
fn assert_gone(pid: i32) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while alive(pid) {
        assert!(Instant::now() < deadline, "process {pid} is still running");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sglang_ready_prints_a_working_evaluate_command_and_ctrl_c_stops_the_engine() {
    let engine = StandIn::new(SERVES);
    let port = free_port();
    let python = engine.script.to_str().unwrap();
    let mut serve = Serve::start(
        &engine,
        &[
            "sglang",
            "--python",
            python,
            "--model-path",
            "/models/Demo VL",
            "--tp",
            "2",
            "--dp",
            "4",
            "--port",
            &port,
            "--poll-interval",
            "0.1",
            "--timeout",
            "30",
            "--",
            "--mem-fraction-static",
            "0.8",
        ],
    );

    // The model is named as the server knows it (the mock calls itself "mock").
    let api_base = format!("http://127.0.0.1:{port}/v1");
    assert!(serve.line_with("Server ready").contains(&api_base));
    let command = serve.line_with("liveclin evaluate");
    assert_eq!(
        command,
        format!("  liveclin evaluate --model mock --api-base {api_base} --image-mode local")
    );

    // The official helper's flags, in its order, then the extra ones.
    let argv = engine.argv().unwrap();
    let expected = [
        "-m",
        "sglang.launch_server",
        "--model-path",
        "/models/Demo VL",
        "--tp",
        "2",
        "--dp",
        "4",
        "--port",
        &port,
        "--host",
        "127.0.0.1",
        "--trust-remote-code",
        "--enable-multimodal",
        "--log-level",
        "info",
        "--mem-fraction-static",
        "0.8",
    ];
    assert_eq!(argv, expected);
    let launching = "-m sglang.launch_server --model-path '/models/Demo VL' --tp 2";
    assert!(serve.stderr().contains(launching));

    // The printed command works as printed.
    let output = engine.dir.path().join("results.json");
    liveclin()
        .args(command.split_whitespace().skip(1))
        .args([
            "--data-dir",
            ".",
            "--dataset",
            "demo",
            "--limit",
            "2",
            "--output",
        ])
        .arg(&output)
        .assert()
        .success();

    let pid = engine.pid("pid");
    assert!(alive(pid));
    serve.signal(libc::SIGINT);
    let status = serve.exit_within(Duration::from_secs(10));
    assert_eq!(status.code(), Some(130), "stderr:\n{}", serve.stderr());
    assert_gone(pid);
    assert!(serve.stderr().contains("Server stopped."));
}

#[test]
fn vllm_gets_its_own_flags_and_sigterm_stops_it() {
    let engine = StandIn::new(SERVES);
    let port = free_port();
    let vllm = engine.script.to_str().unwrap();
    let mut serve = Serve::start(
        &engine,
        &[
            "vllm",
            "--vllm-bin",
            vllm,
            "--model-path",
            "Qwen/Qwen2.5-VL-7B-Instruct",
            "--tp",
            "2",
            "--port",
            &port,
            "--served-model-name",
            "qwen-vl",
            "--poll-interval",
            "0.1",
            "--",
            "--max-model-len",
            "32768",
        ],
    );
    serve.line_with("liveclin evaluate");
    let argv = engine.argv().unwrap();
    let expected = [
        "serve",
        "Qwen/Qwen2.5-VL-7B-Instruct",
        "--tensor-parallel-size",
        "2",
        "--data-parallel-size",
        "1",
        "--port",
        &port,
        "--host",
        "127.0.0.1",
        "--trust-remote-code",
        "--served-model-name",
        "qwen-vl",
        "--max-model-len",
        "32768",
    ];
    assert_eq!(argv, expected);

    let pid = engine.pid("pid");
    serve.signal(libc::SIGTERM);
    assert_eq!(serve.exit_within(Duration::from_secs(10)).code(), Some(130));
    assert_gone(pid);
}

#[test]
fn a_server_that_never_gets_ready_is_stopped_at_the_timeout() {
    let engine = StandIn::new(NEVER_READY);
    let port = free_port();
    let python = engine.script.to_str().unwrap();
    let started = Instant::now();
    let mut serve = Serve::start(
        &engine,
        &[
            "sglang",
            "--python",
            python,
            "--model-path",
            "m",
            "--port",
            &port,
            "--timeout",
            "1",
            "--poll-interval",
            "0.1",
        ],
    );
    let status = serve.exit_within(Duration::from_secs(10));
    assert!(started.elapsed() < Duration::from_secs(6));
    assert_eq!(status.code(), Some(1));
    let stderr = serve.stderr();
    assert!(
        stderr.contains(&format!(
            "did not answer GET http://127.0.0.1:{port}/v1/models within 1 s"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("Server stopped."), "{stderr}");
    assert_gone(engine.pid("pid"));
}

#[test]
fn an_engine_that_exits_while_loading_is_reported_at_once() {
    let engine = StandIn::new(EXITS);
    let python = engine.script.to_str().unwrap();
    let started = Instant::now();
    let mut serve = Serve::start(
        &engine,
        &[
            "sglang",
            "--python",
            python,
            "--model-path",
            "m",
            "--port",
            &free_port(),
            "--timeout",
            "60",
        ],
    );
    let status = serve.exit_within(Duration::from_secs(10));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it waited for the timeout"
    );
    assert_eq!(status.code(), Some(1));
    let stderr = serve.stderr();
    assert!(
        stderr.contains("SGLang exited with exit status: 3 before it was ready"),
        "{stderr}"
    );
}

#[test]
fn an_engine_that_ignores_sigterm_is_killed_with_its_workers_after_the_grace_period() {
    let engine = StandIn::new(STUBBORN);
    let python = engine.script.to_str().unwrap();
    let mut serve = Serve::start(
        &engine,
        &[
            "sglang",
            "--python",
            python,
            "--model-path",
            "m",
            "--port",
            &free_port(),
            "--grace",
            "0.5",
        ],
    );
    let (pid, worker) = (engine.pid("pid"), engine.pid("worker"));
    serve.signal(libc::SIGINT);
    let started = Instant::now();
    let status = serve.exit_within(Duration::from_secs(10));
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "killed before the grace period"
    );
    assert_eq!(status.code(), Some(130));
    assert!(
        serve.stderr().contains("Server killed"),
        "{}",
        serve.stderr()
    );
    assert_gone(pid);
    assert_gone(worker);
}

#[test]
fn a_second_ctrl_c_kills_at_once() {
    let engine = StandIn::new(STUBBORN);
    let python = engine.script.to_str().unwrap();
    let mut serve = Serve::start(
        &engine,
        &[
            "sglang",
            "--python",
            python,
            "--model-path",
            "m",
            "--port",
            &free_port(),
            "--grace",
            "60",
        ],
    );
    let worker = engine.pid("worker");
    serve.signal(libc::SIGINT);
    wait_for(|| serve.stderr().contains("Stopping the server").then_some(()));
    serve.signal(libc::SIGINT);
    assert_eq!(serve.exit_within(Duration::from_secs(5)).code(), Some(130));
    assert_gone(worker);
}

#[test]
fn a_missing_engine_is_named_with_its_install_command() {
    // No such interpreter.
    liveclin()
        .args([
            "serve",
            "sglang",
            "--python",
            "/nonexistent/python3",
            "--model-path",
            "m",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot run /nonexistent/python3"))
        .stderr(predicates::str::contains("pip install \"sglang[all]\""))
        .stderr(predicates::str::contains("--python"));

    // An interpreter without SGLang: the engine is never launched.
    let python = StandIn::without_sglang();
    liveclin()
        .args(["serve", "sglang", "--model-path", "m", "--python"])
        .arg(&python.script)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("SGLang is not installed for"))
        .stderr(predicates::str::contains("pip install \"sglang[all]\""));
    assert_eq!(python.argv(), None);

    // No vllm executable.
    liveclin()
        .args([
            "serve",
            "vllm",
            "--vllm-bin",
            "/nonexistent/vllm",
            "--model-path",
            "m",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot run /nonexistent/vllm"))
        .stderr(predicates::str::contains("pip install vllm"))
        .stderr(predicates::str::contains("--vllm-bin"));
}
