//! The case transcripts of the report page: each case as one conversation (the text sent
//! at each turn, the model's reply, the answer read and the correct one), with the
//! filters by outcome, chapter and modality and the little script that applies them.
//! Separate from [`super::report_page`] because it is most of the page's length and the
//! only part that reads the dataset.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use super::{escape, outcome_name, plural};
use crate::analysis::Summary;
use crate::analysis::outcome::Outcome;
use crate::analysis::taxonomy;
use crate::dataset::{Dataset, LoadedCase};
use crate::prompt::{self, ImageMode, Picture};
use crate::results::{CaseRecord, McqRecord, ResultsFile};

/// Where the question texts of the transcripts come from.
pub enum Questions<'a> {
    /// The dataset config the results were run on; cases are matched by case id.
    Dataset {
        dataset: &'a Dataset,
        image_root: &'a Path,
    },
    /// The dataset could not be loaded (why): transcripts show the results alone.
    Unavailable(String),
}

/// What the filters need to know about a case.
struct CaseFacts {
    outcomes: Vec<&'static str>,
    chapter: String,
    modalities: Vec<String>,
}

fn text_or<'a>(
    text: &'a crate::dataset::schema::Text,
    default: &'a str,
) -> std::borrow::Cow<'a, str> {
    if text.is_missing() {
        default.into()
    } else {
        text.py_get(default)
    }
}

/// A value of the results as text: strings as they are, null as `None`.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The cases section: a note on where the questions come from, the filters, then
/// every case of `file` as a collapsed block (`summary` orders the chapter filter).
pub(super) fn cases(
    out: &mut String,
    file: &ResultsFile,
    questions: &Questions,
    summary: Option<&Summary>,
) {
    out.push_str("<section id=\"cases\">\n<h2>Cases</h2>\n");
    let by_id: HashMap<&str, &LoadedCase> = match questions {
        Questions::Dataset { dataset, .. } => {
            dataset.cases.iter().map(|c| (c.id.as_str(), c)).collect()
        }
        Questions::Unavailable(_) => HashMap::new(),
    };
    match questions {
        Questions::Dataset { .. } => out.push_str(
            "<p class=\"note\">Each case is one conversation: the text sent at each turn (exactly as sent; pictures are listed by URL, not shown), the model's reply, the answer read from it and the correct answer.</p>\n",
        ),
        Questions::Unavailable(why) => {
            let _ = writeln!(
                out,
                "<p class=\"note warn\">The questions are not shown: the dataset could not be loaded ({}). Replies, answers and errors come from the results file.</p>",
                escape(why)
            );
        }
    }

    let facts: Vec<CaseFacts> = file.cases.iter().map(case_facts).collect();
    filters(out, &facts, summary);
    out.push_str("<div id=\"case-list\">\n");
    for (record, facts) in file.cases.iter().zip(&facts) {
        let id = record.id_text();
        let loaded = by_id.get(id.as_str()).copied();
        let image_root = match questions {
            Questions::Dataset { image_root, .. } => Some(*image_root),
            Questions::Unavailable(_) => None,
        };
        case_block(out, record, facts, &id, loaded, image_root);
    }
    out.push_str("</div>\n</section>\n");
}

fn case_facts(record: &CaseRecord) -> CaseFacts {
    let mut outcomes: Vec<&'static str> = Vec::new();
    let mut modalities: Vec<String> = Vec::new();
    for mcq in &record.mcqs {
        let key = Outcome::recorded(mcq).key();
        if !outcomes.contains(&key) {
            outcomes.push(key);
        }
        let image = mcq
            .image_types()
            .flat_map(taxonomy::image_modalities)
            .map(|m| format!("image:{m}"));
        let table = mcq
            .table_types()
            .flat_map(taxonomy::table_modalities)
            .map(|m| format!("table:{m}"));
        for m in image.chain(table) {
            if !modalities.contains(&m) {
                modalities.push(m);
            }
        }
    }
    CaseFacts {
        outcomes,
        chapter: text_or(&record.level1, "Unknown").into_owned(),
        modalities,
    }
}

fn filters(out: &mut String, facts: &[CaseFacts], summary: Option<&Summary>) {
    let count = |pred: &dyn Fn(&CaseFacts) -> bool| facts.iter().filter(|f| pred(f)).count();
    out.push_str("<div class=\"filters\">\n");
    // Outcome
    out.push_str("<label>Outcome <select data-filter=\"outcome\"><option value=\"\">any</option>");
    for outcome in Outcome::ALL {
        let n = count(&|f| f.outcomes.contains(&outcome.key()));
        if n > 0 {
            let _ = write!(
                out,
                "<option value=\"{}\">{} ({})</option>",
                outcome.key(),
                outcome_name(outcome),
                plural(n as i64, "case")
            );
        }
    }
    out.push_str("</select></label>\n");
    // Chapter, in the summary's order, then any other.
    let mut chapters: Vec<String> = summary
        .map(|s| s.by_chapter.0.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    for f in facts {
        if !chapters.contains(&f.chapter) {
            chapters.push(f.chapter.clone());
        }
    }
    out.push_str("<label>Chapter <select data-filter=\"chapter\"><option value=\"\">any</option>");
    for chapter in &chapters {
        let n = count(&|f| &f.chapter == chapter);
        let _ = write!(
            out,
            "<option value=\"{}\">{} ({n})</option>",
            escape(chapter),
            escape(chapter)
        );
    }
    out.push_str("</select></label>\n");
    // Modality: images, then tables, most frequent first.
    out.push_str(
        "<label>Modality <select data-filter=\"modality\"><option value=\"\">any</option>",
    );
    for (prefix, group_label) in [("image:", "Pictures"), ("table:", "Tables")] {
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for f in facts {
            for m in &f.modalities {
                if m.starts_with(prefix) {
                    seen.insert(m);
                }
            }
        }
        if seen.is_empty() {
            continue;
        }
        let mut listed: Vec<(&str, usize)> = seen
            .into_iter()
            .map(|m| (m, count(&|f| f.modalities.iter().any(|x| x == m))))
            .collect();
        listed.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
        let _ = write!(out, "<optgroup label=\"{group_label}\">");
        for (m, n) in listed {
            let _ = write!(
                out,
                "<option value=\"{}\">{} ({n})</option>",
                escape(m),
                escape(&m[prefix.len()..])
            );
        }
        out.push_str("</optgroup>");
    }
    out.push_str("</select></label>\n");
    let _ = write!(
        out,
        "<span class=\"buttons\"><button type=\"button\" id=\"expand-all\">Open all shown</button><button type=\"button\" id=\"collapse-all\">Close all</button></span>\n<span id=\"shown\" class=\"shown\">{} shown</span>\n</div>\n",
        plural(facts.len() as i64, "case")
    );
}

fn json_attr(values: &[impl AsRef<str>]) -> String {
    let list: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
    escape(&serde_json::to_string(&list).expect("strings serialise"))
}

fn case_block(
    out: &mut String,
    record: &CaseRecord,
    facts: &CaseFacts,
    id: &str,
    loaded: Option<&LoadedCase>,
    image_root: Option<&Path>,
) {
    let n = record.mcqs.len();
    let correct = record
        .mcqs
        .iter()
        .filter(|m| Outcome::recorded(m) == Outcome::Correct)
        .count();
    let score_class = if n > 0 && correct == n {
        "all"
    } else if correct == 0 {
        "none"
    } else {
        "some"
    };
    let title = loaded
        .and_then(|c| c.case.title.as_str().map(str::to_string))
        .or_else(|| record.extra.get("title").and_then(value_text))
        .unwrap_or_default();
    let _ = write!(
        out,
        "<details class=\"case\" id=\"case-{}\" data-outcome=\"{}\" data-chapter=\"{}\" data-modality=\"{}\">\n<summary><span class=\"score {score_class}\">{correct}/{n}</span><span class=\"cid\">{}</span><span class=\"ctitle\">{}</span>",
        escape(id),
        json_attr(&facts.outcomes),
        json_attr(&[facts.chapter.as_str()]),
        json_attr(&facts.modalities),
        escape(if id.is_empty() { "(no id)" } else { id }),
        escape(&title)
    );
    for key in &facts.outcomes {
        if *key != "correct"
            && let Some(o) = Outcome::from_key(key)
        {
            let _ = write!(
                out,
                "<span class=\"badge o-{key}\">{}</span>",
                outcome_name(o)
            );
        }
    }
    out.push_str("</summary>\n<div class=\"case-body\">\n<dl class=\"case-meta\">");
    let mut row = |k: &str, v: &str| {
        if !v.is_empty() {
            let _ = write!(out, "<dt>{k}</dt><dd>{}</dd>", escape(v));
        }
    };
    row("Chapter", &facts.chapter);
    row("Subcategory", &text_or(&record.level2, ""));
    row(
        "Rarity",
        &record
            .rarity
            .as_str()
            .map(crate::pytext::capitalize)
            .unwrap_or_default(),
    );
    row("DOI", &value_text(&record.doi).unwrap_or_default());
    if let Some(line) = record
        .extra
        .get("line")
        .and_then(Value::as_u64)
        .or(loaded.map(|c| c.line as u64))
    {
        row("Dataset line", &line.to_string());
    }
    out.push_str("</dl>\n");

    let turns = match (loaded, image_root) {
        (Some(c), Some(root)) => Some(prompt::case_turns(&c.case, ImageMode::Url, root)),
        (None, Some(_)) => {
            out.push_str("<p class=\"note warn\">This case id is not in the dataset loaded: its questions are not shown.</p>\n");
            None
        }
        _ => None,
    };
    let mut mcqs: Vec<&McqRecord> = record.mcqs.iter().collect();
    mcqs.sort_by_key(|m| m.position());
    out.push_str("<ol class=\"turns\">\n");
    for mcq in mcqs {
        let position = mcq.position();
        let outcome = Outcome::recorded(mcq);
        let _ = writeln!(
            out,
            "<li class=\"turn\"><div class=\"turn-head\"><span class=\"q\">Q{}</span><span class=\"stage\">{}</span><span class=\"badge o-{}\">{}</span></div>",
            position + 1,
            escape(mcq.stage.as_str().unwrap_or("")),
            outcome.key(),
            outcome_name(outcome)
        );
        if let Some(turn) = turns
            .as_ref()
            .and_then(|t| usize::try_from(position).ok().and_then(|p| t.get(p)))
        {
            let _ = write!(
                out,
                "<div class=\"msg user\"><div class=\"who\">Sent to the model</div><pre>{}</pre>",
                escape(&turn.text)
            );
            if !turn.pictures.is_empty() {
                out.push_str("<ul class=\"pics\">");
                for picture in &turn.pictures {
                    let text = match picture {
                        Picture::Url(url) => url.clone(),
                        Picture::File(path) => path.display().to_string(),
                    };
                    let _ = write!(out, "<li>Picture: <code>{}</code></li>", escape(&text));
                }
                out.push_str("</ul>");
            }
            out.push_str("</div>\n");
        } else if turns.is_some() {
            out.push_str(
                "<p class=\"note warn\">This question is not in the dataset's case.</p>\n",
            );
        }
        match value_text(&mcq.model_response) {
            Some(reply) if !reply.is_empty() => {
                let _ = writeln!(
                    out,
                    "<div class=\"msg model\"><div class=\"who\">Model reply</div><pre>{}</pre></div>",
                    escape(&reply)
                );
            }
            _ => out.push_str("<div class=\"msg model empty\"><div class=\"who\">Model reply</div><p>(none)</p></div>\n"),
        }
        if let Some(reasoning) = mcq
            .extra
            .get("reasoning")
            .and_then(value_text)
            .filter(|r| !r.is_empty())
        {
            let _ = writeln!(
                out,
                "<details class=\"reasoning\"><summary>Reasoning returned separately ({} characters)</summary><pre>{}</pre></details>",
                reasoning.chars().count(),
                escape(&reasoning)
            );
        }
        out.push_str("<dl class=\"verdict\">");
        let shown = |v: &Value| value_text(v).filter(|s| !s.is_empty());
        let _ = write!(
            out,
            "<dt>Answer read</dt><dd>{}</dd><dt>Correct answer</dt><dd>{}</dd>",
            shown(&mcq.extracted_answer).map_or_else(
                || "<span class=\"none\">none</span>".to_string(),
                |s| format!("<b>{}</b>", escape(&s))
            ),
            shown(&mcq.correct_answer).map_or_else(
                || "<span class=\"none\">none</span>".to_string(),
                |s| format!("<b>{}</b>", escape(&s))
            )
        );
        if let Some(robust) = mcq.extra.get("robust_answer") {
            let rule = mcq.extra.get("robust_rule").and_then(value_text);
            let _ = write!(
                out,
                "<dt>Robust extractor</dt><dd>{}{}</dd>",
                shown(robust).map_or_else(
                    || "<span class=\"none\">none</span>".to_string(),
                    |s| escape(&s)
                ),
                rule.map(|r| format!(" <span class=\"none\">({})</span>", escape(&r)))
                    .unwrap_or_default()
            );
        }
        if let Some(reason) = mcq.extra.get("finish_reason").and_then(value_text)
            && reason != "stop"
        {
            let _ = write!(out, "<dt>Finish reason</dt><dd>{}</dd>", escape(&reason));
        }
        if mcq.has_error() {
            let error = value_text(&mcq.error).unwrap_or_default();
            let _ = write!(
                out,
                "<dt>Error</dt><dd class=\"error\">{}</dd>",
                escape(&error)
            );
        }
        out.push_str("</dl></li>\n");
    }
    out.push_str("</ol>\n</div>\n</details>\n");
}

/// The filters: each `<select data-filter="KEY">` keeps the cases whose `data-KEY` (a
/// JSON list) contains the chosen value; the cases that fail are given `hidden`.
pub(super) const SCRIPT: &str = r#"
(function () {
  "use strict";
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var cases = Array.prototype.slice.call(document.querySelectorAll("details.case"));
  var shown = document.getElementById("shown");
  function values(el, key) {
    try { return JSON.parse(el.getAttribute("data-" + key) || "[]"); } catch (e) { return []; }
  }
  function apply() {
    var n = 0;
    cases.forEach(function (c) {
      var keep = selects.every(function (s) {
        return !s.value || values(c, s.getAttribute("data-filter")).indexOf(s.value) >= 0;
      });
      c.hidden = !keep;
      if (keep) { n += 1; }
    });
    shown.textContent = n + " of " + cases.length + " cases shown";
  }
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  document.getElementById("expand-all").addEventListener("click", function () {
    cases.forEach(function (c) { if (!c.hidden) { c.open = true; } });
  });
  document.getElementById("collapse-all").addEventListener("click", function () {
    cases.forEach(function (c) { c.open = false; });
  });
  apply();
})();
"#;
