//! The `Store` port: persistence of everything that is money or must
//! survive a restart.
//!
//! Contract every implementation honours (proven by gridbot-store's
//! conformance suite):
//! - Each call is atomic: it happens completely or not at all.
//! - [`Store::start_bot_guarded`] / [`Store::activate_bot_guarded`] check the
//!   bot limit, the symbol rule and the balance and write in one
//!   transaction, so two concurrent starts can never both pass.
//! - Fills are unique by exchange fill id: inserting one again is a no-op.
//!   The key is scoped to the bot (exchange fill ids are unique per account,
//!   not across accounts; a fill books to one bot through its client id).
//! - Orders are unique by client order id: upserting replaces the record.
//! - A bot holding nothing (`Created`, `Stopped`) comes to hold an
//!   allocation only through a guarded start: [`Store::set_bot_status`]
//!   refuses that move with [`StoreError::Conflict`].

use async_trait::async_trait;
use rust_decimal::Decimal;

use crate::error::StoreError;
use crate::model::{
    AuditEvent, Bot, BotId, BotKind, BotOrder, BotStats, BotStatus, ClientOrderId, CredentialsRecord, EquitySnapshot,
    FillRecord, NewBot, RiskSettings, StrategyTemplate, TemplateId, TimestampMs, User, UserId, UserSummary,
};

/// The rules a guarded start checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BotLimits {
    /// Most bots holding an allocation per user (5).
    pub max_active_bots: u32,
    /// The account's total balance (exchange equity, USDT): the sum of
    /// allocations of bots holding one, plus the new amount, may not exceed it.
    pub total_balance: Decimal,
}

impl BotLimits {
    /// The guarded-start rule, checked in this order (the first broken one
    /// is reported): fewer than `max_active_bots` of the user's bots hold an
    /// allocation; none of them trades `symbol`; their allocations plus
    /// `amount` do not exceed `total_balance`. `holders` are the user's bots
    /// that hold an allocation, as (symbol, allocation).
    ///
    /// Every store calls this inside its transaction, and the manager's
    /// preflight ([`crate::manager::MultiBotManager::preflight`]) calls it to
    /// answer "would this start pass?" without writing: one rule, one place.
    pub fn check<'a>(
        &self,
        holders: impl IntoIterator<Item = (&'a str, Decimal)>,
        symbol: &str,
        amount: Decimal,
    ) -> Result<(), StoreError> {
        let mut active = 0u32;
        let mut busy = false;
        let mut used = Decimal::ZERO;
        for (s, allocation) in holders {
            active = active.saturating_add(1);
            busy |= s == symbol;
            used += allocation;
        }
        if active >= self.max_active_bots {
            return Err(StoreError::BotLimitReached {
                active,
                max: self.max_active_bots,
            });
        }
        if busy {
            return Err(StoreError::SymbolBusy {
                symbol: symbol.to_owned(),
            });
        }
        if used + amount > self.total_balance {
            return Err(StoreError::InsufficientBalance {
                available: (self.total_balance - used).max(Decimal::ZERO),
                requested: amount,
            });
        }
        Ok(())
    }
}

/// Persistence.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Store: Send + Sync {
    // ---- users -------------------------------------------------------------

    /// Creates a user; [`StoreError::Conflict`] when the name is taken.
    async fn create_user(&self, username: &str, password_hash: &str, now: TimestampMs) -> Result<User, StoreError>;
    /// A user by id.
    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// A user by login name.
    async fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError>;

    // ---- credentials and risk settings ----------------------------------------

    /// Saves (replaces) a user's encrypted exchange credentials.
    async fn put_credentials(&self, record: &CredentialsRecord) -> Result<(), StoreError>;
    /// A user's encrypted exchange credentials.
    async fn credentials(&self, user_id: UserId) -> Result<Option<CredentialsRecord>, StoreError>;
    /// Deletes a user's credentials (no error when there are none).
    async fn delete_credentials(&self, user_id: UserId) -> Result<(), StoreError>;
    /// A user's risk settings ([`RiskSettings::default_for`] when never set).
    async fn risk_settings(&self, user_id: UserId) -> Result<RiskSettings, StoreError>;
    /// Saves a user's risk settings.
    async fn put_risk_settings(&self, settings: &RiskSettings) -> Result<(), StoreError>;

    // ---- strategy templates ---------------------------------------------------

    /// Inserts (id 0) or replaces a template; returns it with its id.
    async fn upsert_template(&self, template: &StrategyTemplate) -> Result<StrategyTemplate, StoreError>;
    /// Every template, by id.
    async fn templates(&self) -> Result<Vec<StrategyTemplate>, StoreError>;
    /// One template.
    async fn template(&self, id: TemplateId) -> Result<Option<StrategyTemplate>, StoreError>;

    // ---- bots -----------------------------------------------------------------

    /// Inserts a bot in `Created` status (holds nothing).
    async fn create_bot(&self, bot: &NewBot, now: TimestampMs) -> Result<Bot, StoreError>;
    /// In one transaction: refuses with [`StoreError::BotLimitReached`],
    /// [`StoreError::SymbolBusy`] or [`StoreError::InsufficientBalance`], or
    /// inserts the bot in `Starting` status.
    async fn start_bot_guarded(&self, bot: &NewBot, limits: BotLimits, now: TimestampMs) -> Result<Bot, StoreError>;
    /// In one transaction: the same checks for an existing `Created` or
    /// `Stopped` bot (with its own allocation), then moves it to `Starting`.
    async fn activate_bot_guarded(&self, id: BotId, limits: BotLimits, now: TimestampMs) -> Result<Bot, StoreError>;
    /// One bot.
    async fn bot(&self, id: BotId) -> Result<Option<Bot>, StoreError>;
    /// A user's bots, newest first, optionally only those in `status`.
    async fn bots_for_user(&self, user_id: UserId, status: Option<BotStatus>) -> Result<Vec<Bot>, StoreError>;
    /// A user's bots (newest first) with fill and open-order counts and the
    /// PnL / allocation totals the API's summary shows.
    async fn user_summary(&self, user_id: UserId) -> Result<UserSummary, StoreError>;
    /// Every bot in one of `statuses` (for resuming after a restart).
    async fn bots_with_status(&self, statuses: &[BotStatus]) -> Result<Vec<Bot>, StoreError>;
    /// Sets a bot's status and error message (stamping `stopped_at` on `Stopped`).
    async fn set_bot_status(
        &self,
        id: BotId,
        status: BotStatus,
        error: Option<String>,
        now: TimestampMs,
    ) -> Result<(), StoreError>;
    /// Deletes a bot that was created and never started (status
    /// `Created`: it holds nothing and has no orders or fills). Refuses any
    /// other status with [`StoreError::Conflict`]; an unknown id is
    /// [`StoreError::NotFound`].
    ///
    /// The default answers [`StoreError::Conflict`] saying the store cannot
    /// delete bots, so stores written before this method keep compiling;
    /// every store of gridbot-store implements it.
    async fn delete_created_bot(&self, id: BotId) -> Result<(), StoreError> {
        Err(StoreError::Conflict(format!(
            "bot {id}: this store cannot delete bots; stop using it or upgrade it"
        )))
    }
    /// Replaces a bot's settings (`kind`) keeping its symbol and kind: the
    /// stored settings are the source of truth a restored engine takes its
    /// controls from (see [`crate::engine::grid`], "edit"). Refuses a change
    /// of symbol or of kind with [`StoreError::Conflict`]; an unknown id is
    /// [`StoreError::NotFound`].
    ///
    /// The default answers [`StoreError::Conflict`] (see
    /// [`Store::delete_created_bot`]).
    async fn update_bot_config(&self, id: BotId, kind: &BotKind, now: TimestampMs) -> Result<(), StoreError> {
        let _ = (kind, now);
        Err(StoreError::Conflict(format!(
            "bot {id}: this store cannot change a bot's settings; upgrade it"
        )))
    }
    /// Saves a bot's running totals.
    async fn update_bot_stats(&self, id: BotId, stats: &BotStats, now: TimestampMs) -> Result<(), StoreError>;
    /// Saves a bot's engine state and fill cursor together.
    async fn save_engine_state(
        &self,
        id: BotId,
        state: &serde_json::Value,
        fill_cursor: Option<String>,
        now: TimestampMs,
    ) -> Result<(), StoreError>;

    // ---- orders and fills -------------------------------------------------------

    /// Inserts or replaces orders by client id, all in one transaction.
    async fn upsert_orders(&self, orders: &[BotOrder]) -> Result<(), StoreError>;
    /// A bot's orders, oldest first; only intended/open ones when `open_only`.
    async fn orders_for_bot(&self, bot_id: BotId, open_only: bool) -> Result<Vec<BotOrder>, StoreError>;
    /// One order by client id.
    async fn order_by_client_id(&self, client_id: &ClientOrderId) -> Result<Option<BotOrder>, StoreError>;
    /// Inserts fills in one transaction, skipping those whose fill id exists.
    /// Returns how many were new.
    async fn insert_fills(&self, fills: &[FillRecord]) -> Result<usize, StoreError>;
    /// A bot's fills, oldest first, at most `limit` of the newest.
    async fn fills_for_bot(&self, bot_id: BotId, limit: usize) -> Result<Vec<FillRecord>, StoreError>;
    /// How many fills a bot has.
    async fn fill_count(&self, bot_id: BotId) -> Result<u64, StoreError>;

    // ---- equity curve -------------------------------------------------------------

    /// Appends equity snapshots in one transaction.
    async fn insert_equity_snapshots(&self, points: &[EquitySnapshot]) -> Result<(), StoreError>;
    /// A bot's equity curve, oldest first, at most `limit` of the newest points.
    async fn equity_curve(&self, bot_id: BotId, limit: usize) -> Result<Vec<EquitySnapshot>, StoreError>;

    // ---- advisor cache --------------------------------------------------------------

    /// A cached advisor answer under `key`, if it has not expired at `now`.
    async fn cache_get(&self, key: &str, now: TimestampMs) -> Result<Option<serde_json::Value>, StoreError>;
    /// Caches an advisor answer until `expires_at`.
    async fn cache_put(&self, key: &str, value: &serde_json::Value, expires_at: TimestampMs) -> Result<(), StoreError>;

    // ---- audit log --------------------------------------------------------------------

    /// Appends to the audit log; returns the event's id.
    async fn append_event(&self, event: &AuditEvent) -> Result<i64, StoreError>;
    /// A user's newest events first, at most `limit`.
    async fn events_for_user(&self, user_id: UserId, limit: usize) -> Result<Vec<AuditEvent>, StoreError>;

    // ---- runner leases ------------------------------------------------------------------

    /// Takes or renews the lease on a bot for `owner` until `now + ttl_ms`.
    /// True when `owner` holds it afterwards (free, expired, or already its own).
    async fn acquire_lease(
        &self,
        bot_id: BotId,
        owner: &str,
        now: TimestampMs,
        ttl_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Releases `owner`'s lease on a bot (no-op if another owner holds it).
    async fn release_lease(&self, bot_id: BotId, owner: &str) -> Result<(), StoreError>;
}
