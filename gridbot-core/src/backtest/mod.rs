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
//! touch nothing: the candles are first reduced to integer bounds of what
//! each walk reaches ([`prepared`]), and a candle whose bounds miss the best
//! bid, the best ask and the liquidation price is not walked (walking it
//! would change nothing; the price is set to its close). Equity is marked
//! only where a mark can matter: at the curve's kept points, and when the
//! close leaves the band of closes already marked since the last fill
//! without a new peak or trough (with the wallet and the position fixed,
//! equity is monotonic in the close, so a close inside that band can be
//! neither). The engine still gets every event it gets in a full walk.
//! Both shortcuts are exact: [`run`] gives the same report as the plain
//! walk of every candle with a mark at every close (tested on every file
//! of `shared/data`). [`PreparedCandles`] lets many backtests share one
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
use self::prepared::Reaches;
pub use self::report::BacktestReport;
use self::report::{Curve, Drawdown};
use crate::engine::{BotEngine, Command, EngineEvent, EnginePhase, StopReason};
use crate::model::{Candle, Fill, Instrument, TimestampMs};
use crate::paper::fill_model::{candle_segments, walk_segment, Resting, SegmentBounds};
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
}

impl Run<'_> {
    /// Feeds `event` to the engine and carries out everything it leads to.
    fn dispatch(&mut self, event: &EngineEvent, ts: TimestampMs) {
        self.scratch.clear();
        self.engine.on_event(event, &mut self.scratch);
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
                Command::Place(req) => match self.account.place(&req, ts) {
                    Placed::Accepted => {}
                    Placed::Filled(fill) => self.engine_fill(fill),
                    Placed::Rejected(reason) => {
                        let ev = EngineEvent::Rejected {
                            client_id: req.client_id.clone(),
                            reason,
                            ts,
                        };
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
        self.account
            .liq
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
    if candles.is_empty() {
        return Err(BacktestError::NoCandles);
    }
    check_config(config)?;
    let step = prepared::check(candles)?;
    let reaches = prepared::reaches(candles, instrument.tick_size);
    run_checked(engine, instrument, candles, step, &reaches, config, Walks::Fast)
}

/// Runs `engine` over candles prepared once ([`PreparedCandles::new`]) for
/// many backtests; the report equals [`run`]'s on the same candles.
pub fn run_prepared(
    engine: &mut dyn BotEngine,
    candles: &PreparedCandles,
    config: &BacktestConfig,
) -> Result<BacktestReport, BacktestError> {
    check_config(config)?;
    run_checked(
        engine,
        candles.instrument(),
        candles.candles(),
        candles.step(),
        candles.reaches(),
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
    if candles.is_empty() {
        return Err(BacktestError::NoCandles);
    }
    check_config(config)?;
    let step = prepared::check(candles)?;
    let reaches = prepared::reaches(candles, instrument.tick_size);
    run_checked(engine, instrument, candles, step, &reaches, config, Walks::Plain)
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

/// Closes known to mark an equity within `[trough, peak]` for one wallet
/// and position (`version`): `[lo, hi]` in close keys, empty when `lo > hi`.
#[derive(Debug, Clone, Copy)]
struct Band {
    version: u64,
    lo: i64,
    hi: i64,
}

impl Band {
    fn holds(&self, key: i64, version: u64) -> bool {
        self.version == version && self.lo <= key && key <= self.hi
    }
}

/// The backtest proper, on checked candles (non-empty, ordered) and a
/// checked config; `reaches` are the candles' (see [`prepared`]).
fn run_checked(
    engine: &mut dyn BotEngine,
    instrument: &Instrument,
    candles: &[Candle],
    step: TimestampMs,
    reaches: &Reaches,
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
    };
    run.dispatch(
        &EngineEvent::Start {
            price: first.open,
            ts: first.ts,
        },
        first.ts,
    );
    let fast = walks == Walks::Fast && reaches.reach.len() == candles.len();
    let banded = fast && reaches.keyed;
    let mut band = Band {
        version: u64::MAX,
        lo: 0,
        hi: -1,
    };
    let mut drawdown = Drawdown::new(config.investment);
    let mut curve = Curve::new(candles.len() + 1, config.max_curve_points);
    curve.observe(first.ts, || config.investment);
    let mut prev = Some(first.open);
    let mut processed = 0usize;
    let mut last = *first;
    for (i, c) in candles.iter().enumerate() {
        if run.finished.is_some() || run.engine.phase() == EnginePhase::Finished {
            break;
        }
        let reach = reaches.reach.get(i);
        match reach {
            Some(r) if fast && run.account.quiet(r) => run.account.price = c.close,
            _ => {
                let (segments, _) = candle_segments(prev, c);
                for seg in segments {
                    walk_segment(&mut run, &SegmentBounds::new(seg, tick));
                    run.account.price = seg.to;
                }
            }
        }
        prev = Some(c.close);
        run.dispatch(&EngineEvent::Candle(*c), c.ts + step - 1);
        if let Some(ts) = run.runaway {
            return Err(BacktestError::Runaway(ts));
        }
        processed += 1;
        last = *c;
        let key = reach.map_or(0, |r| r.close_key);
        let version = run.account.version;
        if !banded || curve.wants() || !band.holds(key, version) {
            let equity = run.account.equity(c.close);
            let new_peak = drawdown.observe(equity);
            curve.observe(c.ts + step, || equity);
            band = if new_peak || band.version != version || band.lo > band.hi {
                Band {
                    version,
                    lo: key,
                    hi: key,
                }
            } else {
                Band {
                    version,
                    lo: band.lo.min(key),
                    hi: band.hi.max(key),
                }
            };
        } else {
            curve.observe(c.ts + step, || Decimal::ZERO);
        }
    }
    let stats = run.engine.stats();
    let final_equity = run.account.equity(last.close);
    let total_pnl = final_equity - config.investment;
    let end_ts = last.ts + step;
    let days = Decimal::from(end_ts - first.ts) / Decimal::from(86_400_000);
    let roi = total_pnl / config.investment * Decimal::ONE_HUNDRED;
    let apr = if days > Decimal::ZERO {
        roi * Decimal::from(365) / days
    } else {
        Decimal::ZERO
    };
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
        roi_pct: roi.round_dp(4),
        apr_pct: apr.round_dp(4),
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
