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
    #[error("{path} is not an image file")]
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
/// (extensions lie); the extension is consulted only for formats without a signature
/// such as SVG. Anything that is not `image/*` is refused, as is a URI over the cap.
pub fn encode(path: &Path, bytes: &[u8]) -> Result<String, ImageSkip> {
    if is_lfs_pointer(bytes) {
        return Err(ImageSkip::LfsPointer {
            path: path.display().to_string(),
        });
    }
    let mime = mime_type(path, bytes).ok_or_else(|| ImageSkip::NotImage {
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

pub fn is_lfs_pointer(bytes: &[u8]) -> bool {
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

fn mime_type(path: &Path, bytes: &[u8]) -> Option<&'static str> {
    match infer::get(bytes) {
        Some(kind) if kind.matcher_type() == infer::MatcherType::Image => Some(kind.mime_type()),
        Some(_) => None,
        None => mime_from_extension(path),
    }
}

/// The image types Python's `mimetypes` knows by extension, for files without magic.
fn mime_from_extension(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "gif" => "image/gif",
        "bmp" => "image/bmp",
        "tif" | "tiff" => "image/tiff",
        "svg" => "image/svg+xml",
        "webp" => "image/webp",
        "ico" => "image/vnd.microsoft.icon",
        _ => return None,
    })
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
