//! Fixtures shared by the store test crates: a fresh store of each kind,
//! and builders for the records the tests write.
//!
//! PostgreSQL tests connect to `GRIDBOT_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) and work in a schema of their
//! own, so they run in parallel; see [`pg`] for its name and how it goes
//! away. Without a reachable server they skip with a message — unless `CI`
//! is set, then they fail.
#![allow(dead_code)] // each test crate uses its own subset

#[cfg(feature = "postgres")]
pub mod pg;
#[cfg(feature = "postgres")]
pub use pg::PgSchema;

use std::sync::Arc;

use gridbot_core::grid::{GridConfig, GridMode, Spacing};
use gridbot_core::model::{
    BotId, BotKind, BotOrder, BotOrderStatus, BotSource, BotStatus, ClientOrderId, Fill, FillRecord, Liquidity, NewBot,
    Side, Symbol, UserId,
};
use gridbot_core::ports::{BotLimits, Store};
use rust_decimal::Decimal;
use tempfile::TempDir;

/// A store under test and what keeps its database alive.
pub struct Fixture {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The URL it was opened from (`None` for memory).
    pub url: Option<String>,
    guard: Guard,
}

enum Guard {
    None,
    Dir(TempDir),
    #[cfg(feature = "postgres")]
    Pg(PgSchema),
}

impl Fixture {
    /// Releases the database (drops the PostgreSQL schema; dropping the
    /// fixture without this does too, from a helper thread).
    pub async fn finish(self) {
        drop(self.store);
        match self.guard {
            #[cfg(feature = "postgres")]
            Guard::Pg(schema) => schema.finish().await,
            Guard::Dir(dir) => drop(dir),
            Guard::None => {}
        }
    }
}

/// A fresh in-memory store.
pub async fn memory() -> Option<Fixture> {
    Some(Fixture {
        store: gridbot_store::open("memory").await.unwrap(),
        url: None,
        guard: Guard::None,
    })
}

/// The URL of SQLite file `name` in `dir`, created on first open.
pub fn sqlite_url(dir: &TempDir, name: &str) -> String {
    format!("sqlite://{}?mode=rwc", dir.path().join(name).display())
}

/// A fresh SQLite store in a temporary file.
pub async fn sqlite() -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "store.db");
    Some(Fixture {
        store: gridbot_store::open(&url).await.unwrap(),
        url: Some(url),
        guard: Guard::Dir(dir),
    })
}

#[cfg(feature = "postgres")]
/// A fresh PostgreSQL store in its own schema, or `None` (skip) when no
/// server answers and `CI` is not set.
pub async fn postgres() -> Option<Fixture> {
    let schema = PgSchema::create().await?;
    let url = schema.url.clone();
    Some(Fixture {
        store: gridbot_store::open(&url).await.unwrap(),
        url: Some(url),
        guard: Guard::Pg(schema),
    })
}

/// A multi-threaded runtime (2 workers) for tests that drive processes
/// and so cannot be `#[tokio::test]`s.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// This test binary again, running only its test `test`: the child
/// process of a multi-process test (the caller adds the environment that
/// tells the child what to do and pipes what it needs).
pub fn rerun_test(test: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", test, "--nocapture", "--test-threads=1"]);
    cmd
}

/// A new user `name` with a running grid bot on `symbol` (started through
/// the guarded start).
pub async fn running_bot(store: &dyn Store, name: &str, symbol: &str) -> BotId {
    let u = store.create_user(name, "h", 0).await.unwrap();
    let bot = store
        .start_bot_guarded(&grid_bot(u.id, symbol, d("100")), limits(5, "1000"), 1)
        .await
        .unwrap();
    store.set_bot_status(bot.id, BotStatus::Running, None, 2).await.unwrap();
    bot.id
}

/// `n` as an exact decimal (`"12.5"`).
pub fn d(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

/// A symbol.
pub fn sym(s: &str) -> Symbol {
    Symbol::new(s).unwrap()
}

/// A neutral arithmetic grid on `symbol` with `amount` allocated.
pub fn grid_bot(user: UserId, symbol: &str, amount: Decimal) -> NewBot {
    let cfg = GridConfig::new(
        sym(symbol),
        d("90"),
        d("110"),
        10,
        Spacing::Arithmetic,
        GridMode::Neutral,
        amount,
        3,
    );
    NewBot::new(
        user,
        format!("grid {symbol}"),
        BotKind::Grid(cfg),
        amount,
        BotSource::Manual,
    )
}

/// Limits with `max` bots and `balance` USDT.
pub fn limits(max: u32, balance: &str) -> BotLimits {
    BotLimits {
        max_active_bots: max,
        total_balance: d(balance),
    }
}

/// A fill `id` of `bot` at `ts`.
pub fn fill(bot: BotId, id: &str, ts: i64) -> FillRecord {
    let f = Fill::new(
        id,
        format!("o-{id}"),
        ClientOrderId::grid(bot, 1, 0),
        sym("BTCUSDT"),
        Side::Buy,
        d("100.5"),
        d("0.001"),
        d("0.00002"),
        Liquidity::Maker,
        ts,
    );
    FillRecord { bot_id: bot, fill: f }
}

/// An order of `bot` with client id `id`.
pub fn order(bot: BotId, id: &str, status: BotOrderStatus, now: i64) -> BotOrder {
    BotOrder::new(
        ClientOrderId::new(id),
        bot,
        Some(3),
        Side::Sell,
        Some(d("101.25")),
        d("0.5"),
        status,
        now,
    )
}
