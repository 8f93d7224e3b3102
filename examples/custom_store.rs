//! Bring your own store: `JournalStore`, written here outside the gridbot
//! crates, implements the [`Store`] trait — it keeps the data in an
//! in-memory store and writes every change, as one JSON line, to an
//! append-only journal (what you would ship to an audit log or a message
//! bus). A grid bot then runs on it for six simulated hours on the paper
//! exchange; at the end the journal is summarised.
//!
//! `cargo run --example custom_store` (no keys; a few seconds). The journal
//! goes to `$TMPDIR/gridbot-journal-<pid>.jsonl`.
//!
//! The rules a store must keep (atomic calls, guarded starts, fills unique
//! per bot and fill id, fenced runner writes, …) are listed on [`Store`];
//! this one inherits them from the store it wraps, and only journals calls
//! that succeeded. The wrapped store runs on the deployment's simulated
//! clock, so runner leases expire in simulated time.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use gridbot::core::clock::{Clock, ManualClock};
use gridbot::core::feed::SimConfig;
use gridbot::core::grid::{GridConfig, GridMode, Spacing};
use gridbot::core::model::{
    AuditEvent, Bot, BotId, BotOrder, BotSource, BotStats, BotStatus, ClientOrderId, CredentialsRecord, EquitySnapshot,
    FillRecord, IdTag, NewBot, RiskSettings, Rounding, StrategyTemplate, Symbol, TemplateId, TimestampMs, User, UserId,
    UserSummary,
};
use gridbot::core::ports::{BotLimits, BotWrites, BotWritten, Lease, Store};
use gridbot::core::StoreError;
use gridbot::store::MemoryStore;
use gridbot::{Decimal, Gridbot};
use serde_json::{json, Value};

/// A store that journals every change (see the module docs).
struct JournalStore {
    data: MemoryStore,
    journal: Mutex<Journal>,
}

struct Journal {
    file: std::fs::File,
    counts: BTreeMap<&'static str, u64>,
}

impl JournalStore {
    /// A journaling store on `clock` (leases expire in its time).
    fn create(path: &PathBuf, clock: Arc<dyn Clock>) -> std::io::Result<Self> {
        Ok(JournalStore {
            data: MemoryStore::with_clock(clock),
            journal: Mutex::new(Journal {
                file: std::fs::File::create(path)?,
                counts: BTreeMap::new(),
            }),
        })
    }

    /// Journals `op` with `detail` when `result` is a success; passes the
    /// result on either way. A journal that cannot be written fails the
    /// call: a change the journal misses would be a silent gap.
    fn record<T>(&self, op: &'static str, detail: Value, result: Result<T, StoreError>) -> Result<T, StoreError> {
        let value = result?;
        let mut j = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        let line = json!({ "op": op, "detail": detail });
        writeln!(j.file, "{line}").map_err(|e| StoreError::Database(format!("journal not written: {e}")))?;
        *j.counts.entry(op).or_default() += 1;
        Ok(value)
    }

    fn counts(&self) -> BTreeMap<&'static str, u64> {
        self.journal.lock().unwrap_or_else(|e| e.into_inner()).counts.clone()
    }
}

#[async_trait]
impl Store for JournalStore {
    async fn create_user(&self, username: &str, password_hash: &str, now: TimestampMs) -> Result<User, StoreError> {
        let r = self.data.create_user(username, password_hash, now).await;
        self.record("create_user", json!({ "username": username }), r)
    }
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.data.user(id).await
    }
    async fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        self.data.user_by_name(username).await
    }
    async fn put_credentials(&self, record: &CredentialsRecord) -> Result<(), StoreError> {
        // Sealed keys never reach the journal: only who changed them.
        let r = self.data.put_credentials(record).await;
        self.record("put_credentials", json!({ "user": record.user_id.0 }), r)
    }
    async fn credentials(&self, user_id: UserId) -> Result<Option<CredentialsRecord>, StoreError> {
        self.data.credentials(user_id).await
    }
    async fn delete_credentials(&self, user_id: UserId) -> Result<(), StoreError> {
        let r = self.data.delete_credentials(user_id).await;
        self.record("delete_credentials", json!({ "user": user_id.0 }), r)
    }
    async fn risk_settings(&self, user_id: UserId) -> Result<RiskSettings, StoreError> {
        self.data.risk_settings(user_id).await
    }
    async fn put_risk_settings(&self, settings: &RiskSettings) -> Result<(), StoreError> {
        let r = self.data.put_risk_settings(settings).await;
        self.record("put_risk_settings", json!(settings), r)
    }
    async fn upsert_template(&self, template: &StrategyTemplate) -> Result<StrategyTemplate, StoreError> {
        let r = self.data.upsert_template(template).await;
        self.record("upsert_template", json!({ "name": template.name }), r)
    }
    async fn templates(&self) -> Result<Vec<StrategyTemplate>, StoreError> {
        self.data.templates().await
    }
    async fn template(&self, id: TemplateId) -> Result<Option<StrategyTemplate>, StoreError> {
        self.data.template(id).await
    }
    async fn create_bot(&self, bot: &NewBot, now: TimestampMs) -> Result<Bot, StoreError> {
        let r = self.data.create_bot(bot, now).await;
        self.record("create_bot", json!({ "name": bot.name, "at": now }), r)
    }
    async fn start_bot_guarded(&self, bot: &NewBot, limits: BotLimits, now: TimestampMs) -> Result<Bot, StoreError> {
        let r = self.data.start_bot_guarded(bot, limits, now).await;
        self.record("start_bot", json!({ "name": bot.name, "at": now }), r)
    }
    async fn activate_bot_guarded(&self, id: BotId, limits: BotLimits, now: TimestampMs) -> Result<Bot, StoreError> {
        let r = self.data.activate_bot_guarded(id, limits, now).await;
        self.record("activate_bot", json!({ "bot": id.0, "at": now }), r)
    }
    async fn bot(&self, id: BotId) -> Result<Option<Bot>, StoreError> {
        self.data.bot(id).await
    }
    async fn bots_for_user(&self, user_id: UserId, status: Option<BotStatus>) -> Result<Vec<Bot>, StoreError> {
        self.data.bots_for_user(user_id, status).await
    }
    async fn user_summary(&self, user_id: UserId) -> Result<UserSummary, StoreError> {
        self.data.user_summary(user_id).await
    }
    async fn bots_with_status(&self, statuses: &[BotStatus]) -> Result<Vec<Bot>, StoreError> {
        self.data.bots_with_status(statuses).await
    }
    async fn set_bot_status(
        &self,
        id: BotId,
        status: BotStatus,
        error: Option<String>,
        now: TimestampMs,
    ) -> Result<(), StoreError> {
        let detail = json!({ "bot": id.0, "status": status, "error": error, "at": now });
        let r = self.data.set_bot_status(id, status, error, now).await;
        self.record("set_bot_status", detail, r)
    }
    async fn update_bot_stats(&self, id: BotId, stats: &BotStats, now: TimestampMs) -> Result<(), StoreError> {
        let r = self.data.update_bot_stats(id, stats, now).await;
        self.record("update_bot_stats", json!({ "bot": id.0, "stats": stats }), r)
    }
    async fn save_engine_state(
        &self,
        id: BotId,
        state: &Value,
        fill_cursor: Option<String>,
        now: TimestampMs,
    ) -> Result<(), StoreError> {
        let detail = json!({ "bot": id.0, "cursor": fill_cursor, "at": now });
        let r = self.data.save_engine_state(id, state, fill_cursor, now).await;
        self.record("save_engine_state", detail, r)
    }
    async fn upsert_orders(&self, orders: &[BotOrder]) -> Result<(), StoreError> {
        let r = self.data.upsert_orders(orders).await;
        self.record("upsert_orders", json!({ "orders": orders.len() }), r)
    }
    async fn orders_for_bot(&self, bot_id: BotId, open_only: bool) -> Result<Vec<BotOrder>, StoreError> {
        self.data.orders_for_bot(bot_id, open_only).await
    }
    async fn order_by_client_id(&self, client_id: &ClientOrderId) -> Result<Option<BotOrder>, StoreError> {
        self.data.order_by_client_id(client_id).await
    }
    async fn insert_fills(&self, fills: &[FillRecord]) -> Result<usize, StoreError> {
        let r = self.data.insert_fills(fills).await;
        let ids: Vec<&str> = fills.iter().map(|f| f.fill.id.as_str()).collect();
        self.record("insert_fills", json!({ "fills": ids }), r)
    }
    async fn fills_for_bot(&self, bot_id: BotId, limit: usize) -> Result<Vec<FillRecord>, StoreError> {
        self.data.fills_for_bot(bot_id, limit).await
    }
    async fn fill_count(&self, bot_id: BotId) -> Result<u64, StoreError> {
        self.data.fill_count(bot_id).await
    }
    async fn insert_equity_snapshots(&self, points: &[EquitySnapshot]) -> Result<(), StoreError> {
        let r = self.data.insert_equity_snapshots(points).await;
        self.record("insert_equity_snapshots", json!({ "points": points.len() }), r)
    }
    async fn equity_curve(&self, bot_id: BotId, limit: usize) -> Result<Vec<EquitySnapshot>, StoreError> {
        self.data.equity_curve(bot_id, limit).await
    }
    async fn cache_get(&self, key: &str, now: TimestampMs) -> Result<Option<Value>, StoreError> {
        self.data.cache_get(key, now).await
    }
    async fn cache_put(&self, key: &str, value: &Value, expires_at: TimestampMs) -> Result<(), StoreError> {
        let r = self.data.cache_put(key, value, expires_at).await;
        self.record("cache_put", json!({ "key": key, "expires_at": expires_at }), r)
    }
    async fn append_event(&self, event: &AuditEvent) -> Result<i64, StoreError> {
        let r = self.data.append_event(event).await;
        self.record("append_event", json!(event), r)
    }
    async fn events_for_user(&self, user_id: UserId, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        self.data.events_for_user(user_id, limit).await
    }
    async fn installation_tag(&self) -> Result<IdTag, StoreError> {
        // Made once on first use, then only read: nothing to journal.
        self.data.installation_tag().await
    }
    async fn acquire_lease(&self, bot_id: BotId, owner: &str, ttl_ms: i64) -> Result<Option<Lease>, StoreError> {
        let r = self.data.acquire_lease(bot_id, owner, ttl_ms).await;
        let epoch = r.as_ref().ok().and_then(|l| l.as_ref().map(|l| l.epoch));
        self.record(
            "acquire_lease",
            json!({ "bot": bot_id.0, "owner": owner, "ttl_ms": ttl_ms, "epoch": epoch }),
            r,
        )
    }
    async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError> {
        let r = self.data.release_lease(lease).await;
        let detail = json!({ "bot": lease.bot_id.0, "owner": lease.owner, "epoch": lease.epoch });
        self.record("release_lease", detail, r)
    }
    async fn write_bot(&self, lease: &Lease, writes: &BotWrites, now: TimestampMs) -> Result<BotWritten, StoreError> {
        // Journaled only once applied: a write refused (lease lost, fill
        // refused, status conflict) changed nothing.
        let r = self.data.write_bot(lease, writes, now).await;
        let detail = json!({
            "bot": lease.bot_id.0,
            "epoch": lease.epoch,
            "orders": writes.orders.len(),
            "fills": writes.fills.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
            "new_fills": r.as_ref().map(|w| w.new_fills).unwrap_or_default(),
            "engine_saved": writes.engine.is_some(),
            "stats": writes.stats,
            "equity_points": writes.equity.len(),
            "status": writes.status.as_ref().map(|c| c.to),
            "at": now,
        });
        self.record("write_bot", detail, r)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::temp_dir().join(format!("gridbot-journal-{}.jsonl", std::process::id()));
    let clock = Arc::new(ManualClock::new(1_735_689_600_000));
    let store = Arc::new(JournalStore::create(&path, clock.clone())?);
    let gridbot = Gridbot::builder()
        .clock(clock.clone())
        .paper(Decimal::from(10_000))
        .sim_market(SimConfig::default().with_symbols(&["ETHUSDT"]).with_history_days(1))
        .step_market_manually()
        .store(store.clone())
        .build()
        .await?;
    let sim = gridbot.sim_market().ok_or("the simulated market is not running")?;

    let user = gridbot.ensure_user("journaled").await?;
    let eth = Symbol::new("ETHUSDT")?;
    let price = gridbot.market().last_price(&eth).await?;
    let rules = &gridbot.instruments()[0];
    let lower = rules.round_price(price * Decimal::new(97, 2), Rounding::Down);
    let upper = rules.round_price(price * Decimal::new(103, 2), Rounding::Up);
    let config = GridConfig::new(
        eth,
        lower,
        upper,
        30,
        Spacing::Arithmetic,
        GridMode::Neutral,
        Decimal::from(1_000),
        3,
    );
    let bot = gridbot.manager().start_grid(user, config, BotSource::Manual).await?;

    for _ in 0..360 {
        clock.set(sim.next_candle_ts() + 60_000);
        let closes: Vec<_> = sim.step()?.into_iter().map(|(s, c)| (s, c.close)).collect();
        gridbot.wait_for_bots(user, &closes, Duration::from_secs(5)).await?;
    }
    let stopped = gridbot.manager().stop_bot(user, bot.id).await?;
    println!(
        "grid bot #{} ran 6 hours on JournalStore: {} fills, {} round trips, PnL {:.4} USDT, now {:?}",
        stopped.id,
        stopped.stats.fills,
        stopped.stats.round_trips,
        stopped.stats.total_pnl(),
        stopped.status
    );
    gridbot.shutdown().await;

    println!("\njournal {} — changes by kind:", path.display());
    for (op, n) in store.counts() {
        println!("  {op:<24} {n:>6}");
    }
    let fills_in_store = store.fill_count(bot.id).await?;
    println!("fills in the store: {fills_in_store} (the same as the bot's stats)");
    Ok(())
}
