//! `GET /stream`: server-sent events for the logged-in user.
//!
//! - `summary`: the whole [`crate::views::SummaryView`] (balance bar and
//!   bots), sent on connect, then whenever it changed: checked one second
//!   after a bot event of the user, and every 3 s regardless (unrealised PnL
//!   moves with the price without an event);
//! - `bot`: a bot's status or stats change, forwarded from the manager's
//!   event bus as it happens.
//!
//! Browsers cannot set headers on `EventSource`, so the access token may
//! come as `?access_token=`; the token is checked when the stream opens.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;

use gridbot_core::manager::BotEvent;

use crate::auth::extract::AuthUser;
use crate::metrics::Metrics;
use crate::routes::multibot::summary_view;
use crate::state::AppState;

/// Counts the stream in the metrics while it is open.
struct Open(Arc<Metrics>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.stream_delta(-1);
    }
}

struct Conn {
    state: AppState,
    user: AuthUser,
    rx: Receiver<BotEvent>,
    tick: tokio::time::Interval,
    ticks: u64,
    dirty: bool,
    bus_open: bool,
    last: Option<String>,
    _open: Open,
}

impl Conn {
    /// The summary as an event, if it changed since the last one sent.
    async fn summary_if_changed(&mut self) -> Option<Event> {
        self.dirty = false;
        let json = match summary_view(&self.state, &self.user).await {
            Ok(v) => serde_json::to_string(&v).ok()?,
            Err(e) => {
                tracing::debug!(user = self.user.id.0, error = %e, "summary for stream failed");
                return None;
            }
        };
        if self.last.as_deref() == Some(json.as_str()) {
            return None;
        }
        self.last = Some(json.clone());
        Some(Event::default().event("summary").data(json))
    }

    async fn next_event(&mut self) -> Option<Event> {
        if self.last.is_none() {
            if let Some(e) = self.summary_if_changed().await {
                return Some(e);
            }
        }
        loop {
            tokio::select! {
                ev = self.rx.recv(), if self.bus_open => match ev {
                    Ok(ev) if ev.user_id() == self.user.id => {
                        self.dirty = true;
                        if let Ok(data) = serde_json::to_string(&ev) {
                            return Some(Event::default().event("bot").data(data));
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => self.dirty = true,
                    // The bus is gone: keep serving periodic summaries.
                    Err(RecvError::Closed) => self.bus_open = false,
                },
                _ = self.tick.tick() => {
                    self.ticks += 1;
                    if self.dirty || self.ticks % 3 == 0 {
                        if let Some(e) = self.summary_if_changed().await {
                            return Some(e);
                        }
                    }
                }
            }
        }
    }
}

/// The user's live events (`summary`, `bot`).
#[utoipa::path(get, path = "/api/v1/stream", tag = "multibot", security(("bearer" = [])),
    params(("access_token" = Option<String>, Query, description = "access token, for EventSource")),
    responses((status = 200, content_type = "text/event-stream", description = "summary and bot events"),
              (status = 401, body = crate::error::ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
    user: AuthUser,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    state.metrics.stream_delta(1);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let conn = Conn {
        rx: state.services.manager.subscribe(),
        _open: Open(state.metrics.clone()),
        state,
        user,
        tick,
        ticks: 0,
        dirty: false,
        bus_open: true,
        last: None,
    };
    let events = stream::unfold(conn, |mut c| async move {
        let e = c.next_event().await?;
        Some((Ok(e), c))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
