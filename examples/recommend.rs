//! Three grid recommendations (conservative, moderate, aggressive) for
//! BTCUSDT from real 1-minute candles, by the backtest advisor: it analyses
//! the market, validates candidate grids walk-forward over the weeks before
//! (see `gridbot_core::advisor::walk_forward`), keeps the best safe one per
//! risk profile and forecasts its next 7 days.
//!
//! `cargo run --example recommend [FILE.csv]` — by default the shared
//! 1-minute BTCUSDT candles (`../shared/data/binance_BTCUSDT_1m.csv`), up
//! to 2021-05-10 00:00 UTC: the file's very last week is the May 2021
//! crash, in which no grid survives the drawdown limits (the advisor then
//! answers "no viable grid" with the reasons).

use std::path::PathBuf;
use std::sync::Arc;

use gridbot::core::advisor::{BacktestAdvisor, BacktestAdvisorConfig, CoreBacktester};
use gridbot::core::feed::read_candles;
use gridbot::core::model::{Instrument, Interval};
use gridbot::core::ports::{Advisor, AdvisorRequest};

/// 2021-05-10 00:00 UTC: the default file is read up to here.
const UNTIL_MS: i64 = 1_620_604_800_000;
/// Days of candles given to the advisor (7 backtested + 1 of warm-up).
const DAYS: i64 = 8;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (path, until) = match std::env::args().nth(1) {
        Some(p) => (PathBuf::from(p), i64::MAX),
        None => (
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/binance_BTCUSDT_1m.csv"),
            UNTIL_MS,
        ),
    };
    let all = read_candles(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let end = all.iter().rev().find(|c| c.ts < until).ok_or("no candles")?.ts + 60_000;
    let week: Vec<_> = all
        .into_iter()
        .filter(|c| c.ts < end && c.ts >= end - DAYS * 86_400_000)
        .collect();
    let request = AdvisorRequest::new(Instrument::btcusdt(), Interval::M1, Arc::new(week), end);

    let advisor = BacktestAdvisor::new(Arc::new(CoreBacktester::default()), BacktestAdvisorConfig::default());
    let set = advisor.recommend(&request).await?;

    let a = &set.analysis;
    println!(
        "{}: price {}, trend {:?}, 24h volatility {:.2} %, support {:?}, resistance {:?}",
        a.symbol, a.current_price, a.trend, a.volatility_24h_pct, a.support, a.resistance
    );
    println!(
        "\n{:<13} {:<8} {:>9} {:>9} {:>5} {:>4} {:>8} {:>9} {:>8} {:>10}",
        "profile", "mode", "lower", "upper", "grids", "lev", "exp 7d", "backtest", "max DD", "min inv."
    );
    for r in &set.recommendations {
        println!(
            "{:<13} {:<8} {:>9} {:>9} {:>5} {:>3}x {:>7}% {:>8}% {:>7}% {:>10}",
            r.risk_level.as_str(),
            r.mode.as_str(),
            r.lower,
            r.upper,
            r.grids,
            r.leverage,
            r.expected_roi_7d_pct,
            r.backtest_roi_pct,
            r.max_drawdown_pct,
            r.min_investment
        );
    }
    for r in &set.recommendations {
        println!("\n{}: {}", r.name, r.description);
    }
    Ok(())
}
