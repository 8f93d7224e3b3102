//! The manager's moves beyond start and stop, added for the dashboard and
//! the owner's API (kept in this file, apart from the start/stop paths):
//!
//! - [`MultiBotManager::preflight`]: would this start pass now? The same
//!   checks as the start, in the same order, without writing anything: the
//!   template, the amount's bounds, the risk rules, the engine, then the
//!   guarded-start rule ([`BotLimits::check`], the very function the stores
//!   apply in their transaction). A start can still lose a race after a
//!   preflight passed; the store's guarded start stays the authority.
//! - [`MultiBotManager::start_new_grid`]: create and start a grid in one
//!   call through the store's guarded insert, so a refused start writes
//!   nothing (no `created` bot is left behind).
//! - [`MultiBotManager::delete_created_bot`]: a bot created and never
//!   started may be deleted.
//! - [`MultiBotManager::edit_grid_controls`]: change a grid's stop-loss,
//!   take-profit and trigger while it runs. Design: the new controls are
//!   persisted in the bot's stored config
//!   ([`crate::ports::Store::update_bot_config`]);
//!   the stored config is the source of truth a restored grid engine takes
//!   its controls from ([`crate::engine::grid::GridEngine::adopt_controls`]); a
//!   running bot's runner is reloaded ([`super::BotLauncher::reload`]: shut down
//!   with its state saved, launched again), so it resumes with its orders
//!   and fills through its normal resume and the new controls.
//! - [`MultiBotManager::limits`]: the numbers the dashboard shows next to
//!   its Start buttons, all from the rules above.

use rust_decimal::Decimal;

use super::{check_amount, ManagerError, MultiBotManager, MAX_ACTIVE_BOTS, MAX_AMOUNT, MIN_AMOUNT};
use crate::balance::{round_to_cents, used_amount, Investment};
use crate::grid::{GridConfig, GridMode};
use crate::model::{Bot, BotId, BotKind, BotSource, BotStatus, NewBot, RiskSettings, Symbol, TemplateId, UserId};
use crate::ports::BotLimits;

/// A start to check with [`MultiBotManager::preflight`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartPlan {
    /// A trend bot from a template with an amount.
    Template {
        /// The template.
        template_id: TemplateId,
        /// The amount, or a percentage of the available balance.
        amount: Investment,
    },
    /// A new grid (its investment is the amount).
    Grid(GridConfig),
    /// Starting again a `created` or `stopped` bot with its own allocation.
    Existing(BotId),
}

/// The answer of a preflight.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Preflight {
    /// The amount the start would allocate (rounded down to cents; zero
    /// when it could not be worked out).
    pub amount: Decimal,
    /// Why the start would be refused now, or `None` when it would pass.
    pub refusal: Option<ManagerError>,
}

/// What a user's starts are checked against, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StartLimits {
    /// Most bots holding an allocation ([`MAX_ACTIVE_BOTS`]).
    pub max_bot_count: u32,
    /// Bots holding an allocation now.
    pub active_bot_count: u32,
    /// Smallest amount of any start, USDT.
    pub min_amount: Decimal,
    /// Largest amount of any start, USDT.
    pub max_amount: Decimal,
    /// The user's leverage cap.
    pub leverage_cap: u32,
    /// The user's limit of bots holding a position.
    pub max_open_positions: u32,
    /// Bots holding an allocation and a position now.
    pub open_positions: u32,
    /// The user's daily loss limit, USDT.
    pub daily_loss_limit: Option<Decimal>,
    /// Symbols an active bot trades (a start there is refused).
    pub busy_symbols: Vec<Symbol>,
    /// Exchange equity, USDT.
    pub total_balance: Decimal,
    /// Allocated to active bots, USDT.
    pub used_amount: Decimal,
}

impl StartLimits {
    /// The limits for a user with `settings` whose active bots number
    /// `active_bot_count`, `open_positions` of them holding a position, on
    /// `busy_symbols`, with `used_amount` of `total_balance` allocated. The
    /// bot limit and the amount bounds are the manager's constants.
    pub fn from_state(
        settings: &RiskSettings,
        active_bot_count: u32,
        open_positions: u32,
        busy_symbols: Vec<Symbol>,
        total_balance: Decimal,
        used_amount: Decimal,
    ) -> Self {
        StartLimits {
            max_bot_count: MAX_ACTIVE_BOTS,
            active_bot_count,
            min_amount: MIN_AMOUNT,
            max_amount: MAX_AMOUNT,
            leverage_cap: settings.max_leverage,
            max_open_positions: settings.max_open_positions,
            open_positions,
            daily_loss_limit: settings.daily_loss_limit,
            busy_symbols,
            total_balance,
            used_amount,
        }
    }
}

/// New controls of a running grid; `None` leaves one as it is,
/// `Some(None)` removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct GridControls {
    /// Stop-loss price.
    pub stop_loss: Option<Option<Decimal>>,
    /// Take-profit price.
    pub take_profit: Option<Option<Decimal>>,
    /// Trigger price (only matters while the grid waits for it).
    pub trigger_price: Option<Option<Decimal>>,
}

impl GridControls {
    /// Controls from their parts.
    pub fn new(
        stop_loss: Option<Option<Decimal>>,
        take_profit: Option<Option<Decimal>>,
        trigger_price: Option<Option<Decimal>>,
    ) -> Self {
        GridControls {
            stop_loss,
            take_profit,
            trigger_price,
        }
    }

    /// `config` with these controls applied.
    pub fn apply(&self, config: &GridConfig) -> GridConfig {
        let mut c = config.clone();
        if let Some(sl) = self.stop_loss {
            c.stop_loss = sl;
        }
        if let Some(tp) = self.take_profit {
            c.take_profit = tp;
        }
        if let Some(t) = self.trigger_price {
            c.trigger_price = t;
        }
        c
    }
}

/// A stop that the price has already reached fires at once: refuse it
/// (long grids stop on a fall and take profit on a rise, short grids the
/// reverse; a neutral grid's stops take their side from the price, so only
/// a stop at the price itself is refused).
fn check_stops_against_price(config: &GridConfig, price: Decimal) -> Result<(), ManagerError> {
    if price <= Decimal::ZERO {
        return Ok(());
    }
    let fires = |stop: Decimal, falling: bool| if falling { price <= stop } else { price >= stop };
    let (sl_falling, tp_falling) = match config.mode {
        GridMode::Long => (true, false),
        GridMode::Short => (false, true),
        GridMode::Neutral => (
            config.stop_loss.is_none_or(|s| s < price),
            config.take_profit.is_some_and(|t| t < price),
        ),
    };
    if let Some(sl) = config.stop_loss {
        if fires(sl, sl_falling) {
            return Err(ManagerError::StopWouldFire {
                which: "stop_loss",
                stop: sl,
                price,
            });
        }
    }
    if let Some(tp) = config.take_profit {
        if fires(tp, tp_falling) {
            return Err(ManagerError::StopWouldFire {
                which: "take_profit",
                stop: tp,
                price,
            });
        }
    }
    Ok(())
}

impl MultiBotManager {
    /// Would `plan` start now? See the module docs; refusals are in the
    /// answer, errors are failures to find out (store, exchange).
    pub async fn preflight(&self, user: UserId, plan: &StartPlan) -> Result<Preflight, ManagerError> {
        let exchange = self.exchanges.exchange_for(user).await?;
        let total = exchange.balance().await?.equity;
        let bots = self.store.bots_for_user(user, None).await?;
        let available = total - used_amount(&bots);
        let (kind, amount) = match plan {
            StartPlan::Template { template_id, amount } => {
                let template = match self.store.template(*template_id).await? {
                    Some(t) if t.is_active => t,
                    Some(t) => return Ok(refused(Decimal::ZERO, ManagerError::TemplateInactive { name: t.name })),
                    None => return Ok(refused(Decimal::ZERO, ManagerError::TemplateNotFound(*template_id))),
                };
                let amount = match amount.resolve(available) {
                    Ok(a) => a,
                    Err(e) => return Ok(refused(Decimal::ZERO, e.into())),
                };
                if let Err(e) = check_amount(amount, template.min_investment, template.max_investment) {
                    return Ok(refused(amount, e));
                }
                (BotKind::Trend(template.trend_config(amount)), amount)
            }
            StartPlan::Grid(config) => {
                let amount = round_to_cents(config.investment);
                if let Err(e) = check_amount(amount, MIN_AMOUNT, MAX_AMOUNT) {
                    return Ok(refused(amount, e));
                }
                (BotKind::Grid(config.clone()), amount)
            }
            StartPlan::Existing(id) => {
                let bot = self.owned_bot(user, *id).await?;
                if bot.status.holds_allocation() {
                    let e = ManagerError::invalid_state(*id, bot.status, "start it");
                    return Ok(refused(bot.allocation, e));
                }
                if let Err(e) = check_amount(bot.allocation, MIN_AMOUNT, MAX_AMOUNT) {
                    return Ok(refused(bot.allocation, e));
                }
                (bot.kind, bot.allocation)
            }
        };
        if let Err(e) = self.check_risk(user, &kind, &bots).await {
            return Ok(refused(amount, e));
        }
        match self.check_engine(&*exchange, &kind).await {
            Err(ManagerError::Validation(v)) => return Ok(refused(amount, v.into())),
            other => other?,
        }
        let limits = BotLimits {
            max_active_bots: MAX_ACTIVE_BOTS,
            total_balance: total,
        };
        let holders = bots
            .iter()
            .filter(|b| b.status.holds_allocation())
            .map(|b| (b.symbol.as_str(), b.allocation));
        let refusal = limits
            .check(holders, kind.symbol().as_str(), amount)
            .err()
            .map(Into::into);
        Ok(Preflight { amount, refusal })
    }

    /// Creates a grid bot and starts it in one guarded write: refused
    /// starts leave nothing behind. Returns the bot as launched.
    pub async fn start_new_grid(
        &self,
        user: UserId,
        config: GridConfig,
        source: BotSource,
    ) -> Result<Bot, ManagerError> {
        let mut config = config;
        config.investment = round_to_cents(config.investment);
        check_amount(config.investment, MIN_AMOUNT, MAX_AMOUNT)?;
        let amount = config.investment;
        let name = format!("{} {} grid", config.symbol.base(), config.mode.as_str());
        let kind = BotKind::Grid(config);
        let bots = self.store.bots_for_user(user, None).await?;
        self.check_risk(user, &kind, &bots).await?;
        let exchange = self.exchanges.exchange_for(user).await?;
        self.check_engine(&*exchange, &kind).await?;
        let limits = BotLimits {
            max_active_bots: MAX_ACTIVE_BOTS,
            total_balance: exchange.balance().await?.equity,
        };
        let new = NewBot::new(user, name, kind, amount, source);
        let bot = self.store.start_bot_guarded(&new, limits, self.clock.now_ms()).await?;
        self.audit(
            &bot,
            "bot.started",
            format!("grid created and started with {amount:.2} USDT"),
        )
        .await;
        self.launch(bot).await
    }

    /// Deletes a bot that was created and never started.
    pub async fn delete_created_bot(&self, user: UserId, bot_id: BotId) -> Result<(), ManagerError> {
        let bot = self.owned_bot(user, bot_id).await?;
        if bot.status != BotStatus::Created {
            return Err(ManagerError::invalid_state(bot_id, bot.status, "delete it"));
        }
        self.store.delete_created_bot(bot_id).await?;
        self.audit(&bot, "bot.deleted", "created bot deleted by the user".to_owned())
            .await;
        Ok(())
    }

    /// Changes a grid's stop-loss, take-profit or trigger (see the module
    /// docs for how a running grid takes them). Refused for trend bots, for
    /// a bot being stopped, and for a stop the last price has already
    /// reached. Returns the bot as stored.
    pub async fn edit_grid_controls(
        &self,
        user: UserId,
        bot_id: BotId,
        controls: GridControls,
    ) -> Result<Bot, ManagerError> {
        let bot = self.owned_bot(user, bot_id).await?;
        let BotKind::Grid(config) = &bot.kind else {
            return Err(ManagerError::invalid_state(
                bot_id,
                bot.status,
                "edit a trend bot's grid controls",
            ));
        };
        if matches!(bot.status, BotStatus::Stopping) {
            return Err(ManagerError::invalid_state(bot_id, bot.status, "edit it"));
        }
        let edited = controls.apply(config);
        check_stops_against_price(&edited, bot.stats.last_price)?;
        let kind = BotKind::Grid(edited);
        let exchange = self.exchanges.exchange_for(user).await?;
        self.check_engine(&*exchange, &kind).await?;
        self.store.update_bot_config(bot_id, &kind, self.clock.now_ms()).await?;
        self.audit(&bot, "bot.edited", "grid controls changed by the user".to_owned())
            .await;
        if self.launcher.is_running(bot_id) {
            let fresh = self.owned_bot(user, bot_id).await?;
            self.launcher.reload(fresh).await?;
        }
        self.owned_bot(user, bot_id).await
    }

    /// The limits the user's starts are checked against now.
    pub async fn limits(&self, user: UserId) -> Result<StartLimits, ManagerError> {
        let exchange = self.exchanges.exchange_for(user).await?;
        let total = exchange.balance().await?.equity;
        let bots = self.store.bots_for_user(user, None).await?;
        let settings = self.store.risk_settings(user).await?;
        let active: Vec<&Bot> = bots.iter().filter(|b| b.status.holds_allocation()).collect();
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(StartLimits::from_state(
            &settings,
            count(active.len()),
            count(active.iter().filter(|b| !b.stats.position_qty.is_zero()).count()),
            active.iter().map(|b| b.symbol.clone()).collect(),
            total,
            used_amount(&bots),
        ))
    }
}

fn refused(amount: Decimal, e: ManagerError) -> Preflight {
    Preflight {
        amount,
        refusal: Some(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Spacing;
    use rust_decimal_macros::dec;

    fn grid(mode: GridMode, sl: Option<Decimal>, tp: Option<Decimal>) -> GridConfig {
        GridConfig::new(
            Symbol::new("BTCUSDT").unwrap(),
            dec!(90),
            dec!(110),
            10,
            Spacing::Arithmetic,
            mode,
            dec!(100),
            2,
        )
        .with_stops(sl, tp)
    }

    #[test]
    fn a_stop_the_price_already_reached_is_refused_by_side() {
        let ok = |c: GridConfig| check_stops_against_price(&c, dec!(100)).is_ok();
        assert!(ok(grid(GridMode::Long, Some(dec!(85)), Some(dec!(115)))));
        assert!(!ok(grid(GridMode::Long, Some(dec!(100)), None)));
        assert!(!ok(grid(GridMode::Long, None, Some(dec!(99)))));
        assert!(ok(grid(GridMode::Short, Some(dec!(115)), Some(dec!(85)))));
        assert!(!ok(grid(GridMode::Short, Some(dec!(99)), None)));
        assert!(ok(grid(GridMode::Neutral, Some(dec!(85)), Some(dec!(115)))));
        assert!(!ok(grid(GridMode::Neutral, Some(dec!(100)), None)));
        assert!(check_stops_against_price(&grid(GridMode::Long, Some(dec!(100)), None), dec!(0)).is_ok());
    }

    #[test]
    fn controls_change_only_what_they_name() {
        let c = grid(GridMode::Long, Some(dec!(85)), Some(dec!(115))).with_trigger(Some(dec!(95)));
        let edited = GridControls::new(Some(Some(dec!(80))), Some(None), None).apply(&c);
        assert_eq!(
            (edited.stop_loss, edited.take_profit, edited.trigger_price),
            (Some(dec!(80)), None, Some(dec!(95)))
        );
        assert_eq!(edited.lower, c.lower);
    }
}
