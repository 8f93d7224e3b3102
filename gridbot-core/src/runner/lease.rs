//! Runner leases: several processes share one store (PostgreSQL) and each
//! bot runs in exactly one of them; a lease is also the fencing token of
//! every write a runner makes ([`crate::ports::Lease`]).
//!
//! Rules ([`Supervisor`] applies them):
//! - A runner starts only after its supervisor took the bot's lease
//!   ([`crate::ports::Store::acquire_lease`], owner = [`LeaseOptions::owner`],
//!   for [`LeaseOptions::ttl_ms`] of the *store's* clock). A bot whose lease
//!   another live process holds is left to that process.
//! - **A process's name is stable.** `gridbot serve` keeps its runner name
//!   in its data folder, so a restarted process (after a crash: its leases
//!   still live) takes its own bots back at once, with no lease wait. Two
//!   live processes never share a name (serve locks its data folder).
//! - **Fencing.** Every write of a runner carries its lease (owner and
//!   epoch) and is refused once the lease is no longer the runner's; a
//!   runner whose write is refused stops at once, having sent nothing (its
//!   orders are written before they are sent).
//! - [`Supervisor::maintain_leases`] — run every `ttl / 3` by a keeper task
//!   the supervisor starts with its first runner or [`Supervisor::resume_all`]
//!   (unless [`LeaseOptions::renew_automatically`] is off; the task ends
//!   with the supervisor or its shutdown). **Renewal comes first** and is
//!   quick; the slow work of a round (stops, the runners' resumes) runs on
//!   tasks of its own, so a slow exchange never delays a renewal:
//!   1. renews the lease of every local runner. A runner whose lease was
//!      taken by another process, or whose epoch changed (it lapsed in
//!      between: someone may have run the bot meanwhile), or that could not
//!      renew for a whole TTL (the store unreachable), is shut down; in the
//!      second case the bot is launched again from the store.
//!   2. forgets runners that ended, releasing the leases of finished bots;
//!   3. starts, on tasks of their own, the stop of every `stopping` bot it
//!      holds or can take (a stop asked through another node reaches the
//!      runner here);
//!   4. takes over every `starting` / `running` bot without a live lease (a
//!      dead process's): the new runner (spawned at once; its resume runs on
//!      its own task) reconciles by client id, so nothing is sent twice.
//! - Graceful shutdown releases the leases; a killed process's leases
//!   expire after the TTL (or are taken back at once by its restart).

use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::supervisor::Supervisor;
use super::{BotLauncher, RunnerError};
use crate::clock::Clock;
use crate::model::{BotId, BotStatus};
use crate::ports::Lease;

/// Default lease lifetime without renewal, ms.
pub const DEFAULT_LEASE_TTL_MS: i64 = 30_000;

/// How a supervisor holds its bots' leases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseOptions {
    /// This process's name in the lease table: stable across restarts of
    /// one installation (see the module docs), unique among live processes.
    pub owner: String,
    /// How long a lease lasts without renewal, ms.
    pub ttl_ms: i64,
    /// Run lease rounds every `ttl / 3` from the first runner on (off only
    /// for tests that run the rounds themselves).
    pub renew_automatically: bool,
}

impl LeaseOptions {
    /// Options with a stable `owner` name and [`DEFAULT_LEASE_TTL_MS`].
    pub fn named(owner: impl Into<String>) -> Self {
        LeaseOptions {
            owner: owner.into(),
            ..LeaseOptions::default()
        }
    }
}

impl Default for LeaseOptions {
    /// A name unique to this process (host, pid, start time) and
    /// [`DEFAULT_LEASE_TTL_MS`]. A process restarted under such a name
    /// waits for its old leases to expire; give a stable name
    /// ([`LeaseOptions::named`]) to take them back at once.
    fn default() -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "gridbot".to_owned());
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        LeaseOptions {
            owner: format!("{host}-{}-{started}", std::process::id()),
            ttl_ms: DEFAULT_LEASE_TTL_MS,
            renew_automatically: true,
        }
    }
}

/// What one [`Supervisor::maintain_leases`] round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeaseRound {
    /// Local runners whose lease was renewed.
    pub renewed: usize,
    /// Local runners shut down because their lease was lost or lapsed.
    pub lost: usize,
    /// Bots whose take-over started (their lease was free or expired).
    pub taken_over: usize,
    /// Bots whose stop started because their status asked for it.
    pub stopped: usize,
}

impl Supervisor {
    /// Takes or renews the lease on `bot`; `Some` when this process holds it.
    pub(super) async fn take_lease(&self, bot: BotId) -> Result<Option<Lease>, RunnerError> {
        Ok(self
            .store
            .acquire_lease(bot, &self.lease.owner, self.lease.ttl_ms)
            .await?)
    }

    /// Releases a lease (logged on failure: it expires anyway).
    pub(super) async fn release(&self, lease: &Lease) {
        if let Err(e) = self.store.release_lease(lease).await {
            tracing::warn!(bot = %lease.bot_id, error = %e, "lease not released; it expires by itself");
        }
    }

    /// One round of the lease rules (module docs).
    pub async fn maintain_leases(&self) -> Result<LeaseRound, RunnerError> {
        let _round = self.lease_round.lock().await;
        let mut round = LeaseRound::default();
        let now = self.clock.now_ms();
        // 1. Renewals first: quick, one statement each.
        let mut relaunch = Vec::new();
        for (id, held) in self.local_runners() {
            match self.take_lease(id).await {
                Ok(Some(l)) if l.epoch == held.epoch => {
                    self.mark_renewed(id, now);
                    round.renewed += 1;
                }
                Ok(Some(_)) => {
                    tracing::warn!(bot = %id, "lease lapsed before its renewal; the runner restarts from the store");
                    self.shut_down_runner(id).await;
                    relaunch.push(id);
                    round.lost += 1;
                }
                Ok(None) => {
                    tracing::warn!(bot = %id, "lease taken by another process; runner shut down");
                    self.shut_down_runner(id).await;
                    round.lost += 1;
                }
                Err(e) if self.renewed_at(id).is_none_or(|t| now - t >= self.lease.ttl_ms) => {
                    tracing::warn!(bot = %id, error = %e, "lease not renewed for a whole TTL; runner shut down");
                    self.shut_down_runner(id).await;
                    round.lost += 1;
                }
                Err(e) => tracing::warn!(bot = %id, error = %e, "lease renewal failed; retried next round"),
            }
        }
        // 2. Runners that ended by themselves.
        self.reap_finished().await;
        // 3. and 4.: the slow work, on tasks of its own.
        let local: HashSet<BotId> = self.local_runners().into_iter().map(|(id, _)| id).collect();
        for bot in self.store.bots_with_status(&[BotStatus::Stopping]).await? {
            if local.contains(&bot.id) || self.take_lease(bot.id).await?.is_some() {
                self.spawn_stop(bot);
                round.stopped += 1;
            }
        }
        let orphans = self
            .store
            .bots_with_status(&[BotStatus::Starting, BotStatus::Running])
            .await?;
        for bot in orphans.into_iter().filter(|b| !local.contains(&b.id)) {
            if relaunch.contains(&bot.id) || self.take_lease(bot.id).await?.is_some() {
                tracing::info!(bot = %bot.id, owner = %self.lease.owner, "taking over a bot without a live runner");
                // Quick: it spawns the runner (whose resume runs on its task).
                let id = bot.id;
                match self.launch(bot).await {
                    Ok(()) => round.taken_over += 1,
                    Err(e) => tracing::warn!(bot = %id, error = %e, "take-over failed; tried again next round"),
                }
            }
        }
        Ok(round)
    }
}

/// Runs [`Supervisor::maintain_leases`] every `ttl / 3` for as long as the
/// supervisor exists (it holds only a weak reference).
pub(super) fn spawn_keeper(me: Weak<Supervisor>, clock: Arc<dyn Clock>, ttl_ms: i64) -> JoinHandle<()> {
    let every = Duration::from_millis((ttl_ms / 3).max(1).unsigned_abs());
    tokio::spawn(async move {
        loop {
            clock.sleep(every).await;
            let Some(sup) = me.upgrade() else { return };
            if let Err(e) = sup.maintain_leases().await {
                tracing::warn!(error = %e, "lease round failed");
            }
        }
    })
}
