//! Unified (v3) request bodies, spelled exactly as Bitget spells them
//! (camelCase; optional fields omitted). Facts and sources: `UTA.md` §2.
//!
//! One-way mode spelling: `side` is the trade direction and closing orders
//! carry `reduceOnly: "yes"`; `posSide` is never sent (it is for hedge mode,
//! and `reduceOnly` together with `posSide` is refused).

use serde::Serialize;

use crate::common::enums::{order_type_str, side_str};
use crate::http::records::EncodedOrder;

/// Body of `place-order`, and one item of `place-batch` (a bare array of
/// these). `marginMode` is documented for `place-order`; for batch items
/// the docs omit it while ccxt and bitget-api send it, so the adapter sends
/// it and falls back to `place-order` when Bitget refuses it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct V3PlaceOrderBody {
    /// `USDT-FUTURES`.
    pub category: &'static str,
    /// Contract.
    pub symbol: String,
    /// Quantity, base coin.
    pub qty: String,
    /// Limit price (limit orders only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// `buy` / `sell`.
    pub side: &'static str,
    /// `limit` / `market`.
    pub order_type: &'static str,
    /// `gtc`, `post_only`, `ioc`, `fok` (limit orders only; v2 called it `force`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_in_force: Option<&'static str>,
    /// Client id, ≤ 32 characters.
    pub client_oid: String,
    /// `yes` on closing orders (one-way mode); omitted otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reduce_only: Option<&'static str>,
    /// `isolated`.
    pub margin_mode: &'static str,
    /// Preset take-profit trigger price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub take_profit: Option<String>,
    /// Preset stop-loss trigger price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_loss: Option<String>,
}

impl V3PlaceOrderBody {
    /// The v3 spelling of an encoded order on `symbol`.
    pub fn from_encoded(category: &'static str, symbol: &str, o: &EncodedOrder, margin_mode: &'static str) -> Self {
        V3PlaceOrderBody {
            category,
            symbol: symbol.to_owned(),
            qty: o.qty.clone(),
            price: o.price.clone(),
            side: side_str(o.side),
            order_type: order_type_str(o.kind),
            time_in_force: o.tif,
            client_oid: o.client_oid.clone(),
            reduce_only: o.reduce_only.then_some("yes"),
            margin_mode,
            take_profit: o.take_profit.clone(),
            stop_loss: o.stop_loss.clone(),
        }
    }
}

/// Body of `cancel-order`, and one item of `cancel-batch` (a bare array).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct V3CancelBody<'a> {
    /// `USDT-FUTURES`.
    pub category: &'static str,
    /// Contract.
    pub symbol: &'a str,
    /// Which order (only one id per item).
    pub client_oid: &'a str,
}

/// Body of `cancel-symbol-order` and `close-positions`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct V3SymbolBody<'a> {
    /// `USDT-FUTURES`.
    pub category: &'static str,
    /// Contract.
    pub symbol: &'a str,
}

/// Body of `account/set-leverage`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct V3SetLeverageBody<'a> {
    /// `USDT-FUTURES`.
    pub category: &'static str,
    /// Contract.
    pub symbol: &'a str,
    /// Leverage as text.
    pub leverage: String,
    /// `isolated`: sets the symbol's isolated leverage (and margin mode).
    pub margin_mode: &'static str,
    /// `long` / `short`: only when Bitget insists on one side at a time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pos_side: Option<&'static str>,
}

/// Body of `account/set-hold-mode` (account-wide, no category).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct V3SetHoldModeBody {
    /// `one_way_mode` / `hedge_mode`.
    pub hold_mode: &'static str,
}
