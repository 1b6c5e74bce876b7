//! A provider's rate-limit headers (OpenAI's `x-ratelimit-*`), read from every answer
//! so that the engine can pace its calls before the provider answers 429.
//!
//! OpenAI sends, on every answer, 429s included:
//! `x-ratelimit-limit-requests: 5000`, `x-ratelimit-remaining-requests: 4999`,
//! `x-ratelimit-reset-requests: 12ms` and the same three for `-tokens`. A reset is a Go
//! duration (`20ms`, `1s`, `1.5s`, `6m0s`, `1h2m3s`): the time until the budget is back
//! to its full limit. Azure sends `-1` for a limit it does not report: a negative or
//! unreadable value is treated as absent.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;

/// One dimension of a provider's budget (requests or tokens) as one answer stated it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// `x-ratelimit-limit-*`: the full budget.
    pub limit: Option<u64>,
    /// `x-ratelimit-remaining-*`: what is left of it.
    pub remaining: u64,
    /// `x-ratelimit-reset-*`: until the budget is full again.
    pub reset: Duration,
}

/// What one answer said of the endpoint's budgets, and as of when.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    pub requests: Option<Budget>,
    pub tokens: Option<Budget>,
    pub seen: Instant,
}

impl RateLimits {
    /// The budgets an answer's headers state; `None` when it states none (vLLM, SGLang,
    /// llama.cpp send none, so nothing is paced there but by the user's caps).
    pub fn read(headers: &HeaderMap, seen: Instant) -> Option<Self> {
        let limits = RateLimits {
            requests: budget(headers, "requests"),
            tokens: budget(headers, "tokens"),
            seen,
        };
        (limits.requests.is_some() || limits.tokens.is_some()).then_some(limits)
    }
}

fn budget(headers: &HeaderMap, what: &str) -> Option<Budget> {
    let get = |kind: &str| {
        headers
            .get(format!("x-ratelimit-{kind}-{what}"))
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let count = |kind: &str| get(kind).and_then(|v| v.parse::<u64>().ok());
    Some(Budget {
        limit: count("limit"),
        remaining: count("remaining")?,
        reset: get("reset").and_then(go_duration)?,
    })
}

/// The latest budgets an endpoint stated, shared by the calls made to it.
#[derive(Debug, Default)]
pub(crate) struct Latest(Mutex<Option<RateLimits>>);

impl Latest {
    /// Keeps what an answer to a request sent at `sent` states. The budgets are dated
    /// from the sending, not the answer: a provider checks a request against its limit
    /// when it arrives, and the budget refills while the model generates (dated from the
    /// answer, a 30-second reply would make the budget look 30 seconds emptier than it is).
    pub(crate) fn observe(&self, headers: &HeaderMap, sent: Instant) {
        if let Some(limits) = RateLimits::read(headers, sent) {
            let mut latest = self.0.lock().expect("rate-limit lock");
            // An answer to an earlier request that arrives late says less than the last.
            if latest.is_none_or(|last| last.seen <= sent) {
                *latest = Some(limits);
            }
        }
    }

    pub(crate) fn get(&self) -> Option<RateLimits> {
        *self.0.lock().expect("rate-limit lock")
    }
}

/// A Go duration as OpenAI writes its resets: numbers with units `h`, `m`, `s`, `ms`,
/// `us` (or `µs`) and `ns`, e.g. `6m0s`, `1.5s`, `20ms`; a bare number is seconds (as
/// some gateways send). `None` for anything else.
pub fn go_duration(text: &str) -> Option<Duration> {
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let mut rest = text;
    let mut total = 0.0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|&end| end > 0)?;
        let number: f64 = rest[..number_end].parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_end..];
    }
    Duration::try_from_secs_f64(total).ok()
}

/// A duration as OpenAI writes a reset (the mock's headers): `20ms` under a second,
/// `1.5s` under a minute, `6m0s` beyond.
pub(crate) fn write_go_duration(d: Duration) -> String {
    let millis = d.as_millis();
    if millis < 1000 {
        return format!("{millis}ms");
    }
    let seconds = d.as_secs_f64();
    if seconds < 60.0 {
        return format!("{}s", trimmed(seconds));
    }
    let whole = d.as_secs();
    let (h, m) = (whole / 3600, whole % 3600 / 60);
    let s = trimmed(seconds - (h * 3600 + m * 60) as f64);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else {
        format!("{m}m{s}s")
    }
}

/// Seconds with at most three decimals and no trailing zeros: `1.5`, `2`.
fn trimmed(seconds: f64) -> String {
    let text = format!("{seconds:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resets_read_as_openai_writes_them() {
        let ms = Duration::from_millis;
        assert_eq!(go_duration("20ms"), Some(ms(20)));
        assert_eq!(go_duration("1s"), Some(ms(1000)));
        assert_eq!(go_duration("6m0s"), Some(ms(360_000)));
        assert_eq!(go_duration("41.724s"), Some(ms(41_724)));
        assert_eq!(go_duration("1h2m3.5s"), Some(ms(3_723_500)));
        assert_eq!(go_duration("3"), Some(ms(3000)));
        for bad in ["", "s", "5x", "1.2.3s", "-1s", "soon"] {
            assert_eq!(go_duration(bad), None, "{bad}");
        }
        for d in [
            ms(0),
            ms(20),
            ms(999),
            ms(1500),
            ms(59_999),
            ms(360_000),
            ms(3_723_500),
        ] {
            let written = write_go_duration(d);
            assert_eq!(go_duration(&written), Some(d), "{written}");
        }
        assert_eq!(write_go_duration(ms(360_000)), "6m0s");
        assert_eq!(write_go_duration(ms(1500)), "1.5s");
    }

    #[test]
    fn budgets_need_remaining_and_reset_and_ignore_azure_minus_ones() {
        let mut h = HeaderMap::new();
        let now = Instant::now();
        assert_eq!(RateLimits::read(&h, now), None);
        for (k, v) in [
            ("x-ratelimit-limit-tokens", "160000"),
            ("x-ratelimit-remaining-tokens", "159976"),
            ("x-ratelimit-reset-tokens", "9ms"),
            ("x-ratelimit-limit-requests", "-1"),
            ("x-ratelimit-remaining-requests", "-1"),
            ("x-ratelimit-reset-requests", "0"),
        ] {
            h.insert(k, v.parse().unwrap());
        }
        let limits = RateLimits::read(&h, now).unwrap();
        assert_eq!(limits.requests, None);
        assert_eq!(
            limits.tokens,
            Some(Budget {
                limit: Some(160_000),
                remaining: 159_976,
                reset: Duration::from_millis(9)
            })
        );
    }
}
