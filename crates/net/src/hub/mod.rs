//! Dataset download from the Hugging Face Hub, written on reqwest against the Hub's
//! HTTP API: resolve the revision to one commit, list `data/<config>/` with the tree
//! API, fetch each file from `resolve/<commit>/<path>`. Only the requested config is
//! fetched; every file is checked against the listing's size and hash before it takes
//! its final name, so a copy is either complete and exact or visibly unfinished.

mod api;
pub mod download;
mod fetch;
pub mod files;
pub mod pause;
pub mod record;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::Url;

pub use download::{Summary, download};

/// The official dataset repo.
pub const DATASET_REPO: &str = "AQ-MedAI/LiveClin";
/// The Hub, unless `HF_ENDPOINT` says otherwise.
pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";
/// Files fetched at once: enough to hide per-file latency, few enough to stay polite.
pub const DEFAULT_JOBS: u16 = 8;
/// How long a connection to the Hub (or its CDN) may take to open.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the Hub may stay silent (no answer, or no bytes of one) before the request
/// is abandoned; `LIVECLIN_HUB_READ_TIMEOUT` (seconds) overrides it, for tests.
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The environment variable that overrides `READ_TIMEOUT`.
pub(crate) const READ_TIMEOUT_ENV: &str = "LIVECLIN_HUB_READ_TIMEOUT";

/// The Hub's read timeout: `READ_TIMEOUT`, or `LIVECLIN_HUB_READ_TIMEOUT` seconds (1 to
/// 86400) when set; a value out of range is an error, not silently ignored.
pub(crate) fn read_timeout() -> anyhow::Result<Duration> {
    match std::env::var(READ_TIMEOUT_ENV) {
        Ok(text) => crate::client::call_seconds(&text)
            .map_err(|problem| anyhow::anyhow!("{READ_TIMEOUT_ENV}: {problem}")),
        Err(_) => Ok(READ_TIMEOUT),
    }
}

/// Where and how to reach the dataset repo. The token is redacted from `Debug`.
#[derive(Clone)]
pub struct Hub {
    pub endpoint: Url,
    pub repo: String,
    pub revision: String,
    token: Option<String>,
    pub offline: bool,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("endpoint", &self.endpoint.as_str())
            .field("repo", &self.repo)
            .field("revision", &self.revision)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("offline", &self.offline)
            .finish()
    }
}

/// Where the dataset comes from, as the user asked (flags and environment), before it is
/// checked. The token is redacted from `Debug`.
#[derive(Clone)]
pub struct HubSettings {
    /// OWNER/NAME.
    pub repo: String,
    /// A branch, tag or commit.
    pub revision: String,
    /// `--hf-token` or `HF_TOKEN`; the token file `huggingface-cli login` saved is read
    /// when this is absent.
    pub token: Option<String>,
    /// The Hub's address.
    pub endpoint: String,
    pub offline: bool,
}

/// The revision downloaded unless `--revision` says otherwise.
pub const DEFAULT_REVISION: &str = "main";

/// The official repo at its main branch, without a token (the tests' starting point).
#[cfg(test)]
impl Default for HubSettings {
    fn default() -> Self {
        HubSettings {
            repo: DATASET_REPO.into(),
            revision: DEFAULT_REVISION.into(),
            token: None,
            endpoint: DEFAULT_ENDPOINT.into(),
            offline: false,
        }
    }
}

impl fmt::Debug for HubSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubSettings")
            .field("repo", &self.repo)
            .field("revision", &self.revision)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("endpoint", &self.endpoint)
            .field("offline", &self.offline)
            .finish()
    }
}

impl Hub {
    /// Checks the settings and completes them from the environment the Hub's own tools
    /// use: the token file `huggingface-cli login` saved when no token was given;
    /// `HF_HUB_OFFLINE`.
    pub fn new(args: &HubSettings) -> anyhow::Result<Hub> {
        let endpoint = Url::parse(args.endpoint.trim_end_matches('/')).with_context(|| {
            format!(
                "HF_ENDPOINT / --hf-endpoint is not a URL: {:?}",
                args.endpoint
            )
        })?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            bail!(
                "HF_ENDPOINT / --hf-endpoint must be an http(s) URL, got {:?}",
                args.endpoint
            );
        }
        let mut parts = args.repo.split('/');
        if !(parts.next().is_some_and(safe_name)
            && parts.next().is_some_and(safe_name)
            && parts.next().is_none())
        {
            bail!("--hf-repo must be OWNER/NAME, got {:?}", args.repo);
        }
        let token = args
            .token
            .clone()
            .filter(|t| !t.trim().is_empty())
            .or_else(stored_token)
            .map(|t| t.trim().to_string());
        Ok(Hub {
            endpoint,
            repo: args.repo.clone(),
            revision: args.revision.clone(),
            token,
            offline: args.offline || env_offline(),
        })
    }

    pub(crate) fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The repo's page, for messages.
    pub fn repo_page(&self) -> String {
        format!(
            "{}/datasets/{}",
            self.endpoint.as_str().trim_end_matches('/'),
            self.repo
        )
    }
}

/// A repo owner or name, or a config name: one plain path segment.
pub(crate) fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
}

/// `HF_HUB_OFFLINE` as the Hub's Python library reads it (1, ON, YES, TRUE).
fn env_offline() -> bool {
    std::env::var("HF_HUB_OFFLINE").is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_uppercase().as_str(),
            "1" | "ON" | "YES" | "TRUE"
        )
    })
}

/// The token `huggingface-cli login` saved: `$HF_TOKEN_PATH`, else `$HF_HOME/token`,
/// else `$XDG_CACHE_HOME/huggingface/token`, else `~/.cache/huggingface/token`.
fn stored_token() -> Option<String> {
    let env = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let path = env("HF_TOKEN_PATH").or_else(|| {
        let home = env("HF_HOME").or_else(|| {
            env("XDG_CACHE_HOME")
                .or_else(|| env("HOME").map(|h| h.join(".cache")))
                .map(|cache| cache.join("huggingface"))
        })?;
        Some(home.join("token"))
    })?;
    let token = std::fs::read_to_string(path).ok()?;
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_and_repo_names_are_single_plain_segments() {
        for good in ["2025_H1", "demo", "a.b-c"] {
            assert!(safe_name(good), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "a\\b", "x\ny"] {
            assert!(!safe_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn token_is_redacted_from_debug() {
        let args = HubSettings {
            token: Some("hf_secret".into()),
            ..HubSettings::default()
        };
        let hub = Hub::new(&args).unwrap();
        assert!(hub.has_token());
        let shown = format!("{hub:?}");
        assert!(
            !shown.contains("hf_secret") && shown.contains("redacted"),
            "{shown}"
        );
    }
}
