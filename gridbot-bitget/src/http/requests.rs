//! Request bodies of the REST endpoints, spelled exactly as Bitget spells
//! them (camelCase; optional fields omitted, never sent empty).

use serde::Serialize;

/// Body of `place-order`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PlaceOrderBody {
    /// Contract.
    pub symbol: String,
    /// `USDT-FUTURES` or `SUSDT-FUTURES`.
    pub product_type: &'static str,
    /// `isolated` or `crossed`.
    pub margin_mode: &'static str,
    /// `USDT` or `SUSDT`.
    pub margin_coin: &'static str,
    /// The order fields shared with batch items.
    #[serde(flatten)]
    pub order: OrderItem,
}

/// One order inside `batch-place-order`'s `orderList` (and the order fields of `place-order`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
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

/// Body of `batch-place-order`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchPlaceBody<'a> {
    /// Contract.
    pub symbol: &'a str,
    /// Product type.
    pub product_type: &'static str,
    /// Margin coin.
    pub margin_coin: &'static str,
    /// `isolated`.
    pub margin_mode: &'static str,
    /// At most 50 orders.
    pub order_list: &'a [OrderItem],
}

/// `{orderId}` or `{clientOid}` in cancel bodies.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OrderRef {
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
pub struct CancelBody<'a> {
    /// Contract.
    pub symbol: &'a str,
    /// Product type.
    pub product_type: &'static str,
    /// Margin coin.
    pub margin_coin: &'static str,
    /// Which order.
    #[serde(flatten)]
    pub order: OrderRef,
}

/// Body of `batch-cancel-orders`; without a list it cancels every order of the symbol.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchCancelBody<'a> {
    /// Contract.
    pub symbol: &'a str,
    /// Product type.
    pub product_type: &'static str,
    /// Margin coin.
    pub margin_coin: &'static str,
    /// At most 50 orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id_list: Option<Vec<OrderRef>>,
}

/// Body of `set-leverage`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetLeverageBody<'a> {
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
pub struct SetMarginModeBody<'a> {
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
pub struct SetPositionModeBody {
    /// Product type.
    pub product_type: &'static str,
    /// `one_way_mode` or `hedge_mode`.
    pub pos_mode: &'static str,
}
