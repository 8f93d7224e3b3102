//! # gridbot-store
//!
//! Implementations of [`gridbot_core::ports::Store`]: [`MemoryStore`],
//! [`SqliteStore`] (the embedded default: `gridbot serve` needs no database
//! server) and [`PostgresStore`] (a server with many users, several runner
//! processes), with reversible migrations.
//!
//! Bots, orders and fills are money, so every implementation guarantees:
//! - every call is one transaction: it is all there or absent, also after a
//!   crash (SQLite: WAL with `synchronous = FULL`; PostgreSQL: its own WAL);
//! - the guarded start checks the bot limit, the symbol rule and the balance
//!   and inserts in one serialised transaction (see [`sql`] for how each
//!   database serialises it), backed by a partial unique index on
//!   `(user, symbol)` for bots that hold an allocation;
//! - a bot that holds nothing (`created`, `stopped`) only gets to hold an
//!   allocation again through [`Store::activate_bot_guarded`]:
//!   [`Store::set_bot_status`] refuses that move with
//!   [`StoreError::Conflict`];
//! - money is stored exactly: TEXT holding the decimal in SQLite, NUMERIC in
//!   PostgreSQL, never floating point.
//!
//! The three implementations pass one conformance suite
//! (`gridbot-store/tests/conformance`).
//!
//! Decisions worth knowing:
//! - Fills are unique per `(bot, exchange fill id)`: exchange fill ids are
//!   unique per account, not across accounts, and a fill books to exactly
//!   one bot through its client order id. Replays insert nothing.
//! - Each bot keeps a `fill_count` column, moved in the same transaction as
//!   the fills it counts, so the summary query never scans fills.
//! - Durability costs one `fsync` per commit on SQLite (`synchronous =
//!   FULL`): write fills in batches (one transaction per call), not one by
//!   one. Measured on the project's VM disk (≈ 5 ms per fsync) that caps a
//!   SQLite writer near 20,000 fills/s in batches of 100.
//! - PostgreSQL keeps exact NUMERIC and JSONB columns; the statements read
//!   them back as text so both databases decode through the same code.
//!
//! Open a store from a URL with [`open`]:
//!
//! | url | store |
//! |-----|-------|
//! | `memory` | [`MemoryStore`] (nothing survives the process) |
//! | `sqlite://path/to/file.db?mode=rwc`, or a plain file path | [`SqliteStore`] |
//! | `postgres://user@host:5432/db` (`postgresql://` too) | [`PostgresStore`] |
//!
//! ## Cargo features
//!
//! | feature | default | what it builds |
//! |---------|---------|----------------|
//! | `sqlite` | on | `SqliteStore` (SQLite is compiled in, no system library needed) |
//! | `postgres` | on | `PostgresStore` (a PostgreSQL client; no server at build time) |
//!
//! [`MemoryStore`], [`open`], [`DbUrl`] and the migration functions are in
//! every build. With a database left out (`default-features = false`),
//! [`open`] and the migration functions refuse its URLs with
//! [`StoreError::Database`] naming the feature to enable; nothing panics.
//! An embedder that only needs the file database writes
//! `gridbot-store = { version = "0.1", default-features = false, features = ["sqlite"] }`.
//!
//! Opening a SQL store applies pending migrations; [`migrate_up`] and
//! [`migrate_down`] do it explicitly (`gridbot migrate up|down`).
//!
//! ```
//! # tokio_test_block_on(async {
//! let store = gridbot_store::open("memory").await.unwrap();
//! let user = store.create_user("alice", "$argon2id$...", 0).await.unwrap();
//! assert_eq!(store.user_by_name("alice").await.unwrap(), Some(user));
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
//! # }
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod batch;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod delegate;
mod guard;
mod memory;
mod migrate;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
mod url;

use std::sync::Arc;

/// The database driver, for tools, tests and benches that need a raw connection.
pub use sqlx;

pub use gridbot_core::ports::{BotLimits, Store};
pub use gridbot_core::StoreError;
pub use memory::MemoryStore;
pub use migrate::{migrate_down, migrate_down_to, migrate_status, migrate_up, MigrationStatus};
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use url::DbUrl;

/// Opens the store `url` names (see the crate docs for the forms), applying
/// pending migrations to SQL databases.
///
/// A URL whose database was left out of the build (feature `sqlite` or
/// `postgres` off) is refused with [`StoreError::Database`] naming the
/// feature to enable.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match DbUrl::parse(url)? {
        DbUrl::Memory => Arc::new(MemoryStore::new()),
        #[cfg(feature = "sqlite")]
        DbUrl::Sqlite(u) => Arc::new(SqliteStore::open(&u).await?),
        #[cfg(feature = "postgres")]
        DbUrl::Postgres(u) => Arc::new(PostgresStore::open(&u).await?),
        #[allow(unreachable_patterns)]
        other => return Err(other.not_built()),
    })
}
