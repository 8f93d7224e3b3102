//! `GET /stream`: server-sent events for the logged-in user.
//!
//! - `summary`: the whole [`crate::views::SummaryView`] (balance bar and
//!   bots), sent on connect, then whenever it changed: checked
//!   [`EVENT_DEBOUNCE`] after a bot event of the user (bursts of fills
//!   coalesce into one check), and every [`POLL_EVERY`] regardless
//!   (unrealised PnL moves with the price without an event);
//! - `bot`: a bot's status or stats change, forwarded from the manager's
//!   event bus as it happens. Only the user's own events are forwarded.
//!
//! Summaries come from the router's shared
//! [`crate::summaries::SummaryCache`]: every connection of a user (tabs,
//! devices) and `GET /multibot/summary` share one computation, and a bot
//! event invalidates it for all of them at once.
//!
//! Browsers cannot set headers on `EventSource`, so the access token may
//! come as `?access_token=` (on this route only) and the language as
//! `?lang=`; the token is checked when the stream opens.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream};

use tokio::time::Instant;

use gridbot_core::manager::{BotEvents, EventsError};

use crate::auth::extract::AuthUser;
use crate::i18n::Lang;
use crate::metrics::Metrics;
use crate::routes::multibot::ReqLang;
use crate::state::AppState;
use crate::summaries::{SummaryCache, SummarySnapshot};

/// The summary is checked this often without any event.
pub const POLL_EVERY: Duration = Duration::from_secs(3);
/// The summary is checked this long after a bot event of the user.
pub const EVENT_DEBOUNCE: Duration = Duration::from_millis(200);

/// Counts the stream in the metrics while it is open.
struct Open(Arc<Metrics>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.stream_delta(-1);
    }
}

struct Conn {
    state: AppState,
    cache: Arc<SummaryCache>,
    user: AuthUser,
    lang: Lang,
    rx: BotEvents,
    bus_open: bool,
    /// The next periodic check.
    next_poll: Instant,
    /// A check due after a bot event.
    due: Option<Instant>,
    last: Option<Arc<SummarySnapshot>>,
    _open: Open,
}

impl Conn {
    /// The summary as an event, if it changed since the last one sent.
    async fn summary_if_changed(&mut self) -> Option<Event> {
        self.due = None;
        self.next_poll = Instant::now() + POLL_EVERY;
        let snap = match self.cache.get(&self.state, &self.user, self.lang).await {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!(user = self.user.id.0, error = %e, "summary for stream failed");
                return None;
            }
        };
        if let Some(last) = &self.last {
            if Arc::ptr_eq(last, &snap) || last.json() == snap.json() {
                self.last = Some(snap);
                return None;
            }
        }
        let event = Event::default().event("summary").data(snap.json_str());
        self.last = Some(snap);
        Some(event)
    }

    async fn next_event(&mut self) -> Option<Event> {
        if self.last.is_none() {
            if let Some(e) = self.summary_if_changed().await {
                return Some(e);
            }
        }
        loop {
            let wake = self.due.map_or(self.next_poll, |d| d.min(self.next_poll));
            tokio::select! {
                ev = self.rx.recv(), if self.bus_open => match ev {
                    Ok(ev) if ev.user_id() == self.user.id => {
                        self.due.get_or_insert_with(|| Instant::now() + EVENT_DEBOUNCE);
                        if let Ok(data) = serde_json::to_string(&ev) {
                            return Some(Event::default().event("bot").data(data));
                        }
                    }
                    Ok(_) => {}
                    // Some of the user's events may be lost: check now.
                    Err(EventsError::Lagged(_)) => self.due = Some(Instant::now()),
                    // The bus is gone: keep serving periodic summaries.
                    Err(EventsError::Closed) => self.bus_open = false,
                },
                _ = tokio::time::sleep_until(wake) => {
                    if let Some(e) = self.summary_if_changed().await {
                        return Some(e);
                    }
                }
            }
        }
    }
}

/// The user's live events (`summary`, `bot`).
#[utoipa::path(get, path = "/api/v1/stream", tag = "multibot", security(("bearer" = [])),
    params(("access_token" = Option<String>, Query, description = "access token, for EventSource (accepted on this route only)"),
           ("lang" = Option<String>, Query, description = "`en` or `ko`: the language of names in the summaries")),
    responses((status = 200, content_type = "text/event-stream", description = "summary and bot events"),
              (status = 401, body = crate::error::ErrorBody)))]
pub async fn stream(
    State(state): State<AppState>,
    State(cache): State<Arc<SummaryCache>>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    state.metrics.stream_delta(1);
    let conn = Conn {
        rx: state.services.manager.subscribe(),
        _open: Open(state.metrics.clone()),
        state,
        cache,
        user,
        lang,
        bus_open: true,
        next_poll: Instant::now() + POLL_EVERY,
        due: None,
        last: None,
    };
    let events = stream::unfold(conn, |mut c| async move {
        let e = c.next_event().await?;
        Some((Ok(e), c))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
