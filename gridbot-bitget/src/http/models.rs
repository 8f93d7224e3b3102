//! Wire models of the REST answers (`data` payloads; request bodies are in
//! [`crate::http::requests`] and re-exported here),
//! spelled exactly as Bitget spells them, and their conversion to the core
//! model. Numbers are accepted as strings or numbers
//! ([`crate::common::parse`]).

use gridbot_core::model::{Candle, Instrument, Order, Side, Symbol, TimestampMs};
use gridbot_core::ExchangeError;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::common::enums::{parse_order_state, parse_order_type, parse_side};
use crate::common::parse::{de_decimal, de_i64, de_opt_decimal, de_string, de_u32, decimal_from_str};

pub use crate::http::requests::*;

// ---- response payloads -------------------------------------------------------

/// `{orderId, clientOid}`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OrderAck {
    /// Exchange id.
    #[serde(default, deserialize_with = "de_string")]
    pub order_id: String,
    /// Client id.
    #[serde(default, deserialize_with = "de_string")]
    pub client_oid: String,
}

/// A failed item of a batch call.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BatchFailure {
    /// Exchange id, when known.
    #[serde(default, deserialize_with = "de_string")]
    pub order_id: String,
    /// Client id.
    #[serde(default, deserialize_with = "de_string")]
    pub client_oid: String,
    /// Reason.
    #[serde(default, deserialize_with = "de_string")]
    pub error_msg: String,
    /// Bitget code.
    #[serde(default, deserialize_with = "de_string")]
    pub error_code: String,
}

/// `data` of batch place and batch cancel.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct BatchResult {
    /// Accepted items.
    #[serde(default)]
    pub success_list: Option<Vec<OrderAck>>,
    /// Refused items.
    #[serde(default)]
    pub failure_list: Option<Vec<BatchFailure>>,
}

/// An order as `detail`, `orders-pending` and the WS `orders` channel describe it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct OrderRecord {
    /// Contract (`instId` on the WebSocket).
    #[serde(default, deserialize_with = "de_string")]
    pub symbol: String,
    /// Contract as the WebSocket spells it (`instId`); see `symbol()`.
    #[serde(default, rename = "instId", deserialize_with = "de_string")]
    pub inst_id: String,
    /// Ordered size.
    #[serde(default, deserialize_with = "de_decimal")]
    pub size: Decimal,
    /// Exchange id.
    #[serde(default, deserialize_with = "de_string")]
    pub order_id: String,
    /// Client id.
    #[serde(default, deserialize_with = "de_string")]
    pub client_oid: String,
    /// Filled size (REST).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub base_volume: Option<Decimal>,
    /// Accumulated filled size (WebSocket).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub acc_base_volume: Option<Decimal>,
    /// Limit price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub price: Option<Decimal>,
    /// Average fill price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub price_avg: Option<Decimal>,
    /// `state` (detail) or `status` (pending list, WebSocket).
    #[serde(default, alias = "status", deserialize_with = "de_string")]
    pub state: String,
    /// `buy` / `sell`.
    #[serde(default, deserialize_with = "de_string")]
    pub side: String,
    /// `limit` / `market`.
    #[serde(default, deserialize_with = "de_string")]
    pub order_type: String,
    /// `YES` / `NO` (or a boolean on the WebSocket).
    #[serde(default, deserialize_with = "de_string")]
    pub reduce_only: String,
    /// Creation time.
    #[serde(default, deserialize_with = "de_i64")]
    pub c_time: i64,
    /// Last update time.
    #[serde(default, deserialize_with = "de_i64")]
    pub u_time: i64,
}

impl OrderRecord {
    /// The contract, from `symbol` or `instId`.
    pub fn symbol(&self) -> &str {
        if self.symbol.is_empty() {
            &self.inst_id
        } else {
            &self.symbol
        }
    }

    /// The order in the core model.
    pub fn to_order(&self) -> Result<Order, ExchangeError> {
        let symbol =
            Symbol::new(self.symbol()).map_err(|e| ExchangeError::Protocol(format!("order {}: {e}", self.order_id)))?;
        let side = parse_side(&self.side)
            .ok_or_else(|| ExchangeError::Protocol(format!("order {}: unknown side {:?}", self.order_id, self.side)))?;
        let kind = parse_order_type(&self.order_type).ok_or_else(|| {
            ExchangeError::Protocol(format!(
                "order {}: unknown orderType {:?}",
                self.order_id, self.order_type
            ))
        })?;
        let status = parse_order_state(&self.state).ok_or_else(|| {
            ExchangeError::Protocol(format!("order {}: unknown state {:?}", self.order_id, self.state))
        })?;
        let filled = self.acc_base_volume.or(self.base_volume).unwrap_or_default();
        let mut order = Order::accepted(
            self.order_id.clone(),
            &gridbot_core::model::OrderRequest::limit(
                gridbot_core::model::ClientOrderId::new(self.client_oid.clone()),
                symbol,
                side,
                self.price.unwrap_or_default(),
                self.size,
            ),
            self.c_time,
        );
        order.kind = kind;
        order.price = match kind {
            gridbot_core::model::OrderKind::Limit => self.price.filter(|p| !p.is_zero()),
            gridbot_core::model::OrderKind::Market => None,
        };
        order.filled_qty = filled;
        order.avg_fill_price = self.price_avg.filter(|p| !p.is_zero());
        order.status = status;
        order.reduce_only = matches!(self.reduce_only.to_ascii_lowercase().as_str(), "yes" | "true");
        order.updated_at = self.u_time.max(self.c_time);
        Ok(order)
    }
}

/// `data` of `orders-pending`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PendingOrders {
    /// The page (null when empty).
    #[serde(default)]
    pub entrusted_list: Option<Vec<OrderRecord>>,
    /// Pass as `idLessThan` for the next page.
    #[serde(default, deserialize_with = "de_string")]
    pub end_id: String,
}

/// One fee item of a fill.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FeeDetail {
    /// Fee coin.
    #[serde(default, deserialize_with = "de_string")]
    pub fee_coin: String,
    /// Total fee; Bitget reports fees paid as negative numbers.
    #[serde(default, deserialize_with = "de_decimal")]
    pub total_fee: Decimal,
    /// Fee (WebSocket `orders` channel spelling).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub fee: Option<Decimal>,
}

/// A fill as `fills` and the WS `fill` channel describe it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FillRecord {
    /// Fill id, numeric and increasing.
    #[serde(default, deserialize_with = "de_string")]
    pub trade_id: String,
    /// Contract.
    #[serde(default, deserialize_with = "de_string")]
    pub symbol: String,
    /// Contract as the WebSocket spells it (`instId`); see `symbol()`.
    #[serde(default, rename = "instId", deserialize_with = "de_string")]
    pub inst_id: String,
    /// Exchange order id.
    #[serde(default, deserialize_with = "de_string")]
    pub order_id: String,
    /// Client id, when the source includes it (Bitget's fill records do not;
    /// it is looked up by order id).
    #[serde(default, deserialize_with = "de_string")]
    pub client_oid: String,
    /// Price.
    #[serde(default, deserialize_with = "de_decimal")]
    pub price: Decimal,
    /// Size in base coin.
    #[serde(default, deserialize_with = "de_decimal")]
    pub base_volume: Decimal,
    /// Fees.
    #[serde(default)]
    pub fee_detail: Option<Vec<FeeDetail>>,
    /// `buy` / `sell`.
    #[serde(default, deserialize_with = "de_string")]
    pub side: String,
    /// Realised PnL.
    #[serde(default, deserialize_with = "de_decimal")]
    pub profit: Decimal,
    /// `open`, `close`, `burst_close_long`, ...
    #[serde(default, deserialize_with = "de_string")]
    pub trade_side: String,
    /// `maker` / `taker`.
    #[serde(default, deserialize_with = "de_string")]
    pub trade_scope: String,
    /// Time.
    #[serde(default, deserialize_with = "de_i64")]
    pub c_time: i64,
}

impl FillRecord {
    /// The contract, from `symbol` or `instId`.
    pub fn symbol(&self) -> &str {
        if self.symbol.is_empty() {
            &self.inst_id
        } else {
            &self.symbol
        }
    }

    /// Fee paid, positive (Bitget reports it negative).
    pub fn fee_paid(&self) -> Decimal {
        self.fee_detail
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|f| f.fee.unwrap_or(f.total_fee))
            .sum::<Decimal>()
            .abs()
    }
}

/// `data` of `fills`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct FillsData {
    /// Newest first.
    #[serde(default)]
    pub fill_list: Option<Vec<FillRecord>>,
    /// Pass as `idLessThan` for the next (older) page.
    #[serde(default, deserialize_with = "de_string")]
    pub end_id: String,
}

/// A position as `all-position`, `single-position` and the WS `positions` channel describe it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PositionRecord {
    /// Contract.
    #[serde(default, deserialize_with = "de_string")]
    pub symbol: String,
    /// Contract as the WebSocket spells it (`instId`); see `symbol()`.
    #[serde(default, rename = "instId", deserialize_with = "de_string")]
    pub inst_id: String,
    /// `long` / `short` (or `net`).
    #[serde(default, deserialize_with = "de_string")]
    pub hold_side: String,
    /// Size (base coin).
    #[serde(default, deserialize_with = "de_decimal")]
    pub total: Decimal,
    /// Entry price.
    #[serde(default, deserialize_with = "de_decimal")]
    pub open_price_avg: Decimal,
    /// Leverage.
    #[serde(default, deserialize_with = "de_u32")]
    pub leverage: u32,
    /// Margin held.
    #[serde(default, deserialize_with = "de_decimal")]
    pub margin_size: Decimal,
    /// Unrealised PnL.
    #[serde(default, rename = "unrealizedPL", deserialize_with = "de_decimal")]
    pub unrealized_pl: Decimal,
    /// Estimated liquidation price (0 or empty when none).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub liquidation_price: Option<Decimal>,
    /// `one_way_mode` / `hedge_mode`.
    #[serde(default, deserialize_with = "de_string")]
    pub pos_mode: String,
}

impl PositionRecord {
    /// The contract, from `symbol` or `instId`.
    pub fn symbol(&self) -> &str {
        if self.symbol.is_empty() {
            &self.inst_id
        } else {
            &self.symbol
        }
    }

    /// Signed quantity: positive long, negative short.
    pub fn signed_qty(&self) -> Decimal {
        match self.hold_side.to_ascii_lowercase().as_str() {
            "short" => -self.total.abs(),
            _ => self.total,
        }
    }
}

/// `data` of `account`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct AccountRecord {
    /// Margin coin.
    #[serde(default, deserialize_with = "de_string")]
    pub margin_coin: String,
    /// Locked by orders.
    #[serde(default, deserialize_with = "de_decimal")]
    pub locked: Decimal,
    /// Available.
    #[serde(default, deserialize_with = "de_decimal")]
    pub available: Decimal,
    /// Equity (wallet plus unrealised PnL).
    #[serde(default, deserialize_with = "de_decimal")]
    pub account_equity: Decimal,
    /// Equity in USDT.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub usdt_equity: Option<Decimal>,
    /// Unrealised PnL.
    #[serde(default, rename = "unrealizedPL", deserialize_with = "de_decimal")]
    pub unrealized_pl: Decimal,
}

/// A contract from `contracts`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ContractRecord {
    /// Contract.
    #[serde(default, deserialize_with = "de_string")]
    pub symbol: String,
    /// Maker fee rate.
    #[serde(default, deserialize_with = "de_decimal")]
    pub maker_fee_rate: Decimal,
    /// Taker fee rate.
    #[serde(default, deserialize_with = "de_decimal")]
    pub taker_fee_rate: Decimal,
    /// Smallest size.
    #[serde(default, deserialize_with = "de_decimal")]
    pub min_trade_num: Decimal,
    /// Price step multiplier at `pricePlace` (usually 1).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub price_end_step: Option<Decimal>,
    /// Price decimals.
    #[serde(default, deserialize_with = "de_u32")]
    pub price_place: u32,
    /// Size decimals.
    #[serde(default, deserialize_with = "de_u32")]
    pub volume_place: u32,
    /// Size step.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub size_multiplier: Option<Decimal>,
    /// Smallest order value in USDT.
    #[serde(default, rename = "minTradeUSDT", deserialize_with = "de_decimal")]
    pub min_trade_usdt: Decimal,
    /// Highest leverage.
    #[serde(default, deserialize_with = "de_u32")]
    pub max_lever: u32,
    /// `normal`, `maintain`, `off`, ...
    #[serde(default, deserialize_with = "de_string")]
    pub symbol_status: String,
    /// Maintenance margin rate, when the source gives one.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub maintain_margin_rate: Option<Decimal>,
}

/// Maintenance margin rate used when the contract list gives none (Bitget's
/// lowest tier for the majors).
pub const DEFAULT_MAINT_MARGIN_RATE: Decimal = Decimal::from_parts(4, 0, 0, false, 3);

impl ContractRecord {
    /// Trading rules: tick = 10^-pricePlace × priceEndStep; lot = the size
    /// multiplier when given, else 10^-volumePlace; min qty = the larger of
    /// minTradeNum and the lot.
    pub fn to_instrument(&self) -> Result<Instrument, ExchangeError> {
        let symbol = Symbol::new(&self.symbol).map_err(|e| ExchangeError::Protocol(format!("contract: {e}")))?;
        let place = |n: u32| Decimal::new(1, n.min(28));
        let tick = place(self.price_place)
            * self
                .price_end_step
                .filter(|s| *s > Decimal::ZERO)
                .unwrap_or(Decimal::ONE);
        let lot = self
            .size_multiplier
            .filter(|s| *s > Decimal::ZERO)
            .unwrap_or_else(|| place(self.volume_place));
        Instrument::new(
            symbol,
            tick.normalize(),
            lot.normalize(),
            self.min_trade_num.max(lot).normalize(),
            self.min_trade_usdt,
            self.max_lever.max(1),
            self.maker_fee_rate,
            self.taker_fee_rate,
            self.maintain_margin_rate.unwrap_or(DEFAULT_MAINT_MARGIN_RATE),
        )
        .map_err(|e| ExchangeError::Protocol(format!("contract {}: {e}", self.symbol)))
    }
}

/// A ticker from `ticker`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TickerRecord {
    /// Contract (`instId` on the WebSocket).
    #[serde(default, deserialize_with = "de_string")]
    pub symbol: String,
    /// Contract as the WebSocket spells it (`instId`); see `symbol()`.
    #[serde(default, rename = "instId", deserialize_with = "de_string")]
    pub inst_id: String,
    /// Last price.
    #[serde(default, deserialize_with = "de_decimal")]
    pub last_pr: Decimal,
    /// Time.
    #[serde(default, deserialize_with = "de_i64")]
    pub ts: i64,
}

impl TickerRecord {
    /// The contract, from `symbol` or `instId`.
    pub fn symbol(&self) -> &str {
        if self.symbol.is_empty() {
            &self.inst_id
        } else {
            &self.symbol
        }
    }
}

/// Parses a candle row `[ts, open, high, low, close, baseVolume, ...]`
/// (strings or numbers, at least 6 fields).
pub fn parse_candle_row(row: &[serde_json::Value]) -> Result<Candle, ExchangeError> {
    if row.len() < 6 {
        return Err(ExchangeError::Protocol(format!(
            "candle row has {} fields, expected at least 6",
            row.len()
        )));
    }
    let text = |i: usize| -> Option<String> {
        match row.get(i)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let dec = |i: usize| {
        text(i)
            .and_then(|t| decimal_from_str(&t))
            .ok_or_else(|| ExchangeError::Protocol(format!("candle row field {i} is not a number: {row:?}")))
    };
    let ts: TimestampMs = text(0)
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| ExchangeError::Protocol(format!("candle row time is not an integer: {row:?}")))?;
    Ok(Candle {
        ts,
        open: dec(1)?,
        high: dec(2)?,
        low: dec(3)?,
        close: dec(4)?,
        volume: dec(5)?,
    })
}

/// The side of a fill record.
pub fn fill_side(rec: &FillRecord) -> Result<Side, ExchangeError> {
    parse_side(&rec.side)
        .ok_or_else(|| ExchangeError::Protocol(format!("fill {}: unknown side {:?}", rec.trade_id, rec.side)))
}
