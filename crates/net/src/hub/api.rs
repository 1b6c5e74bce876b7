//! The Hub's HTTP API as the download uses it: revision -> commit, the tree listing
//! (paginated by `Link: rel="next"`), and plain GETs that follow redirects by hand so
//! the token is sent to the Hub's own origin only, never to the CDN it redirects to.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use indicatif::ProgressBar;
use reqwest::header::{HeaderMap, LINK, LOCATION, RANGE};
use reqwest::{Response, StatusCode, Url};
use serde::Deserialize;

use super::Hub;
use super::pause::Pause;
use crate::client::{Secret, retry};

/// Attempts for one request that meets 5xx answers or broken connections.
pub(crate) const MAX_ATTEMPTS: u32 = 8;
/// Attempts when the host cannot even be connected to (no network, wrong HF_ENDPOINT):
/// a few, so an offline machine hears about it in seconds, not minutes.
const MAX_CONNECT_ATTEMPTS: u32 = 3;
/// 429 answers tolerated for one request (each one pauses every worker first).
const MAX_RATE_LIMITED: u32 = 30;
/// The Hub redirects once (to the CDN); a chain this long is a loop.
const MAX_REDIRECTS: usize = 10;
/// Pages of one listing; far above any real config, it only stops a cursor that loops.
const MAX_PAGES: usize = 100_000;
/// How long a request may go unanswered before the user is told the Hub is slow.
const WAITING_NOTICE: Duration = Duration::from_secs(5);

/// One entry of the tree listing. For LFS files `lfs.oid` is the content's sha256 and
/// `oid` the pointer's; for other files `oid` is the git blob id of the content.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TreeEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub path: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub oid: Option<String>,
    #[serde(default)]
    pub lfs: Option<Lfs>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Lfs {
    pub oid: String,
    pub size: u64,
}

#[derive(Deserialize)]
struct RevisionInfo {
    sha: String,
}

/// A connection pool, the settings, and the pause every request waits on.
pub(crate) struct HubClient {
    http: reqwest::Client,
    hub: Hub,
    pause: Pause,
    /// Messages go through the progress bar so they do not tear it.
    bar: ProgressBar,
    /// How long the Hub may stay silent (`super::read_timeout`).
    read_timeout: Duration,
    /// The longest `Retry-After` honoured.
    max_wait: retry::WaitCap,
    /// The token as it is replaced in what the Hub says.
    secret: Secret,
    /// A "waiting for the Hub" line is showing: the other requests stuck with it stay
    /// quiet until one gets an answer.
    waiting_told: AtomicBool,
}

impl HubClient {
    pub(crate) fn new(hub: Hub, bar: ProgressBar) -> anyhow::Result<HubClient> {
        let read_timeout = super::read_timeout()?;
        let http = crate::client::http_builder()
            .user_agent(concat!("liveclin/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(super::CONNECT_TIMEOUT)
            .read_timeout(read_timeout)
            .build()
            .context("cannot build the HTTP client")?;
        Ok(HubClient {
            http,
            secret: Secret::new(hub.token.as_deref().unwrap_or_default()),
            hub,
            pause: Pause::default(),
            bar,
            read_timeout,
            max_wait: retry::WaitCap::new(
                retry::DEFAULT_MAX_WAIT,
                "the longest wait liveclin honours",
            ),
            waiting_told: AtomicBool::new(false),
        })
    }

    pub(crate) fn hub(&self) -> &Hub {
        &self.hub
    }

    pub(crate) fn notice(&self, message: &str) {
        self.bar.suspend(|| eprintln!("{message}"));
    }

    /// The commit the requested revision points to now; every later request uses it,
    /// so a push during the download cannot mix two versions of the data.
    pub(crate) async fn resolve_revision(&self) -> anyhow::Result<String> {
        let url = self.api_url(&["revision", &self.hub.revision]);
        let resp = self.get(url, 0).await?;
        if !resp.status().is_success() {
            let what = format!(
                "cannot resolve revision {:?} of {}",
                self.hub.revision, self.hub.repo
            );
            return Err(self.refused(resp, &what).await);
        }
        let info: RevisionInfo = resp
            .json()
            .await
            .context("the Hub's revision answer is not the expected JSON")?;
        if info.sha.is_empty() || !info.sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!(
                "the Hub answered revision {:?} with a malformed commit id {:?}",
                self.hub.revision,
                info.sha
            );
        }
        Ok(info.sha)
    }

    /// Every entry under `path` at `commit`, all pages; `None` when the path does not exist.
    pub(crate) async fn tree(
        &self,
        commit: &str,
        path: &str,
        recursive: bool,
    ) -> anyhow::Result<Option<Vec<TreeEntry>>> {
        let mut segments = vec!["tree", commit];
        segments.extend(path.split('/'));
        let mut url = self.api_url(&segments);
        if recursive {
            url.query_pairs_mut().append_pair("recursive", "true");
        }
        let mut entries = Vec::new();
        for page in 0.. {
            if page == MAX_PAGES {
                bail!("the listing of {path} did not end after {MAX_PAGES} pages");
            }
            let resp = self.get(url.clone(), 0).await?;
            if resp.status() == StatusCode::NOT_FOUND && page == 0 {
                return Ok(None);
            }
            if !resp.status().is_success() {
                return Err(self
                    .refused(resp, &format!("cannot list {path} of {}", self.hub.repo))
                    .await);
            }
            let next = next_link(resp.headers())
                .map(|link| url.join(&link))
                .transpose()?;
            let items: Vec<TreeEntry> = resp
                .json()
                .await
                .with_context(|| format!("the listing of {path} is not the expected JSON"))?;
            entries.extend(items);
            match next {
                Some(next) if next != url => url = next,
                _ => break,
            }
        }
        Ok(Some(entries))
    }

    /// Where a file of the repo at `commit` is downloaded from.
    pub(crate) fn file_url(&self, commit: &str, path: &str) -> Url {
        let (owner, name) = self.owner_name();
        let mut segments = vec!["datasets", owner, name, "resolve", commit];
        segments.extend(path.split('/'));
        self.url(&segments)
    }

    /// GET with the shared retry rules: waits out any pause; a 429 pauses every worker
    /// for its `Retry-After` (capped); 5xx answers and broken connections are retried
    /// with backoff. A server that accepts the connection but stays silent for the read
    /// timeout ends the request at once: retrying it would only multiply the wait.
    /// Returns the first other answer (success or a refusal to report). `from` > 0 asks
    /// for the bytes from that offset on (resuming a partial file).
    pub(crate) async fn get(&self, url: Url, from: u64) -> anyhow::Result<Response> {
        let mut failures = 0;
        let mut rate_limited = 0;
        loop {
            self.pause.wait().await;
            let answer = self
                .announce_waiting(self.get_following_redirects(url.clone(), from))
                .await;
            let (reason, retry_after) = match answer {
                Ok(resp) if resp.status() == StatusCode::TOO_MANY_REQUESTS => {
                    rate_limited += 1;
                    if rate_limited > MAX_RATE_LIMITED {
                        bail!(
                            "the Hub kept answering 429 (rate limited) for {url}; try again later"
                        );
                    }
                    let wait = self
                        .retry_after(resp.headers())
                        .unwrap_or_else(|| retry::delay(rate_limited - 1, None));
                    if self.pause.pause(wait) {
                        self.notice(&format!(
                            "Hub rate limit (429): pausing all downloads for {:.1} s",
                            wait.as_secs_f64()
                        ));
                    }
                    continue;
                }
                Ok(resp) if resp.status().is_server_error() => (
                    format!("HTTP {}", resp.status()),
                    self.retry_after(resp.headers()),
                ),
                Ok(resp) => return Ok(resp),
                Err(err) if is_unreachable(&err) => {
                    failures += 1;
                    if failures >= MAX_CONNECT_ATTEMPTS {
                        bail!(
                            "cannot reach {} ({err:#}). Without network, use a copy of the data \
                             (--data-dir) with HF_HUB_OFFLINE=1; for a mirror, set HF_ENDPOINT",
                            self.hub.endpoint
                        );
                    }
                    tokio::time::sleep(retry::delay(failures - 1, None)).await;
                    continue;
                }
                Err(err) if is_silent(&err) => bail!(
                    "no answer from {url} within {} s: the server accepted the connection but \
                     sent nothing. Try again later (the download resumes where it stopped), or \
                     set HF_ENDPOINT to a mirror",
                    self.read_timeout.as_secs_f64()
                ),
                Err(err) => (self.secret.redact(&format!("{err:#}")).into_owned(), None),
            };
            failures += 1;
            if failures >= MAX_ATTEMPTS {
                bail!("{url}: {reason} (gave up after {MAX_ATTEMPTS} attempts)");
            }
            tokio::time::sleep(retry::delay(failures - 1, retry_after)).await;
        }
    }

    /// Awaits a request; when it has not answered after `WAITING_NOTICE`, says once on
    /// stderr that liveclin is waiting for the Hub (a silent Hub must not look like a hang).
    async fn announce_waiting<T>(&self, request: impl Future<Output = T>) -> T {
        tokio::pin!(request);
        let answer = tokio::select! {
            answer = &mut request => answer,
            () = tokio::time::sleep(WAITING_NOTICE) => {
                if !self.waiting_told.swap(true, Ordering::Relaxed) {
                    let endpoint = self.hub.endpoint.as_str().trim_end_matches('/');
                    self.notice(&format!("waiting for the Hub ({endpoint}) ..."));
                }
                request.await
            }
        };
        self.waiting_told.store(false, Ordering::Relaxed);
        answer
    }

    /// A `Retry-After` of the Hub's, capped so that an absurd one cannot stall the
    /// download (the first cut is told).
    fn retry_after(&self, headers: &HeaderMap) -> Option<Duration> {
        let (wait, notice) = self.max_wait.cap(retry::retry_after(headers)?);
        if let Some(notice) = notice {
            self.notice(&notice);
        }
        Some(wait)
    }

    /// One GET, following redirects by hand: the token goes only to the Hub's own
    /// origin, and the `Range` goes to every hop (the CDN serves the bytes).
    async fn get_following_redirects(&self, mut url: Url, from: u64) -> anyhow::Result<Response> {
        for _ in 0..MAX_REDIRECTS {
            let mut request = self.http.get(url.clone());
            if from > 0 {
                request = request.header(RANGE, format!("bytes={from}-"));
            }
            if let Some(token) = &self.hub.token
                && same_origin(&url, &self.hub.endpoint)
            {
                request = request.bearer_auth(token);
            }
            let resp = request.send().await?;
            let location = resp.headers().get(LOCATION).and_then(|l| l.to_str().ok());
            match location {
                Some(location) if resp.status().is_redirection() => {
                    url = url
                        .join(location)
                        .with_context(|| format!("bad redirect from {url} to {location:?}"))?;
                }
                _ => return Ok(resp),
            }
        }
        bail!("more than {MAX_REDIRECTS} redirects from {url}")
    }

    /// A refusal (4xx) as an error that says what to do about it.
    pub(crate) async fn refused(&self, resp: Response, what: &str) -> anyhow::Error {
        let status = resp.status();
        let code = resp
            .headers()
            .get("x-error-code")
            .and_then(|c| c.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = resp.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(String::from))
            .unwrap_or(body);
        let message = self.secret.redact(&message);
        let message: String = message.trim().chars().take(300).collect();
        let hub = &self.hub;
        let advice = match status.as_u16() {
            401 if !hub.has_token() => format!(
                "The dataset is gated or private: set HF_TOKEN (or pass --hf-token) to a token with access \
                 (create one at {}/settings/tokens).",
                hub.endpoint.as_str().trim_end_matches('/')
            ),
            401 => {
                "The Hub rejected the token: check HF_TOKEN / --hf-token (mistyped or revoked?)."
                    .into()
            }
            403 => format!(
                "The token has no access to this dataset; if it is gated, accept its conditions at {}.",
                hub.repo_page()
            ),
            404 if code == "RevisionNotFound" => {
                format!("No revision {:?} in {}.", hub.revision, hub.repo)
            }
            404 => format!(
                "Dataset repo {} not found on {} (if it is private, set HF_TOKEN).",
                hub.repo, hub.endpoint
            ),
            _ => String::new(),
        };
        let detail = if message.is_empty() {
            String::new()
        } else {
            format!(" ({message})")
        };
        anyhow!(
            format!("{what}: HTTP {status}{detail}. {advice}")
                .trim_end()
                .to_string()
        )
    }

    fn owner_name(&self) -> (&str, &str) {
        self.hub
            .repo
            .split_once('/')
            .expect("repo checked to be OWNER/NAME")
    }

    fn api_url(&self, tail: &[&str]) -> Url {
        let (owner, name) = self.owner_name();
        let mut segments = vec!["api", "datasets", owner, name];
        segments.extend(tail);
        self.url(&segments)
    }

    /// The endpoint plus percent-encoded path segments (a mirror may live under a path).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.hub.endpoint.clone();
        url.path_segments_mut()
            .expect("an http(s) endpoint has a path")
            .pop_if_empty()
            .extend(segments);
        url
    }
}

/// A failure to connect at all (DNS, refused, unreachable), as opposed to a broken answer.
fn is_unreachable(err: &anyhow::Error) -> bool {
    err.downcast_ref::<reqwest::Error>()
        .is_some_and(reqwest::Error::is_connect)
}

/// A connected server that said nothing for the read timeout.
fn is_silent(err: &anyhow::Error) -> bool {
    err.downcast_ref::<reqwest::Error>()
        .is_some_and(reqwest::Error::is_timeout)
}

/// Scheme, host and port equal: the only hops that may see the token.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The target of `Link: <...>; rel="next"`, if any.
pub(crate) fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|link| {
            let (target, params) = link.trim().strip_prefix('<')?.split_once('>')?;
            params
                .split(';')
                .any(|p| {
                    let p = p.trim().replace(' ', "");
                    p == "rel=\"next\"" || p == "rel=next"
                })
                .then(|| target.to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_link_is_found_among_other_relations() {
        let mut h = HeaderMap::new();
        assert_eq!(next_link(&h), None);
        h.insert(
            LINK,
            "<https://hf.co/api/x?cursor=YQ==&recursive=true>; rel=\"next\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://hf.co/api/x?cursor=YQ==&recursive=true")
        );
        h.insert(
            LINK,
            "</first>; rel=\"first\", </p2>; rel=next".parse().unwrap(),
        );
        assert_eq!(next_link(&h).as_deref(), Some("/p2"));
        h.insert(LINK, "</prev>; rel=\"prev\"".parse().unwrap());
        assert_eq!(next_link(&h), None);
    }

    #[test]
    fn origin_is_scheme_host_and_port() {
        let hub = Url::parse("https://huggingface.co").unwrap();
        assert!(same_origin(
            &hub,
            &Url::parse("https://huggingface.co:443/datasets/x").unwrap()
        ));
        assert!(!same_origin(
            &hub,
            &Url::parse("https://cdn-lfs.huggingface.co/x").unwrap()
        ));
        assert!(!same_origin(
            &hub,
            &Url::parse("http://huggingface.co/x").unwrap()
        ));
        let local = Url::parse("http://127.0.0.1:8080").unwrap();
        assert!(!same_origin(
            &local,
            &Url::parse("http://127.0.0.1:8081/x").unwrap()
        ));
    }

    #[tokio::test]
    async fn a_refusal_echoing_the_token_does_not_leak_it() {
        let token = "hf_echoed_token_0123456789";
        let args = crate::hub::HubSettings {
            token: Some(token.into()),
            ..Default::default()
        };
        let client = HubClient::new(Hub::new(&args).unwrap(), ProgressBar::hidden()).unwrap();
        let body = format!(r#"{{"error":"bad token: Bearer {token}"}}"#);
        let answer = http::Response::builder().status(401).body(body).unwrap();
        let error = client.refused(Response::from(answer), "cannot list").await;
        let error = format!("{error:#}");
        assert!(error.contains("(bad token: Bearer ***)"), "{error}");
        assert!(!error.contains(token), "{error}");
    }
}
