//! The rows that bar charts and forest plots share: one per group, stacked down the
//! chart under a heading wherever a new section starts, every other one striped, each
//! with its label wrapped on the left and centred on its row.

use std::fmt::Write;

use super::colour::{INK, MUTED, SMALL_COLOUR, STRIPE};
use super::escape;

/// The height of a line of a group's label.
pub(super) const LINE_H: f64 = 15.0;
/// The room a section heading takes above its first row.
const HEADING_H: f64 = 24.0;

/// Where a row goes once the rows are stacked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct RowPlace<'a> {
    /// The heading drawn above the row when its section starts here, with its baseline.
    pub(super) heading: Option<(&'a str, f64)>,
    pub(super) top: f64,
    pub(super) height: f64,
    /// The place of the row's section among the sections met so far (0 first).
    pub(super) section: usize,
}

/// Stacks rows, each given as its section and its height, from `top` down: a heading
/// goes above a row whose section differs from the previous row's. Returns the places
/// and the y under the last row.
pub(super) fn stack<'a>(
    rows: impl IntoIterator<Item = (Option<&'a str>, f64)>,
    top: f64,
) -> (Vec<RowPlace<'a>>, f64) {
    let mut places = Vec::new();
    let mut y = top;
    let mut previous: Option<&str> = None;
    let mut section = 0usize;
    for (row_section, height) in rows {
        let mut heading = None;
        if let Some(name) = row_section
            && previous != Some(name)
        {
            if previous.is_some() {
                section += 1;
            }
            heading = Some((name, y + 16.0));
            y += HEADING_H;
        }
        previous = row_section;
        places.push(RowPlace {
            heading,
            top: y,
            height,
            section,
        });
        y += height;
    }
    (places, y)
}

/// A row's section heading, if it has one.
pub(super) fn emit_heading(out: &mut String, place: &RowPlace) {
    if let Some((text, baseline)) = place.heading {
        let _ = write!(
            out,
            r#"<text x="8" y="{baseline:.1}" font-weight="600" fill="{INK}">{}</text>"#,
            escape(text)
        );
    }
}

/// The shaded stripe under a row `width` wide (drawn under every other row).
pub(super) fn emit_stripe(out: &mut String, place: &RowPlace, width: f64) {
    let _ = write!(
        out,
        r#"<rect x="0" y="{:.1}" width="{width}" height="{:.1}" fill="{STRIPE}"/>"#,
        place.top, place.height
    );
}

/// "no data" at (x, y): a group with nothing to draw says so rather than look empty.
pub(super) fn emit_no_data(out: &mut String, x: f64, y: f64) {
    let _ = write!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" font-size="11" fill="{MUTED}" font-style="italic">no data</text>"#
    );
}

/// " · small", written after the text of a small group's first bar or difference (once
/// per group): too few cases for a stable number, said without hiding the number.
pub(super) fn emit_small_flag(out: &mut String) {
    let _ = write!(
        out,
        r#"<tspan fill="{SMALL_COLOUR}" font-style="italic" font-weight="600"> · small</tspan>"#
    );
}

/// The baselines of `count` label lines centred on a row `height` high from `top`.
pub(super) fn baselines(top: f64, height: f64, count: usize) -> Vec<f64> {
    let first = top + (height - count as f64 * LINE_H) / 2.0 + 11.0;
    (0..count).map(|l| first + l as f64 * LINE_H).collect()
}

/// Splits a label into at most `lines` lines of about `width` characters at spaces; the
/// last line ends in "…" when the label is longer.
pub(super) fn wrap(label: &str, width: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in label.split_whitespace() {
        let len = current.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    if out.len() > lines {
        let rest = out[lines - 1..].join(" ");
        out.truncate(lines - 1);
        let kept: String = rest.chars().take(width.saturating_sub(1)).collect();
        out.push(format!("{}…", kept.trim_end()));
    }
    // A single word longer than the width is cut too.
    for line in &mut out {
        if line.chars().count() > width + 1 {
            let kept: String = line.chars().take(width).collect();
            *line = format!("{kept}…");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_wrap_and_shorten() {
        assert_eq!(wrap("Short", 10, 2), ["Short"]);
        assert_eq!(
            wrap("Chapter 13: Diseases of the musculoskeletal system", 20, 2),
            ["Chapter 13: Diseases", "of the musculoskele…"]
        );
        let lines = wrap(
            "Chapter 13: Diseases of the musculoskeletal system and connective tissue",
            20,
            2,
        );
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        assert_eq!(wrap("", 10, 2), [""]);
    }
}
