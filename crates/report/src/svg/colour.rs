//! The colours of the charts: the runs' palette, chosen to stay apart for colour-blind
//! readers (and tested to), and the few inks every chart draws with.

/// Colours of the runs (series): Okabe & Ito's colour-blind-safe palette (2008), black
/// and yellow left out (black is the ink, yellow vanishes on white), in the order that
/// keeps the first runs furthest apart under protanopia, deuteranopia and tritanopia
/// (checked by this module's tests). Each run also has a shape ([`super::series_shape`]).
pub const PALETTE: [&str; 6] = [
    "#0072b2", "#d55e00", "#56b4e9", "#e69f00", "#009e73", "#cc79a7",
];
/// Reference lines (published or user-given values).
pub(super) const REFERENCE_COLOUR: &str = "#b5179e";
/// Text flagging a small group.
pub(super) const SMALL_COLOUR: &str = "#9a5b00";
/// Secondary text: legends, tick labels, sizes, what an axis measures.
pub(super) const MUTED: &str = "#5b6474";
pub(super) const GRID: &str = "#d3d8e0";
/// The 0% line of a percent axis: darker than the grid, so that the bars and curves
/// stand on it, lighter than the ink.
pub(super) const BASELINE: &str = "#8a93a3";
/// Every other row of a bar chart or forest plot, to guide the eye along a row.
pub(super) const STRIPE: &str = "#f4f6f9";
/// Whiskers of intervals, and the rims of filled markers.
pub(super) const WHISKER: &str = "#1b1f27";
pub(super) const INK: &str = "#1d2330";
pub(super) const WHITE: &str = "#fff";

/// Run (series) `i`'s colour; after six runs the colours repeat.
pub(super) fn series_colour(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The palette's colours, as the fraction of each sRGB channel made linear.
    fn linear(hex: &str) -> [f64; 3] {
        let channel = |i: usize| {
            let v = f64::from(u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap()) / 255.0;
            if v < 0.04045 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        [channel(0), channel(1), channel(2)]
    }

    fn times(m: &[[f64; 3]; 3], v: [f64; 3]) -> [f64; 3] {
        m.map(|row| row[0] * v[0] + row[1] * v[1] + row[2] * v[2])
    }

    /// Protanopia and deuteranopia by Viénot, Brettel & Mollon (1999), tritanopia by
    /// Brettel, Viénot & Mollon (1997) (Viénot's single plane is wrong for it), with
    /// the sRGB-based matrices of libDaltonLens (public domain), in linear RGB.
    #[derive(Debug, Clone, Copy)]
    enum Deficiency {
        Protanopia,
        Deuteranopia,
        Tritanopia,
    }

    fn simulate(deficiency: Deficiency, rgb: [f64; 3]) -> [f64; 3] {
        match deficiency {
            Deficiency::Protanopia => times(
                &[
                    [0.10889, 0.89111, 0.0],
                    [0.10889, 0.89111, 0.0],
                    [0.00447, -0.00447, 1.0],
                ],
                rgb,
            ),
            Deficiency::Deuteranopia => times(
                &[
                    [0.29031, 0.70969, 0.0],
                    [0.29031, 0.70969, 0.0],
                    [-0.02197, 0.02197, 1.0],
                ],
                rgb,
            ),
            Deficiency::Tritanopia => tritanopia(rgb),
        }
    }

    /// Brettel 1997: the S cone's response replaced by a projection onto one of two
    /// half-planes, picked by the side of their separation plane.
    fn tritanopia(rgb: [f64; 3]) -> [f64; 3] {
        let mut lms = times(
            &[
                [0.17886, 0.43997, 0.03597],
                [0.03380, 0.27515, 0.03621],
                [0.00031, 0.00192, 0.01528],
            ],
            rgb,
        );
        let side = 0.34516 * lms[0] - 0.65480 * lms[1];
        let plane = if side >= 0.0 {
            [-0.00213, 0.05477]
        } else {
            [-0.06195, 0.16826]
        };
        lms[2] = plane[0] * lms[0] + plane[1] * lms[1];
        times(
            &[
                [8.00533, -12.88195, 11.68065],
                [-0.97821, 5.26945, -10.18300],
                [-0.04017, -0.39885, 66.48079],
            ],
            lms,
        )
    }

    /// CIE L*a*b* (D65) of a linear RGB colour, clipped to the displayable range first.
    fn lab(rgb: [f64; 3]) -> [f64; 3] {
        let rgb = rgb.map(|c| c.clamp(0.0, 1.0));
        let xyz = times(
            &[
                [0.4124, 0.3576, 0.1805],
                [0.2126, 0.7152, 0.0722],
                [0.0193, 0.1192, 0.9505],
            ],
            rgb,
        );
        let f = |t: f64| {
            let d: f64 = 6.0 / 29.0;
            if t > d.powi(3) {
                t.cbrt()
            } else {
                t / (3.0 * d * d) + 4.0 / 29.0
            }
        };
        let [fx, fy, fz] = [xyz[0] / 0.95047, xyz[1], xyz[2] / 1.08883].map(f);
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    /// Chroma and hue angle (degrees) of a Lab colour after CIEDE2000's a* stretch `g`.
    fn chroma_hue([_, a, b]: [f64; 3], g: f64) -> (f64, f64) {
        let a = (1.0 + g) * a;
        (a.hypot(b), b.atan2(a).to_degrees().rem_euclid(360.0))
    }

    /// The CIEDE2000 colour difference (Sharma, Wu & Dalal 2005).
    fn delta_e(c1: [f64; 3], c2: [f64; 3]) -> f64 {
        let seventh = |c: f64| (c.powi(7) / (c.powi(7) + 25f64.powi(7))).sqrt();
        let mean_c = (c1[1].hypot(c1[2]) + c2[1].hypot(c2[2])) / 2.0;
        let g = 0.5 * (1.0 - seventh(mean_c));
        let ((ch1, h1), (ch2, h2)) = (chroma_hue(c1, g), chroma_hue(c2, g));
        let neutral = ch1 * ch2 == 0.0;
        let mut dh = h2 - h1;
        if dh > 180.0 {
            dh -= 360.0;
        } else if dh < -180.0 {
            dh += 360.0;
        }
        let dh = if neutral { 0.0 } else { dh };
        let big_dh = 2.0 * (ch1 * ch2).sqrt() * (dh.to_radians() / 2.0).sin();
        let mean_h = if neutral {
            h1 + h2
        } else if (h1 - h2).abs() <= 180.0 {
            (h1 + h2) / 2.0
        } else {
            (h1 + h2 + 360.0 * if h1 + h2 < 360.0 { 1.0 } else { -1.0 }) / 2.0
        };
        let cos = |deg: f64| deg.to_radians().cos();
        let t = 1.0 - 0.17 * cos(mean_h - 30.0)
            + 0.24 * cos(2.0 * mean_h)
            + 0.32 * cos(3.0 * mean_h + 6.0)
            - 0.20 * cos(4.0 * mean_h - 63.0);
        let mean_l = (c1[0] + c2[0]) / 2.0;
        let mean_cp = (ch1 + ch2) / 2.0;
        let sl = 1.0 + 0.015 * (mean_l - 50.0).powi(2) / (20.0 + (mean_l - 50.0).powi(2)).sqrt();
        let sc = 1.0 + 0.045 * mean_cp;
        let sh = 1.0 + 0.015 * mean_cp * t;
        let rotation = -(2.0 * 30.0 * (-((mean_h - 275.0) / 25.0).powi(2)).exp())
            .to_radians()
            .sin()
            * 2.0
            * seventh(mean_cp);
        let (l, c, h) = ((c2[0] - c1[0]) / sl, (ch2 - ch1) / sc, big_dh / sh);
        (l * l + c * c + h * h + rotation * c * h).sqrt()
    }

    /// The smallest CIEDE2000 difference between two of `colours` as a viewer with
    /// `deficiency` sees them, with the pair.
    fn closest(colours: &[&str], deficiency: Deficiency) -> (f64, String) {
        let seen: Vec<[f64; 3]> = colours
            .iter()
            .map(|c| lab(simulate(deficiency, linear(c))))
            .collect();
        let mut worst = (f64::INFINITY, String::new());
        for i in 0..colours.len() {
            for j in i + 1..colours.len() {
                let d = delta_e(seen[i], seen[j]);
                if d < worst.0 {
                    worst = (d, format!("{} and {}", colours[i], colours[j]));
                }
            }
        }
        worst
    }

    /// How far apart two runs' colours must stay, in CIEDE2000: 1 is about one
    /// just-noticeable difference between large patches side by side, and marks as small
    /// as these bars and markers, seen apart, need several times that (Stone, Szafir &
    /// Setlur 2014, "An engineering model for color difference as a function of size").
    /// 10 asks for several such steps.
    const APART: f64 = 10.0;

    #[test]
    fn delta_e_matches_the_published_test_pairs() {
        // Sharma, Wu & Dalal (2005), table 1, pairs 1 and 17.
        let d = delta_e([50.0, 2.6772, -79.7751], [50.0, 0.0, -82.7485]);
        assert!((d - 2.0425).abs() < 1e-3, "{d}");
        let d = delta_e([22.7233, 20.0904, -46.6940], [23.0331, 14.9730, -42.5619]);
        assert!((d - 2.0373).abs() < 1e-3, "{d}");
        assert_eq!(delta_e([50.0, 10.0, 10.0], [50.0, 10.0, 10.0]), 0.0);
    }

    #[test]
    fn the_runs_colours_stay_apart_under_colour_blindness() {
        for deficiency in [Deficiency::Protanopia, Deficiency::Deuteranopia] {
            let (d, pair) = closest(&PALETTE, deficiency);
            assert!(d >= APART, "{deficiency:?}: {pair} only {d:.1} apart");
        }
        // Tritanopia (about 1 in 10,000) separates five runs by colour; a sixth is told
        // from the others by its shape.
        let (d, pair) = closest(&PALETTE[..5], Deficiency::Tritanopia);
        assert!(d >= APART, "tritanopia: {pair} only {d:.1} apart");
        // The check can fail: the palette before Okabe-Ito's did, the blue and purple of
        // runs 1 and 4 all but one colour for a deuteranope.
        let before = ["#1f5fa8", "#d55e00", "#117a55", "#7b3294"];
        assert!(closest(&before, Deficiency::Deuteranopia).0 < APART);
        assert!(closest(&before, Deficiency::Protanopia).0 < APART);
    }
}
