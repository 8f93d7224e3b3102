//! The sweep: every candidate planned, backtested and judged, in parallel.
//!
//! A candidate is dropped when
//! - its plan at the current price is not viable (liquidation inside the
//!   range, profit per grid ≤ 0 after fees, below the minimum order size at
//!   the backtest investment, spacing below a tick — every
//!   [`crate::grid::PlanError`]);
//! - its backtest fails or is liquidated;
//! - its backtest drawdown exceeds its profile's limit.
//!
//! Work is spread over threads with `std::thread::scope`: each thread takes
//! the next unclaimed candidate (an atomic counter), so fast and slow
//! backtests balance out. Results come back in candidate order, so the
//! outcome never depends on the thread count.
//!
//! The candles are prepared for the backtester once per sweep
//! ([`PreparedCandles`], shared by every thread) when the caller supplies
//! them ([`SweepInput::prepared`]); a backtester that does not use them
//! backtests the plain candles ([`GridBacktester::backtest_prepared`]'s
//! default), with the same result.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rust_decimal::Decimal;

use super::candidates::Candidate;
use super::profile::Profile;
use crate::backtest::PreparedCandles;
use crate::error::AdvisorError;
use crate::grid::{plan, GridConfig, GridPlan};
use crate::model::{Candle, Instrument, TimestampMs};

/// Most points kept of a backtest's equity curve.
pub const MAX_CURVE_POINTS: usize = 500;

/// What the advisor needs from one backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct BacktestOutcome {
    /// Days covered.
    pub days: Decimal,
    /// Return on the investment, percent.
    pub roi_pct: Decimal,
    /// ROI annualised (simple), percent.
    pub apr_pct: Decimal,
    /// Largest peak-to-trough equity drop, percent of the peak.
    pub max_drawdown_pct: Decimal,
    /// Completed buy→sell (or sell→buy) cycles.
    pub round_trips: u64,
    /// Whether the position was liquidated.
    pub liquidated: bool,
    /// Equity over time, `(ts, equity)`, at most [`MAX_CURVE_POINTS`] points
    /// (first and last included).
    pub equity_curve: Vec<(TimestampMs, Decimal)>,
}

/// Runs one grid backtest (the core backtester implements it).
pub trait GridBacktester: Send + Sync {
    /// Backtests `config` on `candles` (oldest first), starting at the first
    /// candle's open.
    fn backtest(
        &self,
        config: &GridConfig,
        instrument: &Instrument,
        candles: &[Candle],
    ) -> Result<BacktestOutcome, AdvisorError>;

    /// Backtests `config` on candles prepared once for many backtests; must
    /// give what [`GridBacktester::backtest`] gives on the same candles and
    /// instrument, which is what the default does.
    fn backtest_prepared(
        &self,
        config: &GridConfig,
        candles: &PreparedCandles,
    ) -> Result<BacktestOutcome, AdvisorError> {
        self.backtest(config, candles.instrument(), candles.candles())
    }
}

/// Reports `(done, total)` as the sweep advances; called from worker threads.
pub type Progress = Arc<dyn Fn(usize, usize) + Send + Sync>;

/// A candidate that survived, with its plan and backtest.
#[derive(Debug, Clone)]
pub struct Survivor {
    /// The candidate.
    pub candidate: Candidate,
    /// Its plan at the current price.
    pub plan: GridPlan,
    /// Its backtest.
    pub outcome: BacktestOutcome,
}

/// Why a candidate was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// The plan broke a viability rule (the rule's code).
    NotViable(&'static str),
    /// The backtest could not run.
    Backtest(String),
    /// Liquidated during the backtest.
    Liquidated,
    /// Drawdown above the profile's limit.
    Drawdown,
}

/// What the sweep needs besides the candidates.
pub struct SweepInput<'a> {
    /// The contract.
    pub instrument: &'a Instrument,
    /// Margin each candidate is planned and backtested with, USDT.
    pub investment: Decimal,
    /// The price plans are checked at (now).
    pub price: Decimal,
    /// The candles backtested (oldest first).
    pub candles: &'a [Candle],
    /// The same candles prepared for `instrument`, when the caller prepared
    /// them (then every backtest uses them; `None`: the plain candles).
    pub prepared: Option<&'a PreparedCandles>,
    /// The backtester.
    pub backtester: &'a dyn GridBacktester,
}

/// The grid config of a candidate at `investment`.
pub fn config_of(c: &Candidate, instrument: &Instrument, investment: Decimal) -> GridConfig {
    GridConfig::new(
        instrument.symbol.clone(),
        c.lower,
        c.upper,
        c.grids,
        c.spacing,
        c.mode,
        investment,
        c.leverage,
    )
}

/// Plans, backtests and judges one candidate.
pub fn evaluate(c: &Candidate, input: &SweepInput<'_>) -> Result<Survivor, Rejection> {
    let config = config_of(c, input.instrument, input.investment);
    let plan = plan(&config, input.instrument, input.price).map_err(|e| Rejection::Backtest(e.to_string()))?;
    if let Some(e) = plan.errors.first() {
        return Err(Rejection::NotViable(e.code()));
    }
    let outcome = match input.prepared {
        Some(prepared) => input.backtester.backtest_prepared(&config, prepared),
        None => input.backtester.backtest(&config, input.instrument, input.candles),
    };
    let mut outcome = outcome.map_err(|e| Rejection::Backtest(e.to_string()))?;
    if outcome.liquidated {
        return Err(Rejection::Liquidated);
    }
    if outcome.max_drawdown_pct > Profile::of(c.risk_level).max_drawdown_pct {
        return Err(Rejection::Drawdown);
    }
    outcome.equity_curve = downsample(std::mem::take(&mut outcome.equity_curve), MAX_CURVE_POINTS);
    Ok(Survivor {
        candidate: *c,
        plan,
        outcome,
    })
}

/// Evaluates every candidate on `threads` threads (0 = every core), in
/// candidate order.
pub fn sweep(
    candidates: &[Candidate],
    input: &SweepInput<'_>,
    threads: usize,
    progress: Option<&Progress>,
) -> Vec<Result<Survivor, Rejection>> {
    par_map(candidates.len(), threads, progress, |i| match candidates.get(i) {
        Some(c) => evaluate(c, input),
        None => Err(Rejection::Backtest(format!("no candidate {i}"))),
    })
    .into_iter()
    .map(|r| r.unwrap_or_else(|| Err(Rejection::Backtest("the backtest panicked".into()))))
    .collect()
}

/// `f(0..n)` on `threads` threads (0 = every core), results in index order
/// whatever the thread count: each thread takes the next unclaimed index
/// (an atomic counter), so fast and slow jobs balance out. `progress` is
/// told `(done, n)` as jobs finish. A panicking job loses its thread's
/// share (logged, `None` at those indices) rather than taking the caller
/// down.
pub fn par_map<T: Send>(
    n: usize,
    threads: usize,
    progress: Option<&Progress>,
    f: impl Fn(usize) -> T + Sync,
) -> Vec<Option<T>> {
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .clamp(1, n.max(1));
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let work = || {
        let mut out = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                break;
            }
            out.push((i, f(i)));
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            if let Some(p) = progress {
                p(d, n);
            }
        }
        out
    };
    let mut results: Vec<(usize, T)> = if threads == 1 {
        work()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
            handles
                .into_iter()
                .flat_map(|h| match h.join() {
                    Ok(part) => part,
                    Err(_) => {
                        tracing::error!("an advisor sweep thread panicked; its jobs are skipped");
                        Vec::new()
                    }
                })
                .collect()
        })
    };
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    for (i, r) in results.drain(..) {
        if let Some(slot) = out.get_mut(i) {
            *slot = Some(r);
        }
    }
    out
}

/// Keeps at most `max` points, evenly spaced, always the first and last.
pub fn downsample<T: Copy>(points: Vec<T>, max: usize) -> Vec<T> {
    if points.len() <= max || max < 2 {
        return points;
    }
    let last = points.len() - 1;
    (0..max)
        .filter_map(|k| points.get(k * last / (max - 1)).copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_keeps_the_ends_and_the_limit() {
        let pts: Vec<u32> = (0..10_080).collect();
        let d = downsample(pts, 500);
        assert_eq!(d.len(), 500);
        assert_eq!((d[0], d[499]), (0, 10_079));
        assert!(d.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(downsample(vec![1, 2, 3], 500), vec![1, 2, 3]);
    }
}
