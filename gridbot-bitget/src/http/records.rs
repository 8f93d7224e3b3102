//! What both API clients ([`super::v2::ClassicRest`], [`super::v3::UnifiedRest`])
//! hand to the execution layer, in one vocabulary whatever the API: an
//! encoded order, a placement answer, a fill, a contract's rules and risk
//! tiers, the account's modes.
//!
//! Orders are checked and formatted once, here ([`encode_order`]); each API
//! only spells the fields its own way.

use gridbot_core::model::{
    ClientOrderId, Instrument, Order, OrderKind, OrderRequest, Position, Rounding, Side, Symbol, TimeInForce,
};
use gridbot_core::ExchangeError;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::common::account::AccountKind;
use crate::common::client_oid::check_client_oid;
use crate::common::enums::{parse_order_state, parse_order_type, parse_side};
use crate::http::client::ApiFailure;

/// `value` written with exactly the decimals of `step` (`0.1` → 1 decimal).
pub fn format_at(value: Decimal, step: Decimal) -> String {
    let mut v = value;
    v.rescale(step.normalize().scale());
    v.to_string()
}

/// An order checked against its instrument and written at its precision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedOrder {
    /// Quantity in base coin, at the lot's decimals.
    pub qty: String,
    /// Limit price at the tick's decimals (`None` for market orders).
    pub price: Option<String>,
    /// Buy or sell.
    pub side: Side,
    /// Limit or market.
    pub kind: OrderKind,
    /// Time in force of a limit order (`gtc`, `post_only`, `ioc`, `fok`).
    pub tif: Option<&'static str>,
    /// The client order id, checked against the id rule.
    pub client_oid: String,
    /// Closes only.
    pub reduce_only: bool,
    /// Take-profit trigger price, on tick.
    pub take_profit: Option<String>,
    /// Stop-loss trigger price, on tick.
    pub stop_loss: Option<String>,
}

impl EncodedOrder {
    /// True when the order carries a preset take-profit or stop-loss.
    pub fn has_presets(&self) -> bool {
        self.take_profit.is_some() || self.stop_loss.is_some()
    }
}

/// `tif` of a limit order on the wire; `None` for a time in force Bitget
/// does not offer.
pub fn tif_str(tif: TimeInForce) -> Option<&'static str> {
    crate::common::enums::force_str(tif)
}

/// Checks `req` against `inst` (symbol, client id rule, tick, lot, minimums)
/// and writes it at the instrument's precision.
pub fn encode_order(inst: &Instrument, req: &OrderRequest) -> Result<EncodedOrder, ExchangeError> {
    if req.symbol != inst.symbol {
        return Err(ExchangeError::InvalidOrder(format!(
            "order {} is for {}, not {}",
            req.client_id, req.symbol, inst.symbol
        )));
    }
    check_client_oid(&req.client_id)?;
    let price = match req.kind {
        OrderKind::Limit => {
            let p = req
                .price
                .ok_or_else(|| ExchangeError::InvalidOrder(format!("limit order {} has no price", req.client_id)))?;
            inst.check_order(p, req.qty)?;
            Some(format_at(p, inst.tick_size))
        }
        OrderKind::Market => {
            if !inst.is_on_lot(req.qty) {
                return Err(ExchangeError::Precision(format!(
                    "quantity {} is not a multiple of the lot size {} for {}",
                    req.qty, inst.lot_size, inst.symbol
                )));
            }
            if req.qty < inst.min_qty || req.qty <= Decimal::ZERO {
                return Err(ExchangeError::BelowMinimum(format!(
                    "quantity {} is below the minimum {} for {}",
                    req.qty, inst.min_qty, inst.symbol
                )));
            }
            None
        }
    };
    let preset = |p: Option<Decimal>| p.map(|v| format_at(inst.round_price(v, Rounding::Nearest), inst.tick_size));
    let tif = match req.kind {
        OrderKind::Limit => Some(tif_str(req.tif).ok_or_else(|| {
            ExchangeError::InvalidOrder(format!(
                "time in force {:?} is not offered by Bitget; use gtc, post-only, ioc or fok",
                req.tif
            ))
        })?),
        OrderKind::Market => None,
    };
    Ok(EncodedOrder {
        qty: format_at(req.qty, inst.lot_size),
        price,
        side: req.side,
        kind: req.kind,
        tif,
        client_oid: req.client_id.as_str().to_owned(),
        reduce_only: req.reduce_only,
        take_profit: preset(req.preset_take_profit),
        stop_loss: preset(req.preset_stop_loss),
    })
}

/// An accepted order: `{orderId, clientOid}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// Exchange id (may be empty: Bitget answers none when a one-way
    /// reduce-only order replaced an older one; look it up by client id).
    pub order_id: String,
    /// Client id.
    pub client_oid: String,
}

/// A refused item of a batch (or a refused single order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFailure {
    /// Client id.
    pub client_oid: String,
    /// Bitget's code.
    pub code: String,
    /// Bitget's message.
    pub msg: String,
}

/// What one placement or cancellation request answered, item by item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchAnswer {
    /// Accepted items.
    pub acks: Vec<Ack>,
    /// Refused items.
    pub failures: Vec<ItemFailure>,
}

/// A single-item call's answer as a batch answer: a refusal with a Bitget
/// code is the item's failure; anything else fails the call.
pub fn single_answer<T: Into<Ack>>(client_oid: &str, r: Result<T, ApiFailure>) -> Result<BatchAnswer, ApiFailure> {
    match r {
        Ok(ack) => {
            let mut ack: Ack = ack.into();
            if ack.client_oid.is_empty() {
                client_oid.clone_into(&mut ack.client_oid);
            }
            Ok(BatchAnswer {
                acks: vec![ack],
                failures: Vec::new(),
            })
        }
        Err(f) => match &f.code {
            Some(code) => Ok(BatchAnswer {
                acks: Vec::new(),
                failures: vec![ItemFailure {
                    client_oid: client_oid.to_owned(),
                    code: code.clone(),
                    msg: failure_message(&f),
                }],
            }),
            None => Err(f),
        },
    }
}

/// Bitget's own message of a refusal.
pub fn failure_message(f: &ApiFailure) -> String {
    match &f.error {
        ExchangeError::Rejected { message, .. } => message.clone(),
        e => e.to_string(),
    }
}

/// One part of a fill's fee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeePart {
    /// The coin the fee was charged in (`USDT`, `BGB`, ...).
    pub coin: String,
    /// Amount paid in that coin: positive paid, negative received (rebate).
    pub paid: Decimal,
}

/// A fill, whatever API reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillRecord {
    /// Fill id (`tradeId` on v2, `execId` on v3), numeric and increasing.
    pub id: String,
    /// Exchange order id.
    pub order_id: String,
    /// Client id when the source includes it.
    pub client_oid: Option<String>,
    /// Contract.
    pub symbol: String,
    /// Buy or sell.
    pub side: Side,
    /// Price.
    pub price: Decimal,
    /// Size in base coin.
    pub qty: Decimal,
    /// Fees, per coin.
    pub fees: Vec<FeePart>,
    /// PnL realised by the fill.
    pub realized_pnl: Decimal,
    /// `tradeSide` as sent (`open`, `close`, `burst_close_long`, ...).
    pub trade_side: String,
    /// Rested (maker) or took (taker).
    pub maker: bool,
    /// Time.
    pub ts: i64,
}

/// A contract's trading rules, without its risk tiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractSpec {
    /// Contract.
    pub symbol: Symbol,
    /// Price step.
    pub tick_size: Decimal,
    /// Quantity step.
    pub lot_size: Decimal,
    /// Smallest quantity.
    pub min_qty: Decimal,
    /// Smallest order value, USDT.
    pub min_notional: Decimal,
    /// Highest leverage.
    pub max_leverage: u32,
    /// Maker fee rate.
    pub maker_fee: Decimal,
    /// Taker fee rate.
    pub taker_fee: Decimal,
    /// Bitget's status word (`normal`, `online`, `maintain`, ...).
    pub status: String,
}

impl ContractSpec {
    /// The instrument with the maintenance margin rate of `tiers`: the rate
    /// of the first tier (the smallest positions). Positions above that
    /// tier's value pay the higher rates listed in the tiers.
    pub fn to_instrument(&self, tiers: &[RiskTier]) -> Result<Instrument, ExchangeError> {
        let first = tiers.iter().min_by_key(|t| t.tier).ok_or_else(|| {
            ExchangeError::Protocol(format!("{}: Bitget listed no maintenance margin tiers", self.symbol))
        })?;
        Instrument::new(
            self.symbol.clone(),
            self.tick_size,
            self.lot_size,
            self.min_qty,
            self.min_notional,
            self.max_leverage.max(1),
            self.maker_fee,
            self.taker_fee,
            first.maint_margin_rate,
        )
        .map_err(|e| ExchangeError::Protocol(format!("contract {}: {e}", self.symbol)))
    }
}

/// The contracts of a listing the adapter can read; the others are logged
/// and skipped (a new field Bitget adds must not stop trading the rest).
pub fn readable_specs<T>(
    records: &[T],
    name: impl Fn(&T) -> &str,
    to_spec: impl Fn(&T) -> Result<ContractSpec, ExchangeError>,
) -> Vec<ContractSpec> {
    records
        .iter()
        .filter_map(|r| match to_spec(r) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(symbol = %name(r), error = %e, "skipping a contract this adapter cannot read");
                None
            }
        })
        .collect()
}

/// The last price of `pair` among `(symbol, price)` ticker rows; a pair
/// Bitget does not list (no row, or refused as unknown) is `None`.
pub fn spot_price_from(
    rows: Result<Vec<(String, Decimal)>, ExchangeError>,
    pair: &str,
) -> Result<Option<Decimal>, ExchangeError> {
    match rows {
        Ok(rows) => Ok(rows
            .into_iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(pair))
            .map(|(_, p)| p)
            .filter(|p| *p > Decimal::ZERO)),
        Err(ExchangeError::UnknownSymbol(_) | ExchangeError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One position record of a symbol, whatever API reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionLeg {
    /// Size: positive long, negative short, zero flat.
    pub signed_qty: Decimal,
    /// Leverage.
    pub leverage: u32,
    /// Entry price.
    pub entry: Decimal,
    /// Margin held.
    pub margin: Decimal,
    /// Unrealised PnL.
    pub unrealized_pnl: Decimal,
    /// Liquidation price (≤ 0 or none when there is none).
    pub liquidation: Option<Decimal>,
}

/// The one-way position of `symbol` from its records (flat when none is open).
pub fn one_way_position(symbol: &Symbol, legs: impl IntoIterator<Item = PositionLeg>) -> Position {
    let (mut qty, mut leverage, mut entry) = (Decimal::ZERO, 1u32, Decimal::ZERO);
    let (mut margin, mut upnl, mut liq) = (Decimal::ZERO, Decimal::ZERO, None);
    for leg in legs {
        leverage = leverage.max(leg.leverage);
        if leg.signed_qty.is_zero() {
            continue;
        }
        qty += leg.signed_qty;
        entry = leg.entry;
        margin += leg.margin;
        upnl += leg.unrealized_pnl;
        liq = leg.liquidation.filter(|p| *p > Decimal::ZERO);
    }
    if qty.is_zero() {
        return Position::flat(symbol.clone(), leverage);
    }
    Position::new(symbol.clone(), qty, entry, leverage, margin, upnl, liq)
}

/// One maintenance margin tier of a contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskTier {
    /// Tier number, from 1.
    pub tier: u32,
    /// Position value from which the tier applies, USDT.
    pub min_value: Decimal,
    /// Position value up to which the tier applies, USDT.
    pub max_value: Decimal,
    /// Highest leverage in the tier.
    pub max_leverage: u32,
    /// Maintenance margin rate of the tier.
    pub maint_margin_rate: Decimal,
}

/// One-way or hedge position mode (serialized as Bitget spells it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum HoldMode {
    /// One net position per symbol (`one_way_mode`): what gridbot trades.
    #[serde(rename = "one_way_mode")]
    OneWay,
    /// A long and a short position per symbol (`hedge_mode`).
    #[serde(rename = "hedge_mode")]
    Hedge,
}

impl HoldMode {
    /// Parses `one_way_mode` / `hedge_mode`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "one_way_mode" | "one_way" | "oneway" => Some(HoldMode::OneWay),
            "hedge_mode" | "hedge" => Some(HoldMode::Hedge),
            _ => None,
        }
    }

    /// `one_way_mode` / `hedge_mode`.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldMode::OneWay => "one_way_mode",
            HoldMode::Hedge => "hedge_mode",
        }
    }
}

/// Isolated or cross margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarginMode {
    /// Each position has its own margin: what gridbot trades.
    Isolated,
    /// The whole balance backs every position.
    Crossed,
}

impl MarginMode {
    /// Parses `isolated` / `crossed` (`cross`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "isolated" | "fixed" => Some(MarginMode::Isolated),
            "crossed" | "cross" => Some(MarginMode::Crossed),
            _ => None,
        }
    }

    /// `isolated` / `crossed`.
    pub fn as_str(self) -> &'static str {
        match self {
            MarginMode::Isolated => "isolated",
            MarginMode::Crossed => "crossed",
        }
    }
}

/// What the account says about its modes (for one symbol when given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountModes {
    /// Classic or unified.
    pub kind: AccountKind,
    /// Position mode, when the account reports it.
    pub hold_mode: Option<HoldMode>,
    /// Margin mode of the symbol asked about, when known.
    pub margin_mode: Option<MarginMode>,
    /// The symbol `margin_mode` is about.
    pub symbol: Option<Symbol>,
    /// Leverage of that symbol, when known.
    pub leverage: Option<u32>,
    /// Unified accounts: `accountLevel` (`basic`, `advanced`, `isolated`,
    /// `delta`); classic: `assetMode` (`single`, `union`).
    pub level: Option<String>,
}

/// An order's fields as either API words them (strings as sent).
#[derive(Debug, Clone, Copy)]
pub struct OrderWords<'a> {
    /// Exchange id.
    pub order_id: &'a str,
    /// Client id.
    pub client_oid: &'a str,
    /// Contract.
    pub symbol: &'a str,
    /// `buy` / `sell`.
    pub side: &'a str,
    /// `limit` / `market`.
    pub order_type: &'a str,
    /// `live`, `new`, `partially_filled`, `filled`, `canceled` / `cancelled`.
    pub status: &'a str,
    /// Limit price (zero or none for market orders).
    pub price: Option<Decimal>,
    /// Ordered quantity.
    pub qty: Decimal,
    /// Filled quantity.
    pub filled: Decimal,
    /// Average fill price.
    pub avg_price: Option<Decimal>,
    /// `YES` / `yes` / `true` when reduce-only.
    pub reduce_only: &'a str,
    /// Creation time.
    pub created: i64,
    /// Last update time.
    pub updated: i64,
}

impl OrderWords<'_> {
    /// The order in the core model; an unknown word is a protocol error naming it.
    pub fn to_order(&self) -> Result<Order, ExchangeError> {
        let bad =
            |what: &str, v: &str| ExchangeError::Protocol(format!("order {}: unknown {what} {v:?}", self.order_id));
        let symbol =
            Symbol::new(self.symbol).map_err(|e| ExchangeError::Protocol(format!("order {}: {e}", self.order_id)))?;
        let side = parse_side(self.side).ok_or_else(|| bad("side", self.side))?;
        let kind = parse_order_type(self.order_type).ok_or_else(|| bad("orderType", self.order_type))?;
        let status = parse_order_state(self.status).ok_or_else(|| bad("state", self.status))?;
        let req = OrderRequest::limit(
            ClientOrderId::new(self.client_oid),
            symbol,
            side,
            self.price.unwrap_or_default(),
            self.qty,
        );
        let mut order = Order::accepted(self.order_id, &req, self.created);
        order.kind = kind;
        order.price = match kind {
            OrderKind::Limit => self.price.filter(|p| !p.is_zero()),
            OrderKind::Market => None,
        };
        order.filled_qty = self.filled;
        order.avg_fill_price = self.avg_price.filter(|p| !p.is_zero());
        order.status = status;
        order.reduce_only = matches!(self.reduce_only.to_ascii_lowercase().as_str(), "yes" | "true");
        order.updated_at = self.updated.max(self.created);
        Ok(order)
    }
}

/// Adds the open orders of a page to `out`, once per exchange id.
pub fn add_open_orders(out: &mut Vec<Order>, page: impl IntoIterator<Item = Order>) {
    for o in page {
        if o.status.is_open() && !out.iter().any(|x| x.id == o.id) {
            out.push(o);
        }
    }
}

/// True when a page ends a listing: short, without a next token, or
/// answering the token it was asked with.
pub fn last_page(len: usize, page_size: usize, next: &str, asked: Option<&str>) -> bool {
    len < page_size || next.is_empty() || asked == Some(next)
}

/// Which order a lookup or cancel is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKey<'a> {
    /// By exchange id.
    OrderId(&'a str),
    /// By client id.
    ClientOid(&'a ClientOrderId),
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn prices_and_sizes_are_written_at_the_instruments_precision() {
        assert_eq!(format_at(dec!(30000), dec!(0.1)), "30000.0");
        assert_eq!(format_at(dec!(0.0100), dec!(0.0001)), "0.0100");
        assert_eq!(format_at(dec!(2), dec!(1)), "2");
        let inst = Instrument::btcusdt();
        let req = OrderRequest::limit(
            ClientOrderId::new("g1-2-3"),
            inst.symbol.clone(),
            Side::Buy,
            dec!(30000),
            dec!(0.001),
        );
        let o = encode_order(&inst, &req).unwrap();
        assert_eq!(o.price.as_deref(), Some("30000.0"));
        assert_eq!(o.qty, "0.0010");
        assert_eq!(o.tif, Some("gtc"));
        assert!(!o.reduce_only);
    }

    #[test]
    fn off_tick_too_small_or_badly_named_orders_are_refused_before_sending() {
        let inst = Instrument::btcusdt();
        let s = inst.symbol.clone();
        let off = OrderRequest::limit(
            ClientOrderId::new("a"),
            s.clone(),
            Side::Buy,
            dec!(30000.05),
            dec!(0.001),
        );
        assert!(matches!(encode_order(&inst, &off), Err(ExchangeError::Precision(_))));
        let small = OrderRequest::limit(ClientOrderId::new("a"), s.clone(), Side::Buy, dec!(30000), dec!(0.0001));
        assert!(matches!(
            encode_order(&inst, &small),
            Err(ExchangeError::BelowMinimum(_))
        ));
        let mkt = OrderRequest::market(ClientOrderId::new("a"), s.clone(), Side::Sell, dec!(0.00015));
        assert!(matches!(encode_order(&inst, &mkt), Err(ExchangeError::Precision(_))));
        let long = OrderRequest::limit(
            ClientOrderId::new("x".repeat(33)),
            s,
            Side::Buy,
            dec!(30000),
            dec!(0.001),
        );
        assert!(matches!(encode_order(&inst, &long), Err(ExchangeError::InvalidOrder(m)) if m.contains("32")));
    }

    #[test]
    fn the_instrument_takes_the_first_tiers_maintenance_margin_rate() {
        let spec = ContractSpec {
            symbol: Symbol::new("DOGEUSDT").unwrap(),
            tick_size: dec!(0.00001),
            lot_size: dec!(1),
            min_qty: dec!(1),
            min_notional: dec!(5),
            max_leverage: 75,
            maker_fee: dec!(0.0002),
            taker_fee: dec!(0.0006),
            status: "normal".into(),
        };
        let tiers = [
            RiskTier {
                tier: 2,
                min_value: dec!(50000),
                max_value: dec!(200000),
                max_leverage: 50,
                maint_margin_rate: dec!(0.015),
            },
            RiskTier {
                tier: 1,
                min_value: dec!(0),
                max_value: dec!(50000),
                max_leverage: 75,
                maint_margin_rate: dec!(0.01),
            },
        ];
        assert_eq!(spec.to_instrument(&tiers).unwrap().maint_margin_rate, dec!(0.01));
        assert!(matches!(spec.to_instrument(&[]), Err(ExchangeError::Protocol(_))));
    }
}
