//! The files of a run and what may be done to them: the results file, its journal and
//! its lock, checked before the first call so that no path a user mistypes can replace
//! a device, the dataset or another run's work, and no finished run is overwritten.

mod lock;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

pub use lock::OutputLock;

use liveclin_core::results::sync_dir;

/// The paths of one run's files.
#[derive(Debug, Clone)]
pub struct RunFiles {
    pub output: PathBuf,
    pub journal: PathBuf,
    pub lock: PathBuf,
}

/// What the dataset is made of, which no output may replace.
pub struct Protected<'a> {
    pub jsonl: &'a Path,
    pub image_root: &'a Path,
}

impl RunFiles {
    pub fn new(output: &Path) -> Self {
        let mut lock = output.as_os_str().to_owned();
        lock.push(".lock");
        RunFiles {
            output: output.to_path_buf(),
            journal: journal_path(output),
            lock: PathBuf::from(lock),
        }
    }

    /// Refuses an output that is not a regular file (a FIFO, a device, a folder, a
    /// symbolic link), that names a journal or lock, or that lies on the dataset. Creates
    /// the output's folder, so that a later lock proves it writable.
    pub fn check(&self, protected: &Protected) -> anyhow::Result<()> {
        let name = self.output.to_string_lossy();
        if self.output.file_name().is_none() {
            bail!("--output {name} is not a file name");
        }
        if name.ends_with(".journal.jsonl") || name.ends_with(".lock") {
            bail!(
                "--output {name} looks like the journal or lock of another run; give the results file's name (its journal is written next to it)"
            );
        }
        for (what, path) in [
            ("--output", &self.output),
            ("the journal", &self.journal),
            ("the lock", &self.lock),
        ] {
            regular_or_absent(what, path)?;
        }
        if let Some(dir) = self.output.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("--output: cannot create the folder {}", dir.display()))?;
        }
        let output = canonical(&self.output)?;
        let journal = canonical(&self.journal)?;
        if let Ok(jsonl) = protected.jsonl.canonicalize()
            && (output == jsonl || journal == jsonl)
        {
            bail!(
                "--output {name} would overwrite the dataset {}; give another path",
                protected.jsonl.display()
            );
        }
        if let Ok(images) = protected.image_root.canonicalize()
            && output.starts_with(&images)
        {
            bail!(
                "--output {name} is inside the image folder {}; give a path outside the dataset",
                protected.image_root.display()
            );
        }
        if output.is_file() && is_journal(&output) {
            bail!("--output {name} is the journal of a run, not a results file");
        }
        Ok(())
    }

    /// What an earlier run left at this output: results, a journal, or nothing.
    pub fn earlier_work(&self) -> Option<String> {
        let results = non_empty(&self.output);
        let journal = non_empty(&self.journal);
        match (results, journal) {
            (false, false) => None,
            (true, false) => Some(format!("{} already holds results", self.output.display())),
            (false, true) => Some(format!(
                "{} has the journal of an earlier run ({})",
                self.output.display(),
                self.journal.display()
            )),
            (true, true) => Some(format!(
                "{} already holds results, and the journal of their run ({})",
                self.output.display(),
                self.journal.display()
            )),
        }
    }

    /// Moves the results file and its journal to the first free numbered backup,
    /// `<stem>.backup-N.<ext>` and its journal beside it, so the pair can still be
    /// reported or resumed. Returns the backup's results path.
    pub fn back_up(&self) -> anyhow::Result<PathBuf> {
        let backup = (1..)
            .map(|n| RunFiles::new(&numbered(&self.output, n)))
            .find(|b| !b.output.exists() && !b.journal.exists())
            .expect("some number is free");
        for (from, to) in [
            (&self.output, &backup.output),
            (&self.journal, &backup.journal),
        ] {
            if from.exists() {
                std::fs::rename(from, to).with_context(|| {
                    format!("cannot move {} to {}", from.display(), to.display())
                })?;
            }
        }
        sync_dir(&self.output);
        Ok(backup.output)
    }
}

/// `dir/name.json` -> `dir/name.backup-N.json` (no extension: `name.backup-N`).
fn numbered(output: &Path, n: u32) -> PathBuf {
    let stem = output.file_stem().unwrap_or_default().to_string_lossy();
    let name = match output.extension() {
        Some(ext) => format!("{stem}.backup-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}.backup-{n}"),
    };
    output.with_file_name(name)
}

fn regular_or_absent(what: &str, path: &Path) -> anyhow::Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let is = if kind.is_dir() {
        "a folder"
    } else if kind.is_symlink() {
        "a symbolic link (give the path of the file itself)"
    } else {
        special_kind(&kind)
    };
    bail!(
        "{what} {} is {is}, not a regular file; results are written only to regular files",
        path.display()
    )
}

#[cfg(unix)]
fn special_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::FileType) -> &'static str {
    "not a regular file"
}

/// The absolute path of a file that may not exist yet (its folder must).
fn canonical(path: &Path) -> anyhow::Result<PathBuf> {
    if let Ok(full) = path.canonicalize() {
        return Ok(full);
    }
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir.to_path_buf(),
        None => PathBuf::from("."),
    };
    let dir = dir
        .canonicalize()
        .with_context(|| format!("cannot resolve the folder {}", dir.display()))?;
    Ok(dir.join(path.file_name().unwrap_or_default()))
}

fn non_empty(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() > 0)
}

/// Where the journal of a results file lives.
pub fn journal_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".journal.jsonl");
    output.with_file_name(name)
}

/// Whether a file starts as a liveclin journal does.
fn is_journal(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 32];
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let n = file.read(&mut head).unwrap_or(0);
    String::from_utf8_lossy(&head[..n]).starts_with("{\"liveclin_journal\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_are_numbered_and_keep_the_journal_beside_its_results() {
        let dir = tempfile::tempdir().unwrap();
        let files = RunFiles::new(&dir.path().join("run.json"));
        for round in 1..=2 {
            std::fs::write(&files.output, format!("results {round}")).unwrap();
            std::fs::write(&files.journal, format!("journal {round}")).unwrap();
            assert!(files.earlier_work().is_some());
            let backup = files.back_up().unwrap();
            assert_eq!(backup, dir.path().join(format!("run.backup-{round}.json")));
            let journal = dir
                .path()
                .join(format!("run.backup-{round}.json.journal.jsonl"));
            assert_eq!(
                std::fs::read_to_string(journal).unwrap(),
                format!("journal {round}")
            );
            assert!(files.earlier_work().is_none());
        }
        assert_eq!(numbered(Path::new("out"), 3), Path::new("out.backup-3"));
    }

    #[cfg(unix)]
    #[test]
    fn special_files_and_the_dataset_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let jsonl = dir.path().join("demo.jsonl");
        std::fs::write(&jsonl, "{}\n").unwrap();
        let images = dir.path().join("image");
        std::fs::create_dir(&images).unwrap();
        let protected = Protected {
            jsonl: &jsonl,
            image_root: &images,
        };
        let refused = |output: &Path| {
            RunFiles::new(output)
                .check(&protected)
                .unwrap_err()
                .to_string()
        };
        assert!(refused(Path::new("/dev/null")).contains("a device"));
        assert!(refused(&jsonl).contains("would overwrite the dataset"));
        assert!(refused(&images.join("x.json")).contains("inside the image folder"));
        assert!(refused(&dir.path().join("a.json.journal.jsonl")).contains("journal or lock"));
        assert!(refused(dir.path()).contains("a folder"));
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(refused(&fifo).contains("a FIFO"));
        RunFiles::new(&dir.path().join("new/run.json"))
            .check(&protected)
            .unwrap();
    }
}
