//! The run's stop: a cancellation token every task checks and waits on, with why the run
//! stopped.

use std::sync::OnceLock;

use tokio_util::sync::CancellationToken;

/// Why a run stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// SIGINT, SIGTERM or SIGHUP, by name.
    Signal(&'static str),
    /// The journal could not be written: no further call may be paid for.
    JournalFailed,
    /// The circuit breaker tripped: recent calls all failed in a way retries cannot fix.
    Breaker,
}

/// A cancellation token that also keeps the first reason it was cancelled for, and a
/// second one for the calls in flight. A run stopped by a signal starts no call, but the
/// calls already sent may finish (they are paid for, and a resume would pay for them
/// again) until the signal's watcher gives them up; any other stop gives them up at once.
#[derive(Default)]
pub struct Stop {
    token: CancellationToken,
    abandon: CancellationToken,
    reason: OnceLock<StopReason>,
}

impl Stop {
    /// Stops the run; the first reason given is the one kept.
    pub fn trigger(&self, reason: StopReason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
        if !matches!(reason, StopReason::Signal(_)) {
            self.abandon();
        }
    }

    /// Gives up the calls in flight (they are asked again on resume).
    pub fn abandon(&self) {
        self.token.cancel();
        self.abandon.cancel();
    }

    /// Resolves once the calls in flight are given up.
    pub(crate) async fn abandoned(&self) {
        self.abandon.cancelled().await;
    }

    pub(crate) fn is_set(&self) -> bool {
        self.token.is_cancelled()
    }

    pub fn reason(&self) -> Option<StopReason> {
        self.reason.get().copied()
    }

    /// Resolves once `trigger` has been called.
    pub async fn wait(&self) {
        self.token.cancelled().await;
    }
}
