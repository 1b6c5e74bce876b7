//! What the engine knows about one endpoint: whether it is up, and how many cases it may
//! have in flight. Plain state fed with call outcomes and the time they happened, so the
//! rules are tested without a server.
//!
//! Health is a circuit breaker: failures in a row (transport errors, 5xx, unreadable
//! replies) take an endpoint out for a cool-down; afterwards one case probes it, and a
//! reply puts it back, another failure doubles the cool-down. The limit is AIMD: sustained
//! 429s halve it (at most once a second, so the 429s answering requests sent before a cut
//! do not cut it again), and every `limit` answers without a 429 raise it by one, never
//! above the run's `--concurrency`.
//!
//! Timeouts in a row halve the limit too: a server that cannot answer in time is usually
//! overloaded rather than down (llama.cpp with one slot queues every request, and keeps
//! generating the ones abandoned by the client), so fewer cases in flight is what helps.
//! A timeout still counts as a failure, so a hung endpoint among several is rested.

use std::time::{Duration, Instant};

/// Failures in a row that take an endpoint out (only when others can take its cases).
pub(crate) const FAILURES_TO_REST: u32 = 3;
/// 429s in a row (or timeouts in a row), with no answer between them, that count as
/// sustained.
pub(crate) const THROTTLES_TO_SLOW: u32 = 3;
/// The first cool-down; it doubles each time a probe fails, up to `MAX_COOL_DOWN`.
pub(crate) const COOL_DOWN: Duration = Duration::from_secs(5);
pub(crate) const MAX_COOL_DOWN: Duration = Duration::from_secs(60);
/// The least time between two cuts of the limit.
pub(crate) const SLOW_DOWN_GAP: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Health {
    Up,
    /// Taken out until then.
    Resting {
        until: Instant,
    },
    /// Back after a cool-down: takes one case until it answers.
    Probing,
}

/// What changed, for the engine to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    SlowedDown {
        from: usize,
        to: usize,
        cause: Overload,
    },
    /// The limit is back at `--concurrency`.
    Restored {
        to: usize,
    },
    Rested {
        cool_down: Duration,
    },
    BackInService,
}

/// The sign of an overloaded endpoint that lowered its limit, for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overload {
    /// 429s in a row.
    Throttled,
    /// Calls in a row that got no reply within `--timeout`.
    TimedOut,
}

/// Counts over the run, shown at the end and kept in the results' meta.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    pub cases: u64,
    pub answers: u64,
    pub throttled: u64,
    /// Failures that were timeouts (also counted in `failures`).
    pub timeouts: u64,
    pub failures: u64,
    pub rests: u64,
    pub lowest_limit: usize,
}

#[derive(Debug)]
pub(crate) struct EndpointState {
    pub(crate) in_flight: usize,
    pub limit: usize,
    max: usize,
    health: Health,
    /// False when the run has no other endpoint: resting one would only stall the run.
    may_rest: bool,
    failures_in_row: u32,
    throttles_in_row: u32,
    timeouts_in_row: u32,
    answers_since_change: usize,
    last_slow_down: Option<Instant>,
    next_cool_down: Duration,
    pub tally: Tally,
}

impl EndpointState {
    pub(crate) fn new(max: usize, may_rest: bool) -> Self {
        let max = max.max(1);
        EndpointState {
            in_flight: 0,
            limit: max,
            max,
            health: Health::Up,
            may_rest,
            failures_in_row: 0,
            throttles_in_row: 0,
            timeouts_in_row: 0,
            answers_since_change: 0,
            last_slow_down: None,
            next_cool_down: COOL_DOWN,
            tally: Tally {
                lowest_limit: max,
                ..Tally::default()
            },
        }
    }

    /// The health at `now` (a finished cool-down turns into a probe).
    pub(crate) fn health(&mut self, now: Instant) -> Health {
        if let Health::Resting { until } = self.health
            && now >= until
        {
            self.health = Health::Probing;
        }
        self.health
    }

    pub(crate) fn is_resting(&mut self, now: Instant) -> bool {
        matches!(self.health(now), Health::Resting { .. })
    }

    /// Whether one more case may start here.
    pub(crate) fn has_room(&mut self, now: Instant) -> bool {
        match self.health(now) {
            Health::Up => self.in_flight < self.limit,
            Health::Probing => self.in_flight == 0,
            Health::Resting { .. } => false,
        }
    }

    /// The server answered (a reply, an empty reply or a refusal such as 400).
    pub(crate) fn on_answer(&mut self) -> Option<Change> {
        self.tally.answers += 1;
        self.failures_in_row = 0;
        self.throttles_in_row = 0;
        self.timeouts_in_row = 0;
        if self.health == Health::Probing {
            self.health = Health::Up;
            self.next_cool_down = COOL_DOWN;
            return Some(Change::BackInService);
        }
        self.answers_since_change += 1;
        if self.limit < self.max && self.answers_since_change >= self.limit {
            self.limit += 1;
            self.answers_since_change = 0;
            if self.limit == self.max {
                return Some(Change::Restored { to: self.limit });
            }
        }
        None
    }

    /// A 429: the server is alive but wants less.
    pub(crate) fn on_throttled(&mut self, now: Instant) -> Option<Change> {
        self.tally.throttled += 1;
        self.failures_in_row = 0;
        self.answers_since_change = 0;
        self.throttles_in_row += 1;
        if self.health == Health::Probing {
            self.health = Health::Up;
        }
        self.slow_down(now, self.throttles_in_row, Overload::Throttled)
    }

    /// A call that got no reply within `--timeout`: a failure (it may rest the endpoint)
    /// and, in a row, a sign of overload that lowers the limit like sustained 429s. Both
    /// can happen at once, hence a list.
    pub(crate) fn on_timeout(&mut self, now: Instant) -> Vec<Change> {
        self.tally.timeouts += 1;
        self.answers_since_change = 0;
        self.timeouts_in_row += 1;
        let slowed = self.slow_down(now, self.timeouts_in_row, Overload::TimedOut);
        let rested = self.on_failure(now);
        slowed.into_iter().chain(rested).collect()
    }

    /// Halves the limit when `streak` overload signals in a row reached
    /// `THROTTLES_TO_SLOW` and the last cut is over `SLOW_DOWN_GAP` ago (signals about
    /// requests sent before that cut say nothing new). The cut starts from the cases
    /// actually in flight, as a limit above them limits nothing; it ends both streaks.
    fn slow_down(&mut self, now: Instant, streak: u32, cause: Overload) -> Option<Change> {
        let recently = self
            .last_slow_down
            .is_some_and(|at| now.duration_since(at) < SLOW_DOWN_GAP);
        if streak < THROTTLES_TO_SLOW || recently {
            return None;
        }
        self.throttles_in_row = 0;
        self.timeouts_in_row = 0;
        let from = self.limit;
        let to = (from.min(self.in_flight) / 2).max(1);
        if to >= from {
            return None;
        }
        self.limit = to;
        self.last_slow_down = Some(now);
        self.tally.lowest_limit = self.tally.lowest_limit.min(to);
        Some(Change::SlowedDown { from, to, cause })
    }

    /// A transport error, a 5xx or an unreadable reply.
    pub(crate) fn on_failure(&mut self, now: Instant) -> Option<Change> {
        self.tally.failures += 1;
        self.failures_in_row += 1;
        let rest = match self.health(now) {
            Health::Probing => true,
            Health::Up => self.may_rest && self.failures_in_row >= FAILURES_TO_REST,
            Health::Resting { .. } => false,
        };
        if !rest {
            return None;
        }
        let cool_down = self.next_cool_down;
        self.health = Health::Resting {
            until: now + cool_down,
        };
        self.next_cool_down = (cool_down * 2).min(MAX_COOL_DOWN);
        self.failures_in_row = 0;
        self.tally.rests += 1;
        Some(Change::Rested { cool_down })
    }
}

/// Calls of the run before their share of timeouts means anything.
pub(crate) const TIMEOUT_ADVICE_AFTER: u64 = 10;

/// The calls of a whole run and how many timed out: when more than half of at least
/// `TIMEOUT_ADVICE_AFTER` did, the flags are wrong for this server (lowering one
/// endpoint's limit may not be enough: `--timeout` may be shorter than one answer).
#[derive(Debug, Default)]
pub(crate) struct RunTimeouts {
    calls: u64,
    timeouts: u64,
    told: bool,
}

impl RunTimeouts {
    /// Counts one call; returns (timeouts, calls) the first time most calls timed out.
    pub(crate) fn observe(&mut self, timed_out: bool) -> Option<(u64, u64)> {
        self.calls += 1;
        self.timeouts += u64::from(timed_out);
        let mostly = self.calls >= TIMEOUT_ADVICE_AFTER && self.timeouts * 2 > self.calls;
        if !mostly || self.told {
            return None;
        }
        self.told = true;
        Some((self.timeouts, self.calls))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(max: usize, in_flight: usize) -> EndpointState {
        let mut s = EndpointState::new(max, true);
        s.in_flight = in_flight;
        s
    }

    #[test]
    fn sustained_throttling_halves_the_limit_at_most_once_a_second() {
        let t0 = Instant::now();
        let mut s = busy(16, 16);
        assert_eq!(s.on_throttled(t0), None);
        assert_eq!(s.on_throttled(t0), None);
        assert_eq!(
            s.on_throttled(t0),
            Some(Change::SlowedDown {
                from: 16,
                to: 8,
                cause: Overload::Throttled
            })
        );
        for _ in 0..6 {
            assert_eq!(s.on_throttled(t0 + Duration::from_millis(500)), None);
        }
        // The streak went on: the first 429 after the gap cuts again.
        assert_eq!(
            s.on_throttled(t0 + Duration::from_millis(1100)),
            Some(Change::SlowedDown {
                from: 8,
                to: 4,
                cause: Overload::Throttled
            })
        );
        assert_eq!(s.tally.lowest_limit, 4);
        assert_eq!(s.tally.throttled, 10);
    }

    #[test]
    fn an_answer_between_429s_means_they_were_not_sustained() {
        let t0 = Instant::now();
        let mut s = busy(16, 16);
        for _ in 0..10 {
            s.on_throttled(t0);
            s.on_throttled(t0);
            s.on_answer();
        }
        assert_eq!(s.limit, 16);
    }

    #[test]
    fn the_cut_starts_from_the_cases_actually_in_flight() {
        let mut s = busy(100, 6);
        for _ in 0..2 {
            s.on_throttled(Instant::now());
        }
        assert_eq!(
            s.on_throttled(Instant::now()),
            Some(Change::SlowedDown {
                from: 100,
                to: 3,
                cause: Overload::Throttled
            })
        );
        let mut lone = busy(100, 1);
        for _ in 0..3 {
            lone.on_throttled(Instant::now());
        }
        assert_eq!(lone.limit, 1, "never below one");
    }

    #[test]
    fn the_limit_climbs_back_by_one_per_round_of_answers_up_to_the_maximum() {
        let mut s = busy(4, 4);
        for _ in 0..3 {
            s.on_throttled(Instant::now());
        }
        assert_eq!(s.limit, 2);
        assert_eq!(s.on_answer(), None);
        assert_eq!(s.on_answer(), None);
        assert_eq!(s.limit, 3);
        assert_eq!(s.on_answer(), None);
        assert_eq!(s.on_answer(), None);
        assert_eq!(s.on_answer(), Some(Change::Restored { to: 4 }));
        for _ in 0..20 {
            s.on_answer();
        }
        assert_eq!(s.limit, 4);
    }

    #[test]
    fn failures_in_a_row_rest_an_endpoint_and_a_failed_probe_doubles_the_rest() {
        let t0 = Instant::now();
        let mut s = busy(8, 2);
        assert!(s.has_room(t0));
        assert_eq!(s.on_failure(t0), None);
        s.on_answer();
        assert_eq!(s.on_failure(t0), None);
        assert_eq!(s.on_failure(t0), None);
        assert_eq!(
            s.on_failure(t0),
            Some(Change::Rested {
                cool_down: COOL_DOWN
            })
        );
        assert!(s.is_resting(t0) && !s.has_room(t0));
        assert_eq!(s.on_failure(t0), None, "already resting");
        let later = t0 + COOL_DOWN;
        assert_eq!(s.health(later), Health::Probing);
        assert!(!s.has_room(later), "its own cases are still in flight");
        s.in_flight = 0;
        assert!(s.has_room(later));
        assert_eq!(
            s.on_failure(later),
            Some(Change::Rested {
                cool_down: COOL_DOWN * 2
            })
        );
        let again = later + COOL_DOWN * 2;
        assert_eq!(s.health(again), Health::Probing);
        assert_eq!(s.on_answer(), Some(Change::BackInService));
        assert_eq!(s.health(again), Health::Up);
        assert_eq!(s.tally.rests, 2);
    }

    #[test]
    fn a_lone_endpoint_is_never_rested() {
        let mut s = EndpointState::new(8, false);
        for _ in 0..50 {
            assert_eq!(s.on_failure(Instant::now()), None);
        }
        assert!(s.has_room(Instant::now()));
    }

    #[test]
    fn timeouts_in_a_row_halve_the_limit_and_still_count_as_failures() {
        let t0 = Instant::now();
        let mut s = EndpointState::new(8, false);
        s.in_flight = 8;
        assert_eq!(s.on_timeout(t0), []);
        assert_eq!(s.on_timeout(t0), []);
        assert_eq!(
            s.on_timeout(t0),
            [Change::SlowedDown {
                from: 8,
                to: 4,
                cause: Overload::TimedOut
            }]
        );
        assert_eq!(s.tally.timeouts, 3);
        assert_eq!(s.tally.failures, 3);
        // The timeouts of calls sent before the cut do not cut again within the gap.
        for _ in 0..5 {
            assert_eq!(s.on_timeout(t0 + Duration::from_millis(500)), []);
        }
        assert_eq!(s.limit, 4);
        let later = t0 + Duration::from_secs(2);
        assert_eq!(
            s.on_timeout(later),
            [Change::SlowedDown {
                from: 4,
                to: 2,
                cause: Overload::TimedOut
            }]
        );
        assert_eq!(s.tally.lowest_limit, 2);
    }

    #[test]
    fn an_answer_between_timeouts_means_they_were_not_sustained() {
        let t0 = Instant::now();
        let mut s = busy(8, 8);
        for round in 0..10 {
            let at = t0 + Duration::from_secs(2 * round);
            s.on_timeout(at);
            s.on_timeout(at);
            s.on_answer();
        }
        assert_eq!(s.limit, 8);
        assert_eq!(s.tally.rests, 0);
    }

    #[test]
    fn a_timeout_storm_on_one_of_several_endpoints_lowers_its_limit_and_rests_it() {
        let t0 = Instant::now();
        let mut s = busy(6, 6);
        s.on_timeout(t0);
        s.on_timeout(t0);
        assert_eq!(
            s.on_timeout(t0),
            [
                Change::SlowedDown {
                    from: 6,
                    to: 3,
                    cause: Overload::TimedOut
                },
                Change::Rested {
                    cool_down: COOL_DOWN
                }
            ]
        );
        // Back from its rest, it takes cases up to the lowered limit only.
        assert_eq!(s.health(t0 + COOL_DOWN), Health::Probing);
        assert_eq!(s.on_answer(), Some(Change::BackInService));
        s.in_flight = 3;
        assert!(!s.has_room(t0 + COOL_DOWN));
    }

    #[test]
    fn most_calls_timing_out_is_told_once_after_enough_calls() {
        let mut run = RunTimeouts::default();
        for _ in 0..6 {
            assert_eq!(run.observe(true), None, "too few calls to judge");
        }
        for _ in 0..3 {
            assert_eq!(run.observe(false), None);
        }
        assert_eq!(run.observe(true), Some((7, 10)));
        for _ in 0..10 {
            assert_eq!(run.observe(true), None, "told once");
        }
        let mut fine = RunTimeouts::default();
        for i in 0..40 {
            assert_eq!(fine.observe(i % 2 == 1), None, "half is not most");
        }
    }
}
