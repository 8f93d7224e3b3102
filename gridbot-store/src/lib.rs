//! # gridbot-store
//!
//! Where gridbot keeps what must survive a restart: users, credentials,
//! strategy templates, bots, their grid orders and fills, equity curves,
//! the advisor cache, audit events and runner leases. Three
//! implementations of the [`Store`] port of `gridbot-core`:
//! [`MemoryStore`] (tests, examples, throw-away runs), [`SqliteStore`]
//! (the embedded default: `gridbot serve` needs no database server) and
//! [`PostgresStore`] (a server with many users and several runner
//! processes), with reversible migrations.
//!
//! ```
//! use gridbot_core::grid::{GridConfig, GridMode, Spacing};
//! use gridbot_core::model::{BotKind, BotSource, ClientOrderId, Fill, FillRecord, Liquidity, NewBot, Side, Symbol};
//! use gridbot_store::{BotLimits, StoreError};
//! use rust_decimal::Decimal;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // `memory` here; a file path, `sqlite://…` or `postgres://…` keeps the data.
//! let store = gridbot_store::open("memory").await?;
//! let alice = store.create_user("alice", "$argon2id$…", 0).await?;
//!
//! // A guarded start checks the bot limit, the symbol and the balance and
//! // inserts the bot in one transaction.
//! let btc = Symbol::new("BTCUSDT")?;
//! let grid = |amount: i64| {
//!     let cfg = GridConfig::new(
//!         btc.clone(), Decimal::from(90_000), Decimal::from(110_000), 20,
//!         Spacing::Arithmetic, GridMode::Neutral, Decimal::from(amount), 3,
//!     );
//!     NewBot::new(alice.id, "BTC grid", BotKind::Grid(cfg), Decimal::from(amount), BotSource::Manual)
//! };
//! let limits = BotLimits { max_active_bots: 5, total_balance: Decimal::from(1_000) };
//! let bot = store.start_bot_guarded(&grid(500), limits, 0).await?;
//! let refused = store.start_bot_guarded(&grid(100), limits, 0).await;
//! assert!(matches!(refused, Err(StoreError::SymbolBusy { .. })));
//!
//! // Fills go in batches, one transaction each; a replayed fill is skipped.
//! let fill = Fill::new(
//!     "trade-1", "order-1", ClientOrderId::grid(bot.id, 3, 0), btc.clone(), Side::Buy,
//!     Decimal::from(99_000), Decimal::new(1, 3), Decimal::new(2, 2), Liquidity::Maker, 1_000,
//! );
//! let batch = [FillRecord { bot_id: bot.id, fill }];
//! assert_eq!(store.insert_fills(&batch).await?, 1);
//! assert_eq!(store.insert_fills(&batch).await?, 0);
//! assert_eq!(store.user_summary(alice.id).await?.active_bots, 1);
//! # Ok(())
//! # }
//! ```
//!
//! ## Guarantees
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
//! - booking is exact: a fill is booked once per bot and fill id, and never
//!   beyond its order's quantity — on both write paths
//!   ([`Store::insert_fills`], [`Store::write_bot`]) the booking rule
//!   (gridbot-core's `check_fill_booking`) refuses the whole call with
//!   [`StoreError::FillRefused`] naming both records;
//! - runner leases are judged by the store's clock (the database's on SQL
//!   stores, [`MemoryStore::with_clock`]'s in memory), carry a fencing
//!   epoch, and [`Store::write_bot`] writes a runner step in one
//!   transaction only while its lease holds ([`StoreError::LeaseLost`]
//!   otherwise, nothing written): a process that lost a bot cannot write
//!   its rows;
//! - the installation tag ([`Store::installation_tag`]) is made once per
//!   database and never changes, whichever process asks first;
//! - money is stored exactly: TEXT holding the decimal in SQLite, NUMERIC in
//!   PostgreSQL, never floating point;
//! - every store is `Send + Sync` (checked at compile time): share one
//!   `Arc<dyn Store>` between tasks and threads.
//!
//! The three implementations pass one conformance suite
//! (`gridbot-store/tests/conformance`). Errors are [`StoreError`]s whose
//! messages say what went wrong and what to do about it.
//!
//! ## Opening a store
//!
//! [`open`] takes a URL:
//!
//! | url | store |
//! |-----|-------|
//! | `memory` | [`MemoryStore`] (nothing survives the process) |
//! | `sqlite://path/to/file.db?mode=rwc`, or a plain file path | [`SqliteStore`] |
//! | `postgres://user@host:5432/db` (`postgresql://` too) | [`PostgresStore`] |
//!
//! Opening a SQL store applies pending migrations; [`migrate_up`] and
//! [`migrate_down`] do it explicitly (`gridbot migrate up|down`).
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
//! ## Decisions worth knowing
//!
//! - Fills are unique per `(bot, exchange fill id)`: exchange fill ids are
//!   unique per account, not across accounts, and a fill books to exactly
//!   one bot through its client order id. Replays insert nothing.
//! - Each bot keeps a `fill_count` column, moved in the same transaction as
//!   the fills it counts, so the summary query never scans fills.
//! - The booking check sums what an order's stored fills booked in Rust,
//!   exactly (SQLite would sum TEXT as floating point), reading only the
//!   fills of orders in the batch (index `fills (bot_id, client_id)`).
//! - A released lease keeps its row and epoch (lapsed), so whoever takes
//!   it next — its old owner too — gets a new epoch and every write under
//!   the old one is refused.
//! - Durability costs one `fsync` per commit on SQLite (`synchronous =
//!   FULL`): write fills and orders in batches (one transaction per call),
//!   not one by one. See [`SqliteStore`] for the figures.
//! - The paper venue's journal (`Store::open_venue`, `Store::append_venue`)
//!   lives in the venue's own tables (`paper_venues`,
//!   `paper_venue_entries`) of the same database; each append is one
//!   transaction fenced by the claim's owner and epoch, checked by the
//!   same rules in every store (`venue.rs`).
//! - Batches are multi-row statements; on SQLite with anonymous (`?`)
//!   parameters, since SQLite looks numbered ones up by a linear scan.
//! - PostgreSQL keeps exact NUMERIC and JSONB columns; the statements read
//!   them back as text so both databases decode through the same code.
//!
//! ## Where to go next
//!
//! - [`Store`]: every method and its contract.
//! - [`sql`]: the shared SQL implementation and how each database
//!   serialises writes; [`SqliteStore`] and [`PostgresStore`] for their
//!   settings (WAL, pools, schemas in the URL).
//! - `gridbot-store/migrations/{sqlite,postgres}`: the schema, one
//!   reversible migration per file, kept alike for both databases.
//! - `gridbot-store/tests`: the conformance suite, the crash test (a writer
//!   killed mid-batch), the guarded-start races across threads and
//!   processes, and two processes racing for a lease
//!   (`tests/lease_processes.rs`).
//! - `benches/store.rs` (`cargo bench --bench store`): insert throughput,
//!   a fenced runner step and the summary query on each database.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod batch;
mod booking;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod delegate;
mod fence;
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
mod venue;

use std::sync::Arc;

/// The database driver, for this crate's own tests and benches that need a
/// raw connection. Hidden and outside the stable API: its types are sqlx's,
/// and a sqlx upgrade changes them.
#[doc(hidden)]
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

// Every store is shared between tasks and threads.
const _: () = {
    const fn send_sync<T: Send + Sync + 'static>() {}
    send_sync::<MemoryStore>();
    send_sync::<Arc<dyn Store>>();
    #[cfg(feature = "sqlite")]
    send_sync::<SqliteStore>();
    #[cfg(feature = "postgres")]
    send_sync::<PostgresStore>();
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    send_sync::<sql::SqlStore>();
};

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
