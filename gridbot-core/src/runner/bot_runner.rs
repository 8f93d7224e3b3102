//! One bot's runner: the crash-safe loop between an engine, the exchange and
//! the store. The task around it (`task.rs`) only feeds it events; tests and
//! simulations drive it directly, one market event at a time.
//!
//! Crash-safety design (what survives a kill at any instant):
//! - Engine state and fill cursor are saved *together* after every event
//!   that produced commands or fills, after every closed candle for trend
//!   bots (their EMAs move), and for grid bots after at most 30 quiet
//!   candles (a grid's state changes only through fills and commands; a
//!   quiet candle only moves its last price) ([`Store::save_engine_state`]).
//!   So the saved engine has booked exactly the bot's fills up to the saved
//!   cursor, and every candle that mattered up to `last_candle_ts`.
//! - Every order is written to the store as `intended`, with its
//!   deterministic client id, before it is sent (`exec.rs`).
//! - On (re)start ([`BotRunner::load`] then [`BotRunner::resume`]): the engine
//!   is restored from its saved state (or built fresh, the cursor then set to
//!   the end of the account's fill history, so older fills are never booked
//!   to the bot); recorded orders are refreshed from the exchange by client
//!   id; fills after the cursor are fetched and fed to the engine (stored
//!   idempotently by fill id); then `Start` makes the engine re-issue any
//!   command whose effect it has not seen, under the same client id — the
//!   exchange answers with the existing order instead of a second one; then
//!   the ideal resting orders are reconciled with the exchange's open orders
//!   (missing ones placed unless the exchange already has that id closed,
//!   extra ones of this bot cancelled).
//! - Candles at or before `last_candle_ts` are ignored, so a feed that
//!   re-delivers candles after a restart is harmless. Candles missed while
//!   the process was down are not replayed.
//! - Fills are attributed to the bot when they are on its symbol and their
//!   client id names the bot, or names no bot at all (exchange-generated:
//!   preset stop-loss / take-profit, liquidation). One active bot per symbol
//!   per account makes that unambiguous.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::engines::{build_engine, build_warmed_engine, restore_engine};
use super::RetryPolicy;
use crate::clock::Clock;
use crate::engine::{BotEngine, Command, EngineEvent, EnginePhase, StopReason};
use crate::error::{ExchangeError, MarketDataError, StoreError, ValidationError};
use crate::manager::{BotEvent, EventBus};
use crate::model::{
    AuditEvent, Bot, BotKind, BotOrder, BotStats, BotStatus, ClientOrderId, EquitySnapshot, Fill, FillCursor,
    Instrument, MarketEvent, Tick, TimestampMs,
};
use crate::ports::{Exchange, MarketData, Store};

/// Most rounds of "execute commands, fetch the fills they caused" per event.
const MAX_ROUNDS: usize = 16;
/// Fill ids remembered to drop duplicates an exchange may send.
pub(super) const RECENT_FILLS_CAP: usize = 4096;
/// Quiet candles (no fill, no command) after which a grid bot's state is
/// saved anyway.
const QUIET_GRID_SAVE_EVERY: u32 = 30;

/// Why a runner stopped working. Exchange errors here are persistent (or
/// transient ones that outlasted the retries).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RunnerError {
    /// The exchange failed.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// The store failed.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    /// The bot's settings or saved state are invalid.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// Market data failed.
    #[error(transparent)]
    Market(#[from] MarketDataError),
}

/// How a runner behaves.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Retries of transient exchange errors.
    pub retry: RetryPolicy,
    /// Minimum market time between two equity snapshots, ms.
    pub equity_interval_ms: i64,
    /// Fetch fills before every closed candle (paper, simulations) rather
    /// than only when the account reports one.
    pub sync_fills_every_candle: bool,
    /// Told after the runner has handled each tick (metrics: tick-to-decision
    /// latency). `None` in normal operation.
    pub tick_probe: Option<TickProbe>,
}

/// A callback run after each handled tick, with the tick (see
/// [`RunnerOptions::tick_probe`]). It runs on the runner's task: keep it cheap.
#[derive(Clone)]
pub struct TickProbe(Arc<dyn Fn(&Tick) + Send + Sync>);

impl TickProbe {
    /// A probe calling `f`.
    pub fn new(f: impl Fn(&Tick) + Send + Sync + 'static) -> Self {
        TickProbe(Arc::new(f))
    }
}

impl std::fmt::Debug for TickProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TickProbe")
    }
}

impl Default for RunnerOptions {
    fn default() -> Self {
        RunnerOptions {
            retry: RetryPolicy::default(),
            equity_interval_ms: 60_000,
            sync_fills_every_candle: true,
            tick_probe: None,
        }
    }
}

/// What the runner saves as the bot's engine state.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedState {
    engine: serde_json::Value,
    last_candle_ts: Option<TimestampMs>,
}

/// Everything one bot's runner needs from the outside.
#[derive(Clone)]
pub struct RunnerContext {
    /// Persistence.
    pub store: Arc<dyn Store>,
    /// The bot owner's account.
    pub exchange: Arc<dyn Exchange>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Where status and stats changes are published.
    pub events: EventBus,
    /// Behaviour.
    pub options: RunnerOptions,
}

/// A bot's runner state (see the module docs).
pub struct BotRunner {
    pub(super) bot: Bot,
    pub(super) ctx: RunnerContext,
    pub(super) engine: Box<dyn BotEngine>,
    pub(super) instrument: Instrument,
    pub(super) cursor: Option<FillCursor>,
    pub(super) last_candle_ts: Option<TimestampMs>,
    pub(super) recent_fills: VecDeque<String>,
    pub(super) recent_set: HashSet<String>,
    /// Orders believed intended or open, with the quantity still to fill.
    pub(super) live_orders: HashMap<ClientOrderId, (BotOrder, rust_decimal::Decimal)>,
    pub(super) saved_stats: BotStats,
    pub(super) last_equity_ts: Option<TimestampMs>,
    pub(super) finished: bool,
    /// Candles handled since the last save.
    pub(super) quiet_candles: u32,
}

impl BotRunner {
    /// Loads a bot for running: instrument, engine (restored or fresh), the
    /// fill cursor, and the recorded orders refreshed from the exchange.
    pub async fn load(bot: Bot, ctx: RunnerContext) -> Result<Self, RunnerError> {
        let symbol = bot.symbol.clone();
        let instrument = ctx
            .options
            .retry
            .run(&*ctx.clock, || ctx.exchange.instrument(&symbol))
            .await?;
        let saved: Option<SavedState> = match &bot.engine_state {
            Some(v) => Some(
                serde_json::from_value(v.clone())
                    .map_err(|e| ValidationError::new("engine_state", format!("unreadable runner state: {e}")))?,
            ),
            None => None,
        };
        let fresh = saved.is_none();
        let (engine, last_candle_ts) = match saved {
            Some(s) => (restore_engine(&bot.kind, &s.engine)?, s.last_candle_ts),
            None => (build_engine(bot.id, &bot.kind, instrument.clone())?, None),
        };
        let mut runner = BotRunner {
            cursor: bot.fill_cursor.clone().map(FillCursor),
            saved_stats: bot.stats.clone(),
            bot,
            ctx,
            engine,
            instrument,
            last_candle_ts,
            recent_fills: VecDeque::new(),
            recent_set: HashSet::new(),
            live_orders: HashMap::new(),
            last_equity_ts: None,
            finished: false,
            quiet_candles: 0,
        };
        if fresh {
            runner.skip_fill_history().await?;
            runner.save().await?;
        }
        runner.refresh_order_records().await?;
        Ok(runner)
    }

    /// The bot as loaded (status may have changed since).
    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// The contract's trading rules.
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// The engine's running totals.
    pub fn stats(&self) -> BotStats {
        self.engine.stats()
    }

    /// The engine's phase.
    pub fn phase(&self) -> EnginePhase {
        self.engine.phase()
    }

    /// True once the bot has finished (stopped by itself or by request).
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Warms a trend bot that never ran up with recent closed candles of its
    /// interval (three slow periods), so its first signal does not wait
    /// hours. Without history (or for other kinds) nothing changes.
    pub async fn warm_up(&mut self, market: &dyn MarketData) -> Result<(), RunnerError> {
        let BotKind::Trend(cfg) = &self.bot.kind else {
            return Ok(());
        };
        if self.engine.phase() != EnginePhase::Waiting || self.last_candle_ts.is_some() {
            return Ok(());
        }
        let span = cfg.interval.millis().saturating_mul(i64::from(cfg.slow_period) * 3 + 1);
        let end = cfg.interval.floor(self.ctx.clock.now_ms());
        let history = match market.candles(&self.bot.symbol, cfg.interval, end - span, end).await {
            Ok(h) => h,
            Err(e) => {
                tracing::info!(bot = %self.bot.id, error = %e, "no history to warm up with; starting cold");
                return Ok(());
            }
        };
        self.engine = build_warmed_engine(self.bot.id, &self.bot.kind, self.instrument.clone(), &history)?;
        Ok(())
    }

    /// Starts or resumes trading at `price`: books missed fills, lets the
    /// engine re-issue unfinished commands, reconciles resting orders, and
    /// marks the bot running.
    pub async fn resume(&mut self, price: rust_decimal::Decimal, ts: TimestampMs) -> Result<(), RunnerError> {
        if self.engine.phase() == EnginePhase::Waiting {
            let (symbol, leverage) = (self.bot.symbol.clone(), self.bot.kind.leverage());
            let ex = self.ctx.exchange.clone();
            self.ctx
                .options
                .retry
                .run(&*self.ctx.clock, || ex.set_leverage(&symbol, leverage))
                .await?;
        }
        let cmds = self.sync_fills().await?;
        self.process(cmds).await?;
        if self.engine.phase() == EnginePhase::Finished && !self.finished {
            // The engine finished before the process died (its state is saved
            // before an exit is sent): complete the stop instead of trading.
            // Its `Stop` re-sends a close that may not have reached the
            // exchange, under the same client id.
            let cmds = self.feed(&EngineEvent::Stop { ts });
            self.process(cmds).await?;
            if !self.finished {
                self.finish(StopReason::User).await?;
            }
            return Ok(());
        }
        let cmds = self.feed(&EngineEvent::Start { price, ts });
        self.process(cmds).await?;
        if !self.finished {
            self.reconcile().await?;
            self.drop_unsent_intents().await?;
            if self.bot.status != BotStatus::Running {
                self.set_status(BotStatus::Running, None).await?;
            }
        }
        self.save().await?;
        self.save_stats(ts).await
    }

    /// Handles one market event of the bot's symbol.
    pub async fn on_market(&mut self, event: &MarketEvent) -> Result<(), RunnerError> {
        if self.finished || event.symbol() != &self.bot.symbol {
            return Ok(());
        }
        match event {
            MarketEvent::Tick(t) => {
                let cmds = self.feed(&EngineEvent::Price {
                    price: t.price,
                    ts: t.ts,
                });
                if !cmds.is_empty() {
                    self.process(cmds).await?;
                    self.save().await?;
                    self.save_stats(t.ts).await?;
                }
                if let Some(probe) = &self.ctx.options.tick_probe {
                    (probe.0)(t);
                }
            }
            MarketEvent::Candle { candle, .. } => {
                if self.last_candle_ts.is_some_and(|last| candle.ts <= last) {
                    return Ok(());
                }
                let fills_before = self.engine.stats().fills;
                let mut acted = false;
                if self.ctx.options.sync_fills_every_candle {
                    let cmds = self.sync_fills().await?;
                    acted |= !cmds.is_empty();
                    self.process(cmds).await?;
                }
                let cmds = self.feed(&EngineEvent::Candle(*candle));
                acted |= !cmds.is_empty();
                self.process(cmds).await?;
                acted |= self.engine.stats().fills != fills_before;
                self.last_candle_ts = Some(candle.ts);
                self.quiet_candles = self.quiet_candles.saturating_add(1);
                // A grid engine's state changes only through its start, fills
                // and the commands it issues; a quiet candle changes nothing
                // but the last price, so its save can wait. Trend engines
                // move their EMAs on every candle: always saved.
                let grid = matches!(self.bot.kind, BotKind::Grid(_));
                if acted || !grid || self.quiet_candles >= QUIET_GRID_SAVE_EVERY {
                    self.save().await?;
                }
                self.record_equity(candle.ts).await?;
                self.save_stats(candle.ts).await?;
            }
        }
        Ok(())
    }

    /// Fetches and books the bot's new fills and acts on them (called when
    /// the account reports a fill).
    pub async fn on_fills_reported(&mut self) -> Result<(), RunnerError> {
        if self.finished {
            return Ok(());
        }
        let cmds = self.sync_fills().await?;
        let had = !cmds.is_empty();
        self.process(cmds).await?;
        if had || self.engine.stats() != self.saved_stats {
            self.save().await?;
            self.save_stats(self.ctx.clock.now_ms()).await?;
        }
        Ok(())
    }

    /// Stops the bot: the engine's stop commands (cancel, close the
    /// position), then every remaining order of the bot is cancelled, the
    /// last fills are booked and the bot is marked stopped.
    pub async fn stop(&mut self) -> Result<(), RunnerError> {
        if self.finished {
            return Ok(());
        }
        let cmds = self.sync_fills().await?;
        self.process(cmds).await?;
        let cmds = self.feed(&EngineEvent::Stop {
            ts: self.ctx.clock.now_ms(),
        });
        self.process(cmds).await?;
        if !self.finished {
            self.finish(StopReason::User).await?;
        }
        Ok(())
    }

    /// Pauses the bot (risk rule): the engine's pause (it cancels its
    /// orders and, when `close_position`, closes the position with its own
    /// closing order and books the closing fill), then any other resting
    /// order of the bot is cancelled; the allocation is kept and the bot is
    /// marked paused. The engine state is saved as paused *before* its
    /// commands are sent, so a process that dies half-way still books the
    /// closing fill on its next start. Resuming is a start: see each
    /// engine's docs for what it does then.
    pub async fn pause(&mut self, close_position: bool, reason: &str) -> Result<(), RunnerError> {
        if self.finished {
            return Ok(());
        }
        let cmds = self.sync_fills().await?;
        self.process(cmds).await?;
        let cmds = self.feed(&EngineEvent::Pause {
            close_position,
            ts: self.ctx.clock.now_ms(),
        });
        self.save().await?;
        self.process(cmds).await?;
        self.cancel_all_mine().await?;
        // A paused engine asks for nothing; a late fill is booked.
        let cmds = self.sync_fills().await?;
        self.process(cmds).await?;
        self.save().await?;
        self.save_stats(self.ctx.clock.now_ms()).await?;
        self.set_status(BotStatus::Paused, Some(reason.to_owned())).await?;
        let position = if close_position { "closed" } else { "kept" };
        self.audit("bot.paused", format!("{reason}; position {position}")).await;
        Ok(())
    }

    /// Saves the engine state and the fill cursor together.
    pub async fn save(&mut self) -> Result<(), RunnerError> {
        self.quiet_candles = 0;
        // Built by hand (the shape of `SavedState`) so the engine snapshot is
        // moved, not copied.
        let mut map = serde_json::Map::with_capacity(2);
        map.insert("engine".to_owned(), self.engine.snapshot());
        map.insert("last_candle_ts".to_owned(), self.last_candle_ts.into());
        let value = serde_json::Value::Object(map);
        let cursor = self.cursor.as_ref().map(|c| c.0.clone());
        self.ctx
            .store
            .save_engine_state(self.bot.id, &value, cursor, self.ctx.clock.now_ms())
            .await?;
        Ok(())
    }

    pub(super) fn feed(&mut self, event: &EngineEvent) -> Vec<Command> {
        let mut out = Vec::new();
        self.engine.on_event(event, &mut out);
        out
    }

    /// Carries out commands and books the fills they cause, until quiet.
    ///
    /// Write-ahead for exits: when the commands close the position or finish
    /// the bot, the engine (which already counts the close as sent) is saved
    /// *before* anything is sent. A process that dies in between restarts
    /// with an engine that knows its closing order, so the closing fill is
    /// booked when it shows up, and the close is sent again under the same
    /// client id (never doubled) when it never reached the exchange.
    pub(super) async fn process(&mut self, mut cmds: Vec<Command>) -> Result<(), RunnerError> {
        if cmds
            .iter()
            .any(|c| matches!(c, Command::ClosePosition(_) | Command::Finish(_)))
        {
            self.save().await?;
        }
        for _ in 0..MAX_ROUNDS {
            if cmds.is_empty() {
                return Ok(());
            }
            let follow = self.execute(cmds).await?;
            cmds = follow;
            cmds.extend(self.sync_fills().await?);
        }
        if !cmds.is_empty() {
            tracing::warn!(bot = %self.bot.id, "engine kept issuing commands; the rest waits for the next event");
        }
        Ok(())
    }

    /// Marks the bot finished: cancels what rests, books the last fills,
    /// saves, and marks it stopped with its realised PnL.
    pub(super) async fn finish(&mut self, reason: StopReason) -> Result<(), RunnerError> {
        self.cancel_all_mine().await?;
        let _ignored_after_finish = self.sync_fills().await?;
        self.finished = true;
        self.save().await?;
        let now = self.ctx.clock.now_ms();
        self.save_stats(now).await?;
        self.record_equity(now).await?;
        let s = self.engine.stats();
        let message = format!(
            "stopped ({reason:?}): realised {:.2} USDT before fees, fees {:.2}, total PnL {:.2}",
            s.realized_pnl,
            s.fees,
            s.total_pnl()
        );
        self.set_status(BotStatus::Stopped, None).await?;
        self.audit("bot.stopped", message).await;
        Ok(())
    }

    pub(super) async fn set_status(&mut self, status: BotStatus, message: Option<String>) -> Result<(), RunnerError> {
        let now = self.ctx.clock.now_ms();
        self.ctx
            .store
            .set_bot_status(self.bot.id, status, message.clone(), now)
            .await?;
        self.bot.status = status;
        self.ctx.events.publish(BotEvent::StatusChanged {
            user_id: self.bot.user_id,
            bot_id: self.bot.id,
            status,
            message,
            ts: now,
        });
        Ok(())
    }

    async fn save_stats(&mut self, ts: TimestampMs) -> Result<(), RunnerError> {
        let stats = self.engine.stats();
        if stats == self.saved_stats {
            return Ok(());
        }
        self.ctx
            .store
            .update_bot_stats(self.bot.id, &stats, self.ctx.clock.now_ms())
            .await?;
        self.ctx.events.publish(BotEvent::StatsChanged {
            user_id: self.bot.user_id,
            bot_id: self.bot.id,
            stats: stats.clone(),
            ts,
        });
        self.saved_stats = stats;
        Ok(())
    }

    async fn record_equity(&mut self, ts: TimestampMs) -> Result<(), RunnerError> {
        if self
            .last_equity_ts
            .is_some_and(|last| ts - last < self.ctx.options.equity_interval_ms)
        {
            return Ok(());
        }
        let pnl = self.engine.stats().total_pnl();
        let point = EquitySnapshot {
            bot_id: self.bot.id,
            ts,
            equity: self.bot.allocation + pnl,
            pnl,
        };
        self.ctx.store.insert_equity_snapshots(&[point]).await?;
        self.last_equity_ts = Some(ts);
        Ok(())
    }

    pub(super) async fn audit(&mut self, kind: &str, message: String) {
        let ev = AuditEvent::new(
            Some(self.bot.user_id),
            Some(self.bot.id),
            kind,
            message,
            self.ctx.clock.now_ms(),
        );
        if let Err(e) = self.ctx.store.append_event(&ev).await {
            tracing::warn!(bot = %self.bot.id, error = %e, "audit event not recorded");
        }
    }

    /// True when `fill` belongs to this bot (see the module docs).
    pub(super) fn is_mine(&self, fill: &Fill) -> bool {
        fill.symbol == self.bot.symbol && fill.client_id.bot().is_none_or(|b| b == self.bot.id)
    }
}
