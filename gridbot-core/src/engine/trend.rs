//! The EMA-crossover trend engine.
//!
//! Rules (what a user's settings mean, exactly):
//! - Signals come from closed candles of the configured interval, built from
//!   the closed 1-minute candles the engine receives ([`CandleAggregator`]).
//!   A fast EMA and a slow EMA are updated on every interval close; a signal
//!   needs both EMAs ready (`slow_period` closes) and the sign of
//!   `fast − slow` to change between two consecutive closes.
//! - Long bots enter on a cross up and exit on a cross down; short bots enter
//!   on a cross down and exit on a cross up. Entries happen only after
//!   [`EngineEvent::Start`] and only when flat; the bot then keeps running and
//!   waits for the next entry signal (stop-loss and take-profit close a
//!   *trade*, not the bot). Only the user or a risk rule finishes a trend bot.
//! - Entry: one market order sized so that margin plus entry and exit taker
//!   fees fit in the investment: `qty = floor_lot(investment / (1/leverage +
//!   2·taker_fee) / price)`. A signal whose quantity is below the
//!   instrument's minimums is skipped and counted ([`TrendEngine::skipped_signals`]).
//! - Stop-loss / take-profit are percentages of the entry price. They are
//!   sent with the entry as preset trigger prices (snapped to tick towards
//!   the entry) and enforced locally too: on a price event the last price, on
//!   a candle its low / high, reaching a level closes the position at market.
//!   A percentage of 0 disables that side. A candle's low / high only
//!   counts for a position opened before that candle began (a fill stamped
//!   before the candle's open time): extremes that happened before the entry
//!   cannot stop it.
//! - One action per candle: no entry on a candle during or after which the
//!   previous trade was closed. Together with the rule above, this makes the
//!   engine's decisions independent of whether a fill is booked just before
//!   or just after the candle it happened in (which is what a restarted
//!   runner does), so a crash never changes what the bot does.
//! - Every fill on the bot's symbol is booked through [`NetPosition`]; a
//!   trade is closed (round trip) when the position returns to zero; it is a
//!   win when its realised PnL minus its fees is positive.
//! - Client order ids are `b{bot}-open-{n}` and `b{bot}-close-{n}` for trade
//!   `n`, so a replayed command is recognised by the exchange. On a second
//!   `Start` (a resume) the engine re-issues a command that has no fill yet
//!   under the same id; the exchange's idempotency makes that safe.
//! - [`EngineEvent::Pause`] (a risk rule): with `close_position` an open
//!   position (or an entry whose fill is not seen yet) is closed with the
//!   trade's own closing order `b{bot}-close-{n}`, booked like any exit;
//!   without it the position is kept (its preset stop-loss / take-profit
//!   stay on the exchange). While paused the engine enters nothing and
//!   enforces no stop locally (the EMAs still follow the candles it is
//!   given). The next `Start` resumes: a close still without a fill is
//!   sent again under its id, a close that found nothing to close ends the
//!   trade (the next entry gets a new id), and signals are acted on again.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ema::{CandleAggregator, Ema};
use super::{BotEngine, Command, EngineEvent, EnginePhase, StopReason};
use crate::error::ValidationError;
use crate::model::{
    BotId, BotStats, Candle, ClientOrderId, Fill, IdTag, Instrument, NetPosition, OrderOwner, OrderRequest, Rounding,
    Side, TimestampMs, TrendConfig, TrendDirection,
};

/// Where the current trade is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum TradeState {
    /// No position, no order out.
    Flat,
    /// The entry market order is out; no fill seen yet.
    Entering,
    /// A position is open.
    InPosition,
    /// The closing order is out.
    Exiting,
}

/// An EMA-crossover trend bot (see the module docs for its rules).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrendEngine {
    bot: BotId,
    /// The installation's tag in the bot's client ids (none in engines
    /// saved before tags existed: they keep their ids).
    #[serde(default, skip_serializing_if = "IdTag::is_none")]
    tag: IdTag,
    config: TrendConfig,
    instrument: Instrument,
    phase: EnginePhase,
    fast: Ema,
    slow: Ema,
    candles: CandleAggregator,
    /// `fast − slow` at the previous interval close, once both are ready.
    last_diff: Option<Decimal>,
    state: TradeState,
    /// Trade number (generation of the client ids).
    trade: u64,
    position: NetPosition,
    /// Realised PnL and fees of the current trade.
    trade_realized: Decimal,
    trade_fees: Decimal,
    /// A close was refused; send a new one on the next price.
    retry_exit: bool,
    /// Time of the fill that opened the current position.
    #[serde(default)]
    opened_ts: Option<TimestampMs>,
    /// Time of the fill that closed the last trade.
    #[serde(default)]
    closed_ts: Option<TimestampMs>,
    stats: BotStats,
    skipped_signals: u64,
    /// A risk pause holds the bot until the next `Start`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    paused: bool,
}

impl TrendEngine {
    /// A trend engine for `bot`, validated against the instrument.
    pub fn new(bot: BotId, config: TrendConfig, instrument: Instrument) -> Result<Self, ValidationError> {
        validate(&config, &instrument)?;
        Ok(TrendEngine {
            bot,
            tag: IdTag::NONE,
            fast: Ema::new(config.fast_period),
            slow: Ema::new(config.slow_period),
            candles: CandleAggregator::new(config.interval),
            config,
            instrument,
            phase: EnginePhase::Waiting,
            last_diff: None,
            state: TradeState::Flat,
            trade: 1,
            position: NetPosition::default(),
            trade_realized: Decimal::ZERO,
            trade_fees: Decimal::ZERO,
            retry_exit: false,
            opened_ts: None,
            closed_ts: None,
            stats: BotStats::default(),
            skipped_signals: 0,
            paused: false,
        })
    }

    /// The same engine making client ids under the installation tag `tag`
    /// (set before the engine places its first order).
    pub fn with_id_tag(mut self, tag: IdTag) -> Self {
        self.tag = tag;
        self
    }

    /// Restores an engine from [`BotEngine::snapshot`].
    pub fn restore(snapshot: &serde_json::Value) -> Result<Self, ValidationError> {
        serde_json::from_value(snapshot.clone())
            .map_err(|e| ValidationError::new("engine_state", format!("not a trend engine snapshot: {e}")))
    }

    /// Feeds closed candles *of the configured interval* (history before the
    /// start) so the EMAs are ready at once. Never trades.
    pub fn warm_up(&mut self, interval_candles: &[Candle]) {
        for c in interval_candles {
            self.on_interval_close(c.close);
        }
    }

    /// Entry signals skipped because the quantity was below the minimums.
    pub fn skipped_signals(&self) -> u64 {
        self.skipped_signals
    }

    /// True while a risk pause holds the bot (until the next `Start`).
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// The current fast and slow EMA values.
    pub fn emas(&self) -> (Option<Decimal>, Option<Decimal>) {
        (self.fast.value(), self.slow.value())
    }

    fn open_id(&self) -> ClientOrderId {
        ClientOrderId::action(OrderOwner::new(self.tag, self.bot), "open", self.trade)
    }

    fn close_id(&self) -> ClientOrderId {
        ClientOrderId::action(OrderOwner::new(self.tag, self.bot), "close", self.trade)
    }

    fn entry_side(&self) -> Side {
        match self.config.direction {
            TrendDirection::Long => Side::Buy,
            TrendDirection::Short => Side::Sell,
        }
    }

    /// Updates the EMAs with an interval close; returns +1 on a cross up,
    /// −1 on a cross down, 0 otherwise.
    fn on_interval_close(&mut self, close: Decimal) -> i8 {
        let f = self.fast.update(close);
        let s = self.slow.update(close);
        if !(self.fast.is_ready() && self.slow.is_ready()) {
            return 0;
        }
        let diff = f - s;
        let cross = match self.last_diff {
            Some(prev) if prev <= Decimal::ZERO && diff > Decimal::ZERO => 1,
            Some(prev) if prev >= Decimal::ZERO && diff < Decimal::ZERO => -1,
            _ => 0,
        };
        self.last_diff = Some(diff);
        cross
    }

    fn entry_qty(&self, price: Decimal) -> Decimal {
        let lev = Decimal::from(self.config.leverage.max(1));
        let denom = Decimal::ONE / lev + Decimal::TWO * self.instrument.taker_fee;
        if price <= Decimal::ZERO || denom <= Decimal::ZERO {
            return Decimal::ZERO;
        }
        self.instrument.floor_qty(self.config.investment / denom / price)
    }

    fn presets(&self, entry: Decimal) -> (Option<Decimal>, Option<Decimal>) {
        let (sl, tp) = self.levels(entry);
        let i = &self.instrument;
        // Snapped towards the entry: a stop never lies further away than asked.
        let (sl_round, tp_round) = match self.config.direction {
            TrendDirection::Long => (Rounding::Up, Rounding::Down),
            TrendDirection::Short => (Rounding::Down, Rounding::Up),
        };
        (
            sl.map(|p| i.round_price(p, sl_round)),
            tp.map(|p| i.round_price(p, tp_round)),
        )
    }

    /// The open position's stop-loss and take-profit prices, as the engine
    /// checks them (unsnapped), or `None` while flat (waiting for a cross).
    pub fn exit_levels(&self) -> Option<(Option<Decimal>, Option<Decimal>)> {
        (!self.position.is_flat()).then(|| self.levels(self.position.entry_price))
    }

    /// Stop-loss and take-profit prices for an entry price (unsnapped).
    fn levels(&self, entry: Decimal) -> (Option<Decimal>, Option<Decimal>) {
        let pct = |p: Decimal| p / Decimal::ONE_HUNDRED;
        let sign = match self.config.direction {
            TrendDirection::Long => Decimal::ONE,
            TrendDirection::Short => Decimal::NEGATIVE_ONE,
        };
        let sl = (self.config.stop_loss_pct > Decimal::ZERO)
            .then(|| entry * (Decimal::ONE - sign * pct(self.config.stop_loss_pct)));
        let tp = (self.config.take_profit_pct > Decimal::ZERO)
            .then(|| entry * (Decimal::ONE + sign * pct(self.config.take_profit_pct)));
        (sl, tp)
    }

    /// True when the price range `[low, high]` reached the stop-loss or
    /// take-profit of the open position.
    fn stop_reached(&self, low: Decimal, high: Decimal) -> bool {
        if self.position.is_flat() {
            return false;
        }
        let (sl, tp) = self.levels(self.position.entry_price);
        match self.config.direction {
            TrendDirection::Long => sl.is_some_and(|s| low <= s) || tp.is_some_and(|t| high >= t),
            TrendDirection::Short => sl.is_some_and(|s| high >= s) || tp.is_some_and(|t| low <= t),
        }
    }

    fn enter(&mut self, price: Decimal, out: &mut Vec<Command>) {
        let qty = self.entry_qty(price);
        if self
            .instrument
            .check_order(self.instrument.round_price(price, Rounding::Nearest), qty)
            .is_err()
        {
            self.skipped_signals += 1;
            return;
        }
        let (sl, tp) = self.presets(price);
        let req = OrderRequest::market(self.open_id(), self.config.symbol.clone(), self.entry_side(), qty)
            .with_presets(sl, tp);
        self.state = TradeState::Entering;
        out.push(Command::Place(req));
    }

    fn exit(&mut self, out: &mut Vec<Command>) {
        self.retry_exit = false;
        self.state = TradeState::Exiting;
        out.push(Command::ClosePosition(self.close_id()));
    }

    fn on_price(&mut self, price: Decimal, low: Decimal, high: Decimal, out: &mut Vec<Command>) {
        self.stats.last_price = price;
        if self.phase != EnginePhase::Active || self.paused || self.state != TradeState::InPosition {
            return;
        }
        if self.retry_exit || self.stop_reached(low, high) {
            self.exit(out);
        }
    }

    fn on_candle(&mut self, candle: &Candle, out: &mut Vec<Command>) {
        let opened_before = self.opened_ts.is_some_and(|t| t < candle.ts);
        let (low, high) = if opened_before {
            (candle.low, candle.high)
        } else {
            (candle.close, candle.close)
        };
        self.on_price(candle.close, low, high, out);
        let may_enter = self.closed_ts.is_none_or(|t| t < candle.ts);
        for closed in self.candles.push(candle) {
            let cross = self.on_interval_close(closed.close);
            if self.phase != EnginePhase::Active || self.paused || cross == 0 {
                continue;
            }
            let entry_cross = match self.config.direction {
                TrendDirection::Long => 1,
                TrendDirection::Short => -1,
            };
            match self.state {
                TradeState::Flat if cross == entry_cross && may_enter => self.enter(closed.close, out),
                TradeState::InPosition if cross == -entry_cross => self.exit(out),
                _ => {}
            }
        }
    }

    fn on_fill(&mut self, fill: &Fill) {
        let was_open = !self.position.is_flat();
        let realized = self.position.apply(fill.side, fill.price, fill.qty);
        self.stats.realized_pnl += realized;
        self.stats.fees += fill.fee;
        self.stats.fills += 1;
        self.trade_realized += realized;
        self.trade_fees += fill.fee;
        if self.position.is_flat() {
            if was_open {
                self.closed_ts = Some(fill.ts);
                self.close_trade();
            }
        } else if !was_open {
            self.opened_ts = Some(fill.ts);
        }
        if !self.position.is_flat() && matches!(self.state, TradeState::Flat | TradeState::Entering) {
            self.state = TradeState::InPosition;
        }
    }

    fn close_trade(&mut self) {
        self.stats.round_trips += 1;
        if self.trade_realized - self.trade_fees > Decimal::ZERO {
            self.stats.wins += 1;
        }
        self.trade_realized = Decimal::ZERO;
        self.trade_fees = Decimal::ZERO;
        self.trade += 1;
        self.retry_exit = false;
        self.state = TradeState::Flat;
    }

    fn on_rejected(&mut self, client_id: &ClientOrderId) {
        if *client_id == self.open_id() && self.state == TradeState::Entering {
            self.state = TradeState::Flat;
            // A new attempt must not reuse the refused id.
            self.trade += 1;
        } else if *client_id == self.close_id() && self.state == TradeState::Exiting {
            // The refused id is spent: the retry goes out under a new one.
            self.trade += 1;
            if self.position.is_flat() {
                self.state = TradeState::Flat;
            } else {
                self.state = TradeState::InPosition;
                self.retry_exit = true;
            }
        }
    }

    /// Re-issues the command of a trade step that has no fill yet (resume).
    fn resume(&mut self, out: &mut Vec<Command>) {
        match self.state {
            TradeState::Entering => {
                let price = self.stats.last_price;
                self.state = TradeState::Flat;
                if price > Decimal::ZERO {
                    // Same trade number, same id: the exchange recognises it.
                    self.enter(price, out);
                }
            }
            // A close that found no position (an entry that never filled):
            // the trade is over and its ids are spent.
            TradeState::Exiting if self.position.is_flat() => {
                self.trade += 1;
                self.retry_exit = false;
                self.state = TradeState::Flat;
            }
            TradeState::Exiting => self.exit(out),
            TradeState::Flat | TradeState::InPosition => {}
        }
    }

    /// A risk pause (see the module docs).
    fn pause(&mut self, close_position: bool, out: &mut Vec<Command>) {
        if self.phase == EnginePhase::Finished {
            return;
        }
        self.paused = true;
        let holds = !self.position.is_flat() || self.state == TradeState::Entering;
        if close_position && holds && self.state != TradeState::Exiting {
            self.exit(out);
        }
    }

    fn stop(&mut self, out: &mut Vec<Command>) {
        if self.phase == EnginePhase::Finished {
            // Still holding after the stop: restored after a crash between
            // saving this state and sending the close (same id: the
            // exchange recognises it), or the close was refused (a new id,
            // see `on_rejected`). Send it (again).
            if !self.position.is_flat() {
                self.state = TradeState::Exiting;
                out.push(Command::ClosePosition(self.close_id()));
            }
            return;
        }
        self.paused = false;
        if !self.position.is_flat() || self.state == TradeState::Entering {
            self.state = TradeState::Exiting;
            out.push(Command::ClosePosition(self.close_id()));
        }
        self.phase = EnginePhase::Finished;
        out.push(Command::Finish(StopReason::User));
    }
}

impl BotEngine for TrendEngine {
    fn on_event(&mut self, event: &EngineEvent, out: &mut Vec<Command>) {
        match event {
            EngineEvent::Start { price, .. } => {
                self.stats.last_price = *price;
                self.paused = false;
                match self.phase {
                    EnginePhase::Waiting => self.phase = EnginePhase::Active,
                    EnginePhase::Active => self.resume(out),
                    EnginePhase::Finished => {}
                }
            }
            EngineEvent::Price { price, .. } => self.on_price(*price, *price, *price, out),
            EngineEvent::Candle(c) => self.on_candle(c, out),
            EngineEvent::Fill(f) => {
                self.on_fill(f);
                if f.is_liquidation && self.phase != EnginePhase::Finished {
                    // The exchange closed the position: the bot is done.
                    self.phase = EnginePhase::Finished;
                    self.paused = false;
                    self.state = TradeState::Flat;
                    out.push(Command::Finish(StopReason::Liquidated));
                }
            }
            EngineEvent::Rejected { client_id, .. } => self.on_rejected(client_id),
            EngineEvent::Stop { .. } => self.stop(out),
            EngineEvent::Pause { close_position, .. } => self.pause(*close_position, out),
        }
    }

    fn ideal_orders(&self) -> Vec<OrderRequest> {
        // A trend bot never keeps resting orders: entries and exits are market
        // orders, re-issued on resume (see the module docs).
        Vec::new()
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
        self.trade = self.trade.max(floor);
    }
}

fn validate(c: &TrendConfig, i: &Instrument) -> Result<(), ValidationError> {
    if c.symbol != i.symbol {
        return Err(ValidationError::new(
            "symbol",
            format!("config is for {} but the instrument is {}", c.symbol, i.symbol),
        ));
    }
    if c.fast_period == 0 || c.fast_period >= c.slow_period {
        return Err(ValidationError::new(
            "fast_period",
            format!(
                "must be at least 1 and below slow_period ({}), got {}",
                c.slow_period, c.fast_period
            ),
        ));
    }
    if c.slow_period > 1000 {
        return Err(ValidationError::new(
            "slow_period",
            format!("must be at most 1000, got {}", c.slow_period),
        ));
    }
    if c.leverage == 0 || c.leverage > i.max_leverage {
        return Err(ValidationError::new(
            "leverage",
            format!(
                "must be between 1 and {} for {}, got {}",
                i.max_leverage, i.symbol, c.leverage
            ),
        ));
    }
    if c.stop_loss_pct < Decimal::ZERO || c.stop_loss_pct >= Decimal::ONE_HUNDRED {
        return Err(ValidationError::new(
            "stop_loss_pct",
            format!("must be in [0, 100) percent (0 = off), got {}", c.stop_loss_pct),
        ));
    }
    if c.take_profit_pct < Decimal::ZERO || c.take_profit_pct > Decimal::from(1000) {
        return Err(ValidationError::new(
            "take_profit_pct",
            format!("must be in [0, 1000] percent (0 = off), got {}", c.take_profit_pct),
        ));
    }
    if c.investment <= Decimal::ZERO {
        return Err(ValidationError::new(
            "investment",
            format!("must be greater than 0, got {}", c.investment),
        ));
    }
    Ok(())
}

#[cfg(test)]
#[path = "trend_tests.rs"]
mod tests;
