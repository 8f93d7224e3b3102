//! Market analysis on real BTC/USDT 1m candles (../shared/data), including
//! the 19 May 2021 crash. Skips with a message when the data is absent.

use std::path::Path;

use gridbot_core::analysis::{analyze, window, DAY_MS};
use gridbot_core::feed::read_candles;
use gridbot_core::model::{Candle, Instrument, Interval};
use gridbot_core::ports::Trend;

const BTC_1M: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/binance_BTCUSDT_1m.csv");

fn candles() -> Option<Vec<Candle>> {
    if !Path::new(BTC_1M).exists() {
        eprintln!("skipping: {BTC_1M} not found");
        return None;
    }
    Some(read_candles(Path::new(BTC_1M)).unwrap())
}

/// The candles up to (excluding) `until`, last 7 days.
fn week_until(all: &[Candle], until: i64) -> Vec<Candle> {
    let upto: Vec<Candle> = all.iter().copied().filter(|c| c.ts < until).collect();
    window(&upto, Interval::M1, 7 * DAY_MS).to_vec()
}

#[test]
fn analysis_of_the_last_week_is_consistent() {
    let Some(all) = candles() else { return };
    let week = window(&all, Interval::M1, 7 * DAY_MS);
    let a = analyze(&Instrument::btcusdt(), Interval::M1, week).unwrap();
    let last = week.last().unwrap();
    assert_eq!(a.current_price, last.close);
    assert!(a.low_24h <= a.current_price && a.current_price <= a.high_24h);
    assert!(
        a.volatility_24h_pct > 0.5 && a.volatility_24h_pct < 30.0,
        "{}",
        a.volatility_24h_pct
    );
    assert!((a.volatility_annual_pct / a.volatility_24h_pct - 365f64.sqrt()).abs() < 0.01);
    assert!(a.atr_pct > 0.0 && a.atr_pct < 5.0);
    assert!(a.support.iter().all(|s| *s < a.current_price));
    assert!(a.resistance.iter().all(|r| *r > a.current_price));
    assert!(a.support.windows(2).all(|w| w[0] > w[1]));
    assert!(a.resistance.windows(2).all(|w| w[0] < w[1]));
    assert!(!a.support.is_empty() || !a.resistance.is_empty());
}

#[test]
fn the_19_may_2021_crash_reads_as_a_down_trend() {
    let Some(all) = candles() else { return };
    // 2021-05-19 16:00 UTC: BTC had fallen from about 43k to under 38k in the day.
    let week = week_until(&all, 1_621_440_000_000);
    let a = analyze(&Instrument::btcusdt(), Interval::M1, &week).unwrap();
    assert!(
        a.change_24h_pct < rust_decimal::Decimal::from(-5),
        "{}",
        a.change_24h_pct
    );
    assert_eq!(a.trend, Trend::Down);
    assert!(a.volatility_24h_pct > 3.0, "{}", a.volatility_24h_pct);
}
