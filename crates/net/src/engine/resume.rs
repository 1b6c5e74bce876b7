//! What an earlier run already did: read from its results file (ours or the official
//! tool's) and our journal beside it, reduced to the successful turns of each case.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::bail;

use super::journal;
use super::record::{self, succeeded};
use liveclin_core::cost::price::Price;
use liveclin_core::dataset::LoadedCase;
use liveclin_core::identity::Recorded;
use liveclin_core::results::{self, CaseId, CaseRecord, McqRecord};

/// The earlier turn records of every case, by case id and position.
#[derive(Debug, Default)]
pub struct Prior {
    turns: HashMap<CaseId, BTreeMap<i64, McqRecord>>,
    /// Where the records came from, for messages.
    pub source: String,
    /// What each earlier run recorded about its settings.
    pub recorded: Vec<Recorded>,
    /// The latest `--price` an earlier run recorded: a resume without `--price` keeps it,
    /// so the cost of the whole run is still counted.
    pub price: Option<Price>,
    /// Cases of a results file without a case id (the official tool leaves the id of a
    /// case without pmc, pmid or doi empty), each with its place in the file, until
    /// `match_unnamed` places them.
    unnamed: Vec<(String, CaseRecord)>,
    /// Batch mode's journalled events (its files and batches), for `--batch --resume`.
    pub batch: Vec<super::batch::Event>,
}

impl Prior {
    /// Adds records in order: a later record for a turn replaces an earlier one, except
    /// that an answer is never replaced by a failure (a turn answered once is kept).
    fn add(&mut self, turns: impl IntoIterator<Item = (CaseId, McqRecord)>) {
        for (case_id, mcq) in turns {
            let case = self.turns.entry(case_id).or_default();
            let position = mcq.index().expect("indexes are checked on reading");
            match case.get(&position) {
                Some(kept) if succeeded(kept) && !succeeded(&mcq) => {}
                _ => {
                    case.insert(position, mcq);
                }
            }
        }
    }

    /// What the results file at `output` and the journal beside it hold (either may be
    /// missing): the results file first, then the journal, whose turns are newer or the
    /// same. A results file may hold the answers of a run whose journal could not be
    /// written; a journal those of a run that never wrote its results.
    pub fn load(output: &Path) -> anyhow::Result<Self> {
        let mut prior = Prior::default();
        let mut sources = Vec::new();
        if output.is_file() {
            let file = results::read(output)?;
            prior.recorded.push(Recorded::from_meta(&file.meta));
            prior.price = Price::of(&file.meta);
            let lists = [
                ("cases", &file.cases),
                ("unfinished_cases", &file.unfinished_cases),
            ];
            for (list, cases) in lists {
                for (i, case) in cases.iter().enumerate() {
                    let place = case.describe(list, i);
                    let Some(id) = case.id() else {
                        prior.unnamed.push((place, case.clone()));
                        continue;
                    };
                    let turns = positioned(case, &place, output)?;
                    prior.add(turns.into_iter().map(|m| (id.clone(), m)));
                }
            }
            sources.push(output.display().to_string());
        }
        let journal = crate::runfiles::journal_path(output);
        if journal.is_file() {
            let mut contents = journal::read(&journal)?;
            prior.batch = std::mem::take(&mut contents.batch);
            prior
                .recorded
                .extend(contents.metas.iter().map(Recorded::from_meta));
            if let Some(price) = contents.metas.iter().rev().find_map(Price::of) {
                prior.price = Some(price);
            }
            let mut turns = Vec::with_capacity(contents.turns.len());
            for (id, mcq) in contents.turns {
                // Every id we journal is a dataset's id, never empty.
                let Some(id) = CaseId::new(id) else {
                    bail!("{}: a turn without a case id", journal.display());
                };
                turns.push((id, mcq));
            }
            prior.add(turns);
            sources.push(journal.display().to_string());
        }
        prior.source = sources.join(" and ");
        Ok(prior)
    }

    /// Places the cases that came without an id on the dataset's cases without one, by
    /// what the record and the case share (chapter, subcategory, rarity, and each
    /// question's stage and answer): a record that fits exactly one such case keeps its
    /// answers; one that fits none or several is run again, and the message says so.
    pub fn match_unnamed(&mut self, cases: &[LoadedCase]) -> anyhow::Result<Option<String>> {
        if self.unnamed.is_empty() {
            return Ok(None);
        }
        let candidates: Vec<(&LoadedCase, String)> = cases
            .iter()
            .filter(|lc| lc.id_is_fallback)
            .map(|lc| (lc, signature(&dataset_record(lc))))
            .collect();
        let mut unmatched = Vec::new();
        for (place, record) in std::mem::take(&mut self.unnamed) {
            let wanted = signature(&record);
            let mut fits = candidates.iter().filter(|(_, s)| *s == wanted);
            match (fits.next(), fits.next()) {
                (Some((lc, _)), None) => {
                    let id = CaseId::new(lc.id.as_str()).expect("a dataset's ids are never empty");
                    let turns = positioned(&record, &place, Path::new(&self.source))?;
                    self.add(turns.into_iter().map(|m| (id.clone(), m)));
                }
                _ => unmatched.push(place),
            }
        }
        Ok((!unmatched.is_empty()).then(|| {
            format!(
                "{} of {} without a case id fit no single case of the dataset ({}), so {} \
                 recorded answers cannot be kept: run again",
                liveclin_core::plural::count(unmatched.len() as u64, "case", "cases"),
                self.source,
                unmatched.join(", "),
                if unmatched.len() == 1 { "its" } else { "their" }
            )
        }))
    }

    /// The turns a case keeps: its successful answers from Q1 on, up to the first failure
    /// or gap. All `total` of them means the case is finished.
    pub fn kept(&self, case_id: &str, total: usize) -> Vec<McqRecord> {
        let Some(turns) = self.turns.get(case_id) else {
            return Vec::new();
        };
        (0..total as i64)
            .map_while(|i| turns.get(&i).filter(|m| succeeded(m)).cloned())
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.turns.is_empty()
    }
}

/// What a case record and a dataset case share when the record has no id.
fn signature(record: &CaseRecord) -> String {
    let mut text = serde_json::json!([record.level1, record.level2, record.rarity]).to_string();
    for mcq in &record.mcqs {
        text.push('|');
        text.push_str(&serde_json::json!([mcq.stage, mcq.correct_answer]).to_string());
    }
    text
}

/// A dataset case as a record with every question (unanswered), for its signature.
fn dataset_record(lc: &LoadedCase) -> CaseRecord {
    let mcqs = lc.case.mcqs();
    let records = mcqs
        .iter()
        .enumerate()
        .map(|(i, mcq)| record::skipped(lc, i, mcq))
        .collect();
    record::case_record(lc, records)
}

/// A case's MCQ records, each of which must say which question it answers
/// (`mcq_index`): a record without one cannot be placed, and resume never guesses by
/// position in the list.
fn positioned(case: &CaseRecord, place: &str, file: &Path) -> anyhow::Result<Vec<McqRecord>> {
    for (n, mcq) in case.mcqs.iter().enumerate() {
        if mcq.index().is_none() {
            bail!(
                "{}: case {} MCQ #{} has no mcq_index, so its answer cannot be matched to a question; \
                 resume will not guess by position. Add the 0-based mcq_index to each MCQ, or start a new run with another --output",
                file.display(),
                place,
                n + 1
            );
        }
    }
    Ok(case.mcqs.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mcq(index: i64, error: Option<&str>) -> McqRecord {
        McqRecord {
            mcq_index: json!(index),
            error: json!(error),
            model_response: json!("\\boxed{A}"),
            ..Default::default()
        }
    }

    fn id(text: &str) -> CaseId {
        CaseId::new(text).unwrap()
    }

    #[test]
    fn keeps_the_successful_prefix_and_later_records_win() {
        let mut prior = Prior::default();
        prior.add([
            (id("a"), mcq(0, None)),
            (id("a"), mcq(1, Some("API error"))),
            (id("a"), mcq(2, None)),
            (id("b"), mcq(0, Some("boom"))),
            (id("b"), mcq(0, None)),
            (id("b"), mcq(1, None)),
            // An answer is not replaced by a later failure.
            (id("b"), mcq(1, Some("later failure"))),
        ]);
        assert_eq!(prior.kept("a", 3).len(), 1);
        assert_eq!(prior.kept("b", 2).len(), 2);
        assert_eq!(prior.kept("b", 5).len(), 2);
        assert!(prior.kept("c", 3).is_empty());
    }
}
