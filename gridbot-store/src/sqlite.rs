//! [`SqliteStore`]: the embedded default. One file, WAL, foreign keys on,
//! `synchronous = FULL`, every write transaction `BEGIN IMMEDIATE` (see
//! [`crate::sql`]), so the guarded start is safe across connections and
//! across processes sharing the file.
//!
//! Durability and speed: with `synchronous = FULL` a commit returns once
//! the WAL is `fsync`ed, so each call costs at least one `fsync` of the
//! disk (0.09 ms on the project's idle VM, 2–4 ms while other builds load
//! it). Write in batches: the `store` bench (`benches/store.rs`) measured
//! 126,000 fills/s in batches of 100 on the idle VM and 74,000/s under
//! load, against a target of 20,000/s, before fills were indexed by order
//! for the booking check; since, a fill batch writes about as many pages
//! as an order batch (39,700 orders/s idle; 8,300 fills/s and 8,500
//! orders/s in one run under a load average of 10). Bots' writes never
//! trade durability for speed (`synchronous = NORMAL` would lose the last
//! commits on power loss). The paper venue's journal does, on connections
//! of its own: its commits are in the WAL (safe from kill -9) and reach
//! the disk with the next `FULL` commit — every booking of a fill the
//! venue told is one (see `sql/venue.rs`).
//!
//! A runner step ([`gridbot_core::ports::Store::write_bot`]) is one such
//! transaction: one `fsync`, a dozen statements at most (see
//! [`crate::sql`] for the list); 100 orders and 100 fills in one step took
//! 17 ms under that load.

use gridbot_core::model::{
    AuditEvent, Bot, BotId, BotOrder, BotStats, BotStatus, ClientOrderId, CredentialsRecord, EquitySnapshot,
    FillRecord, IdTag, NewBot, RiskSettings, StrategyTemplate, TemplateId, TimestampMs, User, UserId, UserSummary,
};
use gridbot_core::ports::{BotLimits, BotWrites, BotWritten, Lease};
use gridbot_core::StoreError;

use crate::delegate::delegate_store;
use crate::sql::{Dialect, SqlStore};
use crate::url::{sqlite_creates, sqlite_file, DbUrl};

/// Connections per SQLite pool: readers run in parallel under WAL; writers
/// queue on the database's write lock.
const POOL_SIZE: u32 = 8;

/// A store on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: SqlStore,
}

impl SqliteStore {
    /// Opens (creating when the URL says `mode=rwc`, or for a plain path,
    /// together with its folder) and migrates the database at `url`: a
    /// `sqlite:` URL or a file path.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        let store = SqliteStore::connect(url).await?;
        store.inner.migrate_up().await?;
        Ok(store)
    }

    /// Opens without migrating (for `gridbot migrate`).
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let url = match DbUrl::parse(url)? {
            DbUrl::Sqlite(u) => u,
            _ => {
                return Err(StoreError::Database(format!(
                    "{url:?} is not a SQLite url: use sqlite://file.db?mode=rwc or a file path"
                )))
            }
        };
        if sqlite_creates(&url) {
            if let Some(dir) = sqlite_file(&url).as_deref().and_then(std::path::Path::parent) {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Database(format!("cannot create the database folder {}: {e}", dir.display()))
                    })?;
                }
            }
        }
        Ok(SqliteStore {
            inner: SqlStore::connect(&url, Dialect::Sqlite, POOL_SIZE).await?,
        })
    }

    /// The shared SQL store (migrations, pool).
    pub fn sql(&self) -> &SqlStore {
        &self.inner
    }
}

delegate_store!(SqliteStore, inner);
