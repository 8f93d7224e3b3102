//! The supervisor: one task per bot, resumption at process start, safe
//! stops, graceful shutdown, and the daily-loss watch that pauses a user's
//! bots.
//!
//! - **One lifecycle action per bot at a time.** A launch, a stop and a
//!   pause of one bot take the bot's lifecycle lock, so a stop that arrives
//!   while a start is in progress waits for the start (then stops the
//!   runner it made), and concurrent stops wait for the first and find the
//!   bot stopped. Different bots never wait for each other.
//! - [`Supervisor::resume_all`]: bots caught `stopping` (a stop interrupted
//!   by a crash) are stopped first — they never trade again; every bot that
//!   was `starting` or `running` resumes. `paused` and `error` bots wait for
//!   the user.
//! - [`Supervisor::shutdown`]: every runner saves its state and exits; the
//!   bots stay `running` in the store and resume on the next start.
//! - [`Supervisor::spawn_risk_watch`]: on each stats change, at most once a
//!   minute per user, today's PnL is computed ([`crate::risk`]); when the
//!   loss reaches the user's limit every running bot of the user is paused
//!   (orders cancelled, positions closed if the user chose so) and a
//!   `risk.daily_loss` alert is recorded.
//! - Leases: every runner holds its bot's lease in the store, and every
//!   write it makes is fenced by it (rules in `lease.rs`). A bot whose lease
//!   another process holds is neither run nor paused here; a stop asked here
//!   reaches it through its `stopping` status at the holder's next lease
//!   round.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::bot_runner::BotRunner;
use super::lease::LeaseOptions;
use super::task::{run_bot, Control, Exit};
use super::{BotLauncher, BotLocks, RunnerContext, RunnerError, RunnerOptions};
use crate::clock::Clock;
use crate::events::{BotEvent, EventBus, EventsError};
use crate::model::{AuditEvent, Bot, BotId, BotStatus, TimestampMs, UserId};
use crate::ports::{BotWrites, ExchangeProvider, Lease, MarketData, StatusChange, Store};
use crate::risk;

/// Minimum time between two daily-loss evaluations of one user, ms.
const RISK_EVERY_MS: i64 = 60_000;

pub(super) struct Handle {
    pub control: mpsc::Sender<Control>,
    pub join: JoinHandle<Exit>,
    pub lease: Lease,
    /// Last successful lease renewal.
    pub renewed_at: TimestampMs,
}

/// Runs bots (see the module docs). Implements [`BotLauncher`] for the manager.
pub struct Supervisor {
    pub(super) store: Arc<dyn Store>,
    exchanges: Arc<dyn ExchangeProvider>,
    market: Arc<dyn MarketData>,
    pub(super) clock: Arc<dyn Clock>,
    events: EventBus,
    options: RunnerOptions,
    pub(super) tasks: Mutex<HashMap<BotId, Handle>>,
    /// Per-bot lifecycle locks (see the module docs).
    lifecycle: BotLocks,
    pub(super) lease: LeaseOptions,
    /// One lease round at a time.
    pub(super) lease_round: tokio::sync::Mutex<()>,
    /// Bots a lease round is already working on (a stop or a take-over it
    /// started and that has not ended).
    pub(super) in_hand: Mutex<HashSet<BotId>>,
    /// Itself, for the tasks it spawns.
    pub(super) me: std::sync::Weak<Supervisor>,
    /// The lease keeper, once started.
    pub(super) keeper: Mutex<Option<JoinHandle<()>>>,
}

impl Supervisor {
    /// A supervisor with no bots running yet, holding leases under a name
    /// unique to this process ([`LeaseOptions::default`]).
    pub fn new(
        store: Arc<dyn Store>,
        exchanges: Arc<dyn ExchangeProvider>,
        market: Arc<dyn MarketData>,
        clock: Arc<dyn Clock>,
        events: EventBus,
        options: RunnerOptions,
    ) -> Arc<Self> {
        Self::with_leases(
            store,
            exchanges,
            market,
            clock,
            events,
            options,
            LeaseOptions::default(),
        )
    }

    /// A supervisor holding its bots' leases as `lease` says.
    pub fn with_leases(
        store: Arc<dyn Store>,
        exchanges: Arc<dyn ExchangeProvider>,
        market: Arc<dyn MarketData>,
        clock: Arc<dyn Clock>,
        events: EventBus,
        options: RunnerOptions,
        lease: LeaseOptions,
    ) -> Arc<Self> {
        Arc::new_cyclic(|me| Supervisor {
            store,
            exchanges,
            market,
            clock,
            events,
            options,
            tasks: Mutex::new(HashMap::new()),
            lifecycle: BotLocks::new(),
            lease,
            lease_round: tokio::sync::Mutex::new(()),
            in_hand: Mutex::new(HashSet::new()),
            me: me.clone(),
            keeper: Mutex::new(None),
        })
    }

    /// This process's name in the lease table.
    pub fn lease_owner(&self) -> &str {
        &self.lease.owner
    }

    async fn context(&self, user: UserId) -> Result<RunnerContext, RunnerError> {
        Ok(RunnerContext {
            store: self.store.clone(),
            exchange: self.exchanges.exchange_for(user).await?,
            clock: self.clock.clone(),
            events: self.events.clone(),
            options: self.options.clone(),
        })
    }

    /// Resumes every bot that was running, after finishing interrupted
    /// stops. Returns how many runners were started.
    pub async fn resume_all(&self) -> Result<usize, RunnerError> {
        // Lease rounds from process start on: a process with no bot of its
        // own still takes over a dead one's.
        self.start_keeper();
        let stopping = self.store.bots_with_status(&[BotStatus::Stopping]).await?;
        for bot in stopping {
            self.spawn_stop(bot);
        }
        let bots = self
            .store
            .bots_with_status(&[BotStatus::Starting, BotStatus::Running])
            .await?;
        let mut started = 0;
        for bot in bots {
            match self.launch(bot.clone()).await {
                Ok(()) => started += usize::from(self.is_running(bot.id)),
                Err(e) => tracing::warn!(bot = %bot.id, error = %e, "bot not resumed"),
            }
        }
        Ok(started)
    }

    /// Asks every runner to save and exit, waits for them, and releases
    /// their leases (the bots stay `running` for the next process).
    pub async fn shutdown(&self) {
        if let Some(k) = self.keeper.lock().ok().and_then(|mut k| k.take()) {
            k.abort();
        }
        let handles: Vec<(BotId, Handle)> = match self.tasks.lock() {
            Ok(mut t) => t.drain().collect(),
            Err(_) => Vec::new(),
        };
        for (_, h) in &handles {
            let _ = h.control.send(Control::Shutdown).await;
        }
        for (_, h) in handles {
            let exit = h.join.await.unwrap_or(Exit::Suspended);
            if exit != Exit::Fenced {
                self.release(&h.lease).await;
            }
        }
    }

    /// Bots with a live runner here, with the lease each runs under.
    pub(super) fn local_runners(&self) -> Vec<(BotId, Lease)> {
        match self.tasks.lock() {
            Ok(t) => t
                .iter()
                .filter(|(_, h)| !h.join.is_finished())
                .map(|(id, h)| (*id, h.lease.clone()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Forgets runners that ended by themselves, releasing the leases of
    /// those whose bot is done (stopped, paused, error).
    pub(super) async fn reap_finished(&self) {
        let ended: Vec<Handle> = match self.tasks.lock() {
            Ok(mut t) => {
                let ids: Vec<BotId> = t
                    .iter()
                    .filter(|(_, h)| h.join.is_finished())
                    .map(|(id, _)| *id)
                    .collect();
                ids.into_iter().filter_map(|id| t.remove(&id)).collect()
            }
            Err(_) => Vec::new(),
        };
        for h in ended {
            if h.join.await.unwrap_or(Exit::Suspended) == Exit::Done {
                self.release(&h.lease).await;
            }
        }
    }

    pub(super) fn mark_renewed(&self, id: BotId, now: TimestampMs) {
        if let Ok(mut t) = self.tasks.lock() {
            if let Some(h) = t.get_mut(&id) {
                h.renewed_at = now;
            }
        }
    }

    pub(super) fn renewed_at(&self, id: BotId) -> Option<TimestampMs> {
        self.tasks.lock().ok()?.get(&id).map(|h| h.renewed_at)
    }

    /// Saves and ends a local runner without touching its status or lease.
    pub(super) async fn shut_down_runner(&self, id: BotId) {
        let handle = self.tasks.lock().ok().and_then(|mut t| t.remove(&id));
        if let Some(h) = handle {
            let _ = h.control.send(Control::Shutdown).await;
            let _ = h.join.await;
        }
    }

    /// Pauses every running bot of `user` (risk rule).
    pub async fn pause_user(&self, user: UserId, reason: &str, close_positions: bool) -> Result<usize, RunnerError> {
        let bots = self.store.bots_for_user(user, None).await?;
        let mut paused = 0;
        for bot in bots
            .into_iter()
            .filter(|b| matches!(b.status, BotStatus::Starting | BotStatus::Running))
        {
            let _held = self.lifecycle.lock(bot.id).await;
            let (done, rx) = oneshot::channel();
            let ctl = Control::Pause {
                close_position: close_positions,
                reason: reason.to_owned(),
                done,
            };
            let sent = match self.live_control(bot.id) {
                Some(tx) => tx.send(ctl).await.is_ok(),
                None => false,
            };
            let result = if sent {
                let r = rx.await.unwrap_or(Ok(()));
                self.join(bot.id).await;
                r
            } else if let Some(lease) = self.take_lease(bot.id).await? {
                let ctx = self.context(user).await?;
                let latest = self.store.bot(bot.id).await?.unwrap_or(bot.clone());
                let mut r = BotRunner::load(latest, ctx, lease.clone()).await?;
                let res = r.pause(close_positions, reason).await;
                if let Err(e) = &res {
                    r.fail(e).await;
                }
                self.release(&lease).await;
                res
            } else {
                tracing::info!(bot = %bot.id, "bot run by another process; it pauses there");
                continue;
            };
            result?;
            paused += 1;
        }
        Ok(paused)
    }

    /// Watches stats changes and pauses users whose daily loss limit is reached.
    pub fn spawn_risk_watch(self: &Arc<Self>) -> JoinHandle<()> {
        let me = self.clone();
        let mut rx = self.events.subscribe();
        tokio::spawn(async move {
            let mut last: HashMap<UserId, TimestampMs> = HashMap::new();
            loop {
                let user = match rx.recv().await {
                    Ok(BotEvent::StatsChanged { user_id, .. }) => user_id,
                    Ok(_) => continue,
                    Err(EventsError::Lagged(_)) => continue,
                    Err(EventsError::Closed) => return,
                };
                let now = me.clock.now_ms();
                if last.get(&user).is_some_and(|t| now - t < RISK_EVERY_MS) {
                    continue;
                }
                last.insert(user, now);
                if let Err(e) = me.check_daily_loss(user).await {
                    tracing::warn!(user = %user, error = %e, "daily loss check failed");
                }
            }
        })
    }

    /// Pauses the user's bots when today's loss reached the limit; returns
    /// true when it did.
    pub async fn check_daily_loss(&self, user: UserId) -> Result<bool, RunnerError> {
        let settings = self.store.risk_settings(user).await?;
        if settings.daily_loss_limit.is_none() {
            return Ok(false);
        }
        let now = self.clock.now_ms();
        let today = risk::daily_pnl_from_store(&*self.store, user, now).await?;
        let Err(violation) = risk::check_daily_loss(&settings, today) else {
            return Ok(false);
        };
        let reason = violation.to_string();
        let n = self
            .pause_user(user, &reason, settings.close_positions_on_pause)
            .await?;
        if n > 0 {
            let ev = AuditEvent::new(
                Some(user),
                None,
                "risk.daily_loss",
                format!("{reason}; {n} bots paused"),
                now,
            );
            if let Err(e) = self.store.append_event(&ev).await {
                tracing::warn!(user = %user, error = %e, "risk alert not recorded");
            }
        }
        Ok(n > 0)
    }

    /// Spawns the runner of a bot this process holds the lease of. The
    /// caller holds the bot's lifecycle lock.
    async fn spawn_runner(&self, bot: Bot, lease: Lease) -> Result<(), RunnerError> {
        self.start_keeper();
        let ctx = match self.context(bot.user_id).await {
            Ok(c) => c,
            Err(e) => {
                self.release(&lease).await;
                return Err(e);
            }
        };
        let (tx, rx) = mpsc::channel(4);
        let id = bot.id;
        let join = tokio::spawn(run_bot(bot, ctx, lease.clone(), self.market.clone(), rx));
        let renewed_at = self.clock.now_ms();
        if let Ok(mut t) = self.tasks.lock() {
            t.insert(
                id,
                Handle {
                    control: tx,
                    join,
                    lease,
                    renewed_at,
                },
            );
        }
        Ok(())
    }

    /// Starts the lease keeper with the first runner, unless the options
    /// leave the rounds to the caller.
    pub(super) fn start_keeper(&self) {
        if !self.lease.renew_automatically {
            return;
        }
        let Ok(mut keeper) = self.keeper.lock() else { return };
        if keeper.is_none() {
            *keeper = Some(super::lease::spawn_keeper(
                self.me.clone(),
                self.clock.clone(),
                self.lease.ttl_ms,
            ));
        }
    }

    fn live_control(&self, id: BotId) -> Option<mpsc::Sender<Control>> {
        let tasks = self.tasks.lock().ok()?;
        tasks
            .get(&id)
            .filter(|h| !h.join.is_finished())
            .map(|h| h.control.clone())
    }

    /// Waits for a bot's runner task to end and forgets it; its lease is
    /// released when the bot is done.
    async fn join(&self, id: BotId) {
        let handle = self.tasks.lock().ok().and_then(|mut t| t.remove(&id));
        if let Some(h) = handle {
            if h.join.await.unwrap_or(Exit::Suspended) == Exit::Done {
                self.release(&h.lease).await;
            }
        }
    }

    /// Stops a bot on a task of its own (a lease round, a restart).
    pub(super) fn spawn_stop(&self, bot: Bot) {
        let Some(me) = self.me.upgrade() else { return };
        if !self.in_hand.lock().is_ok_and(|mut h| h.insert(bot.id)) {
            return;
        }
        tokio::spawn(async move {
            let id = bot.id;
            if let Err(e) = me.stop(bot).await {
                tracing::warn!(bot = %id, error = %e, "stop not finished; tried again later");
            }
            if let Ok(mut h) = me.in_hand.lock() {
                h.remove(&id);
            }
        });
    }

    /// [`BotLauncher::stop`]'s work, under the bot's lifecycle lock.
    async fn stop_locked(&self, bot: Bot) -> Result<(), RunnerError> {
        let Some(latest) = self.store.bot(bot.id).await? else {
            return Ok(());
        };
        if !latest.status.holds_allocation() {
            // Already stopped (a stop that ran while this one waited).
            return Ok(());
        }
        if latest.status != BotStatus::Stopping {
            self.store
                .set_bot_status(bot.id, BotStatus::Stopping, None, self.clock.now_ms())
                .await?;
            self.events.publish(BotEvent::StatusChanged {
                user_id: bot.user_id,
                bot_id: bot.id,
                status: BotStatus::Stopping,
                message: None,
                ts: self.clock.now_ms(),
            });
        }
        if let Some(tx) = self.live_control(bot.id) {
            let (reply, rx) = oneshot::channel();
            if tx.send(Control::Stop(reply)).await.is_ok() {
                // No answer: the runner ended first (it failed while
                // starting); the stop is done below instead.
                if let Ok(result) = rx.await {
                    self.join(bot.id).await;
                    return self.stop_result(result);
                }
            }
        }
        // No live runner here: the task ended (or never ran here).
        self.join(bot.id).await;
        let Some(lease) = self.take_lease(bot.id).await? else {
            tracing::info!(bot = %bot.id, "bot run by another process; it stops at that process's next lease round");
            return Ok(());
        };
        let ctx = self.context(bot.user_id).await?;
        // Read again: the runner that just ended may have saved since.
        let Some(mut fresh) = self.store.bot(bot.id).await? else {
            return Ok(());
        };
        if !fresh.status.holds_allocation() {
            self.release(&lease).await;
            return Ok(());
        }
        fresh.status = BotStatus::Stopping;
        let mut runner = match BotRunner::load(fresh, ctx.clone(), lease.clone()).await {
            Ok(r) => r,
            Err(e) => {
                if !e.is_transient() && !e.is_lease_lost() {
                    record_error(&ctx, &lease, &bot, &e.to_string()).await;
                    self.release(&lease).await;
                }
                return Err(e);
            }
        };
        let result = runner.stop().await;
        match &result {
            Ok(()) => self.release(&lease).await,
            Err(e) if e.is_lease_lost() => {}
            Err(e) if e.is_transient() => {
                let _ = runner.save().await;
            }
            Err(e) => {
                runner.fail(e).await;
                self.release(&lease).await;
            }
        }
        self.stop_result(result)
    }

    /// A transient failure leaves the bot `stopping` (tried again by the
    /// lease rounds): not an error for the caller.
    fn stop_result(&self, result: Result<(), RunnerError>) -> Result<(), RunnerError> {
        match result {
            Err(e) if e.is_transient() => {
                tracing::warn!(error = %e, "stop left for the next lease round");
                Ok(())
            }
            other => other,
        }
    }
}

/// Puts a bot in `error` with `message` through a fenced write (nothing
/// is written when the lease is lost), and records it.
pub(super) async fn record_error(ctx: &RunnerContext, lease: &Lease, bot: &Bot, message: &str) {
    let now = ctx.clock.now_ms();
    let writes = BotWrites {
        status: Some(StatusChange {
            to: BotStatus::Error,
            message: Some(message.to_owned()),
            from: BotStatus::HOLDING.to_vec(),
        }),
        ..BotWrites::default()
    };
    match ctx.store.write_bot(lease, &writes, now).await {
        Ok(_) => {
            ctx.events.publish(BotEvent::StatusChanged {
                user_id: bot.user_id,
                bot_id: bot.id,
                status: BotStatus::Error,
                message: Some(message.to_owned()),
                ts: now,
            });
            let ev = AuditEvent::new(Some(bot.user_id), Some(bot.id), "bot.error", message.to_owned(), now);
            let _ = ctx.store.append_event(&ev).await;
        }
        Err(e) => tracing::error!(bot = %bot.id, error = %e, "could not record the bot's error"),
    }
}

#[async_trait]
impl BotLauncher for Supervisor {
    async fn launch(&self, bot: Bot) -> Result<(), RunnerError> {
        let _held = self.lifecycle.lock(bot.id).await;
        if self.live_control(bot.id).is_some() {
            return Ok(());
        }
        // Forget a runner that ended (its lease was released if done).
        self.join(bot.id).await;
        let Some(lease) = self.take_lease(bot.id).await? else {
            tracing::info!(bot = %bot.id, "bot run by another process (it holds the lease)");
            return Ok(());
        };
        // The bot may have changed while this launch waited.
        let latest = self.store.bot(bot.id).await?.unwrap_or(bot);
        if !matches!(
            latest.status,
            BotStatus::Starting | BotStatus::Running | BotStatus::Stopping
        ) {
            self.release(&lease).await;
            return Ok(());
        }
        self.spawn_runner(latest, lease).await
    }

    async fn stop(&self, bot: Bot) -> Result<(), RunnerError> {
        let _held = self.lifecycle.lock(bot.id).await;
        self.stop_locked(bot).await
    }

    fn is_running(&self, bot: BotId) -> bool {
        self.live_control(bot).is_some()
    }

    async fn reload(&self, bot: Bot) -> Result<(), RunnerError> {
        {
            let _held = self.lifecycle.lock(bot.id).await;
            if self.live_control(bot.id).is_none() {
                return Ok(());
            }
            // Saved and ended, lease and status kept; then launched from
            // the store, so the runner restores its engine with the stored
            // settings.
            self.shut_down_runner(bot.id).await;
        }
        let fresh = self.store.bot(bot.id).await?.unwrap_or(bot);
        self.launch(fresh).await
    }
}
