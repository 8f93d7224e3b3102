//! Analysis over hand-built candles; every expected number is computed here.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::ports::Trend;

const H: i64 = 3_600_000;

/// Hourly candles from a list of closes: each opens at the previous close
/// (the first at its own close) and spans ±0.5 around open/close.
fn hourly(closes: &[Decimal]) -> Vec<Candle> {
    let mut prev = closes[0];
    closes
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let candle = Candle {
                ts: i as i64 * H,
                open: prev,
                high: prev.max(c) + dec!(0.5),
                low: prev.min(c) - dec!(0.5),
                close: c,
                volume: dec!(1),
            };
            prev = c;
            candle
        })
        .collect()
}

/// Closes growing by `step_pct` percent per candle from 100, on 2 decimals.
fn geometric(n: usize, step_pct: f64) -> Vec<Decimal> {
    (0..n)
        .map(|i| {
            Decimal::try_from(100.0 * (1.0 + step_pct / 100.0).powi(i as i32))
                .unwrap()
                .round_dp(2)
        })
        .collect()
}

#[test]
fn the_24h_window_is_the_last_day_of_candles_however_long_the_input() {
    let candles = hourly(&geometric(100, 0.0));
    let day = window(&candles, Interval::H1, DAY_MS);
    assert_eq!(day.len(), 24);
    assert_eq!(day[0].ts, 76 * H);
    assert_eq!(window(&candles[..10], Interval::H1, DAY_MS).len(), 10);
    assert!(window(&[], Interval::H1, DAY_MS).is_empty());
}

#[test]
fn price_range_and_change_come_from_the_last_24_hours() {
    let mut closes = vec![dec!(100); 30];
    closes[3] = dec!(500); // outside the last day: must not count
    closes[10] = dec!(120);
    closes[20] = dec!(90);
    closes[29] = dec!(110);
    let candles = hourly(&closes);
    let a = analyze(&Instrument::btcusdt(), Interval::H1, &candles).unwrap();
    assert_eq!(a.current_price, dec!(110));
    assert_eq!(a.high_24h, dec!(120.5));
    assert_eq!(a.low_24h, dec!(89.5));
    let first_open = candles[6].open; // 30 − 24
    let expected = ((dec!(110) - first_open) / first_open * dec!(100)).round_dp(2);
    assert_eq!(a.change_24h_pct, expected);
    assert_eq!(a.candles, 30);
}

#[test]
fn volatility_is_daily_std_of_log_returns_and_annualised_by_sqrt_365() {
    let closes: Vec<Decimal> = (0..48)
        .map(|i| if i % 2 == 0 { dec!(100) } else { dec!(102) })
        .collect();
    let candles = hourly(&closes);
    let a = analyze(&Instrument::btcusdt(), Interval::H1, &candles).unwrap();
    let day = &candles[24..];
    let mut returns = vec![(day[0].close.to_f64().unwrap() / day[0].open.to_f64().unwrap()).ln()];
    for w in day.windows(2) {
        returns.push((w[1].close.to_f64().unwrap() / w[0].close.to_f64().unwrap()).ln());
    }
    let mean = returns.iter().sum::<f64>() / returns.len() as f64;
    let var = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (returns.len() - 1) as f64;
    let daily = var.sqrt() * 24f64.sqrt() * 100.0;
    assert!(
        (a.volatility_24h_pct - daily).abs() < 1e-3,
        "{} vs {daily}",
        a.volatility_24h_pct
    );
    assert!((a.volatility_annual_pct - daily * 365f64.sqrt()).abs() < 1e-2);
}

#[test]
fn atr_pct_is_wilder_atr_over_the_last_close() {
    let closes = vec![dec!(100); 20];
    let candles = hourly(&closes);
    // Every true range is 1 (±0.5 around 100), so ATR = 1 and ATR % = 1 %.
    let a = analyze(&Instrument::btcusdt(), Interval::H1, &candles).unwrap();
    assert_eq!(a.atr_pct, 1.0);
}

#[test]
fn steady_rise_is_an_up_trend_and_steady_fall_a_down_trend() {
    let up = hourly(&geometric(120, 0.1));
    let a = analyze(&Instrument::btcusdt(), Interval::H1, &up).unwrap();
    assert!(a.change_24h_pct > dec!(1));
    assert_eq!(a.trend, Trend::Up);

    let down = hourly(&geometric(120, -0.1));
    assert_eq!(
        analyze(&Instrument::btcusdt(), Interval::H1, &down).unwrap().trend,
        Trend::Down
    );
}

#[test]
fn oscillation_without_drift_is_sideways_with_levels_on_both_sides() {
    let closes: Vec<Decimal> = (0..120)
        .map(|i| {
            let x = (i as f64 * std::f64::consts::TAU / 12.0).sin() * 5.0 + 100.0;
            Decimal::try_from(x).unwrap().round_dp(1)
        })
        .collect();
    let candles = hourly(&closes);
    let a = analyze(&Instrument::btcusdt(), Interval::H1, &candles).unwrap();
    assert_eq!(a.trend, Trend::Sideways);
    assert!(!a.support.is_empty() && !a.resistance.is_empty());
    assert!(a.support.iter().all(|s| *s < a.current_price));
    assert!(a.resistance.iter().all(|r| *r > a.current_price));
    // The swings top out near 105.5 and bottom near 94.5.
    assert!(
        a.resistance.iter().any(|r| (*r - dec!(105.5)).abs() <= dec!(0.5)),
        "{:?}",
        a.resistance
    );
    assert!(
        a.support.iter().any(|s| (*s - dec!(94.5)).abs() <= dec!(0.5)),
        "{:?}",
        a.support
    );
}

#[test]
fn minute_candles_are_judged_on_hourly_closes() {
    // 3 days of minutes rising 0.002 % a minute (≈ 2.9 % a day).
    let closes = geometric(3 * 1440, 0.002);
    let candles: Vec<Candle> = hourly(&closes)
        .into_iter()
        .enumerate()
        .map(|(i, c)| Candle {
            ts: i as i64 * 60_000,
            ..c
        })
        .collect();
    let a = analyze(&Instrument::btcusdt(), Interval::M1, &candles).unwrap();
    assert_eq!(a.trend, Trend::Up);
    assert!(a.low_24h >= candles[2 * 1440].low);
}

#[test]
fn too_few_unordered_or_invalid_candles_are_refused() {
    let candles = hourly(&geometric(30, 0.0));
    assert!(matches!(
        analyze(&Instrument::btcusdt(), Interval::H1, &candles[..MIN_CANDLES - 1]),
        Err(AdvisorError::NotEnoughData(_))
    ));
    let mut unordered = candles.clone();
    unordered.swap(3, 4);
    assert!(matches!(
        analyze(&Instrument::btcusdt(), Interval::H1, &unordered),
        Err(AdvisorError::Invalid(_))
    ));
    let mut bad = candles;
    bad[5].high = Decimal::ZERO;
    assert!(analyze(&Instrument::btcusdt(), Interval::H1, &bad).is_err());
}
