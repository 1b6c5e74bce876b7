//! The evaluation engine: cases concurrently, turns within a case in order, every
//! finished turn journalled, resumable from the journal or a results file.

pub mod batch;
pub mod breaker;
mod case;
pub mod health;
pub mod journal;
pub mod pace;
pub mod pool;
pub mod preflight;
pub mod progress;
pub mod record;
pub mod resume;
pub mod stop;

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::FutureExt;
use tokio::task::JoinSet;

use journal::Journal;
use liveclin_core::dataset::LoadedCase;
use liveclin_core::prompt::ImageMode;
use liveclin_core::results::{CaseRecord, McqRecord};
use pool::Pool;
use progress::Progress;
use resume::Prior;
use stop::Stop;

/// Everything the cases of a run share.
pub struct Engine {
    /// The endpoints cases are placed on.
    pub pool: Arc<Pool>,
    pub mode: ImageMode,
    pub image_root: PathBuf,
    /// Tries per question and calls per try (the official `--max-retries`).
    pub max_retries: u32,
    pub verbose: bool,
    pub journal: Journal,
    pub progress: Progress,
    pub stop: Arc<Stop>,
    pub breaker: breaker::Breaker,
    /// Holds calls back to stay inside the endpoints' rate limits.
    pub pacer: pace::Pacer,
}

/// What a run produced.
pub struct RunOutcome {
    /// Finished cases, in dataset order (cases kept from an earlier run included).
    pub cases: Vec<CaseRecord>,
    /// Cases started but stopped before their end that have answered turns, in dataset
    /// order (kept in the results file so that nothing answered is lost).
    pub unfinished: Vec<CaseRecord>,
    /// Cases run (not kept) in this run.
    pub ran: usize,
    /// True when the run was stopped before every case finished.
    pub interrupted: bool,
}

/// The work of a run: which cases are already finished and which continue where.
pub struct Plan {
    finished: Vec<(usize, CaseRecord)>,
    pending: Vec<(usize, Vec<McqRecord>)>,
}

impl Plan {
    pub fn new(cases: &[LoadedCase], prior: &Prior) -> Self {
        let mut plan = Plan {
            finished: Vec::new(),
            pending: Vec::new(),
        };
        for (i, lc) in cases.iter().enumerate() {
            let total = lc.case.mcqs().len();
            let kept = prior.kept(&lc.id, total);
            if total > 0 && kept.len() == total {
                plan.finished.push((i, record::case_record(lc, kept)));
            } else {
                plan.pending.push((i, kept));
            }
        }
        plan
    }

    pub fn finished_cases(&self) -> usize {
        self.finished.len()
    }

    pub fn pending_cases(&self) -> usize {
        self.pending.len()
    }

    /// Turns kept for cases that continue.
    pub fn kept_turns(&self) -> usize {
        self.pending.iter().map(|(_, kept)| kept.len()).sum()
    }

    /// MCQs still to be asked.
    pub fn remaining_mcqs(&self, cases: &[LoadedCase]) -> usize {
        self.pending
            .iter()
            .map(|(i, kept)| cases[*i].case.mcqs().len() - kept.len())
            .sum()
    }
}

/// Runs every pending case: a case starts when the pool has a place for it (at most
/// `--concurrency` in flight), so cases not yet started cost nothing but their index.
pub async fn run(engine: Arc<Engine>, cases: Arc<Vec<LoadedCase>>, plan: Plan) -> RunOutcome {
    let mut slots: Vec<Option<Compact>> = vec![None; cases.len()];
    for (i, record) in plan.finished {
        slots[i] = Some(Compact::new(&record));
    }
    let mut unfinished = Vec::new();
    let mut pending = plan.pending.into_iter().peekable();
    let mut tasks = JoinSet::new();
    let mut ran = 0;
    let mut interrupted = false;
    loop {
        let more = pending.peek().is_some() && !engine.stop.is_set();
        tokio::select! {
            lease = engine.pool.lease(), if more => {
                let (i, kept) = pending.next().expect("peeked");
                let (engine, cases) = (engine.clone(), cases.clone());
                tasks.spawn(async move {
                    let (records, finished) = engine.guarded_case(&cases[i], kept, lease).await;
                    (i, record::case_record(&cases[i], records), finished)
                });
            }
            Some(joined) = tasks.join_next() => {
                let (i, record, finished) = joined.expect("a case task catches its panics");
                if finished {
                    engine.progress.case();
                    slots[i] = Some(Compact::new(&record));
                    ran += 1;
                } else {
                    interrupted = true;
                    if !record.mcqs.is_empty() {
                        unfinished.push((i, record));
                    }
                }
            }
            () = engine.stop.wait(), if more => {}
            else => break,
        }
    }
    engine.progress.finish();
    unfinished.sort_by_key(|(i, _)| *i);
    RunOutcome {
        cases: slots.into_iter().flatten().map(Compact::expand).collect(),
        unfinished: unfinished.into_iter().map(|(_, record)| record).collect(),
        ran,
        interrupted: interrupted || pending.peek().is_some() || engine.stop.is_set(),
    }
}

impl Engine {
    /// Runs a case with its panics caught: a bug met by one case becomes that case's
    /// error (journalled, so `--resume` retries it) and the run goes on. Returns its
    /// records and whether it finished.
    async fn guarded_case(
        &self,
        lc: &LoadedCase,
        kept: Vec<McqRecord>,
        lease: pool::Lease,
    ) -> (Vec<McqRecord>, bool) {
        let mut records = Vec::with_capacity(lc.case.mcqs().len());
        let run = caught(self.evaluate_case(lc, kept, lease, &mut records)).await;
        let finished = match run {
            Ok(finished) => finished,
            Err(panic) => {
                let error = format!("internal error (a bug in liveclin): {panic}");
                self.progress.println(format!("  {}: {error}", lc.id));
                self.fail_from(lc, &error, &mut records);
                true
            }
        };
        (records, finished)
    }
}

/// A future's output, or the message of its panic.
async fn caught<T>(future: impl std::future::Future<Output = T>) -> Result<T, String> {
    AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .map_err(|panic| {
            panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".into())
        })
}

/// A finished case as its compact JSON, until the results file is written: a few
/// hundred bytes per MCQ instead of a tree of values, so what a run holds grows by
/// little more than its results file (about 3 MB for a full config) however long it runs.
#[derive(Clone)]
struct Compact(Box<[u8]>);

impl Compact {
    fn new(record: &CaseRecord) -> Self {
        let bytes = serde_json::to_vec(record).expect("a case record always serialises");
        Compact(bytes.into_boxed_slice())
    }

    fn expand(self) -> CaseRecord {
        serde_json::from_slice(&self.0).expect("a case record reads back what it wrote")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_its_message_and_the_borrowed_records_survive() {
        let mut records = vec![1];
        let run = caught(async {
            records.push(2);
            if records.len() == 2 {
                panic!("bad reply {}", records.len());
            }
            true
        })
        .await;
        assert_eq!(run, Err("bad reply 2".to_string()));
        assert_eq!(records, [1, 2]);
        assert_eq!(caught(async { 7 }).await, Ok(7));
    }
}
