//! 95% confidence intervals by a case-level (clustered) percentile bootstrap.
//!
//! The MCQs of a case are not independent (one conversation, one patient), so MCQs are
//! never resampled alone: each resample draws cases with replacement and takes all their
//! MCQs. Every group of every breakdown is bootstrapped over its own cases (a case is in
//! a case-level group such as a chapter once; in an MCQ-level group such as a stage with
//! those of its MCQs that belong there), so a group's interval reflects its own size:
//! LiveClin subcategories have 10-30 cases, and groups under
//! [`SMALL_GROUP`] cases are flagged.
//!
//! Reproducible: each group's generator is seeded from the run's seed and the group's
//! breakdown and name, so an interval does not depend on which other groups exist.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::breakdown::{Breakdown, Breakdowns, GroupId, Measured, SMALL_GROUP, split};
use super::summary::{CaseKeys, McqKeys, Summary, summarize};
use crate::pytext::round4;
use crate::results::CaseRecord;

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub resamples: usize,
    pub seed: u64,
    /// The coverage, e.g. 0.95.
    pub level: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            resamples: 2000,
            seed: 0,
            level: 0.95,
        }
    }
}

/// One case's share of a group: its MCQs there, how many were right, and (for case-level
/// groups) whether the whole case was right.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cluster {
    pub mcqs: u32,
    pub correct: u32,
    pub(crate) case_correct: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    /// Rounded to 4 decimals, as results files store intervals.
    fn rounded(self) -> Interval {
        Interval {
            estimate: round4(self.estimate),
            low: round4(self.low),
            high: round4(self.high),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// Correct MCQs over MCQs.
    Question,
    /// Correct cases over cases.
    Case,
}

impl Statistic {
    /// Both, in the order the results list them.
    pub const ALL: [Statistic; 2] = [Statistic::Question, Statistic::Case];

    /// Its key in the results: `question_accuracy`.
    pub fn key(self) -> &'static str {
        match self {
            Statistic::Question => "question_accuracy",
            Statistic::Case => "case_accuracy",
        }
    }

    /// Its name in titles: `Question accuracy`.
    pub fn title(self) -> &'static str {
        match self {
            Statistic::Question => "Question accuracy",
            Statistic::Case => "Case accuracy",
        }
    }

    pub fn of(self, clusters: impl Iterator<Item = Cluster>) -> f64 {
        let (mut num, mut den) = (0u64, 0u64);
        for c in clusters {
            match self {
                Statistic::Question => {
                    num += u64::from(c.correct);
                    den += u64::from(c.mcqs);
                }
                Statistic::Case => {
                    num += u64::from(c.case_correct);
                    den += 1;
                }
            }
        }
        if den == 0 {
            0.0
        } else {
            num as f64 / den as f64
        }
    }
}

/// splitmix64: small, fast and the same everywhere.
pub struct Rng(u64);

impl Rng {
    /// A generator for one named group of a seeded run.
    pub(crate) fn for_group(seed: u64, parts: &[&str]) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
        for part in parts {
            for b in part.bytes().chain([0x1f]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        Rng(h)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (multiply-shift; the bias is negligible for n far below 2^32).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The percentile interval of `resampled` (sorted in place) at `level`.
pub(crate) fn percentile(resampled: &mut [f64], level: f64) -> (f64, f64) {
    resampled.sort_by(f64::total_cmp);
    let last = resampled.len() - 1;
    let tail = (1.0 - level) / 2.0;
    let low = resampled[(tail * last as f64).floor() as usize];
    let high = resampled[((1.0 - tail) * last as f64).ceil() as usize];
    (low, high)
}

/// The bootstrap interval of one statistic over one group's clusters.
pub fn interval(
    clusters: &[Cluster],
    statistic: Statistic,
    opts: &Options,
    rng: &mut Rng,
) -> Interval {
    let estimate = statistic.of(clusters.iter().copied());
    if clusters.is_empty() || opts.resamples == 0 {
        return Interval {
            estimate,
            low: estimate,
            high: estimate,
        };
    }
    let mut resampled: Vec<f64> = (0..opts.resamples)
        .map(|_| statistic.of((0..clusters.len()).map(|_| clusters[rng.below(clusters.len())])))
        .collect();
    let (low, high) = percentile(&mut resampled, opts.level);
    Interval {
        estimate,
        low,
        high,
    }
}

/// The groups a case belongs to, each with the case's share of it (`overall` included).
pub(crate) fn memberships(case: &CaseRecord) -> Vec<(GroupId, Cluster)> {
    let n = case.mcqs.len() as i64;
    let c = case.correct_count();
    let whole = Cluster {
        mcqs: n as u32,
        correct: c.clamp(0, n) as u32,
        case_correct: n > 0 && c == n,
    };
    let keys = CaseKeys::of(case);
    let mut groups: Vec<(GroupId, Cluster)> = vec![
        (GroupId::Overall, whole),
        (GroupId::of(Breakdown::Rarity, keys.rarity), whole),
        (GroupId::of(Breakdown::Chapter, keys.chapter.clone()), whole),
        (
            GroupId::In {
                breakdown: Breakdown::Subcategory,
                chapter: Some(keys.chapter),
                name: keys.subcategory,
            },
            whole,
        ),
    ];
    let mut shares: Vec<(GroupId, Cluster)> = Vec::new();
    for mcq in &case.mcqs {
        let ok = u32::from(mcq.is_correct());
        let keys = McqKeys::of(mcq);
        let position = format!("Q{}", mcq.position() + 1);
        let ids = [
            GroupId::of(Breakdown::Stage, keys.stage),
            GroupId::of(Breakdown::Position, position),
        ]
        .into_iter()
        .chain(
            keys.images
                .iter()
                .map(|m| GroupId::of(Breakdown::ImageModality, *m)),
        )
        .chain(
            keys.tables
                .iter()
                .map(|m| GroupId::of(Breakdown::TableModality, *m)),
        );
        for id in ids {
            let at = match shares.iter().position(|(g, _)| *g == id) {
                Some(at) => at,
                None => {
                    shares.push((id, Cluster::default()));
                    shares.len() - 1
                }
            };
            shares[at].1.mcqs += 1;
            shares[at].1.correct += ok;
        }
    }
    groups.extend(shares);
    groups
}

/// Every group's clusters, one per case in it, in case order.
pub(crate) fn clusters(cases: &[CaseRecord]) -> HashMap<GroupId, Vec<Cluster>> {
    let mut all: HashMap<GroupId, Vec<Cluster>> = HashMap::new();
    for case in cases {
        for (id, cluster) in memberships(case) {
            all.entry(id).or_default().push(cluster);
        }
    }
    all
}

/// Every group of the summary in the summary's order: `overall`, then breakdown by
/// breakdown.
pub(crate) fn summary_groups(summary: &Summary) -> Vec<GroupId> {
    let mut ids = vec![GroupId::Overall];
    for breakdown in Breakdown::ALL {
        ids.extend(
            summary
                .names(breakdown)
                .into_iter()
                .map(|(chapter, name)| GroupId::In {
                    breakdown,
                    chapter: chapter.map(str::to_string),
                    name: name.to_string(),
                }),
        );
    }
    ids
}

/// The `confidence_intervals` key of a results file (ours): each group's interval of
/// each statistic that applies to it, groups in the order of the official summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intervals {
    pub method: String,
    /// The coverage, e.g. 0.95.
    pub level: f64,
    pub resamples: usize,
    /// Absent from hand-made files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default = "small_group")]
    pub small_group_cases: usize,
    pub overall: GroupInterval,
    #[serde(flatten)]
    pub groups: Breakdowns<GroupInterval>,
}

/// A group's intervals, each rounded to 4 decimals as the results file stores them.
pub type GroupInterval = Measured<Interval>;

fn small_group() -> usize {
    SMALL_GROUP
}

/// The intervals of a results file's cases; `None` without cases (the key is then `{}`).
pub fn intervals(cases: &[CaseRecord], opts: &Options) -> Option<Intervals> {
    let summary = summarize(cases)?;
    let clusters = clusters(cases);
    let groups: Vec<(GroupId, &[Cluster])> = summary_groups(&summary)
        .into_iter()
        .filter_map(|id| {
            let c = clusters.get(&id)?;
            Some((id, c.as_slice()))
        })
        .collect();
    let measured = in_parallel(&groups, |(id, clusters)| {
        Measured::new(id, clusters.len(), |statistic| {
            let mut parts = id.seed_parts();
            parts.push(statistic.key());
            let mut rng = Rng::for_group(opts.seed, &parts);
            interval(clusters, statistic, opts, &mut rng).rounded()
        })
    });
    let (overall, groups) = split(groups.into_iter().map(|(id, _)| id).zip(measured));
    Some(Intervals {
        method: "case-level (clustered) percentile bootstrap".into(),
        level: opts.level,
        resamples: opts.resamples,
        seed: Some(opts.seed),
        small_group_cases: SMALL_GROUP,
        overall: overall.expect("every case is in the overall group"),
        groups,
    })
}

/// `f` over every item, the items shared among the machine's cores (each group's
/// generator is its own, so the result does not depend on the split); in item order.
fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // A few chunks per core: groups differ widely in size.
    let chunk = items.len().div_ceil(threads * 4).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a bootstrap thread does not panic"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn cases(value: Value) -> Vec<CaseRecord> {
        serde_json::from_value(value).unwrap()
    }

    /// The intervals as the results file writes them.
    fn written(cases: &[CaseRecord], opts: &Options) -> Value {
        serde_json::to_value(intervals(cases, opts)).unwrap()
    }

    fn mcq(ok: bool, index: u64) -> Value {
        json!({"mcq_index": index, "is_correct": ok, "stage": "Diagnosis", "image_types": ["CT"]})
    }

    #[test]
    fn the_same_seed_gives_the_same_intervals_and_another_seed_others() {
        let data = cases(json!((0..30)
            .map(|i| json!({"level1": if i % 2 == 0 { "A" } else { "B" }, "mcqs": [mcq(i % 3 != 0, 0), mcq(i % 4 != 0, 1)]}))
            .collect::<Vec<_>>()));
        let opts = Options {
            resamples: 300,
            ..Options::default()
        };
        let a = written(&data, &opts);
        assert_eq!(a, written(&data, &opts));
        let other = written(&data, &Options { seed: 7, ..opts });
        assert_ne!(a["overall"], other["overall"]);
        let overall = &a["overall"]["question_accuracy"];
        let (low, est, high) = (
            overall["low"].as_f64().unwrap(),
            overall["estimate"].as_f64().unwrap(),
            overall["high"].as_f64().unwrap(),
        );
        assert!(low < est && est < high, "{overall}");
        // Groups follow the summary's order; small groups are flagged.
        let chapters: Vec<&String> = a["by_chapter"].as_object().unwrap().keys().collect();
        assert_eq!(chapters, ["A", "B"]);
        assert_eq!(a["by_chapter"]["A"]["cases"], 15);
        assert_eq!(a["by_chapter"]["A"]["small"], true);
        assert_eq!(a["overall"]["small"], false);
        assert!(a["by_stage"]["Diagnosis"].get("case_accuracy").is_none());
        assert_eq!(a["by_position"]["Q2"]["cases"], 30);
        assert_eq!(a["by_image_modality"]["CT"]["cases"], 30);
        // No table modality: no key.
        assert!(a.get("by_table_modality").is_none());
        // What is written reads back as it was.
        let back: Intervals = serde_json::from_value(a.clone()).unwrap();
        assert_eq!(Some(back), intervals(&data, &opts));
        assert!(intervals(&[], &opts).is_none());
    }

    #[test]
    fn a_group_interval_does_not_depend_on_the_other_groups() {
        let base = json!([{"level1": "A", "mcqs": [mcq(true, 0), mcq(false, 1)]},
                          {"level1": "A", "mcqs": [mcq(true, 0), mcq(true, 1)]},
                          {"level1": "A", "mcqs": [mcq(false, 0), mcq(true, 1)]}]);
        let mut more = base.as_array().unwrap().clone();
        more.push(json!({"level1": "B", "mcqs": [mcq(true, 0)]}));
        let opts = Options {
            resamples: 200,
            ..Options::default()
        };
        assert_eq!(
            written(&cases(base), &opts)["by_chapter"]["A"],
            written(&cases(Value::Array(more)), &opts)["by_chapter"]["A"]
        );
    }

    /// On simulated runs whose cases share a case-level effect (as LiveClin's turns of
    /// one conversation do), the 95% interval of question accuracy covers the true value
    /// close to 95% of the time. An MCQ-level bootstrap would cover far less often here.
    #[test]
    fn intervals_cover_the_true_accuracy_at_about_the_nominal_rate() {
        let truth = 0.6;
        let mut sim = Rng::for_group(42, &["simulation"]);
        let opts = Options {
            resamples: 400,
            ..Options::default()
        };
        let runs = 300;
        let mut covered = 0;
        for run in 0..runs {
            // A case is easy (p = 0.9) or hard (p = 0.3) with equal odds: mean 0.6.
            let clusters: Vec<Cluster> = (0..60)
                .map(|_| {
                    let p = if sim.unit() < 0.5 { 0.9 } else { 0.3 };
                    let mcqs = 3 + sim.below(4) as u32;
                    let correct = (0..mcqs).filter(|_| sim.unit() < p).count() as u32;
                    Cluster {
                        mcqs,
                        correct,
                        case_correct: correct == mcqs,
                    }
                })
                .collect();
            let mut rng = Rng::for_group(run, &["coverage"]);
            let ci = interval(&clusters, Statistic::Question, &opts, &mut rng);
            covered += usize::from(ci.low <= truth && truth <= ci.high);
        }
        let rate = covered as f64 / runs as f64;
        assert!((0.90..=0.99).contains(&rate), "coverage {rate}");
    }

    #[test]
    fn percentiles_take_the_tails() {
        let mut v: Vec<f64> = (0..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&mut v, 0.95), (2.0, 98.0));
    }
}
