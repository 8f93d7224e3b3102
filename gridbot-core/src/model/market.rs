//! Candles, ticks and intervals.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Symbol, TimestampMs};
use crate::error::ValidationError;

/// One OHLCV candle. `ts` is the candle's open time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candle {
    /// Open time, ms UTC.
    pub ts: TimestampMs,
    /// Open price.
    pub open: Decimal,
    /// High price.
    pub high: Decimal,
    /// Low price.
    pub low: Decimal,
    /// Close price.
    pub close: Decimal,
    /// Volume in base currency.
    pub volume: Decimal,
}

impl Candle {
    /// Checks high ≥ max(open, close), low ≤ min(open, close), all prices > 0.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.low <= Decimal::ZERO {
            return Err(ValidationError::new(
                "low",
                format!("must be greater than 0 at ts {}", self.ts),
            ));
        }
        if self.high < self.open.max(self.close) || self.low > self.open.min(self.close) || self.high < self.low {
            return Err(ValidationError::new(
                "high/low",
                format!("candle at ts {} has high/low outside open/close", self.ts),
            ));
        }
        if self.volume < Decimal::ZERO {
            return Err(ValidationError::new(
                "volume",
                format!("must not be negative at ts {}", self.ts),
            ));
        }
        Ok(())
    }
}

/// A last-trade price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tick {
    /// The contract.
    pub symbol: Symbol,
    /// Time, ms UTC.
    pub ts: TimestampMs,
    /// Last price.
    pub price: Decimal,
}

/// What a market data subscription delivers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MarketEvent {
    /// A new last price.
    Tick(Tick),
    /// A 1-minute candle closed.
    Candle {
        /// The contract.
        symbol: Symbol,
        /// The closed candle.
        candle: Candle,
    },
}

impl MarketEvent {
    /// The event's symbol.
    pub fn symbol(&self) -> &Symbol {
        match self {
            MarketEvent::Tick(t) => &t.symbol,
            MarketEvent::Candle { symbol, .. } => symbol,
        }
    }
}

/// A candle interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Interval {
    /// 1 minute.
    #[serde(rename = "1m")]
    M1,
    /// 3 minutes.
    #[serde(rename = "3m")]
    M3,
    /// 5 minutes.
    #[serde(rename = "5m")]
    M5,
    /// 15 minutes.
    #[serde(rename = "15m")]
    M15,
    /// 30 minutes.
    #[serde(rename = "30m")]
    M30,
    /// 1 hour.
    #[serde(rename = "1h")]
    H1,
    /// 4 hours.
    #[serde(rename = "4h")]
    H4,
    /// 6 hours.
    #[serde(rename = "6h")]
    H6,
    /// 12 hours.
    #[serde(rename = "12h")]
    H12,
    /// 1 day.
    #[serde(rename = "1d")]
    D1,
}

impl Interval {
    /// Every interval, shortest first.
    pub const ALL: [Interval; 10] = [
        Interval::M1,
        Interval::M3,
        Interval::M5,
        Interval::M15,
        Interval::M30,
        Interval::H1,
        Interval::H4,
        Interval::H6,
        Interval::H12,
        Interval::D1,
    ];

    /// Length in milliseconds.
    pub fn millis(self) -> i64 {
        const MIN: i64 = 60_000;
        match self {
            Interval::M1 => MIN,
            Interval::M3 => 3 * MIN,
            Interval::M5 => 5 * MIN,
            Interval::M15 => 15 * MIN,
            Interval::M30 => 30 * MIN,
            Interval::H1 => 60 * MIN,
            Interval::H4 => 240 * MIN,
            Interval::H6 => 360 * MIN,
            Interval::H12 => 720 * MIN,
            Interval::D1 => 1440 * MIN,
        }
    }

    /// `1m`, `5m`, `1h`, `1d`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::M1 => "1m",
            Interval::M3 => "3m",
            Interval::M5 => "5m",
            Interval::M15 => "15m",
            Interval::M30 => "30m",
            Interval::H1 => "1h",
            Interval::H4 => "4h",
            Interval::H6 => "6h",
            Interval::H12 => "12h",
            Interval::D1 => "1d",
        }
    }

    /// The open time of the interval that contains `ts`.
    pub fn floor(self, ts: TimestampMs) -> TimestampMs {
        ts - ts.rem_euclid(self.millis())
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Interval {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Interval::ALL.into_iter().find(|i| i.as_str() == lower).ok_or_else(|| {
            ValidationError::new(
                "interval",
                format!("must be one of 1m 3m 5m 15m 30m 1h 4h 6h 12h 1d, got {s:?}"),
            )
        })
    }
}
