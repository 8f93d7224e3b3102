//! Bitget's wire vocabulary and its mapping to the core model.
//!
//! Every `tradeSide` a fill can carry is mapped ([`FillTradeSide`]); a value
//! this adapter does not know is kept as [`FillTradeSide::Unknown`] and
//! logged by the caller, never an error.

use gridbot_core::model::{Interval, OrderKind, OrderStatus, Side, TimeInForce};

/// The futures product line. gridbot trades USDT-margined perpetuals
/// only, live and demo alike: demo trading (scheme A) uses the normal product
/// type with the `paptrading: 1` header, never the `S`-prefixed demo products
/// (mixing the two schemes is answered with 40099).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductType {
    /// USDT-margined perpetuals: `productType` on v2, `category` on v3.
    UsdtFutures,
}

impl ProductType {
    /// `USDT-FUTURES` (v2 `productType`, v3 REST `category`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ProductType::UsdtFutures => "USDT-FUTURES",
        }
    }

    /// `usdt-futures`: the v3 public WebSocket `instType` (lower case).
    pub const fn ws_v3_inst_type(self) -> &'static str {
        match self {
            ProductType::UsdtFutures => "usdt-futures",
        }
    }

    /// `USDT`.
    pub const fn margin_coin(self) -> &'static str {
        match self {
            ProductType::UsdtFutures => "USDT",
        }
    }

    /// Parses `USDT-FUTURES`, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "USDT-FUTURES" => Some(ProductType::UsdtFutures),
            _ => None,
        }
    }
}

/// The product types of Bitget's other demo scheme (live keys on simulated
/// coins). gridbot never sends them; the fake refuses them together with the
/// `paptrading` header (40099), as Bitget does.
pub const S_PRODUCT_TYPES: [&str; 3] = ["SUSDT-FUTURES", "SCOIN-FUTURES", "SUSDC-FUTURES"];

/// `buy` / `sell` on the wire.
pub fn side_str(side: Side) -> &'static str {
    side.as_str()
}

/// Parses `buy` / `sell`.
pub fn parse_side(s: &str) -> Option<Side> {
    match s.to_ascii_lowercase().as_str() {
        "buy" => Some(Side::Buy),
        "sell" => Some(Side::Sell),
        _ => None,
    }
}

/// `limit` / `market` on the wire.
pub fn order_type_str(kind: OrderKind) -> &'static str {
    match kind {
        OrderKind::Limit => "limit",
        OrderKind::Market => "market",
    }
}

/// Parses `limit` / `market`.
pub fn parse_order_type(s: &str) -> Option<OrderKind> {
    match s.to_ascii_lowercase().as_str() {
        "limit" => Some(OrderKind::Limit),
        "market" => Some(OrderKind::Market),
        _ => None,
    }
}

/// `force`: `gtc`, `post_only`, `ioc`, `fok`; `None` for a time in force
/// Bitget does not offer.
pub fn force_str(tif: TimeInForce) -> Option<&'static str> {
    match tif {
        TimeInForce::Gtc => Some("gtc"),
        TimeInForce::PostOnly => Some("post_only"),
        TimeInForce::Ioc => Some("ioc"),
        TimeInForce::Fok => Some("fok"),
        _ => None,
    }
}

/// Parses a `force` value (`normal` is Bitget's old name for gtc).
pub fn parse_force(s: &str) -> Option<TimeInForce> {
    match s.to_ascii_lowercase().as_str() {
        "gtc" | "normal" => Some(TimeInForce::Gtc),
        "post_only" => Some(TimeInForce::PostOnly),
        "ioc" => Some(TimeInForce::Ioc),
        "fok" => Some(TimeInForce::Fok),
        _ => None,
    }
}

/// Parses an order `state` / `status`: `live`/`new`/`init`, `partially_filled`,
/// `filled`, `canceled`/`cancelled`.
pub fn parse_order_state(s: &str) -> Option<OrderStatus> {
    match s.to_ascii_lowercase().as_str() {
        "live" | "new" | "init" => Some(OrderStatus::Open),
        "partially_filled" | "partial-fill" | "partial_fill" => Some(OrderStatus::PartiallyFilled),
        "filled" | "full-fill" | "full_fill" => Some(OrderStatus::Filled),
        "canceled" | "cancelled" => Some(OrderStatus::Canceled),
        _ => None,
    }
}

/// The wire name of an order status (used by the fake server).
pub fn order_state_str(status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Open => "live",
        OrderStatus::PartiallyFilled => "partially_filled",
        OrderStatus::Filled => "filled",
        OrderStatus::Canceled | OrderStatus::Rejected => "canceled",
    }
}

/// Candle `granularity` (v2) / `interval` (v3) for an interval, UTC-aligned.
///
/// Bitget's plain `6H`, `12H` and `1D` candles open on the UTC+8 grid (the
/// daily candle at 16:00 UTC); the `utc` variants open on the UTC grid like
/// every other gridbot candle. Up to `4H` both grids coincide.
pub fn granularity(interval: Interval) -> &'static str {
    match interval {
        Interval::M1 => "1m",
        Interval::M3 => "3m",
        Interval::M5 => "5m",
        Interval::M15 => "15m",
        Interval::M30 => "30m",
        Interval::H1 => "1H",
        Interval::H4 => "4H",
        Interval::H6 => "6Hutc",
        Interval::H12 => "12Hutc",
        Interval::D1 => "1Dutc",
    }
}

/// Parses a candle granularity back to an interval (`utc` variants only for
/// 6H, 12H and 1D: the UTC+8 ones are a different candle).
pub fn parse_granularity(s: &str) -> Option<Interval> {
    Interval::ALL.into_iter().find(|i| granularity(*i) == s)
}

/// True for a granularity Bitget aligns to UTC+8 (`6H`, `12H`, `1D`, `3D`,
/// `1W`, `1M` without the `utc` suffix).
pub fn is_utc8_granularity(s: &str) -> bool {
    matches!(s, "6H" | "12H" | "1D" | "3D" | "1W" | "1M")
}

/// What a fill's `tradeSide` says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FillTradeSide {
    /// Opened or added to a position (`open`, `buy_single`, `sell_single`).
    Open,
    /// Reduced or closed a position by an ordinary order (`close`,
    /// `reduce_close_*`, `reduce_*_single`, `offset_*`, `*_close_*` by TP/SL).
    Close,
    /// Forced liquidation (`burst_close_*`, `burst_*_single`).
    Liquidation,
    /// Auto-deleveraging or delivery (`delivery_*`, `adl_*`, `*_sys_adl_*`).
    Delivery,
    /// A value this adapter does not know; kept for the log.
    Unknown(String),
}

impl FillTradeSide {
    /// Maps a `tradeSide` value. Never fails.
    pub fn parse(s: &str) -> Self {
        let v = s.trim().to_ascii_lowercase();
        match v.as_str() {
            "open" | "buy_single" | "sell_single" => FillTradeSide::Open,
            "close" | "close_long" | "close_short" | "reduce_close_long" | "reduce_close_short"
            | "reduce_buy_single" | "reduce_sell_single" | "offset_close_long" | "offset_close_short"
            | "offset_buy_single" | "offset_sell_single" | "sell_single_close" | "buy_single_close" => {
                FillTradeSide::Close
            }
            _ if v.starts_with("burst_") || v.contains("liquidat") => FillTradeSide::Liquidation,
            _ if v.starts_with("delivery_") || v.contains("adl") => FillTradeSide::Delivery,
            _ if v.starts_with("reduce_") || v.starts_with("offset_") || v.starts_with("close_") => {
                FillTradeSide::Close
            }
            _ => FillTradeSide::Unknown(s.to_owned()),
        }
    }

    /// True for forced liquidations.
    pub fn is_liquidation(&self) -> bool {
        matches!(self, FillTradeSide::Liquidation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_trade_side_maps_and_unknown_ones_do_not_fail() {
        for s in ["open", "buy_single", "sell_single"] {
            assert_eq!(FillTradeSide::parse(s), FillTradeSide::Open, "{s}");
        }
        for s in [
            "close",
            "reduce_close_long",
            "reduce_close_short",
            "offset_close_long",
            "offset_close_short",
            "reduce_buy_single",
            "reduce_sell_single",
        ] {
            assert_eq!(FillTradeSide::parse(s), FillTradeSide::Close, "{s}");
        }
        for s in [
            "burst_close_long",
            "burst_close_short",
            "burst_buy_single",
            "burst_sell_single",
        ] {
            assert!(FillTradeSide::parse(s).is_liquidation(), "{s}");
        }
        for s in [
            "delivery_close_long",
            "delivery_close_short",
            "delivery_buy_single",
            "dte_sys_adl_close_long",
        ] {
            assert_eq!(FillTradeSide::parse(s), FillTradeSide::Delivery, "{s}");
        }
        assert_eq!(
            FillTradeSide::parse("brand_new_kind"),
            FillTradeSide::Unknown("brand_new_kind".into())
        );
    }

    #[test]
    fn wire_enums_round_trip() {
        for i in Interval::ALL {
            assert_eq!(parse_granularity(granularity(i)), Some(i));
        }
        for t in [
            TimeInForce::Gtc,
            TimeInForce::PostOnly,
            TimeInForce::Ioc,
            TimeInForce::Fok,
        ] {
            assert_eq!(force_str(t).and_then(parse_force), Some(t));
        }
        assert_eq!(
            parse_order_state("partially_filled"),
            Some(OrderStatus::PartiallyFilled)
        );
        assert_eq!(ProductType::parse("usdt-futures"), Some(ProductType::UsdtFutures));
        assert_eq!(ProductType::parse("SUSDT-FUTURES"), None);
        assert_eq!(granularity(Interval::D1), "1Dutc");
        assert!(is_utc8_granularity("1D") && !is_utc8_granularity("1Dutc"));
    }
}
