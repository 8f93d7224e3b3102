//! Change events the manager and the runners publish (bot status and stats
//! changes), forwarded by the HTTP layer's SSE stream.
//!
//! Delivery is best effort: a slow subscriber that falls behind the
//! channel's capacity misses events (it sees `Lagged`) and should re-read
//! the summary. The store stays the source of truth.

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::model::{BotId, BotStats, BotStatus, TimestampMs, UserId};

/// Events kept for slow subscribers before they lag.
pub const EVENT_CAPACITY: usize = 1024;

/// Something that changed about a bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum BotEvent {
    /// The bot's status changed.
    StatusChanged {
        /// Owner.
        user_id: UserId,
        /// The bot.
        bot_id: BotId,
        /// New status.
        status: BotStatus,
        /// Error or reason, if any.
        message: Option<String>,
        /// When.
        ts: TimestampMs,
    },
    /// The bot's running totals changed.
    StatsChanged {
        /// Owner.
        user_id: UserId,
        /// The bot.
        bot_id: BotId,
        /// New totals.
        stats: BotStats,
        /// When.
        ts: TimestampMs,
    },
}

impl BotEvent {
    /// The user the event concerns (the SSE stream filters on it).
    pub fn user_id(&self) -> UserId {
        match self {
            BotEvent::StatusChanged { user_id, .. } | BotEvent::StatsChanged { user_id, .. } => *user_id,
        }
    }
}

/// A broadcast channel of [`BotEvent`]s shared by the manager and runners.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<BotEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus::new()
    }
}

impl EventBus {
    /// A bus with [`EVENT_CAPACITY`].
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(EVENT_CAPACITY);
        EventBus { tx }
    }

    /// Publishes an event (dropped when nobody listens).
    pub fn publish(&self, event: BotEvent) {
        let _ = self.tx.send(event);
    }

    /// A new subscription from now on.
    pub fn subscribe(&self) -> BotEvents {
        BotEvents {
            rx: self.tx.subscribe(),
        }
    }
}

/// A subscription to an [`EventBus`]: every event published after it was
/// taken, in order, until it falls more than [`EVENT_CAPACITY`] events
/// behind (then it is told how many it missed and continues with the
/// oldest event still kept).
#[derive(Debug)]
pub struct BotEvents {
    rx: broadcast::Receiver<BotEvent>,
}

/// Why [`BotEvents`] gave no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EventsError {
    /// The subscriber fell behind and missed this many events; the next
    /// call continues with the oldest event kept. Re-read what you track
    /// from the store (or the manager) to catch up.
    #[error("missed {0} bot events: re-read the bots from the store to catch up")]
    Lagged(u64),
    /// The bus is gone (every manager and runner holding it was dropped).
    #[error("the bot event bus is closed")]
    Closed,
}

impl BotEvents {
    /// The next event, waiting for it.
    pub async fn recv(&mut self) -> Result<BotEvent, EventsError> {
        self.rx.recv().await.map_err(|e| match e {
            broadcast::error::RecvError::Lagged(n) => EventsError::Lagged(n),
            broadcast::error::RecvError::Closed => EventsError::Closed,
        })
    }

    /// The next event if one is waiting (`Ok(None)` when none is), without
    /// waiting.
    pub fn try_recv(&mut self) -> Result<Option<BotEvent>, EventsError> {
        match self.rx.try_recv() {
            Ok(event) => Ok(Some(event)),
            Err(broadcast::error::TryRecvError::Empty) => Ok(None),
            Err(broadcast::error::TryRecvError::Lagged(n)) => Err(EventsError::Lagged(n)),
            Err(broadcast::error::TryRecvError::Closed) => Err(EventsError::Closed),
        }
    }
}
