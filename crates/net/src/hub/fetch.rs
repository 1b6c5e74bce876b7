//! One file: bytes go to `<name>.part`, a broken transfer resumes from the bytes already
//! there (HTTP Range), and the file takes its real name only once its size and hash
//! match the listing. A file under its final name is therefore always a whole one.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use indicatif::ProgressBar;
use reqwest::header::{CONTENT_RANGE, HeaderMap};
use reqwest::{StatusCode, Url};
use tokio::fs::{self, OpenOptions};
use tokio::io::AsyncWriteExt;

use super::api::{HubClient, MAX_ATTEMPTS};
use super::files::{Local, RemoteFile, check_local};
use crate::client::retry;

/// Why one attempt did not produce the whole file.
enum Failure {
    /// Worth another attempt: a cut transfer, a mismatch, an unusable range answer.
    Broken(String),
    /// Not: a refusal, a local write error, or retries already exhausted below us.
    Final(anyhow::Error),
}

/// The temporary name a file is written under until it is checked.
pub(crate) fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    dest.with_file_name(name)
}

/// Downloads `file` to `dest`, resuming a `.part` left by an earlier attempt or run.
/// Bytes received are counted on `bar` (and taken back when a part is discarded).
pub(crate) async fn fetch_file(
    client: &HubClient,
    url: &Url,
    file: &RemoteFile,
    dest: &Path,
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    if let Some(dir) = dest.parent() {
        fs::create_dir_all(dir)
            .await
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let part = part_path(dest);
    let mut failures = 0;
    loop {
        let attempt = match fs::metadata(&part).await.map(|m| m.len()) {
            Ok(have) if have >= file.size => Ok(()),
            Ok(have) => transfer(client, url, &part, have, file, bar).await,
            Err(_) => transfer(client, url, &part, 0, file, bar).await,
        };
        let reason = match attempt {
            Ok(()) => match checked(&part, file).await? {
                Local::Complete => {
                    fs::rename(&part, dest).await.with_context(|| {
                        format!("cannot rename {} to {}", part.display(), dest.display())
                    })?;
                    return Ok(());
                }
                mismatch => {
                    discard(&part, bar).await?;
                    format!("the downloaded bytes do not match the listing ({mismatch:?})")
                }
            },
            Err(Failure::Final(err)) => return Err(err),
            Err(Failure::Broken(reason)) => reason,
        };
        failures += 1;
        if failures >= MAX_ATTEMPTS {
            bail!(
                "{}: {reason} (gave up after {MAX_ATTEMPTS} attempts; run again to resume)",
                file.path
            );
        }
        tokio::time::sleep(retry::delay(failures - 1, None)).await;
    }
}

/// One GET from offset `have`, appended to the part (or replacing it when the server
/// sends the whole file). What arrived stays on disk even when the transfer breaks.
async fn transfer(
    client: &HubClient,
    url: &Url,
    part: &Path,
    have: u64,
    file: &RemoteFile,
    bar: &ProgressBar,
) -> Result<(), Failure> {
    let mut resp = client
        .get(url.clone(), have)
        .await
        .map_err(Failure::Final)?;
    let status = resp.status();
    let mut options = OpenOptions::new();
    options.create(true);
    if status == StatusCode::PARTIAL_CONTENT && range_start(resp.headers()) == Some(have) {
        options.append(true);
    } else if status == StatusCode::OK {
        options.write(true).truncate(true);
        bar.dec(have);
    } else if status == StatusCode::PARTIAL_CONTENT || status == StatusCode::RANGE_NOT_SATISFIABLE {
        discard(part, bar).await.map_err(Failure::Final)?;
        return Err(Failure::Broken(format!(
            "the server could not resume at byte {have} (HTTP {status})"
        )));
    } else {
        let what = format!("cannot download {}", file.path);
        return Err(Failure::Final(client.refused(resp, &what).await));
    }
    let mut out = options
        .open(part)
        .await
        .with_context(|| format!("cannot write {}", part.display()))
        .map_err(Failure::Final)?;
    let mut written = have;
    let streamed = loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if let Err(e) = out.write_all(&chunk).await {
                    break Err(Failure::Final(
                        anyhow!(e).context(format!("cannot write {}", part.display())),
                    ));
                }
                written += chunk.len() as u64;
                bar.inc(chunk.len() as u64);
                if written > file.size {
                    break Err(Failure::Broken(format!(
                        "more bytes than the {} listed",
                        file.size
                    )));
                }
            }
            Ok(None) if written < file.size => {
                break Err(Failure::Broken(format!(
                    "the transfer ended at byte {written} of {}",
                    file.size
                )));
            }
            Ok(None) => break Ok(()),
            Err(e) => {
                break Err(Failure::Broken(format!(
                    "the transfer broke at byte {written}: {e}"
                )));
            }
        }
    };
    // Whatever arrived is kept for the next attempt to resume from.
    out.flush()
        .await
        .with_context(|| format!("cannot write {}", part.display()))
        .map_err(Failure::Final)?;
    streamed
}

/// The first byte of a `206` answer, from `Content-Range: bytes <start>-<end>/<size>`.
fn range_start(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(CONTENT_RANGE)?.to_str().ok()?;
    value
        .strip_prefix("bytes ")?
        .split('-')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// Size and hash of a finished part, checked off the async threads.
async fn checked(part: &Path, file: &RemoteFile) -> anyhow::Result<Local> {
    let (part_owned, file_owned) = (part.to_path_buf(), file.clone());
    tokio::task::spawn_blocking(move || check_local(&part_owned, &file_owned, true))
        .await?
        .with_context(|| format!("cannot read {}", part.display()))
}

/// Deletes a part that cannot be used, taking its bytes back off the progress bar.
async fn discard(part: &Path, bar: &ProgressBar) -> anyhow::Result<()> {
    if let Ok(meta) = fs::metadata(part).await {
        bar.dec(meta.len());
        fs::remove_file(part)
            .await
            .with_context(|| format!("cannot delete {}", part.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_name_and_content_range() {
        assert_eq!(
            part_path(Path::new("d/data/x/a.png")),
            PathBuf::from("d/data/x/a.png.part")
        );
        let mut h = HeaderMap::new();
        h.insert(CONTENT_RANGE, "bytes 100-999/1000".parse().unwrap());
        assert_eq!(range_start(&h), Some(100));
        h.insert(CONTENT_RANGE, "bytes */1000".parse().unwrap());
        assert_eq!(range_start(&h), None);
    }
}
