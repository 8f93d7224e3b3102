//! [`BotLocks`]: one lifecycle action per bot at a time, within a process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

use crate::model::BotId;

/// Per-bot async locks. A start, a stop or a pause of one bot holds its
/// lock for the whole action, so a stop that arrives while a start is in
/// progress waits for it (then stops what it started), and concurrent stops
/// run one after the other (the later ones find the bot stopped). Different
/// bots never wait for each other. Across processes the store's leases and
/// statuses do the same job.
#[derive(Debug, Default)]
pub struct BotLocks(Mutex<HashMap<BotId, Arc<tokio::sync::Mutex<()>>>>);

impl BotLocks {
    /// No bot locked yet.
    pub fn new() -> Self {
        BotLocks::default()
    }

    /// Waits for and takes the lock of `bot`; released when the guard drops.
    pub async fn lock(&self, bot: BotId) -> OwnedMutexGuard<()> {
        let lock = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(bot).or_default().clone()
        };
        lock.lock_owned().await
    }
}
