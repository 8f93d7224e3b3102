//! Migrations by URL, for `gridbot migrate` and tools. Opening a SQL store
//! applies pending migrations by itself; these are the explicit forms.
//! The in-memory store has no schema: every function is a no-op for it.

use gridbot_core::StoreError;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
use crate::sql::SqlStore;
use crate::url::DbUrl;

/// One applied or pending migration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationStatus {
    /// Version (timestamp prefix of the file name).
    pub version: i64,
    /// Description (file name after the version).
    pub description: String,
    /// Whether it is applied.
    pub applied: bool,
}

/// No SQL database in this build: only `memory` is accepted.
#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
#[derive(Debug)]
enum SqlStore {}

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
impl SqlStore {
    async fn migrate_up(&self) -> Result<(), StoreError> {
        match *self {}
    }
    async fn migrate_down_to(&self, _version: i64) -> Result<(), StoreError> {
        match *self {}
    }
    async fn migration_status(&self) -> Result<Vec<MigrationStatus>, StoreError> {
        match *self {}
    }
    async fn close(&self) {
        match *self {}
    }
}

async fn connect(url: &str) -> Result<Option<SqlStore>, StoreError> {
    Ok(match DbUrl::parse(url)? {
        DbUrl::Memory => None,
        #[cfg(feature = "sqlite")]
        DbUrl::Sqlite(_) => Some(crate::SqliteStore::connect(url).await?.sql().clone()),
        #[cfg(feature = "postgres")]
        DbUrl::Postgres(_) => Some(crate::PostgresStore::connect(url).await?.sql().clone()),
        #[allow(unreachable_patterns)]
        other => return Err(other.not_built()),
    })
}

/// Applies every pending migration to the database at `url`.
pub async fn migrate_up(url: &str) -> Result<(), StoreError> {
    if let Some(store) = connect(url).await? {
        store.migrate_up().await?;
        store.close().await;
    }
    Ok(())
}

/// Reverts the newest applied migration of the database at `url`
/// (nothing when none is applied).
pub async fn migrate_down(url: &str) -> Result<(), StoreError> {
    if let Some(store) = connect(url).await? {
        let applied: Vec<i64> = store
            .migration_status()
            .await?
            .into_iter()
            .filter(|m| m.applied)
            .map(|m| m.version)
            .collect();
        if !applied.is_empty() {
            let target = applied.iter().rev().nth(1).copied().unwrap_or(0);
            store.migrate_down_to(target).await?;
        }
        store.close().await;
    }
    Ok(())
}

/// Reverts every applied migration newer than `version` (0 = all of them:
/// every table and its data is dropped).
pub async fn migrate_down_to(url: &str, version: i64) -> Result<(), StoreError> {
    if let Some(store) = connect(url).await? {
        store.migrate_down_to(version).await?;
        store.close().await;
    }
    Ok(())
}

/// Every known migration of the database at `url`, oldest first, with
/// whether it is applied (empty for the in-memory store).
pub async fn migrate_status(url: &str) -> Result<Vec<MigrationStatus>, StoreError> {
    match connect(url).await? {
        Some(store) => {
            let status = store.migration_status().await;
            store.close().await;
            status
        }
        None => Ok(Vec::new()),
    }
}
