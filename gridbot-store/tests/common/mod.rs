//! Fixtures shared by the store test crates: a fresh store of each kind,
//! and builders for the records the tests write.
//!
//! PostgreSQL tests connect to `GRIDBOT_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) and work in a schema of their
//! own (`t_<random>`, dropped at the end), so they run in parallel. Without a
//! reachable server they skip with a message — unless `CI` is set, then
//! they fail.
#![allow(dead_code)] // each test crate uses its own subset

use std::sync::Arc;
#[cfg(feature = "postgres")]
use std::time::Duration;

use gridbot_core::grid::{GridConfig, GridMode, Spacing};
use gridbot_core::model::{
    BotId, BotKind, BotOrder, BotOrderStatus, BotSource, ClientOrderId, Fill, FillRecord, Liquidity, NewBot, Side,
    Symbol, UserId,
};
use gridbot_core::ports::{BotLimits, Store};
#[cfg(feature = "postgres")]
use rand::Rng;
use rust_decimal::Decimal;
#[cfg(feature = "postgres")]
use sqlx::Connection;
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
    /// Releases the database (drops the PostgreSQL schema).
    pub async fn finish(self) {
        drop(self.store);
        match self.guard {
            #[cfg(feature = "postgres")]
            Guard::Pg(schema) => schema.drop().await,
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

/// A fresh SQLite store in a temporary file.
pub async fn sqlite() -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("store.db").display());
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

/// A schema of one test in the test PostgreSQL database.
#[cfg(feature = "postgres")]
pub struct PgSchema {
    base: String,
    name: String,
    /// URL whose connections use only this schema.
    pub url: String,
}

#[cfg(feature = "postgres")]
impl PgSchema {
    /// Creates `t_<random>`; `None` when the server is unreachable (see module docs).
    pub async fn create() -> Option<PgSchema> {
        let base = std::env::var("GRIDBOT_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let connect = tokio::time::timeout(Duration::from_secs(5), sqlx::PgConnection::connect(&base)).await;
        let mut conn = match connect {
            Ok(Ok(c)) => c,
            other => {
                let why = match other {
                    Ok(Err(e)) => e.to_string(),
                    _ => "timed out".to_owned(),
                };
                if std::env::var_os("CI").is_some() {
                    panic!("PostgreSQL at {base} is required when CI is set: {why}");
                }
                // Written to the real stderr (not the captured one), once per test binary.
                static SKIP_NOTICE: std::sync::Once = std::sync::Once::new();
                SKIP_NOTICE.call_once(|| {
                    use std::io::Write;
                    let _ = writeln!(
                        std::io::stderr(),
                        "skipping PostgreSQL tests: no server at {base} ({why}); set GRIDBOT_TEST_POSTGRES_URL"
                    );
                });
                return None;
            }
        };
        let name = format!("t_{:016x}", rand::thread_rng().gen::<u64>());
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
        Some(PgSchema { base, name, url })
    }

    /// Drops the schema and everything in it.
    pub async fn drop(self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.base).await {
            let _ = sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name))
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        }
    }
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
