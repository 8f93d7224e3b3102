//! Opening a pool and running the migrations.
//!
//! SQLite connections run with `journal_mode = WAL` (readers never block the
//! writer), `synchronous = FULL` (a commit is on disk when it returns),
//! `foreign_keys = ON` and `busy_timeout = 10000` ms. An in-memory SQLite
//! database (`sqlite::memory:`) gets a single connection, since each
//! connection would otherwise see its own empty database.
//!
//! The paper venue's journal has a pool of its own on a SQLite file
//! ([`VENUE_POOL_SIZE`] connections, the same settings but
//! `synchronous = NORMAL`); see [`crate::sql`]'s docs for why that keeps
//! the venue exact through kill -9 and power loss. PostgreSQL and an
//! in-memory SQLite database use the one pool for everything.

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

/// The venue journal's connections: [`SQLITE_PRAGMAS`] but
/// `synchronous = NORMAL` (a commit is in the WAL, on disk at the next
/// `FULL` commit or checkpoint).
const SQLITE_VENUE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;";

/// Connections of the venue journal's pool on a SQLite file (a venue has
/// one writer; a second connection lets an open read while it appends).
const VENUE_POOL_SIZE: u32 = 2;

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
        let pool = open_pool(
            url,
            dialect,
            if in_memory { 1 } else { max_connections },
            SQLITE_PRAGMAS,
        )
        .await?;
        let venue_pool = if dialect == Dialect::Sqlite && !in_memory {
            open_pool(url, dialect, VENUE_POOL_SIZE, SQLITE_VENUE_PRAGMAS).await?
        } else {
            pool.clone()
        };
        Ok(SqlStore {
            pool,
            venue_pool,
            dialect,
        })
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

/// A pool of up to `size` connections to `url`; SQLite connections run
/// `pragmas` first.
async fn open_pool(url: &str, dialect: Dialect, size: u32, pragmas: &'static str) -> Result<AnyPool, StoreError> {
    let mut options = AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(30));
    if dialect == Dialect::Sqlite {
        options = options.after_connect(move |conn, _meta| {
            Box::pin(async move {
                conn.execute(pragmas).await?;
                Ok(())
            })
        });
    }
    options.connect(url).await.map_err(|e| {
        let hint = match dialect {
            Dialect::Sqlite => {
                "check the path, that its folder exists and is writable, or add `?mode=rwc` to create it"
            }
            Dialect::Postgres => "check that the server runs and the url's user, host, port and database are right",
        };
        StoreError::Database(format!("cannot open the {dialect} database: {e}; {hint}"))
    })
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
