//! Classic (v2) answers: the `data` payloads of `/api/v2/mix/...` (and the
//! v2 WebSocket pushes, which share the shapes), spelled exactly as Bitget
//! spells them, and their conversion to the core model and to the
//! API-neutral [`crate::http::records`]. Numbers are accepted as strings or
//! numbers ([`crate::common::parse`]).

use gridbot_core::model::{Order, Position, Symbol};
use gridbot_core::ExchangeError;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::common::enums::parse_side;
use crate::common::parse::{de_decimal, de_i64, de_opt_decimal, de_string, de_u32};
use crate::http::records::{
    one_way_position, AccountModes, ContractSpec, FeePart, FillRecord, HoldMode, MarginMode, OrderWords, PositionLeg,
    RiskTier,
};

// ---- response payloads -------------------------------------------------------

/// `{orderId, clientOid}`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct V2OrderAck {
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
pub struct V2BatchFailure {
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
pub struct V2BatchResult {
    /// Accepted items.
    #[serde(default)]
    pub success_list: Option<Vec<V2OrderAck>>,
    /// Refused items.
    #[serde(default)]
    pub failure_list: Option<Vec<V2BatchFailure>>,
}

/// An order as `detail`, `orders-pending` and the WS `orders` channel describe it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V2OrderRecord {
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

impl V2OrderRecord {
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
        OrderWords {
            order_id: &self.order_id,
            client_oid: &self.client_oid,
            symbol: self.symbol(),
            side: &self.side,
            order_type: &self.order_type,
            status: &self.state,
            price: self.price,
            qty: self.size,
            filled: self.acc_base_volume.or(self.base_volume).unwrap_or_default(),
            avg_price: self.price_avg,
            reduce_only: &self.reduce_only,
            created: self.c_time,
            updated: self.u_time,
        }
        .to_order()
    }
}

/// `data` of `orders-pending`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V2PendingOrders {
    /// The page (null when empty).
    #[serde(default)]
    pub entrusted_list: Option<Vec<V2OrderRecord>>,
    /// Pass as `idLessThan` for the next page.
    #[serde(default, deserialize_with = "de_string")]
    pub end_id: String,
}

/// One fee item of a fill. v2 reports a fee paid as a negative number.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V2FeeDetail {
    /// Fee coin (`USDT`, or `BGB` when the BGB deduction paid it).
    #[serde(default, deserialize_with = "de_string")]
    pub fee_coin: String,
    /// `yes` when the fee was deducted in BGB.
    #[serde(default, deserialize_with = "de_string")]
    pub deduction: String,
    /// The fee after the BGB deduction (negative when paid).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub total_deduction_fee: Option<Decimal>,
    /// Total fee (negative when paid).
    #[serde(default, deserialize_with = "de_decimal")]
    pub total_fee: Decimal,
    /// Fee (WebSocket `orders` channel spelling).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub fee: Option<Decimal>,
}

impl V2FeeDetail {
    /// The fee in its coin, positive when paid: `totalDeductionFee` when the
    /// BGB deduction applied (as hummingbot reads it), else `totalFee` (or
    /// `fee`), sign turned.
    pub fn to_part(&self) -> FeePart {
        let raw = match self.total_deduction_fee {
            Some(d) if self.deduction.eq_ignore_ascii_case("yes") && !d.is_zero() => d,
            _ => self.fee.unwrap_or(self.total_fee),
        };
        FeePart {
            coin: if self.fee_coin.is_empty() {
                "USDT".to_owned()
            } else {
                self.fee_coin.to_ascii_uppercase()
            },
            paid: -raw,
        }
    }
}

/// A fill as `fills` and the WS `fill` channel describe it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V2FillRecord {
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
    pub fee_detail: Option<Vec<V2FeeDetail>>,
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

impl V2FillRecord {
    /// The contract, from `symbol` or `instId`.
    pub fn symbol(&self) -> &str {
        if self.symbol.is_empty() {
            &self.inst_id
        } else {
            &self.symbol
        }
    }

    /// The fill in the API-neutral shape.
    pub fn to_record(&self) -> Result<FillRecord, ExchangeError> {
        let side = parse_side(&self.side)
            .ok_or_else(|| ExchangeError::Protocol(format!("fill {}: unknown side {:?}", self.trade_id, self.side)))?;
        Ok(FillRecord {
            id: self.trade_id.clone(),
            order_id: self.order_id.clone(),
            client_oid: Some(self.client_oid.clone()).filter(|c| !c.is_empty()),
            symbol: self.symbol().to_owned(),
            side,
            price: self.price,
            qty: self.base_volume,
            fees: self
                .fee_detail
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(V2FeeDetail::to_part)
                .collect(),
            realized_pnl: self.profit,
            trade_side: self.trade_side.clone(),
            maker: self.trade_scope.eq_ignore_ascii_case("maker"),
            ts: self.c_time,
        })
    }
}

/// `data` of `fills`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V2FillsData {
    /// Newest first.
    #[serde(default)]
    pub fill_list: Option<Vec<V2FillRecord>>,
    /// Pass as `idLessThan` for the next (older) page.
    #[serde(default, deserialize_with = "de_string")]
    pub end_id: String,
}

/// A position as `all-position`, `single-position` and the WS `positions` channel describe it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V2PositionRecord {
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
    /// `isolated` / `crossed`.
    #[serde(default, deserialize_with = "de_string")]
    pub margin_mode: String,
}

impl V2PositionRecord {
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

    /// The one-way position of `symbol` from its records.
    pub fn to_position(symbol: &Symbol, records: &[V2PositionRecord]) -> Position {
        one_way_position(
            symbol,
            records.iter().map(|r| PositionLeg {
                signed_qty: r.signed_qty(),
                leverage: r.leverage,
                entry: r.open_price_avg,
                margin: r.margin_size,
                unrealized_pnl: r.unrealized_pl,
                liquidation: r.liquidation_price,
            }),
        )
    }
}

/// `data` of `account`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V2AccountRecord {
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
pub struct V2ContractRecord {
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
}

impl V2ContractRecord {
    /// Trading rules: tick = 10^-pricePlace × priceEndStep; lot = the size
    /// multiplier when given, else 10^-volumePlace; min qty = the larger of
    /// minTradeNum and the lot.
    pub fn to_spec(&self) -> Result<ContractSpec, ExchangeError> {
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
        Ok(ContractSpec {
            symbol,
            tick_size: tick.normalize(),
            lot_size: lot.normalize(),
            min_qty: self.min_trade_num.max(lot).normalize(),
            min_notional: self.min_trade_usdt,
            max_leverage: self.max_lever.max(1),
            maker_fee: self.maker_fee_rate,
            taker_fee: self.taker_fee_rate,
            status: self.symbol_status.clone(),
        })
    }
}

/// One tier from `query-position-lever`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V2TierRecord {
    /// Tier number.
    #[serde(default, deserialize_with = "de_u32")]
    pub level: u32,
    /// Position value from which the tier applies.
    #[serde(default, deserialize_with = "de_decimal")]
    pub start_unit: Decimal,
    /// Position value up to which it applies.
    #[serde(default, deserialize_with = "de_decimal")]
    pub end_unit: Decimal,
    /// Highest leverage.
    #[serde(default, deserialize_with = "de_u32")]
    pub leverage: u32,
    /// Maintenance margin rate.
    #[serde(default, deserialize_with = "de_decimal")]
    pub keep_margin_rate: Decimal,
}

impl V2TierRecord {
    /// The tier in the API-neutral shape.
    pub fn to_tier(&self) -> RiskTier {
        RiskTier {
            tier: self.level,
            min_value: self.start_unit,
            max_value: self.end_unit,
            max_leverage: self.leverage,
            maint_margin_rate: self.keep_margin_rate,
        }
    }
}

/// `data` of `account` (one symbol's margin account, with its modes).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V2SingleAccount {
    /// `isolated` / `crossed` for the symbol asked about.
    #[serde(default, deserialize_with = "de_string")]
    pub margin_mode: String,
    /// `one_way_mode` / `hedge_mode` of the product type.
    #[serde(default, deserialize_with = "de_string")]
    pub pos_mode: String,
    /// `single` or `union` (multi-asset).
    #[serde(default, deserialize_with = "de_string")]
    pub asset_mode: String,
    /// Leverage of a long isolated position.
    #[serde(default, deserialize_with = "de_u32")]
    pub isolated_long_lever: u32,
    /// Leverage of cross positions.
    #[serde(default, deserialize_with = "de_u32")]
    pub crossed_margin_leverage: u32,
}

impl V2SingleAccount {
    /// The modes in the API-neutral shape.
    pub fn to_modes(&self, symbol: &Symbol) -> AccountModes {
        let margin_mode = MarginMode::parse(&self.margin_mode);
        AccountModes {
            kind: crate::common::account::AccountKind::Classic,
            hold_mode: HoldMode::parse(&self.pos_mode),
            margin_mode,
            symbol: Some(symbol.clone()),
            leverage: match margin_mode {
                Some(MarginMode::Crossed) => Some(self.crossed_margin_leverage),
                _ => Some(self.isolated_long_lever),
            }
            .filter(|l| *l > 0),
            level: Some(self.asset_mode.clone()).filter(|s| !s.is_empty()),
        }
    }
}

/// A spot ticker from `/api/v2/spot/market/tickers` (fee coin prices).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V2SpotTicker {
    /// Pair, e.g. `BGBUSDT`.
    #[serde(default, deserialize_with = "de_string")]
    pub symbol: String,
    /// Last price.
    #[serde(default, deserialize_with = "de_decimal")]
    pub last_pr: Decimal,
}

/// A ticker from `ticker`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V2TickerRecord {
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

impl V2TickerRecord {
    /// The contract, from `symbol` or `instId`.
    pub fn symbol(&self) -> &str {
        if self.symbol.is_empty() {
            &self.inst_id
        } else {
            &self.symbol
        }
    }
}
