//! Orders, fills and the execution events an exchange streams.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{ClientOrderId, Position, Symbol, TimestampMs};

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buy: opens or adds to a long, reduces a short.
    Buy,
    /// Sell: opens or adds to a short, reduces a long.
    Sell,
}

impl Side {
    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// +1 for buy, −1 for sell: the sign a fill adds to a net position.
    pub fn sign(self) -> Decimal {
        match self {
            Side::Buy => Decimal::ONE,
            Side::Sell => Decimal::NEGATIVE_ONE,
        }
    }

    /// `buy` or `sell`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

/// Limit or market.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderKind {
    /// Rests at its price until filled or cancelled.
    Limit,
    /// Fills at once at the current price (taker fee, slippage).
    Market,
}

/// How long a limit order lives. Non-exhaustive: an adapter refuses a
/// time in force its venue does not offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TimeInForce {
    /// Good till cancelled.
    #[default]
    Gtc,
    /// Rejected if it would take liquidity.
    PostOnly,
    /// Immediate or cancel.
    Ioc,
    /// Fill or kill.
    Fok,
}

/// An order to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OrderRequest {
    /// Deterministic client id: sending the same id twice yields one order.
    pub client_id: ClientOrderId,
    /// The contract.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Limit or market.
    pub kind: OrderKind,
    /// Limit price (on tick); `None` for market orders.
    pub price: Option<Decimal>,
    /// Quantity in base currency (on lot).
    pub qty: Decimal,
    /// Time in force (limit orders).
    pub tif: TimeInForce,
    /// Only reduces the position; never opens or flips it.
    pub reduce_only: bool,
    /// Stop-loss trigger price attached to the position (where supported).
    pub preset_stop_loss: Option<Decimal>,
    /// Take-profit trigger price attached to the position (where supported).
    pub preset_take_profit: Option<Decimal>,
}

impl OrderRequest {
    /// A good-till-cancelled limit order.
    pub fn limit(client_id: ClientOrderId, symbol: Symbol, side: Side, price: Decimal, qty: Decimal) -> Self {
        OrderRequest {
            client_id,
            symbol,
            side,
            kind: OrderKind::Limit,
            price: Some(price),
            qty,
            tif: TimeInForce::Gtc,
            reduce_only: false,
            preset_stop_loss: None,
            preset_take_profit: None,
        }
    }

    /// A market order.
    pub fn market(client_id: ClientOrderId, symbol: Symbol, side: Side, qty: Decimal) -> Self {
        OrderRequest {
            client_id,
            symbol,
            side,
            kind: OrderKind::Market,
            price: None,
            qty,
            tif: TimeInForce::Ioc,
            reduce_only: false,
            preset_stop_loss: None,
            preset_take_profit: None,
        }
    }

    /// The same order, reduce-only.
    pub fn reduce_only(mut self) -> Self {
        self.reduce_only = true;
        self
    }

    /// The same order with preset stop-loss / take-profit trigger prices.
    pub fn with_presets(mut self, stop_loss: Option<Decimal>, take_profit: Option<Decimal>) -> Self {
        self.preset_stop_loss = stop_loss;
        self.preset_take_profit = take_profit;
        self
    }

    /// The same order with another time in force.
    pub fn with_tif(mut self, tif: TimeInForce) -> Self {
        self.tif = tif;
        self
    }
}

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Resting, nothing filled.
    Open,
    /// Resting, partly filled.
    PartiallyFilled,
    /// Completely filled.
    Filled,
    /// Cancelled (possibly after a partial fill).
    Canceled,
    /// Refused by the exchange.
    Rejected,
}

impl OrderStatus {
    /// True while the order can still fill.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::Open | OrderStatus::PartiallyFilled)
    }
}

/// An order as the exchange knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Order {
    /// The exchange's id.
    pub id: String,
    /// Our client id.
    pub client_id: ClientOrderId,
    /// The contract.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Limit or market.
    pub kind: OrderKind,
    /// Limit price; `None` for market orders.
    pub price: Option<Decimal>,
    /// Ordered quantity.
    pub qty: Decimal,
    /// Quantity filled so far.
    pub filled_qty: Decimal,
    /// Average fill price, when anything filled.
    pub avg_fill_price: Option<Decimal>,
    /// Life-cycle state.
    pub status: OrderStatus,
    /// Reduce-only flag.
    pub reduce_only: bool,
    /// Creation time.
    pub created_at: TimestampMs,
    /// Last change.
    pub updated_at: TimestampMs,
}

impl Order {
    /// An order freshly accepted for `req`, nothing filled yet.
    pub fn accepted(id: impl Into<String>, req: &OrderRequest, now: TimestampMs) -> Self {
        Order {
            id: id.into(),
            client_id: req.client_id.clone(),
            symbol: req.symbol.clone(),
            side: req.side,
            kind: req.kind,
            price: req.price,
            qty: req.qty,
            filled_qty: Decimal::ZERO,
            avg_fill_price: None,
            status: OrderStatus::Open,
            reduce_only: req.reduce_only,
            created_at: now,
            updated_at: now,
        }
    }

    /// Quantity still to fill.
    pub fn remaining_qty(&self) -> Decimal {
        self.qty - self.filled_qty
    }
}

/// Maker (rested) or taker (crossed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Liquidity {
    /// The order rested on the book.
    Maker,
    /// The order took liquidity.
    Taker,
}

/// One execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Fill {
    /// The exchange's fill (trade) id, unique per account: replays are
    /// recognised by it.
    pub id: String,
    /// The exchange's order id.
    pub order_id: String,
    /// Our client id of the order.
    pub client_id: ClientOrderId,
    /// The contract.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Execution price.
    pub price: Decimal,
    /// Executed quantity (base currency, positive).
    pub qty: Decimal,
    /// Fee paid in USDT (positive = paid).
    pub fee: Decimal,
    /// Maker or taker.
    pub liquidity: Liquidity,
    /// PnL realised by this fill when it reduced a position, before fees.
    pub realized_pnl: Decimal,
    /// True when the fill is a forced liquidation.
    pub is_liquidation: bool,
    /// Execution time.
    pub ts: TimestampMs,
}

impl Fill {
    /// A new fill record.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: impl Into<String>,
        order_id: impl Into<String>,
        client_id: ClientOrderId,
        symbol: Symbol,
        side: Side,
        price: Decimal,
        qty: Decimal,
        fee: Decimal,
        liquidity: Liquidity,
        ts: TimestampMs,
    ) -> Self {
        Fill {
            id: id.into(),
            order_id: order_id.into(),
            client_id,
            symbol,
            side,
            price,
            qty,
            fee,
            liquidity,
            realized_pnl: Decimal::ZERO,
            is_liquidation: false,
            ts,
        }
    }
}

/// What an exchange pushes about an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ExecutionEvent {
    /// An order changed state.
    Order(Order),
    /// An execution happened.
    Fill(Fill),
    /// A position changed (or closed: quantity zero).
    Position(Position),
    /// Events may have been missed (a reconnect, a subscriber that fell
    /// behind): listeners reconcile with the account instead of trusting
    /// what they saw.
    Gap,
}
