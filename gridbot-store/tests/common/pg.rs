//! The PostgreSQL schema a test works in.
//!
//! - Name: `t_<created>_<random>`: `<created>` is the server's clock in
//!   unix seconds when the schema was made, `<random>` 16 hex digits.
//! - It goes away when the test finishes ([`PgSchema::finish`]) and when the
//!   test panics or forgets to (the `Drop` guard drops it from a helper
//!   thread with its own runtime).
//! - Leftovers of killed runs: the first schema a test process creates
//!   first sweeps every schema of that shape created more than an hour ago
//!   by the server's clock. No test runs for an hour, so a schema that a
//!   concurrently running test (of this or another process) uses is never
//!   swept; names of any other shape are never touched.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rand::Rng;
use sqlx::{Connection, PgConnection};

/// A schema older than this (seconds) belongs to a run that was killed.
pub const STALE_AFTER_SECS: i64 = 3600;

/// How long a drop waits for locks (a connection still inside a
/// transaction) before leaving the schema to a later sweep.
const DROP_LOCK_TIMEOUT: &str = "5s";

/// A schema of one test in the test PostgreSQL database (see the module docs).
pub struct PgSchema {
    base: String,
    name: String,
    /// URL whose connections use only this schema.
    pub url: String,
    dropped: bool,
}

/// The test database: `GRIDBOT_TEST_POSTGRES_URL`, or the local default.
pub fn base_url() -> String {
    std::env::var("GRIDBOT_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A connection to the test database; `None` (skip, said once on stderr)
/// when no server answers, or a panic when `CI` is set.
pub async fn connect_or_skip(base: &str) -> Option<PgConnection> {
    let why = match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(base)).await {
        Ok(Ok(conn)) => return Some(conn),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "timed out".to_owned(),
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
    None
}

/// The server's clock, unix seconds.
async fn server_now(conn: &mut PgConnection) -> i64 {
    let (now,): (i64,) = sqlx::query_as("SELECT floor(extract(epoch FROM now()))::int8")
        .fetch_one(conn)
        .await
        .unwrap();
    now
}

impl PgSchema {
    /// Creates a fresh schema (sweeping stale ones first, once per
    /// process); `None` when the server is unreachable (see
    /// [`connect_or_skip`]).
    pub async fn create() -> Option<PgSchema> {
        let base = base_url();
        let mut conn = connect_or_skip(&base).await?;
        static SWEPT: AtomicBool = AtomicBool::new(false);
        if !SWEPT.swap(true, Ordering::SeqCst) {
            sweep_stale_schemas(&mut conn).await;
        }
        let now = server_now(&mut conn).await;
        let name = format!("t_{now}_{:016x}", rand::thread_rng().gen::<u64>());
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
        Some(PgSchema {
            base,
            name,
            url,
            dropped: false,
        })
    }

    /// The schema's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The test database's URL (no schema set).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Drops the schema and everything in it (left to a later sweep when
    /// the server does not answer or a lock is held too long).
    pub async fn finish(mut self) {
        drop_schema(&self.base, &self.name).await;
        self.dropped = true;
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        // Usually inside a test's runtime, which must not block on its own
        // futures: a helper thread with a runtime of its own does the drop.
        let (base, name) = (self.base.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                rt.block_on(drop_schema(&base, &name));
            }
        })
        .join();
    }
}

async fn drop_schema(base: &str, name: &str) {
    if let Ok(Ok(mut conn)) = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(base)).await {
        drop_on(&mut conn, name).await;
        let _ = conn.close().await;
    }
}

async fn drop_on(conn: &mut PgConnection, name: &str) {
    let _ = sqlx::query(&format!("SET lock_timeout = '{DROP_LOCK_TIMEOUT}'"))
        .execute(&mut *conn)
        .await;
    let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
        .execute(&mut *conn)
        .await;
}

/// When a schema named by [`PgSchema::create`] was created (server
/// seconds); `None` for every other name.
pub fn created_at(name: &str) -> Option<i64> {
    let (secs, random) = name.strip_prefix("t_")?.split_once('_')?;
    let digits = !secs.is_empty() && secs.bytes().all(|b| b.is_ascii_digit());
    let hex = random.len() == 16 && random.bytes().all(|b| b.is_ascii_hexdigit());
    if digits && hex {
        secs.parse().ok()
    } else {
        None
    }
}

/// Drops every test schema created more than [`STALE_AFTER_SECS`] ago
/// (see the module docs); returns the names it dropped.
pub async fn sweep_stale_schemas(conn: &mut PgConnection) -> Vec<String> {
    let now = server_now(conn).await;
    let names: Vec<(String,)> = sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 't\\_%'")
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_default();
    let mut dropped = Vec::new();
    for (name,) in names {
        if created_at(&name).is_some_and(|at| now - at > STALE_AFTER_SECS) {
            drop_on(conn, &name).await;
            dropped.push(name);
        }
    }
    dropped
}
