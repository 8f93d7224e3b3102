//! The walk-forward evaluation of the backtest advisor on the 5m candles of
//! ../shared/data (see `gridbot_core::advisor::evaluate`): take the
//! recommendation made at the end of week k, run it on week k + 1.
//!
//! - `a_reduced_walk_forward_holds_its_promises`: two steps of two files,
//!   every pick checked one by one: its liquidation stays out of reach of
//!   the week after, profiles are ordered by risk, forecasts are ranges
//!   around a figure and the 30-day figure is the 7-day one scaled.
//! - `full_walk_forward_meets_the_issue_14_targets`: 27 weekly steps of
//!   each of the four files (about 2 minutes in a debug build on 2 cores,
//!   so CI runs it whole); the mean next-week outcome within 0.6–1.5× of
//!   the mean forecast, mean outcome > 0, liquidations ≤ 1 % / 2 % / 5 %
//!   of picks, a pick in ≥ 60 % of the weeks for each profile; on all
//!   files, and the same on the held-out ones (SOL, XRP: the method was
//!   tuned on BTC and ETH), where a liquidation limit is read in whole
//!   picks (2 % of 49 picks allows one). Single files are not judged: 27
//!   picks are too few for a mean that one week can move by 4 %.
//!
//! `GRIDBOT_EVAL_FILES` (comma-separated symbols) and `GRIDBOT_EVAL_WEEKS`
//! narrow the full run (`cargo test --release -p gridbot-core --test
//! advisor_walk_forward -- --nocapture` prints its tables). Skips with a
//! message when the data is absent.

use std::path::Path;
use std::sync::Arc;

use gridbot_core::advisor::evaluate::{evaluate, Evaluation};
use gridbot_core::advisor::{check_order, BacktestAdvisor, BacktestAdvisorConfig, CoreBacktester};
use gridbot_core::feed::{default_instrument, read_candles};
use gridbot_core::model::{Candle, Instrument, Interval, Symbol};
use gridbot_core::ports::AdvisorRequest;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data");

const TRAIN: [&str; 2] = ["BTCUSDT", "ETHUSDT"];
const HELD_OUT: [&str; 2] = ["SOLUSDT", "XRPUSDT"];

fn load(symbol: &str) -> Option<(Instrument, Vec<Candle>)> {
    let path = format!("{DATA}/binance_{symbol}_5m.csv");
    if !Path::new(&path).exists() {
        eprintln!("skipping {symbol}: {path} not found");
        return None;
    }
    let candles = read_candles(Path::new(&path)).ok()?;
    let instrument = default_instrument(&Symbol::new(symbol).ok()?)?;
    Some((instrument, candles))
}

fn advisor() -> BacktestAdvisor {
    BacktestAdvisor::new(Arc::new(CoreBacktester::default()), BacktestAdvisorConfig::default())
}

/// The last `weeks` weekly steps of `candles` (5m) with advisor `a`, its
/// table printed.
fn evaluate_on(
    symbol: &str,
    a: &BacktestAdvisor,
    instrument: &Instrument,
    candles: &[Candle],
    weeks: usize,
) -> Evaluation {
    let started = std::time::Instant::now();
    let e = evaluate(
        a,
        a.backtester().as_ref(),
        instrument,
        Interval::M5,
        candles,
        weeks,
        None,
    )
    .unwrap();
    eprintln!(
        "{symbol}: {} steps in {:.1} s\n{}",
        e.weeks,
        started.elapsed().as_secs_f64(),
        e.table()
    );
    e
}

fn run(symbol: &str, weeks: usize) -> Option<Evaluation> {
    let (instrument, candles) = load(symbol)?;
    Some(evaluate_on(symbol, &advisor(), &instrument, &candles, weeks))
}

/// How the liquidation limits are read.
#[derive(Clone, Copy, PartialEq)]
enum Liquidations {
    /// As fractions of the picks (the issue's rule, on all four files).
    Exact,
    /// As whole picks, rounded up: on one half of the files (about 50
    /// picks) 2 % is 0.98 of a pick, and one extreme week (XRP's +121 %)
    /// must not decide alone.
    WholePicks,
}

/// The issue's targets; the failures, empty when all hold.
fn misses(e: &Evaluation, liquidations: Liquidations) -> Vec<String> {
    let mut out = Vec::new();
    let limits = [0.01, 0.02, 0.05];
    for (row, limit) in e.rows().iter().zip(limits) {
        let name = row.risk_level.as_str();
        if row.pick_rate() < 0.6 {
            out.push(format!("{name}: picks in {:.0} % of weeks", row.pick_rate() * 100.0));
        }
        let over = match liquidations {
            Liquidations::Exact => row.liquidation_rate() > limit,
            Liquidations::WholePicks => row.liquidated as f64 > (limit * row.picks as f64).ceil(),
        };
        if over {
            out.push(format!(
                "{name}: {} of {} picks ({:.1} %) liquidated",
                row.liquidated,
                row.picks,
                row.liquidation_rate() * 100.0
            ));
        }
        if row.mean_outcome <= 0.0 {
            out.push(format!("{name}: mean outcome {:.2} %", row.mean_outcome));
        }
        if !(0.6..=1.5).contains(&row.calibration()) {
            out.push(format!(
                "{name}: mean outcome {:.2} % is {:.2}× the mean forecast {:.2} %",
                row.mean_outcome,
                row.calibration(),
                row.mean_expected
            ));
        }
    }
    out
}

#[test]
fn a_reduced_walk_forward_holds_its_promises() {
    // Two steps of one training and one held-out file, every pick checked
    // one by one (the statistical targets are the full run's).
    for symbol in ["BTCUSDT", "XRPUSDT"] {
        let Some((instrument, candles)) = load(symbol) else {
            return;
        };
        let a = advisor();
        let e = evaluate_on(symbol, &a, &instrument, &candles, 2);
        assert_eq!(e.weeks, 2);
        assert!(!e.picks.is_empty(), "{symbol}: no pick at all");
        for p in &e.picks {
            assert!(!p.liquidated, "{symbol}: a pick was liquidated the week after: {p:?}");
        }
        // The last step's set, checked field by field.
        let end = candles.last().unwrap().ts + 300_000;
        let t = end - 7 * 86_400_000;
        let history: Vec<Candle> = candles
            .iter()
            .copied()
            .filter(|c| c.ts < t && c.ts >= t - a.config().history_days() * 86_400_000)
            .collect();
        let request = AdvisorRequest::new(instrument.clone(), Interval::M5, Arc::new(history), t);
        let set = a.recommend_blocking(&request).unwrap();
        check_order(&set.recommendations).unwrap();
        assert_eq!(
            set.recommendations.len() + set.unavailable.len(),
            3,
            "every profile has a pick or says why not"
        );
        for r in &set.recommendations {
            assert!(r.expected_roi_7d_low_pct <= r.expected_roi_7d_pct);
            assert!(r.expected_roi_7d_pct <= r.expected_roi_7d_high_pct);
            assert_eq!(
                r.expected_roi_30d,
                (r.expected_roi_7d_pct * rust_decimal::Decimal::from(30) / rust_decimal::Decimal::from(7)).round_dp(2)
            );
            assert_eq!(r.validation_roi_pct.len(), 4);
            assert_eq!(r.backtest_days, rust_decimal::Decimal::from(7));
            if let Some(d) = r.liquidation_distance_pct {
                assert!(
                    d > r.plausible_move_pct,
                    "{symbol}: liquidation within a plausible move: {r:?}"
                );
            }
        }
    }
}

#[test]
fn full_walk_forward_meets_the_issue_14_targets() {
    let weeks: usize = std::env::var("GRIDBOT_EVAL_WEEKS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(27);
    let files: Vec<String> = std::env::var("GRIDBOT_EVAL_FILES")
        .map(|f| f.split(',').map(str::to_owned).collect())
        .unwrap_or_else(|_| TRAIN.iter().chain(&HELD_OUT).map(|s| (*s).to_owned()).collect());
    let mut all = Evaluation::default();
    let mut train = Evaluation::default();
    let mut held = Evaluation::default();
    for f in &files {
        let Some(e) = run(f, weeks) else { return };
        assert!(e.weeks >= weeks.min(25), "{f}: only {} weekly steps", e.weeks);
        if TRAIN.contains(&f.as_str()) {
            train.merge(e.clone());
        } else {
            held.merge(e.clone());
        }
        all.merge(e);
    }
    eprintln!("training files ({})\n{}", TRAIN.join(", "), train.table());
    eprintln!("held-out files ({})\n{}", HELD_OUT.join(", "), held.table());
    eprintln!("all files\n{}", all.table());
    let mut failures = misses(&all, Liquidations::Exact);
    if held.weeks > 0 {
        failures.extend(
            misses(&held, Liquidations::WholePicks)
                .into_iter()
                .map(|m| format!("held out: {m}")),
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
