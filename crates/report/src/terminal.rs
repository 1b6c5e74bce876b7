//! The terminal summary in the official layout (docs/analysis.md), 60 columns wide.

use std::fmt::Write;

use serde_json::{Map, Value};

use liveclin_core::analysis::summary::CaseCounts;
use liveclin_core::analysis::{Breakdown, Summary};
use liveclin_core::pytext::{capitalize, percent1, prefix_chars, py_str};

const WIDTH: usize = 60;

/// The official summary text for a results file's `meta` and its summary.
pub fn render(meta: &Map<String, Value>, summary: Option<&Summary>) -> String {
    let Some(s) = summary else {
        return "No results to summarize.\n".into();
    };
    let meta_text = |key: &str| meta.get(key).map_or_else(|| "?".to_string(), py_str);
    let eq = "=".repeat(WIDTH);
    let dash = "-".repeat(WIDTH);
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o);
    let _ = writeln!(o, "{eq}");
    let _ = writeln!(
        o,
        "  LiveClin Results: {} ({})",
        meta_text("model"),
        meta_text("dataset")
    );
    let _ = writeln!(o, "{eq}");
    let t = &s.totals;
    let _ = writeln!(
        o,
        "  Question Accuracy:  {}/{} ({})",
        t.correct_mcqs,
        t.mcqs,
        percent1(t.question_accuracy())
    );
    let _ = writeln!(
        o,
        "  Case Accuracy:      {}/{} ({})",
        t.correct_cases,
        t.cases,
        percent1(t.case_accuracy())
    );
    let _ = writeln!(o, "{dash}");

    if !s.by_chapter.0.is_empty() {
        top_bottom(o, Breakdown::Chapter.title(), &s.by_chapter.0);
        let _ = writeln!(o, "{dash}");
    }
    let flat: Vec<(String, CaseCounts)> = s
        .by_subcategory
        .0
        .iter()
        .flat_map(|(_, subs)| subs.0.iter().cloned())
        .collect();
    if !flat.is_empty() {
        top_bottom(o, Breakdown::Subcategory.title(), &flat);
        let _ = writeln!(o, "{dash}");
    }
    if !s.by_rarity.0.is_empty() {
        let _ = writeln!(o, "  By {}:", Breakdown::Rarity.title());
        for (rarity, c) in &s.by_rarity.0 {
            let _ = writeln!(
                o,
                "    {:<12} ({:>4} cases)  Q-Acc {}  C-Acc {}",
                capitalize(rarity),
                c.cases,
                percent1(c.question_accuracy()),
                percent1(c.case_accuracy())
            );
        }
        let _ = writeln!(o, "{dash}");
    }
    if !s.by_stage.0.is_empty() {
        let _ = writeln!(o, "  By {}:", Breakdown::Stage.title());
        for (stage, c) in &s.by_stage.0 {
            let _ = writeln!(
                o,
                "    {stage:<30} ({:>4} MCQs)  Q-Acc {}",
                c.mcqs,
                percent1(c.question_accuracy())
            );
        }
        let _ = writeln!(o, "{dash}");
    }
    if !s.by_position.0.is_empty() {
        let _ = writeln!(o, "  By {}:", Breakdown::Position.title());
        for (pos, c) in &s.by_position.0 {
            let _ = writeln!(
                o,
                "    {pos:<6} ({:>4} MCQs)  Q-Acc {}  Err {}",
                c.mcqs,
                percent1(c.question_accuracy()),
                percent1(c.error_rate())
            );
        }
        let _ = writeln!(o, "{dash}");
    }
    for breakdown in [Breakdown::ImageModality, Breakdown::TableModality] {
        let groups = s.mcq_groups(breakdown);
        if groups.is_empty() {
            continue;
        }
        let _ = writeln!(o, "  By {}:", breakdown.title());
        for (mode, c) in groups {
            let _ = writeln!(
                o,
                "    {mode:<20} ({:>4} MCQs)  Q-Acc {}",
                c.mcqs,
                percent1(c.question_accuracy())
            );
        }
        let _ = writeln!(o, "{dash}");
    }
    let _ = writeln!(
        o,
        "  Results: {} mode | v{}",
        meta_text("image_mode"),
        meta_text("liveclin_version")
    );
    let _ = writeln!(o, "{eq}");
    let _ = writeln!(o);
    out
}

/// The five best and five worst groups by case accuracy. Ranking is a stable sort of
/// the breakdown's own order; a group already listed among the best is not repeated
/// among the worst, and "... and N more" counts the rest exactly as the official tool.
fn top_bottom(o: &mut String, label: &str, groups: &[(String, CaseCounts)]) {
    const N: usize = 5;
    let mut ranked: Vec<&(String, CaseCounts)> = groups.iter().collect();
    ranked.sort_by(|a, b| a.1.case_accuracy().total_cmp(&b.1.case_accuracy()));
    let bottom = &ranked[..ranked.len().min(N)];
    let top = ranked.iter().rev().take(N);

    let mut shown = std::collections::HashSet::new();
    let _ = writeln!(o, "  By {label} (Top-{N} Case Accuracy):");
    for (name, c) in top {
        shown.insert(name.as_str());
        group_line(o, name, c);
    }
    let _ = writeln!(o, "  By {label} (Bottom-{N} Case Accuracy):");
    let mut bottom_shown = 0;
    for (name, c) in bottom {
        if shown.contains(name.as_str()) {
            continue;
        }
        bottom_shown += 1;
        group_line(o, name, c);
    }
    let remaining = ranked.len() as i64 - shown.len() as i64 - bottom_shown;
    if remaining > 0 {
        let _ = writeln!(o, "    ... and {remaining} more");
    }
}

fn group_line(o: &mut String, name: &str, c: &CaseCounts) {
    let short = prefix_chars(name, 40);
    let ellipsis = if short.len() < name.len() { "..." } else { "" };
    let _ = writeln!(
        o,
        "    {:<44} ({:>3} cases)  C-Acc {}  Q-Acc {}",
        format!("{short}{ellipsis}"),
        c.cases,
        percent1(c.case_accuracy()),
        percent1(c.question_accuracy())
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use liveclin_core::results::CaseRecord;

    fn render_cases(cases: serde_json::Value) -> String {
        let cases: Vec<CaseRecord> = serde_json::from_value(cases).unwrap();
        let meta = serde_json::json!({"model": "m", "dataset": "d", "image_mode": "url", "liveclin_version": "1"});
        render(
            meta.as_object().unwrap(),
            liveclin_core::analysis::summarize(&cases).as_ref(),
        )
    }

    /// With five groups or fewer every group is among the best and the worst list is
    /// empty, as in the official tool; names are cut to 40 characters plus "...".
    #[test]
    fn few_groups_and_long_names() {
        let long = "Chapter 3: Diseases of the blood and blood-forming organs";
        let text = render_cases(serde_json::json!([
            {"level1": long, "level2": "x", "mcqs": [{"is_correct": true}]},
            {"level1": "Short", "level2": "y", "mcqs": [{"is_correct": false}]},
        ]));
        let expected = "  By Chapter (Top-5 Case Accuracy):\n    Chapter 3: Diseases of the blood and blo...  (  1 cases)  C-Acc 100.0%  Q-Acc 100.0%\n    Short                                        (  1 cases)  C-Acc 0.0%  Q-Acc 0.0%\n  By Chapter (Bottom-5 Case Accuracy):\n------";
        assert!(text.contains(expected), "{text}");
        assert!(!text.contains("more"));
    }

    #[test]
    fn many_groups_count_the_rest() {
        let cases: Vec<_> = (0..13)
            .map(|i| serde_json::json!({"level1": format!("C{i:02}"), "mcqs": [{"is_correct": i % 2 == 0}]}))
            .collect();
        let text = render_cases(serde_json::Value::Array(cases));
        assert!(text.contains("    ... and 3 more\n"), "{text}");
        assert!(text.ends_with("  Results: url mode | v1\n============================================================\n\n"));
    }
}
