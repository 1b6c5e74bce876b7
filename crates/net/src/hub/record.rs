//! The record kept next to downloaded data (`data/<config>/.liveclin-source.json`): which
//! repo and commit the files came from, the listing they were checked against, and
//! whether the download finished. An unfinished record makes the next command resume
//! the download instead of running on half the data.

use std::path::{Path, PathBuf};

use anyhow::Context;
use liveclin_core::timestamp::Timestamp;
use serde::{Deserialize, Serialize};

use super::files::RemoteFile;
pub use liveclin_core::dataset::source::Source;

pub(crate) const RECORD_FILE: &str = ".liveclin-source.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceRecord {
    #[serde(flatten)]
    pub source: Source,
    pub files: Vec<RemoteFile>,
}

impl SourceRecord {
    pub fn path(config_dir: &Path) -> PathBuf {
        config_dir.join(RECORD_FILE)
    }

    /// The record in `config_dir`, if the data there was downloaded by liveclin.
    pub fn read(config_dir: &Path) -> anyhow::Result<Option<SourceRecord>> {
        let path = Self::path(config_dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let record = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a download record (delete it to download again)",
                path.display()
            )
        })?;
        Ok(Some(record))
    }

    /// Writes the record atomically (temp file + rename), stamped with the time.
    pub fn write(&mut self, config_dir: &Path, complete: bool) -> anyhow::Result<()> {
        self.source.complete = complete;
        self.source.updated_at = Timestamp::now().rfc3339_seconds();
        self.source.file_count = self.files.len();
        self.source.total_bytes = self.files.iter().map(|f| f.size).sum();
        std::fs::create_dir_all(config_dir)
            .with_context(|| format!("cannot create {}", config_dir.display()))?;
        let path = Self::path(config_dir);
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
}
