//! The backtester: runs a [`BotEngine`] over candles, synchronously, under
//! the paper exchange's fill model (see [`crate::paper`]; the walk itself is
//! the shared [`walk_segment`]).
//!
//! How a run goes:
//! 1. The engine gets `Start` at the first candle's open; its commands are
//!    carried out at that price.
//! 2. Each candle is walked from the previous close (a gap is walked like
//!    any move): open → low → high → close when it closes up, else open →
//!    high → low → close. Resting orders fill at their limit price as maker
//!    when touched; the position is liquidated where the walk reaches its
//!    liquidation price (see [`account`](self) rules below).
//! 3. Every fill goes to the engine at once (`Fill`), and its commands are
//!    carried out at the fill price before the walk goes on: a grid's flipped
//!    order can fill later in the same candle, as a live bot's would.
//! 4. After its walk the engine gets the `Candle`; then equity is marked at
//!    the close for the drawdown and the curve.
//! 5. The run stops early when the engine finishes (`Command::Finish`).
//!
//! Account rules: the bot's investment is its isolated margin; it is
//! liquidated when wallet + unrealised PnL ≤ mmr × notional, losing the
//! whole wallet; orders are not refused for margin (the plan checks that);
//! market orders fill at the current price with adverse slippage and the
//! taker fee; a limit order that would cross fills at once as taker at its
//! limit; reduce-only orders never increase the position.
//!
//! Deterministic: the same engine, candles and config give the same report.
//!
//! # Speed
//!
//! No async, no channels, prices compared in integer ticks. Most candles
//! touch nothing: each candle is reduced to integer bounds of what its walk
//! reaches (by [`PreparedCandles`] beforehand, or by [`run`] as it gets to
//! the candle, without storing them), and a candle whose bounds miss
//! the best bid, the best ask and the liquidation price is not walked (walking it
//! would change nothing; the price is set to its close). A candle that may
//! touch something is walked segment by segment, each segment's direction
//! and tick bounds taken from integers, and a segment that touches nothing
//! is skipped the same way. The engine still gets every event it gets in a
//! full walk.
//!
//! A fill costs no decimal liquidation price: the account bounds the new
//! price in `f64` (in ticks, with a margin of 10⁻⁹ of its operands) and
//! computes the decimal price only when a walked segment may reach those
//! bounds, or to liquidate; a segment out of their reach is walked as if
//! the position had none (it neither starts past the price nor reaches
//! it). Placements are checked with integer tick and lot tests before the
//! instrument's decimal remainders, and ids are written without `format!`.
//!
//! Equity (decimal: wallet + qty × (close − entry)) is marked where a mark
//! can matter: at the curve's kept points, and wherever it may make a new
//! peak or a drawdown at least the largest so far. A close whose equity,
//! estimated in `f64` from the same wallet, position and close, lies inside
//! `(floor, peak)`, where the floor is the equity whose drawdown from the
//! peak equals the largest drawdown so far, by more than a margin of 10⁻⁹
//! of the magnitudes involved (the `f64` error is below 10⁻¹⁴ of them, the
//! decimal one below 10⁻²⁶) changes nothing and is not marked: it is no new
//! peak, and its drawdown (decimal division included) is strictly below
//! the largest, so the largest keeps its value and its representation. The
//! plain walk marks it; it may lower the trough there, but every later
//! trough above that one has a smaller drawdown still.
//!
//! Every shortcut is exact: [`run`] gives the same report as the plain walk
//! of every candle with a mark at every close and the decimal liquidation
//! price known at every step (tested on every file of `shared/data`). [`PreparedCandles`] lets many backtests share one
//! preparation ([`run_prepared`]); the advisor's sweep does.

mod account;
mod prepared;
mod report;

use std::collections::VecDeque;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use self::account::{Placed, SimAccount};
pub use self::prepared::PreparedCandles;
use self::prepared::{floor_ceil, Reach, ReachMaker, Reaches};
pub use self::report::BacktestReport;
use self::report::{Curve, Drawdown};
use crate::engine::{BotEngine, Command, EngineEvent, EnginePhase, StopReason};
use crate::model::{returns, Candle, Fill, Instrument, TimestampMs};
use crate::paper::fill_model::{candle_segments, walk_segment, Resting, Segment, SegmentBounds, PATH_OFFSETS_MS};
use crate::paper::Slot;

/// Most commands one event may lead to before the run is declared runaway.
const MAX_COMMANDS_PER_EVENT: usize = 100_000;

/// Backtest settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BacktestConfig {
    /// The bot's investment (its isolated margin), USDT.
    pub investment: Decimal,
    /// Adverse slippage of market orders, basis points.
    pub slippage_bps: Decimal,
    /// Most points in the equity curve (≥ 2).
    pub max_curve_points: usize,
}

impl BacktestConfig {
    /// A config for `investment` USDT, 2 bp market slippage, 500 curve points.
    pub fn new(investment: Decimal) -> Self {
        BacktestConfig {
            investment,
            slippage_bps: Decimal::from(2),
            max_curve_points: 500,
        }
    }

    /// The same config with another market-order slippage.
    pub fn with_slippage_bps(mut self, bps: Decimal) -> Self {
        self.slippage_bps = bps;
        self
    }
}

/// Why a backtest could not run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum BacktestError {
    /// No candles were given.
    #[error("no candles to backtest")]
    NoCandles,
    /// Candles out of order or repeated.
    #[error("candle {index} (ts {ts}) is not after the one before; candles must be oldest first")]
    Unordered {
        /// Position of the offending candle.
        index: usize,
        /// Its open time.
        ts: TimestampMs,
    },
    /// The investment is not positive.
    #[error("investment must be greater than 0 USDT, got {0}")]
    Investment(Decimal),
    /// The engine kept issuing commands without end.
    #[error("the engine issued more than {MAX_COMMANDS_PER_EVENT} commands for one event at ts {0}")]
    Runaway(TimestampMs),
}

/// The engine, its account and the commands in flight.
struct Run<'a> {
    engine: &'a mut dyn BotEngine,
    account: SimAccount,
    queue: VecDeque<Command>,
    scratch: Vec<Command>,
    finished: Option<StopReason>,
    runaway: Option<TimestampMs>,
    /// `(lo_floor, hi_ceil)` of the segment being walked, in ticks (see
    /// the `prepared` module); `(i64::MIN, i64::MAX)` when not known.
    reach: (i64, i64),
}

impl Run<'_> {
    /// Feeds `event` to the engine and carries out everything it leads to.
    #[inline]
    fn dispatch(&mut self, event: &EngineEvent, ts: TimestampMs) {
        self.scratch.clear();
        self.engine.on_event(event, &mut self.scratch);
        if self.scratch.is_empty() && self.queue.is_empty() {
            return;
        }
        self.carry_out(ts);
    }

    /// Carries out the engine's commands and everything they lead to.
    fn carry_out(&mut self, ts: TimestampMs) {
        self.queue.extend(self.scratch.drain(..));
        let mut done = 0usize;
        while let Some(cmd) = self.queue.pop_front() {
            done += 1;
            if done > MAX_COMMANDS_PER_EVENT {
                self.runaway = Some(ts);
                self.queue.clear();
                return;
            }
            match cmd {
                Command::Place(req) => match self.account.place(req, ts) {
                    Placed::Accepted => {}
                    Placed::Filled(fill) => self.engine_fill(fill),
                    Placed::Rejected(client_id, reason) => {
                        let ev = EngineEvent::Rejected { client_id, reason, ts };
                        self.engine_event(&ev);
                    }
                },
                Command::Cancel(id) => {
                    self.account.cancel(&id);
                }
                Command::ClosePosition(id) => {
                    if let Some(fill) = self.account.close_position(&id, ts) {
                        self.engine_fill(fill);
                    }
                }
                Command::Finish(reason) => {
                    self.finished.get_or_insert(reason);
                }
            }
        }
    }

    /// Gives the engine an event, queueing its commands (run by `dispatch`).
    fn engine_event(&mut self, event: &EngineEvent) {
        self.scratch.clear();
        self.engine.on_event(event, &mut self.scratch);
        self.queue.extend(self.scratch.drain(..));
    }

    fn engine_fill(&mut self, fill: Fill) {
        self.engine_event(&EngineEvent::Fill(fill));
    }
}

impl Resting for Run<'_> {
    fn first_bid(&self, min_ticks: i64) -> Option<(Slot, Decimal)> {
        self.account.first_bid(min_ticks)
    }

    fn first_ask(&self, max_ticks: i64) -> Option<(Slot, Decimal)> {
        self.account.first_ask(max_ticks)
    }

    fn liquidation(&self) -> Option<(bool, Decimal)> {
        let (lo_floor, hi_ceil) = self.reach;
        if !self.account.liquidation_reachable(lo_floor, hi_ceil) {
            // Out of the segment's reach: walking it is the same without.
            return None;
        }
        self.account
            .liquidation_price()
            .map(|l| (self.account.position.qty.is_sign_positive(), l))
    }

    fn fill(&mut self, slot: Slot, price: Decimal, ts: TimestampMs) {
        if let Some(fill) = self.account.fill_resting(slot, price, ts) {
            self.dispatch(&EngineEvent::Fill(fill), ts);
        }
    }

    fn liquidate(&mut self, ts: TimestampMs) {
        if let Some(fill) = self.account.liquidate(ts) {
            self.dispatch(&EngineEvent::Fill(fill), ts);
        }
    }
}

/// Runs `engine` over `candles` (oldest first, any interval, gaps allowed)
/// for `instrument`.
pub fn run(
    engine: &mut dyn BotEngine,
    instrument: &Instrument,
    candles: &[Candle],
    config: &BacktestConfig,
) -> Result<BacktestReport, BacktestError> {
    run_walking(engine, instrument, candles, config, Walks::Fast)
}

/// Runs `engine` over candles prepared once ([`PreparedCandles::new`]) for
/// many backtests; the report equals [`run`]'s on the same candles.
pub fn run_prepared(
    engine: &mut dyn BotEngine,
    candles: &PreparedCandles,
    config: &BacktestConfig,
) -> Result<BacktestReport, BacktestError> {
    check_config(config)?;
    let reaches = candles.reaches();
    let stored = Stored {
        reaches,
        whole: reaches.reach.len() == candles.candles().len(),
    };
    run_checked(
        engine,
        candles.instrument(),
        candles.candles(),
        candles.step(),
        stored,
        config,
        Walks::Fast,
    )
}

/// [`run`] walking every candle in full and marking equity at every close:
/// the reference the shortcuts are tested against.
#[cfg(test)]
pub(crate) fn run_plain(
    engine: &mut dyn BotEngine,
    instrument: &Instrument,
    candles: &[Candle],
    config: &BacktestConfig,
) -> Result<BacktestReport, BacktestError> {
    run_walking(engine, instrument, candles, config, Walks::Plain)
}

/// Checks and prepares `candles` in place, then runs with `walks`.
fn run_walking(
    engine: &mut dyn BotEngine,
    instrument: &Instrument,
    candles: &[Candle],
    config: &BacktestConfig,
    walks: Walks,
) -> Result<BacktestReport, BacktestError> {
    if candles.is_empty() {
        return Err(BacktestError::NoCandles);
    }
    check_config(config)?;
    let (step, scale) = prepared::check_scan(candles)?;
    // One backtest: each candle's reach is made as the run gets to it.
    let reaches = ReachMaker::with_scale(candles, instrument.tick_size, scale);
    run_checked(engine, instrument, candles, step, reaches, config, walks)
}

/// Where the run gets each candle's reach (see the `prepared` module).
trait ReachSource {
    /// The tick in units of the data's finest decimal (see
    /// [`Reaches::tick_units`]).
    fn tick_units(&self) -> i64;
    /// The reach of candle `i`, `c`: asked for every candle, in order;
    /// `None` when there is none (the candle is walked in full).
    fn reach(&mut self, i: usize, c: &Candle) -> Option<Reach>;
}

/// Reaches prepared beforehand ([`PreparedCandles`]); used only when there
/// is one per candle (`whole`).
struct Stored<'a> {
    reaches: &'a Reaches,
    whole: bool,
}

impl ReachSource for Stored<'_> {
    fn tick_units(&self) -> i64 {
        self.reaches.tick_units
    }

    #[inline]
    fn reach(&mut self, i: usize, _: &Candle) -> Option<Reach> {
        self.reaches.reach.get(i).copied().filter(|_| self.whole)
    }
}

impl ReachSource for ReachMaker {
    fn tick_units(&self) -> i64 {
        self.tick_units
    }

    #[inline]
    fn reach(&mut self, _: usize, c: &Candle) -> Option<Reach> {
        Some(self.next(c))
    }
}

fn check_config(config: &BacktestConfig) -> Result<(), BacktestError> {
    if config.investment <= Decimal::ZERO {
        return Err(BacktestError::Investment(config.investment));
    }
    Ok(())
}

/// Whether the quiet-candle and equity-band shortcuts are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walks {
    /// Skip what provably changes nothing (see the module docs).
    Fast,
    /// Walk every candle and mark equity at every close: the reference the
    /// fast path is tested against.
    #[cfg(test)]
    Plain,
}

/// Relative margin of the equity filter (see the module docs).
const EQUITY_MARGIN: f64 = 1e-9;

/// The `f64` image of the account and of the drawdown's peak and floor, for
/// telling closes that cannot change the drawdown (see the module docs).
#[derive(Debug, Clone, Copy)]
struct EquityFilter {
    /// Account version the coefficients are of (`u64::MAX`: none yet).
    version: u64,
    wallet: f64,
    qty: f64,
    entry: f64,
    /// `|wallet| + |qty × entry|`.
    size: f64,
    peak: f64,
    /// The equity whose drawdown from the peak is the largest drawdown so
    /// far: `peak × (1 − max / 100)` (`-∞` while the peak is not positive).
    floor: f64,
    /// The margin's share of the peak and the floor.
    slack: f64,
}

/// `d` as an `f64`, within a few units in the last place (NaN for scales
/// beyond 28, which decimals do not have).
fn to_f64(d: Decimal) -> f64 {
    const POW10: [f64; 29] = {
        let mut t = [1.0f64; 29];
        let mut i = 1;
        while i < 29 {
            t[i] = t[i - 1] * 10.0;
            i += 1;
        }
        t
    };
    let m = d.mantissa();
    let m = match i64::try_from(m) {
        Ok(small) => small as f64,
        // |m| ≥ 2⁶³ and < 2⁹⁶: the high part times 2⁶⁴ is exact, so two
        // roundings (of the low part and of the sum) stay within two units
        // in the last place, without the slow `i128` conversion.
        Err(_) => ((m >> 64) as i64) as f64 * 18_446_744_073_709_551_616.0 + (m as u64) as f64,
    };
    POW10.get(d.scale() as usize).map_or(f64::NAN, |p| m / p)
}

impl EquityFilter {
    fn new(drawdown: &Drawdown) -> Self {
        let mut f = EquityFilter {
            version: u64::MAX,
            wallet: 0.0,
            qty: 0.0,
            entry: 0.0,
            size: 0.0,
            peak: 0.0,
            floor: 0.0,
            slack: 0.0,
        };
        f.bounds(drawdown);
        f
    }

    fn bounds(&mut self, drawdown: &Drawdown) {
        self.peak = to_f64(drawdown.peak());
        let fall = self.peak * to_f64(drawdown.max()) / 100.0;
        self.floor = if self.peak > 0.0 {
            self.peak - fall
        } else {
            f64::NEG_INFINITY
        };
        self.slack = EQUITY_MARGIN * (self.peak.abs() + fall.abs() + (self.peak - fall).abs());
    }

    fn load(&mut self, account: &SimAccount) {
        self.version = account.version;
        self.wallet = to_f64(account.wallet);
        self.qty = to_f64(account.position.qty);
        self.entry = to_f64(account.position.entry_price);
        self.size = self.wallet.abs() + (self.qty * self.entry).abs();
    }

    /// True when the equity at `close` is certainly strictly inside
    /// `(floor, peak)` (false on any NaN).
    #[inline]
    fn inside(&self, close: f64) -> bool {
        let e = self.wallet + self.qty * (close - self.entry);
        let m = EQUITY_MARGIN * (self.size + (self.qty * close).abs()) + self.slack;
        e - m > self.floor && e + m < self.peak
    }
}

/// The reach of a walk whose bounds are not known: everything.
const UNKNOWN_REACH: (i64, i64) = (i64::MIN, i64::MAX);

/// Walks a candle that may touch something segment by segment from its
/// integer `path` (see the `prepared` module), skipping the segments that touch
/// nothing: what [`candle_segments`] and [`walk_segment`] do, without the
/// decimal comparisons and tick conversions.
fn walk_path(run: &mut Run<'_>, prev: Decimal, c: &Candle, path: &[i64; 5], tick_units: i64) {
    let points = if path[4] >= path[1] {
        [prev, c.open, c.low, c.high, c.close]
    } else {
        [prev, c.open, c.high, c.low, c.close]
    };
    let fc = path.map(|u| floor_ceil(u, tick_units));
    for k in 0..4 {
        let (from, to) = (path[k], path[k + 1]);
        let (bid_min, ask_max) = if to < from {
            (fc[k + 1].1, i64::MIN)
        } else if to > from {
            (i64::MAX, fc[k + 1].0)
        } else {
            (fc[k + 1].1, fc[k + 1].0)
        };
        let lo_floor = fc[k].0.min(fc[k + 1].0);
        let hi_ceil = fc[k].1.max(fc[k + 1].1);
        if !run.account.quiet(bid_min, ask_max, lo_floor, hi_ceil) {
            let seg = Segment {
                from: points[k],
                to: points[k + 1],
                ts: c.ts + PATH_OFFSETS_MS[k],
            };
            run.reach = (lo_floor, hi_ceil);
            walk_segment(run, &SegmentBounds { seg, bid_min, ask_max });
            run.reach = UNKNOWN_REACH;
        }
        run.account.price = points[k + 1];
    }
}

/// The backtest proper, on checked candles (non-empty, ordered) and a
/// checked config; `reaches` gives the candles' (see the `prepared`
/// module).
fn run_checked(
    engine: &mut dyn BotEngine,
    instrument: &Instrument,
    candles: &[Candle],
    step: TimestampMs,
    mut reaches: impl ReachSource,
    config: &BacktestConfig,
    walks: Walks,
) -> Result<BacktestReport, BacktestError> {
    let Some(first) = candles.first() else {
        return Err(BacktestError::NoCandles);
    };
    let tick = instrument.tick_size;
    let mut run = Run {
        engine,
        account: SimAccount::new(instrument.clone(), config.investment, config.slippage_bps, first.open),
        queue: VecDeque::new(),
        scratch: Vec::new(),
        finished: None,
        runaway: None,
        reach: UNKNOWN_REACH,
    };
    run.dispatch(
        &EngineEvent::Start {
            price: first.open,
            ts: first.ts,
        },
        first.ts,
    );
    let fast = walks == Walks::Fast;
    let tick_units = reaches.tick_units();
    let mut drawdown = Drawdown::new(config.investment);
    let mut filter = EquityFilter::new(&drawdown);
    let mut curve = Curve::new(candles.len() + 1, config.max_curve_points);
    curve.observe(first.ts, || config.investment);
    let mut prev = Some(first.open);
    let mut processed = 0usize;
    // The last candle processed (a reference: no copy per candle).
    let mut last = first;
    // One event, its candle replaced each time (no drop per candle).
    let mut candle_event = EngineEvent::Candle(*first);
    for (i, c) in candles.iter().enumerate() {
        if run.finished.is_some() || run.engine.phase() == EnginePhase::Finished {
            break;
        }
        let reach = if fast { reaches.reach(i, c) } else { None };
        match &reach {
            Some(r) if run.account.quiet(r.bid_bound, r.ask_bound, r.lo_floor, r.hi_ceil) => {
                run.account.price = c.close
            }
            Some(Reach { path: Some(path), .. }) => walk_path(&mut run, prev.unwrap_or(c.open), c, path, tick_units),
            _ => {
                let (segments, _) = candle_segments(prev, c);
                for seg in segments {
                    walk_segment(&mut run, &SegmentBounds::new(seg, tick));
                    run.account.price = seg.to;
                }
            }
        }
        prev = Some(c.close);
        if let EngineEvent::Candle(slot) = &mut candle_event {
            *slot = *c;
        }
        run.dispatch(&candle_event, c.ts + step - 1);
        if let Some(ts) = run.runaway {
            return Err(BacktestError::Runaway(ts));
        }
        processed += 1;
        last = c;
        let unmoved = match reach {
            Some(r) if !curve.wants() => {
                if filter.version != run.account.version {
                    filter.load(&run.account);
                }
                filter.inside(r.close_f)
            }
            _ => false,
        };
        if unmoved {
            curve.observe(c.ts + step, || Decimal::ZERO);
        } else {
            let equity = run.account.equity(c.close);
            if drawdown.observe(equity) {
                filter.bounds(&drawdown);
            }
            curve.observe(c.ts + step, || equity);
        }
    }
    let stats = run.engine.stats();
    let final_equity = run.account.equity(last.close);
    let total_pnl = final_equity - config.investment;
    let end_ts = last.ts + step;
    let days = Decimal::from(end_ts - first.ts) / Decimal::from(86_400_000);
    let roi = returns::roi_pct_exact(total_pnl, config.investment);
    Ok(BacktestReport {
        candles: processed,
        start_ts: first.ts,
        end_ts,
        days: days.round_dp(4),
        start_price: first.open,
        end_price: last.close,
        investment: config.investment,
        final_equity,
        total_pnl,
        grid_profit: stats.grid_profit,
        position_pnl: total_pnl - stats.grid_profit,
        fees: run.account.fees,
        roi_pct: returns::round_pct(roi),
        apr_pct: returns::apr_pct(roi, end_ts - first.ts),
        max_drawdown_pct: drawdown.max_pct(),
        round_trips: stats.round_trips,
        fills: run.account.fills,
        win_rate: stats.win_rate_pct().round_dp(2),
        liquidated: run.account.liquidated,
        stop_reason: run.finished,
        equity_curve: curve.finish(final_equity),
    })
}

#[cfg(test)]
mod tests;
