//! Labelled corpora of replies (`extract --corpus`, the extraction tests): each reply
//! with the letter it commits to, and both extractors' accuracy on them, by style.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use super::{official, robust};

/// One labelled reply of an extraction corpus.
#[derive(Debug, Deserialize)]
pub struct CorpusEntry {
    pub id: String,
    pub reply: String,
    /// The question's options: their letters (`["A", "B"]`), or letters with their
    /// texts (`{"A": "Viral meningitis", ...}`).
    #[serde(default)]
    pub options: CorpusOptions,
    /// The letter the reply commits to, or null when it commits to none.
    pub label: Option<String>,
    /// Reasoning the server returned beside the reply (`reasoning_content`); never read
    /// by either extractor, kept to show that it is not.
    #[serde(default)]
    pub reasoning: Option<String>,
    #[serde(default)]
    pub style: String,
}

/// The options of a corpus entry, with or without their texts.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum CorpusOptions {
    Letters(Vec<String>),
    Texts(BTreeMap<String, String>),
}

impl Default for CorpusOptions {
    fn default() -> Self {
        CorpusOptions::Letters(Vec::new())
    }
}

impl CorpusOptions {
    pub fn choices(&self) -> Vec<robust::Choice<'_>> {
        match self {
            CorpusOptions::Letters(letters) => letters
                .iter()
                .map(|letter| robust::Choice { letter, text: "" })
                .collect(),
            CorpusOptions::Texts(texts) => texts
                .iter()
                .map(|(letter, text)| robust::Choice { letter, text })
                .collect(),
        }
    }
}

pub fn read_corpus(path: &Path) -> anyhow::Result<Vec<CorpusEntry>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{}:{}: not a corpus entry", path.display(), i + 1))
        })
        .collect()
}

pub fn official_letter(e: &CorpusEntry) -> Option<String> {
    official::extract(&e.reply).map(|(l, _)| l)
}

pub fn robust_letter(e: &CorpusEntry) -> Option<String> {
    robust::extract(&e.reply, &e.options.choices()).map(|(c, _)| c.to_string())
}

/// Correct counts per style for both extractors.
#[derive(Debug, Default)]
pub struct CorpusScore {
    /// style -> (entries, official right, robust right)
    pub by_style: BTreeMap<String, (usize, usize, usize)>,
}

pub fn score_corpus(entries: &[CorpusEntry]) -> CorpusScore {
    let mut score = CorpusScore::default();
    for e in entries {
        let row = score.by_style.entry(e.style.clone()).or_default();
        row.0 += 1;
        row.1 += usize::from(official_letter(e) == e.label);
        row.2 += usize::from(robust_letter(e) == e.label);
    }
    score
}

impl CorpusScore {
    pub fn totals(&self) -> (usize, usize, usize) {
        self.by_style
            .values()
            .fold((0, 0, 0), |t, r| (t.0 + r.0, t.1 + r.1, t.2 + r.2))
    }

    /// A table of both extractors' accuracy per style and overall.
    pub fn table(&self) -> String {
        let pct = |n: usize, d: usize| {
            if d == 0 {
                0.0
            } else {
                100.0 * n as f64 / d as f64
            }
        };
        let mut out = format!(
            "{:<20} {:>7} {:>10} {:>10}\n",
            "style", "replies", "official", "robust"
        );
        let (n, o, r) = self.totals();
        for (style, (n, o, r)) in self
            .by_style
            .iter()
            .chain([(&"all".to_string(), &(n, o, r))])
        {
            out.push_str(&format!(
                "{style:<20} {n:>7} {:>9.1}% {:>9.1}%\n",
                pct(*o, *n),
                pct(*r, *n)
            ));
        }
        out
    }
}
