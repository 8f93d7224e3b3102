//! Unified (v3) answers: the `data` payloads of `/api/v3/...` and the v3
//! private WebSocket pushes, spelled as Bitget spells them (the WebSocket
//! renames a few fields; those are accepted as aliases), and their
//! conversion to the core model and to [`crate::http::records`]. Sources of
//! every field: `../shared/bitget/UTA.md` §2–3.
//!
//! Differences from v2 worth knowing: fees are reported positive when paid;
//! numbers may be empty strings or `null`; `posSide` is `long`/`short` even
//! in one-way mode (the WebSocket calls it `holdSide`); `liquidationPrice`
//! ≤ 0 means none.

use gridbot_core::model::{AccountBalance, Order, Position, Symbol};
use gridbot_core::ExchangeError;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::common::enums::parse_side;
use crate::common::parse::{de_decimal, de_i64, de_opt_decimal, de_string, de_u32};
use crate::http::records::{
    one_way_position, Ack, ContractSpec, FeePart, FillRecord, HoldMode, MarginMode, OrderWords, PositionLeg, RiskTier,
};

/// `{orderId, clientOid}` of place / cancel, and an item of batch answers
/// (with `code`/`msg` when the item failed).
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct V3OrderAck {
    /// Exchange id.
    #[serde(default, deserialize_with = "de_string")]
    pub order_id: String,
    /// Client id.
    #[serde(default, deserialize_with = "de_string")]
    pub client_oid: String,
    /// Failure code of a batch item (absent, empty or `00000` on success).
    #[serde(default, deserialize_with = "de_string")]
    pub code: String,
    /// Failure message of a batch item.
    #[serde(default, deserialize_with = "de_string")]
    pub msg: String,
}

impl V3OrderAck {
    /// True when the item was refused.
    pub fn failed(&self) -> bool {
        !(self.code.is_empty() || self.code == "00000" || self.code == "0")
    }
}

impl From<V3OrderAck> for Ack {
    fn from(a: V3OrderAck) -> Self {
        Ack {
            order_id: a.order_id,
            client_oid: a.client_oid,
        }
    }
}

/// `data` of `cancel-symbol-order` and `close-positions`: `{list: [...]}`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct V3AckList {
    /// Items.
    #[serde(default)]
    pub list: Option<Vec<V3OrderAck>>,
}

/// One fee item (`fee` positive when paid).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V3FeeDetail {
    /// Fee coin (may be `null` on unfilled orders).
    #[serde(default, deserialize_with = "de_string")]
    pub fee_coin: String,
    /// Fee, positive when paid.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub fee: Option<Decimal>,
}

/// An order as `order-info`, `unfilled-orders` and the `order` topic describe it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V3OrderRecord {
    /// Exchange id.
    #[serde(default, deserialize_with = "de_string")]
    pub order_id: String,
    /// Client id.
    #[serde(default, deserialize_with = "de_string")]
    pub client_oid: String,
    /// Contract.
    #[serde(default, deserialize_with = "de_string")]
    pub symbol: String,
    /// `limit` / `market`.
    #[serde(default, deserialize_with = "de_string")]
    pub order_type: String,
    /// `buy` / `sell`.
    #[serde(default, deserialize_with = "de_string")]
    pub side: String,
    /// Limit price (`0` for market orders).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub price: Option<Decimal>,
    /// Ordered quantity, base coin.
    #[serde(default, deserialize_with = "de_decimal")]
    pub qty: Decimal,
    /// Filled quantity.
    #[serde(default, deserialize_with = "de_decimal")]
    pub cum_exec_qty: Decimal,
    /// Average fill price.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub avg_price: Option<Decimal>,
    /// `live`, `new`, `partially_filled`, `filled`, `cancelled`.
    #[serde(default, deserialize_with = "de_string")]
    pub order_status: String,
    /// `isolated` / `crossed`.
    #[serde(default, deserialize_with = "de_string")]
    pub margin_mode: String,
    /// `YES` / `NO` (`yes`/`no` on the WebSocket).
    #[serde(default, deserialize_with = "de_string")]
    pub reduce_only: String,
    /// Creation time.
    #[serde(default, deserialize_with = "de_i64")]
    pub created_time: i64,
    /// Last update time.
    #[serde(default, deserialize_with = "de_i64")]
    pub updated_time: i64,
}

impl V3OrderRecord {
    /// The order in the core model.
    pub fn to_order(&self) -> Result<Order, ExchangeError> {
        OrderWords {
            order_id: &self.order_id,
            client_oid: &self.client_oid,
            symbol: &self.symbol,
            side: &self.side,
            order_type: &self.order_type,
            status: &self.order_status,
            price: self.price,
            qty: self.qty,
            filled: self.cum_exec_qty,
            avg_price: self.avg_price,
            reduce_only: &self.reduce_only,
            created: self.created_time,
            updated: self.updated_time,
        }
        .to_order()
    }
}

/// `data` of `unfilled-orders`: a page and the cursor of the next (older) one.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct V3OrderList {
    /// The page.
    #[serde(default)]
    pub list: Option<Vec<V3OrderRecord>>,
    /// Pass as `cursor` for the next page.
    #[serde(default, deserialize_with = "de_string")]
    pub cursor: String,
}

/// A fill as `trade/fills` and the `fill` topic describe it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V3FillRecord {
    /// Fill id.
    #[serde(default, deserialize_with = "de_string")]
    pub exec_id: String,
    /// Exchange order id.
    #[serde(default, deserialize_with = "de_string")]
    pub order_id: String,
    /// Client id (some samples lack it: optional).
    #[serde(default, deserialize_with = "de_string")]
    pub client_oid: String,
    /// Contract.
    #[serde(default, deserialize_with = "de_string")]
    pub symbol: String,
    /// `buy` / `sell`.
    #[serde(default, deserialize_with = "de_string")]
    pub side: String,
    /// Price.
    #[serde(default, deserialize_with = "de_decimal")]
    pub exec_price: Decimal,
    /// Quantity, base coin.
    #[serde(default, deserialize_with = "de_decimal")]
    pub exec_qty: Decimal,
    /// `maker` / `taker`.
    #[serde(default, deserialize_with = "de_string")]
    pub trade_scope: String,
    /// `open`, `close`, `buy_single`, ...
    #[serde(default, deserialize_with = "de_string")]
    pub trade_side: String,
    /// Fees.
    #[serde(default)]
    pub fee_detail: Option<Vec<V3FeeDetail>>,
    /// Realised PnL.
    #[serde(default, deserialize_with = "de_decimal")]
    pub exec_pnl: Decimal,
    /// Time (`execTime` on the WebSocket).
    #[serde(default, alias = "execTime", deserialize_with = "de_i64")]
    pub created_time: i64,
}

impl V3FillRecord {
    /// The fill in the API-neutral shape.
    pub fn to_record(&self) -> Result<FillRecord, ExchangeError> {
        let side = parse_side(&self.side)
            .ok_or_else(|| ExchangeError::Protocol(format!("fill {}: unknown side {:?}", self.exec_id, self.side)))?;
        Ok(FillRecord {
            id: self.exec_id.clone(),
            order_id: self.order_id.clone(),
            client_oid: Some(self.client_oid.clone()).filter(|c| !c.is_empty()),
            symbol: self.symbol.clone(),
            side,
            price: self.exec_price,
            qty: self.exec_qty,
            fees: self
                .fee_detail
                .as_deref()
                .unwrap_or_default()
                .iter()
                .filter_map(|f| {
                    Some(FeePart {
                        coin: if f.fee_coin.is_empty() {
                            "USDT".to_owned()
                        } else {
                            f.fee_coin.to_ascii_uppercase()
                        },
                        paid: f.fee?,
                    })
                })
                .collect(),
            realized_pnl: self.exec_pnl,
            trade_side: self.trade_side.clone(),
            maker: self.trade_scope.eq_ignore_ascii_case("maker"),
            ts: self.created_time,
        })
    }
}

/// `data` of `trade/fills`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct V3FillList {
    /// Newest first.
    #[serde(default)]
    pub list: Option<Vec<V3FillRecord>>,
    /// Pass as `cursor` for the next (older) page.
    #[serde(default, deserialize_with = "de_string")]
    pub cursor: String,
}

/// A position as `current-position` and the `position` topic describe it.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V3PositionRecord {
    /// Contract.
    #[serde(default, deserialize_with = "de_string")]
    pub symbol: String,
    /// `one_way_mode` / `hedge_mode`.
    #[serde(default, deserialize_with = "de_string")]
    pub hold_mode: String,
    /// `long` / `short` (`holdSide` on the WebSocket).
    #[serde(default, alias = "holdSide", deserialize_with = "de_string")]
    pub pos_side: String,
    /// `isolated` / `crossed`.
    #[serde(default, deserialize_with = "de_string")]
    pub margin_mode: String,
    /// Position margin (`marginSize` on the WebSocket).
    #[serde(default, alias = "marginSize", deserialize_with = "de_decimal")]
    pub position_balance: Decimal,
    /// Size, base coin (`size` on the WebSocket).
    #[serde(default, alias = "size", deserialize_with = "de_decimal")]
    pub total: Decimal,
    /// Leverage.
    #[serde(default, deserialize_with = "de_u32")]
    pub leverage: u32,
    /// Entry price.
    #[serde(default, deserialize_with = "de_decimal")]
    pub avg_price: Decimal,
    /// Unrealised PnL.
    #[serde(default, deserialize_with = "de_decimal")]
    pub unrealised_pnl: Decimal,
    /// Liquidation price (`liqPrice` on the WebSocket); ≤ 0 means none.
    #[serde(default, alias = "liqPrice", deserialize_with = "de_opt_decimal")]
    pub liquidation_price: Option<Decimal>,
    /// Maintenance margin rate of the position.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub mmr: Option<Decimal>,
}

impl V3PositionRecord {
    /// Signed quantity: positive long, negative short.
    pub fn signed_qty(&self) -> Decimal {
        match self.pos_side.to_ascii_lowercase().as_str() {
            "short" => -self.total.abs(),
            _ => self.total.abs(),
        }
    }

    /// The one-way position of `symbol` from its records (records of other symbols are ignored).
    pub fn to_position(symbol: &Symbol, records: &[V3PositionRecord]) -> Position {
        one_way_position(
            symbol,
            records
                .iter()
                .filter(|r| r.symbol.is_empty() || r.symbol == symbol.as_str())
                .map(|r| PositionLeg {
                    signed_qty: if r.total.is_zero() {
                        Decimal::ZERO
                    } else {
                        r.signed_qty()
                    },
                    leverage: r.leverage,
                    entry: r.avg_price,
                    margin: r.position_balance,
                    unrealized_pnl: r.unrealised_pnl,
                    liquidation: r.liquidation_price,
                }),
        )
    }
}

/// `data` of `current-position`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct V3PositionList {
    /// Positions.
    #[serde(default)]
    pub list: Option<Vec<V3PositionRecord>>,
}

/// One coin of `account/assets` (`coin[]` of the `account` topic).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V3CoinAsset {
    /// Coin.
    #[serde(default, deserialize_with = "de_string")]
    pub coin: String,
    /// Equity in the coin.
    #[serde(default, deserialize_with = "de_decimal")]
    pub equity: Decimal,
    /// Available.
    #[serde(default, deserialize_with = "de_decimal")]
    pub available: Decimal,
    /// Locked by spot orders.
    #[serde(default, deserialize_with = "de_decimal")]
    pub locked: Decimal,
}

/// `data` of `account/assets` (and an item of the `account` topic).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V3Assets {
    /// Equity in USD (`totalEquity` on the WebSocket).
    #[serde(default, alias = "totalEquity", deserialize_with = "de_decimal")]
    pub account_equity: Decimal,
    /// Equity in USDT.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub usdt_equity: Option<Decimal>,
    /// Initial margin in use, USD.
    #[serde(default, deserialize_with = "de_decimal")]
    pub imr: Decimal,
    /// Coins (non-zero only; `coin` on the WebSocket).
    #[serde(default, alias = "coin")]
    pub assets: Option<Vec<V3CoinAsset>>,
}

impl V3Assets {
    /// The USDT balance: equity in USDT (else USD), what USDT is available,
    /// and the initial margin in use (`imr`).
    pub fn to_balance(&self) -> AccountBalance {
        let usdt = self
            .assets
            .as_deref()
            .unwrap_or_default()
            .iter()
            .find(|a| a.coin.eq_ignore_ascii_case("USDT"));
        let equity = self.usdt_equity.filter(|e| !e.is_zero()).unwrap_or(self.account_equity);
        AccountBalance::new(equity, usdt.map(|a| a.available).unwrap_or_default(), self.imr)
    }
}

/// One symbol's entry of `symbolConfigList`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V3SymbolConfig {
    /// `USDT-FUTURES`, ...
    #[serde(default, deserialize_with = "de_string")]
    pub category: String,
    /// Contract.
    #[serde(default, deserialize_with = "de_string")]
    pub symbol: String,
    /// `crossed` / `isolated`.
    #[serde(default, deserialize_with = "de_string")]
    pub margin_mode: String,
    /// Leverage.
    #[serde(default, deserialize_with = "de_u32")]
    pub leverage: u32,
}

/// `data` of `account/settings`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V3Settings {
    /// `unified`, `hybrid`, `upgrading`, `switching`.
    #[serde(default, deserialize_with = "de_string")]
    pub account_mode: String,
    /// `basic`, `advanced`, `isolated`, `delta`.
    #[serde(default, deserialize_with = "de_string")]
    pub account_level: String,
    /// `one_way_mode` / `hedge_mode`; one live report says the field can be
    /// missing, so it is optional.
    #[serde(default, deserialize_with = "de_string")]
    pub hold_mode: String,
    /// Per-symbol margin mode and leverage.
    #[serde(default)]
    pub symbol_config_list: Option<Vec<V3SymbolConfig>>,
}

impl V3Settings {
    /// The position mode, when reported.
    pub fn hold(&self) -> Option<HoldMode> {
        HoldMode::parse(&self.hold_mode)
    }

    /// The USDT-M config of `symbol`, when listed.
    pub fn symbol_config(&self, symbol: &Symbol) -> Option<&V3SymbolConfig> {
        self.symbol_config_list.as_deref().unwrap_or_default().iter().find(|c| {
            c.symbol == symbol.as_str() && (c.category.is_empty() || c.category.eq_ignore_ascii_case("USDT-FUTURES"))
        })
    }

    /// The margin mode of `symbol`, when listed.
    pub fn margin_of(&self, symbol: &Symbol) -> Option<MarginMode> {
        self.symbol_config(symbol)
            .and_then(|c| MarginMode::parse(&c.margin_mode))
    }
}

/// A contract from `market/instruments`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V3Instrument {
    /// Contract.
    #[serde(default, deserialize_with = "de_string")]
    pub symbol: String,
    /// Price step (the tick; `pricePrecision` alone can be coarser than the
    /// real step, e.g. 0.5 with one decimal).
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub price_multiplier: Option<Decimal>,
    /// Price decimals.
    #[serde(default, deserialize_with = "de_u32")]
    pub price_precision: u32,
    /// Quantity step.
    #[serde(default, deserialize_with = "de_opt_decimal")]
    pub quantity_multiplier: Option<Decimal>,
    /// Quantity decimals.
    #[serde(default, deserialize_with = "de_u32")]
    pub quantity_precision: u32,
    /// Smallest quantity, base coin.
    #[serde(default, deserialize_with = "de_decimal")]
    pub min_order_qty: Decimal,
    /// Smallest order value, USDT.
    #[serde(default, deserialize_with = "de_decimal")]
    pub min_order_amount: Decimal,
    /// Highest leverage.
    #[serde(default, deserialize_with = "de_u32")]
    pub max_leverage: u32,
    /// Maker fee rate.
    #[serde(default, deserialize_with = "de_decimal")]
    pub maker_fee_rate: Decimal,
    /// Taker fee rate.
    #[serde(default, deserialize_with = "de_decimal")]
    pub taker_fee_rate: Decimal,
    /// `listed`, `online`, `limit_open`, `limit_close`, `offline`, `restrictedAPI`.
    #[serde(default, deserialize_with = "de_string")]
    pub status: String,
}

impl V3Instrument {
    /// Trading rules: tick = `priceMultiplier` (else 10^-pricePrecision),
    /// lot = `quantityMultiplier` (else 10^-quantityPrecision), min qty = the
    /// larger of `minOrderQty` and the lot.
    pub fn to_spec(&self) -> Result<ContractSpec, ExchangeError> {
        let symbol = Symbol::new(&self.symbol).map_err(|e| ExchangeError::Protocol(format!("instrument: {e}")))?;
        let place = |n: u32| Decimal::new(1, n.min(28));
        let tick = self
            .price_multiplier
            .filter(|s| *s > Decimal::ZERO)
            .unwrap_or_else(|| place(self.price_precision));
        let lot = self
            .quantity_multiplier
            .filter(|s| *s > Decimal::ZERO)
            .unwrap_or_else(|| place(self.quantity_precision));
        Ok(ContractSpec {
            symbol,
            tick_size: tick.normalize(),
            lot_size: lot.normalize(),
            min_qty: self.min_order_qty.max(lot).normalize(),
            min_notional: self.min_order_amount,
            max_leverage: self.max_leverage.max(1),
            maker_fee: self.maker_fee_rate,
            taker_fee: self.taker_fee_rate,
            status: self.status.clone(),
        })
    }
}

/// One tier from `market/position-tier`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V3Tier {
    /// Tier number.
    #[serde(default, deserialize_with = "de_u32")]
    pub tier: u32,
    /// Notional from which the tier applies.
    #[serde(default, deserialize_with = "de_decimal")]
    pub min_tier_value: Decimal,
    /// Notional up to which it applies.
    #[serde(default, deserialize_with = "de_decimal")]
    pub max_tier_value: Decimal,
    /// Highest leverage.
    #[serde(default, deserialize_with = "de_u32")]
    pub leverage: u32,
    /// Maintenance margin rate.
    #[serde(default, deserialize_with = "de_decimal")]
    pub mmr: Decimal,
}

impl V3Tier {
    /// The tier in the API-neutral shape.
    pub fn to_tier(&self) -> RiskTier {
        RiskTier {
            tier: self.tier,
            min_value: self.min_tier_value,
            max_value: self.max_tier_value,
            max_leverage: self.leverage,
            maint_margin_rate: self.mmr,
        }
    }
}

/// A ticker from `market/tickers`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct V3Ticker {
    /// Contract or pair.
    #[serde(default, deserialize_with = "de_string")]
    pub symbol: String,
    /// Last price.
    #[serde(default, deserialize_with = "de_decimal")]
    pub last_price: Decimal,
    /// Time.
    #[serde(default, deserialize_with = "de_i64")]
    pub ts: i64,
}
