//! The supervisor: one task per bot, resumption at process start, graceful
//! shutdown, and the daily-loss watch that pauses a user's bots.
//!
//! - [`Supervisor::resume_all`]: every bot that was `starting` or `running`
//!   resumes; bots caught `stopping` finish their stop. `paused` and `error`
//!   bots wait for the user.
//! - [`Supervisor::shutdown`]: every runner saves its state and exits; the
//!   bots stay `running` in the store and resume on the next start.
//! - [`Supervisor::spawn_risk_watch`]: on each stats change, at most once a
//!   minute per user, today's PnL is computed ([`crate::risk`]); when the
//!   loss reaches the user's limit every running bot of the user is paused
//!   (orders cancelled, positions closed if the user chose so) and a
//!   `risk.daily_loss` alert is recorded.
//! - Leases: every runner holds its bot's lease in the store, so several
//!   processes can share one store (rules in [`LeaseOptions`]'s module,
//!   [`Supervisor::maintain_leases`]). A bot whose lease another process
//!   holds is neither run nor paused here; a stop asked here reaches it
//!   through its `stopping` status at the holder's next lease round.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::bot_runner::{BotRunner, RunnerContext, RunnerError, RunnerOptions};
use super::lease::LeaseOptions;
use super::task::{fail, run_bot, Control};
use crate::clock::Clock;
use crate::manager::{BotEvent, BotLauncher, EventBus, ExchangeProvider, ManagerError};
use crate::model::{AuditEvent, Bot, BotId, BotStatus, TimestampMs, UserId};
use crate::ports::{MarketData, Store};
use crate::risk;

/// Minimum time between two daily-loss evaluations of one user, ms.
const RISK_EVERY_MS: i64 = 60_000;

struct Handle {
    control: mpsc::Sender<Control>,
    join: JoinHandle<()>,
    /// Last successful lease renewal.
    renewed_at: TimestampMs,
}

/// Runs bots (see the module docs). Implements [`BotLauncher`] for the manager.
pub struct Supervisor {
    pub(super) store: Arc<dyn Store>,
    exchanges: Arc<dyn ExchangeProvider>,
    market: Arc<dyn MarketData>,
    pub(super) clock: Arc<dyn Clock>,
    events: EventBus,
    options: RunnerOptions,
    tasks: Mutex<HashMap<BotId, Handle>>,
    /// Bots whose runner is being launched (a second launch waits out).
    launching: Mutex<HashSet<BotId>>,
    /// Bots being stopped here (a lease round leaves them alone).
    pub(super) stopping: Mutex<HashSet<BotId>>,
    pub(super) lease: LeaseOptions,
    /// One lease round at a time.
    pub(super) lease_round: tokio::sync::Mutex<()>,
    /// Itself, for the lease keeper started with the first runner.
    me: std::sync::Weak<Supervisor>,
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
            launching: Mutex::new(HashSet::new()),
            stopping: Mutex::new(HashSet::new()),
            lease,
            lease_round: tokio::sync::Mutex::new(()),
            me: me.clone(),
            keeper: Mutex::new(None),
        })
    }

    /// This process's name in the lease table.
    pub fn lease_owner(&self) -> &str {
        &self.lease.owner
    }

    async fn context(&self, user: UserId) -> Result<RunnerContext, ManagerError> {
        Ok(RunnerContext {
            store: self.store.clone(),
            exchange: self.exchanges.exchange_for(user).await?,
            clock: self.clock.clone(),
            events: self.events.clone(),
            options: self.options.clone(),
        })
    }

    /// Resumes every bot that was running; finishes interrupted stops.
    /// Returns how many runners were started.
    pub async fn resume_all(&self) -> Result<usize, ManagerError> {
        // Lease rounds from process start on: a process with no bot of its
        // own still takes over a dead one's.
        self.start_keeper();
        let bots = self
            .store
            .bots_with_status(&[BotStatus::Starting, BotStatus::Running, BotStatus::Stopping])
            .await?;
        let mut started = 0;
        for bot in bots {
            let result = if bot.status == BotStatus::Stopping {
                self.stop(bot.clone()).await
            } else {
                started += 1;
                self.launch(bot.clone()).await
            };
            if let Err(e) = result {
                tracing::warn!(bot = %bot.id, error = %e, "bot not resumed");
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
        for (id, h) in handles {
            let _ = h.join.await;
            self.release_lease(id).await;
        }
    }

    /// Bots with a live runner here.
    pub(super) fn local_bots(&self) -> Vec<BotId> {
        match self.tasks.lock() {
            Ok(t) => t
                .iter()
                .filter(|(_, h)| !h.join.is_finished())
                .map(|(id, _)| *id)
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Forgets runners that ended by themselves; returns their bots.
    pub(super) async fn reap_finished(&self) -> Vec<BotId> {
        let ended: Vec<(BotId, Handle)> = match self.tasks.lock() {
            Ok(mut t) => {
                let ids: Vec<BotId> = t
                    .iter()
                    .filter(|(_, h)| h.join.is_finished())
                    .map(|(id, _)| *id)
                    .collect();
                ids.into_iter()
                    .filter_map(|id| t.remove(&id).map(|h| (id, h)))
                    .collect()
            }
            Err(_) => Vec::new(),
        };
        let mut ids = Vec::with_capacity(ended.len());
        for (id, h) in ended {
            let _ = h.join.await;
            ids.push(id);
        }
        ids
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
    pub async fn pause_user(&self, user: UserId, reason: &str, close_positions: bool) -> Result<usize, ManagerError> {
        let bots = self.store.bots_for_user(user, None).await?;
        let mut paused = 0;
        for bot in bots
            .into_iter()
            .filter(|b| matches!(b.status, BotStatus::Starting | BotStatus::Running))
        {
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
                rx.await.unwrap_or(Ok(()))
            } else if self.take_lease(bot.id).await? {
                let ctx = self.context(user).await?;
                let mut r = BotRunner::load(bot.clone(), ctx).await.map_err(runner_err)?;
                r.pause(close_positions, reason).await
            } else {
                tracing::info!(bot = %bot.id, "bot run by another process; it pauses there");
                continue;
            };
            self.join(bot.id).await;
            self.release_lease(bot.id).await;
            result.map_err(runner_err)?;
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
                    Err(crate::manager::EventsError::Lagged(_)) => continue,
                    Err(crate::manager::EventsError::Closed) => return,
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
    pub async fn check_daily_loss(&self, user: UserId) -> Result<bool, ManagerError> {
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

    /// Takes the lease and spawns the runner task.
    async fn spawn_runner(&self, bot: Bot) -> Result<(), ManagerError> {
        if !self.take_lease(bot.id).await? {
            tracing::info!(bot = %bot.id, "bot run by another process (it holds the lease)");
            return Ok(());
        }
        self.start_keeper();
        let ctx = self.context(bot.user_id).await?;
        let (tx, rx) = mpsc::channel(4);
        let id = bot.id;
        let join = tokio::spawn(run_bot(bot, ctx, self.market.clone(), rx));
        let renewed_at = self.clock.now_ms();
        if let Ok(mut t) = self.tasks.lock() {
            t.insert(
                id,
                Handle {
                    control: tx,
                    join,
                    renewed_at,
                },
            );
        }
        Ok(())
    }

    /// Starts the lease keeper with the first runner, unless the options
    /// leave the rounds to the caller.
    fn start_keeper(&self) {
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

    async fn join(&self, id: BotId) {
        let handle = self.tasks.lock().ok().and_then(|mut t| t.remove(&id));
        if let Some(h) = handle {
            let _ = h.join.await;
        }
    }
}

impl From<RunnerError> for ManagerError {
    fn from(e: RunnerError) -> Self {
        runner_err(e)
    }
}

fn runner_err(e: RunnerError) -> ManagerError {
    match e {
        RunnerError::Exchange(e) => ManagerError::Exchange(e),
        RunnerError::Store(e) => ManagerError::from(e),
        RunnerError::Invalid(e) => ManagerError::Validation(e),
        RunnerError::Market(e) => ManagerError::Exchange(crate::error::ExchangeError::Connectivity(e.to_string())),
    }
}

#[async_trait]
impl BotLauncher for Supervisor {
    async fn launch(&self, bot: Bot) -> Result<(), ManagerError> {
        let id = bot.id;
        if self.live_control(id).is_some() || !self.launching.lock().is_ok_and(|mut l| l.insert(id)) {
            return Ok(());
        }
        let result = self.spawn_runner(bot).await;
        if let Ok(mut l) = self.launching.lock() {
            l.remove(&id);
        }
        result
    }

    async fn stop(&self, bot: Bot) -> Result<(), ManagerError> {
        if let Ok(mut s) = self.stopping.lock() {
            s.insert(bot.id);
        }
        let result = self.stop_here(bot.clone()).await;
        if let Ok(mut s) = self.stopping.lock() {
            s.remove(&bot.id);
        }
        result
    }

    fn is_running(&self, bot: BotId) -> bool {
        self.live_control(bot).is_some()
    }

    async fn reload(&self, bot: Bot) -> Result<(), ManagerError> {
        if self.live_control(bot.id).is_none() {
            return Ok(());
        }
        // Saved and ended, lease and status kept; then launched from the
        // store, so the runner restores its engine with the stored settings.
        self.shut_down_runner(bot.id).await;
        let fresh = self.store.bot(bot.id).await?.unwrap_or(bot);
        self.launch(fresh).await
    }
}

impl Supervisor {
    /// [`BotLauncher::stop`]'s work (see there).
    async fn stop_here(&self, bot: Bot) -> Result<(), ManagerError> {
        let ctx = self.context(bot.user_id).await?;
        ctx.store
            .set_bot_status(bot.id, BotStatus::Stopping, None, ctx.clock.now_ms())
            .await?;
        self.events.publish(BotEvent::StatusChanged {
            user_id: bot.user_id,
            bot_id: bot.id,
            status: BotStatus::Stopping,
            message: None,
            ts: ctx.clock.now_ms(),
        });
        let live = match self.live_control(bot.id) {
            Some(tx) => {
                let (reply, rx) = oneshot::channel();
                if tx.send(Control::Stop(reply)).await.is_ok() {
                    rx.await.ok()
                } else {
                    None
                }
            }
            None => None,
        };
        let result = match live {
            Some(r) => r,
            None if !self.take_lease(bot.id).await? => {
                tracing::info!(bot = %bot.id, "bot run by another process; it stops at that process's next lease round");
                return Ok(());
            }
            None => {
                let mut fresh = bot.clone();
                fresh.status = BotStatus::Stopping;
                let latest = ctx.store.bot(bot.id).await?.unwrap_or(fresh);
                match BotRunner::load(latest, ctx.clone()).await {
                    Ok(mut r) => {
                        let res = r.stop().await;
                        if let Err(e) = &res {
                            fail(&ctx, &bot, e).await;
                        }
                        res
                    }
                    Err(e) => {
                        fail(&ctx, &bot, &e).await;
                        Err(e)
                    }
                }
            }
        };
        self.join(bot.id).await;
        if result.is_ok() {
            self.release_lease(bot.id).await;
        }
        result.map_err(runner_err)
    }
}
