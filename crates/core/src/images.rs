//! Pictures as the model receives them: http(s) URLs, or local files as data URIs.

use std::path::Path;

use base64::Engine;

/// The official cap on one data URI, in characters (20 MiB).
pub const MAX_DATA_URI_CHARS: usize = 20 * 1024 * 1024;

/// Why a local picture is not sent (its caption still is).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImageSkip {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path} is not an image file (PNG, JPEG, GIF, WebP, BMP, TIFF or SVG)")]
    NotImage { path: String },
    #[error(
        "{path} is a Git LFS pointer, not the image (copied without git-lfs: run `git lfs pull`, or `liveclin download`)"
    )]
    LfsPointer { path: String },
    #[error(
        "{path} is too large to send inline ({chars} characters as a data URI, limit {MAX_DATA_URI_CHARS})"
    )]
    TooLarge { path: String, chars: usize },
}

/// Only `http://` and `https://` URLs are sent, as the official tool does.
pub fn is_http_url(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// Reads a local image and returns `data:<mime>;base64,<bytes>`.
pub fn data_uri(path: &Path) -> Result<String, ImageSkip> {
    let bytes = std::fs::read(path).map_err(|e| ImageSkip::Unreadable {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    encode(path, &bytes)
}

/// The data URI of an image's bytes. The MIME type comes from the file's magic bytes
/// (extensions lie, and a text file named `x.png` must never go out as a picture); only
/// SVG, which has no signature, is recognised by its extension and its text start.
/// Anything else is refused, as is a URI over the cap.
pub fn encode(path: &Path, bytes: &[u8]) -> Result<String, ImageSkip> {
    if is_lfs_pointer(bytes) {
        return Err(ImageSkip::LfsPointer {
            path: path.display().to_string(),
        });
    }
    let mime = image_mime(path, bytes).ok_or_else(|| ImageSkip::NotImage {
        path: path.display().to_string(),
    })?;
    let prefix = format!("data:{mime};base64,");
    let chars = prefix.len() + bytes.len().div_ceil(3) * 4;
    if chars > MAX_DATA_URI_CHARS {
        return Err(ImageSkip::TooLarge {
            path: path.display().to_string(),
            chars,
        });
    }
    let mut uri = String::with_capacity(chars);
    uri.push_str(&prefix);
    base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut uri);
    Ok(uri)
}

/// The text git leaves in place of a file when the repo was cloned without git-lfs.
const LFS_POINTER_START: &[u8] = b"version https://git-lfs.github.com/spec/v1";

pub(crate) fn is_lfs_pointer(bytes: &[u8]) -> bool {
    bytes.starts_with(LFS_POINTER_START)
}

/// Whether the file at `path` starts like an LFS pointer (reads only its first bytes).
pub fn file_is_lfs_pointer(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; LFS_POINTER_START.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && is_lfs_pointer(&head)
}

/// How many bytes of a file are enough to tell its type (magic bytes, an SVG's prolog).
const SNIFF_BYTES: usize = 4096;

/// Whether a file's first bytes are one picture type's magic bytes.
type Signature = fn(&[u8]) -> bool;

/// The picture types a model server decodes, each known by its magic bytes.
const SIGNATURES: [(&str, Signature); 6] = [
    ("image/png", |b| b.starts_with(b"\x89PNG\r\n\x1a\n")),
    ("image/jpeg", |b| b.starts_with(b"\xff\xd8\xff")),
    ("image/gif", |b| {
        b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a")
    }),
    ("image/webp", |b| {
        b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP")
    }),
    // "BM" alone starts plenty of text; the header's reserved bytes are zero.
    ("image/bmp", |b| {
        b.starts_with(b"BM") && b.get(6..10) == Some(&[0; 4])
    }),
    ("image/tiff", |b| {
        b.starts_with(b"II*\0") || b.starts_with(b"MM\0*")
    }),
];

/// The MIME type of an image file from its first bytes, or `None` when it is not a
/// picture we send. Only the first [`SNIFF_BYTES`] are looked at, so that a check of a
/// file's head (`validate`) and of its whole content (sending it) always agree.
pub(crate) fn image_mime(path: &Path, bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if let Some((mime, _)) = SIGNATURES.iter().find(|(_, matches)| matches(head)) {
        return Some(mime);
    }
    let is_svg_name = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    (is_svg_name && starts_like_svg(head)).then_some("image/svg+xml")
}

/// The MIME type of the image file at `path` (reading only its first bytes), as
/// [`image_mime`]; `None` also when it cannot be read.
pub fn file_image_mime(path: &Path) -> Option<&'static str> {
    use std::io::Read;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    std::fs::File::open(path)
        .ok()?
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .ok()?;
    image_mime(path, &head)
}

/// Whether text starts as an SVG document: after an optional byte-order mark, XML
/// declaration, comments and doctype, the `<svg` element. (SVG has no magic bytes.)
fn starts_like_svg(head: &[u8]) -> bool {
    let mut rest = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    loop {
        rest = rest.trim_ascii_start();
        let skipped = [
            (&b"<?"[..], &b"?>"[..]),
            (b"<!--", b"-->"),
            (b"<!DOCTYPE", b">"),
        ]
        .iter()
        .find(|(open, _)| rest.starts_with(open))
        .and_then(|(_, close)| {
            let end = rest.windows(close.len()).position(|w| w == *close)?;
            Some(&rest[end + close.len()..])
        });
        match skipped {
            Some(after) => rest = after,
            None => break,
        }
    }
    rest.strip_prefix(b"<svg")
        .and_then(|after| after.first())
        .is_some_and(|next| next.is_ascii_whitespace() || matches!(next, b'>' | b'/' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    #[test]
    fn mime_comes_from_magic_bytes() {
        let uri = encode(Path::new("lies.jpg"), PNG_MAGIC).unwrap();
        assert!(
            uri.starts_with("data:image/png;base64,iVBORw0KGgo"),
            "{uri}"
        );
        assert!(
            encode(Path::new("x.svg"), b"<svg/>")
                .unwrap()
                .starts_with("data:image/svg+xml;")
        );
        assert!(matches!(
            encode(Path::new("x.png"), b"%PDF-1.4 ..."),
            Err(ImageSkip::NotImage { .. })
        ));
        assert!(matches!(
            encode(Path::new("x.txt"), b"hello"),
            Err(ImageSkip::NotImage { .. })
        ));
        let pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12\n";
        assert!(matches!(
            encode(Path::new("x.png"), pointer),
            Err(ImageSkip::LfsPointer { .. })
        ));
    }

    /// The `.env` that a link once sent as `data:image/png`: text is never a picture,
    /// whatever its name says.
    #[test]
    fn text_with_a_picture_name_is_not_a_picture() {
        for name in [
            "secret.png",
            "x.jpg",
            "x.gif",
            "x.webp",
            "x.bmp",
            "x.tif",
            "x.svg",
            "x.ico",
        ] {
            assert_eq!(
                encode(Path::new(name), b"PASSWORD=hunter2\n"),
                Err(ImageSkip::NotImage { path: name.into() }),
                "{name}"
            );
        }
        // Text that merely starts like a weak signature.
        for text in [
            &b"BMI 23.5, weight 70 kg"[..],
            b"GIF of the week",
            b"RIFF raff",
        ] {
            assert_eq!(image_mime(Path::new("x.bmp"), text), None, "{text:?}");
        }
    }

    #[test]
    fn every_sent_type_is_known_by_its_magic_bytes() {
        let bmp = b"BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x28\0";
        for (bytes, mime) in [
            (PNG_MAGIC, "image/png"),
            (b"\xff\xd8\xff\xdb\0\x43", "image/jpeg"),
            (b"GIF89a\x01\0\x01\0", "image/gif"),
            (b"GIF87a\x01\0\x01\0", "image/gif"),
            (b"RIFF\x24\0\0\0WEBPVP8 ", "image/webp"),
            (bmp, "image/bmp"),
            (b"II*\0\x08\0\0\0\0\0", "image/tiff"),
            (b"MM\0*\0\0\0\x08\0\0", "image/tiff"),
        ] {
            // The extension plays no part.
            assert_eq!(
                image_mime(Path::new("any.txt"), bytes),
                Some(mime),
                "{mime}"
            );
        }
    }

    #[test]
    fn svg_needs_its_name_and_its_text_start() {
        let svg = |name: &str, text: &str| image_mime(Path::new(name), text.as_bytes());
        assert_eq!(svg("a.svg", "<svg/>"), Some("image/svg+xml"));
        assert_eq!(svg("a.SVG", "<svg xmlns=\"x\">"), Some("image/svg+xml"));
        let prolog = "\u{feff}<?xml version=\"1.0\"?>\n<!-- made by hand -->\n\
                      <!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x.dtd\">\n<svg\nwidth=\"1\">";
        assert_eq!(svg("a.svg", prolog), Some("image/svg+xml"));
        assert_eq!(svg("a.png", "<svg/>"), None, "an SVG only by its name");
        assert_eq!(svg("a.svg", "<svgx/>"), None);
        assert_eq!(svg("a.svg", "<html><svg/></html>"), None);
        assert_eq!(svg("a.svg", "<!-- unclosed <svg/>"), None);
        // Only the head counts, in a whole file as in a file's first bytes.
        let late = format!("<!--{}--><svg/>", " ".repeat(SNIFF_BYTES));
        assert_eq!(svg("a.svg", &late), None);
    }

    #[test]
    fn a_file_is_judged_by_its_head() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("a.png");
        let mut bytes = PNG_MAGIC.to_vec();
        bytes.resize(3 * SNIFF_BYTES, 7);
        std::fs::write(&png, &bytes).unwrap();
        assert_eq!(file_image_mime(&png), Some("image/png"));
        let text = dir.path().join("b.png");
        std::fs::write(&text, "PASSWORD=hunter2\n").unwrap();
        assert_eq!(file_image_mime(&text), None);
        assert_eq!(file_image_mime(&dir.path().join("absent.png")), None);
    }

    #[test]
    fn over_size_uris_are_refused() {
        let mut big = PNG_MAGIC.to_vec();
        big.resize(MAX_DATA_URI_CHARS / 4 * 3, 0);
        assert!(matches!(
            encode(Path::new("a.png"), &big),
            Err(ImageSkip::TooLarge { .. })
        ));
        big.truncate(MAX_DATA_URI_CHARS / 4 * 3 - 30);
        let uri = encode(Path::new("a.png"), &big).unwrap();
        assert!(uri.len() <= MAX_DATA_URI_CHARS);
    }

    #[test]
    fn only_http_urls_are_sent() {
        assert!(is_http_url("https://x/y.png") && is_http_url("http://x"));
        assert!(!is_http_url("ftp://x") && !is_http_url("HTTPS://x") && !is_http_url("x.png"));
    }
}
