//! Runner leases: several processes share one store (PostgreSQL) and each
//! bot runs in exactly one of them.
//!
//! Rules ([`Supervisor`] applies them):
//! - A runner starts only after its supervisor took the bot's lease
//!   ([`crate::ports::Store::acquire_lease`], owner = [`LeaseOptions::owner`],
//!   for [`LeaseOptions::ttl_ms`]). A bot whose lease another live process
//!   holds is left to that process.
//! - [`Supervisor::maintain_leases`] — run every `ttl / 3` by a keeper
//!   task the supervisor starts with its first runner (unless
//!   [`LeaseOptions::renew_automatically`] is off; the task ends with the
//!   supervisor or its shutdown) — renews the lease of every local
//!   runner. A runner whose lease was taken by another process, or that
//!   could not renew for a whole TTL (the store unreachable: another process
//!   may take the bot over), is shut down (state saved, status untouched).
//!   Then every `starting` / `running` bot without a live lease — a dead
//!   process's — is taken over: the new runner resumes it, reconciling by
//!   client id, so nothing is sent twice. A `stopping` bot is stopped by
//!   whoever holds (or can take) its lease, so a stop asked through another
//!   node reaches the runner at the next round.
//! - Graceful shutdown releases the leases; a killed process's leases
//!   simply expire after the TTL.
//! - Times come from the supervisor's [`crate::clock::Clock`], so tests run
//!   on a simulated clock.

use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::task::JoinHandle;

use super::supervisor::Supervisor;
use crate::clock::Clock;
use crate::manager::{BotLauncher, ManagerError};
use crate::model::{BotId, BotStatus};

/// Default lease lifetime without renewal, ms.
pub const DEFAULT_LEASE_TTL_MS: i64 = 30_000;

/// How a supervisor holds its bots' leases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseOptions {
    /// This process's name in the lease table; unique per process.
    pub owner: String,
    /// How long a lease lasts without renewal, ms.
    pub ttl_ms: i64,
    /// Run lease rounds every `ttl / 3` from the first runner on (off only
    /// for tests that run the rounds themselves).
    pub renew_automatically: bool,
}

impl Default for LeaseOptions {
    /// A name unique to this process (host, pid, start time) and
    /// [`DEFAULT_LEASE_TTL_MS`].
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
pub struct LeaseRound {
    /// Local runners whose lease was renewed.
    pub renewed: usize,
    /// Local runners shut down because their lease was lost.
    pub lost: usize,
    /// Bots taken over (their lease was free or expired).
    pub taken_over: usize,
    /// Bots stopped because their status asked for it.
    pub stopped: usize,
}

impl Supervisor {
    /// Takes or renews the lease on `bot`; true when this process holds it.
    pub(super) async fn take_lease(&self, bot: BotId) -> Result<bool, ManagerError> {
        let lease = &self.lease;
        let held = self.store.acquire_lease(bot, &lease.owner, lease.ttl_ms).await?;
        if let Ok(mut leases) = self.leases.lock() {
            match &held {
                Some(l) => leases.insert(bot, l.clone()),
                None => leases.remove(&bot),
            };
        }
        Ok(held.is_some())
    }

    /// Releases this process's lease on `bot` (logged on failure: it
    /// expires anyway).
    pub(super) async fn release_lease(&self, bot: BotId) {
        let held = self.leases.lock().ok().and_then(|mut l| l.remove(&bot));
        let Some(lease) = held else { return };
        if let Err(e) = self.store.release_lease(&lease).await {
            tracing::warn!(bot = %bot, error = %e, "lease not released; it expires by itself");
        }
    }

    /// One round of the lease rules (module docs of `lease`): renew the
    /// local runners' leases, shut down those that lost theirs, stop
    /// `stopping` bots, take over bots nobody holds.
    pub async fn maintain_leases(&self) -> Result<LeaseRound, ManagerError> {
        let _round = self.lease_round.lock().await;
        let mut round = LeaseRound::default();
        let now = self.clock.now_ms();
        for id in self.reap_finished().await {
            self.release_lease(id).await;
        }
        for id in self.local_bots() {
            match self.take_lease(id).await {
                Ok(true) => {
                    self.mark_renewed(id, now);
                    round.renewed += 1;
                }
                Ok(false) => {
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
        let local: HashSet<BotId> = self.local_bots().into_iter().collect();
        let stopping_here: HashSet<BotId> = self.stopping.lock().map(|s| s.clone()).unwrap_or_default();
        for bot in self.store.bots_with_status(&[BotStatus::Stopping]).await? {
            if stopping_here.contains(&bot.id) {
                continue;
            }
            if local.contains(&bot.id) || self.take_lease(bot.id).await? {
                if let Err(e) = self.stop(bot.clone()).await {
                    tracing::warn!(bot = %bot.id, error = %e, "stop not finished; retried next round");
                }
                round.stopped += 1;
            }
        }
        let orphans = self
            .store
            .bots_with_status(&[BotStatus::Starting, BotStatus::Running])
            .await?;
        for bot in orphans.into_iter().filter(|b| !local.contains(&b.id)) {
            if self.take_lease(bot.id).await? {
                tracing::info!(bot = %bot.id, owner = %self.lease.owner, "taking over a bot whose lease expired");
                self.launch(bot).await?;
                round.taken_over += 1;
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
