//! `report --html` and `compare --html`: self-contained HTML pages, to open offline and
//! share. Everything is inline: the CSS in one `<style>`, vanilla JS in one `<script>`
//! (the report page's: `report.js`, with its transcripts' data), the charts as inline SVG
//! ([`super::svg`]). Nothing is loaded from anywhere: no external script, stylesheet, font
//! or image, and pictures of the cases are named by URL or file as text, never shown.
//!
//! Every piece of text that comes from the dataset, the model or the results file goes
//! through [`escape`], in element content and in attribute values alike; the data the
//! filters need sits in escaped data-attributes. The one exception is the report page's
//! transcripts: JSON, compressed (`liveclin_zlib`) and base64-encoded in its script, which
//! draws them as text, never as HTML.
//!
//! This module is the shell both pages share (head, style, footer, [`write_page`]) and
//! the small helpers they both use; the pages themselves are in `report_page` (one run),
//! `transcripts` (its cases, with their filters) and `compare_page` (several runs).

mod compare_page;
mod report_page;
mod transcripts;

pub use compare_page::{ComparedRun, compare_page};
pub use report_page::{Page, render};
pub use transcripts::{Questions, page_cases};

use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::svg::{self, ChartOptions, Group};
use liveclin_core::analysis::Breakdown;
use liveclin_core::analysis::bootstrap::Statistic;
use liveclin_core::analysis::outcome::Outcome;

/// The one escape function of the report: `& < > " '` as entities, for element
/// content and (double- or single-quoted) attribute values alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The start of a page: its head, with `title` and the one inline style, up to `<main>`.
pub(super) fn page_start(out: &mut String, title: &str) {
    page_start_styled(out, title, "");
}

/// [`page_start`] with a page's own CSS added to the one inline style.
pub(super) fn page_start_styled(out: &mut String, title: &str, extra_style: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"liveclin {}\">\n<title>{}</title>\n<style>{STYLE}{extra_style}</style>\n</head>\n<body>\n<main>\n",
        env!("CARGO_PKG_VERSION"),
        escape(title)
    );
}

/// The end of a page: the footer, "Written by liveclin V from " then `from_html` (HTML,
/// its texts already escaped), and the inline script, if any.
pub(super) fn page_end(out: &mut String, from_html: &str, script: Option<&str>) {
    let _ = write!(
        out,
        "<footer>Written by liveclin {} from {from_html}</footer>\n</main>\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(script) = script {
        let _ = writeln!(out, "<script>{script}</script>");
    }
    out.push_str("</body>\n</html>\n");
}

pub(super) fn meta_text(meta: &Map<String, Value>, key: &str) -> Option<String> {
    match meta.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

pub(super) fn plural(n: i64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub(super) fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Correct => "correct",
        Outcome::Wrong => "wrong",
        Outcome::NoAnswer => "no answer",
        Outcome::CutOff => "cut off",
        Outcome::ApiFailure => "API failure",
        Outcome::Skipped => "skipped",
    }
}

/// The title of a breakdown's chart, by the statistic it charts: `Question accuracy by
/// clinical stage` (tests look for them).
pub fn chart_title(breakdown: Breakdown) -> String {
    format!(
        "{} by {}",
        breakdown.statistic().title(),
        breakdown.title().to_lowercase()
    )
}

/// The value axis of a chart of `statistic`.
pub(super) fn axis(statistic: Statistic) -> &'static str {
    match statistic {
        Statistic::Question => "question accuracy",
        Statistic::Case => "case accuracy (every question of the case right)",
    }
}

pub(super) fn figure(out: &mut String, id: &str, svg: &str, caption: &str) {
    let _ = writeln!(
        out,
        "<figure class=\"chart\" id=\"chart-{id}\">{svg}<figcaption>{}</figcaption></figure>",
        escape(caption)
    );
}

pub(super) fn chart_or_note(
    out: &mut String,
    breakdown: Breakdown,
    groups: &[Group],
    series: &[String],
    options: &ChartOptions,
    caption: &str,
) {
    let title = chart_title(breakdown);
    if groups.is_empty() {
        let _ = writeln!(
            out,
            "<h3>{}</h3><p class=\"note\">No questions in this breakdown.</p>",
            escape(&title)
        );
        return;
    }
    figure(
        out,
        breakdown.key(),
        &svg::bar_chart(&title, groups, series, options),
        caption,
    );
}

/// The style both pages share (the report page adds its own, `report.css`), in a file of
/// its own so that it is read, edited and checked as CSS.
const STYLE: &str = include_str!("page.css");

/// Writes a page to `out`, creating its directory.
pub fn write_page(out: &Path, page: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(out, page).with_context(|| format!("cannot write {}", out.display()))
}

/// Where `--html` writes: the path given with `--html=PATH`, or, for `--html` alone,
/// `results/<prefix><first results file's stem>[-vs-<second's>].html`, so a page never
/// lands in the working folder by accident. `None` without `--html`.
pub fn html_path(flag: Option<Option<&Path>>, results: &[&Path], prefix: &str) -> Option<PathBuf> {
    if let Some(path) = flag? {
        return Some(path.to_path_buf());
    }
    let stem = |p: &Path| {
        p.file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    };
    let names: Vec<String> = results.iter().take(2).map(|p| stem(p)).collect();
    Some(Path::new("results").join(format!("{prefix}{}.html", names.join("-vs-"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_every_special_character() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escape("plain é"), "plain é");
    }
}
