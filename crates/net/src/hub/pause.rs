//! One pause shared by every download worker: when the Hub answers 429, nobody sends
//! anything until its `Retry-After` has passed (hammering a rate limit only extends it).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Default)]
pub struct Pause {
    until: Mutex<Option<Instant>>,
}

impl Pause {
    /// Waits until no pause is in force (a pause may be extended while waiting).
    pub async fn wait(&self) {
        loop {
            let until = *self.until.lock().expect("pause lock");
            match until {
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => return,
            }
        }
    }

    /// Stops every worker for `wait` from now. Returns true when this extends the pause
    /// (so only one message is printed per rate-limit episode).
    pub fn pause(&self, wait: Duration) -> bool {
        let target = Instant::now() + wait;
        let mut until = self.until.lock().expect("pause lock");
        match *until {
            Some(current) if current >= target => false,
            _ => {
                *until = Some(target);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn waiters_sleep_until_the_latest_pause_ends() {
        let pause = Pause::default();
        let start = Instant::now();
        pause.wait().await;
        assert_eq!(Instant::now(), start);
        assert!(pause.pause(Duration::from_secs(2)));
        assert!(
            !pause.pause(Duration::from_secs(1)),
            "a shorter pause changes nothing"
        );
        assert!(pause.pause(Duration::from_secs(3)));
        pause.wait().await;
        assert_eq!(Instant::now() - start, Duration::from_secs(3));
    }
}
