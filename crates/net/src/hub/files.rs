//! The files of a config as the listing describes them, the refusal of unsafe paths, and
//! the local check of a file against its listed size and hash.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::bail;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::api::TreeEntry;

/// One file to have locally, with what its bytes must be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteFile {
    /// Path in the repo, `data/<config>/...`; also its path under `--data-dir`.
    pub path: String,
    pub size: u64,
    /// sha256 of the content (LFS files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Git blob id of the content (files stored in git itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) git_oid: Option<String>,
}

/// The repo folder of a config.
pub(crate) fn config_prefix(config: &str) -> String {
    format!("data/{config}/")
}

/// The files of a recursive listing of `data/<config>`, refusing any path that is
/// absolute, climbs with `..`, or lies outside the config: a listing must never make
/// us write anywhere else.
pub(crate) fn from_listing(
    entries: Vec<TreeEntry>,
    config: &str,
) -> anyhow::Result<Vec<RemoteFile>> {
    let prefix = config_prefix(config);
    let mut files = Vec::new();
    for entry in entries {
        if entry.kind != "file" {
            continue;
        }
        check_path(&entry.path, &prefix)?;
        let (size, sha256, git_oid) = match entry.lfs {
            Some(lfs) => (lfs.size, Some(lfs.oid.to_ascii_lowercase()), None),
            None => (entry.size, None, entry.oid.map(|o| o.to_ascii_lowercase())),
        };
        files.push(RemoteFile {
            path: entry.path,
            size,
            sha256,
            git_oid,
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    Ok(files)
}

/// Refuses a listed path that could write outside `prefix` (`data/<config>/`).
pub(crate) fn check_path(path: &str, prefix: &str) -> anyhow::Result<()> {
    let unsafe_part = path.starts_with('/')
        || path.contains('\\')
        || path.chars().any(char::is_control)
        || path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        || (path.len() > 1 && path.as_bytes()[1] == b':');
    if unsafe_part {
        bail!("refused a file path from the Hub listing: {path:?} (absolute, or contains `..`)");
    }
    if !path.starts_with(prefix) {
        bail!("refused a file path from the Hub listing: {path:?} is outside {prefix}");
    }
    Ok(())
}

/// Where a repo file lives under `--data-dir` (the repo's own layout).
pub(crate) fn local_path(data_dir: &Path, file: &RemoteFile) -> PathBuf {
    file.path
        .split('/')
        .fold(data_dir.to_path_buf(), |p, part| p.join(part))
}

/// How a local file compares with its listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Local {
    /// Right size (and right hash, when hashes were checked).
    Complete,
    Missing,
    WrongSize(u64),
    WrongHash,
}

/// Compares a local file with the listing: the size always, the hash when `hash` is set
/// (`--verify`, and every freshly downloaded file before it is renamed).
pub(crate) fn check_local(path: &Path, file: &RemoteFile, hash: bool) -> io::Result<Local> {
    let len = match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => meta.len(),
        Ok(_) => return Ok(Local::Missing),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Local::Missing),
        Err(e) => return Err(e),
    };
    if len != file.size {
        return Ok(Local::WrongSize(len));
    }
    if hash && !content_matches(path, file)? {
        return Ok(Local::WrongHash);
    }
    Ok(Local::Complete)
}

/// The content's sha256 (LFS) or git blob id (`sha1("blob <len>\0" + content)`) equals
/// the listed one; true when the listing gave neither.
fn content_matches(path: &Path, file: &RemoteFile) -> io::Result<bool> {
    if let Some(expected) = &file.sha256 {
        return Ok(&digest_file::<Sha256>(path, None)? == expected);
    }
    if let Some(expected) = &file.git_oid {
        let header = format!("blob {}\0", file.size);
        return Ok(&digest_file::<Sha1>(path, Some(header.as_bytes()))? == expected);
    }
    Ok(true)
}

fn digest_file<D: Digest>(path: &Path, header: Option<&[u8]>) -> io::Result<String> {
    let mut hasher = D::new();
    if let Some(header) = header {
        hasher.update(header);
    }
    let mut reader = File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(liveclin_core::digest::hex(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> TreeEntry {
        TreeEntry {
            kind: "file".into(),
            path: path.into(),
            size: 1,
            oid: None,
            lfs: None,
        }
    }

    #[test]
    fn unsafe_or_foreign_paths_are_refused() {
        for bad in [
            "/etc/passwd",
            "data/demo/../../x",
            "data/demo/./x",
            "data/demo//x",
            "data/demo\\..\\x",
            "C:/x",
            "data/other/x.png",
            "README.md",
        ] {
            assert!(from_listing(vec![entry(bad)], "demo").is_err(), "{bad}");
        }
        let ok = from_listing(vec![entry("data/demo/image/a b.png")], "demo").unwrap();
        assert_eq!(ok[0].path, "data/demo/image/a b.png");
    }

    #[test]
    fn hashes_are_checked_as_git_and_lfs_define_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello\n").unwrap();
        // `git hash-object` of "hello\n", and `sha256sum` of the same bytes.
        let git = RemoteFile {
            path: "data/x/f".into(),
            size: 6,
            sha256: None,
            git_oid: Some("ce013625030ba8dba906f756967f9e9ca394464a".into()),
        };
        let lfs = RemoteFile {
            git_oid: None,
            sha256: Some("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03".into()),
            ..git.clone()
        };
        assert_eq!(check_local(&path, &git, true).unwrap(), Local::Complete);
        assert_eq!(check_local(&path, &lfs, true).unwrap(), Local::Complete);
        std::fs::write(&path, b"hellO\n").unwrap();
        assert_eq!(check_local(&path, &git, false).unwrap(), Local::Complete);
        assert_eq!(check_local(&path, &git, true).unwrap(), Local::WrongHash);
        assert_eq!(check_local(&path, &lfs, true).unwrap(), Local::WrongHash);
        std::fs::write(&path, b"hi").unwrap();
        assert_eq!(
            check_local(&path, &git, false).unwrap(),
            Local::WrongSize(2)
        );
        assert_eq!(
            check_local(&dir.path().join("none"), &git, true).unwrap(),
            Local::Missing
        );
    }
}
