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
//! The paper venue's journal (`venue.rs`) is serialised per venue the
//! same way: SQLite by `BEGIN IMMEDIATE`, PostgreSQL by the venue's row
//! (the claim's upsert, the append's `SELECT … FOR UPDATE`), so an append
//! under a claim that a later open replaced is fenced and writes nothing.
//! On a SQLite file it runs on a pool of its own with
//! `synchronous = NORMAL`; `venue.rs` explains why that keeps it exact.
//!
//! In both, the partial unique index `bots_one_active_per_symbol` is the
//! last line of defence for the symbol rule; a violation maps to
//! [`StoreError::SymbolBusy`].
//!
//! Bookings and runner writes:
//! - fills of one bot are booked one transaction at a time (SQLite: the
//!   write lock; PostgreSQL: the bot's row, `FOR NO KEY UPDATE`), so the
//!   booking check of each sees every fill booked before it;
//! - a runner's [`crate::Store::write_bot`] checks its lease inside its
//!   transaction against the database's clock; on PostgreSQL it reads the
//!   lease row `FOR SHARE`, so a take-over waits for the write's commit
//!   and a write waits for a take-over in flight, then sees the new epoch
//!   (see `runner.rs`).
//!
//! Cost of a `write_bot`: one transaction (SQLite: one `fsync`, at the
//! commit) of two reads (lease, bot status) plus, for what the step
//! carries, one multi-row upsert of its orders, three statements for its
//! fills (their order records, what those orders booked — skipped when
//! none is the bot's —, a multi-row insert) and the fill count, one
//! update each for engine state and stats, one multi-row insert of equity
//! points and one status update. Batches above 500 rows take one statement
//! more per 500. `benches/store.rs` measures a step of 100 orders and 100
//! fills (`write_bot_100_orders_100_fills`).

mod bots;
pub(crate) mod codec;
mod connect;

pub use crate::migrate::MigrationStatus;
mod errors;
mod ops;
mod runner;
mod trading;
mod users;
mod venue;

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
    /// PostgreSQL, and nothing on SQLite; `{now}` becomes the database's
    /// clock in ms since the Unix epoch ([`Dialect::now_ms`]).
    pub(crate) fn render(self, template: &str) -> String {
        let rendered = match self {
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
        };
        rendered.replace("{now}", self.now_ms())
    }

    /// The database's own clock, ms since the Unix epoch, as an SQL
    /// expression: what lease expiry is judged by, so processes with
    /// skewed clocks agree. PostgreSQL reads `clock_timestamp()` (the time
    /// of the statement, not of the transaction's start).
    pub(crate) fn now_ms(self) -> &'static str {
        match self {
            Dialect::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
            Dialect::Postgres => "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT",
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
    /// The paper venue journal's connections: a pool of its own on a
    /// SQLite file (`synchronous = NORMAL`, see the module docs), else
    /// `pool`.
    venue_pool: AnyPool,
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

    /// The paper venue journal's pool (the same as [`SqlStore::pool`]
    /// except on a SQLite file), for this crate's own tests. Hidden, like
    /// [`SqlStore::pool`].
    #[doc(hidden)]
    pub fn venue_pool(&self) -> &AnyPool {
        &self.venue_pool
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
        self.venue_pool.close().await;
    }

    /// A statement rendered for this database.
    fn sql(&self, template: &str) -> String {
        self.dialect.render(template)
    }

    /// Begins a write transaction (SQLite: `BEGIN IMMEDIATE`).
    async fn begin_write(&self) -> Result<Transaction<'static, Any>, StoreError> {
        self.begin_write_on(&self.pool).await
    }

    /// Begins a write transaction on a connection of `pool` (SQLite:
    /// `BEGIN IMMEDIATE`).
    async fn begin_write_on(&self, pool: &AnyPool) -> Result<Transaction<'static, Any>, StoreError> {
        match self.dialect {
            Dialect::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await.map_err(db_err),
            Dialect::Postgres => pool.begin().await.map_err(db_err),
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
        assert_eq!(
            Dialect::Sqlite.render("expires_at > {now}"),
            "expires_at > CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
        );
        assert_eq!(
            Dialect::Postgres.render("expires_at > {now}"),
            "expires_at > (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT"
        );
    }
}
