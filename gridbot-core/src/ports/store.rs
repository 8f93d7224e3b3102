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
//! - Booking is exact: a fill is booked at most once per bot and exchange
//!   fill id, and never beyond its order's quantity (a fill whose order
//!   record belongs to the bot may bring the order's booked quantity up to,
//!   not past, the order's `qty`): [`StoreError::FillRefused`] otherwise,
//!   and nothing of the call is written.
//! - Runners write through [`Store::write_bot`] only: one transaction per
//!   step, applied only while the writer's [`Lease`] (owner and epoch, a
//!   fencing token) still holds the bot. A process that lost the lease can
//!   neither write the bot's rows nor — since every order is written before
//!   it is sent — trade for it.
//! - Lease expiry is judged by the store's own clock (the database's clock
//!   on SQL stores), never by the caller's, so processes with skewed
//!   clocks agree on who holds a bot.

use async_trait::async_trait;
use rust_decimal::Decimal;

use crate::error::StoreError;
use crate::model::{
    AuditEvent, Bot, BotId, BotKind, BotOrder, BotStats, BotStatus, ClientOrderId, CredentialsRecord, EquitySnapshot,
    Fill, FillRecord, IdTag, NewBot, RiskSettings, StrategyTemplate, TemplateId, TimestampMs, User, UserId,
    UserSummary,
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

/// A runner's hold on one bot: the fencing token every write of the
/// runner carries ([`Store::write_bot`]).
///
/// The epoch moves on whenever the lease changes hands or is taken again
/// after it lapsed (expired or released); renewing a live lease keeps it.
/// So a runner whose lease lapsed — even if its own process takes the bot
/// again — holds a stale epoch and can no longer write.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Lease {
    /// The bot.
    pub bot_id: BotId,
    /// The holder (a runner process's stable name).
    pub owner: String,
    /// The fencing epoch.
    pub epoch: i64,
}

/// The engine state and fill cursor of a bot, saved together.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineSave {
    /// The runner's saved state (engine snapshot and what it needs).
    pub state: serde_json::Value,
    /// The exchange fill cursor up to which the state has booked fills.
    pub fill_cursor: Option<String>,
}

/// A status change a runner asks for, applied only when the bot is in one
/// of `from` (so a runner never overwrites a stop asked meanwhile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The new status.
    pub to: BotStatus,
    /// The message shown with it (an error's reason); `None` clears it.
    pub message: Option<String>,
    /// The statuses the change is allowed from.
    pub from: Vec<BotStatus>,
}

/// Everything one step of a bot's runner writes, in one transaction
/// ([`Store::write_bot`]), in this order: orders, fills, engine state,
/// stats, equity, status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BotWrites {
    /// Order records inserted or replaced by client id (intents are written
    /// here before the orders are sent).
    pub orders: Vec<BotOrder>,
    /// Fills to book to the bot (each at most once, never beyond its order).
    pub fills: Vec<Fill>,
    /// The engine state and fill cursor.
    pub engine: Option<EngineSave>,
    /// The bot's running totals.
    pub stats: Option<BotStats>,
    /// Points of the equity curve.
    pub equity: Vec<EquitySnapshot>,
    /// A status change.
    pub status: Option<StatusChange>,
}

impl BotWrites {
    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
            && self.fills.is_empty()
            && self.engine.is_none()
            && self.stats.is_none()
            && self.equity.is_empty()
            && self.status.is_none()
    }
}

/// What a [`Store::write_bot`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BotWritten {
    /// Fills booked now (the others were booked before).
    pub new_fills: usize,
}

/// The booking rule every store applies to each new fill of `bot`
/// (one rule, one place): the fill may be booked when its order is
/// unknown to the store (an exchange-made fill such as a liquidation: the
/// runner decides whether the bot can explain it), or when `order` is the
/// bot's and `booked` (what earlier fills of it booked) plus the fill stays
/// within the order's quantity. The error names both records.
pub fn check_fill_booking(
    bot: BotId,
    order: Option<&BotOrder>,
    booked: Decimal,
    fill: &Fill,
) -> Result<(), StoreError> {
    let Some(order) = order else {
        return Ok(());
    };
    if order.bot_id != bot {
        return Err(StoreError::FillRefused {
            bot,
            reason: format!(
                "fill {} ({} {} at {}) is of order {}, which belongs to bot {}",
                fill.id,
                fill.side.as_str(),
                fill.qty,
                fill.price,
                order.client_id,
                order.bot_id
            ),
        });
    }
    if fill.qty <= Decimal::ZERO || booked + fill.qty > order.qty {
        return Err(StoreError::FillRefused {
            bot,
            reason: format!(
                "fill {} ({} {} at {}, {}) would book {} of order {} ({} {} at {}, status {}), \
                 which is for {} and has {} booked already",
                fill.id,
                fill.side.as_str(),
                fill.qty,
                fill.price,
                fill.ts,
                booked + fill.qty,
                order.client_id,
                order.side.as_str(),
                order.qty,
                order.price.map_or_else(|| "market".to_owned(), |p| p.to_string()),
                order.status.as_str(),
                order.qty,
                booked
            ),
        });
    }
    Ok(())
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

    // ---- installation --------------------------------------------------------------------

    /// This database's installation tag, part of every client order id its
    /// bots make ([`IdTag`]); made (random) on first use and never changed.
    async fn installation_tag(&self) -> Result<IdTag, StoreError>;

    // ---- runner leases and fenced writes -------------------------------------------------

    /// Takes or renews the lease on a bot for `owner` for `ttl_ms` of the
    /// store's clock. Returns the lease when `owner` holds it afterwards
    /// (it was free, lapsed, or already `owner`'s and live), `None` when
    /// another owner holds a live lease. See [`Lease`] for the epoch.
    async fn acquire_lease(&self, bot_id: BotId, owner: &str, ttl_ms: i64) -> Result<Option<Lease>, StoreError>;
    /// Gives a lease up at once (no-op when it is no longer held with that
    /// epoch); the next taker gets a new epoch.
    async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError>;
    /// Applies one runner step's writes in one transaction, only while
    /// `lease` holds the bot (live, same owner and epoch):
    /// [`StoreError::LeaseLost`] otherwise. Fills already booked are
    /// skipped; a fill beyond its order's quantity, or naming another bot's
    /// order, refuses the whole call with [`StoreError::FillRefused`]; a
    /// status change from a status not in its `from` refuses it with
    /// [`StoreError::Conflict`]. Nothing is written when it fails.
    async fn write_bot(&self, lease: &Lease, writes: &BotWrites, now: TimestampMs) -> Result<BotWritten, StoreError>;

    // ---- the paper venue's journal (see [`crate::ports::VenueLoad`]) -------------------

    /// Claims `venue` for `owner` with a new epoch (fencing every earlier
    /// claim, the same owner's included) and returns what its journal holds:
    /// the latest checkpoint and the entries after it, in order. A venue
    /// never opened before is created empty. Stores that keep no venue
    /// journal answer [`StoreError::Unsupported`] (the default).
    async fn open_venue(&self, venue: &str, owner: &str) -> Result<crate::ports::VenueLoad, StoreError> {
        let _ = (venue, owner);
        Err(StoreError::Unsupported(
            "this store keeps no paper venue journal".to_owned(),
        ))
    }

    /// Appends `entries` (ascending, each above every sequence number
    /// stored for the venue, else [`StoreError::Conflict`]) and, when given,
    /// replaces the checkpoint with `checkpoint` and drops the entries with
    /// a sequence number at or below its own — all in one transaction, and
    /// only while `claim` is the venue's latest claim
    /// ([`StoreError::VenueFenced`] otherwise). Nothing is written when it
    /// fails.
    async fn append_venue(
        &self,
        claim: &crate::ports::VenueClaim,
        entries: &[crate::ports::VenueEntry],
        checkpoint: Option<crate::ports::VenueEntry>,
    ) -> Result<(), StoreError> {
        let _ = (claim, entries, checkpoint);
        Err(StoreError::Unsupported(
            "this store keeps no paper venue journal".to_owned(),
        ))
    }
}
