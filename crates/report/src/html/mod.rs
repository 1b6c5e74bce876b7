//! `report --html` and `compare --html`: self-contained HTML pages, to open offline and
//! share. Everything is inline: the CSS in one `<style>`, vanilla JS in one `<script>`
//! (the report page's: `report.js`, with its transcripts' data), the charts as inline SVG
//! ([`super::svg`]). Nothing is loaded from anywhere: no external script, stylesheet, font
//! or image, and pictures of the cases are named by URL or file as text, never shown.
//!
//! Every piece of text that comes from the dataset, the model or the results file goes
//! through [`escape`], in element content and in attribute values alike; the data the
//! filters need sits in escaped data-attributes. The one exception is the report page's
//! transcripts: JSON, compressed ([`deflate`]) and base64-encoded in its script, which
//! draws them as text, never as HTML.
//!
//! This module is the shell both pages share (head, style, footer, [`write_page`]) and
//! the small helpers they both use; the pages themselves are in `report_page` (one run),
//! `transcripts` (its cases, with their filters) and `compare_page` (several runs).

mod compare_page;
mod deflate;
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

const STYLE: &str = r#"
:root{--fg:#1d2330;--muted:#5b6474;--line:#d9dee7;--panel:#f6f8fb;--accent:#1f5fa8;--ref:#b5179e}
*{box-sizing:border-box}
html{background:#e9edf2}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg)}
main{max-width:1000px;margin:0 auto;padding:28px 32px 40px;background:#fff;min-height:100vh}
header .kicker{margin:0;color:var(--muted);font-size:13px;letter-spacing:.06em;text-transform:uppercase}
h1{font-size:28px;margin:2px 0 10px;overflow-wrap:anywhere}
h2{font-size:21px;margin:34px 0 12px;padding-bottom:6px;border-bottom:2px solid var(--line)}
h3{font-size:16px;margin:22px 0 6px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 18px;margin:0 0 12px;font-size:14px}
dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0;overflow-wrap:anywhere}
nav{font-size:14px}
nav a{margin-right:16px;color:var(--accent);text-decoration:none}
nav a:hover{text-decoration:underline}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:14px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:14px 18px}
.card .k{color:var(--muted);font-size:12.5px;text-transform:uppercase;letter-spacing:.05em}
.card .v{font-size:38px;font-weight:700;line-height:1.15;margin:4px 0 2px;color:var(--accent)}
.card .ci{font-size:14px}
.card .n{font-size:14px;color:var(--muted)}
.card .ref{font-size:14px;margin-top:6px;color:var(--ref);font-weight:600}
.card .ref .dash{display:inline-block;width:18px;margin-right:6px;vertical-align:middle;border-top:2.5px dashed var(--ref)}
.card.outcomes table{border-collapse:collapse;width:100%;margin-top:6px;font-size:14px}
.card.outcomes td{padding:1px 0}
.card.outcomes td.num{text-align:right;font-variant-numeric:tabular-nums;font-weight:600}
.card.outcomes tr.total td{border-top:1px solid var(--line);padding-top:4px;color:var(--muted)}
.note{color:var(--muted);font-size:14px}
.note.warn{color:#8a4b00}
figure.chart{margin:14px 0 22px;padding:10px 10px 4px;border:1px solid var(--line);border-radius:10px;background:#fff}
figure.chart svg{display:block;width:100%;height:auto}
figcaption{color:var(--muted);font-size:13px;padding:2px 6px 6px}
.badge{display:inline-block;font-size:12px;font-weight:600;padding:0 7px;border-radius:9px;margin-left:6px;white-space:nowrap;line-height:18px}
td .badge{margin-left:0}
.o-correct{background:#dff3e4;color:#145c2c}
.o-wrong{background:#fde3e1;color:#9b1c13}
.o-no_answer{background:#fff1c2;color:#6b5000}
.o-cut_off{background:#ffe2c7;color:#8a3f00}
.o-api_failure{background:#ece1f8;color:#4e2578}
.o-skipped{background:#e8eaee;color:#454c57}
.filters{display:flex;flex-wrap:wrap;gap:10px 18px;align-items:center;background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:10px 14px;margin:10px 0 12px;font-size:14px}
.filters select{font:inherit;margin-left:6px;max-width:300px;padding:2px 4px}
.filters button{font:inherit;font-size:13px;margin-right:6px;padding:2px 10px;border:1px solid #b9c1cd;border-radius:6px;background:#fff;cursor:pointer}
.filters .shown{color:var(--muted);margin-left:auto}
.score{font-weight:700;font-variant-numeric:tabular-nums;min-width:34px}
.score.all{color:#145c2c}.score.some{color:#8a5a00}.score.none{color:#9b1c13}
.cid{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;color:var(--muted)}
.ctitle{flex:1 1 300px;font-weight:500}
.case-body{padding:0 14px 12px;border-top:1px solid var(--line)}
dl.case-meta{display:grid;grid-template-columns:max-content 1fr;gap:0 14px;font-size:13.5px;margin:10px 0}
dl.case-meta dt{color:var(--muted)}
dl.case-meta dd{margin:0;overflow-wrap:anywhere}
ol.turns{list-style:none;padding:0;margin:0}
li.turn{border-left:3px solid var(--line);padding:4px 0 6px 12px;margin:12px 0}
.turn-head{font-size:14px;margin-bottom:4px}
.turn-head .q{font-weight:700;margin-right:8px}
.turn-head .stage{color:var(--muted)}
.msg{margin:6px 0}
.msg .who{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin-bottom:2px}
.msg p{margin:0;color:var(--muted)}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;margin:0;padding:8px 10px;border-radius:6px;background:var(--panel);border:1px solid var(--line)}
.msg.model pre{background:#f3f7ff;border-color:#cfdcf2}
ul.pics{margin:4px 0 0;padding-left:18px;font-size:13px;color:var(--muted)}
ul.pics code{overflow-wrap:anywhere}
details.reasoning{font-size:13px;margin:4px 0}
details.reasoning summary{cursor:pointer;color:var(--muted)}
dl.verdict{display:flex;flex-wrap:wrap;gap:2px 6px;font-size:14px;margin:6px 0 0}
dl.verdict dt{color:var(--muted)}
dl.verdict dt::after{content:":"}
dl.verdict dd{margin:0 14px 0 0}
dl.verdict dd.error{color:#9b1c13;flex-basis:100%;margin-right:0}
.none{color:var(--muted);font-style:italic}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
table.runs,table.diffs,table.failures{border-collapse:collapse;width:100%;margin:8px 0 12px;font-size:14px}
table.runs th,table.diffs th,table.failures th{text-align:left;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);padding:4px 8px}
table.runs td,table.diffs td,table.failures td{border-bottom:1px solid var(--line);padding:4px 8px;overflow-wrap:anywhere}
table.runs .num,table.diffs .num,table.failures .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.diffs tr.sig td{font-weight:700}
h1 .vs{color:var(--muted);font-weight:400}
.warnings{background:#fff4e0;border:2px solid #e0a040;border-radius:10px;padding:10px 16px;margin:10px 0 14px;color:#5c3400}
.warnings ul{margin:6px 0 0;padding-left:20px}
.warnings.partial{margin-top:0;font-weight:600}
.card .runv{display:flex;justify-content:space-between;align-items:baseline;gap:12px;margin-top:6px;font-size:14px}
.card .runv span{overflow-wrap:anywhere}
.card .runv b{font-size:24px;font-variant-numeric:tabular-nums}
footer{margin-top:36px;padding-top:10px;border-top:1px solid var(--line);color:var(--muted);font-size:13px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
[hidden]{display:none!important}
@media (max-width:700px){main{padding:16px}.card .v{font-size:30px}}
@media print{html{background:#fff}main{max-width:none;padding:0}.filters{display:none}figure.chart{break-inside:avoid}}
"#;

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
