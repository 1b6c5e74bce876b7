//! `evaluate --shard auto` under a scheduler, through the example files users copy: the
//! Slurm script and the Kubernetes manifest are run as their scheduler would run them (a
//! stand-in `sbatch`, the pod's shell), their shards must partition the config, and their
//! merge must equal the unsharded run.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use liveclin_net::shard::SCHEDULER_VARS;
use predicates::prelude::*;
use serde_json::Value;

use super::common::{MockServer, evaluate, mock_server, repo, summary_of};

/// The mock model every run here is scored against (the same answers for every shard).
fn server() -> MockServer {
    mock_server(liveclin_net::mock::MockConfig {
        accuracy: 0.6,
        seed: 5,
        ..Default::default()
    })
}

/// The unsharded run of the demo config: what the shards must add up to.
fn whole_run(server: &MockServer, dir: &Path) -> PathBuf {
    let whole = dir.join("whole.json");
    outside_any_job(&mut evaluate(
        &server.base,
        &whole,
        &["--image-mode", "local"],
    ))
    .assert()
    .success();
    whole
}

/// Clears the scheduler variables of the machine running the tests, so a test run inside
/// a real job array is not taken for one of its tasks.
fn outside_any_job(cmd: &mut assert_cmd::Command) -> &mut assert_cmd::Command {
    for name in SCHEDULER_VARS.iter().chain(&["SLURM_RESTART_COUNT"]) {
        cmd.env_remove(name);
    }
    cmd
}

/// `shell` as a job of the examples runs in `dir`: the built `liveclin` and a stand-in
/// `sbatch` (recording its arguments in `dir/sbatch.log`) on PATH, and the examples'
/// variables pointing at the mock model and the demo config.
fn job_shell(shell: &str, dir: &Path, server: &MockServer) -> assert_cmd::Command {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let sbatch = bin.join("sbatch");
    std::fs::write(&sbatch, "#!/bin/sh\nprintf '%s\\n' \"$@\" >> sbatch.log\n").unwrap();
    std::fs::set_permissions(&sbatch, std::fs::Permissions::from_mode(0o755)).unwrap();
    let liveclin = assert_cmd::cargo::cargo_bin("liveclin");
    let path = std::env::join_paths(
        [bin, liveclin.parent().unwrap().to_path_buf()]
            .into_iter()
            .chain(std::env::split_paths(
                &std::env::var_os("PATH").unwrap_or_default(),
            )),
    )
    .unwrap();
    let mut cmd = assert_cmd::Command::new(shell);
    outside_any_job(&mut cmd)
        .current_dir(dir)
        .env("PATH", path)
        .env("HF_HUB_OFFLINE", "1")
        .env("MODEL", "mock")
        .env("API_BASE", &server.base)
        .env("DATASET", "demo")
        .env("DATA_DIR", repo(""))
        .env("IMAGE_MODE", "local");
    cmd
}

/// The examples' shards, left in `dir/results/` under their default names, each record
/// their K/N and together hold every case of the whole run once; their merge
/// (`results/mock_demo.json`) is the whole run, in its order.
fn assert_partition_and_merge(dir: &Path, count: u32, whole: &Path) {
    let mut union = Vec::new();
    for k in 1..=count {
        let shard = dir.join(format!("results/mock_demo_shard-{k}-of-{count}.json"));
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&shard).unwrap()).unwrap();
        assert_eq!(
            file["meta"]["shard"],
            format!("{k}/{count}"),
            "{}",
            shard.display()
        );
        union.extend(crate::common::case_ids(&shard));
    }
    union.sort();
    let mut all = crate::common::case_ids(whole);
    all.sort();
    assert_eq!(
        union, all,
        "the shards partition the config, each case once"
    );
    let merged = dir.join("results/mock_demo.json");
    assert_eq!(summary_of(&merged), summary_of(whole));
    assert_eq!(
        crate::common::case_ids(&merged),
        crate::common::case_ids(whole),
        "the dataset's order"
    );
}

/// The first and last ids of the example's `#SBATCH --array=A-B`.
fn sbatch_array(script: &str) -> (u32, u32) {
    let range = script
        .lines()
        .find_map(|line| line.strip_prefix("#SBATCH --array="))
        .expect("an #SBATCH --array line");
    let (first, last) = range.trim().split_once('-').expect("a range A-B");
    (first.parse().unwrap(), last.parse().unwrap())
}

#[test]
fn the_slurm_example_shards_partition_the_config_and_merge_to_the_whole_run() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let whole = whole_run(&server, dir.path());
    let script = repo("examples/slurm-array.sbatch");
    let (first, last) = sbatch_array(&std::fs::read_to_string(&script).unwrap());
    let count = last - first + 1;
    for id in first..=last {
        job_shell("bash", dir.path(), &server)
            .arg(&script)
            .env("SLURM_ARRAY_JOB_ID", "4242")
            .env("SLURM_ARRAY_TASK_ID", id.to_string())
            .env("SLURM_ARRAY_TASK_MIN", first.to_string())
            .env("SLURM_ARRAY_TASK_MAX", last.to_string())
            .env("SLURM_ARRAY_TASK_COUNT", count.to_string())
            .env("SLURM_ARRAY_TASK_STEP", "1")
            .assert()
            .success()
            .stderr(predicate::str::contains(format!(
                "--shard auto: shard {}/{count} from SLURM_ARRAY_TASK_ID={id}, \
                 SLURM_ARRAY_TASK_MIN={first}",
                id - first + 1
            )));
    }
    // The first task alone submitted the merge, to run after the whole array succeeded.
    let submitted = std::fs::read_to_string(dir.path().join("sbatch.log")).unwrap();
    assert!(
        submitted.lines().any(|a| a == "--dependency=afterok:4242"),
        "{submitted}"
    );
    let merges: Vec<&str> = submitted
        .lines()
        .filter_map(|a| a.strip_prefix("--wrap="))
        .collect();
    assert_eq!(merges.len(), 1, "{submitted}");
    job_shell("bash", dir.path(), &server)
        .args(["-c", merges[0]])
        .assert()
        .success();
    assert_partition_and_merge(dir.path(), count, &whole);
}

/// The number after `completions:` in the manifest (the Indexed Job's).
fn completions(manifest: &str) -> u32 {
    manifest
        .lines()
        .find_map(|line| line.trim().strip_prefix("completions:"))
        .expect("completions")
        .trim()
        .parse()
        .unwrap()
}

/// The manifest's shell scripts (`args: - |` blocks), in order, unindented.
fn scripts(manifest: &str) -> Vec<String> {
    let lines: Vec<&str> = manifest.lines().collect();
    let indent = |line: &str| line.len() - line.trim_start().len();
    let starts = (0..lines.len()).filter(|&i| lines[i].trim() == "- |");
    starts
        .map(|start| {
            let block = lines[start + 1..]
                .iter()
                .take_while(|line| line.trim().is_empty() || indent(line) > indent(lines[start]));
            let margin = indent(lines[start + 1]);
            block
                .map(|line| format!("{}\n", line.get(margin..).unwrap_or("")))
                .collect()
        })
        .collect()
}

/// The `$NAME`s a script reads (a pod gets them from the manifest's `env`).
fn variables(script: &str) -> Vec<&str> {
    script
        .split('$')
        .skip(1)
        .map(|rest| {
            let rest = rest.trim_start_matches('{');
            let end = rest
                .find(|c: char| !(c.is_ascii_uppercase() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn the_kubernetes_example_shards_partition_the_config_and_merge_to_the_whole_run() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let whole = whole_run(&server, dir.path());
    let manifest = std::fs::read_to_string(repo("examples/k8s-indexed-job.yaml")).unwrap();
    let count = completions(&manifest);
    let [evaluate, merge] = <[String; 2]>::try_from(scripts(&manifest)).expect("two scripts");
    // What the test sets for the pods, the manifest sets too (the index comes from Kubernetes).
    for name in variables(&evaluate).into_iter().chain(variables(&merge)) {
        assert!(
            name == "JOB_COMPLETION_INDEX" || manifest.contains(&format!("- name: {name}\n")),
            "{name} is not in the manifest's env"
        );
    }
    for index in 0..count {
        job_shell("sh", dir.path(), &server)
            .args(["-c", &evaluate])
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .assert()
            .success()
            .stderr(predicate::str::contains(format!(
                "--shard auto: shard {}/{count} from JOB_COMPLETION_INDEX={index}, --shard-count {count}",
                index + 1
            )));
    }
    job_shell("sh", dir.path(), &server)
        .args(["-c", &merge])
        .assert()
        .success();
    assert_partition_and_merge(dir.path(), count, &whole);
}

/// `--shard auto` that cannot name its shard stops with exit 2 and the variables it looked
/// for, before any call to the model and without writing anything.
#[test]
fn shard_auto_outside_a_usable_job_array_is_refused_before_anything_runs() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("out.json");
    let refused = |vars: &[(&str, &str)], expected: &[&str]| {
        let mut cmd = evaluate(
            &server.base,
            &output,
            &["--image-mode", "local", "--shard", "auto"],
        );
        outside_any_job(&mut cmd).envs(vars.iter().copied());
        let stderr = String::from_utf8(cmd.assert().code(2).get_output().stderr.clone()).unwrap();
        for text in expected {
            assert!(stderr.contains(text), "{text:?} not in {stderr}");
        }
    };
    refused(&[], &["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"]);
    let stride = [
        ("SLURM_ARRAY_TASK_ID", "4"),
        ("SLURM_ARRAY_TASK_MIN", "0"),
        ("SLURM_ARRAY_TASK_MAX", "12"),
        ("SLURM_ARRAY_TASK_COUNT", "4"),
        ("SLURM_ARRAY_TASK_STEP", "4"),
    ];
    refused(&stride, &["SLURM_ARRAY_TASK_STEP=4"]);
    let index = [("JOB_COMPLETION_INDEX", "0")];
    refused(&index, &["--shard-count N or set LIVECLIN_SHARD_COUNT"]);
    assert_eq!(server.mock.stats().requests, 0, "no call was made");
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing written"
    );
}
