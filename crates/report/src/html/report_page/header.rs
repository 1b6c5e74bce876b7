//! The top of the page: a banner when the run is partial, then the run's name, its
//! facts and the links to the sections.

use std::fmt::Write;

use super::super::{escape, meta_text, plural};
use super::{Page, View};
use liveclin_core::analysis::Analysis;
use liveclin_core::timestamp::Timestamp;

/// A banner above everything else when the run left cases of its config out (stopped
/// early, `--limit`, one shard): the numbers alone look like a whole run's, and a page is
/// often shared without the terminal output that said so. Nothing for a complete run or a
/// file that does not say (the official tool's, older ones).
pub(super) fn partial_banner(out: &mut String, analysis: &Analysis) {
    let Some(note) = analysis.coverage.and_then(|c| c.note()) else {
        return;
    };
    let text = format!(
        "Partial run: {note}; every number on this page is over the {} that ran.",
        plural(analysis.cases as i64, "case")
    );
    let _ = writeln!(
        out,
        "<div class=\"warnings partial\" role=\"alert\">{}</div>",
        escape(&text)
    );
}

pub(super) fn header(out: &mut String, page: &Page, view: &View) {
    let meta = &page.file.meta;
    let _ = write!(
        out,
        "<header>\n<p class=\"kicker\">LiveClin evaluation report</p>\n<h1>{}</h1>\n<dl class=\"meta\">",
        escape(&view.model)
    );
    let mut row = |key: &str, value: String| {
        let _ = write!(out, "<dt>{}</dt><dd>{}</dd>", escape(key), escape(&value));
    };
    if let Some(dataset) = meta_text(meta, "dataset") {
        row("Dataset", dataset);
    }
    if let Some(mode) = meta_text(meta, "image_mode") {
        row("Image mode", mode);
    }
    if let Some(t) = view.analysis.summary.as_ref().map(|s| s.totals) {
        row(
            "Size",
            format!(
                "{}, {} (multiple-choice questions)",
                plural(t.cases, "case"),
                plural(t.mcqs, "MCQ")
            ),
        );
    }
    let started = meta_text(meta, "started_at");
    let finished = meta_text(meta, "finished_at");
    if let Some(s) = &started {
        row("Started", when(s));
    }
    if let Some(f) = &finished {
        let mut text = when(f);
        if let (Some(s), Some(f)) = (&started, &finished)
            && let (Some(s), Some(f)) = (Timestamp::parse_rfc3339(s), Timestamp::parse_rfc3339(f))
        {
            let secs = f.seconds_since(&s);
            if secs >= 0.0 {
                text.push_str(&format!(" ({} later)", duration(secs)));
            }
        }
        row("Finished", text);
    }
    if let Some(base) = meta_text(meta, "api_base") {
        row("API base", base);
    }
    for (name, text) in super::tokens::rows(view.analysis) {
        row(name, text);
    }
    let tool = [
        meta_text(meta, "tool"),
        meta_text(meta, "liveclin_version").map(|v| format!("v{v}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    if !tool.is_empty() {
        row("Written by", tool);
    }
    row("Results file", page.source.to_string());
    out.push_str(
        "</dl>\n<nav><a href=\"#headline\">Headline</a><a href=\"#weakest\">Weakest groups</a><a href=\"#breakdowns\">Breakdowns</a><a href=\"#multi-turn\">Multi-turn</a><a href=\"#cases\">Cases</a></nav>\n</header>\n",
    );
}

/// A timestamp as `2026-11-27 02:23:08 UTC` when it is RFC 3339, else as written.
fn when(text: &str) -> String {
    Timestamp::parse_rfc3339(text).map_or_else(|| text.to_string(), |t| t.readable())
}

fn duration(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else if secs < 3600.0 {
        format!("{:.0} min {:.0} s", (secs / 60.0).floor(), secs % 60.0)
    } else {
        format!(
            "{:.0} h {:.0} min",
            (secs / 3600.0).floor(),
            (secs % 3600.0) / 60.0
        )
    }
}
