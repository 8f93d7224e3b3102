//! Indicator arithmetic over candles: EMA, Wilder's ATR, log-return
//! volatility and hourly resampling.
//!
//! Statistics are `f64` (they are displayed, never used as money); bars
//! keep their `Decimal` prices so that levels derived from them are exact.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::model::{Candle, Interval};

/// Exponential moving average of `values` with period `period`
/// (`α = 2 / (period + 1)`), seeded with the first value. `None` when
/// `values` is empty or `period` is 0.
pub fn ema(values: &[f64], period: usize) -> Option<f64> {
    let (first, rest) = values.split_first()?;
    if period == 0 {
        return None;
    }
    let alpha = 2.0 / (period as f64 + 1.0);
    Some(rest.iter().fold(*first, |acc, v| acc + alpha * (v - acc)))
}

/// Wilder's average true range over `candles` with period `period`: the
/// first ATR is the mean of the first `period` true ranges, then
/// `ATR = (ATR·(period−1) + TR) / period`. The first candle's true range is
/// its high − low (it has no previous close). `None` when there are fewer
/// than `period` candles or `period` is 0.
pub fn atr(candles: &[Candle], period: usize) -> Option<f64> {
    if period == 0 || candles.len() < period {
        return None;
    }
    let mut prev_close: Option<f64> = None;
    let mut trs = Vec::with_capacity(candles.len());
    for c in candles {
        let (h, l, cl) = (to_f64(c.high), to_f64(c.low), to_f64(c.close));
        let tr = match prev_close {
            Some(pc) => (h - l).max((h - pc).abs()).max((l - pc).abs()),
            None => h - l,
        };
        trs.push(tr);
        prev_close = Some(cl);
    }
    let (seed, rest) = trs.split_at(period);
    let n = period as f64;
    let first = seed.iter().sum::<f64>() / n;
    Some(rest.iter().fold(first, |acc, tr| (acc * (n - 1.0) + tr) / n))
}

/// Sample standard deviation (n − 1) of the log returns of `candles`: the
/// first return is `ln(close₀ / open₀)`, each next `ln(closeᵢ / closeᵢ₋₁)`.
/// 0 with fewer than two returns.
pub fn log_return_std(candles: &[Candle]) -> f64 {
    let mut returns = Vec::with_capacity(candles.len());
    let mut prev = match candles.first() {
        Some(c) => to_f64(c.open),
        None => return 0.0,
    };
    for c in candles {
        let close = to_f64(c.close);
        if prev > 0.0 && close > 0.0 {
            returns.push((close / prev).ln());
        }
        prev = close;
    }
    sample_std(&returns)
}

/// Sample standard deviation (n − 1); 0 with fewer than two values.
pub fn sample_std(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    var.sqrt()
}

/// Aggregates candles into hourly bars (open of the first, highest high,
/// lowest low, close of the last, summed volume), keyed by the hour that
/// contains each candle's open time. Candles of an hour or longer are
/// returned unchanged.
pub fn resample_hourly(candles: &[Candle], interval: Interval) -> Vec<Candle> {
    if interval.millis() >= Interval::H1.millis() {
        return candles.to_vec();
    }
    let mut bars: Vec<Candle> = Vec::with_capacity(candles.len() / 60 + 1);
    for c in candles {
        let hour = Interval::H1.floor(c.ts);
        match bars.last_mut() {
            Some(bar) if bar.ts == hour => {
                bar.high = bar.high.max(c.high);
                bar.low = bar.low.min(c.low);
                bar.close = c.close;
                bar.volume += c.volume;
            }
            _ => bars.push(Candle { ts: hour, ..*c }),
        }
    }
    bars
}

/// A decimal as `f64` (0 if it cannot be represented, which a validated
/// price never is).
pub fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn candle(ts: i64, o: Decimal, h: Decimal, l: Decimal, c: Decimal) -> Candle {
        Candle {
            ts,
            open: o,
            high: h,
            low: l,
            close: c,
            volume: dec!(1),
        }
    }

    #[test]
    fn ema_weights_recent_values_by_two_over_period_plus_one() {
        // period 3 → α = 0.5: 10 → 10 + 0.5·(20−10) = 15 → 15 + 0.5·(40−15) = 27.5
        assert_eq!(ema(&[10.0, 20.0, 40.0], 3), Some(27.5));
        assert_eq!(ema(&[], 3), None);
        assert_eq!(ema(&[1.0], 0), None);
    }

    #[test]
    fn atr_seeds_with_the_mean_true_range_then_smooths_the_wilder_way() {
        let cs = [
            candle(0, dec!(100), dec!(102), dec!(99), dec!(101)),   // TR 3
            candle(60, dec!(101), dec!(103), dec!(100), dec!(102)), // TR max(3, 1, 1) = 3
            candle(120, dec!(102), dec!(102), dec!(96), dec!(97)),  // TR max(6, 0, 6) = 6
            candle(180, dec!(97), dec!(110), dec!(97), dec!(109)),  // TR max(13, 13, 0) = 13
        ];
        let seed = (3.0 + 3.0 + 6.0) / 3.0;
        let expected = (seed * 2.0 + 13.0) / 3.0;
        assert!((atr(&cs, 3).unwrap() - expected).abs() < 1e-12);
        assert_eq!(atr(&cs[..2], 3), None);
    }

    #[test]
    fn log_return_std_starts_from_the_first_open() {
        let cs = [
            candle(0, dec!(100), dec!(110), dec!(100), dec!(110)),
            candle(60, dec!(110), dec!(110), dec!(99), dec!(99)),
            candle(120, dec!(99), dec!(100), dec!(99), dec!(99)),
        ];
        let r = [(110.0f64 / 100.0).ln(), (99.0f64 / 110.0).ln(), 0.0];
        let mean = r.iter().sum::<f64>() / 3.0;
        let expected = (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        assert!((log_return_std(&cs) - expected).abs() < 1e-12);
        assert_eq!(log_return_std(&cs[..0]), 0.0);
    }

    #[test]
    fn resampling_merges_minutes_of_the_same_hour() {
        let h = 3_600_000;
        let cs = [
            candle(0, dec!(10), dec!(12), dec!(9), dec!(11)),
            candle(60_000, dec!(11), dec!(15), dec!(10), dec!(14)),
            candle(h, dec!(14), dec!(14), dec!(8), dec!(9)),
        ];
        let bars = resample_hourly(&cs, Interval::M1);
        assert_eq!(bars.len(), 2);
        assert_eq!(
            (bars[0].open, bars[0].high, bars[0].low, bars[0].close, bars[0].volume),
            (dec!(10), dec!(15), dec!(9), dec!(14), dec!(2))
        );
        assert_eq!((bars[1].ts, bars[1].close), (h, dec!(9)));
        assert_eq!(resample_hourly(&cs, Interval::H1).len(), 3);
    }
}
