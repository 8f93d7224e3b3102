//! Change notifications for `/stream`: bot and summary events per user,
//! fanned out with a broadcast channel. A slow client that lags behind
//! skips to the newest events (its next summary poll resynchronises it).

use serde::Serialize;
use tokio::sync::broadcast;

use gridbot_core::model::UserId;

/// One event for one user.
#[derive(Debug, Clone, Serialize)]
pub struct StreamEvent {
    /// The user it is for.
    #[serde(skip)]
    pub user: UserId,
    /// The SSE event name (`bot`, `summary`).
    pub kind: &'static str,
    /// The payload.
    pub data: serde_json::Value,
}

/// The fan-out hub.
#[derive(Debug, Clone)]
pub struct EventHub {
    tx: broadcast::Sender<StreamEvent>,
}

impl Default for EventHub {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(1024);
        EventHub { tx }
    }
}

impl EventHub {
    /// Publishes an event (dropped when nobody listens).
    pub fn publish(&self, user: UserId, kind: &'static str, data: serde_json::Value) {
        let _ = self.tx.send(StreamEvent { user, kind, data });
    }

    /// A receiver of every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<StreamEvent> {
        self.tx.subscribe()
    }
}
