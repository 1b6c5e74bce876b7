//! The endpoints of a run (one `--api-base` or several replicas of the same model) and
//! the places cases hold on them.
//!
//! A case takes a lease on one endpoint and keeps it for all its turns, so a server with
//! prefix caching reuses the conversation. A new case goes to the least-loaded endpoint
//! that is up and below its limit; the run never has more than `--concurrency` cases in
//! flight in total. A case whose endpoint is resting moves to another at its next call;
//! a case told to slow down (429) on an endpoint over its lowered limit gives its place
//! back and queues for a new one, ahead of cases not yet started; so does a case whose
//! call timed out there, as a server that cannot answer in time is overloaded too.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::Notify;

use super::health::{Change, EndpointState, Overload, RunTimeouts, Tally};
use crate::client::{ChatClient, Outcome};

pub struct Pool {
    clients: Vec<ChatClient>,
    total: usize,
    state: Mutex<State>,
    /// Woken whenever a place frees up.
    freed: Notify,
}

struct State {
    endpoints: Vec<EndpointState>,
    in_flight: usize,
    /// Cases that gave their place back and wait for another: they go first.
    requeued: usize,
    /// How many calls of the run timed out, to say once which flag to change.
    timeouts: RunTimeouts,
}

/// A case's place on one endpoint, given back when dropped.
pub(crate) struct Lease {
    pool: Arc<Pool>,
    index: usize,
    /// True while the case waits for a new place (nothing to give back).
    queued: bool,
}

impl Pool {
    /// One endpoint per client; at most `total` cases in flight over all of them.
    pub fn new(clients: Vec<ChatClient>, total: usize) -> Self {
        let total = total.max(1);
        let may_rest = clients.len() > 1;
        let endpoints = clients
            .iter()
            .map(|_| EndpointState::new(total, may_rest))
            .collect();
        Pool {
            clients,
            total,
            state: Mutex::new(State {
                endpoints,
                in_flight: 0,
                requeued: 0,
                timeouts: RunTimeouts::default(),
            }),
            freed: Notify::new(),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("the pool lock is never poisoned")
    }

    /// The endpoints' clients, in `--api-base` order.
    pub fn clients(&self) -> &[ChatClient] {
        &self.clients
    }

    pub fn endpoints(&self) -> usize {
        self.clients.len()
    }

    /// `endpoint 2 (http://host:8000/v1)`, or `the endpoint (...)` when there is one.
    pub fn label(&self, index: usize) -> String {
        if self.endpoints() == 1 {
            return format!("the endpoint ({})", self.clients[0].settings().api_base);
        }
        format!(
            "endpoint {} ({})",
            index + 1,
            self.clients[index].settings().api_base
        )
    }

    /// A place for a new case, waiting until there is one.
    pub(crate) async fn lease(self: &Arc<Self>) -> Lease {
        let index = self.acquire(None, false).await;
        self.state().endpoints[index].tally.cases += 1;
        Lease {
            pool: self.clone(),
            index,
            queued: false,
        }
    }

    /// Waits for a place, preferring endpoint `prefer`; `first` places are taken before
    /// any other, for cases already under way.
    async fn acquire(&self, prefer: Option<usize>, first: bool) -> usize {
        let _queued = first.then(|| Requeued::new(self));
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            let wake = {
                let mut st = self.state();
                let now = Instant::now();
                let turn = first || st.requeued == 0;
                if turn
                    && st.in_flight < self.total
                    && let Some(i) = st.choose(now, prefer, None)
                {
                    st.in_flight += 1;
                    st.endpoints[i].in_flight += 1;
                    return i;
                }
                st.next_probe()
            };
            match wake {
                Some(at) => {
                    tokio::select! {
                        () = &mut freed => {}
                        () = tokio::time::sleep_until(at.into()) => {}
                    }
                }
                None => freed.await,
            }
        }
    }

    fn release(&self, index: usize) {
        {
            let mut st = self.state();
            st.in_flight -= 1;
            st.endpoints[index].in_flight -= 1;
        }
        self.freed.notify_waiters();
    }

    /// Feeds a call's outcome to the endpoint's health and limit; says what changed (a
    /// line each), and once, when most calls of the run time out, which flag to change.
    pub fn report(&self, index: usize, outcome: &Outcome) -> Option<String> {
        let (changes, raised, mostly_timeouts) = {
            let mut st = self.state();
            let mostly_timeouts = st.timeouts.observe(timed_out(outcome));
            let endpoint = &mut st.endpoints[index];
            let before = endpoint.limit;
            let now = Instant::now();
            let changes: Vec<Change> = match outcome {
                Outcome::Reply(_) | Outcome::Empty | Outcome::Permanent { .. } => {
                    endpoint.on_answer().into_iter().collect()
                }
                Outcome::Retryable {
                    throttled: true, ..
                } => endpoint.on_throttled(now).into_iter().collect(),
                _ if timed_out(outcome) => endpoint.on_timeout(now),
                Outcome::Retryable { .. } => endpoint.on_failure(now).into_iter().collect(),
            };
            (changes, endpoint.limit > before, mostly_timeouts)
        };
        if raised || changes.contains(&Change::BackInService) {
            self.freed.notify_waiters();
        }
        let mut lines: Vec<String> = changes
            .into_iter()
            .map(|change| self.describe(index, change, outcome))
            .collect();
        if let Some((timeouts, calls)) = mostly_timeouts {
            lines.push(self.timeout_advice(timeouts, calls));
        }
        (!lines.is_empty()).then(|| lines.join("\n"))
    }

    /// The line saying what changed on endpoint `index` after `outcome`.
    fn describe(&self, index: usize, change: Change, outcome: &Outcome) -> String {
        let label = self.label(index);
        match change {
            Change::SlowedDown {
                from,
                to,
                cause: Overload::Throttled,
            } => format!(
                "{label} keeps answering 429 (rate limited): cases in flight there lowered from {from} to {to}"
            ),
            Change::SlowedDown {
                from,
                to,
                cause: Overload::TimedOut,
            } => format!(
                "{label}: {} calls in a row timed out: cases in flight there lowered from {from} to {to} (the server cannot keep up; raise --timeout or lower --concurrency)",
                super::health::THROTTLES_TO_SLOW
            ),
            Change::Restored { to } => {
                format!("{label} has recovered: cases in flight there back up to {to}")
            }
            Change::Rested { cool_down } => format!(
                "{label} keeps failing ({}): resting it for {}s, its cases continue elsewhere",
                failure_of(outcome),
                cool_down.as_secs()
            ),
            Change::BackInService => format!("{label} answers again: back in service"),
        }
    }

    /// Which flag to change when most calls time out: the server is given more work than
    /// it can finish within `--timeout`, and every retry queues behind the abandoned calls.
    fn timeout_advice(&self, timeouts: u64, calls: u64) -> String {
        let timeout = self.clients[0].settings().timeout.as_secs_f64();
        format!(
            "{timeouts} of {calls} calls so far timed out (--timeout {timeout}s): the server cannot answer {} requests at once in time; raise --timeout or lower --concurrency (e.g. to the number of requests the server runs in parallel)",
            self.total
        )
    }

    /// The counts of every endpoint, in `--api-base` order.
    pub fn tallies(&self) -> Vec<EndpointTally> {
        let st = self.state();
        self.clients
            .iter()
            .zip(&st.endpoints)
            .map(|(c, e)| EndpointTally {
                api_base: c.settings().api_base.clone(),
                tally: e.tally.clone(),
            })
            .collect()
    }
}

/// How one endpoint fared over the run.
#[derive(Debug, serde::Serialize)]
pub struct EndpointTally {
    pub api_base: String,
    #[serde(flatten)]
    pub tally: Tally,
}

/// Whether a call got no reply within `--timeout` (the client's message for it).
pub(crate) fn timed_out(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Retryable { message, .. } if message.starts_with("request timed out"))
}

/// Whether a call says the endpoint has more work than it can do: a 429, or no reply in
/// time.
pub fn overloaded(outcome: &Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Retryable {
            throttled: true,
            ..
        }
    ) || timed_out(outcome)
}

fn failure_of(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::Retryable { message, .. } => message,
        _ => "",
    }
}

impl State {
    /// The least-loaded endpoint with room (`prefer` when it has room), skipping
    /// `avoid`. Resting endpoints are skipped while any endpoint is not resting: when
    /// every one is, the run goes on where it is rather than stall.
    fn choose(
        &mut self,
        now: Instant,
        prefer: Option<usize>,
        avoid: Option<usize>,
    ) -> Option<usize> {
        let all_resting = self.endpoints.iter_mut().all(|e| e.is_resting(now));
        let usable = |i: usize, e: &mut EndpointState| {
            Some(i) != avoid
                && if all_resting {
                    e.in_flight < e.limit
                } else {
                    e.has_room(now)
                }
        };
        if let Some(p) = prefer
            && usable(p, &mut self.endpoints[p])
        {
            return Some(p);
        }
        let mut best: Option<usize> = None;
        for i in 0..self.endpoints.len() {
            if usable(i, &mut self.endpoints[i])
                && best.is_none_or(|b| self.endpoints[i].in_flight < self.endpoints[b].in_flight)
            {
                best = Some(i);
            }
        }
        best
    }

    /// When the next resting endpoint may take a probe.
    fn next_probe(&mut self) -> Option<Instant> {
        let now = Instant::now();
        self.endpoints
            .iter_mut()
            .filter_map(|e| match e.health(now) {
                super::health::Health::Resting { until } => Some(until),
                _ => None,
            })
            .min()
    }
}

/// Counts a case waiting to get its place back, for as long as it waits.
struct Requeued<'a>(&'a Pool);

impl<'a> Requeued<'a> {
    fn new(pool: &'a Pool) -> Self {
        pool.state().requeued += 1;
        Requeued(pool)
    }
}

impl Drop for Requeued<'_> {
    fn drop(&mut self) {
        self.0.state().requeued -= 1;
        self.0.freed.notify_waiters();
    }
}

impl Lease {
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    pub(crate) fn client(&self) -> &ChatClient {
        &self.pool.clients[self.index]
    }

    /// Moves the case off its endpoint when that one is resting and another is up with
    /// room; returns the new endpoint's label.
    pub(crate) fn leave_resting(&mut self) -> Option<String> {
        let to = {
            let mut st = self.pool.state();
            let now = Instant::now();
            if !st.endpoints[self.index].is_resting(now) {
                return None;
            }
            let to = st.choose(now, None, Some(self.index))?;
            if st.endpoints[to].is_resting(now) {
                return None;
            }
            st.endpoints[self.index].in_flight -= 1;
            st.endpoints[to].in_flight += 1;
            st.endpoints[to].tally.cases += 1;
            to
        };
        self.pool.freed.notify_waiters();
        self.index = to;
        Some(self.pool.label(to))
    }

    /// Whether the endpoint has more cases in flight than its (lowered) limit.
    pub(crate) fn over_limit(&self) -> bool {
        let st = self.pool.state();
        let e = &st.endpoints[self.index];
        e.in_flight > e.limit
    }

    /// Gives the place back, waits `pause`, then takes a place again (on the same
    /// endpoint when it has room) ahead of cases not yet started.
    pub(crate) async fn requeue(&mut self, pause: std::time::Duration) {
        self.pool.release(self.index);
        self.queued = true;
        tokio::time::sleep(pause).await;
        let pool = self.pool.clone();
        let index = pool.acquire(Some(self.index), true).await;
        if index != self.index {
            pool.state().endpoints[index].tally.cases += 1;
        }
        self.index = index;
        self.queued = false;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.queued {
            self.pool.release(self.index);
        }
    }
}
