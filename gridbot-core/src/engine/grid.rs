//! The grid engine: a deterministic state machine that runs one grid bot.
//!
//! # Life
//!
//! - [`GridEngine::new`] validates the settings (everything
//!   [`plan()`](fn@crate::grid::plan) checks except the liquidation estimate, which
//!   depends on the start price) and waits ([`EnginePhase::Waiting`]).
//! - [`EngineEvent::Start`] at price `S`: without a trigger price the grid
//!   starts at once. With one, it stays waiting until a price reaches the
//!   trigger from the side `S` was on (a `Price` at or beyond it; a candle
//!   whose walk passes it, starting at the trigger price itself). A second
//!   `Start` while waiting keeps that side; while trading it is a *resume*:
//!   orders waiting for re-placement and an unfilled initial market order
//!   are sent again (same ids: the exchange recognises them).
//! - Starting computes the plan at the start price and emits, in this
//!   order, the initial market order (long: buys the cells above `S`;
//!   short: sells the cells below; see [`crate::grid::plan`](mod@crate::grid::plan)) and one
//!   resting limit order per cell, lowest cell first.
//! - On a complete fill a cell flips: a filled buy at `P_c` places a sell at
//!   `P_c+1`, a filled sell at `P_c+1` places a buy at `P_c`. Partial fills
//!   accumulate per order; the cell flips only when the order's quantity is
//!   reached (a fill beyond it counts as complete). Fills of unknown client
//!   ids (another bot's, an old generation's, a foreign id) and repeated
//!   fill ids are ignored.
//! - Whole-grid stop-loss / take-profit: long grids stop when the price
//!   falls to the stop-loss or rises to the take-profit, short grids the
//!   other way round, neutral grids when the price reaches either level from
//!   the side the start price was on. Leaving `[P_0, P_N]` (strictly) stops
//!   the grid when `on_out_of_range` is `stop` and is ignored when `keep`.
//!   `Stop` stops it for the user. Stopping emits a `Cancel` for every
//!   placed cell order, a `ClosePosition` when `close_on_stop` is set and
//!   the position may be non-zero (a position, an unfilled initial order or
//!   a partly filled cell order), then `Finish(reason)`.
//! - `Rejected` for a cell's current order gives the cell a new generation
//!   at once and marks it unplaced; the next `Price` (or candle, or resume)
//!   places it under the new id, so a refused id is never sent again.
//!   [`BotEngine::ideal_orders`] already lists it under the new id. The
//!   initial market order is retried the same way; a refused
//!   `ClosePosition` is retried with a new id on the next price, even after
//!   `Finish`. Persistent refusals are the runner's to judge (it sees the
//!   reasons).
//! - After `Finish`, fills are still booked (a cancel can race a fill) but
//!   no order is placed.
//!
//! # Pause and resume (risk rules)
//!
//! - [`EngineEvent::Pause`] while trading cancels every placed cell order.
//!   With `close_position` (the user's `close_positions_on_pause`) it also
//!   closes the position with the grid's own closing order
//!   (`b{bot}-close-{n}`, then `n` moves on so a later stop never reuses the
//!   id) whenever the position may be non-zero. While paused the grid places
//!   nothing and ignores prices (no trigger, no stop-loss, no take-profit,
//!   no range check); fills of orders that were already out are booked into
//!   their cells (a cancel can race a fill) and the closing fill into the
//!   position (its PnL is realised). When the close leaves the position
//!   flat, every cell returns to its empty state: its order on its home
//!   side, nothing held, nothing filled. Completed round trips and their
//!   profit stay. [`BotEngine::ideal_orders`] is empty while paused.
//! - A `Start` while paused is the resume. First, a price beyond the
//!   stop-loss, the take-profit or (with `on_out_of_range = stop`) the range
//!   stops the grid as it would have while trading. Otherwise:
//!   - after a pause that *kept* the position, every cell resumes where it
//!     was: its order is placed again under a new generation (the old id was
//!     cancelled), at the same price, for what is left of it. An order that
//!     the price crossed while paused fills at once (taker) — the grid
//!     catches up with the moves it missed.
//!   - after a pause that *closed* the position, the grid is rebuilt from
//!     the current price exactly like a start at that price (same lines and
//!     quantity per grid; cells below the price buy, above sell; long and
//!     short grids buy / sell the cells on their holding side with a new
//!     initial market order `b{bot}-init-{n}` under a new generation), with
//!     every cell's generation above any used before. If the close did not
//!     leave the position flat (refused, or the process died before it was
//!     sent), a new closing order goes out first. The stop-loss /
//!     take-profit directions of a neutral grid stay those of its first
//!     start.
//!   - a resume while still waiting for the trigger price keeps waiting.
//! - `Stop` while paused stops the grid as usual (no cancels are needed;
//!   the position is closed when `close_on_stop` is set).
//!
//! ```
//! use gridbot_core::engine::grid::GridEngine;
//! use gridbot_core::engine::{BotEngine, Command, EngineEvent, EnginePhase};
//! use gridbot_core::grid::{GridConfig, GridMode, Spacing};
//! use gridbot_core::model::{BotId, Instrument};
//! use gridbot_core::Decimal;
//!
//! let i = Instrument::btcusdt();
//! let config = GridConfig::new(i.symbol.clone(), Decimal::from(25_000), Decimal::from(35_000), 10,
//!     Spacing::Arithmetic, GridMode::Neutral, Decimal::from(1000), 3);
//! let mut engine = GridEngine::new(BotId(1), config, i).unwrap();
//! let mut out = Vec::new();
//! engine.on_event(&EngineEvent::Start { price: Decimal::from(30_000), ts: 0 }, &mut out);
//! assert_eq!(engine.phase(), EnginePhase::Active);
//! // One resting order per cell, no market order in neutral mode.
//! assert_eq!(out.iter().filter(|c| matches!(c, Command::Place(_))).count(), 10);
//! let cell = engine.cell(4).unwrap(); // [29000, 30000]: waits to buy at 29000
//! assert_eq!(cell.price, Decimal::from(29_000));
//! assert_eq!(cell.client_id(BotId(1)).as_str(), "g1-4-0");
//! ```
//!
//! # Client ids
//!
//! Cell orders are [`ClientOrderId::grid`]`(bot, cell, generation)`; a
//! cell's generation increases every time its order is replaced (flip or
//! rejection), so no id is ever used twice. The initial market order is
//! [`ClientOrderId::action`]`(bot, "init", n)`, the closing order
//! `(bot, "close", n)`.
//!
//! # Accounting ([`BotStats`])
//!
//! Every booked fill goes through one [`NetPosition`]: `realized_pnl` is its
//! realised PnL (before fees), `fees` the fills' fees, `unrealized_pnl` the
//! position at the last price; `total_pnl = realized + unrealized − fees`.
//! Grid profit counts completed round trips only, per cell: a cell's opening
//! leg (its home side) and closing leg, both filled on that cell, earn
//! `(sell value − buy value) − both legs' fees` (for maker fills at the
//! lines: `q·(P_c+1 − P_c) − maker·q·(P_c + P_c+1)`, the plan's profit per
//! grid). Closing a holding that came from the initial market order is
//! position PnL, not a round trip. A round trip with a positive profit is a
//! win. [`GridEngine::roi_pct`] and [`GridEngine::apr_pct`] relate the total
//! PnL to the investment.
//!
//! # API for matchers (backtester, paper exchange)
//!
//! No allocation, O(1) or O(log N) per call:
//! [`GridEngine::levels`] (sorted lines), [`GridEngine::cell`] /
//! [`GridEngine::cells`] (each cell's current order: side, price, remaining
//! quantity, generation, whether it is placed), and
//! [`GridEngine::cells_touched`] (the cells whose order price can lie in a
//! price interval, by binary search). A matcher walking a candle can take
//! the touched range, fill the cells whose order side and price the walk
//! reaches, and pass each fill as an [`EngineEvent::Fill`] with the id from
//! [`CellView::client_id`].
//!
//! # Performance
//!
//! A fill costs O(1) (id parsed without allocation, one cell updated, one
//! `Place` built); a price event is O(1) unless orders wait for
//! re-placement. The caller's `Vec<Command>` is reused.

mod cell;
mod controls;
#[cfg(test)]
mod pause_tests;
mod paused;
#[cfg(test)]
mod tests;

use std::ops::Range;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use self::cell::{parse_id, Cell, LegResult, OrderRef, CLOSE_TAG, INIT_TAG};
use super::{BotEngine, Command, EngineEvent, EnginePhase, StopReason};
use crate::error::ValidationError;
use crate::grid::{plan, GridConfig, GridMode, OutOfRange, PlanError};
use crate::model::returns;
use crate::model::{
    BotId, BotStats, Candle, ClientOrderId, Fill, IdTag, Instrument, NetPosition, OrderOwner, OrderRequest, Side,
    TimestampMs,
};

/// Total PnL in percent of the investment, exact (0 for no investment); the
/// formula's owner is [`crate::model::returns`].
pub fn roi_pct(total_pnl: Decimal, investment: Decimal) -> Decimal {
    returns::roi_pct_exact(total_pnl, investment)
}

/// A return over `elapsed_ms` scaled linearly to a 365-day year, exact (see
/// [`crate::model::returns`]; 0 when no time has passed).
pub fn apr_pct(roi_pct: Decimal, elapsed_ms: i64) -> Decimal {
    returns::apr_pct_exact(roi_pct, elapsed_ms)
}

/// What a risk pause did to the position (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Paused {
    /// The position is kept; cells resume where they were.
    Keep,
    /// The position is (being) closed; the grid is rebuilt on resume.
    Close,
}

/// The initial market order and what has filled of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct MarketOrder {
    side: Side,
    qty: Decimal,
    filled: Decimal,
    generation: u64,
    placed: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    fill_ids: Vec<String>,
}

/// A cell's current order and running totals, as a matcher or a report sees
/// them. Plain data: building one allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellView {
    /// Cell index `c` (the cell `[P_c, P_c+1]`).
    pub cell: u32,
    /// Side of its order.
    pub side: Side,
    /// Limit price: `P_c` for a buy, `P_c+1` for a sell.
    pub price: Decimal,
    /// Quantity still to fill of the order.
    pub remaining: Decimal,
    /// Quantity filled of the order so far.
    pub filled: Decimal,
    /// Generation of the order (last part of its client id).
    pub generation: u64,
    /// False while the order waits to be placed again after a rejection.
    pub placed: bool,
    /// True while the cell holds its quantity (its order closes it).
    pub holding: bool,
    /// The side on which the cell holds nothing.
    pub home: Side,
    /// Completed round trips of this cell.
    pub round_trips: u64,
    /// Profit of those round trips after fees.
    pub profit: Decimal,
}

impl CellView {
    /// The client id of the order.
    pub fn client_id(&self, owner: impl Into<OrderOwner>) -> ClientOrderId {
        ClientOrderId::grid(owner, self.cell, self.generation)
    }
}

/// A running grid bot. See the module docs for every rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridEngine {
    bot: BotId,
    /// The installation's tag in the bot's client ids (none in engines
    /// saved before tags existed: they keep their ids).
    #[serde(default, skip_serializing_if = "IdTag::is_none")]
    tag: IdTag,
    config: GridConfig,
    instrument: Instrument,
    phase: EnginePhase,
    /// `Start` has been seen.
    started: bool,
    /// Waiting for the price to rise to (true) or fall to (false) the trigger.
    trigger_rising: Option<bool>,
    levels: Vec<Decimal>,
    qty: Decimal,
    cells: Vec<Cell>,
    /// Cells waiting for re-placement.
    unplaced: u32,
    market: Option<MarketOrder>,
    close_generation: u64,
    close_sent: bool,
    close_retry: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    close_fill_ids: Vec<String>,
    /// The stop-loss fires at or below (true) / at or above (false) its price.
    stop_loss_falling: bool,
    /// The take-profit fires at or above (true) / at or below (false) its price.
    take_profit_rising: bool,
    liquidation_price: Option<Decimal>,
    position: NetPosition,
    stats: BotStats,
    started_at: Option<TimestampMs>,
    start_price: Decimal,
    stop_reason: Option<StopReason>,
    /// Set while a risk pause holds the grid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    paused: Option<Paused>,
    /// Lowest generation the next initial market order may use (a rebuild
    /// after a pause never reuses an `init` id).
    #[serde(default)]
    next_init_generation: u64,
    /// Lowest generation of any id this engine makes (a new run of a bot,
    /// see [`BotEngine::set_id_floor`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    id_floor: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl GridEngine {
    /// A grid engine for `bot`, validated: every rule of
    /// [`plan()`](fn@crate::grid::plan) except the liquidation estimate (checked at the
    /// real start price by whoever previews the plan) must hold.
    pub fn new(bot: BotId, config: GridConfig, instrument: Instrument) -> Result<GridEngine, ValidationError> {
        let mid = config
            .lower
            .checked_add(config.upper)
            .map_or(config.upper, |s| s / Decimal::TWO);
        let probe = plan(&config, &instrument, mid.max(instrument.tick_size))?;
        if let Some(e) = probe
            .errors
            .iter()
            .find(|e| !matches!(e, PlanError::LiquidationInRange { .. }))
        {
            return Err(ValidationError::new(error_field(e), e.to_string()));
        }
        Ok(GridEngine {
            bot,
            tag: IdTag::NONE,
            config,
            instrument,
            phase: EnginePhase::Waiting,
            started: false,
            trigger_rising: None,
            levels: Vec::new(),
            qty: Decimal::ZERO,
            cells: Vec::new(),
            unplaced: 0,
            market: None,
            close_generation: 0,
            close_sent: false,
            close_retry: false,
            close_fill_ids: Vec::new(),
            stop_loss_falling: true,
            take_profit_rising: true,
            liquidation_price: None,
            position: NetPosition::default(),
            stats: BotStats::default(),
            started_at: None,
            start_price: Decimal::ZERO,
            stop_reason: None,
            paused: None,
            next_init_generation: 0,
            id_floor: 0,
        })
    }

    /// Restores an engine from [`BotEngine::snapshot`]; it continues exactly
    /// where the snapshot was taken.
    pub fn restore(snapshot: &serde_json::Value) -> Result<GridEngine, ValidationError> {
        let e: GridEngine = serde_json::from_value(snapshot.clone())
            .map_err(|e| ValidationError::new("engine_state", format!("not a grid engine snapshot: {e}")))?;
        let consistent = e.cells.is_empty() && e.phase != EnginePhase::Active
            || e.levels.len() == e.cells.len() + 1 && e.cells.len() >= 2;
        if !consistent {
            return Err(ValidationError::new(
                "engine_state",
                format!(
                    "grid engine snapshot has {} lines for {} cells",
                    e.levels.len(),
                    e.cells.len()
                ),
            ));
        }
        Ok(e)
    }

    /// The bot this engine trades for.
    pub fn bot(&self) -> BotId {
        self.bot
    }

    /// The same engine making client ids under the installation tag `tag`
    /// (set before the engine places its first order).
    pub fn with_id_tag(mut self, tag: IdTag) -> Self {
        self.tag = tag;
        self
    }

    /// The installation and bot its client ids name.
    pub fn owner(&self) -> OrderOwner {
        OrderOwner::new(self.tag, self.bot)
    }

    /// The settings.
    pub fn config(&self) -> &GridConfig {
        &self.config
    }

    /// The `N+1` lines, lowest first (empty until started).
    pub fn levels(&self) -> &[Decimal] {
        &self.levels
    }

    /// Quantity per grid `q` (zero until started).
    pub fn qty_per_grid(&self) -> Decimal {
        self.qty
    }

    /// The price the grid started at (zero until started).
    pub fn start_price(&self) -> Decimal {
        self.start_price
    }

    /// The plan's liquidation estimate at the start price.
    pub fn liquidation_price(&self) -> Option<Decimal> {
        self.liquidation_price
    }

    /// Why the engine finished.
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.stop_reason
    }

    /// True while a risk pause holds the grid (until the next `Start`).
    pub fn is_paused(&self) -> bool {
        self.paused.is_some()
    }

    /// Number of cells (zero until started).
    pub fn cell_count(&self) -> u32 {
        self.cells.len() as u32
    }

    /// Cell `cell`'s current order and totals.
    pub fn cell(&self, cell: u32) -> Option<CellView> {
        let c = self.cells.get(cell as usize)?;
        Some(CellView {
            cell,
            side: c.side,
            price: self.order_price(cell as usize, c.side),
            remaining: self.qty - c.filled,
            filled: c.filled,
            generation: c.generation,
            placed: c.placed,
            holding: c.holding(),
            home: c.home,
            round_trips: c.round_trips,
            profit: c.profit,
        })
    }

    /// Every cell, lowest first.
    pub fn cells(&self) -> impl Iterator<Item = CellView> + '_ {
        (0..self.cell_count()).filter_map(move |c| self.cell(c))
    }

    /// The cells whose order price can lie in `[low, high]`: those with a
    /// line in that interval (`P_c` or `P_c+1`). A superset of the touched
    /// orders, found by binary search; check each cell's side and price.
    pub fn cells_touched(&self, low: Decimal, high: Decimal) -> Range<u32> {
        let first = self.levels.partition_point(|p| *p < low);
        let end = self.levels.partition_point(|p| *p <= high);
        if first >= end {
            return 0..0;
        }
        let n = self.cells.len();
        (first.saturating_sub(1).min(n) as u32)..(end.min(n) as u32)
    }

    /// The initial market order: side, quantity and quantity filled.
    pub fn initial_order(&self) -> Option<(Side, Decimal, Decimal)> {
        self.market.as_ref().map(|m| (m.side, m.qty, m.filled))
    }

    /// Total PnL in percent of the investment.
    pub fn roi_pct(&self) -> Decimal {
        roi_pct(self.stats().total_pnl(), self.config.investment)
    }

    /// [`GridEngine::roi_pct`] scaled to a year from the start time to `now`.
    pub fn apr_pct(&self, now: TimestampMs) -> Decimal {
        apr_pct(self.roi_pct(), self.started_at.map_or(0, |t| now - t))
    }

    fn order_price(&self, cell: usize, side: Side) -> Decimal {
        match side {
            Side::Buy => self.levels[cell],
            Side::Sell => self.levels[cell + 1],
        }
    }

    fn cell_request(&self, cell: usize) -> OrderRequest {
        let c = &self.cells[cell];
        OrderRequest::limit(
            ClientOrderId::grid(self.owner(), cell as u32, c.generation),
            self.config.symbol.clone(),
            c.side,
            self.order_price(cell, c.side),
            self.qty - c.filled,
        )
    }

    fn market_request(&self, m: &MarketOrder) -> OrderRequest {
        OrderRequest::market(
            ClientOrderId::action(self.owner(), INIT_TAG, m.generation),
            self.config.symbol.clone(),
            m.side,
            m.qty - m.filled,
        )
    }

    fn close_id(&self) -> ClientOrderId {
        ClientOrderId::action(self.owner(), CLOSE_TAG, self.close_generation)
    }

    fn on_start(&mut self, price: Decimal, ts: TimestampMs, out: &mut Vec<Command>) {
        if price <= Decimal::ZERO {
            return;
        }
        self.stats.last_price = price;
        let paused = self.paused.take();
        match self.phase {
            EnginePhase::Active if paused.is_some() => self.resume_from_pause(paused, price, out),
            EnginePhase::Waiting => {
                self.started = true;
                match self.config.trigger_price {
                    None => self.activate(price, ts, out),
                    Some(t) => {
                        let rising = *self.trigger_rising.get_or_insert(t > price);
                        if trigger_reached(rising, t, price) {
                            self.activate(price, ts, out);
                        }
                    }
                }
                if self.phase == EnginePhase::Active {
                    self.check_exits(price, out);
                }
            }
            EnginePhase::Active => {
                // An unfilled initial order goes out again under its id; a
                // refused one under its new id (place_pending).
                let resend = self.market.as_ref().filter(|m| m.placed && m.filled < m.qty);
                if let Some(m) = resend {
                    out.push(Command::Place(self.market_request(m)));
                }
                self.place_pending(out);
            }
            EnginePhase::Finished => {}
        }
    }

    /// One price of a walk: the trigger while waiting, the exits while
    /// trading. `activation` is the price to start at when the trigger is
    /// reached (a candle's walk passes the trigger price itself).
    fn on_point(&mut self, price: Decimal, activation: Option<Decimal>, ts: TimestampMs, out: &mut Vec<Command>) {
        if self.paused.is_some() {
            return;
        }
        match self.phase {
            EnginePhase::Waiting => {
                let (Some(rising), Some(t)) = (self.trigger_rising, self.config.trigger_price) else {
                    return;
                };
                if self.started && trigger_reached(rising, t, price) {
                    self.activate(activation.unwrap_or(price), ts, out);
                    if self.phase == EnginePhase::Active {
                        self.check_exits(price, out);
                    }
                }
            }
            EnginePhase::Active => self.check_exits(price, out),
            EnginePhase::Finished => {}
        }
    }

    /// False when [`GridEngine::on_point`] does nothing whatever the price:
    /// paused, finished, or trading with no stop-loss, no take-profit and
    /// `on_out_of_range = keep` (nothing [`GridEngine::exit_reason`]
    /// checks).
    fn points_matter(&self) -> bool {
        if self.paused.is_some() {
            return false;
        }
        match self.phase {
            EnginePhase::Waiting => true,
            EnginePhase::Active => {
                let c = &self.config;
                c.stop_loss.is_some() || c.take_profit.is_some() || c.on_out_of_range == OutOfRange::Stop
            }
            EnginePhase::Finished => false,
        }
    }

    /// After the prices of an event: re-place what was refused.
    #[inline]
    fn after_prices(&mut self, out: &mut Vec<Command>) {
        if self.paused.is_some() {
            return;
        }
        match self.phase {
            EnginePhase::Active => self.place_pending(out),
            EnginePhase::Finished if self.close_retry => {
                self.close_retry = false;
                out.push(Command::ClosePosition(self.close_id()));
            }
            _ => {}
        }
    }

    fn on_price(&mut self, price: Decimal, ts: TimestampMs, out: &mut Vec<Command>) {
        if price <= Decimal::ZERO {
            return;
        }
        self.stats.last_price = price;
        self.on_point(price, None, ts, out);
        self.after_prices(out);
    }

    /// Walks the candle O→L→H→C when it closes at or above its open, else
    /// O→H→L→C (the fill model of DESIGN.md).
    fn on_candle(&mut self, c: &Candle, out: &mut Vec<Command>) {
        // `c.low <= 0`, without a decimal comparison per candle.
        if c.low.is_zero() || c.low.is_sign_negative() {
            return;
        }
        if !self.points_matter() {
            // No point of the walk can change anything (see `on_point`).
            self.stats.last_price = c.close;
            self.after_prices(out);
            return;
        }
        let walk = if c.close >= c.open {
            [c.open, c.low, c.high, c.close]
        } else {
            [c.open, c.high, c.low, c.close]
        };
        for p in walk {
            self.on_point(p, self.config.trigger_price, c.ts, out);
            if self.phase == EnginePhase::Finished {
                break;
            }
        }
        self.stats.last_price = c.close;
        self.after_prices(out);
    }

    /// The plan at `price`, when it lays out a grid.
    fn plan_at(&self, price: Decimal) -> Option<crate::grid::GridPlan> {
        plan(&self.config, &self.instrument, price)
            .ok()
            .filter(|p| !p.levels.is_empty() && !p.qty_per_grid.is_zero())
    }

    /// Lays the cells and the initial market order out as `p` says, every
    /// cell order under `generation`, the market order under the next
    /// unused `init` generation. Round-trip counters of existing cells stay.
    fn lay_out(&mut self, p: &crate::grid::GridPlan, generation: u64) {
        let mode = self.config.mode;
        self.levels = p.levels.iter().map(|l| l.normalize()).collect();
        self.qty = p.qty_per_grid;
        self.liquidation_price = p.liquidation_price;
        let old = std::mem::take(&mut self.cells);
        self.cells = (0..p.cells())
            .map(|c| {
                let side = p.initial_side(c);
                let home = match mode {
                    GridMode::Long => Side::Buy,
                    GridMode::Short => Side::Sell,
                    GridMode::Neutral => side,
                };
                let mut cell = Cell::new(side, home);
                cell.generation = generation;
                if let Some(o) = old.get(c as usize) {
                    cell.round_trips = o.round_trips;
                    cell.profit = o.profit;
                }
                cell
            })
            .collect();
        self.unplaced = 0;
        let init_generation = self.init_generation();
        self.market = p.market_order().map(|m| MarketOrder {
            side: m.side,
            qty: m.qty,
            filled: Decimal::ZERO,
            generation: init_generation,
            placed: true,
            fill_ids: Vec::new(),
        });
        if self.market.is_some() {
            self.next_init_generation = init_generation + 1;
        }
    }

    /// The lowest `init` generation never used.
    fn init_generation(&self) -> u64 {
        self.market
            .as_ref()
            .map_or(0, |m| m.generation + 1)
            .max(self.next_init_generation)
            .max(self.id_floor)
    }

    /// Places the initial market order (if any) and every cell's order.
    fn place_all(&mut self, out: &mut Vec<Command>) {
        if let Some(m) = &self.market {
            out.push(Command::Place(self.market_request(m)));
        }
        out.reserve(self.cells.len());
        for c in 0..self.cells.len() {
            self.cells[c].placed = true;
            out.push(Command::Place(self.cell_request(c)));
        }
    }

    fn activate(&mut self, price: Decimal, ts: TimestampMs, out: &mut Vec<Command>) {
        let Some(p) = self.plan_at(price) else {
            return;
        };
        let mode = self.config.mode;
        self.lay_out(&p, self.id_floor);
        self.stop_loss_falling = match mode {
            GridMode::Long => true,
            GridMode::Short => false,
            GridMode::Neutral => self.config.stop_loss.is_none_or(|sl| sl <= price),
        };
        self.take_profit_rising = match mode {
            GridMode::Long => true,
            GridMode::Short => false,
            GridMode::Neutral => self.config.take_profit.is_none_or(|tp| tp >= price),
        };
        self.started_at = Some(ts);
        self.start_price = price;
        if let Some(reason) = self.exit_reason(price) {
            // Already beyond a stop at the start: nothing is placed.
            self.cells.iter_mut().for_each(|c| c.placed = false);
            self.market = None;
            self.phase = EnginePhase::Finished;
            self.stop_reason = Some(reason);
            out.push(Command::Finish(reason));
            return;
        }
        self.phase = EnginePhase::Active;
        self.place_all(out);
    }

    /// Why the grid must stop at `price`, if it must: stop-loss first, then
    /// take-profit, then leaving the range.
    fn exit_reason(&self, price: Decimal) -> Option<StopReason> {
        let c = &self.config;
        let stop_loss = c.stop_loss.is_some_and(|sl| {
            if self.stop_loss_falling {
                price <= sl
            } else {
                price >= sl
            }
        });
        let take_profit = c.take_profit.is_some_and(|tp| {
            if self.take_profit_rising {
                price >= tp
            } else {
                price <= tp
            }
        });
        let outside = c.on_out_of_range == OutOfRange::Stop
            && (price < self.levels[0] || price > self.levels[self.levels.len() - 1]);
        if stop_loss {
            Some(StopReason::StopLoss)
        } else if take_profit {
            Some(StopReason::TakeProfit)
        } else if outside {
            Some(StopReason::OutOfRange)
        } else {
            None
        }
    }

    fn check_exits(&mut self, price: Decimal, out: &mut Vec<Command>) {
        if let Some(reason) = self.exit_reason(price) {
            self.finish(reason, out);
        }
    }

    /// Re-places the initial order and the cells refused before (nothing,
    /// at no cost, in the usual case that none was).
    #[inline]
    fn place_pending(&mut self, out: &mut Vec<Command>) {
        if self.unplaced == 0 && self.market.as_ref().is_none_or(|m| m.placed) {
            return;
        }
        self.place_refused(out);
    }

    fn place_refused(&mut self, out: &mut Vec<Command>) {
        if let Some(m) = self.market.as_ref().filter(|m| !m.placed) {
            out.push(Command::Place(self.market_request(m)));
            if let Some(m) = self.market.as_mut() {
                m.placed = true;
            }
        }
        if self.unplaced == 0 {
            return;
        }
        for c in 0..self.cells.len() {
            if !self.cells[c].placed {
                self.cells[c].placed = true;
                out.push(Command::Place(self.cell_request(c)));
            }
        }
        self.unplaced = 0;
    }

    /// The position may be non-zero: held, still arriving from the initial
    /// order, or in a partly filled cell order.
    fn may_hold(&self) -> bool {
        !self.position.is_flat()
            || self.market.as_ref().is_some_and(|m| m.filled < m.qty)
            || self.cells.iter().any(|c| !c.filled.is_zero())
    }

    fn finish(&mut self, reason: StopReason, out: &mut Vec<Command>) {
        if self.phase == EnginePhase::Finished {
            // Still holding after the finish: restored after a crash between
            // saving this state and sending the close (sent again under the
            // same id: the exchange answers with the existing order if it
            // did arrive), or a cell order that filled while its cancel was
            // on the way, booked after a finish that found the grid flat
            // (no close was due then; one is now, or the stop never ends).
            if (self.close_sent || self.config.close_on_stop) && !self.position.is_flat() {
                self.close_sent = true;
                out.push(Command::ClosePosition(self.close_id()));
            }
            return;
        }
        if self.phase == EnginePhase::Active {
            for (i, c) in self.cells.iter().enumerate() {
                if c.placed {
                    out.push(Command::Cancel(ClientOrderId::grid(
                        self.owner(),
                        i as u32,
                        c.generation,
                    )));
                }
            }
            if self.config.close_on_stop && self.may_hold() {
                self.close_sent = true;
                out.push(Command::ClosePosition(self.close_id()));
            }
        }
        self.phase = EnginePhase::Finished;
        self.paused = None;
        self.stop_reason = Some(reason);
        out.push(Command::Finish(reason));
    }

    fn book(&mut self, f: &Fill) {
        self.stats.realized_pnl += self.position.apply(f.side, f.price, f.qty);
        self.stats.fees += f.fee;
        self.stats.fills += 1;
    }

    fn on_fill(&mut self, f: &Fill, out: &mut Vec<Command>) {
        if f.qty <= Decimal::ZERO || f.symbol != self.config.symbol {
            return;
        }
        match parse_id(&f.client_id, self.owner()) {
            Some(OrderRef::Cell { cell, generation }) => self.on_cell_fill(cell, generation, f, out),
            Some(OrderRef::Init(generation)) => {
                let fresh = self.market.as_ref().is_some_and(|m| {
                    m.generation == generation && m.side == f.side && m.filled < m.qty && !m.fill_ids.contains(&f.id)
                });
                if fresh {
                    self.book(f);
                    if let Some(m) = self.market.as_mut() {
                        m.placed = true;
                        m.filled += f.qty;
                        if m.filled < m.qty {
                            m.fill_ids.push(f.id.clone());
                        } else {
                            m.fill_ids.clear();
                        }
                    }
                }
            }
            Some(OrderRef::Close(generation))
                if self.close_sent && generation <= self.close_generation && !self.close_fill_ids.contains(&f.id) =>
            {
                self.book(f);
                self.close_fill_ids.push(f.id.clone());
                if self.paused == Some(Paused::Close) && self.position.is_flat() {
                    self.reset_cells();
                }
            }
            Some(OrderRef::Close(_)) => {}
            // The exchange closed the position (a liquidation): book it and
            // stop; nothing is left to close.
            None if f.is_liquidation => {
                self.book(f);
                if self.phase != EnginePhase::Finished {
                    self.finish(StopReason::Liquidated, out);
                }
            }
            None => {}
        }
    }

    fn on_cell_fill(&mut self, cell: usize, generation: u64, f: &Fill, out: &mut Vec<Command>) {
        let Some(c) = self.cells.get(cell) else {
            return;
        };
        if c.generation != generation || c.side != f.side || c.fill_ids.contains(&f.id) {
            return;
        }
        self.book(f);
        let qty = self.qty;
        let c = &mut self.cells[cell];
        if !c.placed {
            // Placed by the runner's reconciliation from ideal_orders.
            c.placed = true;
            self.unplaced = self.unplaced.saturating_sub(1);
        }
        match c.book(f.price, f.qty, f.fee, qty) {
            LegResult::Partial => {
                c.fill_ids.push(f.id.clone());
                return;
            }
            LegResult::Opened | LegResult::ClosedSeed => {}
            LegResult::RoundTrip(profit) => {
                self.stats.grid_profit += profit;
                self.stats.round_trips += 1;
                if profit > Decimal::ZERO {
                    self.stats.wins += 1;
                }
            }
        }
        if self.phase == EnginePhase::Active && self.paused.is_none() {
            out.push(Command::Place(self.cell_request(cell)));
        } else {
            // Finished or paused: the flipped order is not placed (a resume
            // places it under a new generation).
            self.cells[cell].placed = false;
        }
    }

    fn on_rejected(&mut self, client_id: &ClientOrderId) {
        match parse_id(client_id, self.owner()) {
            Some(OrderRef::Cell { cell, generation }) => {
                if let Some(c) = self.cells.get_mut(cell) {
                    if c.generation == generation && c.placed {
                        c.generation += 1;
                        c.placed = false;
                        c.fill_ids.clear();
                        self.unplaced += 1;
                    }
                }
            }
            Some(OrderRef::Init(generation)) => {
                if let Some(m) = self.market.as_mut() {
                    if m.generation == generation && m.placed && m.filled < m.qty {
                        m.generation += 1;
                        m.placed = false;
                        m.fill_ids.clear();
                    }
                }
            }
            Some(OrderRef::Close(generation)) if self.close_sent && generation == self.close_generation => {
                self.close_generation += 1;
                self.close_retry = true;
            }
            Some(OrderRef::Close(_)) => {}
            None => {}
        }
    }
}

fn trigger_reached(rising: bool, trigger: Decimal, price: Decimal) -> bool {
    if rising {
        price >= trigger
    } else {
        price <= trigger
    }
}

/// The setting a plan error is about.
fn error_field(e: &PlanError) -> &'static str {
    match e {
        PlanError::InvalidRange { .. } => "lower",
        PlanError::GridCountOutOfRange { .. }
        | PlanError::SpacingBelowTick { .. }
        | PlanError::UnprofitableGrid { .. } => "grids",
        PlanError::QtyBelowMinQty { .. } | PlanError::NotionalBelowMin { .. } => "investment",
        PlanError::LiquidationInRange { .. } | PlanError::LeverageAboveLimit { .. } => "leverage",
    }
}

impl BotEngine for GridEngine {
    fn on_event(&mut self, event: &EngineEvent, out: &mut Vec<Command>) {
        match event {
            EngineEvent::Start { price, ts } => self.on_start(*price, *ts, out),
            EngineEvent::Price { price, ts } => self.on_price(*price, *ts, out),
            EngineEvent::Candle(c) => self.on_candle(c, out),
            EngineEvent::Fill(f) => self.on_fill(f, out),
            EngineEvent::Rejected { client_id, .. } => self.on_rejected(client_id),
            EngineEvent::Stop { .. } => self.finish(StopReason::User, out),
            EngineEvent::Pause { close_position, .. } => self.pause(*close_position, out),
        }
    }

    fn ideal_orders(&self) -> Vec<OrderRequest> {
        if self.phase != EnginePhase::Active || self.paused.is_some() {
            return Vec::new();
        }
        (0..self.cells.len()).map(|c| self.cell_request(c)).collect()
    }

    fn stats(&self) -> BotStats {
        let mut s = self.stats.clone();
        s.position_qty = self.position.qty;
        s.entry_price = self.position.entry_price;
        s.unrealized_pnl = self.position.unrealized(s.last_price);
        s
    }

    fn phase(&self) -> EnginePhase {
        self.phase
    }

    fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    fn set_id_floor(&mut self, floor: u64) {
        self.id_floor = floor;
        self.close_generation = self.close_generation.max(floor);
        self.next_init_generation = self.next_init_generation.max(floor);
    }
}
