//! A stop signal that tasks can check and wait on, with why the run stopped.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

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

#[derive(Default)]
pub struct Stop {
    flag: AtomicBool,
    reason: OnceLock<StopReason>,
    notify: Notify,
}

impl Stop {
    /// Stops the run; the first reason given is the one kept.
    pub fn trigger(&self, reason: StopReason) {
        let _ = self.reason.set(reason);
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    pub fn reason(&self) -> Option<StopReason> {
        self.reason.get().copied()
    }

    /// Resolves once `trigger` has been called.
    pub async fn wait(&self) {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.is_set() {
            return;
        }
        notified.await;
    }
}
