//! Maps market time onto a [`Clock`], optionally accelerated.
//!
//! Market time runs `speed` times faster than the clock from an anchor:
//! `market = anchor_market + (clock − anchor_clock) × speed`. Re-anchoring
//! (after a gap in a replay) makes the next event due now instead of after
//! the gap.

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::model::TimestampMs;

/// Waits on a clock for market times.
pub(crate) struct Pacer {
    clock: Arc<dyn Clock>,
    speed: i64,
    anchor_clock: TimestampMs,
    anchor_market: TimestampMs,
}

impl Pacer {
    /// Market time `market_start` is now; it then runs `speed`× the clock (≥ 1).
    pub fn new(clock: Arc<dyn Clock>, speed: u32, market_start: TimestampMs) -> Self {
        let anchor_clock = clock.now_ms();
        Pacer {
            clock,
            speed: i64::from(speed.max(1)),
            anchor_clock,
            anchor_market: market_start,
        }
    }

    /// The market time now.
    pub fn market_now(&self) -> TimestampMs {
        let elapsed = self.clock.now_ms().saturating_sub(self.anchor_clock).max(0);
        self.anchor_market.saturating_add(elapsed.saturating_mul(self.speed))
    }

    /// Sleeps on the clock until market time `ts` is reached.
    pub async fn wait_until(&self, ts: TimestampMs) {
        loop {
            let now = self.market_now();
            if now >= ts {
                return;
            }
            let wait = (ts - now + self.speed - 1) / self.speed;
            self.clock
                .sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(1).max(1)))
                .await;
        }
    }

    /// Makes market time `ts` be now.
    pub fn rebase(&mut self, ts: TimestampMs) {
        self.anchor_clock = self.clock.now_ms();
        self.anchor_market = ts;
    }
}
