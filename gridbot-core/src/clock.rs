//! Time, live or simulated, so the same engine runs live, on paper and in
//! backtests.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;

use crate::model::TimestampMs;

/// A source of time.
#[async_trait]
pub trait Clock: Send + Sync {
    /// Now, ms since the Unix epoch.
    fn now_ms(&self) -> TimestampMs;
    /// Waits for `duration` of this clock's time.
    async fn sleep(&self, duration: Duration);
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now_ms(&self) -> TimestampMs {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A clock that moves only when told to ([`ManualClock::advance`],
/// [`ManualClock::set`]). Sleepers wake when the time they wait for is reached.
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicI64,
    tx: watch::Sender<TimestampMs>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: TimestampMs) -> Self {
        let (tx, _) = watch::channel(start);
        ManualClock {
            now: AtomicI64::new(start),
            tx,
        }
    }

    /// Moves time forward by `ms` (negative values are ignored).
    pub fn advance(&self, ms: i64) {
        let now = self.now.fetch_add(ms.max(0), Ordering::SeqCst) + ms.max(0);
        self.tx.send_replace(now);
    }

    /// Sets the time (never backwards).
    pub fn set(&self, ts: TimestampMs) {
        let now = self.now.fetch_max(ts, Ordering::SeqCst).max(ts);
        self.tx.send_replace(now);
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now_ms(&self) -> TimestampMs {
        self.now.load(Ordering::SeqCst)
    }

    async fn sleep(&self, duration: Duration) {
        let target = self
            .now_ms()
            .saturating_add(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX));
        let mut rx = self.tx.subscribe();
        // The sender lives as long as `self`, so `changed` only fails if the
        // clock is dropped, in which case there is nothing left to wait for.
        while *rx.borrow_and_update() < target {
            if rx.changed().await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test]
    async fn manual_clock_wakes_sleepers_when_advanced_past_their_deadline() {
        let clock = Arc::new(ManualClock::new(1_000));
        let c = clock.clone();
        let sleeper = tokio::spawn(async move {
            c.sleep(Duration::from_millis(500)).await;
            c.now_ms()
        });
        tokio::task::yield_now().await;
        clock.advance(200);
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(300);
        assert_eq!(sleeper.await.unwrap(), 1_500);
        clock.set(100); // never backwards
        assert_eq!(clock.now_ms(), 1_500);
    }
}
