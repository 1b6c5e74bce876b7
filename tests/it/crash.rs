//! A paid run survives SIGKILL at any moment.
//!
//! Chains of runs of the demo config against the mock, whose replies carry several KB of
//! filler so that a journal line spans pages and a kill can land inside one, are killed
//! at random moments (while setting up, while turns are asked, just as the journal
//! grows, while the results are written) and resumed until a resume finishes by itself.
//! Every run either finishes or is the one killed, no turn journalled at a kill is asked
//! again, and each chain ends with the summary of an uninterrupted run.
//!
//! The plan comes from a seeded RNG whose seed is printed; rerun with
//! `LIVECLIN_CRASH_SEED=<seed> cargo test --test it crash -- --nocapture` to replay it.
//! The kills land on the clock, so a replay takes the same decisions (mock settings,
//! concurrency, kinds of moment) only as long as the runs end the same way.

use std::collections::{HashMap, HashSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use liveclin_net::mock::MockConfig;
use predicates::prelude::*;
use serde_json::Value;

use crate::common::{evaluate, evaluate_args, mock_server, repo, summary_of};

/// Kills the test makes at least.
const KILLS: usize = 36;
/// Turns (MCQs) of the demo config.
const TURNS: usize = 72;

fn mock(seed: u64, latency_ms: u64, padding: usize) -> MockConfig {
    MockConfig {
        accuracy: 0.6,
        seed,
        latency: Duration::from_millis(latency_ms),
        retry_after: 0,
        reply_padding: padding,
        ..MockConfig::default()
    }
}

/// The files of one run: results, journal, and the temporary file the results are
/// written to before they are renamed into place.
struct Files {
    output: PathBuf,
    journal: PathBuf,
    tmp: PathBuf,
}

impl Files {
    fn new(dir: &Path, name: &str) -> Self {
        Files {
            output: dir.join(format!("{name}.json")),
            journal: dir.join(format!("{name}.json.journal.jsonl")),
            tmp: dir.join(format!("{name}.json.tmp")),
        }
    }
}

/// `liveclin evaluate` in the background, its stderr kept in `stderr`.
fn spawn(base: &str, files: &Files, concurrency: u32, resume: bool, stderr: &Path) -> Child {
    let concurrency = concurrency.to_string();
    let mut extra = vec!["--image-mode", "local", "--concurrency", &concurrency];
    if resume {
        extra.push("--resume");
    }
    std::process::Command::new(assert_cmd::cargo::cargo_bin("liveclin"))
        .current_dir(repo(""))
        .env("HF_HUB_OFFLINE", "1")
        .args(evaluate_args(base, &files.output, &extra))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(stderr).unwrap())
        .spawn()
        .unwrap()
}

/// What a journal holds at a moment.
#[derive(Default)]
struct Journal {
    /// "<case id>|<turn>" of every complete turn line.
    turns: HashSet<String>,
    /// The file ends in an unfinished line.
    torn: bool,
}

/// What a journal holds right after a kill.
fn journal(path: &Path) -> Journal {
    let torn = std::fs::read(path).is_ok_and(|b| !b.is_empty() && !b.ends_with(b"\n"));
    Journal {
        turns: crate::common::journal_turns(path).into_iter().collect(),
        torn,
    }
}

/// The end of a file, for failure messages.
fn tail(path: &Path, bytes: usize) -> String {
    let content = std::fs::read(path).unwrap_or_default();
    let from = content.len().saturating_sub(bytes);
    String::from_utf8_lossy(&content[from..]).into_owned()
}

/// When a run is killed.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// This long after it starts.
    After(Duration),
    /// This long after it journalled so many turns (the header line is not one).
    Turns(usize, Duration),
    /// This long after it starts writing its results (if it gets there).
    Writing(Duration),
    /// Just after the journal's size changes for the n-th time: as it is written.
    Growing(usize),
    /// Not at all: the run finishes.
    Never,
}

/// Kills `child` at `moment`; returns whether it was sent the kill (it may have exited
/// just before: its status says which came first). `watch` was taken before it started.
fn kill_at(child: &mut Child, moment: Moment, files: &Files, mut watch: Watch) -> bool {
    match moment {
        Moment::Never => return false,
        Moment::After(delay) => std::thread::sleep(delay),
        Moment::Turns(turns, delay) => {
            let deadline = Instant::now() + Duration::from_secs(60);
            // Its own header, then the turns.
            while watch.lines_added() < 1 + turns {
                if child.try_wait().unwrap().is_some() {
                    return false;
                }
                assert!(Instant::now() < deadline, "the run hangs");
                std::thread::sleep(Duration::from_micros(500));
            }
            std::thread::sleep(delay);
        }
        Moment::Growing(n) => {
            // Polled without pause, and killed at once: a journal line of several pages
            // may still be being copied.
            let size = || std::fs::metadata(&files.journal).map_or(0, |m| m.len());
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut last = watch.read;
            let mut changes = 0;
            let mut polls = 0u32;
            while changes < n {
                polls = polls.wrapping_add(1);
                if polls.is_multiple_of(64) {
                    if child.try_wait().unwrap().is_some() {
                        return false;
                    }
                    assert!(Instant::now() < deadline, "the run hangs");
                }
                let now = size();
                if now != last {
                    changes += 1;
                    last = now;
                }
            }
        }
        Moment::Writing(delay) => {
            let deadline = Instant::now() + Duration::from_secs(60);
            // A temporary file left by a run killed earlier is rewritten in place.
            let writing = || {
                let now = tmp_state(&files.tmp);
                now.is_some() && now != watch.tmp
            };
            while !writing() {
                if child.try_wait().unwrap().is_some() {
                    return false;
                }
                assert!(Instant::now() < deadline, "the run never wrote its results");
                std::thread::sleep(Duration::from_micros(300));
            }
            std::thread::sleep(delay);
        }
    }
    child.kill().is_ok()
}

/// The size and time of change of a file, if it is there.
fn tmp_state(path: &Path) -> Option<(u64, SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

/// The files of a run as they were before it started: the journal's lines (then counts
/// the lines added, reading only what is new) and the temporary results file.
struct Watch {
    journal: PathBuf,
    /// Bytes of the journal read.
    read: u64,
    lines: usize,
    lines_at_start: usize,
    tmp: Option<(u64, SystemTime)>,
}

impl Watch {
    fn new(files: &Files) -> Self {
        let mut watch = Watch {
            journal: files.journal.clone(),
            read: 0,
            lines: 0,
            lines_at_start: 0,
            tmp: tmp_state(&files.tmp),
        };
        watch.lines_at_start = watch.count_lines();
        watch
    }

    fn count_lines(&mut self) -> usize {
        use std::io::{Read, Seek, SeekFrom};
        let Ok(mut file) = std::fs::File::open(&self.journal) else {
            return self.lines;
        };
        let len = file.metadata().unwrap().len();
        // A torn last line is cut, never a whole one.
        self.read = self.read.min(len);
        let mut new = Vec::new();
        file.seek(SeekFrom::Start(self.read)).unwrap();
        file.read_to_end(&mut new).unwrap();
        self.read += new.len() as u64;
        self.lines += new.iter().filter(|b| **b == b'\n').count();
        self.lines
    }

    /// Lines added to the journal since the run started.
    fn lines_added(&mut self) -> usize {
        self.count_lines() - self.lines_at_start
    }
}

/// Where in its run a killed run was.
#[derive(Debug, Default)]
struct Stages {
    /// No turn of its own journalled yet.
    before_a_turn: usize,
    /// Some turns journalled, some not.
    mid_run: usize,
    /// It journalled the last turn: writing the results or closing.
    after_the_last_turn: usize,
    /// A resume with nothing to ask: setting up, writing the results or closing.
    nothing_to_ask: usize,
}

impl Stages {
    fn add(&mut self, other: Stages) {
        self.before_a_turn += other.before_a_turn;
        self.mid_run += other.mid_run;
        self.after_the_last_turn += other.after_the_last_turn;
        self.nothing_to_ask += other.nothing_to_ask;
    }
}

#[derive(Debug, Default)]
struct Tally {
    chains: usize,
    runs: usize,
    kills: usize,
    /// Kills that left the journal ending in an unfinished line.
    torn: usize,
    /// Runs that found a torn journal and journalled turns or finished (each must have
    /// said it cut the unfinished line).
    repaired: usize,
    stages: Stages,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.chains += other.chains;
        self.runs += other.runs;
        self.kills += other.kills;
        self.torn += other.torn;
        self.repaired += other.repaired;
        self.stages.add(other.stages);
    }
}

/// What every chain of the random-kill test shares: the run's seed and the timings of an
/// uninterrupted run.
struct Run<'a> {
    seed: u64,
    dir: &'a Path,
    config: &'a (dyn Fn() -> MockConfig + Sync),
    expected: &'a Value,
    idle_us: u64,
    whole_us: u64,
    first_us: u64,
    turn_us: u64,
}

impl Run<'_> {
    /// One chain: a fresh run, killed at random moments and resumed until a run finishes
    /// by itself; checks that no journalled turn was asked again and that the summary is
    /// the uninterrupted one.
    fn chain(&self, chain: usize) -> Tally {
        let Run {
            seed,
            dir,
            config,
            expected,
            idle_us,
            whole_us,
            first_us,
            turn_us,
        } = *self;
        let mut rng =
            fastrand::Rng::with_seed(seed ^ (chain as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut tally = Tally {
            chains: 1,
            ..Tally::default()
        };
        let server = mock_server(config());
        let files = Files::new(dir, &format!("chain{chain}"));
        // Answers given for each turn when it was first seen journalled at a kill.
        let mut answered_when_journalled: HashMap<String, u64> = HashMap::new();
        let mut journalled = HashSet::new();
        let mut history = Vec::new();
        // Runs of this chain that may be killed; the one after them finishes, and so
        // does one after two kills of resumes with nothing to ask.
        let budget = rng.u32(1..=6);
        let mut idle_kills = 0;
        for attempt in 0.. {
            tally.runs += 1;
            let before = journal(&files.journal);
            let concurrency = rng.u32(4..=8);
            // About how long this run takes: setting up and writing the results, and the
            // turns left.
            let left = (TURNS - before.turns.len().min(TURNS)) as u64;
            let run_us = idle_us + (whole_us - idle_us) * left / TURNS as u64;
            let after = |range: std::ops::RangeInclusive<u64>, rng: &mut fastrand::Rng| {
                Moment::After(Duration::from_micros(rng.u64(range)))
            };
            let left = left as usize;
            let moment = match rng.u32(0..10) {
                _ if attempt == budget || idle_kills == 2 => Moment::Never,
                // Nothing to ask: setting up, writing the results, or after it finished.
                0..=7 if left == 0 => after(0..=run_us * 6 / 5, &mut rng),
                // Setting up, before a turn is journalled.
                0 | 1 => after(0..=first_us, &mut rng),
                // While turns are asked and journalled: after some of them.
                2..=4 => Moment::Turns(
                    rng.usize(0..left),
                    Duration::from_micros(rng.u64(0..=turn_us)),
                ),
                // As the journal is written (the header is its first growth; a write
                // may hold several lines).
                5 | 6 => Moment::Growing(rng.usize(1..=left / 2 + 1)),
                // Anywhere in the run, or (a sixth of these) after it finished.
                7 | 8 => after(0..=run_us * 6 / 5, &mut rng),
                // While the results are written.
                _ => Moment::Writing(Duration::from_micros(rng.u64(0..=3000))),
            };
            let stderr = dir.join(format!("chain{chain}-run{attempt}.stderr"));
            let watch = Watch::new(&files);
            let mut child = spawn(&server.base, &files, concurrency, attempt > 0, &stderr);
            let kill_sent = kill_at(&mut child, moment, &files, watch);
            let status = child.wait().unwrap();
            let after = journal(&files.journal);
            let what = format!(
                "seed {seed}: chain {chain}, run {attempt} ({}, concurrency {concurrency}, killed at {moment:?}) {status}\n\
                 history: {history:?}\nstderr:\n{}\njournal tail:\n{}",
                if attempt == 0 { "fresh" } else { "--resume" },
                tail(&stderr, 4000),
                tail(&files.journal, 600)
            );
            history.push(format!("{moment:?}: {status}"));
            // A run that found the journal torn and got as far as journalling (or
            // finished) cut the unfinished line and said so.
            if before.torn && (status.success() || after.turns.len() > before.turns.len()) {
                tally.repaired += 1;
                let said = std::fs::read_to_string(&stderr).unwrap();
                assert!(
                    said.contains("ended in an unfinished line"),
                    "a torn journal was not reported: {what}"
                );
            }
            if status.success() {
                break;
            }
            assert!(
                kill_sent && status.signal() == Some(libc::SIGKILL),
                "a run failed: {what}"
            );
            tally.kills += 1;
            tally.torn += usize::from(after.torn);
            assert!(
                after.turns.is_superset(&journalled),
                "journalled turns were lost: {what}"
            );
            let stage = &mut tally.stages;
            *match (before.turns.len(), after.turns.len()) {
                (TURNS, _) => {
                    idle_kills += 1;
                    &mut stage.nothing_to_ask
                }
                (_, TURNS) => &mut stage.after_the_last_turn,
                (b, a) if a == b => &mut stage.before_a_turn,
                _ => &mut stage.mid_run,
            } += 1;
            let answered = server.mock.stats().answered;
            for turn in &after.turns {
                let now = answered.get(turn).copied().unwrap_or(0);
                assert!(
                    now >= 1,
                    "turn {turn} is journalled but was never answered: {what}"
                );
                let first = *answered_when_journalled.entry(turn.clone()).or_insert(now);
                assert_eq!(now, first, "turn {turn} was asked again: {what}");
            }
            journalled = after.turns;
        }
        let answered = server.mock.stats().answered;
        for (turn, count) in &answered_when_journalled {
            assert_eq!(
                answered[turn],
                *count,
                "seed {seed}: chain {chain}: turn {turn}, journalled at a kill, was asked again \
                 ({history:?}); journal tail:\n{}",
                tail(&files.journal, 600)
            );
        }
        assert_eq!(
            summary_of(&files.output),
            *expected,
            "seed {seed}: chain {chain} ({history:?}) ended with another summary"
        );
        tally
    }
}

/// Random runs, SIGKILLed at random moments and resumed until one finishes by itself,
/// until at least `KILLS` kills were made. Each chain has a mock of its own, so its
/// request log covers that chain only.
#[test]
fn runs_killed_at_random_moments_resume_without_asking_twice() {
    let seed = match std::env::var("LIVECLIN_CRASH_SEED") {
        Ok(text) => text.trim().parse().expect("LIVECLIN_CRASH_SEED is a u64"),
        Err(_) => fastrand::u64(..),
    };
    eprintln!("crash test seed {seed} (replay with LIVECLIN_CRASH_SEED={seed})");
    let mut rng = fastrand::Rng::with_seed(seed);
    let padding = rng.usize(4000..=16_000);
    let latency_ms = rng.u64(2..=5);
    let mock_seed = rng.u64(0..1000);
    let config = || mock(mock_seed, latency_ms, padding);
    let dir = tempfile::tempdir().unwrap();
    let clock = Instant::now();

    // The uninterrupted run, and a resume of it that has nothing to ask: how long a run
    // takes, when its first turn is journalled, and how long setting up and writing the
    // results take.
    let reference = Files::new(dir.path(), "reference");
    let timed = |resume: bool| {
        let server = mock_server(config());
        let started = Instant::now();
        let stderr = dir.path().join(format!("reference-{resume}.stderr"));
        let mut child = spawn(&server.base, &reference, 4, resume, &stderr);
        let mut first_turn = None;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if first_turn.is_none() && !journal(&reference.journal).turns.is_empty() {
                first_turn = Some(started.elapsed());
            }
            std::thread::sleep(Duration::from_micros(500));
        };
        assert!(status.success(), "{}", tail(&stderr, 4000));
        if resume {
            assert!(server.mock.stats().answered.is_empty());
        }
        let us = |d: Duration| d.as_micros() as u64;
        (us(started.elapsed()), first_turn.map(us))
    };
    let (whole_us, first_turn_us) = timed(false);
    let first_us = first_turn_us.expect("a turn was journalled");
    let expected = summary_of(&reference.output);
    let idle_us = timed(true).0.min(whole_us);
    assert_eq!(summary_of(&reference.output), expected);
    // How long a turn takes, one after another.
    let turn_us = whole_us.saturating_sub(idle_us) / TURNS as u64 * 4;
    eprintln!(
        "replies padded by {padding} bytes, latency {latency_ms} ms; an uninterrupted run takes \
         {} ms (its first turn journalled after {} ms), a resume with nothing to ask {} ms",
        whole_us / 1000,
        first_us / 1000,
        idle_us / 1000
    );

    // Chains run three at a time (each with its own mock and files, and its own generator
    // seeded from the run's seed and its number, so a chain replays from the seed), until
    // the kills of all add up to `KILLS`.
    let run = Run {
        seed,
        dir: dir.path(),
        config: &config,
        expected: &expected,
        idle_us,
        whole_us,
        first_us,
        turn_us,
    };
    let next_chain = AtomicUsize::new(0);
    let shared = Mutex::new(Tally::default());
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                while shared.lock().unwrap().kills < KILLS {
                    let chain = next_chain.fetch_add(1, Ordering::SeqCst);
                    let done = run.chain(chain);
                    shared.lock().unwrap().add(done);
                }
            });
        }
    });
    let tally = shared.into_inner().unwrap();
    eprintln!(
        "crash test seed {seed}: {} kills in {} chains of {} runs ({:?}); {} kills left a torn \
         last line in the journal, {} resumes said they cut one; {:.1} s",
        tally.kills,
        tally.chains,
        tally.runs,
        tally.stages,
        tally.torn,
        tally.repaired,
        clock.elapsed().as_secs_f64()
    );
    // Whether a kill tears a line is left to chance (it must land while the line is copied
    // to the file): the test below tears one on purpose.
    let stages = &tally.stages;
    assert!(
        stages.before_a_turn > 0
            && stages.mid_run > 0
            && stages.after_the_last_turn + stages.nothing_to_ask > 0,
        "seed {seed}: the kills missed a stage of the run: {stages:?}"
    );
}

/// A journal cut off in the middle of the 30th turn line, as a kill during its write
/// leaves it: the resume cuts the unfinished line, asks that turn again and none before
/// it, and ends with the uninterrupted summary.
#[test]
fn a_journal_torn_mid_line_is_cut_and_resumed() {
    let mut turn = 0;
    resume_torn_journal(|line| {
        turn += 1;
        (turn == 30).then_some(line.len() / 2)
    });
}

/// A kill can also cut a line inside a character of several bytes (a model's reply, or a
/// stage name such as the demo's "β-hCG"). The resume cuts that line as any other.
#[test]
fn a_journal_torn_inside_a_character_is_cut_and_resumed() {
    resume_torn_journal(|line| line.find(|c: char| !c.is_ascii()).map(|at| at + 1));
}

/// Runs the demo config, tears its journal inside the first turn line for which `cut`
/// gives an offset (cut there), and resumes that journal against a fresh mock.
fn resume_torn_journal(mut cut: impl FnMut(&str) -> Option<usize>) {
    let config = || mock(7, 0, 8000);
    let dir = tempfile::tempdir().unwrap();
    let whole = Files::new(dir.path(), "whole");
    {
        let server = mock_server(config());
        evaluate(&server.base, &whole.output, &["--image-mode", "local"])
            .assert()
            .success();
    }
    let text = std::fs::read_to_string(&whole.journal).unwrap();
    let mut start = 0;
    let mut kept_turns = 0;
    let (line, at) = loop {
        let line = text[start..]
            .split_inclusive('\n')
            .next()
            .expect("a line to cut");
        if line.contains("\"mcq\"") {
            if let Some(at) = cut(line) {
                break (line, at);
            }
            kept_turns += 1;
        }
        start += line.len();
    };
    let value: Value = serde_json::from_str(line).unwrap();
    let cut_turn = format!(
        "{}|{}",
        value["case_id"].as_str().unwrap(),
        value["mcq"]["mcq_index"].as_u64().unwrap() + 1
    );
    let torn = Files::new(dir.path(), "torn");
    std::fs::write(&torn.journal, &text.as_bytes()[..start + at]).unwrap();
    let kept = journal(&torn.journal);
    assert!(kept.torn);
    assert_eq!(kept.turns.len(), kept_turns);

    let server = mock_server(config());
    evaluate(
        &server.base,
        &torn.output,
        &["--image-mode", "local", "--resume"],
    )
    .assert()
    .success()
    .stderr(predicate::str::contains("ended in an unfinished line"));
    let answered = server.mock.stats().answered;
    for turn in &kept.turns {
        assert!(!answered.contains_key(turn), "turn {turn} was asked again");
    }
    assert_eq!(answered.get(&cut_turn), Some(&1), "the cut turn {cut_turn}");
    assert_eq!(answered.values().sum::<u64>(), (TURNS - kept_turns) as u64);
    assert_eq!(summary_of(&torn.output), summary_of(&whole.output));
    // The unfinished line is gone: every line is whole JSON, and what was before it is
    // untouched.
    let repaired = std::fs::read_to_string(&torn.journal).unwrap();
    assert!(repaired.ends_with('\n'));
    for line in repaired.lines() {
        serde_json::from_str::<Value>(line).unwrap();
    }
    assert!(repaired.starts_with(&text[..start]));
}
