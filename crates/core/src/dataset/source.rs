//! Where a config's files came from (a download's record, `data/<config>/.liveclin-source.json`),
//! as `validate` shows it. The record itself is read and written by the Hub download.

use serde::{Deserialize, Serialize};

/// Where the data came from; what `validate` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub repo: String,
    /// The revision asked for (a branch, tag or commit).
    pub revision: String,
    /// The commit every file came from.
    pub commit: String,
    pub endpoint: String,
    pub config: String,
    /// False from the moment files start arriving until every one has been checked.
    pub complete: bool,
    /// When the record was last written (UTC, RFC 3339).
    pub updated_at: String,
    pub file_count: usize,
    pub total_bytes: u64,
}

impl Source {
    /// One line for people: repo, commit, revision, state.
    pub fn describe(&self) -> String {
        let state = if self.complete {
            "complete"
        } else {
            "INCOMPLETE: run `liveclin download` to finish"
        };
        format!(
            "{} at commit {} (revision {}, {}), {} files, {}, {}",
            self.repo,
            self.commit,
            self.revision,
            self.endpoint,
            self.file_count,
            self.updated_at,
            state
        )
    }
}
