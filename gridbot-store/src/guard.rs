//! The guarded-start rules, one function every store calls inside its
//! transaction so that all three refuse identically.
//!
//! Rules, checked in this order (the first broken one is reported):
//! 1. fewer than `max_active_bots` bots of the user hold an allocation;
//! 2. none of them trades the symbol;
//! 3. their allocations plus the new amount do not exceed `total_balance`.
//!
//! And the rule that keeps them true afterwards: a bot holding nothing
//! (`created`, `stopped`) reaches a status that holds an allocation only
//! through a guarded start, never through a plain status change — nor
//! through a runner's [`StatusChange`], which moreover applies only from
//! the statuses it names ([`check_status_change`]).

use gridbot_core::model::{BotId, BotKind, BotStatus};
use gridbot_core::ports::{BotLimits, StatusChange};
use gridbot_core::StoreError;
use rust_decimal::Decimal;

/// A bot of the user that holds an allocation: its symbol and allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    /// The symbol it trades.
    pub symbol: String,
    /// Its allocation, USDT.
    pub allocation: Decimal,
}

/// Refuses the start with the first broken rule, or allows it (the rule is
/// [`BotLimits::check`], shared with the manager's preflight).
pub(crate) fn check_start(
    holders: &[Holder],
    symbol: &str,
    amount: Decimal,
    limits: BotLimits,
) -> Result<(), StoreError> {
    limits.check(
        holders.iter().map(|h| (h.symbol.as_str(), h.allocation)),
        symbol,
        amount,
    )
}

/// A change of a bot's settings keeps its symbol and its kind.
pub(crate) fn config_change_allowed(id: BotId, from: &BotKind, to: &BotKind) -> Result<(), StoreError> {
    if from.symbol() != to.symbol() || from.name() != to.name() {
        return Err(StoreError::Conflict(format!(
            "bot {id} trades {} as a {} bot: its settings can change, not its symbol or kind",
            from.symbol(),
            from.name()
        )));
    }
    Ok(())
}

/// Only a bot that was created and never started may be deleted.
pub(crate) fn delete_allowed(id: BotId, status: BotStatus) -> Result<(), StoreError> {
    if status != BotStatus::Created {
        return Err(StoreError::Conflict(format!(
            "bot {id} is {}: only a bot that was created and never started can be deleted",
            status.as_str()
        )));
    }
    Ok(())
}

/// Refuses a plain status change that would make a bot hold an allocation
/// without the guarded start's checks.
pub(crate) fn transition_allowed(id: BotId, from: BotStatus, to: BotStatus) -> Result<(), StoreError> {
    if !from.holds_allocation() && to.holds_allocation() {
        return Err(StoreError::Conflict(format!(
            "bot {id} is {}: it can only become {} through a guarded start, which checks the bot limit, \
             the symbol and the balance",
            from.as_str(),
            to.as_str()
        )));
    }
    Ok(())
}

/// Refuses a runner's status change when the bot's `current` status is
/// not one it is allowed from (a stop asked meanwhile is never
/// overwritten), or when [`transition_allowed`] refuses it.
pub(crate) fn check_status_change(id: BotId, current: BotStatus, change: &StatusChange) -> Result<(), StoreError> {
    if !change.from.contains(&current) {
        let from: Vec<&str> = change.from.iter().map(|s| s.as_str()).collect();
        return Err(StoreError::Conflict(format!(
            "bot {id} is {}, not {}: its change to {} was not applied; read the bot again",
            current.as_str(),
            if from.is_empty() {
                "any status".to_owned()
            } else {
                from.join(" or ")
            },
            change.to.as_str()
        )));
    }
    transition_allowed(id, current, change.to)
}

#[cfg(test)]
mod tests {
    use rust_decimal_macros::dec;

    use super::*;

    fn holder(symbol: &str, allocation: Decimal) -> Holder {
        Holder {
            symbol: symbol.into(),
            allocation,
        }
    }

    const LIMITS: BotLimits = BotLimits {
        max_active_bots: 2,
        total_balance: Decimal::ONE_HUNDRED,
    };

    #[test]
    fn the_bot_limit_is_checked_before_the_symbol_and_the_balance() {
        let holders = [holder("BTCUSDT", dec!(60)), holder("ETHUSDT", dec!(40))];
        assert_eq!(
            check_start(&holders, "BTCUSDT", dec!(500), LIMITS),
            Err(StoreError::BotLimitReached { active: 2, max: 2 })
        );
    }

    #[test]
    fn a_busy_symbol_is_refused_before_the_balance() {
        let holders = [holder("BTCUSDT", dec!(60))];
        assert_eq!(
            check_start(&holders, "BTCUSDT", dec!(500), LIMITS),
            Err(StoreError::SymbolBusy {
                symbol: "BTCUSDT".into()
            })
        );
    }

    #[test]
    fn a_status_change_applies_only_from_its_statuses_and_never_bypasses_a_start() {
        let change = |to, from: &[BotStatus]| StatusChange {
            to,
            message: None,
            from: from.to_vec(),
        };
        let to_error = change(BotStatus::Error, &[BotStatus::Running, BotStatus::Starting]);
        assert_eq!(check_status_change(BotId(1), BotStatus::Running, &to_error), Ok(()));
        let refused = check_status_change(BotId(1), BotStatus::Stopping, &to_error);
        let Err(StoreError::Conflict(msg)) = refused else {
            panic!("{refused:?}")
        };
        assert!(msg.contains("is stopping, not running or starting"), "{msg}");
        let restart = change(BotStatus::Running, &[BotStatus::Stopped]);
        assert!(check_status_change(BotId(1), BotStatus::Stopped, &restart).is_err());
    }

    #[test]
    fn allocations_may_reach_but_not_exceed_the_balance() {
        let holders = [holder("BTCUSDT", dec!(60))];
        assert_eq!(check_start(&holders, "ETHUSDT", dec!(40), LIMITS), Ok(()));
        assert_eq!(
            check_start(&holders, "ETHUSDT", dec!(40.01), LIMITS),
            Err(StoreError::InsufficientBalance {
                available: dec!(40),
                requested: dec!(40.01)
            })
        );
    }
}
