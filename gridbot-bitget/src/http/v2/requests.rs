//! Classic (v2) request bodies of `/api/v2/mix/...`, spelled exactly as
//! Bitget spells them (camelCase; optional fields omitted, never sent empty).

use serde::Serialize;

use crate::common::enums::{order_type_str, side_str};
use crate::http::records::EncodedOrder;

/// Body of `place-order`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct V2PlaceOrderBody {
    /// Contract.
    pub symbol: String,
    /// `USDT-FUTURES`.
    pub product_type: &'static str,
    /// `isolated` or `crossed`.
    pub margin_mode: &'static str,
    /// `USDT`.
    pub margin_coin: &'static str,
    /// The order fields shared with batch items.
    #[serde(flatten)]
    pub order: V2OrderItem,
}

/// One order inside `batch-place-order`'s `orderList` (and the order fields of `place-order`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct V2OrderItem {
    /// Quantity in base coin, at the instrument's precision.
    pub size: String,
    /// Limit price, at the instrument's precision (limit orders only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// `buy` or `sell`.
    pub side: &'static str,
    /// `limit` or `market`.
    pub order_type: &'static str,
    /// `gtc`, `post_only`, `ioc`, `fok` (limit orders only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force: Option<&'static str>,
    /// Deterministic client order id.
    pub client_oid: String,
    /// `YES` or `NO` (one-way position mode).
    pub reduce_only: &'static str,
    /// Take-profit trigger price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset_stop_surplus_price: Option<String>,
    /// Stop-loss trigger price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset_stop_loss_price: Option<String>,
}

impl V2OrderItem {
    /// The v2 spelling of an encoded order (one-way mode: `reduceOnly`
    /// `YES`/`NO`, no `tradeSide`).
    pub fn from_encoded(o: &EncodedOrder) -> Self {
        V2OrderItem {
            size: o.qty.clone(),
            price: o.price.clone(),
            side: side_str(o.side),
            order_type: order_type_str(o.kind),
            force: o.tif,
            client_oid: o.client_oid.clone(),
            reduce_only: if o.reduce_only { "YES" } else { "NO" },
            preset_stop_surplus_price: o.take_profit.clone(),
            preset_stop_loss_price: o.stop_loss.clone(),
        }
    }
}

/// Body of `batch-place-order`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct V2BatchPlaceBody<'a> {
    /// Contract.
    pub symbol: &'a str,
    /// Product type.
    pub product_type: &'static str,
    /// Margin coin.
    pub margin_coin: &'static str,
    /// `isolated`.
    pub margin_mode: &'static str,
    /// At most 50 orders.
    pub order_list: &'a [V2OrderItem],
}

/// `{orderId}` or `{clientOid}` in cancel bodies.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct V2OrderRef {
    /// Exchange id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Client id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_oid: Option<String>,
}

/// Body of `cancel-order`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct V2CancelBody<'a> {
    /// Contract.
    pub symbol: &'a str,
    /// Product type.
    pub product_type: &'static str,
    /// Margin coin.
    pub margin_coin: &'static str,
    /// Which order.
    #[serde(flatten)]
    pub order: V2OrderRef,
}

/// Body of `batch-cancel-orders`; without a list it cancels every order of the symbol.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct V2BatchCancelBody<'a> {
    /// Contract.
    pub symbol: &'a str,
    /// Product type.
    pub product_type: &'static str,
    /// Margin coin.
    pub margin_coin: &'static str,
    /// At most 50 orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id_list: Option<Vec<V2OrderRef>>,
}

/// Body of `set-leverage`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct V2SetLeverageBody<'a> {
    /// Contract.
    pub symbol: &'a str,
    /// Product type.
    pub product_type: &'static str,
    /// Margin coin.
    pub margin_coin: &'static str,
    /// Leverage as text.
    pub leverage: String,
}

/// Body of `set-margin-mode`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct V2SetMarginModeBody<'a> {
    /// Contract.
    pub symbol: &'a str,
    /// Product type.
    pub product_type: &'static str,
    /// Margin coin.
    pub margin_coin: &'static str,
    /// `isolated` or `crossed`.
    pub margin_mode: &'static str,
}

/// Body of `set-position-mode`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct V2SetPositionModeBody {
    /// Product type.
    pub product_type: &'static str,
    /// `one_way_mode` or `hedge_mode`.
    pub pos_mode: &'static str,
}

/// Body of `close-positions` (flash close at market).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct V2ClosePositionsBody<'a> {
    /// Contract.
    pub symbol: &'a str,
    /// Product type.
    pub product_type: &'static str,
}
