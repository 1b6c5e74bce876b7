//! What a picture costs in input tokens: its real size, read from the file's header, and
//! a provider's published rule (`--image-tokens openai|anthropic|gemini|N`).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use base64::Engine;

/// A picture's size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u64,
    pub height: u64,
}

/// The size assumed for a picture whose header cannot be read (an http(s) URL whose
/// figure has no local file, a file that is not a picture): a common scan size, 765
/// tokens by OpenAI's rule. `estimate` says how many pictures it had to assume.
pub const ASSUMED_SIZE: Size = Size {
    width: 1024,
    height: 1024,
};

/// The size in a picture file's header (PNG, JPEG, GIF, WebP and the other formats
/// `imagesize` knows), reading only as much of the file as the header needs.
pub fn file_size(path: &Path) -> Option<Size> {
    imagesize::size(path).ok().map(from_imagesize)
}

/// The size of the picture in a `data:<mime>;base64,<bytes>` URI.
pub fn data_uri_size(uri: &str) -> Option<Size> {
    let (_, payload) = uri.strip_prefix("data:")?.split_once(";base64,")?;
    // The header is near the start: decode 48 KiB first (a JPEG's size may follow a
    // large EXIF block, then the whole picture is decoded), not megabytes per request.
    let decode = |text: &str| base64::engine::general_purpose::STANDARD.decode(text).ok();
    let head = payload.get(..HEAD_CHARS).and_then(decode);
    let size = head.and_then(|bytes| imagesize::blob_size(&bytes).ok());
    size.or_else(|| imagesize::blob_size(&decode(payload)?).ok())
        .map(from_imagesize)
}

/// Base64 characters of a data URI decoded to find its picture's size (48 KiB of bytes).
const HEAD_CHARS: usize = 48 * 1024 / 3 * 4;

fn from_imagesize(size: imagesize::ImageSize) -> Size {
    Size {
        width: size.width as u64,
        height: size.height as u64,
    }
}

/// How a provider counts a picture's input tokens, as each publishes it (checked
/// November 2026):
///
/// - `openai`: high detail of GPT-4o, GPT-4.1 and the o-series ("Images and vision",
///   calculating costs): the picture is scaled to fit within 2048 x 2048, then so that
///   its shortest side is 768 px (pictures are never enlarged); it costs 170 tokens per
///   512 x 512 tile it covers, plus 85.
/// - `anthropic`: Claude ("Vision", evaluate image size): a picture whose long side is
///   over 1568 px is scaled down to 1568; it costs width x height / 750 tokens.
/// - `gemini`: 258 tokens a picture (Gemini's "Image understanding", the price of a
///   picture at the default media resolution; larger pictures are tiled by newer models
///   at 258 a tile, which this rule does not count).
/// - `N`: a fixed N tokens a picture, for a model whose rule is none of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImageTokens {
    #[default]
    OpenAi,
    Anthropic,
    Gemini,
    Fixed(u64),
}

impl ImageTokens {
    /// The input tokens of a picture of `size`.
    pub fn tokens(self, size: Size) -> u64 {
        match self {
            ImageTokens::OpenAi => {
                let Size { width, height } = fit(size, 2048, u64::max);
                let scaled = fit(Size { width, height }, 768, u64::min);
                let tiles = scaled.width.div_ceil(512) * scaled.height.div_ceil(512);
                170 * tiles + 85
            }
            ImageTokens::Anthropic => {
                let Size { width, height } = fit(size, 1568, u64::max);
                (width * height).div_ceil(750)
            }
            ImageTokens::Gemini => 258,
            ImageTokens::Fixed(n) => n,
        }
    }
}

/// `size` scaled down, keeping its aspect ratio, so that the side `side` picks (the
/// longer with `u64::max`, the shorter with `u64::min`) is at most `limit`.
fn fit(size: Size, limit: u64, side: fn(u64, u64) -> u64) -> Size {
    let picked = side(size.width, size.height);
    if picked <= limit {
        return size;
    }
    let scale = |v: u64| ((v as f64) * limit as f64 / picked as f64).round().max(1.0) as u64;
    Size {
        width: scale(size.width),
        height: scale(size.height),
    }
}

impl FromStr for ImageTokens {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "openai" => Ok(ImageTokens::OpenAi),
            "anthropic" => Ok(ImageTokens::Anthropic),
            "gemini" => Ok(ImageTokens::Gemini),
            other => other.parse().map(ImageTokens::Fixed).map_err(|_| {
                format!("{text:?} is not openai, anthropic, gemini or a number of tokens")
            }),
        }
    }
}

/// As `--image-tokens` takes it: `"openai"`, `"anthropic"`, `"gemini"` or `"N"`.
impl serde::Serialize for ImageTokens {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for ImageTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageTokens::OpenAi => f.write_str("openai"),
            ImageTokens::Anthropic => f.write_str("anthropic"),
            ImageTokens::Gemini => f.write_str("gemini"),
            ImageTokens::Fixed(n) => write!(f, "{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(width: u64, height: u64) -> Size {
        Size { width, height }
    }

    /// The worked examples of each provider's documentation.
    #[test]
    fn the_providers_examples() {
        // OpenAI: 1024 x 1024 -> 768 x 768, 4 tiles, 765; 2048 x 4096 -> 768 x 1536, 6
        // tiles, 1105; a small picture is not enlarged: 1 tile, 255.
        assert_eq!(ImageTokens::OpenAi.tokens(size(1024, 1024)), 765);
        assert_eq!(ImageTokens::OpenAi.tokens(size(2048, 4096)), 1105);
        assert_eq!(ImageTokens::OpenAi.tokens(size(300, 200)), 255);
        assert_eq!(ImageTokens::OpenAi.tokens(ASSUMED_SIZE), 765);
        // Anthropic: 1092 x 1092 is about 1,590 tokens; 3000 x 1500 is 1568 x 784 first.
        assert_eq!(ImageTokens::Anthropic.tokens(size(1092, 1092)), 1590);
        assert_eq!(
            ImageTokens::Anthropic.tokens(size(3000, 1500)),
            (1568 * 784u64).div_ceil(750)
        );
        assert_eq!(ImageTokens::Gemini.tokens(size(4000, 3000)), 258);
        assert_eq!(ImageTokens::Fixed(7).tokens(size(1, 1)), 7);
    }

    #[test]
    fn rules_parse_by_name_or_number() {
        assert_eq!("OpenAI".parse(), Ok(ImageTokens::OpenAi));
        assert_eq!("anthropic".parse(), Ok(ImageTokens::Anthropic));
        assert_eq!("gemini".parse(), Ok(ImageTokens::Gemini));
        assert_eq!("500".parse(), Ok(ImageTokens::Fixed(500)));
        assert!(
            "claude"
                .parse::<ImageTokens>()
                .unwrap_err()
                .contains("openai, anthropic")
        );
        assert_eq!(ImageTokens::Fixed(500).to_string(), "500");
    }

    #[test]
    fn sizes_come_from_the_headers() {
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/image/case01");
        let png = file_size(&demo.join("fig1a.png")).unwrap();
        let jpeg = file_size(&demo.join("fig3.jpg")).unwrap();
        assert_eq!((png, jpeg), (size(64, 64), size(96, 96)));
        let uri = crate::images::data_uri(&demo.join("fig3.jpg")).unwrap();
        assert_eq!(data_uri_size(&uri), Some(jpeg));
        assert_eq!(data_uri_size("https://x/y.png"), None);
        // A JPEG whose size comes after 60 kB of metadata: past the head first decoded.
        let mut jpeg = vec![0xFF, 0xD8];
        for _ in 0..2 {
            jpeg.extend([0xFF, 0xE1, 0x75, 0x32]);
            jpeg.extend(std::iter::repeat_n(0u8, 0x7532 - 2));
        }
        jpeg.extend([0xFF, 0xC0, 0, 11, 8, 0, 200, 1, 44, 1, 1, 0x11, 0]);
        jpeg.extend([0xFF, 0xD9]);
        let uri = crate::images::encode(Path::new("big.jpg"), &jpeg).unwrap();
        assert!(uri.len() > HEAD_CHARS);
        assert_eq!(data_uri_size(&uri), Some(size(300, 200)));
        assert_eq!(file_size(&demo.join("absent.png")), None);
    }
}
