//! Account balance and positions.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Symbol;

/// An account's USDT balance.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccountBalance {
    /// Wallet balance plus unrealised PnL.
    pub equity: Decimal,
    /// What can still be used for new margin.
    pub available: Decimal,
    /// Margin held by positions and open orders.
    pub used_margin: Decimal,
}

impl AccountBalance {
    /// A balance.
    pub fn new(equity: Decimal, available: Decimal, used_margin: Decimal) -> Self {
        AccountBalance {
            equity,
            available,
            used_margin,
        }
    }
}

/// A one-way (net) position on one symbol, isolated margin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Position {
    /// The contract.
    pub symbol: Symbol,
    /// Net quantity: positive long, negative short, zero flat.
    pub qty: Decimal,
    /// Average entry price (zero when flat).
    pub entry_price: Decimal,
    /// Leverage of the position.
    pub leverage: u32,
    /// Isolated margin held by the position.
    pub margin: Decimal,
    /// Unrealised PnL at the mark price.
    pub unrealized_pnl: Decimal,
    /// Estimated liquidation price, when there is a position.
    pub liquidation_price: Option<Decimal>,
}

impl Position {
    /// A flat position.
    pub fn flat(symbol: Symbol, leverage: u32) -> Self {
        Position {
            symbol,
            qty: Decimal::ZERO,
            entry_price: Decimal::ZERO,
            leverage,
            margin: Decimal::ZERO,
            unrealized_pnl: Decimal::ZERO,
            liquidation_price: None,
        }
    }

    /// A position with the given fields.
    pub fn new(
        symbol: Symbol,
        qty: Decimal,
        entry_price: Decimal,
        leverage: u32,
        margin: Decimal,
        unrealized_pnl: Decimal,
        liquidation_price: Option<Decimal>,
    ) -> Self {
        Position {
            symbol,
            qty,
            entry_price,
            leverage,
            margin,
            unrealized_pnl,
            liquidation_price,
        }
    }

    /// True when there is no position.
    pub fn is_flat(&self) -> bool {
        self.qty.is_zero()
    }

    /// Unrealised PnL of `qty` entered at `entry_price`, marked at `mark`.
    pub fn pnl_at(qty: Decimal, entry_price: Decimal, mark: Decimal) -> Decimal {
        qty * (mark - entry_price)
    }
}
