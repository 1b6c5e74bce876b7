//! The append-only journal: every finished turn, flushed and fsync'd, so that a crash,
//! Ctrl-C or `kill -9` loses at most the turns in flight.
//!
//! Format (JSON Lines, `<output>.journal.jsonl`): a header line
//! `{"liveclin_journal": 1, "meta": {...}}` at the start of every run that writes to it,
//! then one line per finished turn: `{"case_id": "...", "mcq": {<MCQ record>}}`. A later
//! line for the same case and position replaces an earlier one (a retried question).
//! Batch mode adds `{"batch": {"event": ...}}` lines: the ids of its files and batches,
//! written and fsync'd the moment they exist (`batch::Event`).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};

use super::stop::{Stop, StopReason};
use liveclin_core::results::McqRecord;

pub(crate) const JOURNAL_VERSION: u64 = 1;

/// What the writer thread is sent.
enum Message {
    Line(String),
    /// Write everything sent before, fsync, then answer.
    Flush(mpsc::Sender<()>),
}

/// Writes journal lines on a thread of its own. Lines that arrive while a write is under
/// way are written together and made durable with one fsync (group commit), so a run of
/// many cases in flight does not wait on the disk once per turn.
///
/// When a write fails (a full disk, a lost mount) the writer stops the run at once: no
/// further call is paid for whose answer could not be kept.
pub struct Journal {
    /// Shared with the flush handles; `close` empties it so the writer sees the end.
    tx: Shared,
    writer: Option<JoinHandle<()>>,
    failure: Arc<Mutex<Option<std::io::Error>>>,
    path: PathBuf,
}

type Shared = Arc<Mutex<Option<mpsc::Sender<Message>>>>;

/// A handle that makes the journal durable from elsewhere (a second Ctrl-C). It does not
/// keep the journal open: after `close` a flush has nothing to do.
#[derive(Clone)]
pub struct JournalFlush(Shared);

impl JournalFlush {
    /// Waits (at most `limit`) until every line sent so far is on disk.
    pub fn flush(&self, limit: Duration) {
        let (done, wait) = mpsc::channel();
        if send(&self.0, Message::Flush(done)) {
            let _ = wait.recv_timeout(limit);
        }
    }
}

/// Sends to the writer unless the journal is closed; whether it was sent.
fn send(tx: &Shared, message: Message) -> bool {
    let tx = tx.lock().expect("journal sender lock");
    tx.as_ref().is_some_and(|tx| tx.send(message).is_ok())
}

impl Journal {
    /// Opens the journal for appending (`fresh` starts a new file) and writes a header.
    /// A last line cut short by a crash is cut off first (and said), so that this run's
    /// lines start on a line of their own.
    pub fn open(path: &Path, meta: &Value, fresh: bool, stop: Arc<Stop>) -> anyhow::Result<Self> {
        let mut file = OpenOptions::new()
            .create(true)
            .append(!fresh)
            .write(true)
            .read(true)
            .truncate(fresh)
            .open(path)
            .with_context(|| format!("cannot open the journal {}", path.display()))?;
        let cut = cut_torn_tail(&mut file)
            .with_context(|| format!("cannot repair the journal {}", path.display()))?;
        if cut > 0 {
            eprintln!(
                "The journal {} ended in an unfinished line ({cut} bytes, a turn being written when the run was killed): cut off; that turn is asked again",
                path.display()
            );
        }
        let (tx, rx) = mpsc::channel::<Message>();
        let failure = Arc::new(Mutex::new(None));
        let writer = {
            let failure = failure.clone();
            std::thread::spawn(move || {
                if let Err(e) = write_lines(file, rx) {
                    *failure.lock().expect("journal failure lock") = Some(e);
                    stop.trigger(StopReason::JournalFailed);
                }
            })
        };
        let journal = Journal {
            tx: Arc::new(Mutex::new(Some(tx))),
            writer: Some(writer),
            failure,
            path: path.to_path_buf(),
        };
        journal.send(json!({"liveclin_journal": JOURNAL_VERSION, "meta": meta}));
        Ok(journal)
    }

    /// Records a batch-mode event and waits until it is on disk: an id the server gave
    /// must survive a kill that comes right after.
    pub(crate) fn record_batch(&self, event: &super::batch::Event) {
        self.send(json!({ "batch": event }));
        self.flusher().flush(Duration::from_secs(60));
    }

    /// Records one finished turn.
    pub fn record(&self, case_id: &str, mcq: &McqRecord) {
        self.send(json!({"case_id": case_id, "mcq": mcq}));
    }

    fn send(&self, line: Value) {
        // After a write failure the writer is gone and the run is stopping; the line is
        // in the case's record, which reaches the results file.
        send(&self.tx, Message::Line(line.to_string()));
    }

    pub fn flusher(&self) -> JournalFlush {
        JournalFlush(self.tx.clone())
    }

    /// Writes what is pending, fsyncs and closes; the error names the file.
    pub fn close(mut self) -> anyhow::Result<()> {
        self.tx.lock().expect("journal sender lock").take();
        if let Some(writer) = self.writer.take()
            && writer.join().is_err()
        {
            bail!(
                "the writer of the journal {} stopped unexpectedly",
                self.path.display()
            );
        }
        match self.failure.lock().expect("journal failure lock").take() {
            Some(e) => {
                Err(e).with_context(|| format!("cannot write the journal {}", self.path.display()))
            }
            None => Ok(()),
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// Cuts a file back to its last complete line; returns the bytes cut.
fn cut_torn_tail(file: &mut File) -> std::io::Result<u64> {
    let len = file.metadata()?.len();
    let mut at = len;
    let mut chunk = vec![0u8; 64 * 1024];
    while at > 0 {
        let start = at.saturating_sub(chunk.len() as u64);
        let part = &mut chunk[..(at - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(part)?;
        if let Some(newline) = part.iter().rposition(|b| *b == b'\n') {
            at = start + newline as u64 + 1;
            break;
        }
        at = start;
    }
    if at < len {
        file.set_len(at)?;
        file.sync_data()?;
    }
    Ok(len - at)
}

fn write_lines(file: File, rx: mpsc::Receiver<Message>) -> std::io::Result<()> {
    let mut out = file;
    let mut batch = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut flushed = Vec::new();
        for message in std::iter::once(first).chain(std::iter::from_fn(|| rx.try_recv().ok())) {
            match message {
                Message::Line(line) => {
                    batch.extend_from_slice(line.as_bytes());
                    batch.push(b'\n');
                }
                Message::Flush(done) => flushed.push(done),
            }
        }
        // One write per batch: a line and its newline never go to the disk apart.
        out.write_all(&batch)?;
        out.sync_data()?;
        batch.clear();
        for done in flushed {
            let _ = done.send(());
        }
    }
    Ok(())
}

/// What a journal holds: the `meta` of every run that wrote to it, and every turn.
#[derive(Debug, Default)]
pub struct Contents {
    pub(crate) metas: Vec<Map<String, Value>>,
    /// (case id, record), in file order.
    pub turns: Vec<(String, McqRecord)>,
    /// Batch mode's events, in file order.
    pub batch: Vec<super::batch::Event>,
}

/// Reads a journal. A last line cut short by a crash is ignored, and so is a line cut
/// short by a crash that an older version then wrote its header onto; any other
/// unreadable line is an error naming it.
pub fn read(path: &Path) -> anyhow::Result<Contents> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    // A line torn by a crash may end inside a UTF-8 character: lines are decoded one by
    // one, and only the torn last line may fail.
    let torn_tail = !bytes.ends_with(b"\n");
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let mut contents = Contents::default();
    for (i, raw) in lines.iter().enumerate() {
        let at = || format!("{}:{}", path.display(), i + 1);
        let last = i + 1 == lines.len();
        let line = match std::str::from_utf8(raw) {
            Ok(line) => line,
            Err(_) if last && torn_tail => break,
            Err(e) => bail!("{}: not UTF-8 text: {e}", at()),
        };
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(_) if last && torn_tail => break,
            Err(e) => match line.find(HEADER_START).filter(|p| *p > 0) {
                Some(p) => serde_json::from_str(&line[p..])
                    .with_context(|| format!("{}: not a journal line", at()))?,
                None => bail!("{}: not a journal line: {e}", at()),
            },
        };
        if let Some(version) = value.get("liveclin_journal") {
            if version.as_u64() != Some(JOURNAL_VERSION) {
                bail!("{}: journal version {version} is not supported", at());
            }
            if let Some(Value::Object(meta)) = value.get("meta") {
                contents.metas.push(meta.clone());
            }
            continue;
        }
        if let Some(event) = value.get("batch") {
            let event = serde_json::from_value(event.clone())
                .with_context(|| format!("{}: not a batch event", at()))?;
            contents.batch.push(event);
            continue;
        }
        let (Some(case_id), Some(mcq)) = (value["case_id"].as_str(), value.get("mcq")) else {
            bail!("{}: not a journal line", at());
        };
        let mcq: McqRecord = serde_json::from_value(mcq.clone())
            .with_context(|| format!("{}: not an MCQ record", at()))?;
        if mcq.index().is_none() {
            bail!("{}: the MCQ record has no mcq_index", at());
        }
        contents.turns.push((case_id.to_string(), mcq));
    }
    Ok(contents)
}

/// How every header line starts.
const HEADER_START: &str = "{\"liveclin_journal\":";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runfiles::journal_path;

    fn mcq() -> McqRecord {
        McqRecord {
            mcq_index: json!(0),
            model_response: json!("\\boxed{A}"),
            ..Default::default()
        }
    }

    fn open(path: &Path, fresh: bool) -> Journal {
        Journal::open(path, &json!({"model": "m"}), fresh, Arc::default()).unwrap()
    }

    fn ids(path: &Path) -> Vec<String> {
        read(path)
            .unwrap()
            .turns
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }

    #[test]
    fn lines_written_are_read_back_with_every_run_s_meta() {
        let dir = tempfile::tempdir().unwrap();
        let path = journal_path(&dir.path().join("run.json"));
        assert!(path.ends_with("run.json.journal.jsonl"));
        let journal = open(&path, true);
        journal.record("c1", &mcq());
        journal.record("c2", &mcq());
        journal.close().unwrap();
        let journal = open(&path, false);
        journal.record("c3", &mcq());
        journal.close().unwrap();
        let contents = read(&path).unwrap();
        assert_eq!(contents.metas.len(), 2);
        assert_eq!(contents.metas[1]["model"], "m");
        assert_eq!(ids(&path), ["c1", "c2", "c3"]);
        assert_eq!(contents.turns[0].1.model_response, "\\boxed{A}");
        std::fs::write(&path, "garbage\n{}\n").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains(":1: not a journal line"), "{err}");
    }

    #[test]
    fn a_torn_last_line_is_ignored_then_cut_before_the_next_run_appends() {
        let dir = tempfile::tempdir().unwrap();
        let path = journal_path(&dir.path().join("run.json"));
        let journal = open(&path, true);
        journal.record("c1", &mcq());
        journal.close().unwrap();
        let whole = std::fs::read(&path).unwrap();
        let mut torn = whole.clone();
        torn.extend_from_slice(b"{\"case_id\": \"c2\", \"mc");
        std::fs::write(&path, &torn).unwrap();
        assert_eq!(ids(&path), ["c1"]);
        let journal = open(&path, false);
        journal.record("c3", &mcq());
        journal.close().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(std::str::from_utf8(&whole).unwrap()));
        assert!(!text.contains("\"mc{"), "{text}");
        assert_eq!(ids(&path), ["c1", "c3"]);
        // A journal an older version damaged (its header written onto a torn line).
        let mut damaged = whole.clone();
        damaged
            .extend_from_slice(b"{\"case_id\": \"c2\", \"mc{\"liveclin_journal\":1,\"meta\":{}}\n");
        std::fs::write(&path, &damaged).unwrap();
        assert_eq!(read(&path).unwrap().metas.len(), 2);
        assert_eq!(ids(&path), ["c1"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_failed_write_stops_the_run_and_names_the_file() {
        let stop: Arc<Stop> = Arc::default();
        // /dev/full fails every write with ENOSPC, as a full disk does.
        let journal =
            Journal::open(Path::new("/dev/full"), &json!({}), false, stop.clone()).unwrap();
        journal.record("c1", &mcq());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !stop.is_set() {
            assert!(
                std::time::Instant::now() < deadline,
                "the run was not stopped"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(stop.reason(), Some(StopReason::JournalFailed));
        let err = format!("{:#}", journal.close().unwrap_err());
        assert!(
            err.contains("/dev/full") && err.contains("No space left"),
            "{err}"
        );
    }

    #[test]
    fn a_flush_returns_once_every_line_sent_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = journal_path(&dir.path().join("run.json"));
        let journal = open(&path, true);
        for _ in 0..100 {
            journal.record("c", &mcq());
        }
        let flusher = journal.flusher();
        flusher.flush(Duration::from_secs(10));
        assert_eq!(ids(&path).len(), 100);
        // A handle left over does not keep the journal open.
        journal.close().unwrap();
        flusher.flush(Duration::from_secs(10));
    }
}
