//! The evaluation engine: cases concurrently, turns within a case in order, every
//! finished turn journalled, resumable from the journal or a results file.

mod case;
pub mod health;
pub mod journal;
pub mod pool;
pub mod progress;
pub mod record;
pub mod resume;
pub mod stop;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::task::JoinSet;

use crate::dataset::LoadedCase;
use crate::prompt::ImageMode;
use crate::results::CaseRecord;
use journal::Journal;
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
}

/// What a run produced.
pub struct RunOutcome {
    /// Finished cases, in dataset order (cases kept from an earlier run included).
    pub cases: Vec<CaseRecord>,
    /// Cases run (not kept) in this run.
    pub ran: usize,
    /// True when the run was stopped before every case finished.
    pub interrupted: bool,
}

/// The work of a run: which cases are already finished and which continue where.
pub struct Plan {
    finished: Vec<(usize, CaseRecord)>,
    pending: Vec<(usize, Vec<crate::results::McqRecord>)>,
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
                    let (record, finished) = engine.evaluate_case(&cases[i], kept, lease).await;
                    (i, record, finished)
                });
            }
            Some(joined) = tasks.join_next() => {
                let (i, record, finished) = joined.expect("a case task does not panic");
                if finished {
                    slots[i] = Some(Compact::new(&record));
                    ran += 1;
                } else {
                    interrupted = true;
                }
            }
            () = engine.stop.wait(), if more => {}
            else => break,
        }
    }
    engine.progress.finish();
    RunOutcome {
        cases: slots.into_iter().flatten().map(Compact::expand).collect(),
        ran,
        interrupted: interrupted || pending.peek().is_some() || engine.stop.is_set(),
    }
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
