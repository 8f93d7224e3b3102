//! Backtest a grid strategy on a candle CSV: the same neutral grid (±6 %
//! around each week's opening price, 40 geometric cells, 1000 USDT at 2x)
//! on each of the file's last 8 weeks, with a progress bar and a result
//! table.
//!
//! `cargo run --example backtest_grid [FILE.csv]` — by default the shared
//! 5-minute BTCUSDT candles (`../shared/data/binance_BTCUSDT_5m.csv` next to
//! this workspace). Fills follow the paper exchange's fill model (see
//! `gridbot::core::backtest`).

use std::path::PathBuf;

use gridbot::core::advisor::CoreBacktester;
use gridbot::core::backtest::BacktestReport;
use gridbot::core::feed::read_candles;
use gridbot::core::grid::{plan, GridConfig, GridMode, Spacing};
use gridbot::core::model::{Instrument, Rounding};
use gridbot::Decimal;
use indicatif::{ProgressBar, ProgressStyle};

const WEEKS: i64 = 8;
const WEEK_MS: i64 = 7 * 86_400_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/binance_BTCUSDT_5m.csv"));
    let candles = read_candles(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let last = candles.last().ok_or("the candle file is empty")?.ts;
    let btc = Instrument::btcusdt();
    let backtester = CoreBacktester::default();

    let bar = ProgressBar::new(WEEKS as u64);
    bar.set_style(ProgressStyle::with_template("backtesting {bar:40} {pos}/{len} weeks")?.progress_chars("=> "));
    let mut rows = Vec::new();
    for w in (0..WEEKS).rev() {
        let (from, to) = (last - (w + 1) * WEEK_MS, last - w * WEEK_MS);
        let week: Vec<_> = candles.iter().filter(|c| c.ts > from && c.ts <= to).copied().collect();
        let Some(open) = week.first().map(|c| c.open) else {
            bar.inc(1);
            continue;
        };
        let lower = btc.round_price(open * Decimal::new(94, 2), Rounding::Down);
        let upper = btc.round_price(open * Decimal::new(106, 2), Rounding::Up);
        let config = GridConfig::new(
            btc.symbol.clone(),
            lower,
            upper,
            40,
            Spacing::Geometric,
            GridMode::Neutral,
            Decimal::from(1_000),
            2,
        );
        let grid = plan(&config, &btc, open)?;
        if !grid.is_viable() {
            bar.println(format!("week of {}: grid not viable: {:?}", date(from), grid.errors));
        }
        let report = backtester.report(&config, &btc, &week)?;
        rows.push((date(week[0].ts), lower, upper, report));
        bar.inc(1);
    }
    bar.finish_and_clear();

    println!("{} on {}", btc.symbol, path.display());
    println!(
        "{:<11} {:>9} {:>9} {:>9} {:>6} {:>11} {:>11} {:>8} {:>8} {:>5}",
        "week of", "lower", "upper", "close", "trips", "grid profit", "total PnL", "ROI %", "max DD %", "liq."
    );
    let mut total = Decimal::ZERO;
    for (day, lower, upper, r) in &rows {
        print_row(day, *lower, *upper, r);
        total += r.total_pnl;
    }
    println!(
        "{} weeks, 1000 USDT each: total PnL {:.2} USDT ({:.2} % a week on average)",
        rows.len(),
        total,
        total / Decimal::from(rows.len().max(1) as u64) / Decimal::from(10)
    );
    Ok(())
}

fn print_row(day: &str, lower: Decimal, upper: Decimal, r: &BacktestReport) {
    println!(
        "{:<11} {:>9} {:>9} {:>9} {:>6} {:>11.2} {:>11.2} {:>8.2} {:>8.2} {:>5}",
        day,
        lower,
        upper,
        r.end_price,
        r.round_trips,
        r.grid_profit,
        r.total_pnl,
        r.roi_pct,
        r.max_drawdown_pct,
        if r.liquidated { "yes" } else { "no" }
    );
}

/// `YYYY-MM-DD` (UTC) of a timestamp in ms (days-from-civil, inverted).
fn date(ms: i64) -> String {
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}
