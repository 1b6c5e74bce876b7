//! Progress on stderr: MCQs done of total, rate, ETA, running question accuracy and
//! failures. A bar on a terminal; otherwise (a Slurm log, nohup, CI) a plain line every
//! `interval` and at the end, so an hour-long run is never silent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{HumanDuration, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::results::McqRecord;

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
}

struct Plain {
    stop: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Progress {
    /// Progress over `total_mcqs` MCQs of `total_cases` cases; without a terminal, a line
    /// every `interval`.
    pub fn new(total_mcqs: u64, total_cases: u64, interval: Duration) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total_mcqs), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} MCQs  {per_sec}  ETA {eta}  {msg}")
                .expect("a valid progress template"),
        );
        bar.enable_steady_tick(Duration::from_millis(500));
        let counts = Arc::new(Counts {
            total_mcqs,
            total_cases,
            started: Instant::now(),
            done: AtomicU64::new(0),
            cases: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            correct: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            last_failure: Mutex::new(String::new()),
        });
        let plain = bar
            .is_hidden()
            .then(|| Plain::start(counts.clone(), interval));
        Progress { bar, counts, plain }
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
    /// `Q-Acc 61.2%  failed 3 (HTTP 401)`.
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
        format!("Q-Acc {accuracy:.1}%  failed {failed}{reason}")
    }

    /// A whole plain progress line: `[12m 30s] 120/1407 cases, 560/6605 MCQs, 2.1 MCQs/s,
    /// ETA 48 minutes, Q-Acc 61.2%  failed 0`.
    fn line(&self) -> String {
        let elapsed = self.started.elapsed();
        let done = self.done.load(Ordering::Relaxed);
        let rate = done as f64 / elapsed.as_secs_f64().max(1e-3);
        let eta = if done == 0 || done >= self.total_mcqs {
            "-".to_string()
        } else {
            let left = (self.total_mcqs - done) as f64 / rate;
            HumanDuration(Duration::from_secs_f64(left.min(1e9))).to_string()
        };
        format!(
            "[{}] {}/{} cases, {done}/{} MCQs, {rate:.1} MCQs/s, ETA {eta}, {}",
            HumanDuration(elapsed),
            self.cases.load(Ordering::Relaxed),
            self.total_cases,
            self.total_mcqs,
            self.status()
        )
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
}
