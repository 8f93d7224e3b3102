//! Retrying transient exchange errors with exponential backoff.
//!
//! Transient = [`ExchangeError::is_transient`] (connectivity, timeout, rate
//! limit). The wait doubles from `base_delay_ms` up to `max_delay_ms`, and a
//! rate limit waits at least what the exchange asked for. After
//! `max_attempts` attempts the last error is returned and the runner treats
//! it as persistent (the bot goes to `error` with the message).
//!
//! A timed-out *placement* is not simply retried: its outcome is unknown,
//! so the executor first asks the exchange for the order by client id (see
//! `exec.rs`).

use std::future::Future;
use std::time::Duration;

use crate::clock::Clock;
use crate::error::ExchangeError;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (≥ 1).
    pub max_attempts: u32,
    /// First wait, ms.
    pub base_delay_ms: u64,
    /// Longest wait, ms.
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay_ms: 250,
            max_delay_ms: 15_000,
        }
    }
}

impl RetryPolicy {
    /// No waiting between attempts (tests, simulations).
    pub fn immediate(max_attempts: u32) -> Self {
        RetryPolicy {
            max_attempts,
            base_delay_ms: 0,
            max_delay_ms: 0,
        }
    }

    /// The wait before attempt `attempt + 1` after `err`.
    pub fn delay(&self, attempt: u32, err: &ExchangeError) -> Duration {
        let exp = self
            .base_delay_ms
            .saturating_mul(1u64 << attempt.min(20))
            .min(self.max_delay_ms);
        let floor = match err {
            ExchangeError::RateLimited { retry_after_ms } => *retry_after_ms,
            _ => 0,
        };
        Duration::from_millis(exp.max(floor))
    }

    /// Runs `op` until it succeeds, fails with a non-transient error, or the
    /// attempts are spent.
    pub async fn run<T, F, Fut>(&self, clock: &dyn Clock, mut op: F) -> Result<T, ExchangeError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ExchangeError>>,
    {
        let mut attempt = 0;
        loop {
            match op().await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_transient() && attempt + 1 < self.max_attempts.max(1) => {
                    tracing::debug!(error = %e, attempt, "transient exchange error, retrying");
                    clock.sleep(self.delay(attempt, &e)).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn delays_double_up_to_the_cap_and_respect_rate_limits() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay_ms: 100,
            max_delay_ms: 1000,
        };
        let e = ExchangeError::Connectivity("x".into());
        assert_eq!(p.delay(0, &e), Duration::from_millis(100));
        assert_eq!(p.delay(3, &e), Duration::from_millis(800));
        assert_eq!(p.delay(9, &e), Duration::from_millis(1000));
        let rl = ExchangeError::RateLimited { retry_after_ms: 5000 };
        assert_eq!(p.delay(0, &rl), Duration::from_millis(5000));
    }

    #[tokio::test]
    async fn transient_errors_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let r = RetryPolicy::immediate(3)
            .run(&ManualClock::new(0), || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(ExchangeError::Connectivity("down".into()))
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(r, Ok(7));
    }

    #[tokio::test]
    async fn persistent_errors_and_spent_attempts_return_the_error() {
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = RetryPolicy::immediate(5)
            .run(&ManualClock::new(0), || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(ExchangeError::Auth("bad key".into()))
            })
            .await;
        assert!(matches!(r, Err(ExchangeError::Auth(_))));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "not retried");
        let r: Result<(), _> = RetryPolicy::immediate(3)
            .run(&ManualClock::new(0), || async {
                Err(ExchangeError::Timeout("slow".into()))
            })
            .await;
        assert!(matches!(r, Err(ExchangeError::Timeout(_))));
    }
}
