//! Market analysis: pure functions from candles to a [`MarketAnalysis`].
//!
//! What is measured, and how:
//! - **current price**: the last close.
//! - **24 h window**: the candles whose open time is at or after
//!   `last.ts + interval − 24 h` (1 440 one-minute candles when there are no
//!   gaps). High/low are its extremes; the change is last close versus the
//!   window's first open, percent, 2 places.
//! - **volatility**: the sample standard deviation of the window's
//!   per-candle log returns (see [`indicators::log_return_std`]), scaled to
//!   one day by `√(candles per day)` — so it is a *daily* volatility whatever
//!   the interval — and annualised by `√365` (crypto trades every day).
//!   Percent, 4 places.
//! - **ATR %**: Wilder's ATR(14) over all candles divided by the last close,
//!   percent, 4 places, in units of the request's interval.
//! - **trend**: the rule in [`trend`] (EMA20 vs EMA50 of hourly closes plus
//!   the 24 h change).
//! - **support / resistance**: swing-pivot clusters on hourly bars, see
//!   [`levels`]; the cluster tolerance is the larger of 0.3 % and half the
//!   mean hourly range.
//!
//! Invariants of the result: `low_24h ≤ current_price ≤ high_24h`; every
//! support is below and every resistance above the current price, nearest
//! first; levels are on the instrument's tick. Candles must be valid
//! ([`Candle::validate`]) and strictly ascending, at least [`MIN_CANDLES`].

pub mod indicators;
pub mod levels;
pub mod trend;

use rust_decimal::Decimal;

use crate::error::{AdvisorError, ValidationError};
use crate::model::{Candle, Instrument, Interval};
use crate::ports::{AdvisorRequest, MarketAnalysis};

pub use trend::TrendRule;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// Period of the ATR.
pub const ATR_PERIOD: usize = 14;

/// Fewest candles [`analyze`] accepts (one ATR period plus one).
pub const MIN_CANDLES: usize = ATR_PERIOD + 1;

/// The trailing candles whose open time is at or after
/// `last.ts + interval − duration_ms`: the last `duration_ms` of market time.
/// Empty input gives an empty slice.
pub fn window(candles: &[Candle], interval: Interval, duration_ms: i64) -> &[Candle] {
    let Some(last) = candles.last() else {
        return candles;
    };
    let start = last.ts.saturating_add(interval.millis()).saturating_sub(duration_ms);
    let from = candles.partition_point(|c| c.ts < start);
    candles.get(from..).unwrap_or(&[])
}

/// Analyses the candles of a request.
pub fn analyze_request(request: &AdvisorRequest) -> Result<MarketAnalysis, AdvisorError> {
    analyze(&request.instrument, request.timeframe, &request.candles)
}

/// Analyses `candles` (oldest first, interval `interval`) with the default
/// [`TrendRule`].
pub fn analyze(
    instrument: &Instrument,
    interval: Interval,
    candles: &[Candle],
) -> Result<MarketAnalysis, AdvisorError> {
    analyze_with(instrument, interval, candles, &TrendRule::default())
}

/// Analyses `candles` with the given trend rule.
pub fn analyze_with(
    instrument: &Instrument,
    interval: Interval,
    candles: &[Candle],
    rule: &TrendRule,
) -> Result<MarketAnalysis, AdvisorError> {
    check_candles(candles)?;
    let (Some(last), Some(day_first)) = (candles.last(), window(candles, interval, DAY_MS).first()) else {
        return Err(AdvisorError::NotEnoughData("no candles".into()));
    };
    let day = window(candles, interval, DAY_MS);
    let price = last.close;
    let high_24h = day.iter().map(|c| c.high).max().unwrap_or(price);
    let low_24h = day.iter().map(|c| c.low).min().unwrap_or(price);
    let change_24h_pct = ((price - day_first.open) / day_first.open * Decimal::ONE_HUNDRED).round_dp(2);

    let per_day = (DAY_MS as f64 / interval.millis() as f64).max(1.0);
    let volatility_24h = indicators::log_return_std(day) * per_day.sqrt() * 100.0;
    let volatility_annual = volatility_24h * 365f64.sqrt();
    let price_f = indicators::to_f64(price);
    let atr_pct = indicators::atr(candles, ATR_PERIOD)
        .filter(|_| price_f > 0.0)
        .map_or(0.0, |a| a / price_f * 100.0);

    let bars = indicators::resample_hourly(candles, interval);
    let closes: Vec<f64> = bars.iter().map(|b| indicators::to_f64(b.close)).collect();
    let change_f = indicators::to_f64(change_24h_pct);
    let trend = rule.classify(rule.ema_gap_pct(&closes), change_f);

    let (support, resistance) = levels::support_resistance(&bars, price, cluster_tolerance(&bars), instrument);

    Ok(MarketAnalysis {
        symbol: instrument.symbol.clone(),
        current_price: price,
        high_24h,
        low_24h,
        change_24h_pct,
        trend,
        volatility_24h_pct: round4(volatility_24h),
        volatility_annual_pct: round4(volatility_annual),
        atr_pct: round4(atr_pct),
        support,
        resistance,
        candles: candles.len(),
    })
}

/// Refuses too few, invalid or unordered candles.
fn check_candles(candles: &[Candle]) -> Result<(), AdvisorError> {
    if candles.len() < MIN_CANDLES {
        return Err(AdvisorError::NotEnoughData(format!(
            "need at least {MIN_CANDLES} candles to analyse, got {}",
            candles.len()
        )));
    }
    for c in candles {
        c.validate()?;
    }
    if let Some(w) = candles.windows(2).find(|w| w[0].ts >= w[1].ts) {
        return Err(ValidationError::new(
            "candles",
            format!(
                "must be strictly ascending by time; {} is followed by {}",
                w[0].ts, w[1].ts
            ),
        )
        .into());
    }
    Ok(())
}

/// The larger of 0.3 % and half the mean relative hourly range.
fn cluster_tolerance(bars: &[Candle]) -> Decimal {
    let floor = Decimal::new(3, 3);
    if bars.is_empty() {
        return floor;
    }
    let mean_range = bars
        .iter()
        .map(|b| (b.high - b.low) / b.close)
        .fold(Decimal::ZERO, |a, r| a + r)
        / Decimal::from(bars.len() as u64);
    (mean_range / Decimal::TWO).round_dp(6).max(floor)
}

fn round4(x: f64) -> f64 {
    if x.is_finite() {
        (x * 10_000.0).round() / 10_000.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests;
