//! The multi-bot manager: the API the HTTP layer and the library facade call
//! to start, stop, list and inspect a user's bots.
//!
//! Rules it enforces, in this order, before anything is written:
//! 1. a template must exist ([`ManagerError::TemplateNotFound`]) and be
//!    active ([`ManagerError::TemplateInactive`]);
//! 2. the amount (rounded down to cents) must be within
//!    [`MIN_AMOUNT`]..=[`MAX_AMOUNT`] and within the template's
//!    min/max ([`ManagerError::AmountOutOfRange`]);
//! 3. risk: leverage cap, daily loss limit, open positions ([`crate::risk`]);
//! 4. the settings must make a valid engine for the instrument.
//!
//! Then the store's guarded start checks the bot limit ([`MAX_ACTIVE_BOTS`]),
//! the one-bot-per-symbol rule and `used + amount ≤ equity` *and* writes the
//! bot in one transaction: two concurrent starts can never both pass, across
//! processes too. The manager holds no lock of its own for that.
//!
//! Runners are started and stopped through a [`BotLauncher`]; status and
//! stats changes are published on an [`EventBus`] ([`MultiBotManager::subscribe`]).

mod error;
mod lifecycle;
mod views;

use std::sync::Arc;

use rust_decimal::Decimal;

pub use error::ManagerError;
pub use lifecycle::{GridControls, Preflight, StartLimits, StartPlan};
pub use views::{apr_pct, roi_pct, AccountSummary, BotDetail, PositionView};

// The manager's collaborators live where they belong (the event bus in
// `events`, the account port in `ports`, the runners' launcher in
// `runner`); re-exported here for code that drives the manager.
pub use crate::events::{BotEvent, BotEvents, EventBus, EventsError, EVENT_CAPACITY};
pub use crate::ports::{ExchangeMap, ExchangeProvider, SharedExchange};
pub use crate::runner::BotLauncher;

use crate::balance::{used_amount, BalanceCheck, Investment};
use crate::clock::Clock;
use crate::engine::build_engine;
use crate::grid::GridConfig;
use crate::model::{
    AuditEvent, Bot, BotId, BotKind, BotSource, BotStatus, NewBot, StrategyTemplate, TemplateId, UserId,
};
use crate::ports::{BotLimits, Exchange, Store};
use crate::risk;
use crate::runner::BotLocks;
use crate::templates::sort_for_listing;

/// Most bots holding an allocation per user.
pub const MAX_ACTIVE_BOTS: u32 = 5;
/// Smallest amount a bot may be started with, USDT.
pub const MIN_AMOUNT: Decimal = Decimal::TEN;
/// Largest amount a bot may be started with, USDT.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(100_000, 0, 0, false, 0);

/// Starts, stops, lists and summarises users' bots.
pub struct MultiBotManager {
    store: Arc<dyn Store>,
    exchanges: Arc<dyn ExchangeProvider>,
    launcher: Arc<dyn BotLauncher>,
    clock: Arc<dyn Clock>,
    events: EventBus,
    /// One start, stop or resume of a bot at a time (a stop that arrives
    /// while a start is in progress waits for it, then stops the bot).
    locks: BotLocks,
}

impl MultiBotManager {
    /// A manager over the store, the users' exchange accounts and the runners.
    /// `events` is the bus the runners publish on too.
    pub fn new(
        store: Arc<dyn Store>,
        exchanges: Arc<dyn ExchangeProvider>,
        launcher: Arc<dyn BotLauncher>,
        clock: Arc<dyn Clock>,
        events: EventBus,
    ) -> Self {
        MultiBotManager {
            store,
            exchanges,
            launcher,
            clock,
            events,
            locks: BotLocks::new(),
        }
    }

    /// Bot status and stats changes from now on.
    pub fn subscribe(&self) -> BotEvents {
        self.events.subscribe()
    }

    /// Every strategy template, active first, featured first.
    pub async fn templates(&self) -> Result<Vec<StrategyTemplate>, ManagerError> {
        let mut t = self.store.templates().await?;
        sort_for_listing(&mut t);
        Ok(t)
    }

    /// Starts a trend bot from a template with `amount` (USDT or a
    /// percentage of the available balance).
    pub async fn start_from_template(
        &self,
        user: UserId,
        template_id: TemplateId,
        amount: Investment,
    ) -> Result<Bot, ManagerError> {
        let template = self
            .store
            .template(template_id)
            .await?
            .ok_or(ManagerError::TemplateNotFound(template_id))?;
        if !template.is_active {
            return Err(ManagerError::TemplateInactive { name: template.name });
        }
        let exchange = self.exchanges.exchange_for(user).await?;
        let total = exchange.balance().await?.equity;
        let bots = self.store.bots_for_user(user, None).await?;
        let amount = amount.resolve(total - used_amount(&bots))?;
        check_amount(amount, template.min_investment, template.max_investment)?;
        let kind = BotKind::Trend(template.trend_config(amount));
        self.check_risk(user, &kind, &bots).await?;
        self.check_engine(&*exchange, &kind).await?;
        let name = template.name.clone();
        let new = NewBot::new(user, name, kind, amount, BotSource::Template(template_id));
        let limits = BotLimits {
            max_active_bots: MAX_ACTIVE_BOTS,
            total_balance: total,
        };
        let bot = self.store.start_bot_guarded(&new, limits, self.clock.now_ms()).await?;
        self.audit(
            &bot,
            "bot.started",
            format!("started from template {template_id} with {amount:.2} USDT"),
        )
        .await;
        self.launch(bot).await
    }

    /// Saves a grid bot without starting it (status `created`, holds nothing).
    pub async fn create_grid(&self, user: UserId, config: GridConfig, source: BotSource) -> Result<Bot, ManagerError> {
        let mut config = config;
        config.investment = crate::balance::round_to_cents(config.investment);
        check_amount(config.investment, MIN_AMOUNT, MAX_AMOUNT)?;
        let amount = config.investment;
        let name = format!("{} {} grid", config.symbol.base(), config.mode.as_str());
        let kind = BotKind::Grid(config);
        let settings = self.store.risk_settings(user).await?;
        risk::check_leverage(&settings, kind.leverage())?;
        let exchange = self.exchanges.exchange_for(user).await?;
        self.check_engine(&*exchange, &kind).await?;
        let bot = self
            .store
            .create_bot(&NewBot::new(user, name, kind, amount, source), self.clock.now_ms())
            .await?;
        self.audit(&bot, "bot.created", format!("grid bot created with {amount:.2} USDT"))
            .await;
        Ok(bot)
    }

    /// Creates a grid bot and starts it.
    pub async fn start_grid(&self, user: UserId, config: GridConfig, source: BotSource) -> Result<Bot, ManagerError> {
        let bot = self.create_grid(user, config, source).await?;
        self.start_bot(user, bot.id).await
    }

    /// Starts a `created` or `stopped` bot with its own allocation.
    pub async fn start_bot(&self, user: UserId, bot_id: BotId) -> Result<Bot, ManagerError> {
        let _one_at_a_time = self.locks.lock(bot_id).await;
        let bot = self.owned_bot(user, bot_id).await?;
        if bot.status.holds_allocation() {
            return Err(ManagerError::invalid_state(bot_id, bot.status, "start it"));
        }
        check_amount(bot.allocation, MIN_AMOUNT, MAX_AMOUNT)?;
        let bots = self.store.bots_for_user(user, None).await?;
        self.check_risk(user, &bot.kind, &bots).await?;
        let exchange = self.exchanges.exchange_for(user).await?;
        self.check_engine(&*exchange, &bot.kind).await?;
        let limits = BotLimits {
            max_active_bots: MAX_ACTIVE_BOTS,
            total_balance: exchange.balance().await?.equity,
        };
        let bot = self
            .store
            .activate_bot_guarded(bot_id, limits, self.clock.now_ms())
            .await?;
        self.audit(&bot, "bot.started", format!("started with {:.2} USDT", bot.allocation))
            .await;
        self.launch(bot).await
    }

    /// Resumes a `paused` or `error` bot (its allocation is still held);
    /// refused while the user's daily loss limit is reached. The runner
    /// starts it again: a grid that closed its position on pause is rebuilt
    /// from the current price, one that kept it puts every cell's order back
    /// where it was; a trend bot manages a kept position again and waits for
    /// its next signal (see [`crate::engine::grid`] and
    /// [`crate::engine::trend`], "pause").
    pub async fn resume_bot(&self, user: UserId, bot_id: BotId) -> Result<Bot, ManagerError> {
        let _one_at_a_time = self.locks.lock(bot_id).await;
        let bot = self.owned_bot(user, bot_id).await?;
        if !matches!(bot.status, BotStatus::Paused | BotStatus::Error) {
            return Err(ManagerError::invalid_state(bot_id, bot.status, "resume it"));
        }
        let settings = self.store.risk_settings(user).await?;
        let today = risk::daily_pnl_from_store(&*self.store, user, self.clock.now_ms()).await?;
        risk::check_daily_loss(&settings, today)?;
        self.set_status(&bot, BotStatus::Starting, None).await?;
        self.audit(&bot, "bot.resumed", "resumed by the user".to_owned()).await;
        let bot = self.owned_bot(user, bot_id).await?;
        self.launch(bot).await
    }

    /// Stops a bot: cancels its orders, closes its position, books the PnL.
    /// Returns the bot as stopped.
    pub async fn stop_bot(&self, user: UserId, bot_id: BotId) -> Result<Bot, ManagerError> {
        let _one_at_a_time = self.locks.lock(bot_id).await;
        let bot = self.owned_bot(user, bot_id).await?;
        if bot.status == BotStatus::Stopped {
            // Stopped already (by a stop this one waited for): nothing to do.
            return Ok(bot);
        }
        if !bot.status.holds_allocation() {
            return Err(ManagerError::invalid_state(bot_id, bot.status, "stop it"));
        }
        self.audit(&bot, "bot.stop_requested", "stop requested by the user".to_owned())
            .await;
        self.launcher.stop(bot).await?;
        self.owned_bot(user, bot_id).await
    }

    /// The user's bots, newest first, optionally only those in `status`.
    pub async fn list_bots(&self, user: UserId, status: Option<BotStatus>) -> Result<Vec<Bot>, ManagerError> {
        Ok(self.store.bots_for_user(user, status).await?)
    }

    /// One bot with win rate, ROI, APR and current position.
    pub async fn bot_detail(&self, user: UserId, bot_id: BotId) -> Result<BotDetail, ManagerError> {
        let bot = self.owned_bot(user, bot_id).await?;
        let open = self.store.orders_for_bot(bot_id, true).await?.len();
        Ok(BotDetail::new(bot, open, self.clock.now_ms()))
    }

    /// Balance, allocations, PnL totals and the bots of a user.
    pub async fn summary(&self, user: UserId) -> Result<AccountSummary, ManagerError> {
        let exchange = self.exchanges.exchange_for(user).await?;
        let total = exchange.balance().await?.equity;
        let bots = self.store.bots_for_user(user, None).await?;
        let used = used_amount(&bots);
        let active = bots.iter().filter(|b| b.status.holds_allocation()).count();
        let total_pnl: Decimal = bots.iter().map(|b| b.stats.total_pnl()).sum();
        let now = self.clock.now_ms();
        let mut details = Vec::with_capacity(bots.len());
        for b in bots {
            let open = if b.status.holds_allocation() {
                self.store.orders_for_bot(b.id, true).await?.len()
            } else {
                0
            };
            details.push(BotDetail::new(b, open, now));
        }
        Ok(AccountSummary {
            total_balance: total,
            used_amount: used,
            available_amount: (total - used).max(Decimal::ZERO),
            active_bot_count: u32::try_from(active).unwrap_or(u32::MAX),
            max_bot_count: MAX_ACTIVE_BOTS,
            total_pnl,
            total_pnl_percent: roi_pct(total_pnl, used),
            bots: details,
        })
    }

    /// Whether `amount` could be allocated now, with the figures behind it.
    pub async fn balance_check(&self, user: UserId, amount: Investment) -> Result<BalanceCheck, ManagerError> {
        let exchange = self.exchanges.exchange_for(user).await?;
        let total = exchange.balance().await?.equity;
        let used = used_amount(&self.store.bots_for_user(user, None).await?);
        let requested = amount.resolve(total - used)?;
        Ok(BalanceCheck::evaluate(total, used, requested))
    }

    async fn owned_bot(&self, user: UserId, bot_id: BotId) -> Result<Bot, ManagerError> {
        match self.store.bot(bot_id).await? {
            Some(b) if b.user_id == user => Ok(b),
            _ => Err(ManagerError::BotNotFound(bot_id)),
        }
    }

    async fn check_risk(&self, user: UserId, kind: &BotKind, bots: &[Bot]) -> Result<(), ManagerError> {
        let settings = self.store.risk_settings(user).await?;
        risk::check_leverage(&settings, kind.leverage())?;
        if settings.daily_loss_limit.is_some() {
            let today = risk::daily_pnl_from_store(&*self.store, user, self.clock.now_ms()).await?;
            risk::check_daily_loss(&settings, today)?;
        }
        risk::check_open_positions(&settings, bots)?;
        Ok(())
    }

    async fn check_engine(&self, exchange: &dyn Exchange, kind: &BotKind) -> Result<(), ManagerError> {
        let instrument = exchange.instrument(kind.symbol()).await?;
        build_engine(BotId(0), kind, instrument)?;
        Ok(())
    }

    async fn launch(&self, bot: Bot) -> Result<Bot, ManagerError> {
        self.publish_status(&bot, bot.status, None);
        if let Err(e) = self.launcher.launch(bot.clone()).await {
            self.set_status(&bot, BotStatus::Error, Some(e.to_string())).await?;
            return Err(e.into());
        }
        Ok(self.store.bot(bot.id).await?.unwrap_or(bot))
    }

    async fn set_status(&self, bot: &Bot, status: BotStatus, message: Option<String>) -> Result<(), ManagerError> {
        self.store
            .set_bot_status(bot.id, status, message.clone(), self.clock.now_ms())
            .await?;
        self.publish_status(bot, status, message);
        Ok(())
    }

    fn publish_status(&self, bot: &Bot, status: BotStatus, message: Option<String>) {
        self.events.publish(BotEvent::StatusChanged {
            user_id: bot.user_id,
            bot_id: bot.id,
            status,
            message,
            ts: self.clock.now_ms(),
        });
    }

    async fn audit(&self, bot: &Bot, kind: &str, message: String) {
        let ev = AuditEvent::new(Some(bot.user_id), Some(bot.id), kind, message, self.clock.now_ms());
        if let Err(e) = self.store.append_event(&ev).await {
            tracing::warn!(bot = %bot.id, error = %e, "audit event not recorded");
        }
    }
}

/// Refuses amounts outside `[max(min, MIN_AMOUNT), min(max, MAX_AMOUNT)]`.
fn check_amount(amount: Decimal, min: Decimal, max: Decimal) -> Result<(), ManagerError> {
    let lo = min.max(MIN_AMOUNT);
    let hi = max.min(MAX_AMOUNT);
    if amount < lo || amount > hi {
        return Err(ManagerError::AmountOutOfRange {
            amount,
            min: lo,
            max: hi,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
