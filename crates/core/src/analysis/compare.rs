//! Runs side by side over the cases they all have, and for each pair the difference in
//! question and case accuracy with a paired case-level bootstrap interval and p-value.
//!
//! Paired: every resample draws the same cases for both runs, so what the two runs share
//! (the same hard cases) cancels out and only their difference varies. The p-value is
//! two-sided, from the bootstrap distribution of the difference:
//! 2 x min(share <= 0, share >= 0), with one added to both counts so it is never 0.
//!
//! Every MCQ is counted by one [`Reading`]: the official verdict (`is_correct`), or our
//! robust extractor's (`robust_correct`), the same for every run.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use super::bootstrap::{Cluster, Options, Rng, Statistic, memberships, percentile, summary_groups};
use super::breakdown::{Breakdowns, GroupId, Measured, split};
use super::outcome::OutcomeCounts;
use super::summarize;
use crate::pytext::round4;
use crate::results::{ById, CaseId, CaseRecord, Coverage, McqRecord, ResultsFile, places};

/// Which verdict of each MCQ a comparison counts. A model can gain or lose points only
/// because the official extractor misreads its replies (a letter in its reasoning taken
/// for its answer); the robust reading asks whether that changes the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reading {
    /// The official tool's answer extraction: `is_correct` (and the stored
    /// `correct_mcqs`), the benchmark's numbers.
    #[default]
    Official,
    /// Our robust extractor's: `robust_correct`, with case correctness recounted from it.
    Robust,
}

impl Reading {
    /// Its name, as `--reading` and the JSON spell it.
    pub fn name(self) -> &'static str {
        match self {
            Reading::Official => "official",
            Reading::Robust => "robust",
        }
    }

    /// What it counts, for the table header and the page.
    pub fn description(self) -> &'static str {
        match self {
            Reading::Official => "the official answer extraction's verdict (is_correct)",
            Reading::Robust => {
                "the robust extractor's verdict (robust_correct), case correctness recounted from it"
            }
        }
    }

    /// The file as this reading counts it: itself for the official reading; for the
    /// robust one a copy whose answered MCQs carry the robust verdict and answer in
    /// `is_correct` and `extracted_answer`, and whose cases' `correct_mcqs` are recounted,
    /// so that the whole comparison (accuracies, case correctness, differences) follows.
    /// MCQs that failed or were skipped have no verdict of either kind and stay wrong.
    ///
    /// Refused when an answered MCQ has no robust verdict (the official tool's files,
    /// hand-made ones): counting it wrong, or officially, would mix the readings.
    pub fn apply(self, file: &ResultsFile) -> Result<Cow<'_, ResultsFile>, String> {
        if self == Reading::Official {
            return Ok(Cow::Borrowed(file));
        }
        let answered = || {
            file.cases
                .iter()
                .flat_map(|c| &c.mcqs)
                .filter(|m| !m.has_error())
        };
        let missing = answered().filter(|m| robust_verdict(m).is_none()).count();
        if missing > 0 {
            return Err(format!(
                "--reading robust needs the robust extractor's verdict (robust_correct) of every answered MCQ, and {missing} of its {} have none: the official tool's files (and older or hand-made ones) carry only the official verdict. Compare them with --reading official (the default).",
                answered().count()
            ));
        }
        // With no answered MCQ at all there is nothing to recount: every MCQ is wrong
        // either way.
        let cases = super::reading::robust_cases(&file.cases).unwrap_or_else(|| file.cases.clone());
        Ok(Cow::Owned(ResultsFile {
            cases,
            meta: file.meta.clone(),
            summary: file.summary.clone(),
            unfinished_cases: Vec::new(),
            extra: file.extra.clone(),
        }))
    }
}

/// Written by its name.
impl Serialize for Reading {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// An answered MCQ's robust verdict, if its record has one.
fn robust_verdict(mcq: &McqRecord) -> Option<bool> {
    mcq.extra.get("robust_correct").and_then(Value::as_bool)
}

/// One run to compare: a label and its results.
pub struct Run<'a> {
    pub label: String,
    pub file: &'a ResultsFile,
}

/// The difference `b - a` of one statistic over aligned clusters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Difference {
    pub a: f64,
    pub b: f64,
    pub(crate) diff: f64,
    pub low: f64,
    pub high: f64,
    /// None for fewer than two cases: nothing to resample, no test.
    pub p_value: Option<f64>,
}

pub fn paired(
    a: &[Cluster],
    b: &[Cluster],
    statistic: Statistic,
    opts: &Options,
    rng: &mut Rng,
) -> Difference {
    let (sa, sb) = (
        statistic.of(a.iter().copied()),
        statistic.of(b.iter().copied()),
    );
    let n = a.len();
    let mut diffs: Vec<f64> = Vec::with_capacity(opts.resamples);
    let mut picks = vec![0usize; n];
    for _ in 0..opts.resamples {
        for p in picks.iter_mut() {
            *p = rng.below(n);
        }
        let ra = statistic.of(picks.iter().map(|&i| a[i]));
        let rb = statistic.of(picks.iter().map(|&i| b[i]));
        diffs.push(rb - ra);
    }
    if n < 2 || diffs.is_empty() {
        return Difference {
            a: sa,
            b: sb,
            diff: sb - sa,
            low: sb - sa,
            high: sb - sa,
            p_value: None,
        };
    }
    // Differences within rounding noise of zero count as zero.
    let eps = 1e-12;
    let at_most = diffs.iter().filter(|d| **d <= eps).count();
    let at_least = diffs.iter().filter(|d| **d >= -eps).count();
    let p_value =
        Some((2.0 * (at_most.min(at_least) + 1) as f64 / (diffs.len() + 1) as f64).min(1.0));
    let (low, high) = percentile(&mut diffs, opts.level);
    Difference {
        a: sa,
        b: sb,
        diff: sb - sa,
        low,
        high,
        p_value,
    }
}

/// What the comparison found (the JSON of `compare --json`): the runs over the cases they
/// all have, what to read before the numbers, and every group's accuracies with every
/// pair's difference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The runs' labels, in order.
    pub runs: Vec<String>,
    pub common_cases: usize,
    pub reading: Reading,
    pub method: &'static str,
    pub resamples: usize,
    pub seed: u64,
    pub warnings: Vec<String>,
    /// `None` when the runs have no case in common.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overall: Option<ComparedGroup>,
    #[serde(flatten)]
    pub groups: Breakdowns<ComparedGroup>,
}

/// A group compared: its common cases, and each statistic that applies.
pub type ComparedGroup = Measured<Compared>;

/// One statistic of a group across the runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compared {
    /// Each run's, in the runs' order, rounded to 4 decimals.
    pub values: Vec<f64>,
    /// Every pair of runs, earlier run first: (1, 2), (1, 3), ..., (2, 3), ...; the
    /// later runs' differences from the first come first.
    pub pairs: Vec<PairDifference>,
}

/// The difference `b - a` between two runs in one statistic, with its paired interval and
/// p-value, rounded to 4 decimals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairDifference {
    /// The earlier run's label.
    pub a: String,
    /// The later run's label.
    pub b: String,
    pub difference: f64,
    pub low: f64,
    pub high: f64,
    /// None for a group of one case: nothing to resample, no test.
    pub p_value: Option<f64>,
}

/// Compares the runs over the cases present in all of them. Each run's file is as
/// `reading` counts it ([`Reading::apply`]); the JSON says which reading that is.
pub fn compare(runs: &[Run], opts: &Options, reading: Reading) -> Comparison {
    let mut warnings = Vec::new();
    for key in ["dataset", "image_mode", "tool"] {
        let values: Vec<String> = runs
            .iter()
            .map(|r| {
                r.file
                    .meta
                    .get(key)
                    .map_or("(none)".into(), |v| v.to_string())
            })
            .collect();
        if values.iter().collect::<HashSet<_>>().len() > 1 {
            let what = match key {
                "dataset" => "configs",
                "image_mode" => "image modes",
                _ => "tools (their answer extraction may differ)",
            };
            warnings.push(format!(
                "the runs used different {what}: {}",
                runs.iter()
                    .zip(&values)
                    .map(|(r, v)| format!("{} {v}", r.label))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    // A case without an id (the official tool writes "" when a case has no pmc, pmid or
    // doi), or whose id its file holds twice, cannot be matched across runs.
    let ids: Vec<ById> = runs.iter().map(|r| ById::new(&r.file.cases)).collect();
    for (run, m) in runs.iter().zip(&ids) {
        if !m.unnamed.is_empty() {
            warnings.push(format!(
                "{} has {} without a case id: left out (they cannot be matched): {}",
                run.label,
                plural(m.unnamed.len() as u64, "case"),
                places("cases", &m.unnamed)
            ));
        }
        if !m.repeated.is_empty() {
            let repeated: Vec<&str> = m.repeated.iter().map(CaseId::as_str).collect();
            warnings.push(format!(
                "{} holds {} more than once: left out (they cannot be matched): {}",
                run.label,
                plural(repeated.len() as u64, "case id"),
                repeated.join(", ")
            ));
        }
    }
    // The first run's order, kept for the cases every run has.
    let common: Vec<&str> = ids[0]
        .named
        .iter()
        .map(|(id, _)| id.as_str())
        .filter(|id| ids.iter().all(|m| m.get(id).is_some()))
        .collect();
    for (run, m) in runs.iter().zip(&ids) {
        let extra = m.named.len() - common.len();
        if extra > 0 {
            warnings.push(format!(
                "{} has {} the others lack: compared over the {} cases all runs have",
                run.label,
                plural(extra as u64, "case"),
                common.len()
            ));
        }
    }
    warnings.extend(runs.iter().flat_map(run_warnings));
    let aligned: Vec<Vec<CaseRecord>> = ids
        .iter()
        .map(|m| {
            common
                .iter()
                .map(|id| m.get(id).expect("every run holds the common cases").clone())
                .collect()
        })
        .collect();

    // Each run's clusters per group, aligned case by case (a case missing from a group in
    // one run counts there as empty).
    let members: Vec<Vec<HashMap<GroupId, Cluster>>> = aligned
        .iter()
        .map(|cases| {
            cases
                .iter()
                .map(|c| memberships(c).into_iter().collect())
                .collect()
        })
        .collect();
    let mut comparison = Comparison {
        runs: runs.iter().map(|r| r.label.clone()).collect(),
        common_cases: common.len(),
        reading,
        method: "paired case-level bootstrap; two-sided p-value from the bootstrap distribution",
        resamples: opts.resamples,
        seed: opts.seed,
        warnings,
        overall: None,
        groups: Breakdowns::default(),
    };
    let Some(summary) = aligned.first().and_then(|c| summarize(c)) else {
        return comparison;
    };
    let compared = summary_groups(&summary).into_iter().map(|id| {
        let group = compared_group(&id, &members, &comparison.runs, opts);
        (id, group)
    });
    (comparison.overall, comparison.groups) = split(compared);
    comparison
}

/// A group compared across the runs, from each run's clusters per case (aligned case by
/// case; a case missing from the group in one run counts there as empty).
fn compared_group(
    id: &GroupId,
    members: &[Vec<HashMap<GroupId, Cluster>>],
    labels: &[String],
    opts: &Options,
) -> ComparedGroup {
    let cases = members.first().map_or(0, Vec::len);
    let rows: Vec<usize> = (0..cases)
        .filter(|&i| members.iter().any(|m| m[i].contains_key(id)))
        .collect();
    let per_run: Vec<Vec<Cluster>> = members
        .iter()
        .map(|m| {
            rows.iter()
                .map(|&i| m[i].get(id).copied().unwrap_or_default())
                .collect()
        })
        .collect();
    Measured::new(id, rows.len(), |statistic| {
        let values = per_run
            .iter()
            .map(|c| round4(statistic.of(c.iter().copied())))
            .collect();
        let mut pairs = Vec::new();
        for i in 0..labels.len() {
            for j in i + 1..labels.len() {
                let mut parts = id.seed_parts();
                parts.push(statistic.key());
                let mut rng = Rng::for_group(opts.seed, &parts);
                let d = paired(&per_run[i], &per_run[j], statistic, opts, &mut rng);
                pairs.push(PairDifference {
                    a: labels[i].clone(),
                    b: labels[j].clone(),
                    difference: round4(d.diff),
                    low: round4(d.low),
                    high: round4(d.high),
                    p_value: d.p_value.map(round4),
                });
            }
        }
        Compared { values, pairs }
    })
}

/// What each run's accuracies hide, labelled with the run: the cases it never ran (a run
/// stopped early, a `--limit` run, one shard), and the MCQs it got no answer to, which the
/// official accuracy counts as wrong. Either makes a run look worse, or differently
/// sampled, than the model is, so the reader must know before reading a difference.
fn run_warnings(run: &Run) -> Vec<String> {
    let coverage = Coverage::of(&run.file.meta).and_then(|c| c.note());
    let failures = failure_note(OutcomeCounts::of(&run.file.cases));
    [coverage, failures]
        .into_iter()
        .flatten()
        .map(|note| format!("{}: {note}", run.label))
        .collect()
}

/// `"2 API failures and 3 skipped MCQs are counted as wrong"`, when there are any.
fn failure_note(counts: OutcomeCounts) -> Option<String> {
    let parts: Vec<String> = [
        (counts.api_failure, "API failure"),
        (counts.skipped, "skipped MCQ"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| plural(n, what))
    .collect();
    if parts.is_empty() {
        return None;
    }
    let verb = if counts.api_failure + counts.skipped == 1 {
        "is"
    } else {
        "are"
    };
    Some(format!("{} {verb} counted as wrong", parts.join(" and ")))
}

/// `"1 case"`, `"3 cases"`.
fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answered MCQ with the official verdict `official` and the robust `robust`
    /// (absent when `None`).
    fn mcq(official: bool, robust: Option<bool>) -> McqRecord {
        let mut m = McqRecord {
            is_correct: official.into(),
            extracted_answer: "A".into(),
            ..McqRecord::default()
        };
        if let Some(robust) = robust {
            m.extra.insert("robust_correct".into(), robust.into());
            m.extra.insert("robust_answer".into(), "B".into());
        }
        m
    }

    fn file(mcqs: Vec<McqRecord>) -> ResultsFile {
        let correct = mcqs.iter().filter(|m| m.is_correct()).count();
        ResultsFile {
            cases: vec![CaseRecord {
                case_id: "PMC1".into(),
                correct_mcqs: Some(correct.into()),
                mcqs,
                ..CaseRecord::default()
            }],
            ..ResultsFile::default()
        }
    }

    #[test]
    fn the_robust_reading_counts_the_robust_verdicts_and_recounts_the_case() {
        let failed = McqRecord {
            error: "timeout".into(),
            ..McqRecord::default()
        };
        let run = file(vec![mcq(false, Some(true)), mcq(true, Some(true)), failed]);
        let official = Reading::Official.apply(&run).unwrap();
        assert!(matches!(official, Cow::Borrowed(_)));
        assert_eq!(official.cases[0].correct_count(), 1);
        let robust = Reading::Robust.apply(&run).unwrap();
        let case = &robust.cases[0];
        assert_eq!(case.correct_count(), 2, "the stored count is recounted");
        let right: Vec<bool> = case.mcqs.iter().map(McqRecord::is_correct).collect();
        assert_eq!(right, [true, true, false], "a failed MCQ stays wrong");
        assert_eq!(case.mcqs[0].extracted_answer, "B");
    }

    #[test]
    fn the_robust_reading_refuses_answers_without_a_robust_verdict() {
        let official_tool = file(vec![mcq(true, None), mcq(false, None)]);
        let why = Reading::Robust.apply(&official_tool).unwrap_err();
        assert!(why.contains("2 of its 2 have none"), "{why}");
        assert!(why.contains("--reading official"), "{why}");
        // One answered MCQ without it is enough to refuse: the readings would mix.
        let mixed = file(vec![mcq(true, Some(true)), mcq(false, None)]);
        assert!(
            Reading::Robust
                .apply(&mixed)
                .unwrap_err()
                .contains("1 of its 2")
        );
        assert!(Reading::Official.apply(&official_tool).is_ok());
    }

    #[test]
    fn failures_and_skips_are_named_with_their_counts() {
        let note = |api_failure, skipped| {
            failure_note(OutcomeCounts {
                api_failure,
                skipped,
                ..OutcomeCounts::default()
            })
        };
        assert_eq!(note(0, 0), None);
        assert_eq!(
            note(2, 3).as_deref(),
            Some("2 API failures and 3 skipped MCQs are counted as wrong")
        );
        assert_eq!(
            note(1, 0).as_deref(),
            Some("1 API failure is counted as wrong")
        );
        assert_eq!(
            note(0, 4).as_deref(),
            Some("4 skipped MCQs are counted as wrong")
        );
    }

    fn clusters(correct: &[u32]) -> Vec<Cluster> {
        correct
            .iter()
            .map(|&c| Cluster {
                mcqs: 4,
                correct: c,
                case_correct: c == 4,
            })
            .collect()
    }

    #[test]
    fn a_run_against_itself_differs_by_nothing() {
        let a = clusters(&[4, 3, 2, 4, 1, 0, 4, 2, 3, 3]);
        let opts = Options {
            resamples: 500,
            ..Options::default()
        };
        for statistic in [Statistic::Question, Statistic::Case] {
            let d = paired(&a, &a, statistic, &opts, &mut Rng::for_group(0, &[]));
            assert_eq!((d.diff, d.low, d.high), (0.0, 0.0, 0.0));
            assert_eq!(d.p_value, Some(1.0));
        }
    }

    /// The paired difference of question accuracy, 1000 resamples, seed 0.
    fn question(a: &[Cluster], b: &[Cluster]) -> Difference {
        let opts = Options {
            resamples: 1000,
            ..Options::default()
        };
        paired(
            a,
            b,
            Statistic::Question,
            &opts,
            &mut Rng::for_group(0, &[]),
        )
    }

    #[test]
    fn a_clearly_better_run_has_a_small_p_value_and_an_interval_above_zero() {
        let a = clusters(&[1, 2, 1, 0, 2, 1, 1, 2, 0, 1, 2, 1, 1, 0, 2, 1, 1, 2, 1, 1]);
        let b = clusters(&[4, 3, 4, 3, 4, 4, 3, 4, 4, 3, 4, 4, 3, 4, 4, 3, 4, 4, 4, 3]);
        let d = question(&a, &b);
        assert!(d.diff > 0.5 && d.low > 0.0, "{d:?}");
        assert!(d.p_value.unwrap() < 0.01, "{d:?}");
        let reversed = question(&b, &a);
        assert!(reversed.high < 0.0 && reversed.p_value.unwrap() < 0.01);
    }

    #[test]
    fn a_small_noisy_difference_is_not_significant() {
        let a = clusters(&[4, 3, 2, 4, 1, 0, 4, 2, 3, 3]);
        let b = clusters(&[4, 3, 2, 4, 1, 0, 4, 2, 3, 4]);
        let d = question(&a, &b);
        assert!(d.p_value.unwrap() > 0.2, "{d:?}");
        assert!(d.low <= 0.0 && d.high > 0.0);
    }
}
