//! The value axes of the charts: the 0-100% scale of bar and line charts, and the
//! vertical grid and tick labels that bar charts and forest plots draw alike from their
//! ticks, whatever their scale.

use std::fmt::Write;

use super::colour::{GRID, MUTED};
use super::escape;

/// The ticks of a percent axis, every quarter (few enough to read at a glance), each
/// placed by `at` (from a fraction to its x or y) and labelled `25%`.
pub(super) fn percent_ticks(at: impl Fn(f64) -> f64) -> Vec<Tick> {
    [0.0, 0.25, 0.5, 0.75, 1.0]
        .map(|tick| Tick {
            at: at(tick),
            label: format!("{:.0}%", tick * 100.0),
            zero: tick == 0.0,
        })
        .into()
}

/// One tick of an axis, placed: where it falls along the axis (an x on a horizontal
/// axis, a y on a vertical one) and its label.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tick {
    pub(super) at: f64,
    pub(super) label: String,
    /// The tick at 0, whose grid line stands out: the line a value is read against.
    pub(super) zero: bool,
}

/// A horizontal axis laid out: its ticks, and how the grid line at 0 is drawn (its
/// colour and width; the others are light grey).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Axis {
    pub(super) ticks: Vec<Tick>,
    pub(super) zero_line: (&'static str, f64),
}

impl Axis {
    /// A vertical line per tick, from `top` to `bottom`.
    pub(super) fn emit_grid(&self, out: &mut String, top: f64, bottom: f64) {
        for tick in &self.ticks {
            let (colour, width) = if tick.zero {
                self.zero_line
            } else {
                (GRID, 1.0)
            };
            let x = tick.at;
            let _ = write!(
                out,
                r#"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{bottom:.1}" stroke="{colour}" stroke-width="{width}"/>"#
            );
        }
    }

    /// The tick labels, centred on their ticks, with baseline `y`.
    pub(super) fn emit_labels(&self, out: &mut String, y: f64) {
        for tick in &self.ticks {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{y:.1}" text-anchor="middle" font-size="11" fill="{MUTED}">{}</text>"#,
                tick.at, tick.label
            );
        }
    }
}

/// What an axis measures, centred on (x, y) under it.
pub(super) fn emit_title(out: &mut String, x: f64, y: f64, text: &str) {
    let _ = write!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" text-anchor="middle" font-size="11.5" fill="{MUTED}">{}</text>"#,
        escape(text)
    );
}
