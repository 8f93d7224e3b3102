//! `gridbot backtest`: run one grid over a candle file with the core
//! backtester and print the report (a table, or `--json`).
//!
//! Grid flags are those of `gridbot plan` (`--lower --upper --grids
//! --spacing --mode --investment --leverage --stop-loss --take-profit` and the
//! instrument rules `--tick-size ... --mmr`, defaults Bitget BTCUSDT), plus
//! `--candles FILE.csv` and optionally `--days N` (only the file's last N
//! days). The grid starts at the first candle's open; the fill model is the
//! paper exchange's (see `gridbot_core::backtest`).
//!
//! The plan is checked at the start price first: invalid input exits 2; a
//! plan's viability errors are shown as warnings on stderr. The grid engine
//! refuses every broken rule but one (exit 2 with the rule): a liquidation
//! price inside the range is backtested, since a backtest is how to see
//! what it costs.
//!
//! JSON: the report's fields (`candles, start_ts, end_ts, days, start_price,
//! end_price, investment, final_equity, total_pnl, grid_profit,
//! position_pnl, fees, roi_pct, apr_pct, max_drawdown_pct, round_trips,
//! fills, win_rate, liquidated, stop_reason, equity_curve`) plus `symbol`,
//! `liquidation_price` and `plan_errors`; decimals as strings, USDT amounts
//! rounded to cents and percentages to 2 places (`BacktestReport::rounded`).
//!
//! This module also holds the flag groups and helpers `gridbot recommend`
//! shares: [`load_candles`], [`progress_bar`], [`table`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gridbot_core::advisor::CoreBacktester;
use gridbot_core::analysis::{window, DAY_MS};
use gridbot_core::backtest::BacktestReport;
use gridbot_core::feed::read_candles;
use gridbot_core::grid::{plan, GridConfig, GridMode, Spacing};
use gridbot_core::model::{Candle, Interval, Symbol};
use gridbot_core::Decimal;
use indicatif::{ProgressBar, ProgressStyle};

use super::{flag_error, CliError, InstrumentArgs};

/// Arguments of `gridbot backtest`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Contract, e.g. BTCUSDT.
    #[arg(long, default_value = "BTCUSDT")]
    pub symbol: String,
    /// Lowest grid line (USDT).
    #[arg(long)]
    pub lower: Decimal,
    /// Highest grid line (USDT).
    #[arg(long)]
    pub upper: Decimal,
    /// Number of grids (intervals), 2..=200.
    #[arg(long)]
    pub grids: u32,
    /// Line spacing: arithmetic or geometric.
    #[arg(long, default_value = "arithmetic")]
    pub spacing: Spacing,
    /// Grid mode: long, short or neutral.
    #[arg(long, default_value = "long")]
    pub mode: GridMode,
    /// Margin committed (USDT).
    #[arg(long)]
    pub investment: Decimal,
    /// Leverage.
    #[arg(long, default_value_t = 1)]
    pub leverage: u32,
    /// Whole-grid stop-loss price.
    #[arg(long)]
    pub stop_loss: Option<Decimal>,
    /// Whole-grid take-profit price.
    #[arg(long)]
    pub take_profit: Option<Decimal>,
    /// Candle CSV (`ts_ms,open,high,low,close,volume`, oldest first).
    #[arg(long, value_name = "FILE.csv")]
    pub candles: PathBuf,
    /// Backtest only the file's last N days.
    #[arg(long)]
    pub days: Option<u32>,
    /// Adverse slippage of market orders, basis points.
    #[arg(long, default_value = "2")]
    pub slippage_bps: Decimal,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The contract's trading rules.
    #[command(flatten)]
    pub instrument: InstrumentArgs,
}

/// Runs `gridbot backtest`.
pub async fn run(args: Args) -> Result<(), CliError> {
    let symbol = Symbol::new(&args.symbol)?;
    let instrument = args.instrument.resolve(symbol.clone()).await?;
    let (all, interval) = load_candles(&args.candles, None)?;
    let candles = match args.days {
        Some(0) => return Err(CliError::new("--days must be at least 1")),
        Some(d) => window(&all, interval, i64::from(d) * DAY_MS).to_vec(),
        None => all,
    };
    let start = candles
        .first()
        .map(|c| c.open)
        .ok_or_else(|| CliError::new("the candle file is empty"))?;
    let config = GridConfig::new(
        symbol,
        args.lower,
        args.upper,
        args.grids,
        args.spacing,
        args.mode,
        args.investment,
        args.leverage,
    )
    .with_stops(args.stop_loss, args.take_profit);
    let plan = plan(&config, &instrument, start).map_err(flag_error)?;
    for e in &plan.errors {
        eprintln!("warning: {e}");
    }
    let backtester = CoreBacktester::default().with_slippage_bps(args.slippage_bps);
    let report = tokio::task::spawn_blocking(move || backtester.report(&config, &instrument, &candles))
        .await
        .map_err(|e| CliError::runtime(format!("the backtest stopped unexpectedly: {e}")))?
        .map_err(|e| CliError::new(e.to_string()))?;
    if args.json {
        let mut value = serde_json::to_value(report.rounded())
            .map_err(|e| CliError::runtime(format!("cannot encode the report as JSON: {e}")))?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("symbol".into(), serde_json::json!(plan.symbol));
            obj.insert("liquidation_price".into(), serde_json::json!(plan.liquidation_price));
            obj.insert("plan_errors".into(), serde_json::json!(plan.errors));
        }
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| CliError::runtime(format!("cannot encode the report as JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", render(&report, plan.liquidation_price));
    }
    Ok(())
}

/// The human report.
pub fn render(r: &BacktestReport, liquidation: Option<Decimal>) -> String {
    let d = |x: Decimal| x.normalize().to_string();
    let r = &r.rounded();
    let rows: Vec<Vec<String>> = [
        ("candles", r.candles.to_string()),
        ("days", d(r.days)),
        (
            "start / end price",
            format!("{} / {}", d(r.start_price), d(r.end_price)),
        ),
        ("investment", format!("{} USDT", d(r.investment))),
        ("final equity", format!("{} USDT", d(r.final_equity))),
        ("total PnL", format!("{} USDT", d(r.total_pnl))),
        ("grid profit", format!("{} USDT", d(r.grid_profit))),
        ("position PnL", format!("{} USDT", d(r.position_pnl))),
        ("fees", format!("{} USDT", d(r.fees))),
        ("ROI", format!("{} %", d(r.roi_pct))),
        ("APR", format!("{} %", d(r.apr_pct))),
        ("max drawdown", format!("{} %", d(r.max_drawdown_pct))),
        ("round trips", r.round_trips.to_string()),
        ("fills", r.fills.to_string()),
        ("win rate", format!("{} %", d(r.win_rate))),
        ("liquidation price", liquidation.map_or_else(|| "none".into(), d)),
        ("liquidated", if r.liquidated { "yes".into() } else { "no".into() }),
        (
            "stopped by",
            r.stop_reason
                .map_or_else(|| "-".into(), |s| format!("{s:?}").to_lowercase()),
        ),
    ]
    .into_iter()
    .map(|(k, v)| vec![k.to_owned(), v])
    .collect();
    let mut all = vec![vec!["backtest".to_owned(), String::new()]];
    all.extend(rows);
    table(&all)
}

/// Names the command-line flag behind a validation error's field.
/// Reads a candle file and its interval (given, or inferred as the most
/// common gap between the first 1000 candles).
pub fn load_candles(path: &Path, interval: Option<Interval>) -> Result<(Vec<Candle>, Interval), CliError> {
    let candles = read_candles(path).map_err(|e| CliError::new(e.to_string()))?;
    if candles.len() < 2 {
        return Err(CliError::new(format!(
            "{} holds {} candles; at least a day of candles is needed",
            path.display(),
            candles.len()
        )));
    }
    let interval = match interval {
        Some(i) => i,
        None => infer_interval(&candles).ok_or_else(|| {
            CliError::new(format!(
                "cannot tell the candle interval of {}; pass --interval (1m, 5m, 1h, ...)",
                path.display()
            ))
        })?,
    };
    Ok((candles, interval))
}

/// The interval whose length is the most common gap between the first 1000
/// candles, if it is one of [`Interval::ALL`].
pub fn infer_interval(candles: &[Candle]) -> Option<Interval> {
    let mut gaps: BTreeMap<i64, usize> = BTreeMap::new();
    for w in candles.iter().take(1000).collect::<Vec<_>>().windows(2) {
        *gaps.entry(w[1].ts - w[0].ts).or_default() += 1;
    }
    let (gap, _) = gaps.into_iter().max_by_key(|(gap, n)| (*n, -*gap))?;
    Interval::ALL.into_iter().find(|i| i.millis() == gap)
}

/// A progress bar on stderr (hidden when stderr is not a terminal).
pub fn progress_bar(message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} ({eta})") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(message);
    bar
}

/// Left-aligned text columns separated by two spaces; the first row is the
/// header, underlined.
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let line: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&rule.join("  "));
            out.push('\n');
        }
    }
    out
}
