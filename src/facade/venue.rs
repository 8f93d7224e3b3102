//! The paper venue's durability: kept in the store's journal.
//!
//! A paper venue built with [`crate::GridbotBuilder::paper_journal`] (what
//! `gridbot serve` does, venue name `paper`, owner = the serve runner
//! name) lives in memory and commits every change to the store's venue
//! journal before it tells anyone about it (see "Durability" in
//! [`gridbot_core::paper`]): once an order is accepted, cancelled or
//! filled, that fact survives kill -9 and power loss, and a restart
//! continues from exactly the venue's last committed state — no fill twice,
//! none lost, fill ids never reused, the simulated market resuming at its
//! last journaled time and prices.
//!
//! - **Import.** A `paper-venue.json` file of an earlier version (given with
//!   [`crate::GridbotBuilder::paper_snapshot`]) is imported once, when the
//!   journal is still empty, then renamed `paper-venue.json.imported`. That
//!   file may be up to 30 s older than the store (it was saved every 30 s),
//!   so it is imported with [`PaperExchange::restore_for_restart`]: every
//!   account starts a new labelled stretch of its fill sequence, so no fill
//!   id of the lost seconds is reused. With a journal already present the
//!   file is left alone (and a warning says so).
//! - **Stores without a journal.** A store of your own that answers
//!   [`StoreError::Unsupported`] to `open_venue` gets a venue in memory
//!   (restored from the snapshot file if one is given, which is then never
//!   written): a warning says that nothing of it survives the process.
//! - **A failed or fenced journal.** When an append fails (database down)
//!   or is fenced (another process opened the venue), the venue refuses
//!   every further order, cancel and price with an error naming the cause
//!   (`venue_journal_failed`, `venue_fenced`): it never trades on with a
//!   state the journal does not have. Restart the process to continue from
//!   the last committed state.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use gridbot_core::model::Instrument;
use gridbot_core::paper::{JournalError, JournalOptions, JournalStart, PaperConfig, PaperExchange, PaperSnapshot};
use gridbot_core::ports::Store;
use gridbot_core::StoreError;

use super::error::BuildError;

/// The name of the venue `gridbot serve` keeps in its store.
pub const VENUE_NAME: &str = "paper";

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

/// Reads a snapshot file of an earlier version, as a restart from it
/// (see the module docs); `None` when there is no file.
fn read_snapshot_file(path: &Path) -> Result<Option<PaperSnapshot>, BuildError> {
    let venue_err = |message: String| BuildError::Venue {
        path: path.to_path_buf(),
        message,
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(venue_err(e.to_string())),
    };
    let snap: PaperSnapshot = serde_json::from_slice(&bytes).map_err(|e| venue_err(format!("unreadable JSON: {e}")))?;
    let venue = PaperExchange::restore_for_restart(snap, &restart_label()).map_err(|e| venue_err(e.to_string()))?;
    Ok(Some(venue.snapshot()))
}

fn imported_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".imported");
    PathBuf::from(name)
}

/// Opens the durable venue `name` from `store`'s journal for `owner`
/// (see the module docs), importing `import` once when the journal is
/// empty, then renaming the file when `rename` (a store that outlives the
/// process).
pub(crate) async fn open_durable(
    store: Arc<dyn Store>,
    name: &str,
    owner: &str,
    config: PaperConfig,
    instruments: Vec<Instrument>,
    import: Option<&Path>,
    rename: bool,
) -> Result<PaperExchange, BuildError> {
    let snapshot = match import {
        Some(p) => read_snapshot_file(p)?,
        None => None,
    };
    let has_file = snapshot.is_some();
    let opened = PaperExchange::open_journaled(
        store,
        JournalOptions::new(name, owner),
        config.clone(),
        instruments.clone(),
        snapshot.clone(),
    )
    .await;
    match opened {
        Ok((venue, start)) => {
            match (start, import) {
                (JournalStart::Imported, Some(path)) if !rename => tracing::info!(
                    path = %path.display(),
                    "paper venue file imported into the in-memory store's journal (the file is kept)"
                ),
                (JournalStart::Imported, Some(path)) => {
                    let to = imported_path(path);
                    match std::fs::rename(path, &to) {
                        Ok(()) => tracing::info!(
                            from = %path.display(),
                            to = %to.display(),
                            "paper venue file imported into the store's journal and renamed"
                        ),
                        Err(e) => tracing::warn!(
                            path = %path.display(),
                            error = %e,
                            "paper venue file imported into the store's journal but not renamed; it is ignored from now on"
                        ),
                    }
                }
                (JournalStart::Restored { entries }, _) => {
                    if has_file {
                        tracing::warn!(
                            path = %import.map(|p| p.display().to_string()).unwrap_or_default(),
                            "the store's journal already holds the paper venue: the file is not imported"
                        );
                    }
                    tracing::info!(venue = name, entries, "paper venue restored from the store's journal");
                }
                _ => tracing::info!(venue = name, "paper venue journal started in the store"),
            }
            Ok(venue)
        }
        Err(JournalError::Store(StoreError::Unsupported(why))) => {
            tracing::warn!(
                reason = %why,
                "the store keeps no paper venue journal: the paper venue runs in memory and nothing of it survives the process"
            );
            Ok(match snapshot {
                Some(s) => PaperExchange::restore(s)?,
                None => PaperExchange::with_instruments(config, instruments),
            })
        }
        Err(e) => Err(BuildError::Journal(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridbot_core::paper::PaperConfig;
    use gridbot_core::Decimal;

    #[tokio::test]
    async fn an_old_snapshot_file_is_imported_once_then_renamed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paper-venue.json");
        let old = PaperExchange::with_instruments(PaperConfig::default(), [Instrument::btcusdt()]);
        old.open_account("user-1", Decimal::from(123)).unwrap();
        std::fs::write(&path, serde_json::to_vec(&old.snapshot()).unwrap()).unwrap();
        let store: Arc<dyn Store> = Arc::new(gridbot_store::MemoryStore::new());
        let venue = open_durable(
            store.clone(),
            VENUE_NAME,
            "me",
            PaperConfig::default(),
            vec![],
            Some(&path),
            true,
        )
        .await
        .unwrap();
        assert!(venue.account("user-1").is_some());
        assert!(!path.exists() && imported_path(&path).exists());
        drop(venue);
        // The journal holds it now: a new file is not imported again.
        let other = PaperExchange::with_instruments(PaperConfig::default(), [Instrument::btcusdt()]);
        other.open_account("user-2", Decimal::from(5)).unwrap();
        std::fs::write(&path, serde_json::to_vec(&other.snapshot()).unwrap()).unwrap();
        let again = open_durable(
            store,
            VENUE_NAME,
            "me",
            PaperConfig::default(),
            vec![],
            Some(&path),
            true,
        )
        .await
        .unwrap();
        assert_eq!(again.account_ids(), vec!["user-1".to_owned()]);
        assert!(path.exists(), "left alone");
    }

    #[tokio::test]
    async fn a_corrupt_snapshot_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("venue.json");
        std::fs::write(&path, b"{not json").unwrap();
        let store: Arc<dyn Store> = Arc::new(gridbot_store::MemoryStore::new());
        let err = open_durable(
            store,
            VENUE_NAME,
            "me",
            PaperConfig::default(),
            vec![],
            Some(&path),
            true,
        )
        .await
        .unwrap_err();
        assert!(err.to_string().contains("venue.json"), "{err}");
    }
}
