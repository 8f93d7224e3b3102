//! [`PostgresStore`]: the server database. Pooled connections; guarded
//! starts lock the user's row (see [`crate::sql`]); runner leases with
//! expiry let several `gridbot serve` processes share one database.
//!
//! Tables live in the connection's `search_path`: to keep several
//! installations (or parallel tests) in one database, put the schema in the
//! URL, e.g. `postgres://u@h/db?options=-c%20search_path%3Dgridbot`.

use gridbot_core::model::{
    AuditEvent, Bot, BotId, BotOrder, BotStats, BotStatus, ClientOrderId, CredentialsRecord, EquitySnapshot,
    FillRecord, IdTag, NewBot, RiskSettings, StrategyTemplate, TemplateId, TimestampMs, User, UserId, UserSummary,
};
use gridbot_core::ports::{BotLimits, BotWrites, BotWritten, Lease};
use gridbot_core::StoreError;

use crate::delegate::delegate_store;
use crate::sql::{Dialect, SqlStore};
use crate::url::DbUrl;

/// Connections per pool.
const POOL_SIZE: u32 = 16;

/// A store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    inner: SqlStore,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://…`) and applies pending migrations.
    pub async fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let store = PostgresStore::connect(url).await?;
        store.inner.migrate_up().await?;
        Ok(store)
    }

    /// Connects without migrating (for `gridbot migrate`).
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        match DbUrl::parse(url)? {
            DbUrl::Postgres(u) => Ok(PostgresStore {
                inner: SqlStore::connect(&u, Dialect::Postgres, POOL_SIZE).await?,
            }),
            _ => Err(StoreError::Database(format!(
                "{url:?} is not a PostgreSQL url: use postgres://user@host:5432/db"
            ))),
        }
    }

    /// The shared SQL store (migrations, pool).
    pub fn sql(&self) -> &SqlStore {
        &self.inner
    }
}

delegate_store!(PostgresStore, inner);
