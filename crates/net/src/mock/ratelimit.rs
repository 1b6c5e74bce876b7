//! The mock as a rate-limited provider: a requests and a tokens budget, stated on every
//! answer in OpenAI's `x-ratelimit-*` headers, and a 429 with `Retry-After` for a
//! request that does not fit, as OpenAI answers.
//!
//! Each budget is a bucket that holds the limit and refills continuously over the
//! window (a minute, as OpenAI's; a test shortens the window so that a run takes
//! seconds, the headers keeping OpenAI's format). A request costs one request, and its
//! prompt tokens as the mock bills them (`usage`) plus its `max_tokens`, as OpenAI
//! counts a request against its tokens-per-minute limit when it arrives. A refused
//! request costs nothing.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use serde_json::Value;

use liveclin_core::cost::tokens::Counter;

use super::{Mock, error, usage};
use crate::client::ratelimit::write_go_duration;
use crate::httpd::Response;

/// The limits the mock enforces.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests per window.
    pub requests: Option<u64>,
    /// Tokens per window.
    pub tokens: Option<u64>,
    /// What the limits are per.
    pub window: Duration,
}

pub(super) struct Limiter {
    buckets: Mutex<[Option<Bucket>; 2]>,
}

/// One budget: `level` of `limit` left at `at`, refilling at `rate` a second.
struct Bucket {
    name: &'static str,
    limit: f64,
    rate: f64,
    level: f64,
    at: Instant,
}

impl Bucket {
    fn new(name: &'static str, limit: u64, window: Duration, now: Instant) -> Self {
        let limit = limit as f64;
        Bucket {
            name,
            limit,
            rate: limit / window.as_secs_f64().max(1e-3),
            level: limit,
            at: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level + self.rate * elapsed).min(self.limit);
        self.at = now;
    }

    /// How long until a request of `cost` fits (a cost above the limit fits a full
    /// bucket).
    fn short_by(&self, cost: f64) -> Duration {
        let missing = cost.min(self.limit) - self.level;
        Duration::from_secs_f64((missing / self.rate).max(0.0))
    }

    fn headers(&self, headers: &mut HeaderMap) {
        let reset = Duration::from_secs_f64(((self.limit - self.level) / self.rate).max(0.0));
        let values = [
            ("limit", (self.limit as u64).to_string()),
            (
                "remaining",
                (self.level.max(0.0).floor() as u64).to_string(),
            ),
            ("reset", write_go_duration(reset)),
        ];
        for (kind, value) in values {
            let name = format!("x-ratelimit-{kind}-{}", self.name);
            headers.insert(
                HeaderName::try_from(name).expect("a valid header name"),
                HeaderValue::try_from(value).expect("a valid header value"),
            );
        }
    }
}

impl Limiter {
    pub(super) fn new(limit: RateLimit) -> Self {
        let now = Instant::now();
        let bucket = |name, n: Option<u64>| n.map(|n| Bucket::new(name, n, limit.window, now));
        Limiter {
            buckets: Mutex::new([
                bucket("requests", limit.requests),
                bucket("tokens", limit.tokens),
            ]),
        }
    }

    /// Takes a request of `tokens` from the budgets, or says how long until it fits;
    /// either way, with the headers stating the budgets.
    fn take(&self, tokens: u64) -> (Result<(), Duration>, HeaderMap) {
        let mut buckets = self.buckets.lock().expect("rate-limit lock");
        let now = Instant::now();
        let costs = [1.0, tokens as f64];
        let mut wait = Duration::ZERO;
        for bucket in buckets.iter_mut().flatten() {
            bucket.refill(now);
        }
        for (bucket, cost) in buckets.iter().zip(costs) {
            if let Some(bucket) = bucket {
                wait = wait.max(bucket.short_by(cost));
            }
        }
        if wait.is_zero() {
            for (bucket, cost) in buckets.iter_mut().zip(costs) {
                if let Some(bucket) = bucket {
                    bucket.level -= cost;
                }
            }
        }
        let mut headers = HeaderMap::new();
        for bucket in buckets.iter().flatten() {
            bucket.headers(&mut headers);
        }
        (
            (!wait.is_zero()).then_some(wait).map_or(Ok(()), Err),
            headers,
        )
    }
}

/// What a request costs the tokens budget: its prompt as the mock bills it, plus the
/// most it may generate.
fn cost(body: &[u8], counter: &Counter) -> u64 {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return 0;
    };
    usage::prompt_tokens(&request, counter) + request["max_tokens"].as_u64().unwrap_or(0)
}

impl Mock {
    /// A chat request through the rate limit, when the mock has one: refused with a 429
    /// and `Retry-After` when it does not fit, answered otherwise; the budgets are
    /// stated on the answer either way.
    pub(super) async fn limited_chat(&self, headers: &HeaderMap, body: &[u8]) -> Response {
        let Some(limiter) = &self.limiter else {
            return self.chat(headers, body).await;
        };
        let (taken, stated) = limiter.take(cost(body, &self.counter));
        let mut response = match taken {
            Ok(()) => self.chat(headers, body).await,
            Err(wait) => {
                {
                    let mut stats = self.stats.lock().expect("stats lock");
                    stats.requests += 1;
                    stats.rate_limited += 1;
                }
                let mut response = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    &format!(
                        "Rate limit reached: please try again in {:.3}s",
                        wait.as_secs_f64()
                    ),
                );
                let seconds = format!("{:.3}", wait.as_secs_f64().max(0.001));
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::try_from(seconds).expect("a number"),
                );
                response
            }
        };
        response.headers_mut().extend(stated);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ratelimit::RateLimits;

    #[test]
    fn a_request_that_does_not_fit_waits_and_the_headers_read_back() {
        let limiter = Limiter::new(RateLimit {
            requests: Some(100),
            tokens: Some(1000),
            window: Duration::from_secs(60),
        });
        let (taken, headers) = limiter.take(400);
        assert_eq!(taken, Ok(()));
        let limits = RateLimits::read(&headers, Instant::now()).expect("stated");
        let tokens = limits.tokens.unwrap();
        assert_eq!((tokens.limit, tokens.remaining), (Some(1000), 600));
        // 400 used, at 1000 a minute: full in 24 s.
        assert!(
            (tokens.reset.as_secs_f64() - 24.0).abs() < 0.1,
            "{tokens:?}"
        );
        assert_eq!(limits.requests.unwrap().remaining, 99);
        let (taken, _) = limiter.take(700);
        let wait = taken.expect_err("100 short");
        assert!((wait.as_secs_f64() - 6.0).abs() < 0.1, "{wait:?}");
        // Refused: nothing was taken.
        assert_eq!(limiter.take(600).0, Ok(()));
    }
}
