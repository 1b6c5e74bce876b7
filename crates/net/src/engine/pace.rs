//! Pacing: calls are held back before they are sent so that a run stays inside a
//! provider's rate limits, instead of learning about them from 429s.
//!
//! Each endpoint has a token bucket per dimension (requests, tokens) and per source:
//!
//! - the user's caps (`--rpm`, `--tpm`): filled at the cap's rate, holding one second's
//!   worth (providers enforce a per-minute limit over shorter periods too, so a
//!   minute's worth sent at once can be refused although the minute's total is within);
//! - what the endpoint says in its `x-ratelimit-*` headers: the bucket holds the stated
//!   limit and fills at the rate the headers imply (the budget used over the time until
//!   it is full again, `(limit - remaining) / reset`), and after every answer its level
//!   is lowered to what the endpoint says is left. An endpoint that states what is left
//!   but not its limit is only waited for: a call that would not fit waits until the
//!   stated reset.
//!
//! A call reserves its cost in every bucket when it asks, so calls asking at once queue
//! one after another rather than all waking when the first fits. A call costs one
//! request, and its estimated tokens: the prompt counted as `estimate` and the mock count it (o200k_base, pictures by
//! OpenAI's rule), plus `max_tokens`,
//! as OpenAI counts a request against its tokens-per-minute limit before it is answered.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use liveclin_core::cost::tokens::Counter;

use crate::client::ChatClient;
use crate::client::ratelimit::{Budget, RateLimits};

/// The user's caps (`--rpm`, `--tpm`), per endpoint, and whether the endpoints'
/// headers are followed too (not with `--no-pacing`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Caps {
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
    pub follow_headers: bool,
}

pub struct Pacer {
    estimate: Counter,
    follow_headers: bool,
    endpoints: Vec<Mutex<Limiter>>,
    /// Calls held back, and the time they waited in all (microseconds).
    paced_calls: AtomicU64,
    waited_micros: AtomicU64,
    calls: AtomicU64,
}

impl std::fmt::Debug for Pacer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pacer").finish_non_exhaustive()
    }
}

/// What pacing cost a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Waited {
    pub calls: u64,
    /// Calls that were held back.
    pub paced: u64,
    /// Their waits added up (calls wait side by side, so this can exceed the run).
    pub total: Duration,
}

impl Pacer {
    pub fn new(endpoints: usize, caps: Caps, estimate: Counter) -> Self {
        let now = Instant::now();
        Pacer {
            estimate,
            follow_headers: caps.follow_headers,
            endpoints: (0..endpoints)
                .map(|_| Mutex::new(Limiter::new(caps, now)))
                .collect(),
            paced_calls: AtomicU64::new(0),
            waited_micros: AtomicU64::new(0),
            calls: AtomicU64::new(0),
        }
    }

    pub fn estimate(&self) -> &Counter {
        &self.estimate
    }

    /// Waits until a call of `tokens` estimated tokens fits endpoint `index`'s budgets,
    /// after updating them from what `client` (that endpoint's) last heard.
    pub async fn wait(&self, index: usize, client: &ChatClient, tokens: u64) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let wait = {
            let mut limiter = self.endpoints[index].lock().expect("pace lock");
            let now = Instant::now();
            if let Some(limits) = client.rate_limits().filter(|_| self.follow_headers) {
                limiter.learn(&limits, now);
            }
            limiter.reserve(tokens, now)
        };
        if wait.is_zero() {
            return;
        }
        self.paced_calls.fetch_add(1, Ordering::Relaxed);
        self.waited_micros
            .fetch_add(wait.as_micros() as u64, Ordering::Relaxed);
        tokio::time::sleep(wait).await;
    }

    /// The rates the run is paced at, over all endpoints, for the progress line:
    /// `paced: 28k TPM, 500 RPM`; `None` while nothing paces.
    pub fn shown(&self) -> Option<String> {
        let (mut rpm, mut tpm) = (0.0, 0.0);
        for limiter in &self.endpoints {
            let limiter = limiter.lock().expect("pace lock");
            rpm += limiter.requests.per_minute().unwrap_or(0.0);
            tpm += limiter.tokens.per_minute().unwrap_or(0.0);
        }
        let mut parts = Vec::new();
        if tpm > 0.0 {
            parts.push(format!("{} TPM", short(tpm)));
        }
        if rpm > 0.0 {
            parts.push(format!("{} RPM", short(rpm)));
        }
        (!parts.is_empty()).then(|| format!("paced: {}", parts.join(", ")))
    }

    pub fn waited(&self) -> Waited {
        Waited {
            calls: self.calls.load(Ordering::Relaxed),
            paced: self.paced_calls.load(Ordering::Relaxed),
            total: Duration::from_micros(self.waited_micros.load(Ordering::Relaxed)),
        }
    }
}

/// A rate as the progress line shows it: `950`, `28k`, `1.5M`.
fn short(rate: f64) -> String {
    match rate {
        r if r >= 1e6 => format!("{:.1}M", r / 1e6),
        r if r >= 1e4 => format!("{:.0}k", r / 1e3),
        r if r >= 1e3 => format!("{:.1}k", r / 1e3),
        r => format!("{r:.0}"),
    }
}

/// One endpoint's budgets.
struct Limiter {
    requests: Dimension,
    tokens: Dimension,
}

impl Limiter {
    fn new(caps: Caps, now: Instant) -> Self {
        Limiter {
            requests: Dimension::capped(caps.rpm, now),
            tokens: Dimension::capped(caps.tpm, now),
        }
    }

    fn learn(&mut self, limits: &RateLimits, now: Instant) {
        if let Some(b) = &limits.requests {
            self.requests.learn(b, limits.seen, now);
        }
        if let Some(b) = &limits.tokens {
            self.tokens.learn(b, limits.seen, now);
        }
    }

    /// Reserves one call of `tokens`; returns how long it must wait to fit.
    fn reserve(&mut self, tokens: u64, now: Instant) -> Duration {
        let requests = self.requests.reserve(1.0, now);
        let tokens = self.tokens.reserve(tokens as f64, now);
        requests.max(tokens)
    }
}

/// Requests or tokens: the user's cap, what the endpoint's headers say, or both.
struct Dimension {
    cap: Option<Bucket>,
    learned: Option<Bucket>,
    /// The endpoint stated what is left but not its limit: wait for its reset when a
    /// call would not fit (the budget, when it was read).
    stated: Option<(Budget, Instant)>,
    /// When the headers last read were received (each is learned once).
    synced: Option<Instant>,
}

impl Dimension {
    fn capped(per_minute: Option<u64>, now: Instant) -> Self {
        Dimension {
            cap: per_minute.map(|n| {
                let rate = n as f64 / 60.0;
                Bucket::full(rate.max(1.0), rate, now)
            }),
            learned: None,
            stated: None,
            synced: None,
        }
    }

    fn learn(&mut self, budget: &Budget, seen: Instant, now: Instant) {
        if self.synced.is_some_and(|synced| synced >= seen) {
            return;
        }
        self.synced = Some(seen);
        let Some(limit) = budget.limit.filter(|&l| l > 0) else {
            self.stated = Some((*budget, seen));
            return;
        };
        let limit = limit as f64;
        let used = limit - budget.remaining as f64;
        let implied =
            (used > 0.0 && !budget.reset.is_zero()).then(|| used / budget.reset.as_secs_f64());
        let Some(rate) = implied.or(self.learned.as_ref().map(|b| b.rate)) else {
            // Full, and no rate known yet: nothing to pace by.
            return;
        };
        // What is left now: what the endpoint said, refilled since it said it.
        let left =
            (budget.remaining as f64 + rate * now.duration_since(seen).as_secs_f64()).min(limit);
        match &mut self.learned {
            Some(bucket) => {
                bucket.capacity = limit;
                bucket.rate = rate;
                let level = bucket.level(now).min(left);
                bucket.set(level, now);
            }
            None => {
                let mut bucket = Bucket::full(limit, rate, now);
                bucket.set(left, now);
                self.learned = Some(bucket);
            }
        }
    }

    fn reserve(&mut self, cost: f64, now: Instant) -> Duration {
        let mut wait = Duration::ZERO;
        for bucket in [&mut self.cap, &mut self.learned].into_iter().flatten() {
            wait = wait.max(bucket.reserve(cost, now));
        }
        if let Some((budget, seen)) = &self.stated
            && (budget.remaining as f64) < cost
        {
            wait = wait.max((*seen + budget.reset).saturating_duration_since(now));
        }
        wait
    }

    /// The rate this dimension is held to, per minute: the slower of cap and headers.
    fn per_minute(&self) -> Option<f64> {
        [&self.cap, &self.learned]
            .into_iter()
            .flatten()
            .map(|b| b.rate * 60.0)
            .min_by(f64::total_cmp)
    }
}

/// A token bucket that may go into debt: a call reserves its cost at once and waits
/// until the bucket would have held it.
struct Bucket {
    capacity: f64,
    /// Refill per second.
    rate: f64,
    level: f64,
    at: Instant,
}

impl Bucket {
    fn full(capacity: f64, rate: f64, now: Instant) -> Self {
        Bucket {
            capacity,
            rate,
            level: capacity,
            at: now,
        }
    }

    fn level(&self, now: Instant) -> f64 {
        let refilled = self.rate * now.saturating_duration_since(self.at).as_secs_f64();
        (self.level + refilled).min(self.capacity)
    }

    fn set(&mut self, level: f64, now: Instant) {
        self.level = level;
        self.at = now;
    }

    /// Takes `cost` and says how long until the bucket held it (a cost above the
    /// capacity waits for a full bucket, then leaves it in debt).
    fn reserve(&mut self, cost: f64, now: Instant) -> Duration {
        let level = self.level(now);
        let need = cost.min(self.capacity);
        self.set(level - cost, now);
        if level >= need || self.rate <= 0.0 {
            return Duration::ZERO;
        }
        Duration::try_from_secs_f64((need - level) / self.rate).unwrap_or(Duration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_asking_at_once_queue_one_after_another() {
        let now = Instant::now();
        // 600 TPM: 10 a second, a bucket of 10.
        let mut limiter = Limiter::new(
            Caps {
                rpm: None,
                tpm: Some(600),
                follow_headers: true,
            },
            now,
        );
        let secs = |d: Duration| (d.as_secs_f64() * 1000.0).round() / 1000.0;
        assert_eq!(secs(limiter.reserve(10, now)), 0.0);
        assert_eq!(secs(limiter.reserve(5, now)), 0.5);
        assert_eq!(secs(limiter.reserve(5, now)), 1.0);
        // Larger than the bucket: waits for a full one, then leaves it in debt.
        assert_eq!(secs(limiter.reserve(30, now)), 2.0);
        assert_eq!(secs(limiter.reserve(1, now)), 4.1);
    }

    #[test]
    fn requests_are_paced_by_the_rpm_cap_and_the_slower_budget_wins() {
        let now = Instant::now();
        // 120 RPM: 2 a second, at most 2 at once; 6000 TPM: 100 a second.
        let mut limiter = Limiter::new(
            Caps {
                rpm: Some(120),
                tpm: Some(6000),
                follow_headers: true,
            },
            now,
        );
        assert_eq!(limiter.reserve(10, now), Duration::ZERO);
        assert_eq!(limiter.reserve(10, now), Duration::ZERO);
        assert_eq!(limiter.reserve(10, now), Duration::from_millis(500));
        // Requests are the slower budget here (2 short at 2 a second) ...
        assert_eq!(limiter.reserve(270, now), Duration::from_secs(1));
        // ... and tokens here: 210 short (200 in debt) at 100 a second.
        let wait = limiter.reserve(10, now).as_secs_f64();
        assert!((wait - 2.1).abs() < 1e-9, "{wait}");
    }

    #[test]
    fn headers_teach_the_limit_its_rate_and_what_is_left() {
        let now = Instant::now();
        let mut tokens = Dimension::capped(None, now);
        assert_eq!(tokens.reserve(1e6, now), Duration::ZERO, "nothing known");
        // 1000 a minute; 400 used, full again in 24 s: 1000/60 a second.
        let budget = Budget {
            limit: Some(1000),
            remaining: 600,
            reset: Duration::from_secs(24),
        };
        tokens.learn(&budget, now, now);
        assert_eq!(tokens.per_minute().map(f64::round), Some(1000.0));
        assert_eq!(tokens.reserve(600.0, now), Duration::ZERO);
        let wait = tokens.reserve(100.0, now);
        assert_eq!(wait.as_secs_f64().round(), 6.0, "{wait:?}");
        // An answer saying less is left than the bucket thinks lowers it.
        let mut fresh = Dimension::capped(None, now);
        fresh.learn(&budget, now, now);
        let later = now + Duration::from_millis(1);
        let low = Budget {
            remaining: 0,
            reset: Duration::from_secs(60),
            ..budget
        };
        fresh.learn(&low, later, later);
        assert!(fresh.reserve(100.0, later) > Duration::from_secs(5));
    }

    #[test]
    fn without_a_stated_limit_a_call_that_does_not_fit_waits_for_the_reset() {
        let now = Instant::now();
        let mut tokens = Dimension::capped(None, now);
        let budget = Budget {
            limit: None,
            remaining: 50,
            reset: Duration::from_secs(3),
        };
        tokens.learn(&budget, now, now);
        assert_eq!(tokens.reserve(40.0, now), Duration::ZERO);
        assert_eq!(tokens.reserve(60.0, now), Duration::from_secs(3));
    }

    #[test]
    fn rates_read_short() {
        assert_eq!(short(28_000.0), "28k");
        assert_eq!(short(1_500.0), "1.5k");
        assert_eq!(short(500.0), "500");
        assert_eq!(short(2_500_000.0), "2.5M");
    }
}
