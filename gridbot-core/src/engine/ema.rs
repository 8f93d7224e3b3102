//! Exponential moving averages and the aggregation of 1-minute candles into
//! closed candles of a longer interval, for the trend engine.
//!
//! EMA values are trading *signals*, not money, but they are kept as
//! `Decimal` (rounded to 12 decimal places after every update) so that an
//! engine restored from its JSON snapshot continues bit-for-bit like one that
//! never stopped; `f64` would not survive a JSON round trip exactly.
//!
//! Invariants: an [`Ema`] is seeded with the first close it sees and reports
//! itself ready after `period` closes; a [`CandleAggregator`] emits each
//! interval candle exactly once, when its last minute arrives or when a later
//! minute shows that the interval is over (gaps in the data).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::model::{Candle, Interval, TimestampMs};

/// Decimal places an EMA value is rounded to after each update.
const EMA_DP: u32 = 12;

/// An exponential moving average with smoothing `2 / (period + 1)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ema {
    period: u32,
    alpha: Decimal,
    value: Option<Decimal>,
    count: u64,
}

impl Ema {
    /// An empty EMA over `period` (≥ 1) values.
    pub fn new(period: u32) -> Self {
        let period = period.max(1);
        Ema {
            period,
            alpha: Decimal::TWO / Decimal::from(period + 1),
            value: None,
            count: 0,
        }
    }

    /// Adds a close; returns the new value.
    pub fn update(&mut self, close: Decimal) -> Decimal {
        let next = match self.value {
            None => close,
            Some(prev) => (prev + self.alpha * (close - prev)).round_dp(EMA_DP),
        };
        self.value = Some(next);
        self.count = self.count.saturating_add(1);
        next
    }

    /// The current value, once at least one close was added.
    pub fn value(&self) -> Option<Decimal> {
        self.value
    }

    /// True once `period` closes were added (the seed has washed out enough
    /// to trade on).
    pub fn is_ready(&self) -> bool {
        self.count >= u64::from(self.period)
    }
}

/// Builds closed candles of `interval` from closed 1-minute candles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandleAggregator {
    interval: Interval,
    current: Option<Candle>,
}

impl CandleAggregator {
    /// An aggregator for `interval`.
    pub fn new(interval: Interval) -> Self {
        CandleAggregator {
            interval,
            current: None,
        }
    }

    /// Adds a closed 1-minute candle; returns the interval candles it closed
    /// (at most two: the previous one after a gap, and the current one when
    /// this minute is its last), oldest first.
    pub fn push(&mut self, minute: &Candle) -> Vec<Candle> {
        let mut closed = Vec::new();
        let bucket = self.interval.floor(minute.ts);
        match self.current.as_mut() {
            Some(cur) if cur.ts == bucket => {
                cur.high = cur.high.max(minute.high);
                cur.low = cur.low.min(minute.low);
                cur.close = minute.close;
                cur.volume += minute.volume;
            }
            Some(cur) if bucket < cur.ts => {
                // A minute older than the open interval: already accounted for.
                return closed;
            }
            _ => {
                if let Some(prev) = self.current.take() {
                    closed.push(prev);
                }
                self.current = Some(Candle { ts: bucket, ..*minute });
            }
        }
        if self.is_last_minute(minute.ts, bucket) {
            if let Some(done) = self.current.take() {
                closed.push(done);
            }
        }
        closed
    }

    fn is_last_minute(&self, minute_ts: TimestampMs, bucket: TimestampMs) -> bool {
        minute_ts + Interval::M1.millis() >= bucket + self.interval.millis()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn minute(ts_min: i64, close: Decimal) -> Candle {
        Candle {
            ts: ts_min * 60_000,
            open: close,
            high: close + dec!(1),
            low: close - dec!(1),
            close,
            volume: dec!(1),
        }
    }

    #[test]
    fn ema_is_seeded_with_the_first_close_and_smooths_with_two_over_period_plus_one() {
        let mut e = Ema::new(3);
        assert_eq!(e.update(dec!(10)), dec!(10));
        assert!(!e.is_ready());
        // alpha = 0.5: 10 + 0.5 * (20 - 10) = 15
        assert_eq!(e.update(dec!(20)), dec!(15));
        assert_eq!(e.update(dec!(15)), dec!(15));
        assert!(e.is_ready());
    }

    #[test]
    fn one_minute_interval_closes_every_candle() {
        let mut a = CandleAggregator::new(Interval::M1);
        assert_eq!(a.push(&minute(0, dec!(5))).len(), 1);
        assert_eq!(a.push(&minute(1, dec!(6))).len(), 1);
    }

    #[test]
    fn five_minute_candle_closes_on_its_last_minute_with_merged_ohlc() {
        let mut a = CandleAggregator::new(Interval::M5);
        for m in 0..4 {
            assert!(a.push(&minute(m, Decimal::from(100 + m))).is_empty());
        }
        let out = a.push(&minute(4, dec!(90)));
        assert_eq!(out.len(), 1);
        let c = out[0];
        assert_eq!((c.ts, c.open, c.close), (0, dec!(100), dec!(90)));
        assert_eq!((c.high, c.low, c.volume), (dec!(104), dec!(89), dec!(5)));
    }

    #[test]
    fn a_gap_closes_the_unfinished_interval_before_opening_the_next() {
        let mut a = CandleAggregator::new(Interval::M5);
        assert!(a.push(&minute(1, dec!(10))).is_empty());
        let out = a.push(&minute(7, dec!(20)));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].close, dec!(10));
        assert!(a.push(&minute(3, dec!(30))).is_empty(), "stale minute is ignored");
        assert_eq!(a.push(&minute(9, dec!(21)))[0].close, dec!(21));
    }
}
