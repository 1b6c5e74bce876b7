//! The legend under a chart's title: an entry per thing the chart draws that needs
//! saying (the runs, the reference lines, the whiskers, what "small" means), laid out
//! left to right and wrapped to the next line when the chart's width runs out.

use liveclin_core::analysis::breakdown::SMALL_GROUP;
use std::fmt::Write;

use super::colour::{MUTED, REFERENCE_COLOUR, SMALL_COLOUR, WHISKER};
use super::shape::{Shape, marker, paint};
use super::{WIDTH, escape};

/// The y of the legend's first line, under the title.
const TOP: f64 = 44.0;
/// Where a chart's plot may start when it has no legend: just under the title.
const NO_LEGEND_BOTTOM: f64 = 34.0;
const LEFT: f64 = 8.0;
const LINE_PITCH: f64 = 18.0;

/// What an entry's swatch shows: a small copy of the mark it explains.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Swatch {
    /// A bar in a run's colour; faded, as a small group's bars are.
    Bar { colour: &'static str, faded: bool },
    /// A dashed vertical line: the reference values across a bar chart.
    ReferenceLine,
    /// A dashed horizontal stroke in a curve's colour: a reference or dashed curve.
    DashedCurve(&'static str),
    /// An interval's whisker.
    Whisker,
    /// The dot that stands for "small".
    Small,
    /// Run `i`'s filled marker.
    Marker(usize),
    /// A neutral circle, filled or hollow: what a filled marker means.
    Fill(bool),
}

/// One entry, placed: its swatch sits at (x, y), its text after it.
#[derive(Debug)]
struct Entry {
    x: f64,
    y: f64,
    text: String,
    swatch: Swatch,
}

/// A legend being laid out: the entries placed so far and where the next one goes.
#[derive(Debug)]
pub(super) struct Legend {
    entries: Vec<Entry>,
    x: f64,
    y: f64,
}

impl Legend {
    pub(super) fn new() -> Self {
        Legend {
            entries: Vec::new(),
            x: LEFT,
            y: TOP,
        }
    }

    /// Places an entry after the last one, or at the start of a new line when it would
    /// reach past the chart's right edge (text at about 6.6 px a character).
    pub(super) fn add(&mut self, text: &str, swatch: Swatch) {
        let width = 26.0 + text.chars().count() as f64 * 6.6 + 18.0;
        if self.x + width > WIDTH && self.x > LEFT {
            self.x = LEFT;
            self.y += LINE_PITCH;
        }
        self.entries.push(Entry {
            x: self.x,
            y: self.y,
            text: text.to_string(),
            swatch,
        });
        self.x += width;
    }

    /// The y just below the legend, where the plot may start (just below the title when
    /// the legend is empty).
    pub(super) fn bottom(&self) -> f64 {
        if self.entries.is_empty() {
            NO_LEGEND_BOTTOM
        } else {
            self.y + 14.0
        }
    }

    pub(super) fn emit(&self, out: &mut String) {
        for entry in &self.entries {
            out.push_str(&swatch(entry.swatch, entry.x, entry.y));
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}" fill="{MUTED}">{}</text>"#,
                entry.x + 24.0,
                entry.y + 4.0,
                escape(&entry.text)
            );
        }
    }
}

/// The markup of a swatch whose entry is at (x, y): about 18 px wide from x, centred on y.
fn swatch(swatch: Swatch, x: f64, y: f64) -> String {
    match swatch {
        Swatch::Bar { colour, faded } => {
            let opacity = if faded { 0.5 } else { 1.0 };
            format!(
                r#"<rect x="{x:.1}" y="{:.1}" width="18" height="11" rx="2" fill="{colour}" fill-opacity="{opacity}"/>"#,
                y - 5.5
            )
        }
        Swatch::ReferenceLine => format!(
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{REFERENCE_COLOUR}" stroke-width="2.5" stroke-dasharray="5 3"/>"#,
            x + 9.0,
            y - 7.0,
            x + 9.0,
            y + 7.0
        ),
        Swatch::DashedCurve(colour) => format!(
            r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{colour}" stroke-width="2.5" stroke-dasharray="5 3"/>"#,
            x + 18.0
        ),
        Swatch::Whisker => format!(
            r#"<path d="M{:.1} {:.1}v8M{:.1} {y:.1}h14M{:.1} {:.1}v8" stroke="{WHISKER}" stroke-width="1.5" fill="none"/>"#,
            x + 2.0,
            y - 4.0,
            x + 2.0,
            x + 16.0,
            y - 4.0
        ),
        Swatch::Small => format!(
            r#"<circle cx="{:.1}" cy="{y:.1}" r="4" fill="{SMALL_COLOUR}"/>"#,
            x + 9.0
        ),
        Swatch::Marker(series) => marker(series, x + 9.0, y, 5.0, true),
        Swatch::Fill(filled) => Shape::Circle.svg(x + 9.0, y, 5.0, &paint(MUTED, filled)),
    }
}

/// The legend entry of the faded "small" groups, whose threshold is the analysis's.
pub(super) fn small_legend() -> String {
    format!("\"small\": fewer than {SMALL_GROUP} cases")
}
