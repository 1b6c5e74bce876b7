//! Solid-colour test pictures, and the colour a picture shows.
//!
//! `check-vision` sends pictures whose colour it knows; the mock model names the colour of
//! the picture it actually received. Both speak through one small palette, so whether a
//! model saw a picture is decided by colour names, never by pixels.

use std::path::{Path, PathBuf};

use super::png::{self, ColourType};

/// The side of every generated test picture, in pixels (the official smoke test's size).
pub(crate) const SIDE: u32 = 64;

/// A named colour of the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour {
    pub name: &'static str,
    pub rgb: [u8; 3],
}

/// The colours a picture can be named by: common words a model would use.
pub const PALETTE: [Colour; 12] = [
    Colour {
        name: "black",
        rgb: [0, 0, 0],
    },
    Colour {
        name: "white",
        rgb: [255, 255, 255],
    },
    Colour {
        name: "grey",
        rgb: [128, 128, 128],
    },
    Colour {
        name: "red",
        rgb: [255, 0, 0],
    },
    Colour {
        name: "orange",
        rgb: [255, 165, 0],
    },
    Colour {
        name: "yellow",
        rgb: [255, 255, 0],
    },
    Colour {
        name: "green",
        rgb: [0, 160, 0],
    },
    Colour {
        name: "cyan",
        rgb: [0, 255, 255],
    },
    Colour {
        name: "blue",
        rgb: [0, 0, 255],
    },
    Colour {
        name: "purple",
        rgb: [128, 0, 128],
    },
    Colour {
        name: "pink",
        rgb: [255, 150, 200],
    },
    Colour {
        name: "brown",
        rgb: [140, 80, 20],
    },
];

/// The palette colour called `name`.
///
/// # Panics
/// When `name` is not in the palette: callers name the colours they generate.
pub fn colour(name: &str) -> Colour {
    *PALETTE
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("{name} is not a palette colour"))
}

/// A `SIDE` x `SIDE` PNG of one colour, 8-bit RGB, as the official smoke test makes it.
pub(crate) fn solid_png(colour: Colour) -> Vec<u8> {
    let pixels = colour.rgb.repeat((SIDE * SIDE) as usize);
    png::encode(SIDE, SIDE, ColourType::Rgb, &pixels)
}

/// The file name of the test picture of the colour `name`: one convention for the local
/// pictures, the files `--write-pictures` writes and the URLs `--picture-url` leads to, so
/// a user who hosts the written files needs no renaming.
pub fn file_name(name: &str) -> String {
    format!("{name}.png")
}

/// Writes the test picture of each named colour into `dir` (created when missing), so a
/// user can host them where the model's server fetches URLs. Returns the files written.
pub fn write_pictures(dir: &Path, names: &[&str]) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    names
        .iter()
        .map(|name| {
            let path = dir.join(file_name(name));
            std::fs::write(&path, solid_png(colour(name)))?;
            Ok(path)
        })
        .collect()
}

/// What a look at a picture finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Look {
    /// The palette name most of its opaque pixels are nearest to.
    pub colour: &'static str,
    pub width: u32,
    pub height: u32,
}

/// At most this many pixels are examined; a larger picture is sampled evenly.
const MAX_SAMPLES: usize = 65_536;

/// Decodes a PNG (any colour type and depth) and finds its dominant colour.
pub fn look(png_bytes: &[u8]) -> Result<Look, String> {
    let image = png::decode(png_bytes)?;
    let pixels = image.pixels.chunks_exact(image.samples);
    let step = pixels.len().div_ceil(MAX_SAMPLES).max(1);
    let mut counts = [0usize; PALETTE.len()];
    for pixel in pixels.step_by(step) {
        let (rgb, alpha) = match *pixel {
            [v] => ([v, v, v], 255),
            [v, a] => ([v, v, v], a),
            [r, g, b] => ([r, g, b], 255),
            [r, g, b, a] => ([r, g, b], a),
            _ => unreachable!("8-bit output has 1 to 4 samples per pixel"),
        };
        if alpha >= 128 {
            counts[nearest(rgb)] += 1;
        }
    }
    let (best, &count) = counts
        .iter()
        .enumerate()
        .max_by_key(|&(_, n)| n)
        .expect("the palette is not empty");
    if count == 0 {
        return Err("the picture is fully transparent".into());
    }
    Ok(Look {
        colour: PALETTE[best].name,
        width: image.width,
        height: image.height,
    })
}

/// The index of the palette colour nearest to `rgb` (squared RGB distance).
fn nearest(rgb: [u8; 3]) -> usize {
    let distance = |c: &Colour| -> u32 {
        (0..3)
            .map(|i| u32::from(rgb[i].abs_diff(c.rgb[i])).pow(2))
            .sum()
    };
    (0..PALETTE.len())
        .min_by_key(|&i| distance(&PALETTE[i]))
        .expect("the palette is not empty")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generated_picture_reads_back_as_its_colour() {
        for colour in PALETTE {
            let png = solid_png(colour);
            assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
            let found = look(&png).unwrap();
            assert_eq!(found.colour, colour.name);
            assert_eq!((found.width, found.height), (SIDE, SIDE));
        }
    }

    #[test]
    fn written_pictures_are_the_named_colours_under_their_file_names() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("new/pictures");
        let written = write_pictures(&target, &["red", "grey"]).unwrap();
        assert_eq!(written, [target.join("red.png"), target.join("grey.png")]);
        for (path, name) in written.iter().zip(["red", "grey"]) {
            assert_eq!(look(&std::fs::read(path).unwrap()).unwrap().colour, name);
        }
    }

    #[test]
    fn near_colours_get_the_nearest_name() {
        assert_eq!(PALETTE[nearest([250, 240, 30])].name, "yellow");
        assert_eq!(PALETTE[nearest([200, 20, 30])].name, "red");
        assert_eq!(PALETTE[nearest([20, 30, 200])].name, "blue");
        assert_eq!(PALETTE[nearest([0, 255, 0])].name, "green");
        assert_eq!(PALETTE[nearest([120, 125, 130])].name, "grey");
    }

    /// Grey-with-alpha pixels, two opaque white and two transparent black: the dominant
    /// colour is that of the opaque pixels, whatever the PNG's colour type.
    #[test]
    fn transparent_pixels_do_not_count() {
        let grey_alpha = |pixels: &[u8]| png::encode(4, 1, ColourType::GreyAlpha, pixels);
        let found = look(&grey_alpha(&[250, 255, 250, 255, 10, 0, 10, 0])).unwrap();
        assert_eq!(found.colour, "white");
        let clear = look(&grey_alpha(&[0; 8])).unwrap_err();
        assert!(clear.contains("transparent"), "{clear}");
    }

    #[test]
    fn non_png_bytes_are_reported() {
        assert!(
            look(b"\xff\xd8\xff\xe0 jpeg")
                .unwrap_err()
                .starts_with("not a PNG")
        );
    }
}
