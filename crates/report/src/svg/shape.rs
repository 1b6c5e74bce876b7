//! The shapes that tell runs apart besides their colours: where runs are drawn side by
//! side, a reader who cannot tell two colours apart (a colour-vision deficiency, a grey
//! print) still tells the runs apart. Run `i` has [`series_shape`]`(i)`.

use super::colour::{WHISKER, WHITE, series_colour};

/// The shape of a run's marks, its cue besides colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
    TriangleDown,
    Star,
}

/// The runs' shapes, in order: as many as [`PALETTE`](super::PALETTE) has colours, so that colour and
/// shape repeat together.
pub const SHAPES: [Shape; 6] = [
    Shape::Circle,
    Shape::Square,
    Shape::Triangle,
    Shape::Diamond,
    Shape::TriangleDown,
    Shape::Star,
];

/// Run (series) `i`'s shape.
pub(crate) fn series_shape(i: usize) -> Shape {
    SHAPES[i % SHAPES.len()]
}

/// Run `i`'s marker centred on (x, y), about `2r` across: filled in its colour, or hollow
/// (white inside its colour) when `filled` is false. For legends and HTML swatches too,
/// so that every view of a run shows the same mark.
pub fn marker(i: usize, x: f64, y: f64, r: f64, filled: bool) -> String {
    series_shape(i).svg(x, y, r, &paint(series_colour(i), filled))
}

impl Shape {
    /// The shape as one character, for text that names a run beside a bar (the same
    /// shapes as the markers, so text and charts agree).
    pub fn glyph(self) -> char {
        match self {
            Shape::Circle => '●',
            Shape::Square => '■',
            Shape::Triangle => '▲',
            Shape::Diamond => '◆',
            Shape::TriangleDown => '▼',
            Shape::Star => '★',
        }
    }

    /// The shape centred on (x, y), about `2r` across, with `paint` (its fill and stroke
    /// attributes, from [`paint`]).
    pub(super) fn svg(self, x: f64, y: f64, r: f64, paint: &str) -> String {
        match self {
            Shape::Circle => format!(r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r:.1}" {paint}/>"#),
            // Squares and diamonds look bigger than circles of the same width: drawn a
            // little smaller, and the triangles and star a little bigger.
            Shape::Square => {
                let half = 0.85 * r;
                format!(
                    r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" {paint}/>"#,
                    x - half,
                    y - half,
                    2.0 * half,
                    2.0 * half
                )
            }
            _ => {
                let points: Vec<String> = self
                    .outline()
                    .into_iter()
                    .map(|(dx, dy)| format!("{:.1},{:.1}", x + dx * r, y + dy * r))
                    .collect();
                format!(r#"<polygon points="{}" {paint}/>"#, points.join(" "))
            }
        }
    }

    /// The corners of a polygonal shape around (0, 0) for a radius of 1 (none for the
    /// circle and the square, drawn as such).
    fn outline(self) -> Vec<(f64, f64)> {
        match self {
            Shape::Circle | Shape::Square => Vec::new(),
            Shape::Triangle => vec![(0.0, -1.25), (1.15, 0.8), (-1.15, 0.8)],
            Shape::TriangleDown => vec![(0.0, 1.25), (1.15, -0.8), (-1.15, -0.8)],
            Shape::Diamond => vec![(0.0, -1.3), (1.3, 0.0), (0.0, 1.3), (-1.3, 0.0)],
            Shape::Star => (0..10)
                .map(|k| {
                    let radius = if k % 2 == 0 { 1.45 } else { 0.6 };
                    let angle = std::f64::consts::PI * (k as f64 / 5.0 - 0.5);
                    (radius * angle.cos(), radius * angle.sin())
                })
                .collect(),
        }
    }
}

/// The fill and stroke of a marker: filled in `colour` with a dark rim (the rim keeps
/// the light colours visible on white), or hollow with a `colour` rim.
pub(super) fn paint(colour: &str, filled: bool) -> String {
    if filled {
        format!(r#"fill="{colour}" stroke="{WHISKER}" stroke-width="1""#)
    } else {
        format!(r#"fill="{WHITE}" stroke="{colour}" stroke-width="2""#)
    }
}

#[cfg(test)]
mod tests {
    use super::super::colour::PALETTE;
    use super::*;

    #[test]
    fn every_colour_has_its_own_shape() {
        assert_eq!(SHAPES.len(), PALETTE.len());
        let shapes: std::collections::HashSet<String> = (0..SHAPES.len())
            .map(|i| marker(i, 10.0, 10.0, 5.0, true).replace(PALETTE[i], "colour"))
            .collect();
        assert_eq!(shapes.len(), SHAPES.len(), "{shapes:?}");
        let glyphs: std::collections::HashSet<char> = SHAPES.iter().map(|s| s.glyph()).collect();
        assert_eq!(glyphs.len(), SHAPES.len());
        assert_eq!(series_shape(SHAPES.len()), series_shape(0));
        assert!(
            marker(2, 0.0, 0.0, 5.0, false)
                .contains(&format!("fill=\"{WHITE}\" stroke=\"{}\"", PALETTE[2]))
        );
    }
}
