//! One run per output at a time: `<output>.lock`, held with `flock` for the whole run.
//!
//! The kernel drops an flock when its holder dies however it dies (SIGKILL, OOM, a node
//! reboot), so a lock left behind by a dead run is simply free and is taken over; the
//! file's text (the holder's PID and host) only serves the messages.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// The held lock; dropping it removes the lock file and releases the lock.
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
    file: File,
}

/// Who holds (or held) a lock, as its file says.
fn holder(text: &str) -> Option<String> {
    let mut words = text.split_whitespace();
    let pid = words.next()?.parse::<u32>().ok()?;
    Some(match words.next() {
        Some(host) => format!("PID {pid} on {host}"),
        None => format!("PID {pid}"),
    })
}

fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "this machine".into())
}

impl OutputLock {
    /// Takes the lock of `output`, refusing when another live run holds it.
    pub fn acquire(lock_path: &Path, output: &Path) -> anyhow::Result<Self> {
        loop {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(lock_path)
                .with_context(|| {
                    format!(
                        "cannot create the lock file {} (is its folder writable?)",
                        lock_path.display()
                    )
                })?;
            let mut previous = String::new();
            // An unreadable lock file only loses the name of its holder.
            let _ = file.read_to_string(&mut previous);
            if !try_lock(&file)? {
                let who = holder(&previous).unwrap_or_else(|| "another process".into());
                bail!(
                    "another liveclin run ({who}) is writing {}; wait for it to finish, or give this run another --output",
                    output.display()
                );
            }
            // The holder before us may have removed the file between our open and our
            // lock; then we hold a lock on a file nobody else will see: start again.
            if !same_file(&file, lock_path) {
                continue;
            }
            if let Some(who) = holder(&previous) {
                eprintln!(
                    "Taking over the lock of {} left by {who}, which is no longer running",
                    output.display()
                );
            }
            file.set_len(0)?;
            file.rewind()?;
            writeln!(file, "{} {}", std::process::id(), host())?;
            file.sync_all()?;
            return Ok(OutputLock {
                path: lock_path.to_path_buf(),
                file,
            });
        }
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // Removed while still locked, so a run waiting to start sees either our lock or
        // no file, never a file it could lock while we still write.
        let _ = std::fs::remove_file(&self.path);
        let _ = &self.file;
    }
}

#[cfg(unix)]
fn try_lock(file: &File) -> anyhow::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a file descriptor we own; no memory is involved.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        return Ok(false);
    }
    Err(err).context("cannot lock the output")
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn try_lock(file: &File) -> anyhow::Result<bool> {
    Ok(file.try_lock().is_ok())
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_named_and_a_dead_one_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("run.json");
        let lock_path = dir.path().join("run.json.lock");
        let first = OutputLock::acquire(&lock_path, &output).unwrap();
        let err = OutputLock::acquire(&lock_path, &output)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(&format!("PID {}", std::process::id())),
            "{err}"
        );
        drop(first);
        assert!(!lock_path.exists(), "the lock file is removed on release");
        // A lock file whose holder died (its flock went with it) is taken over.
        std::fs::write(&lock_path, "999999999 elsewhere\n").unwrap();
        let taken = OutputLock::acquire(&lock_path, &output).unwrap();
        let text = std::fs::read_to_string(&lock_path).unwrap();
        assert!(text.starts_with(&std::process::id().to_string()), "{text}");
        drop(taken);
    }
}
