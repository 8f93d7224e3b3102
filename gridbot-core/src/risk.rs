//! Per-user risk rules: leverage cap, maximum open positions and the daily
//! loss limit.
//!
//! Rules:
//! - Leverage cap: a bot whose leverage exceeds [`RiskSettings::max_leverage`]
//!   is refused when created or started.
//! - Open positions: a start is refused when the user already has
//!   `max_open_positions` bots (holding an allocation) with a non-zero
//!   position. Bots enter positions by themselves later, so this is checked
//!   at start only; the bot limit (5) bounds the rest.
//! - Daily loss: the user's PnL today is, summed over every bot that was not
//!   already stopped at 00:00 UTC, `total_pnl now − total_pnl at 00:00 UTC`
//!   (realised + unrealised − fees; the value at 00:00 is the last equity
//!   snapshot before midnight, zero for bots started today). When the loss
//!   reaches the limit the user's bots are paused (orders cancelled,
//!   positions kept or closed as [`RiskSettings::close_positions_on_pause`]
//!   says, for grid and trend bots alike, each engine booking its own
//!   closing fill — see [`crate::runner::BotRunner::pause`] — an alert
//!   recorded) and new starts are refused until the next UTC day. Resuming
//!   a paused bot is the user's call (and refused while the limit holds).

use std::collections::HashMap;

use rust_decimal::Decimal;
use thiserror::Error;

use crate::error::StoreError;
use crate::model::{Bot, BotId, BotStatus, EquitySnapshot, RiskSettings, TimestampMs, UserId};
use crate::ports::Store;

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// How many equity points are read back to find a bot's PnL at 00:00 UTC
/// (snapshots are at most one a minute, so a day is 1440 points).
const CURVE_LOOKBACK: usize = 1_600;

/// A broken risk rule.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RiskViolation {
    /// Leverage above the user's cap.
    #[error("leverage {leverage}x is above your risk limit of {cap}x")]
    LeverageAboveCap {
        /// Requested.
        leverage: u32,
        /// Cap.
        cap: u32,
    },
    /// Too many bots hold a position.
    #[error("{open} bots already hold a position, your limit is {max}")]
    OpenPositionLimit {
        /// Bots with a position.
        open: u32,
        /// Limit.
        max: u32,
    },
    /// The daily loss limit is reached.
    #[error("daily loss limit reached: {loss:.2} USDT lost today, limit {limit:.2}")]
    DailyLossLimit {
        /// Loss today (positive).
        loss: Decimal,
        /// Limit.
        limit: Decimal,
    },
}

/// Highest leverage cap a user may set (the largest any contract allows).
pub const MAX_LEVERAGE_CAP: u32 = 125;
/// Largest daily loss limit a user may set, USDT.
pub const MAX_DAILY_LOSS_LIMIT: Decimal = Decimal::from_parts(10_000_000, 0, 0, false, 0);

/// A risk setting outside what may be saved.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SettingsViolation {
    /// The daily loss limit is not in (0, [`MAX_DAILY_LOSS_LIMIT`]].
    #[error("daily loss limit must be greater than 0 and at most {max}, got {got}")]
    DailyLossLimit {
        /// As given.
        got: Decimal,
        /// Largest allowed.
        max: Decimal,
    },
    /// The leverage cap is not in 1..=[`MAX_LEVERAGE_CAP`].
    #[error("leverage cap must be between 1 and {max}, got {got}")]
    LeverageCap {
        /// As given.
        got: u32,
        /// Largest allowed.
        max: u32,
    },
    /// The open-position limit is not in 1..=the bot limit.
    #[error("the open-position limit must be between 1 and {max}, got {got}")]
    OpenPositions {
        /// As given.
        got: u32,
        /// Largest allowed (the bot limit).
        max: u32,
    },
}

impl SettingsViolation {
    /// The setting at fault (`daily_loss_limit`, `max_leverage`, `max_open_positions`).
    pub fn field(&self) -> &'static str {
        match self {
            SettingsViolation::DailyLossLimit { .. } => "daily_loss_limit",
            SettingsViolation::LeverageCap { .. } => "max_leverage",
            SettingsViolation::OpenPositions { .. } => "max_open_positions",
        }
    }
}

/// Checks settings before they are saved: a daily loss limit in (0, 10⁷]
/// USDT, a leverage cap of 1–125, an open-position limit of 1 to the bot
/// limit ([`crate::manager::MAX_ACTIVE_BOTS`]).
pub fn validate_settings(s: &RiskSettings) -> Result<(), SettingsViolation> {
    if let Some(limit) = s.daily_loss_limit {
        if limit <= Decimal::ZERO || limit > MAX_DAILY_LOSS_LIMIT {
            return Err(SettingsViolation::DailyLossLimit {
                got: limit,
                max: MAX_DAILY_LOSS_LIMIT,
            });
        }
    }
    if !(1..=MAX_LEVERAGE_CAP).contains(&s.max_leverage) {
        return Err(SettingsViolation::LeverageCap {
            got: s.max_leverage,
            max: MAX_LEVERAGE_CAP,
        });
    }
    let max = crate::manager::MAX_ACTIVE_BOTS;
    if !(1..=max).contains(&s.max_open_positions) {
        return Err(SettingsViolation::OpenPositions {
            got: s.max_open_positions,
            max,
        });
    }
    Ok(())
}

/// 00:00 UTC of the day containing `ts`.
pub fn day_start(ts: TimestampMs) -> TimestampMs {
    ts - ts.rem_euclid(DAY_MS)
}

/// Refuses a leverage above the cap.
pub fn check_leverage(settings: &RiskSettings, leverage: u32) -> Result<(), RiskViolation> {
    if leverage > settings.max_leverage {
        return Err(RiskViolation::LeverageAboveCap {
            leverage,
            cap: settings.max_leverage,
        });
    }
    Ok(())
}

/// Refuses a start when `max_open_positions` bots already hold a position.
pub fn check_open_positions(settings: &RiskSettings, bots: &[Bot]) -> Result<(), RiskViolation> {
    let open = bots
        .iter()
        .filter(|b| b.status.holds_allocation() && !b.stats.position_qty.is_zero())
        .count();
    let open = u32::try_from(open).unwrap_or(u32::MAX);
    if open >= settings.max_open_positions {
        return Err(RiskViolation::OpenPositionLimit {
            open,
            max: settings.max_open_positions,
        });
    }
    Ok(())
}

/// Refuses when today's PnL is a loss at or beyond the limit.
pub fn check_daily_loss(settings: &RiskSettings, pnl_today: Decimal) -> Result<(), RiskViolation> {
    match settings.daily_loss_limit {
        Some(limit) if limit > Decimal::ZERO && -pnl_today >= limit => Err(RiskViolation::DailyLossLimit {
            loss: -pnl_today,
            limit,
        }),
        _ => Ok(()),
    }
}

/// A bot's total PnL at `ts`: the last equity point at or before it, zero
/// when there is none (the bot started later).
pub fn pnl_at(curve: &[EquitySnapshot], ts: TimestampMs) -> Decimal {
    curve
        .iter()
        .rev()
        .find(|p| p.ts <= ts)
        .map(|p| p.pnl)
        .unwrap_or(Decimal::ZERO)
}

/// True when the bot counts towards today's PnL: not stopped before 00:00.
fn counts_today(bot: &Bot, start: TimestampMs) -> bool {
    bot.status != BotStatus::Created && !(bot.status == BotStatus::Stopped && bot.stopped_at.is_some_and(|t| t < start))
}

/// Today's PnL over `bots`, given each bot's equity curve.
pub fn daily_pnl(bots: &[Bot], curves: &HashMap<BotId, Vec<EquitySnapshot>>, now: TimestampMs) -> Decimal {
    let start = day_start(now);
    bots.iter()
        .filter(|b| counts_today(b, start))
        .map(|b| {
            let base = curves.get(&b.id).map(|c| pnl_at(c, start - 1)).unwrap_or(Decimal::ZERO);
            b.stats.total_pnl() - base
        })
        .sum()
}

/// Today's PnL of a user, read from the store.
pub async fn daily_pnl_from_store(store: &dyn Store, user: UserId, now: TimestampMs) -> Result<Decimal, StoreError> {
    let bots = store.bots_for_user(user, None).await?;
    let start = day_start(now);
    let mut curves = HashMap::new();
    for b in bots.iter().filter(|b| counts_today(b, start)) {
        if b.started_at.is_some_and(|t| t < start) {
            curves.insert(b.id, store.equity_curve(b.id, CURVE_LOOKBACK).await?);
        }
    }
    Ok(daily_pnl(&bots, &curves, now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BotKind, BotSource, Interval, Symbol, TrendConfig, TrendDirection};
    use rust_decimal_macros::dec;

    fn bot(id: i64, status: BotStatus, pnl: Decimal, position: Decimal) -> Bot {
        let kind = BotKind::Trend(TrendConfig::new(
            Symbol::new("BTCUSDT").unwrap(),
            Interval::M15,
            9,
            21,
            TrendDirection::Long,
            3,
            dec!(2),
            dec!(4),
            dec!(100),
        ));
        let mut b = Bot::new(BotId(id), UserId(1), "b", kind, dec!(100), BotSource::Manual, 0);
        b.status = status;
        b.stats.realized_pnl = pnl;
        b.stats.position_qty = position;
        b.started_at = Some(0);
        b
    }

    fn point(bot: i64, ts: TimestampMs, pnl: Decimal) -> EquitySnapshot {
        EquitySnapshot {
            bot_id: BotId(bot),
            ts,
            equity: dec!(100) + pnl,
            pnl,
        }
    }

    #[test]
    fn leverage_above_the_cap_is_refused_and_equal_passes() {
        let s = RiskSettings::default_for(UserId(1));
        assert!(check_leverage(&s, 20).is_ok());
        assert_eq!(
            check_leverage(&s, 21),
            Err(RiskViolation::LeverageAboveCap { leverage: 21, cap: 20 })
        );
    }

    #[test]
    fn start_is_refused_when_the_open_position_limit_is_used_up() {
        let mut s = RiskSettings::default_for(UserId(1));
        s.max_open_positions = 2;
        let mut bots = vec![bot(1, BotStatus::Running, dec!(0), dec!(1))];
        bots.push(bot(2, BotStatus::Stopped, dec!(0), dec!(1)));
        bots.push(bot(3, BotStatus::Running, dec!(0), dec!(0)));
        assert!(check_open_positions(&s, &bots).is_ok());
        bots.push(bot(4, BotStatus::Paused, dec!(0), dec!(-2)));
        assert_eq!(
            check_open_positions(&s, &bots),
            Err(RiskViolation::OpenPositionLimit { open: 2, max: 2 })
        );
    }

    #[test]
    fn daily_pnl_counts_only_what_changed_since_midnight_utc() {
        let now = 10 * DAY_MS + 3_600_000;
        let bots = vec![
            bot(1, BotStatus::Running, dec!(-30), dec!(0)),
            bot(2, BotStatus::Running, dec!(5), dec!(0)),
        ];
        let mut curves = HashMap::new();
        curves.insert(
            BotId(1),
            vec![point(1, 10 * DAY_MS - 60_000, dec!(20)), point(1, now, dec!(-30))],
        );
        // Bot 2 has no point before midnight: it started today.
        assert_eq!(daily_pnl(&bots, &curves, now), dec!(-50) + dec!(5));
    }

    #[test]
    fn bots_stopped_before_midnight_do_not_count_today() {
        let now = 10 * DAY_MS + 1;
        let mut b = bot(1, BotStatus::Stopped, dec!(-500), dec!(0));
        b.stopped_at = Some(10 * DAY_MS - 1);
        assert_eq!(daily_pnl(&[b], &HashMap::new(), now), dec!(0));
    }

    #[test]
    fn the_daily_limit_is_reached_at_equality() {
        let mut s = RiskSettings::default_for(UserId(1));
        assert!(check_daily_loss(&s, dec!(-1000)).is_ok(), "no limit set");
        s.daily_loss_limit = Some(dec!(50));
        assert!(check_daily_loss(&s, dec!(-49.99)).is_ok());
        assert_eq!(
            check_daily_loss(&s, dec!(-50)),
            Err(RiskViolation::DailyLossLimit {
                loss: dec!(50),
                limit: dec!(50)
            })
        );
    }
}
