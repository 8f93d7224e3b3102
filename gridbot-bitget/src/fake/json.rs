//! The JSON the fake answers with, spelled as Bitget spells it. Some
//! numbers are sent as JSON numbers on purpose (`requestTime`, `leverage`,
//! `maxLever` in places) because Bitget does that too.

use gridbot_core::model::{Candle, OrderKind, Side};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::book::{Book, FakeContract, FakeFill, FakeOrder};
use crate::common::enums::order_state_str;

fn side(s: Side) -> &'static str {
    s.as_str()
}

fn kind(k: OrderKind) -> &'static str {
    match k {
        OrderKind::Limit => "limit",
        OrderKind::Market => "market",
    }
}

/// The success envelope.
pub fn envelope(data: Value, now: i64) -> Value {
    json!({"code": "00000", "msg": "success", "requestTime": now, "data": data})
}

/// An error envelope.
pub fn error(code: &str, msg: &str, now: i64) -> Value {
    json!({"code": code, "msg": msg, "requestTime": now, "data": null})
}

/// A contract.
pub fn contract(c: &FakeContract, margin_coin: &str) -> Value {
    json!({
        "symbol": c.symbol, "baseCoin": c.symbol.trim_end_matches("USDT"), "quoteCoin": "USDT",
        "buyLimitPriceRatio": "0.05", "sellLimitPriceRatio": "0.05", "feeRateUpRatio": "0.005",
        "makerFeeRate": c.maker_fee.to_string(), "takerFeeRate": c.taker_fee.to_string(), "openCostUpRatio": "0.01",
        "supportMarginCoins": [margin_coin], "minTradeNum": c.min_trade_num.to_string(), "priceEndStep": "1",
        "volumePlace": c.volume_place.to_string(), "pricePlace": c.price_place.to_string(),
        "sizeMultiplier": c.size_multiplier.to_string(), "symbolType": "perpetual",
        "minTradeUSDT": c.min_trade_usdt.to_string(), "maxSymbolOrderNum": "200", "maxProductOrderNum": "400",
        "maxPositionNum": "150", "symbolStatus": "normal", "offTime": "-1", "limitOpenTime": "-1",
        "deliveryTime": "", "deliveryStartTime": "", "launchTime": "", "fundFeeRateUpdateTime": "",
        "minLever": "1", "maxLever": c.max_lever.to_string(), "posLimit": "0.05", "maintainTime": ""
    })
}

/// An order, with its state under `state_key` (`state` for detail, `status` for lists and pushes).
pub fn order(o: &FakeOrder, book: &Book, margin_coin: &str, state_key: &str) -> Value {
    let mut v = json!({
        "symbol": o.symbol, "size": o.size.to_string(), "orderId": o.id.to_string(), "clientOid": o.client_oid,
        "baseVolume": o.filled.to_string(), "fee": "0", "price": o.price.map(|p| p.to_string()).unwrap_or_default(),
        "priceAvg": o.avg_price.map(|p| p.to_string()).unwrap_or_default(),
        "side": side(o.side), "force": o.force, "totalProfits": "0", "posSide": "net", "marginCoin": margin_coin,
        "quoteVolume": (o.filled * o.avg_price.unwrap_or_default()).to_string(), "leverage": book.leverage_of(&o.symbol).to_string(),
        "marginMode": "isolated", "reduceOnly": if o.reduce_only { "YES" } else { "NO" }, "enterPointSource": "API",
        "tradeSide": if o.side == Side::Buy { "buy_single" } else { "sell_single" }, "posMode": "one_way_mode",
        "orderType": kind(o.kind), "orderSource": "normal", "cTime": o.c_time.to_string(), "uTime": o.u_time.to_string(),
        "presetStopSurplusPrice": "", "presetStopLossPrice": ""
    });
    if let Some(m) = v.as_object_mut() {
        m.insert(state_key.to_owned(), json!(order_state_str(o.status)));
    }
    v
}

/// An order as the WebSocket `orders` channel pushes it.
pub fn order_push(o: &FakeOrder, book: &Book, margin_coin: &str) -> Value {
    json!({
        "instId": o.symbol, "orderId": o.id.to_string(), "clientOid": o.client_oid, "size": o.size.to_string(),
        "price": o.price.map(|p| p.to_string()).unwrap_or_default(),
        "priceAvg": o.avg_price.map(|p| p.to_string()).unwrap_or_default(),
        "accBaseVolume": o.filled.to_string(), "status": order_state_str(o.status), "side": side(o.side),
        "orderType": kind(o.kind), "force": o.force, "reduceOnly": if o.reduce_only { "yes" } else { "no" },
        "posMode": "one_way_mode", "posSide": "net", "leverage": book.leverage_of(&o.symbol).to_string(),
        "marginMode": "isolated", "marginCoin": margin_coin, "enterPointSource": "API",
        "tradeSide": if o.side == Side::Buy { "buy_single" } else { "sell_single" },
        "cTime": o.c_time.to_string(), "uTime": o.u_time.to_string()
    })
}

/// A fill (REST `fills` and WebSocket `fill`: no client id, like Bitget).
pub fn fill(f: &FakeFill, margin_coin: &str) -> Value {
    json!({
        "tradeId": f.trade_id.to_string(), "symbol": f.symbol, "orderId": f.order_id.to_string(),
        "price": f.price.to_string(), "baseVolume": f.size.to_string(),
        "feeDetail": [{"deduction": "no", "feeCoin": margin_coin, "totalDeductionFee": "0", "totalFee": (-f.fee).to_string()}],
        "side": side(f.side), "quoteVolume": (f.price * f.size).to_string(), "profit": f.profit.to_string(),
        "enterPointSource": "API", "tradeSide": f.trade_side, "posMode": "one_way_mode",
        "tradeScope": if f.maker { "maker" } else { "taker" }, "orderType": "limit",
        "cTime": f.ts.to_string(), "uTime": f.ts.to_string()
    })
}

/// A position record (flat positions have `total` 0).
pub fn position(book: &Book, symbol: &str, margin_coin: &str, now: i64) -> Value {
    let p = book.positions.get(symbol).cloned().unwrap_or_default();
    let lev = book.leverage_of(symbol);
    let mark = book.prices.get(symbol).copied().unwrap_or(p.entry);
    let margin = p.qty.abs() * p.entry / Decimal::from(lev);
    let liq = if p.qty.is_zero() {
        String::new()
    } else {
        let f = Decimal::ONE / Decimal::from(lev);
        (if p.qty > Decimal::ZERO {
            p.entry * (Decimal::ONE - f)
        } else {
            p.entry * (Decimal::ONE + f)
        })
        .round_dp(2)
        .to_string()
    };
    json!({
        "marginCoin": margin_coin, "symbol": symbol,
        "holdSide": if p.qty < Decimal::ZERO { "short" } else { "long" },
        "openDelegateSize": "0", "marginSize": margin.round_dp(8).to_string(), "available": p.qty.abs().to_string(),
        "locked": "0", "total": p.qty.abs().to_string(), "leverage": lev, "achievedProfits": "0",
        "openPriceAvg": p.entry.to_string(), "marginMode": "isolated", "posMode": "one_way_mode",
        "unrealizedPL": (p.qty * (mark - p.entry)).round_dp(8).to_string(), "liquidationPrice": liq,
        "keepMarginRate": "0.004", "markPrice": mark.to_string(), "cTime": now.to_string(), "uTime": now.to_string()
    })
}

/// The account record.
pub fn account(book: &Book, margin_coin: &str) -> Value {
    let equity = book.equity();
    let used = book.used_margin();
    let available = (equity - used).max(Decimal::ZERO);
    json!({
        "marginCoin": margin_coin, "locked": "0", "available": available.round_dp(8).to_string(),
        "crossedMaxAvailable": available.round_dp(8).to_string(), "isolatedMaxAvailable": available.round_dp(8).to_string(),
        "maxTransferOut": available.round_dp(8).to_string(), "accountEquity": equity.round_dp(8).to_string(),
        "usdtEquity": equity.round_dp(8).to_string(), "btcEquity": "0", "crossedRiskRate": "0",
        "unrealizedPL": book.unrealized().round_dp(8).to_string(), "coupon": "0",
        "crossedUnrealizedPL": "0", "isolatedUnrealizedPL": book.unrealized().round_dp(8).to_string()
    })
}

/// A candle row of strings.
pub fn candle_row(c: &Candle) -> Value {
    json!([
        c.ts.to_string(),
        c.open.to_string(),
        c.high.to_string(),
        c.low.to_string(),
        c.close.to_string(),
        c.volume.to_string(),
        (c.volume * c.close).to_string(),
        (c.volume * c.close).to_string()
    ])
}

/// A WebSocket push.
pub fn push(action: &str, inst_type: &str, channel: &str, inst_id: &str, data: Value, now: i64) -> String {
    json!({"action": action, "arg": {"instType": inst_type, "channel": channel, "instId": inst_id}, "data": data, "ts": now})
        .to_string()
}
