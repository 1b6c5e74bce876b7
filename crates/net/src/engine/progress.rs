//! Progress on stderr: MCQs done of total, elapsed time, pace, ETA, running question
//! accuracy and failures. A bar on a terminal; otherwise (a Slurm log, nohup, CI) a plain
//! line every `interval` and at the end, so an hour-long run is never silent.
//!
//! The ETA is not MCQs left over the rate so far: early in a run against a slow server
//! that rate is near zero (nothing has finished yet, though every case is half-way
//! through its question). It comes from the observed latency of a question (from its
//! first call to its outcome, retries included), the questions being asked and how long
//! they have been, and the work left per case: a case is a chain of questions asked one
//! after another, so the last cases of a run finish one question at a time however many
//! places are free. Until a question has settled the ETA says "estimating".

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use liveclin_core::results::McqRecord;

pub struct Progress {
    bar: ProgressBar,
    counts: Arc<Counts>,
    /// The plain reporter's thread, when stderr is not a terminal.
    plain: Option<Plain>,
}

/// What the progress shows, shared with the plain reporter.
struct Counts {
    total_mcqs: u64,
    total_cases: u64,
    started: Instant,
    done: AtomicU64,
    cases: AtomicU64,
    answered: AtomicU64,
    correct: AtomicU64,
    failed: AtomicU64,
    /// The latest failure's short reason ("HTTP 401"), shown beside the count.
    last_failure: Mutex<String>,
    /// Question latencies and the cases under way, for the ETA.
    clock: Mutex<Clock>,
    /// The rates calls are paced at (`paced: 28k TPM`), empty while nothing paces.
    paced: Mutex<String>,
}

/// Questions settled recently that the latency average follows: enough to smooth the
/// varied lengths of a reasoning model's replies, few enough to follow a server that
/// slows down (or recovers) during the run.
const LATENCY_WINDOW: u64 = 50;

/// What the ETA is computed from.
#[derive(Default)]
struct Clock {
    /// Seconds from sending a question to its outcome: the mean of the first
    /// `LATENCY_WINDOW` questions, then a moving average over about that many.
    latency: Option<f64>,
    settled: u64,
    /// Cases under way, by id: when their current question was sent, and the questions
    /// left in the case counting it.
    asking: HashMap<String, (Instant, u64)>,
}

/// A question being asked, from its first call until it settles or its case stops.
pub struct Asking<'a> {
    counts: &'a Counts,
    case: String,
    settled: bool,
}

/// The state of a run at one instant, as the ETA sees it.
#[derive(Debug)]
struct Outlook {
    /// Mean seconds per question; `None` before any settled.
    latency: Option<f64>,
    /// Questions not settled yet, those being asked included.
    left: u64,
    /// Cases not started yet.
    waiting_cases: u64,
    /// Per case under way: seconds since its current question was sent, and the
    /// questions left in it counting that one.
    asking: Vec<(f64, u64)>,
}

struct Plain {
    stop: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Progress {
    /// Progress over `total_mcqs` MCQs of `total_cases` cases; without a terminal, a line
    /// every `interval`; with `-q`, nothing.
    pub fn new(total_mcqs: u64, total_cases: u64, interval: Duration) -> Self {
        let quiet = liveclin_term::quiet();
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let bar = ProgressBar::with_draw_target(Some(total_mcqs), target);
        let counts = Arc::new(Counts::new(total_mcqs, total_cases));
        bar.set_style(bar_style(&counts));
        bar.enable_steady_tick(Duration::from_millis(500));
        let plain = (bar.is_hidden() && !quiet).then(|| Plain::start(counts.clone(), interval));
        Progress { bar, counts, plain }
    }

    /// Starts timing a question of case `case`, which has `left_in_case` questions left
    /// counting it; settle it when it has an outcome. Dropped unsettled (the run stopped,
    /// the case panicked), the case leaves the ETA and the time is not counted.
    pub fn asking(&self, case: &str, left_in_case: usize) -> Asking<'_> {
        self.counts.asking(case, left_in_case)
    }

    /// Counts one finished MCQ (answered, failed or skipped); a failure's `reason` is
    /// shown beside the failure count.
    pub fn mcq(&self, record: &McqRecord) {
        let c = &self.counts;
        c.done.fetch_add(1, Ordering::Relaxed);
        if record.has_error() {
            c.failed.fetch_add(1, Ordering::Relaxed);
            if let Some(error) = record.error.as_str().filter(|e| !e.starts_with("Skipped:")) {
                *c.last_failure.lock().expect("progress lock") = short_reason(error);
            }
        } else {
            c.answered.fetch_add(1, Ordering::Relaxed);
            if record.is_correct() {
                c.correct.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.bar.set_message(c.status());
        self.bar.inc(1);
    }

    /// Shows the rates calls are paced at (`paced: 28k TPM`) beside the failures.
    pub fn paced(&self, shown: String) {
        *self.counts.paced.lock().expect("progress lock") = shown;
    }

    /// Counts one finished case.
    pub fn case(&self) {
        self.counts.cases.fetch_add(1, Ordering::Relaxed);
    }

    /// Prints a line above the bar (or plainly when there is no bar).
    pub fn println(&self, line: impl AsRef<str>) {
        if self.bar.is_hidden() {
            eprintln!("{}", line.as_ref());
        } else {
            self.bar.println(line);
        }
    }

    /// Ends the bar; without a terminal, prints the last plain line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
        if self.plain.is_some() {
            eprintln!("{}", self.counts.line());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(plain) = self.plain.take() {
            drop(plain.stop);
            let _ = plain.thread.join();
        }
    }
}

impl Asking<'_> {
    /// The question has its outcome (an answer or a final failure): its latency joins the
    /// average. A case that `continues` keeps its place in the ETA as if its next question
    /// were sent now (it is, at once), so the ETA never sees a place free up for an
    /// instant after every answer; one that ends (its last question, or a failure that
    /// skips the rest) leaves it.
    pub(crate) fn settled(mut self, continues: bool) {
        self.settled = true;
        let mut clock = self.counts.clock();
        let Some((sent, left)) = clock.asking.remove(&self.case) else {
            return;
        };
        let now = Instant::now();
        clock.settle(now.saturating_duration_since(sent).as_secs_f64());
        if continues && left > 1 {
            clock
                .asking
                .insert(std::mem::take(&mut self.case), (now, left - 1));
        }
    }
}

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        if !self.settled {
            self.counts.clock().asking.remove(&self.case);
        }
    }
}

impl Clock {
    /// Adds one question's latency to the average.
    fn settle(&mut self, seconds: f64) {
        self.settled += 1;
        let weight = 1.0 / self.settled.min(LATENCY_WINDOW) as f64;
        let mean = self.latency.unwrap_or(seconds);
        self.latency = Some(mean + (seconds - mean) * weight);
    }
}

/// The bar: `{bar} 12/26 [1m 02s] 4.1s/MCQ, ETA 1m 40s  Q-Acc 61.2%  failed 0`, within
/// 80 columns for a full config: the status is cut to the terminal's width rather than
/// wrapped. Elapsed time and pace are drawn at every tick, not only when an MCQ
/// finishes, so they move while slow questions are being asked.
fn bar_style(counts: &Arc<Counts>) -> ProgressStyle {
    let for_pace = counts.clone();
    let for_clock = counts.clone();
    ProgressStyle::with_template("{bar:14} {pos}/{len} [{clock}] {pace}  {wide_msg}")
        .expect("a valid progress template")
        .with_key(
            "pace",
            move |_: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&for_pace.pace());
            },
        )
        .with_key(
            "clock",
            move |_: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(&clock(for_clock.started.elapsed()));
            },
        )
}

impl Plain {
    fn start(counts: Arc<Counts>, interval: Duration) -> Self {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(interval)
            {
                eprintln!("{}", counts.line());
            }
        });
        Plain { stop, thread }
    }
}

impl Counts {
    fn new(total_mcqs: u64, total_cases: u64) -> Self {
        Counts {
            total_mcqs,
            total_cases,
            started: Instant::now(),
            done: AtomicU64::new(0),
            cases: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            correct: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            last_failure: Mutex::new(String::new()),
            clock: Mutex::default(),
            paced: Mutex::default(),
        }
    }

    /// See `Progress::asking`.
    fn asking(&self, case: &str, left_in_case: usize) -> Asking<'_> {
        let entry = (Instant::now(), left_in_case.max(1) as u64);
        self.clock().asking.insert(case.to_string(), entry);
        Asking {
            counts: self,
            case: case.to_string(),
            settled: false,
        }
    }

    fn clock(&self) -> std::sync::MutexGuard<'_, Clock> {
        self.clock.lock().expect("progress clock lock")
    }

    /// The run as the ETA sees it now.
    fn outlook(&self, now: Instant) -> Outlook {
        let clock = self.clock();
        let asking: Vec<(f64, u64)> = clock
            .asking
            .values()
            .map(|(sent, left)| (now.saturating_duration_since(*sent).as_secs_f64(), *left))
            .collect();
        let started = self.cases.load(Ordering::Relaxed) + asking.len() as u64;
        Outlook {
            latency: clock.latency,
            left: self
                .total_mcqs
                .saturating_sub(self.done.load(Ordering::Relaxed)),
            waiting_cases: self.total_cases.saturating_sub(started),
            asking,
        }
    }

    /// `4.1s/MCQ, ETA 1m 40s`, or `ETA estimating` before any question settled.
    fn pace(&self) -> String {
        let outlook = self.outlook(Instant::now());
        if outlook.left == 0 {
            let done = self.done.load(Ordering::Relaxed) as f64;
            let rate = done / self.started.elapsed().as_secs_f64().max(1e-3);
            return format!("{}, ETA 0s", speed(rate));
        }
        match (outlook.rate(), outlook.eta()) {
            (Some(rate), Some(eta)) => format!("{}, ETA {}", speed(rate), clock(eta)),
            _ => "ETA estimating".to_string(),
        }
    }

    /// `Q-Acc 61.2%  failed 3 (HTTP 401)`, and `  paced: 28k TPM` while paced.
    fn status(&self) -> String {
        let answered = self.answered.load(Ordering::Relaxed);
        let correct = self.correct.load(Ordering::Relaxed);
        let accuracy = if answered == 0 {
            0.0
        } else {
            100.0 * correct as f64 / answered as f64
        };
        let failed = self.failed.load(Ordering::Relaxed);
        let reason = self.last_failure.lock().expect("progress lock");
        let reason = if failed > 0 && !reason.is_empty() {
            format!(" ({reason})")
        } else {
            String::new()
        };
        let paced = self.paced.lock().expect("progress lock");
        let paced = if paced.is_empty() {
            String::new()
        } else {
            format!("  {paced}")
        };
        format!("Q-Acc {accuracy:.1}%  failed {failed}{reason}{paced}")
    }

    /// A whole plain progress line: `[12m 30s] 120/1407 cases, 560/6605 MCQs, 2.1 MCQs/s,
    /// ETA 48m 10s, Q-Acc 61.2%  failed 0`.
    fn line(&self) -> String {
        format!(
            "[{}] {}/{} cases, {}/{} MCQs, {}, {}",
            clock(self.started.elapsed()),
            self.cases.load(Ordering::Relaxed),
            self.total_cases,
            self.done.load(Ordering::Relaxed),
            self.total_mcqs,
            self.pace(),
            self.status()
        )
    }
}

impl Outlook {
    /// MCQs settled per second from now on: the cases under way (one question each at a
    /// time) over the latency of a question.
    fn rate(&self) -> Option<f64> {
        let latency = self.latency?;
        Some(self.asking.len().max(1) as f64 / latency.max(1e-3))
    }

    /// Seconds until every question has settled, by playing out the schedule: each case
    /// being asked keeps its place for the rest of its chain (the question under way
    /// counts what is left of one latency), and each case not started takes the first
    /// place to free up, with the mean share of the questions not under way. The run
    /// ends when the last place does: early on that is the work over the places, at the
    /// end the longest chain left.
    fn eta(&self) -> Option<Duration> {
        let latency = self.latency?;
        if self.left == 0 {
            return Some(Duration::ZERO);
        }
        let mut places: BinaryHeap<Reverse<u64>> = self
            .asking
            .iter()
            .map(|&(asked_for, left)| {
                let current = (latency - asked_for).max(0.0);
                Reverse(millis(current + (left - 1) as f64 * latency))
            })
            .collect();
        if places.is_empty() {
            // No case under way for an instant (one ended, the next is starting): the run
            // goes on in one place at least.
            places.push(Reverse(0));
        }
        let chained: u64 = self.asking.iter().map(|&(_, left)| left).sum();
        let unchained = self.left.saturating_sub(chained);
        // Questions not under way belong to cases not started (or between questions).
        let waiting = match (self.waiting_cases, unchained) {
            (_, 0) => 0,
            (0, _) => 1,
            (cases, _) => cases,
        };
        if waiting > 0 {
            let per_case = millis(unchained as f64 / waiting as f64 * latency);
            for _ in 0..waiting {
                let Reverse(free) = places.pop().expect("at least one place");
                places.push(Reverse(free + per_case));
            }
        }
        let end = places.into_iter().map(|Reverse(at)| at).max().unwrap_or(0);
        Some(Duration::from_millis(end))
    }
}

/// Seconds as whole milliseconds, for the schedule's integer clock.
fn millis(seconds: f64) -> u64 {
    (seconds.max(0.0) * 1000.0).min(1e15) as u64
}

/// A rate as people read it: `2.1 MCQs/s`, or below one a second, the time per MCQ
/// (`12s/MCQ`), as a rate of `0.08/s` says little.
fn speed(rate: f64) -> String {
    if rate >= 1.0 || rate <= 0.0 {
        format!("{rate:.1} MCQs/s")
    } else if rate > 0.1 {
        format!("{:.1}s/MCQ", 1.0 / rate)
    } else {
        format!(
            "{}/MCQ",
            clock(Duration::from_secs_f64((1.0 / rate).min(1e9)))
        )
    }
}

/// A duration as a clock: `42s`, `12m 05s`, `3h 07m`.
fn clock(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
    }
}

/// The head of an error message, for a progress line: "HTTP 401", "request timed out".
fn short_reason(error: &str) -> String {
    let head = error.split([':', '(']).next().unwrap_or(error).trim();
    head.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_the_head_of_the_message() {
        assert_eq!(
            short_reason("HTTP 404 Not Found: {\"error\"}"),
            "HTTP 404 Not Found"
        );
        assert_eq!(
            short_reason("authentication failed (HTTP 401): check --api-key"),
            "authentication failed"
        );
    }

    /// The outlook of a run whose questions take `latency` seconds, with `left` MCQs
    /// left, `waiting_cases` not started and `asking` (seconds, chain) under way.
    fn outlook(latency: f64, left: u64, waiting_cases: u64, asking: &[(f64, u64)]) -> Outlook {
        Outlook {
            latency: Some(latency),
            left,
            waiting_cases,
            asking: asking.to_vec(),
        }
    }

    fn eta_seconds(outlook: &Outlook) -> u64 {
        outlook.eta().expect("an estimate").as_secs()
    }

    #[test]
    fn the_eta_is_estimating_until_a_question_has_settled() {
        let counts = Counts::new(26, 5);
        let _under_way: Vec<Asking> = (0..5).map(|i| counts.asking(&i.to_string(), 5)).collect();
        assert_eq!(counts.pace(), "ETA estimating");
        let line = counts.line();
        assert!(
            line.starts_with("[0s] 0/5 cases, 0/26 MCQs, ETA estimating, Q-Acc"),
            "{line}"
        );
        let Outlook { latency, .. } = counts.outlook(Instant::now());
        assert_eq!(latency, None);
    }

    #[test]
    fn after_answers_the_eta_is_the_work_left_over_the_places() {
        // 10 places each 3 s into a 4 s question that ends its case; 100 cases of 5
        // questions wait: each place takes 10 of them after its current question.
        let asking = [(3.0, 1); 10];
        let o = outlook(4.0, 10 + 500, 100, &asking);
        assert_eq!(eta_seconds(&o), 1 + 10 * 5 * 4);
        assert_eq!(o.rate(), Some(2.5));
    }

    #[test]
    fn at_the_start_the_longest_case_sets_the_eta() {
        // The run of the report: five cases of ~20 s questions, one of six questions,
        // every first question just sent. Not the questions over a rate (26 × 20 / 5).
        let asking = [(0.0, 6), (0.0, 5), (0.0, 5), (0.0, 5), (0.0, 5)];
        assert_eq!(eta_seconds(&outlook(20.0, 26, 0, &asking)), 120);
    }

    #[test]
    fn near_the_end_a_chain_of_questions_outlasts_the_work_over_the_places() {
        // Two cases left: one 5 s into its 3rd-last question, one overdue on its last.
        let asking = [(5.0, 3), (25.0, 1)];
        assert_eq!(eta_seconds(&outlook(20.0, 4, 0, &asking)), 15 + 2 * 20);
        // Between two questions of the last case: its questions, one after another.
        assert_eq!(eta_seconds(&outlook(20.0, 2, 0, &[])), 40);
        assert_eq!(eta_seconds(&outlook(20.0, 0, 0, &[])), 0);
    }

    #[test]
    fn the_pace_follows_the_questions_under_way_and_the_latency() {
        let counts = Counts::new(10, 2);
        counts.clock().settle(20.0);
        counts.done.store(5, Ordering::Relaxed);
        counts.cases.store(1, Ordering::Relaxed);
        let sent = Instant::now() - Duration::from_secs(5);
        counts.clock().asking.insert("case".into(), (sent, 5));
        // 15 s left of the question under way, then four more of 20 s.
        assert_eq!(counts.pace(), "20s/MCQ, ETA 1m 35s");
        let line = counts.line();
        assert!(
            line.contains("1/2 cases, 5/10 MCQs, 20s/MCQ, ETA 1m 35s, Q-Acc"),
            "{line}"
        );
        counts.done.store(10, Ordering::Relaxed);
        assert!(
            counts.pace().ends_with("MCQs/s, ETA 0s"),
            "{}",
            counts.pace()
        );
    }

    /// The cases under way: their chains of questions left.
    fn chains(counts: &Counts) -> Vec<u64> {
        let mut chains: Vec<u64> = counts.clock().asking.values().map(|e| e.1).collect();
        chains.sort();
        chains
    }

    #[test]
    fn a_case_keeps_its_place_between_questions_and_leaves_when_it_ends() {
        let counts = Counts::new(10, 3);
        let stopped = counts.asking("a", 3);
        let failing = counts.asking("b", 4);
        let going_on = counts.asking("c", 2);
        assert_eq!(chains(&counts), [2, 3, 4]);
        drop(stopped);
        assert_eq!(
            counts.clock().settled,
            0,
            "a stopped question has no latency"
        );
        going_on.settled(true);
        assert_eq!(chains(&counts), [1, 4], "c's last question is next");
        failing.settled(false);
        assert_eq!(chains(&counts), [1], "a failure skips the rest of b");
        counts.asking("c", 1).settled(true);
        assert_eq!(chains(&counts), [0u64; 0], "c answered its last question");
        let clock = counts.clock();
        assert_eq!(clock.settled, 3);
        assert!(clock.latency.is_some_and(|l| l < 5.0));
    }

    #[test]
    fn the_latency_is_a_mean_that_follows_a_server_slowing_down() {
        let mut clock = Clock::default();
        for seconds in [10.0, 20.0, 30.0] {
            clock.settle(seconds);
        }
        assert_eq!(clock.latency, Some(20.0));
        for _ in 0..(4 * LATENCY_WINDOW) {
            clock.settle(100.0);
        }
        assert!(
            clock.latency.is_some_and(|l| l > 99.0),
            "{:?}",
            clock.latency
        );
    }

    #[test]
    fn the_pacing_rate_shows_after_the_failures_once_known() {
        let counts = Counts::new(10, 2);
        assert_eq!(counts.status(), "Q-Acc 0.0%  failed 0");
        *counts.paced.lock().unwrap() = "paced: 28k TPM".into();
        assert_eq!(counts.status(), "Q-Acc 0.0%  failed 0  paced: 28k TPM");
    }

    #[test]
    fn paces_and_durations_read_as_people_say_them() {
        assert_eq!(speed(2.13), "2.1 MCQs/s");
        assert_eq!(speed(0.25), "4.0s/MCQ");
        assert_eq!(speed(1.0 / 12.0), "12s/MCQ");
        assert_eq!(speed(1.0 / 90.0), "1m 30s/MCQ");
        assert_eq!(clock(Duration::from_secs(42)), "42s");
        assert_eq!(clock(Duration::from_secs(62)), "1m 02s");
        assert_eq!(clock(Duration::from_secs(3 * 3600 + 7 * 60 + 5)), "3h 07m");
    }
}
