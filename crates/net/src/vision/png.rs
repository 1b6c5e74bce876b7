//! PNG in the two ways the vision check needs: writing a solid picture (8-bit, no row
//! filters) and reading any non-interlaced PNG back to 8-bit samples.

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// The PNG colour types read and written, with their samples per pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColourType {
    Grey = 0,
    Rgb = 2,
    Palette = 3,
    GreyAlpha = 4,
    Rgba = 6,
}

impl ColourType {
    fn from_byte(byte: u8) -> Option<Self> {
        Some(match byte {
            0 => Self::Grey,
            2 => Self::Rgb,
            3 => Self::Palette,
            4 => Self::GreyAlpha,
            6 => Self::Rgba,
            _ => return None,
        })
    }

    fn samples(self) -> usize {
        match self {
            Self::Grey | Self::Palette => 1,
            Self::GreyAlpha => 2,
            Self::Rgb => 3,
            Self::Rgba => 4,
        }
    }
}

/// A decoded picture: 8-bit samples, `samples` per pixel (1 grey, 2 grey and alpha, 3
/// RGB, 4 RGBA; palettes are expanded to RGB or RGBA).
#[derive(Debug)]
pub(crate) struct Image {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) samples: usize,
    pub(crate) pixels: Vec<u8>,
}

/// An 8-bit PNG of `pixels` (rows of `width` pixels of `colour`'s samples).
pub(crate) fn encode(width: u32, height: u32, colour: ColourType, pixels: &[u8]) -> Vec<u8> {
    let stride = width as usize * colour.samples();
    let mut raw = Vec::with_capacity(pixels.len() + height as usize);
    for row in pixels.chunks(stride) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let zlib = liveclin_zlib::compress(&raw);

    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, colour as u8, 0, 0, 0]);
    let mut png = SIGNATURE.to_vec();
    for (kind, body) in [(b"IHDR", &header[..]), (b"IDAT", &zlib), (b"IEND", &[])] {
        png.extend_from_slice(&(body.len() as u32).to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(body);
        let crc = crc32(&png[start..]);
        png.extend_from_slice(&crc.to_be_bytes());
    }
    png
}

/// Reads a non-interlaced PNG of any colour type and bit depth into 8-bit samples.
pub(crate) fn decode(bytes: &[u8]) -> Result<Image, String> {
    let body = bytes
        .strip_prefix(SIGNATURE)
        .ok_or("not a PNG: no PNG signature")?;
    let mut header = None;
    let (mut palette, mut alpha, mut data) = (Vec::new(), Vec::new(), Vec::new());
    let mut rest = body;
    while rest.len() >= 12 {
        let len = u32::from_be_bytes(rest[..4].try_into().expect("4 bytes")) as usize;
        let kind = &rest[4..8];
        let chunk = rest
            .get(8..8 + len)
            .ok_or("broken PNG: a chunk runs past the end")?;
        match kind {
            b"IHDR" => header = Some(chunk.to_vec()),
            b"PLTE" => palette = chunk.to_vec(),
            b"tRNS" => alpha = chunk.to_vec(),
            b"IDAT" => data.extend_from_slice(chunk),
            b"IEND" => break,
            _ => {}
        }
        rest = &rest[(12 + len).min(rest.len())..];
    }
    let header = header.ok_or("broken PNG: no header")?;
    let [
        w0,
        w1,
        w2,
        w3,
        h0,
        h1,
        h2,
        h3,
        depth,
        colour,
        _,
        _,
        interlace,
    ] = header[..]
    else {
        return Err("broken PNG: a header of the wrong size".into());
    };
    let (width, height) = (
        u32::from_be_bytes([w0, w1, w2, w3]),
        u32::from_be_bytes([h0, h1, h2, h3]),
    );
    let colour = ColourType::from_byte(colour).ok_or("broken PNG: an unknown colour type")?;
    if interlace != 0 {
        return Err("an interlaced PNG (not read)".into());
    }
    let valid_depth = match colour {
        ColourType::Grey => matches!(depth, 1 | 2 | 4 | 8 | 16),
        ColourType::Palette => matches!(depth, 1 | 2 | 4 | 8),
        _ => matches!(depth, 8 | 16),
    };
    if !valid_depth || width == 0 || height == 0 {
        return Err("broken PNG: an invalid size or bit depth".into());
    }
    let bits_per_pixel = colour.samples() * usize::from(depth);
    let stride = (width as usize * bits_per_pixel).div_ceil(8);
    let size = (stride + 1)
        .checked_mul(height as usize)
        .filter(|&size| size <= 256 << 20)
        .ok_or("the PNG is too large to decode")?;
    let mut raw = liveclin_zlib::inflate(&data, size).map_err(|e| format!("broken PNG: {e}"))?;
    if raw.len() != size {
        return Err("broken PNG: its pixel data is short".into());
    }
    unfilter(&mut raw, stride, bits_per_pixel.div_ceil(8))?;
    let mut samples = Vec::with_capacity(width as usize * height as usize * 4);
    for row in raw.chunks(stride + 1) {
        let row = &row[1..];
        let values = (0..width as usize * colour.samples()).map(|i| match depth {
            16 => row[2 * i],
            8 => row[i],
            _ => {
                let d = usize::from(depth);
                let bit = i * d;
                let v = (row[bit / 8] >> (8 - d - bit % 8)) & ((1 << d) - 1);
                if colour == ColourType::Palette {
                    v
                } else {
                    (u16::from(v) * 255 / ((1 << d) - 1)) as u8
                }
            }
        });
        if colour == ColourType::Palette {
            for index in values {
                let i = usize::from(index);
                let rgb = palette
                    .get(3 * i..3 * i + 3)
                    .ok_or("broken PNG: a palette index past the palette")?;
                samples.extend_from_slice(rgb);
                samples.push(alpha.get(i).copied().unwrap_or(255));
            }
        } else {
            samples.extend(values);
        }
    }
    let samples_per_pixel = match colour {
        ColourType::Palette => 4,
        other => other.samples(),
    };
    Ok(Image {
        width,
        height,
        samples: samples_per_pixel,
        pixels: samples,
    })
}

/// Undoes each row's filter in place (`bpp`: bytes per pixel, at least 1).
fn unfilter(raw: &mut [u8], stride: usize, bpp: usize) -> Result<(), String> {
    let row_len = stride + 1;
    for y in 0..raw.len() / row_len {
        let (done, current) = raw.split_at_mut(y * row_len);
        let previous = y.checked_sub(1).map(|p| &done[p * row_len + 1..]);
        let (filter, line) = current[..row_len]
            .split_first_mut()
            .expect("rows are not empty");
        for x in 0..stride {
            let a = if x >= bpp { line[x - bpp] } else { 0 };
            let b = previous.map_or(0, |p| p[x]);
            let c = if x >= bpp {
                previous.map_or(0, |p| p[x - bpp])
            } else {
                0
            };
            let predicted = match *filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => paeth(a, b, c),
                _ => return Err("broken PNG: an unknown row filter".into()),
            };
            line[x] = line[x].wrapping_add(predicted);
        }
    }
    Ok(())
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let (a16, b16, c16) = (i16::from(a), i16::from(b), i16::from(c));
    let p = a16 + b16 - c16;
    let (pa, pb, pc) = ((p - a16).abs(), (p - b16).abs(), (p - c16).abs());
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |crc, &byte| {
        (0..8).fold(crc ^ u32::from(byte), |crc, _| {
            (crc >> 1) ^ (0xEDB8_8320 & 0u32.wrapping_sub(crc & 1))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chunk_checksum_is_the_standard_one() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn what_is_written_reads_back() {
        let pixels: Vec<u8> = (0..3 * 70 * 1000).map(|i| (i % 251) as u8).collect();
        let png = encode(70, 1000, ColourType::Rgb, &pixels);
        let image = decode(&png).unwrap();
        assert_eq!((image.width, image.height, image.samples), (70, 1000, 3));
        assert_eq!(image.pixels, pixels);
    }

    /// The demo's pictures (compressed by another encoder, with dynamic deflate blocks and
    /// every row filter) read to the pixels a reference decoder found (Python's zlib and
    /// the filters of the PNG specification): their size and the sum of their samples.
    #[test]
    fn pictures_from_another_encoder_read_to_their_pixels() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/demo/image/");
        for (file, width, height, sum) in [
            ("case01/fig4b.png", 128, 128, 6_093_645u64),
            ("case02/fig1.png", 112, 80, 3_149_400),
            ("case09/fig5.png", 64, 64, 2_178_870),
            ("case13/fig2a.png", 80, 112, 3_401_925),
            ("case16/fig4.png", 128, 128, 9_006_750),
        ] {
            let image = decode(&std::fs::read(format!("{root}{file}")).unwrap()).unwrap();
            assert_eq!((image.width, image.height), (width, height), "{file}");
            let total: u64 = image.pixels.iter().map(|&v| u64::from(v)).sum();
            assert_eq!(total, sum, "{file}");
        }
    }

    #[test]
    fn broken_pictures_are_errors_not_panics() {
        let good = encode(4, 4, ColourType::Rgb, &[9; 48]);
        for cut in 0..good.len() {
            let _ = decode(&good[..cut]);
        }
        assert!(decode(b"GIF89a").unwrap_err().starts_with("not a PNG"));
        let mut wrong = good.clone();
        wrong[8 + 8 + 9] = 5; // an unknown colour type
        assert!(decode(&wrong).is_err());
    }
}
