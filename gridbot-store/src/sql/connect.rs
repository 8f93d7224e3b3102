//! Opening a pool and running the migrations.
//!
//! SQLite connections run with `journal_mode = WAL` (readers never block the
//! writer), `synchronous = FULL` (a commit is on disk when it returns),
//! `foreign_keys = ON` and `busy_timeout = 10000` ms. An in-memory SQLite
//! database (`sqlite::memory:`) gets a single connection, since each
//! connection would otherwise see its own empty database.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migrate, MigrateError, Migrator};
use sqlx::AnyPool;
use sqlx::Executor;

use gridbot_core::StoreError;

use super::{db_err, Dialect, SqlStore};
use crate::migrate::MigrationStatus;

/// SQLite migrations (`gridbot-store/migrations/sqlite`).
pub(crate) static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
/// PostgreSQL migrations (`gridbot-store/migrations/postgres`).
pub(crate) static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;";

impl Dialect {
    fn migrator(self) -> &'static Migrator {
        match self {
            Dialect::Sqlite => &SQLITE_MIGRATIONS,
            Dialect::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

impl SqlStore {
    /// Connects to `url` without migrating.
    pub(crate) async fn connect(url: &str, dialect: Dialect, max_connections: u32) -> Result<SqlStore, StoreError> {
        sqlx::any::install_default_drivers();
        let in_memory = dialect == Dialect::Sqlite && crate::url::sqlite_file(url).is_none();
        let mut options = AnyPoolOptions::new()
            .max_connections(if in_memory { 1 } else { max_connections })
            .acquire_timeout(Duration::from_secs(30));
        if dialect == Dialect::Sqlite {
            options = options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(SQLITE_PRAGMAS).await?;
                    Ok(())
                })
            });
        }
        let pool: AnyPool = options.connect(url).await.map_err(|e| {
            let hint = match dialect {
                Dialect::Sqlite => {
                    "check the path, that its folder exists and is writable, or add `?mode=rwc` to create it"
                }
                Dialect::Postgres => "check that the server runs and the url's user, host, port and database are right",
            };
            StoreError::Database(format!("cannot open the {dialect} database: {e}; {hint}"))
        })?;
        Ok(SqlStore { pool, dialect })
    }

    /// Applies every pending migration.
    pub async fn migrate_up(&self) -> Result<(), StoreError> {
        self.dialect.migrator().run(&self.pool).await.map_err(migrate_err)
    }

    /// Reverts every applied migration newer than `version` (0 = all),
    /// newest first.
    pub async fn migrate_down_to(&self, version: i64) -> Result<(), StoreError> {
        self.dialect
            .migrator()
            .undo(&self.pool, version)
            .await
            .map_err(migrate_err)
    }

    /// Every known migration, oldest first, with whether it is applied.
    pub async fn migration_status(&self) -> Result<Vec<MigrationStatus>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_err)?;
        conn.ensure_migrations_table().await.map_err(migrate_err)?;
        let applied = conn.list_applied_migrations().await.map_err(migrate_err)?;
        Ok(self
            .dialect
            .migrator()
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .map(|m| MigrationStatus {
                version: m.version,
                description: m.description.to_string(),
                applied: applied.iter().any(|a| a.version == m.version),
            })
            .collect())
    }
}

/// A migration error, saying what to do about it. Each migration runs in
/// its own transaction: a failed one leaves the database at the last one
/// that succeeded.
fn migrate_err(e: MigrateError) -> StoreError {
    let hint = match &e {
        MigrateError::VersionMissing(_) | MigrateError::VersionTooNew(..) => {
            "the database was migrated by a newer gridbot: run that version, or revert with its `gridbot migrate down`"
        }
        MigrateError::VersionMismatch(_) => {
            "a migration file changed after it was applied: use the gridbot release that applied it"
        }
        MigrateError::Dirty(_) => "a migration was left half applied: restore the database from a backup",
        _ => "the database is left at the last migration that succeeded: fix the cause and run `gridbot migrate up`",
    };
    StoreError::Database(format!("migration failed: {e}; {hint}"))
}
