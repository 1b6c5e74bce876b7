//! The circuit breaker: when every recent call failed with the same non-transient class
//! (a revoked key, a removed model), more calls cannot succeed, so the run stops instead
//! of paying for retries of every remaining question. Transient storms (429, 5xx,
//! timeouts, lost connections) never trip it: retries and endpoint rests handle those.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::client::{EMPTY_REPLY, Outcome};
use liveclin_core::analysis::failures::FailureClass;

/// Calls looked at: the last `WINDOW`, or every call so far when fewer were made.
pub const WINDOW: usize = 20;

/// Why the breaker tripped: the class, and the first server message of the streak.
#[derive(Debug, Clone, PartialEq)]
pub struct Tripped {
    pub class: FailureClass,
    pub message: String,
}

#[derive(Default)]
pub struct Breaker {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The class of each recent call (`None`: it succeeded or failed transiently).
    recent: VecDeque<Option<FailureClass>>,
    /// The first message of the current streak of one class.
    first: Option<String>,
    tripped: Option<Tripped>,
}

impl Breaker {
    /// Counts one call's outcome; returns the trip when this call completes a window of
    /// one non-transient class. An authentication or not-found failure trips on every
    /// call so far when fewer than `WINDOW` were made (the first 401 of a run is
    /// enough); a rejected request needs a whole window, since one question may be too
    /// long for the model while the others are fine.
    pub(crate) fn observe(&self, outcome: &Outcome) -> Option<Tripped> {
        let message = match outcome {
            Outcome::Reply(_) => None,
            Outcome::Empty => Some(EMPTY_REPLY),
            Outcome::Retryable { message, .. } | Outcome::Permanent { message } => {
                Some(message.as_str())
            }
        };
        let class = message
            .map(FailureClass::of)
            .filter(|class| !class.transient());
        let mut state = self.state.lock().expect("breaker lock");
        if state.tripped.is_some() {
            return None;
        }
        if class.is_none() || state.recent.back().is_some_and(|last| *last != class) {
            state.first = None;
        }
        if class.is_some() && state.first.is_none() {
            state.first = message.map(String::from);
        }
        state.recent.push_back(class);
        if state.recent.len() > WINDOW {
            state.recent.pop_front();
        }
        let class = class?;
        let needed = match class {
            FailureClass::Rejected => WINDOW,
            _ => 1,
        };
        let all_same = state.recent.iter().all(|c| *c == Some(class));
        if state.recent.len() >= needed && all_same {
            let tripped = Tripped {
                class,
                message: state.first.clone().unwrap_or_default(),
            };
            state.tripped = Some(tripped.clone());
            return Some(tripped);
        }
        None
    }

    pub fn tripped(&self) -> Option<Tripped> {
        self.state.lock().expect("breaker lock").tripped.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Reply;

    fn permanent(message: &str) -> Outcome {
        Outcome::Permanent {
            message: message.into(),
        }
    }

    fn reply() -> Outcome {
        Outcome::Reply(Reply {
            content: "A".into(),
            reasoning: None,
            finish_reason: None,
            usage: None,
        })
    }

    #[test]
    fn the_first_401_of_a_run_trips_with_its_message() {
        let breaker = Breaker::default();
        let tripped = breaker
            .observe(&permanent("HTTP 401 Unauthorized: bad key"))
            .unwrap();
        assert_eq!(tripped.class, FailureClass::Auth);
        assert_eq!(tripped.message, "HTTP 401 Unauthorized: bad key");
        assert_eq!(breaker.tripped(), Some(tripped));
    }

    #[test]
    fn a_revoked_key_mid_run_trips_after_a_whole_window() {
        let breaker = Breaker::default();
        for _ in 0..30 {
            assert!(breaker.observe(&reply()).is_none());
        }
        for n in 1..WINDOW {
            assert!(
                breaker
                    .observe(&permanent(&format!("HTTP 401 #{n}")))
                    .is_none()
            );
        }
        let tripped = breaker.observe(&permanent("HTTP 401 last")).unwrap();
        assert_eq!(tripped.message, "HTTP 401 #1");
    }

    #[test]
    fn transient_storms_and_mixed_failures_never_trip() {
        let breaker = Breaker::default();
        for _ in 0..100 {
            let storm = Outcome::Retryable {
                message: "HTTP 429 Too Many Requests".into(),
                retry_after: None,
                throttled: true,
            };
            assert!(breaker.observe(&storm).is_none());
        }
        // Too-long questions among answered ones: a rejected request needs a whole window.
        for n in 0..100 {
            let outcome = if n % 3 == 0 {
                reply()
            } else {
                permanent("HTTP 400 Bad Request")
            };
            assert!(breaker.observe(&outcome).is_none());
        }
        for _ in 0..WINDOW - 1 {
            assert!(
                breaker
                    .observe(&permanent("HTTP 400 Bad Request"))
                    .is_none()
            );
        }
        assert!(
            breaker
                .observe(&permanent("HTTP 400 Bad Request"))
                .is_some()
        );
    }
}
