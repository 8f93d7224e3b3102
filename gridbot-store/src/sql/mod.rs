//! The SQL store: one implementation of every `Store` method, run on SQLite
//! or PostgreSQL through sqlx's `Any` driver, so both databases execute the
//! same statements and behave identically. What differs lives in
//! [`Dialect`]: column types (exact decimals are TEXT in SQLite and NUMERIC
//! in PostgreSQL; documents TEXT and JSONB), so statements carry markers
//! that render to casts on PostgreSQL, and how a write transaction is
//! serialised.
//!
//! Serialisation of the guarded start (and of every write):
//! - **SQLite**: every write transaction begins with `BEGIN IMMEDIATE`,
//!   taking the database's single write lock before its first read, so the
//!   check-then-insert of a guarded start cannot interleave with another
//!   writer — in this pool, in another pool, or in another process. Waiting
//!   writers queue on `busy_timeout` (10 s). WAL lets readers proceed.
//! - **PostgreSQL**: a guarded start locks the user's row
//!   (`SELECT … FOR UPDATE` on `users`), so starts of one user run one after
//!   the other while other users proceed in parallel; READ COMMITTED then
//!   shows each statement every committed start.
//!
//! In both, the partial unique index `bots_one_active_per_symbol` is the
//! last line of defence for the symbol rule; a violation maps to
//! [`StoreError::SymbolBusy`].

mod bots;
pub(crate) mod codec;
mod connect;

pub use crate::migrate::MigrationStatus;
mod errors;
mod ops;
mod trading;
mod users;

use std::fmt;

use sqlx::AnyPool;
use sqlx::{Any, Transaction};

use gridbot_core::model::UserId;
use gridbot_core::StoreError;

pub(crate) use errors::db_err;

/// The database behind a [`SqlStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite: decimals as TEXT, documents as TEXT, writes `BEGIN IMMEDIATE`.
    Sqlite,
    /// PostgreSQL: decimals NUMERIC, documents JSONB, per-user row locks.
    Postgres,
}

impl Dialect {
    /// Renders a statement: `{n}` becomes a cast to NUMERIC, `{j}` to JSONB,
    /// `{t}` to TEXT and `{i}` to BIGINT (booleans are read as integers) on
    /// PostgreSQL, and nothing on SQLite.
    pub(crate) fn render(self, template: &str) -> String {
        match self {
            Dialect::Sqlite => template
                .replace("{n}", "")
                .replace("{j}", "")
                .replace("{t}", "")
                .replace("{i}", ""),
            Dialect::Postgres => template
                .replace("{n}", "::numeric")
                .replace("{j}", "::jsonb")
                .replace("{t}", "::text")
                .replace("{i}", "::int::int8"),
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        })
    }
}

/// A store on a SQL database (see the module docs). Wrapped by
/// [`crate::SqliteStore`] and [`crate::PostgresStore`].
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    dialect: Dialect,
}

impl SqlStore {
    /// The database this store runs on.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The connection pool, for this crate's own tests and tools. Hidden and
    /// outside the stable API: the type is sqlx's.
    #[doc(hidden)]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A statement rendered for this database.
    fn sql(&self, template: &str) -> String {
        self.dialect.render(template)
    }

    /// Begins a write transaction (SQLite: `BEGIN IMMEDIATE`).
    async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_err),
            Dialect::Postgres => self.pool.begin().await.map_err(db_err),
        }
    }

    /// Serialises a user's guarded starts inside `tx` (PostgreSQL: locks
    /// the user's row; SQLite already holds the write lock) and checks the
    /// user exists.
    async fn lock_user(&self, tx: &mut Transaction<'static, Any>, user_id: UserId) -> Result<(), StoreError> {
        let sql = match self.dialect {
            Dialect::Sqlite => "SELECT id FROM users WHERE id = $1",
            Dialect::Postgres => "SELECT id FROM users WHERE id = $1 FOR UPDATE",
        };
        let found: Option<(i64,)> = sqlx::query_as(sql)
            .bind(user_id.0)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?;
        found
            .map(|_| ())
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_render_to_casts_only_on_postgres() {
        let t = "SELECT allocation{t}, demo{i} FROM bots WHERE allocation = $1{n} AND config = $2{j}";
        assert_eq!(
            Dialect::Sqlite.render(t),
            "SELECT allocation, demo FROM bots WHERE allocation = $1 AND config = $2"
        );
        assert_eq!(
            Dialect::Postgres.render(t),
            "SELECT allocation::text, demo::int::int8 FROM bots WHERE allocation = $1::numeric AND config = $2::jsonb"
        );
    }
}
