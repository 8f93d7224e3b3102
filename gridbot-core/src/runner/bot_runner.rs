//! One bot's runner: the crash-safe loop between an engine, the exchange and
//! the store. The task around it (`task.rs`) only feeds it events; tests and
//! simulations drive it directly, one event at a time.
//!
//! Every entry point is one *step*: book the fills the exchange reported,
//! feed the engine, carry out its commands (`exec.rs`), and commit what
//! changed in one fenced write (`books.rs`). The crash-safety design:
//! - **Nothing is sent before it is written.** The executor commits
//!   before every placement: the engine state (which already counts the
//!   order as sent), its fill cursor and the order's `intended` record, in
//!   one transaction. A process killed at any instant restarts with an
//!   engine that knows every order it may have sent, under the same
//!   deterministic client ids (the exchange answers a repeated id with the
//!   existing order).
//! - **Fills, engine and cursor move together.** Booked fills, the engine
//!   that booked them and the cursor after them are committed in one
//!   transaction, so a restart re-fetches exactly the fills not committed.
//! - **Fenced.** Every write carries the runner's lease; a runner that lost
//!   its lease stops at its next write, having sent nothing (see
//!   [`crate::ports::Lease`]).
//! - **(Re)start** ([`BotRunner::load`], [`BotRunner::resume`]): the engine
//!   is restored from its saved state (or built fresh, the cursor then set
//!   to the end of the account's fill history, so older fills are never
//!   booked to the bot); the fills after the cursor are booked; `Start`
//!   makes the engine re-issue any command whose effect it has not seen;
//!   then the bot is reconciled with the exchange (`reconcile.rs`). An
//!   engine that had finished (its stop was interrupted) completes the stop
//!   instead of trading.
//! - Candles at or before `last_candle_ts` are ignored, so a feed that
//!   re-delivers candles after a restart is harmless. `last_candle_ts`
//!   moves as soon as the engine is fed a candle, before the commands it
//!   gave are carried out: an engine saved in the middle of a candle (before
//!   an entry is sent) is saved with that candle marked seen, and is never
//!   fed it again. Candles missed while the process was down are not
//!   replayed.

use std::collections::HashMap;
use std::future::Future;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::books::{LiveOrders, RecentFills};
use super::{RunnerContext, RunnerError};
use crate::engine::{
    build_engine, build_warmed_engine, restore_engine, BotEngine, Command, EngineEvent, EnginePhase, StopReason,
};
use crate::error::{ExchangeError, ValidationError};
use crate::events::BotEvent;
use crate::model::{
    AuditEvent, Bot, BotKind, BotOrderStatus, BotStats, BotStatus, ClientOrderId, EquitySnapshot, ExecutionEvent,
    FillCursor, IdTag, Instrument, MarketEvent, OrderOwner, OrderRole, OrderStatus, TimestampMs,
};
use crate::ports::{BotWrites, Lease, MarketData};

/// Most rounds of "execute commands, book the fills they caused" per event.
const MAX_ROUNDS: usize = 16;
/// Quiet candles (no fill, no command) after which a grid bot's state is
/// saved anyway.
const QUIET_GRID_SAVE_EVERY: u32 = 30;

/// What the runner saves as the bot's engine state.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedState {
    engine: serde_json::Value,
    last_candle_ts: Option<TimestampMs>,
}

/// A bot's runner state (see the module docs).
pub struct BotRunner {
    pub(super) bot: Bot,
    pub(super) ctx: RunnerContext,
    pub(super) lease: Lease,
    pub(super) owner: OrderOwner,
    pub(super) engine: Box<dyn BotEngine>,
    pub(super) instrument: Instrument,
    pub(super) cursor: Option<FillCursor>,
    pub(super) last_candle_ts: Option<TimestampMs>,
    pub(super) recent: RecentFills,
    /// Orders believed intended or open, with what their fills booked.
    pub(super) live: LiveOrders,
    /// Why the exchange refused an order lately (for messages).
    pub(super) refusals: HashMap<ClientOrderId, String>,
    /// What the next commit writes.
    pub(super) pending: BotWrites,
    /// The engine changed since the last commit.
    pub(super) engine_dirty: bool,
    pub(super) saved_stats: BotStats,
    pub(super) last_equity_ts: Option<TimestampMs>,
    pub(super) finished: bool,
    pub(super) stop_reason: Option<StopReason>,
    /// Candles handled since the last save.
    pub(super) quiet_candles: u32,
    /// A reconciliation is wanted as soon as possible.
    pub(super) reconcile_due: bool,
    /// When the last reconciliation ran (runner clock).
    pub(super) last_reconcile: TimestampMs,
    /// A user's stop is under way: a fill the books refuse is left
    /// unbooked instead of failing the stop (see [`BotRunner::stop`]).
    pub(super) stopping: bool,
    /// Fills a stop left unbooked, described for the stop's message.
    pub(super) unbooked: Vec<String>,
}

impl BotRunner {
    /// Loads a bot for running under `lease`: instrument, engine (restored
    /// or fresh, under the store's installation tag), the fill cursor, and
    /// the recorded intended/open orders.
    pub async fn load(bot: Bot, ctx: RunnerContext, lease: Lease) -> Result<Self, RunnerError> {
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
        let restored = match saved {
            Some(s) => Some((
                restore_engine(&bot.kind, &s.engine)?,
                s.last_candle_ts,
                engine_tag(&s.engine)?,
            )),
            None => None,
        };
        // A finished, flat engine of a bot being started again ended a run:
        // the start begins a new one (a finished engine that still holds a
        // position completes its stop instead).
        let new_run = bot.status == BotStatus::Starting
            && restored
                .as_ref()
                .is_some_and(|(e, ..)| e.phase() == EnginePhase::Finished && e.stats().position_qty.is_zero());
        let recorded = ctx.store.orders_for_bot(bot.id, false).await?;
        let (engine, last_candle_ts, tag, fresh) = match restored {
            Some((engine, last, tag)) if !new_run => (engine, last, tag, false),
            _ => {
                if !new_run && !recorded.is_empty() {
                    // A bot with orders has traded: its fills since them are
                    // its own and must not be skipped as "history before the
                    // bot".
                    return Err(ValidationError::new(
                        "engine_state",
                        format!(
                            "bot {} has {} order records but no saved state; it cannot be resumed safely",
                            bot.id,
                            recorded.len()
                        ),
                    )
                    .into());
                }
                let tag = ctx.store.installation_tag().await?;
                let mut engine = build_engine(OrderOwner::new(tag, bot.id), &bot.kind, instrument.clone())?;
                // The new run's ids start above every id of the earlier runs.
                let floor = recorded
                    .iter()
                    .filter_map(|o| match o.client_id.parse()?.role {
                        OrderRole::Cell { generation, .. } | OrderRole::Action { generation, .. } => Some(generation),
                    })
                    .max()
                    .map_or(0, |g| g.saturating_add(1));
                engine.set_id_floor(floor);
                (engine, None, tag, true)
            }
        };
        let recorded: Vec<_> = recorded
            .into_iter()
            .filter(|o| matches!(o.status, BotOrderStatus::Intended | BotOrderStatus::Open))
            .collect();
        let mut runner = BotRunner {
            cursor: bot.fill_cursor.clone().map(FillCursor),
            saved_stats: bot.stats.clone(),
            owner: OrderOwner::new(tag, bot.id),
            bot,
            ctx,
            lease,
            engine,
            instrument,
            last_candle_ts,
            recent: RecentFills::default(),
            live: LiveOrders::default(),
            refusals: HashMap::new(),
            pending: BotWrites::default(),
            engine_dirty: false,
            last_equity_ts: None,
            finished: false,
            stop_reason: None,
            quiet_candles: 0,
            reconcile_due: true,
            stopping: false,
            unbooked: Vec::new(),
            last_reconcile: 0,
        };
        for rec in recorded {
            runner.live.insert(rec, Decimal::ZERO);
        }
        if fresh {
            if new_run {
                tracing::info!(bot = %runner.bot.id, "a stopped bot starts a new run");
                runner.cursor = None;
            }
            runner.skip_fill_history().await?;
            runner.commit().await?;
        }
        Ok(runner)
    }

    /// The bot as loaded (status as this runner last wrote it).
    pub fn bot(&self) -> &Bot {
        &self.bot
    }

    /// The contract's trading rules.
    pub fn instrument(&self) -> &Instrument {
        &self.instrument
    }

    /// The lease this runner writes under.
    pub fn lease(&self) -> &Lease {
        &self.lease
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

    /// True when a reconciliation is due: asked for (an order event, a
    /// failed cancel, a gap in the execution stream) or the interval since
    /// the last one has passed.
    pub fn reconcile_due(&self) -> bool {
        let every = i64::try_from(self.ctx.options.reconcile_every.as_millis()).unwrap_or(i64::MAX);
        self.reconcile_due || self.ctx.clock.now_ms().saturating_sub(self.last_reconcile) >= every
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
        self.engine = build_warmed_engine(self.owner, &self.bot.kind, self.instrument.clone(), &history)?;
        self.engine_dirty = true;
        Ok(())
    }

    /// Starts or resumes trading at `price`: books missed fills, lets the
    /// engine re-issue unfinished commands, reconciles with the exchange,
    /// and marks the bot running. A bot whose stop was interrupted (its
    /// engine finished, or its status says `stopping`) completes the stop
    /// instead.
    pub async fn resume(&mut self, price: Decimal, ts: TimestampMs) -> Result<(), RunnerError> {
        if self.bot.status == BotStatus::Stopping {
            return self.stop().await;
        }
        if self.engine.phase() == EnginePhase::Waiting {
            let (symbol, leverage) = (self.bot.symbol.clone(), self.bot.kind.leverage());
            let ex = self.ctx.exchange.clone();
            self.ctx
                .options
                .retry
                .run(&*self.ctx.clock, || ex.set_leverage(&symbol, leverage))
                .await?;
        }
        self.refresh_order_records().await?;
        let cmds = self.sync_fills().await?;
        self.process(cmds).await?;
        if self.engine.phase() == EnginePhase::Finished && !self.finished {
            // The engine finished before the process died: complete the stop.
            return self.finish(StopReason::User).await;
        }
        let cmds = self.feed(&EngineEvent::Start { price, ts });
        self.process(cmds).await?;
        if self.finished {
            return Ok(());
        }
        self.drop_unsent_intents();
        self.reconcile().await?;
        if self.finished {
            return Ok(());
        }
        if self.bot.status != BotStatus::Running {
            self.change_status(BotStatus::Running, None, &[BotStatus::Starting, BotStatus::Running]);
        }
        self.equity_point(ts, false);
        self.commit().await?;
        if self.bot.status == BotStatus::Stopping {
            // A stop was asked while the bot started: it stops now.
            return self.stop().await;
        }
        Ok(())
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
                    self.commit().await?;
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
                acted |= !cmds.is_empty() || self.engine.stats().fills != fills_before;
                // The engine has seen the candle: every save from here on
                // says so, the one made before an order is sent included,
                // so a runner restarted from it skips the candle instead of
                // feeding it again (a second copy would move the EMAs twice).
                self.last_candle_ts = Some(candle.ts);
                self.process(cmds).await?;
                // What acted during this candle may have been committed
                // before the candle moved the engine's price: save the
                // engine as the candle left it.
                if acted {
                    self.engine_dirty = true;
                }
                self.quiet_candles = self.quiet_candles.saturating_add(1);
                // A grid engine's state changes only through its start, fills
                // and the commands it issues; a quiet candle changes nothing
                // but the last price, so its save can wait. Trend engines
                // move their EMAs on every candle: always saved.
                let grid = matches!(self.bot.kind, BotKind::Grid(_));
                if !grid || self.quiet_candles >= QUIET_GRID_SAVE_EVERY {
                    self.engine_dirty = true;
                }
                self.equity_point(candle.ts, false);
                if !self.finished {
                    self.commit().await?;
                }
            }
        }
        Ok(())
    }

    /// Handles one execution event of the account: a fill of the bot books
    /// the new fills; an order of the bot ending in a way the bot did not
    /// ask for (cancelled or rejected outside it), or a gap in the stream,
    /// asks for a reconciliation (which the task runs at once).
    pub async fn on_execution(&mut self, event: &ExecutionEvent) -> Result<(), RunnerError> {
        if self.finished {
            return Ok(());
        }
        match event {
            ExecutionEvent::Fill(f) if self.is_mine(f) => self.on_fills_reported().await,
            ExecutionEvent::Order(o) if self.owns(&o.client_id) => {
                let expected_open = self
                    .live
                    .get(&o.client_id)
                    .is_some_and(|l| l.record.status == BotOrderStatus::Open);
                if expected_open && matches!(o.status, OrderStatus::Canceled | OrderStatus::Rejected) {
                    self.reconcile_due = true;
                }
                Ok(())
            }
            ExecutionEvent::Gap => {
                self.reconcile_due = true;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Fetches and books the bot's new fills and acts on them (called when
    /// the account reports a fill).
    pub async fn on_fills_reported(&mut self) -> Result<(), RunnerError> {
        if self.finished {
            return Ok(());
        }
        let cmds = self.sync_fills().await?;
        self.process(cmds).await?;
        if !self.finished {
            self.commit().await?;
        }
        Ok(())
    }

    /// Stops the bot: the engine's stop commands (cancel its orders, close
    /// its position), then `BotRunner::finish`: the bot is `stopped` only
    /// once the exchange shows no open order of it and its position closed.
    ///
    /// A fill the books refuse (one of none of the bot's orders, a manual
    /// trade on its symbol say, or one beyond its order) put the bot in
    /// `error` while it ran; it must not also keep the bot from being
    /// stopped, or its orders would go on resting and trading. So during a
    /// stop such a fill is left unbooked (it is not the bot's, or not all
    /// of it is): the stop cancels the bot's orders and closes the position
    /// its books hold (a reduce-only order of that quantity), and the
    /// `stopped` message names every fill left, whose trades stay on the
    /// exchange for the user (the dashboard's exchange view shows them).
    pub async fn stop(&mut self) -> Result<(), RunnerError> {
        if self.finished {
            return Ok(());
        }
        self.stopping = true;
        let cmds = self.sync_fills().await?;
        self.process(cmds).await?;
        if self.finished {
            return Ok(());
        }
        if self.engine.phase() == EnginePhase::Finished {
            return self.finish(StopReason::User).await;
        }
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
    /// marked paused. Resuming is a start: see each engine's docs for what
    /// it does then.
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
        self.process(cmds).await?;
        self.cancel_all_mine().await?;
        // A paused engine asks for nothing; a late fill is booked.
        let cmds = self.sync_fills().await?;
        self.process(cmds).await?;
        self.change_status(
            BotStatus::Paused,
            Some(reason.to_owned()),
            &[BotStatus::Starting, BotStatus::Running],
        );
        self.commit().await?;
        let position = if close_position { "closed" } else { "kept" };
        self.audit("bot.paused", format!("{reason}; position {position}")).await;
        Ok(())
    }

    /// Saves the engine state and fill cursor now (shutdown).
    pub async fn save(&mut self) -> Result<(), RunnerError> {
        self.engine_dirty = true;
        self.commit().await
    }

    /// Marks the bot `error` with `e`'s message (a fenced write; nothing is
    /// written when the lease is lost) and records it.
    pub async fn fail(&mut self, e: &RunnerError) {
        let message = e.to_string();
        tracing::warn!(bot = %self.bot.id, error = %message, "bot runner failed");
        if e.is_lease_lost() {
            return;
        }
        // What was pending may be what failed: write only the status.
        self.pending = BotWrites::default();
        self.engine_dirty = false;
        self.change_status(BotStatus::Error, Some(message.clone()), &BotStatus::HOLDING);
        if let Err(se) = self.commit().await {
            tracing::error!(bot = %self.bot.id, error = %se, "could not record the bot's error");
        }
        self.audit("bot.error", message).await;
    }

    pub(super) fn feed(&mut self, event: &EngineEvent) -> Vec<Command> {
        let mut out = Vec::new();
        self.engine.on_event(event, &mut out);
        if !out.is_empty() {
            self.engine_dirty = true;
        }
        out
    }

    /// Carries out commands and books the fills they cause, until quiet.
    ///
    /// Write-ahead for exits: when the commands close the position or
    /// finish the bot, the engine (which already counts itself as stopping)
    /// is committed before anything — its cancels included — is sent, so a
    /// process that dies half-way restarts with an engine that completes
    /// the stop instead of trading on.
    pub(super) async fn process(&mut self, mut cmds: Vec<Command>) -> Result<(), RunnerError> {
        if cmds
            .iter()
            .any(|c| matches!(c, Command::ClosePosition(_) | Command::Finish(_)))
        {
            self.engine_dirty = true;
            self.commit().await?;
        }
        for _ in 0..MAX_ROUNDS {
            if cmds.is_empty() || self.finished {
                return Ok(());
            }
            let follow = self.execute(cmds).await?;
            cmds = follow;
            if self.finished {
                return Ok(());
            }
            cmds.extend(self.sync_fills().await?);
        }
        if !cmds.is_empty() {
            tracing::warn!(bot = %self.bot.id, "engine kept issuing commands; the rest waits for the next event");
        }
        Ok(())
    }

    /// Runs an exchange call with the runner's retry policy (the one retry
    /// layer: see `retry.rs`).
    pub(super) fn retry<T, F, Fut>(&self, op: F) -> impl Future<Output = Result<T, RunnerError>> + Send + 'static
    where
        T: Send + 'static,
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, ExchangeError>> + Send + 'static,
    {
        let (policy, clock) = (self.ctx.options.retry, self.ctx.clock.clone());
        async move { Ok(policy.run(&*clock, op).await?) }
    }

    /// The state saved with the fill cursor.
    pub(super) fn saved_state(&self) -> serde_json::Value {
        // Built by hand (the shape of `SavedState`) so the engine snapshot is
        // moved, not copied.
        let mut map = serde_json::Map::with_capacity(2);
        map.insert("engine".to_owned(), self.engine.snapshot());
        map.insert("last_candle_ts".to_owned(), self.last_candle_ts.into());
        serde_json::Value::Object(map)
    }

    /// Adds a point to the equity curve (at most one per
    /// [`super::RunnerOptions::equity_interval_ms`] unless `force`).
    pub(super) fn equity_point(&mut self, ts: TimestampMs, force: bool) {
        if !force
            && self
                .last_equity_ts
                .is_some_and(|last| ts - last < self.ctx.options.equity_interval_ms)
        {
            return;
        }
        let pnl = self.engine.stats().total_pnl();
        self.pending.equity.push(EquitySnapshot {
            bot_id: self.bot.id,
            ts,
            equity: self.bot.allocation + pnl,
            pnl,
        });
        self.last_equity_ts = Some(ts);
    }

    pub(super) fn publish_status(&self, status: BotStatus, message: Option<String>) {
        self.ctx.events.publish(BotEvent::StatusChanged {
            user_id: self.bot.user_id,
            bot_id: self.bot.id,
            status,
            message,
            ts: self.ctx.clock.now_ms(),
        });
    }

    pub(super) fn publish_stats(&self, stats: BotStats) {
        self.ctx.events.publish(BotEvent::StatsChanged {
            user_id: self.bot.user_id,
            bot_id: self.bot.id,
            stats,
            ts: self.ctx.clock.now_ms(),
        });
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
}

/// The installation tag a saved engine makes its ids under.
fn engine_tag(snapshot: &serde_json::Value) -> Result<IdTag, ValidationError> {
    match snapshot.get("tag").and_then(|t| t.as_str()) {
        Some(t) => IdTag::new(t),
        None => Ok(IdTag::NONE),
    }
}
