//! `liveclin download` and the on-demand download, run for real against the Hub
//! imitation of `hub_server` on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::common::liveclin;
use super::hub_server::{self, COMMIT, HubServer, TOKEN};

/// A command with the Hub pointed at `server` and no token or offline setting leaking
/// in from the machine (`HF_HOME` is empty, so no saved token is found).
fn with_hub(server: &HubServer, home: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = liveclin();
    cmd.env("HF_ENDPOINT", &server.endpoint)
        .env("HF_HOME", home.join("hf-home"))
        .env_remove("HF_TOKEN")
        .env_remove("HF_TOKEN_PATH")
        .env_remove("HF_HUB_OFFLINE")
        .args(args);
    cmd
}

fn download(server: &HubServer, data_dir: &Path, extra: &[&str]) -> assert_cmd::Command {
    let mut cmd = with_hub(
        server,
        data_dir,
        &["download", "--dataset", "demo", "--data-dir"],
    );
    cmd.arg(data_dir).args(extra);
    cmd
}

/// `liveclin validate` of the demo config under `data_dir` (downloading it if missing).
fn validate(server: &HubServer, data_dir: &Path) -> assert_cmd::Command {
    let mut cmd = with_hub(
        server,
        data_dir,
        &["validate", "--dataset", "demo", "--data-dir"],
    );
    cmd.arg(data_dir);
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Every file under `dir`, relative, with `/` separators.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    found.sort();
    found
}

/// The config's files, and only those, are on disk, byte for byte.
fn assert_exact_copy(server: &HubServer, data_dir: &Path) {
    let expected: Vec<&String> = server
        .hub
        .files()
        .keys()
        .filter(|p| p.starts_with("data/demo/"))
        .collect();
    let mut wanted: Vec<String> = expected.iter().map(|p| p.to_string()).collect();
    wanted.push("data/demo/.liveclin-source.json".into());
    wanted.sort();
    let on_disk: Vec<String> = files_under(data_dir)
        .into_iter()
        .filter(|p| !p.starts_with("hf-home"))
        .collect();
    assert_eq!(on_disk, wanted);
    for path in expected {
        let local = std::fs::read(data_dir.join(path)).unwrap();
        assert!(local == server.hub.files()[path], "{path} differs");
    }
}

fn demo_file_count(server: &HubServer) -> usize {
    server
        .hub
        .files()
        .keys()
        .filter(|p| p.starts_with("data/demo/"))
        .count()
}

fn lfs_count(server: &HubServer) -> usize {
    server
        .hub
        .files()
        .keys()
        .filter(|p| p.starts_with("data/demo/") && (p.ends_with(".png") || p.ends_with(".jpg")))
        .count()
}

#[test]
fn downloads_only_the_config_pinned_paged_verified_and_once() {
    let server = hub_server::start(7);
    server.hub.faults.lock().unwrap().require_token = Some(TOKEN.into());
    let dir = tempfile::tempdir().unwrap();
    let out = download(&server, dir.path(), &["--jobs", "4"])
        .env("HF_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_exact_copy(&server, dir.path());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("Fetched {} files", demo_file_count(&server))),
        "{stdout}"
    );

    let log = server.hub.log();
    let api = "/api/datasets/AQ-MedAI/LiveClin";
    let (hub, cdn): (Vec<_>, Vec<_>) = log.iter().partition(|s| !s.cdn);
    assert_eq!(hub[0].path, format!("{api}/revision/main"));
    let trees: Vec<_> = hub.iter().filter(|s| s.path.contains("/tree/")).collect();
    assert!(
        trees.len() > 5,
        "the listing is paged: {} pages",
        trees.len()
    );
    for seen in &hub[1..] {
        let pinned_tree = seen.path == format!("{api}/tree/{COMMIT}/data/demo");
        let pinned_file = seen.path.starts_with(&format!(
            "/datasets/AQ-MedAI/LiveClin/resolve/{COMMIT}/data/demo/"
        ));
        assert!(
            pinned_tree || pinned_file,
            "a request outside the config or not pinned: {seen:?}"
        );
        assert_eq!(
            seen.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    let mut resolved = server.hub.resolved();
    resolved.sort();
    let expected: Vec<&String> = server
        .hub
        .files()
        .keys()
        .filter(|p| p.starts_with("data/demo/"))
        .collect();
    assert_eq!(
        resolved.iter().collect::<Vec<_>>(),
        expected,
        "one request per file"
    );
    assert!(resolved.contains(&"data/demo/extra/scan 01.png".to_string()));
    assert_eq!(cdn.len(), lfs_count(&server), "LFS files come from the CDN");
    assert!(
        cdn.iter()
            .all(|s| s.authorization.is_none() && s.status == 200),
        "the token never reaches the CDN"
    );

    // The pinned commit is recorded and shown; the token is written nowhere.
    let validate = validate(&server, dir.path()).output().unwrap();
    let report = text(&validate.stdout);
    assert!(
        report.contains(&format!(
            "downloaded from AQ-MedAI/LiveClin at commit {COMMIT} (revision main"
        )),
        "{report}"
    );
    assert!(report.contains("complete"), "{report}");
    let record =
        std::fs::read_to_string(dir.path().join("data/demo/.liveclin-source.json")).unwrap();
    assert!(
        !record.contains(TOKEN) && !stdout.contains(TOKEN) && !text(&out.stderr).contains(TOKEN)
    );

    // A second run asks only which commit `main` is, and fetches nothing.
    server.hub.clear_log();
    let again = download(&server, dir.path(), &[])
        .env("HF_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).contains("nothing to fetch"),
        "{}",
        text(&again.stdout)
    );
    let log = server.hub.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].path.ends_with("/revision/main"));
}

#[test]
fn gated_repo_without_a_token_says_to_set_hf_token() {
    let server = hub_server::start(100);
    server.hub.faults.lock().unwrap().require_token = Some(TOKEN.into());
    let dir = tempfile::tempdir().unwrap();
    let out = download(&server, dir.path(), &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("gated or private") && stderr.contains("set HF_TOKEN"),
        "{stderr}"
    );

    let out = download(&server, dir.path(), &["--hf-token", "hf_wrong"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("rejected the token"),
        "{}",
        text(&out.stderr)
    );

    // The token saved by `huggingface-cli login` is used when no other is given.
    std::fs::create_dir_all(dir.path().join("hf-home")).unwrap();
    std::fs::write(dir.path().join("hf-home/token"), format!("{TOKEN}\n")).unwrap();
    let out = download(&server, dir.path(), &[]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn rate_limits_errors_and_cut_transfers_are_ridden_out() {
    let server = hub_server::start(1000);
    let cut_lfs = "data/demo/extra/scan 01.png";
    assert!(
        server.hub.files().contains_key(cut_lfs),
        "the demo has {cut_lfs}"
    );
    {
        let mut faults = server.hub.faults.lock().unwrap();
        faults.rate_limit_files = 2;
        faults.cut_first = ["data/demo/demo.jsonl".to_string(), cut_lfs.to_string()].into();
        faults.fail_first = ["data/demo/README.md".to_string()].into();
    }
    let dir = tempfile::tempdir().unwrap();
    let out = download(&server, dir.path(), &[]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_exact_copy(&server, dir.path());
    assert!(
        text(&out.stderr).contains("pausing all downloads"),
        "{}",
        text(&out.stderr)
    );

    let log = server.hub.log();
    // After the first 429 every worker waits for its Retry-After (1 s): nothing is sent
    // in between except requests already on their way.
    let first_429 = log.iter().find(|s| s.status == 429).unwrap().at;
    let during: Vec<_> = log
        .iter()
        .filter(|s| {
            s.at > first_429 + Duration::from_millis(200)
                && s.at < first_429 + Duration::from_millis(900)
        })
        .collect();
    assert!(during.is_empty(), "requests during the pause: {during:?}");
    // Cut transfers continue from the bytes they already have.
    for (path, cdn) in [("demo.jsonl", false), (".png", true)] {
        let size = if cdn {
            server.hub.files()[cut_lfs].len()
        } else {
            server.hub.files()["data/demo/demo.jsonl"].len()
        };
        let resumed = log
            .iter()
            .filter(|s| s.cdn == cdn && s.range.is_some() && (cdn || s.path.ends_with(path)))
            .map(|s| s.range.clone().unwrap())
            .collect::<Vec<_>>();
        // One resuming request, from what arrived before the cut (at most half the file).
        assert_eq!(resumed.len(), 1, "{path}: {resumed:?}");
        let from: usize = resumed[0]
            .trim_start_matches("bytes=")
            .trim_end_matches('-')
            .parse()
            .unwrap();
        assert!(from > 0 && from <= size / 2, "{path}: {resumed:?}");
    }
    // The 500 was retried (a 429 may fall in between).
    let readme: Vec<u16> = log
        .iter()
        .filter(|s| s.path.ends_with("/data/demo/README.md") && s.status != 429)
        .map(|s| s.status)
        .collect();
    assert_eq!(readme, vec![500, 200]);
}

#[test]
fn an_interrupted_download_resumes_where_it_stopped() {
    let server = hub_server::start(1000);
    server.hub.faults.lock().unwrap().throttle = Some(Duration::from_millis(15));
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("liveclin"))
        .env("HF_ENDPOINT", &server.endpoint)
        .env("HF_HOME", dir.path().join("hf-home"))
        .env_remove("HF_TOKEN")
        .env_remove("HF_HUB_OFFLINE")
        .args(["download", "--dataset", "demo", "--data-dir"])
        .arg(dir.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let completed = || {
        server
            .hub
            .completed
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    while completed() < 12 {
        if start.elapsed() > Duration::from_secs(60) || child.try_wait().unwrap().is_some() {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "the download never got going: {} {:?}",
                text(&out.stderr),
                server
                    .hub
                    .log()
                    .iter()
                    .map(|s| (s.path.clone(), s.status))
                    .collect::<Vec<_>>()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let config = dir.path().join("data/demo");
    let parts: Vec<String> = files_under(&config)
        .into_iter()
        .filter(|f| f.ends_with(".part"))
        .collect();
    assert!(!parts.is_empty(), "transfers were under way");
    let record = std::fs::read_to_string(config.join(".liveclin-source.json")).unwrap();
    assert!(record.contains("\"complete\": false"), "{record}");
    let finished: Vec<String> = files_under(&config)
        .into_iter()
        .filter(|f| !f.ends_with(".part") && !f.starts_with(".liveclin"))
        .map(|f| format!("data/demo/{f}"))
        .collect();

    // Offline, the half-done copy is refused rather than used.
    let offline = validate(&server, dir.path())
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .unwrap();
    assert_eq!(offline.status.code(), Some(2));
    assert!(
        text(&offline.stderr).contains("only partly downloaded"),
        "{}",
        text(&offline.stderr)
    );

    server.hub.faults.lock().unwrap().throttle = None;
    server.hub.clear_log();
    let out = download(&server, dir.path(), &[]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_exact_copy(&server, dir.path());
    let resolved = server.hub.resolved();
    assert!(
        resolved.iter().all(|p| !finished.contains(p)),
        "finished files are not fetched again"
    );
    // Parts that had every byte are checked and renamed without a request.
    assert!(resolved.len() >= demo_file_count(&server) - finished.len() - parts.len());
    let ranges = server
        .hub
        .log()
        .iter()
        .filter(|s| s.range.is_some())
        .count();
    assert!(ranges >= 1, "partial files resume with a Range request");
}

#[test]
fn verify_finds_damaged_files_and_fetches_them_again() {
    let server = hub_server::start(1000);
    let dir = tempfile::tempdir().unwrap();
    assert!(
        download(&server, dir.path(), &[])
            .output()
            .unwrap()
            .status
            .success()
    );
    let flipped = "data/demo/image/case02/fig1.png";
    let truncated = "data/demo/demo.jsonl";
    let mut bytes = std::fs::read(dir.path().join(flipped)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(dir.path().join(flipped), &bytes).unwrap();
    let short = std::fs::read(dir.path().join(truncated)).unwrap();
    std::fs::write(dir.path().join(truncated), &short[..100]).unwrap();

    // Offline, --verify reports both against the recorded listing and fetches nothing.
    server.hub.clear_log();
    let offline = download(&server, dir.path(), &["--verify", "--offline"])
        .output()
        .unwrap();
    assert_eq!(offline.status.code(), Some(2));
    let stderr = text(&offline.stderr);
    assert!(
        stderr.contains("2 of") && stderr.contains(flipped) && stderr.contains(truncated),
        "{stderr}"
    );
    assert!(server.hub.log().is_empty());

    // A plain run sees the wrong size only; --verify hashes and finds the flipped byte.
    let plain = download(&server, dir.path(), &[]).output().unwrap();
    assert!(plain.status.success());
    assert_eq!(server.hub.resolved(), vec![truncated.to_string()]);
    server.hub.clear_log();
    let verify = download(&server, dir.path(), &["--verify"])
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    let stdout = text(&verify.stdout);
    assert!(
        stdout.contains("1 local files differed") && stdout.contains(flipped),
        "{stdout}"
    );
    assert_eq!(server.hub.resolved(), vec![flipped.to_string()]);
    assert_exact_copy(&server, dir.path());
}

#[test]
fn offline_never_touches_the_network() {
    let server = hub_server::start(1000);
    let dir = tempfile::tempdir().unwrap();
    for command in [
        vec!["download", "--dataset", "demo"],
        vec!["validate", "--dataset", "demo"],
        vec!["prompts", "--dataset", "demo"],
    ] {
        let out = with_hub(&server, dir.path(), &command)
            .arg("--data-dir")
            .arg(dir.path())
            .env("HF_HUB_OFFLINE", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{command:?}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("HF_HUB_OFFLINE"), "{command:?}: {stderr}");
    }
    assert!(server.hub.log().is_empty(), "{:?}", server.hub.log());

    // Once downloaded, offline commands use the copy without a request.
    assert!(
        download(&server, dir.path(), &[])
            .output()
            .unwrap()
            .status
            .success()
    );
    server.hub.clear_log();
    let out = validate(&server, dir.path())
        .env("HF_HUB_OFFLINE", "true")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = download(&server, dir.path(), &["--verify"])
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(server.hub.log().is_empty(), "{:?}", server.hub.log());
}

#[test]
fn the_commands_that_read_a_config_download_it_when_missing() {
    let server = hub_server::start(1000);
    let dir = tempfile::tempdir().unwrap();
    let out = validate(&server, dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("downloading it from"),
        "{}",
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains(&format!("at commit {COMMIT}")));
    assert_exact_copy(&server, dir.path());

    let other: PathBuf = dir.path().join("second");
    let out = with_hub(
        &server,
        &other,
        &["prompts", "--dataset", "demo", "--limit", "1", "--data-dir"],
    )
    .arg(&other)
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("case"), "{}", text(&out.stdout));
    assert!(other.join("data/demo/demo.jsonl").is_file());
}

#[test]
fn unknown_configs_revisions_and_unsafe_listings_are_clear_errors() {
    let server = hub_server::start(1000);
    let dir = tempfile::tempdir().unwrap();
    let out = with_hub(
        &server,
        dir.path(),
        &["download", "--dataset", "2099_H9", "--data-dir"],
    )
    .arg(dir.path())
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unknown dataset config \"2099_H9\"")
            && stderr.contains("Configs there: demo, other"),
        "{stderr}"
    );

    let out = download(&server, dir.path(), &["--revision", "v9"])
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("No revision \"v9\""),
        "{}",
        text(&out.stderr)
    );

    // A Hub that cannot be reached at all says so in seconds, with what to do offline.
    let out = download(&server, dir.path(), &[])
        .env("HF_ENDPOINT", "http://127.0.0.1:1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot reach")
            && text(&out.stderr).contains("HF_HUB_OFFLINE=1")
    );

    server.hub.faults.lock().unwrap().inject = vec![
        serde_json::json!({"type": "file", "path": "data/demo/../../evil.txt", "size": 3, "oid": "00"}),
    ];
    server.hub.clear_log();
    let out = download(&server, dir.path(), &[]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("refused a file path"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        server.hub.resolved().is_empty(),
        "nothing is fetched from a listing with an unsafe path"
    );
    assert!(!dir.path().join("evil.txt").exists() && !dir.path().join("data/evil.txt").exists());
}

/// A Hub that accepts connections and never answers: the user is told that liveclin is
/// waiting for it, and the download fails after the read timeout instead of hanging.
#[test]
fn a_silent_hub_is_announced_and_given_up() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    // Accepts every connection and holds it open without a word.
    std::thread::spawn(move || {
        let held: Vec<_> = silent.incoming().collect();
        drop(held);
    });
    let server = hub_server::start(1000);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = download(&server, dir.path(), &[])
        .env("HF_ENDPOINT", &endpoint)
        .env("LIVECLIN_HUB_READ_TIMEOUT", "6")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let took = started.elapsed();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("waiting for the Hub ({endpoint}) ..."))
            && stderr.contains("no answer from")
            && stderr.contains("within 6 s"),
        "{stderr}"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
}
