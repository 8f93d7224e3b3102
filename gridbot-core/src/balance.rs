//! The balance controller: how much of an account's money bots may take.
//!
//! Rules:
//! - total = the exchange account's equity in USDT;
//! - used = the sum of the allocations of the user's bots whose status holds
//!   one ([`crate::model::BotStatus::holds_allocation`]: every status but
//!   `created` and `stopped`);
//! - available = max(total − used, 0);
//! - a start of `amount` is allowed only when `used + amount ≤ total`
//!   (equality passes, one cent more is refused).
//!
//! Amounts are rounded *down* to cents ([`round_to_cents`]), so rounding can
//! never allocate more than the user asked for. An investment may be given
//! as a percentage of the available balance ([`Investment::PercentOfAvailable`]).
//!
//! This module only answers; the atomic check-and-insert is the store's
//! guarded start, which applies the same rule inside one transaction.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::ValidationError;
use crate::model::Bot;

/// Rounds a USDT amount down to cents (never more than asked).
pub fn round_to_cents(amount: Decimal) -> Decimal {
    amount.round_dp_with_strategy(2, RoundingStrategy::ToZero)
}

/// The sum of the allocations of the bots that hold one.
pub fn used_amount(bots: &[Bot]) -> Decimal {
    bots.iter()
        .filter(|b| b.status.holds_allocation())
        .map(|b| b.allocation)
        .sum()
}

/// How a user states an investment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Investment {
    /// A USDT amount.
    Amount(Decimal),
    /// A percentage (0 < p ≤ 100) of the available balance.
    PercentOfAvailable(Decimal),
}

impl Investment {
    /// The USDT amount, rounded down to cents, given what is available.
    pub fn resolve(self, available: Decimal) -> Result<Decimal, ValidationError> {
        match self {
            Investment::Amount(a) => Ok(round_to_cents(a)),
            Investment::PercentOfAvailable(p) => {
                if p <= Decimal::ZERO || p > Decimal::ONE_HUNDRED {
                    return Err(ValidationError::new(
                        "percent",
                        format!("must be greater than 0 and at most 100, got {p}"),
                    ));
                }
                Ok(round_to_cents(available.max(Decimal::ZERO) * p / Decimal::ONE_HUNDRED))
            }
        }
    }
}

/// The answer to "may I start a bot with this amount?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceCheck {
    /// The amount asked for, USDT.
    pub requested_amount: Decimal,
    /// Balance not allocated to bots: max(total − used, 0).
    pub available: Decimal,
    /// The account's equity (total), USDT.
    pub current_balance: Decimal,
    /// Sum of the allocations of bots holding one.
    pub used_amount: Decimal,
    /// What would remain after the start: available − requested (negative
    /// when refused).
    pub remaining: Decimal,
    /// True when `used + requested ≤ total`.
    pub allowed: bool,
    /// A sentence for the user.
    pub message: String,
}

impl BalanceCheck {
    /// Applies the rule to a total balance, the used amount and a request.
    pub fn evaluate(total: Decimal, used: Decimal, requested: Decimal) -> Self {
        let available = (total - used).max(Decimal::ZERO);
        let allowed = requested > Decimal::ZERO && used + requested <= total;
        let message = if requested <= Decimal::ZERO {
            format!("the amount must be greater than 0, got {requested:.2}")
        } else if allowed {
            format!(
                "ok: {requested:.2} USDT can be allocated; {:.2} USDT will remain available",
                available - requested
            )
        } else {
            format!("insufficient balance: {available:.2} USDT available, {requested:.2} requested")
        };
        BalanceCheck {
            requested_amount: requested,
            available,
            current_balance: total,
            used_amount: used,
            remaining: available - requested,
            allowed,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BotId, BotKind, BotSource, BotStatus, Interval, Symbol, TrendConfig, TrendDirection, UserId};
    use rust_decimal_macros::dec;

    fn bot(status: BotStatus, allocation: Decimal) -> Bot {
        let kind = BotKind::Trend(TrendConfig::new(
            Symbol::new("BTCUSDT").unwrap(),
            Interval::M15,
            9,
            21,
            TrendDirection::Long,
            3,
            dec!(2),
            dec!(4),
            allocation,
        ));
        let mut b = Bot::new(BotId(1), UserId(1), "b", kind, allocation, BotSource::Manual, 0);
        b.status = status;
        b
    }

    #[test]
    fn used_counts_every_status_but_created_and_stopped() {
        let bots: Vec<Bot> = BotStatus::ALL.iter().map(|s| bot(*s, dec!(100))).collect();
        assert_eq!(used_amount(&bots), dec!(500));
    }

    #[test]
    fn start_passes_when_used_plus_amount_equals_total() {
        let c = BalanceCheck::evaluate(dec!(1000), dec!(600), dec!(400));
        assert!(c.allowed);
        assert_eq!((c.available, c.remaining), (dec!(400), dec!(0)));
    }

    #[test]
    fn start_is_refused_one_cent_over_the_balance_saying_what_is_available() {
        let c = BalanceCheck::evaluate(dec!(1000), dec!(600), dec!(400.01));
        assert!(!c.allowed);
        assert_eq!(c.remaining, dec!(-0.01));
        assert_eq!(
            c.message,
            "insufficient balance: 400.00 USDT available, 400.01 requested"
        );
    }

    #[test]
    fn available_never_goes_negative_when_equity_fell_below_allocations() {
        let c = BalanceCheck::evaluate(dec!(500), dec!(600), dec!(10));
        assert_eq!(c.available, dec!(0));
        assert!(!c.allowed);
    }

    #[test]
    fn percentage_investments_are_a_share_of_available_rounded_down_to_cents() {
        assert_eq!(
            Investment::PercentOfAvailable(dec!(33.333)).resolve(dec!(100)).unwrap(),
            dec!(33.33)
        );
        assert_eq!(Investment::Amount(dec!(10.009)).resolve(dec!(0)).unwrap(), dec!(10.00));
        assert_eq!(
            Investment::PercentOfAvailable(dec!(101))
                .resolve(dec!(1))
                .unwrap_err()
                .field,
            "percent"
        );
        assert!(Investment::PercentOfAvailable(dec!(0)).resolve(dec!(1)).is_err());
    }
}
