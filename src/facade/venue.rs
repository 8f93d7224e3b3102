//! The paper venue's snapshot file: restored at build, saved while running.
//!
//! The venue (every paper account's wallet, positions, orders and fills) is
//! kept in memory and saved as JSON to one file, atomically (a temporary
//! file renamed over the old one), separately from the store:
//! - every 30 s ([`SAVE_EVERY`]);
//! - after every bot status change (a start, a stop, a pause, an error) —
//!   a burst of changes is written once;
//! - on [`crate::Gridbot::shutdown`].
//!
//! # When the snapshot lags the store
//!
//! After a hard crash (kill -9, power loss) the file can be up to 30 s older
//! than the store. On the next start each runner reconciles with the venue
//! as restored (`gridbot_core::runner`; nothing here changes that):
//! - orders the store records but the venue never saw are placed again
//!   under the same client ids (the engine's ideal set is re-placed), and
//!   orders the venue still holds but the engine no longer wants are
//!   cancelled;
//! - fills the store booked after the snapshot are *not* undone: the bot's
//!   stats keep them while the paper wallet and position do not, so the
//!   two differ by what traded in those seconds;
//! - no fill is lost or booked twice: the venue is restored with
//!   [`PaperExchange::restore_for_restart`], which starts a new labelled
//!   stretch of every account's fill sequence, so new fill ids never repeat
//!   an id the store already holds, and a bot's fill cursor from after the
//!   snapshot still sees every fill made since the restart.
//!
//! The difference is paper money and stays visible (bot stats versus the
//! account balance); stopping the affected bots closes their positions on
//! the venue and books what the venue did. Saving on every start and stop
//! narrows the window to the trading of the last 30 s.

use std::path::{Path, PathBuf};
use std::time::Duration;

use gridbot_core::manager::{BotEvent, EventBus, EventsError};
use gridbot_core::model::{Instrument, Symbol};
use gridbot_core::paper::{PaperConfig, PaperExchange, PaperSnapshot};
use tokio::task::JoinHandle;

use super::error::BuildError;

/// How often the venue is saved while running.
pub const SAVE_EVERY: Duration = Duration::from_secs(30);

/// A label no earlier start of this venue used: `r`, the start time in
/// milliseconds and a per-process count (a repeat would need a clock that
/// went back; `restore_for_restart` refuses a repeated label anyway).
fn restart_label() -> String {
    static STARTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let n = STARTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("r{ms}n{n}")
}

/// The snapshot file of a paper venue.
#[derive(Debug, Clone)]
pub(crate) struct VenueFile {
    path: PathBuf,
}

impl VenueFile {
    pub(crate) fn new(path: impl Into<PathBuf>) -> Self {
        VenueFile { path: path.into() }
    }

    /// The venue saved in the file (with `instruments` it lacks added), or
    /// a fresh one when there is no file yet.
    pub(crate) fn open(&self, config: PaperConfig, instruments: Vec<Instrument>) -> Result<PaperExchange, BuildError> {
        let venue_err = |message: String| BuildError::Venue {
            path: self.path.clone(),
            message,
        };
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                let snap: PaperSnapshot =
                    serde_json::from_slice(&bytes).map_err(|e| venue_err(format!("unreadable JSON: {e}")))?;
                let venue =
                    PaperExchange::restore_for_restart(snap, &restart_label()).map_err(|e| venue_err(e.to_string()))?;
                let known: Vec<Symbol> = venue.instruments().into_iter().map(|i| i.symbol).collect();
                for i in instruments.into_iter().filter(|i| !known.contains(&i.symbol)) {
                    venue.add_instrument(i);
                }
                Ok(venue)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(PaperExchange::with_instruments(config, instruments))
            }
            Err(e) => Err(venue_err(e.to_string())),
        }
    }

    /// Saves the venue now, logging a failure.
    pub(crate) fn save_logged(&self, venue: &PaperExchange) {
        if let Err(e) = save(venue, &self.path) {
            tracing::error!(path = %self.path.display(), error = %e, "paper venue not saved");
        }
    }

    /// Saves the venue now.
    pub(crate) fn save(&self, venue: &PaperExchange) -> std::io::Result<()> {
        save(venue, &self.path)
    }

    /// Starts the savers: every [`SAVE_EVERY`] and after bot status changes.
    pub(crate) fn spawn_savers(&self, venue: &PaperExchange, events: &EventBus) -> Vec<JoinHandle<()>> {
        let periodic = {
            let (file, venue) = (self.clone(), venue.clone());
            tokio::spawn(async move {
                let mut every = tokio::time::interval(SAVE_EVERY);
                every.tick().await;
                loop {
                    every.tick().await;
                    file.save_in_background(&venue).await;
                }
            })
        };
        let on_status = {
            let (file, venue) = (self.clone(), venue.clone());
            let mut rx = events.subscribe();
            tokio::spawn(async move {
                loop {
                    match rx.recv().await {
                        Ok(BotEvent::StatusChanged { .. }) | Err(EventsError::Lagged(_)) => {
                            // One write for a burst: take what is queued.
                            while matches!(rx.try_recv(), Ok(Some(_))) {}
                            file.save_in_background(&venue).await;
                        }
                        Ok(_) => {}
                        Err(EventsError::Closed) => return,
                    }
                }
            })
        };
        vec![periodic, on_status]
    }

    async fn save_in_background(&self, venue: &PaperExchange) {
        let (file, venue) = (self.clone(), venue.clone());
        if let Err(e) = tokio::task::spawn_blocking(move || file.save_logged(&venue)).await {
            tracing::error!(error = %e, "paper venue saver stopped unexpectedly");
        }
    }
}

fn save(venue: &PaperExchange, path: &Path) -> std::io::Result<()> {
    let bytes = serde_json::to_vec(&venue.snapshot()).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridbot_core::model::{BotId, BotStatus, UserId};
    use gridbot_core::Decimal;

    #[tokio::test]
    async fn a_bot_status_change_saves_the_venue_without_waiting_for_the_timer() {
        let dir = tempfile::tempdir().unwrap();
        let file = VenueFile::new(dir.path().join("venue.json"));
        let venue = file.open(PaperConfig::default(), vec![Instrument::btcusdt()]).unwrap();
        let events = EventBus::new();
        let tasks = file.spawn_savers(&venue, &events);
        venue.open_account("user-1", Decimal::from(123)).unwrap();
        events.publish(BotEvent::StatusChanged {
            user_id: UserId(1),
            bot_id: BotId(1),
            status: BotStatus::Running,
            message: None,
            ts: 0,
        });
        let mut restored = None;
        for _ in 0..500 {
            if let Ok(v) = file.open(PaperConfig::default(), vec![]) {
                if v.account("user-1").is_some() {
                    restored = Some(v);
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for t in tasks {
            t.abort();
        }
        let restored = restored.expect("the venue was saved after the status change");
        assert_eq!(restored.instruments().len(), 1);
    }

    #[test]
    fn a_corrupt_snapshot_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("venue.json");
        std::fs::write(&path, b"{not json").unwrap();
        let err = VenueFile::new(&path).open(PaperConfig::default(), vec![]).unwrap_err();
        assert!(err.to_string().contains("venue.json"), "{err}");
    }
}
