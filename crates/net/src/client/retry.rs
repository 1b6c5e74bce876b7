//! One retry policy for every layer: exponential backoff with jitter between 1 s and
//! 60 s, and a server's `Retry-After` honoured instead, up to a cap (`--max-wait`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// The longest backoff between two attempts.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The longest `Retry-After` honoured unless `evaluate --max-wait` says otherwise: a
/// server asking for hours (or 1e20 s) must not park a run forever.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(600);

/// How long to wait before attempt `attempt + 1` (0-based `attempt` just failed):
/// the server's `Retry-After` when it gave one, else 2^attempt seconds capped at 60,
/// with jitter (a random point in the upper half), never under 1 s.
pub fn delay(attempt: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(wait) = retry_after {
        return wait;
    }
    let base = Duration::from_secs(1u64 << attempt.min(6)).min(MAX_BACKOFF);
    let jitter = 0.5 + fastrand::f64() * 0.5;
    base.mul_f64(jitter).max(Duration::from_secs(1))
}

/// `Retry-After` as seconds (`"3"`, `"1.5"`) or an HTTP date. A number too large for a
/// `Duration` (`1e20`) reads as the longest one, for the cap to cut down; it must not
/// panic, as `Duration::from_secs_f64` would.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        if !(seconds.is_finite() && seconds >= 0.0) {
            return None;
        }
        return Some(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The longest `Retry-After` honoured. Clones share one "already said" flag, so a run
/// with many clients says once that a server asked for more (not once per request).
#[derive(Debug, Clone)]
pub struct WaitCap {
    limit: Duration,
    /// Names the setting in the notice (e.g. `--max-wait`), so the user knows what to change.
    setting: &'static str,
    told: Arc<AtomicBool>,
}

impl WaitCap {
    pub fn new(limit: Duration, setting: &'static str) -> Self {
        WaitCap {
            limit,
            setting,
            told: Arc::default(),
        }
    }

    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// The wait to honour for a server's `asked` one: `asked`, or the cap when it is
    /// longer. The first time the cap cuts a wait, also the line saying so (for stderr).
    pub fn cap(&self, asked: Duration) -> (Duration, Option<String>) {
        if asked <= self.limit {
            return (asked, None);
        }
        let first = !self.told.swap(true, Ordering::Relaxed);
        let notice = first.then(|| {
            format!(
                "the server asked to wait {} before retrying (Retry-After); liveclin waits {} instead ({})",
                shown(asked),
                shown(self.limit),
                self.setting
            )
        });
        (self.limit, notice)
    }
}

/// A wait as a notice shows it, in whole seconds; a `Retry-After` too long for a
/// `Duration` (`1e20`) was read as the longest one, so it shows as "more than" that.
fn shown(wait: Duration) -> String {
    if wait == Duration::MAX {
        format!("more than {} s", u64::MAX)
    } else {
        format!("{:.0} s", wait.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_between_bounds() {
        for attempt in 0..10 {
            let d = delay(attempt, None);
            let base = Duration::from_secs(1u64 << attempt.min(6)).min(MAX_BACKOFF);
            assert!(d >= Duration::from_secs(1) && d <= base, "{attempt}: {d:?}");
            assert!(d >= base / 2);
        }
        assert_eq!(
            delay(3, Some(Duration::from_millis(1500))),
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn retry_after_in_seconds_or_http_date() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, "0.25".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        h.insert(RETRY_AFTER, later.parse().unwrap());
        let wait = retry_after(&h).unwrap();
        assert!(
            wait > Duration::from_secs(27) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn absurd_retry_after_reads_as_the_longest_wait_without_panicking() {
        let mut h = HeaderMap::new();
        for absurd in ["1e20", "1e300", "18446744073709551616"] {
            h.insert(RETRY_AFTER, absurd.parse().unwrap());
            assert_eq!(retry_after(&h), Some(Duration::MAX), "{absurd}");
        }
        for refused in ["-1", "NaN", "inf"] {
            h.insert(RETRY_AFTER, refused.parse().unwrap());
            assert_eq!(retry_after(&h), None, "{refused}");
        }
    }

    #[test]
    fn the_cap_cuts_long_waits_and_says_so_once_per_run() {
        let cap = WaitCap::new(Duration::from_secs(600), "--max-wait");
        let shared = cap.clone();
        assert_eq!(
            cap.cap(Duration::from_secs(5)),
            (Duration::from_secs(5), None)
        );
        let (wait, notice) = cap.cap(Duration::MAX);
        assert_eq!(wait, Duration::from_secs(600));
        let notice = notice.expect("the first cut is told");
        assert!(
            notice.contains("asked to wait more than 18446744073709551615 s")
                && notice.contains("waits 600 s instead (--max-wait)"),
            "{notice}"
        );
        assert_eq!(
            shared.cap(Duration::from_secs(601)),
            (Duration::from_secs(600), None)
        );
    }
}
