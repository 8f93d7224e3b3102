//! The JSON the fake answers with, spelled as Bitget spells it, for both
//! APIs: `v2_*` for classic (`/api/v2/mix/...` and the v2 WebSocket),
//! `v3_*` for unified (`/api/v3/...` and the v3 WebSocket). Some numbers are
//! sent as JSON numbers on purpose (`requestTime`, `leverage`, `maxLever` in
//! places) because Bitget does that too; v2 reports fees paid as negative
//! numbers, v3 as positive ones.

use gridbot_core::model::{Candle, OrderKind, OrderStatus, Side};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::book::{Book, FakeContract, FakeFill, FakeOrder, Tier};
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

fn v3_status(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::Open => "live",
        OrderStatus::PartiallyFilled => "partially_filled",
        OrderStatus::Filled => "filled",
        OrderStatus::Canceled | OrderStatus::Rejected => "cancelled",
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

/// A v2 contract.
pub fn v2_contract(c: &FakeContract) -> Value {
    json!({
        "symbol": c.symbol, "baseCoin": c.symbol.trim_end_matches("USDT"), "quoteCoin": "USDT",
        "buyLimitPriceRatio": "0.05", "sellLimitPriceRatio": "0.05", "feeRateUpRatio": "0.005",
        "makerFeeRate": c.maker_fee.to_string(), "takerFeeRate": c.taker_fee.to_string(), "openCostUpRatio": "0.01",
        "supportMarginCoins": ["USDT"], "minTradeNum": c.min_trade_num.to_string(), "priceEndStep": "1",
        "volumePlace": c.volume_place.to_string(), "pricePlace": c.price_place.to_string(),
        "sizeMultiplier": c.size_multiplier.to_string(), "symbolType": "perpetual",
        "minTradeUSDT": c.min_trade_usdt.to_string(), "maxSymbolOrderNum": "200", "maxProductOrderNum": "400",
        "maxPositionNum": "150", "symbolStatus": "normal", "offTime": "-1", "limitOpenTime": "-1",
        "deliveryTime": "", "deliveryStartTime": "", "launchTime": "", "fundFeeRateUpdateTime": "",
        "minLever": "1", "maxLever": c.max_lever.to_string(), "posLimit": "0.05", "maintainTime": ""
    })
}

/// A v3 instrument.
pub fn v3_instrument(c: &FakeContract) -> Value {
    json!({
        "symbol": c.symbol, "category": "USDT-FUTURES", "baseCoin": c.symbol.trim_end_matches("USDT"),
        "quoteCoin": "USDT", "isRwa": "NO", "buyLimitPriceRatio": "0.05", "sellLimitPriceRatio": "0.05",
        "feeRateUpRatio": "0.005", "makerFeeRate": c.maker_fee.to_string(), "takerFeeRate": c.taker_fee.to_string(),
        "openCostUpRatio": "0.01", "minOrderQty": c.min_trade_num.to_string(), "maxOrderQty": "1200",
        "pricePrecision": c.price_place.to_string(), "quantityPrecision": c.volume_place.to_string(),
        "quotePrecision": "", "priceMultiplier": c.tick().to_string(),
        "quantityMultiplier": c.size_multiplier.to_string(), "type": "perpetual",
        "minOrderAmount": c.min_trade_usdt.to_string(), "maxSymbolOrderNum": "", "maxProductOrderNum": "400",
        "maxPositionNum": "200", "status": "online", "offTime": "-1", "limitOpenTime": "-1", "deliveryTime": "",
        "deliveryStartTime": "", "deliveryPeriod": "", "launchTime": "0", "fundInterval": "8",
        "minLeverage": "1", "maxLeverage": c.max_lever.to_string(), "maintainTime": "", "symbolType": "crypto",
        "maxMarketOrderQty": "220"
    })
}

/// A v2 tier of `query-position-lever`.
pub fn v2_tier(symbol: &str, level: usize, t: &Tier) -> Value {
    json!({"symbol": symbol, "level": level.to_string(), "startUnit": t.0.to_string(), "endUnit": t.1.to_string(),
        "leverage": t.2.to_string(), "keepMarginRate": t.3.to_string()})
}

/// A v3 tier of `position-tier`.
pub fn v3_tier(level: usize, t: &Tier) -> Value {
    json!({"tier": level.to_string(), "minTierValue": t.0.to_string(), "maxTierValue": t.1.to_string(),
        "leverage": t.2.to_string(), "mmr": t.3.to_string()})
}

/// A v2 order, with its state under `state_key` (`state` for detail, `status` for lists).
pub fn v2_order(o: &FakeOrder, book: &Book, state_key: &str) -> Value {
    let (margin, pos_mode) = (book.margin_of(&o.symbol), &book.pos_mode);
    let mut v = json!({
        "symbol": o.symbol, "size": o.size.to_string(), "orderId": o.id.to_string(), "clientOid": o.client_oid,
        "baseVolume": o.filled.to_string(), "fee": "0", "price": o.price.map(|p| p.to_string()).unwrap_or_default(),
        "priceAvg": o.avg_price.map(|p| p.to_string()).unwrap_or_default(),
        "side": side(o.side), "force": o.force, "totalProfits": "0", "posSide": "net", "marginCoin": "USDT",
        "quoteVolume": (o.filled * o.avg_price.unwrap_or_default()).to_string(), "leverage": book.leverage_of(&o.symbol).to_string(),
        "marginMode": margin, "reduceOnly": if o.reduce_only { "YES" } else { "NO" }, "enterPointSource": "API",
        "tradeSide": if o.side == Side::Buy { "buy_single" } else { "sell_single" }, "posMode": pos_mode,
        "orderType": kind(o.kind), "orderSource": "normal", "cTime": o.c_time.to_string(), "uTime": o.u_time.to_string(),
        "presetStopSurplusPrice": "", "presetStopLossPrice": ""
    });
    if let Some(m) = v.as_object_mut() {
        m.insert(state_key.to_owned(), json!(order_state_str(o.status)));
    }
    v
}

/// A v2 order as the WebSocket `orders` channel pushes it.
pub fn v2_order_push(o: &FakeOrder, book: &Book) -> Value {
    json!({
        "instId": o.symbol, "orderId": o.id.to_string(), "clientOid": o.client_oid, "size": o.size.to_string(),
        "price": o.price.map(|p| p.to_string()).unwrap_or_default(),
        "priceAvg": o.avg_price.map(|p| p.to_string()).unwrap_or_default(),
        "accBaseVolume": o.filled.to_string(), "status": order_state_str(o.status), "side": side(o.side),
        "orderType": kind(o.kind), "force": o.force, "reduceOnly": if o.reduce_only { "yes" } else { "no" },
        "posMode": book.pos_mode, "posSide": "net", "leverage": book.leverage_of(&o.symbol).to_string(),
        "marginMode": book.margin_of(&o.symbol), "marginCoin": "USDT", "enterPointSource": "API",
        "tradeSide": if o.side == Side::Buy { "buy_single" } else { "sell_single" },
        "cTime": o.c_time.to_string(), "uTime": o.u_time.to_string()
    })
}

/// A v3 order (`order-info`, `unfilled-orders`; the `order` topic when `push`).
pub fn v3_order(o: &FakeOrder, book: &Book, push: bool) -> Value {
    let fee_coin = if o.filled.is_zero() { Value::Null } else { json!("USDT") };
    let mut v = json!({
        "orderId": o.id.to_string(), "clientOid": o.client_oid, "category": if push { "usdt-futures" } else { "USDT-FUTURES" },
        "symbol": o.symbol, "orderType": kind(o.kind), "side": side(o.side),
        "price": o.price.map(|p| p.to_string()).unwrap_or_else(|| "0".into()), "qty": o.size.to_string(),
        "amount": "0", "cumExecQty": o.filled.to_string(),
        "cumExecValue": (o.filled * o.avg_price.unwrap_or_default()).to_string(),
        "avgPrice": o.avg_price.map(|p| p.to_string()).unwrap_or_else(|| "0".into()), "timeInForce": o.force,
        "orderStatus": v3_status(o.status), "holdMode": book.pos_mode, "delegateType": "normal",
        "reduceOnly": match (push, o.reduce_only) { (true, true) => "yes", (true, false) => "no", (false, true) => "YES", (false, false) => "NO" },
        "marginMode": book.margin_of(&o.symbol), "stpMode": "none", "takeProfit": "", "stopLoss": "",
        "feeDetail": [{"feeCoin": fee_coin, "fee": Value::Null}],
        "createdTime": o.c_time.to_string(), "updatedTime": o.u_time.to_string()
    });
    if let Some(m) = v.as_object_mut() {
        let side_key = if push { "holdSide" } else { "posSide" };
        m.insert(
            side_key.to_owned(),
            json!(if o.side == Side::Buy { "long" } else { "short" }),
        );
    }
    v
}

/// A v2 fill (REST `fills` and WebSocket `fill`: no client id, like Bitget).
pub fn v2_fill(f: &FakeFill) -> Value {
    let deduction = if f.fee_coin == "USDT" { "no" } else { "yes" };
    let deducted = if f.fee_coin == "USDT" {
        "0".to_owned()
    } else {
        (-f.fee_in_coin).to_string()
    };
    json!({
        "tradeId": f.trade_id.to_string(), "symbol": f.symbol, "orderId": f.order_id.to_string(),
        "price": f.price.to_string(), "baseVolume": f.size.to_string(),
        "feeDetail": [{"deduction": deduction, "feeCoin": f.fee_coin, "totalDeductionFee": deducted,
            "totalFee": (-f.fee_in_coin).to_string()}],
        "side": side(f.side), "quoteVolume": (f.price * f.size).to_string(), "profit": f.profit.to_string(),
        "enterPointSource": "API", "tradeSide": f.trade_side, "posMode": "one_way_mode",
        "tradeScope": if f.maker { "maker" } else { "taker" }, "orderType": "limit",
        "cTime": f.ts.to_string(), "uTime": f.ts.to_string()
    })
}

/// A v3 fill (REST `fills`, with `createdTime`; the `fill` topic when `push`, with `execTime`).
pub fn v3_fill(f: &FakeFill, push: bool) -> Value {
    let mut v = json!({
        "execId": f.trade_id.to_string(), "execLinkId": f.trade_id.to_string(), "orderId": f.order_id.to_string(),
        "clientOid": f.client_oid, "category": if push { "usdt-futures" } else { "USDT-FUTURES" }, "symbol": f.symbol,
        "orderType": "limit", "side": side(f.side), "execPrice": f.price.to_string(), "execQty": f.size.to_string(),
        "execValue": (f.price * f.size).to_string(), "tradeScope": if f.maker { "maker" } else { "taker" },
        "tradeSide": if f.trade_side.starts_with("reduce") { "close" } else { "open" },
        "feeDetail": [{"feeCoin": f.fee_coin, "fee": f.fee_in_coin.to_string()}],
        "execPnl": f.profit.to_string(), "updatedTime": f.ts.to_string(), "isRPI": "no"
    });
    if let Some(m) = v.as_object_mut() {
        m.insert(
            if push { "execTime" } else { "createdTime" }.to_owned(),
            json!(f.ts.to_string()),
        );
    }
    v
}

fn liq_price(p: &super::book::FakePosition, lev: u32) -> Option<Decimal> {
    if p.qty.is_zero() {
        return None;
    }
    let f = Decimal::ONE / Decimal::from(lev);
    Some(
        (if p.qty > Decimal::ZERO {
            p.entry * (Decimal::ONE - f)
        } else {
            p.entry * (Decimal::ONE + f)
        })
        .round_dp(2),
    )
}

/// A v2 position record (flat positions have `total` 0).
pub fn v2_position(book: &Book, symbol: &str, now: i64) -> Value {
    let p = book.positions.get(symbol).cloned().unwrap_or_default();
    let lev = book.leverage_of(symbol);
    let mark = book.prices.get(symbol).copied().unwrap_or(p.entry);
    let margin = p.qty.abs() * p.entry / Decimal::from(lev);
    json!({
        "marginCoin": "USDT", "symbol": symbol,
        "holdSide": if p.qty < Decimal::ZERO { "short" } else { "long" },
        "openDelegateSize": "0", "marginSize": margin.round_dp(8).to_string(), "available": p.qty.abs().to_string(),
        "locked": "0", "total": p.qty.abs().to_string(), "leverage": lev, "achievedProfits": "0",
        "openPriceAvg": p.entry.to_string(), "marginMode": book.margin_of(symbol), "posMode": book.pos_mode,
        "unrealizedPL": (p.qty * (mark - p.entry)).round_dp(8).to_string(),
        "liquidationPrice": liq_price(&p, lev).map(|x| x.to_string()).unwrap_or_default(),
        "keepMarginRate": "0.004", "markPrice": mark.to_string(), "cTime": now.to_string(), "uTime": now.to_string()
    })
}

/// A v3 position record (`current-position`; the `position` topic when `push`).
pub fn v3_position(book: &Book, symbol: &str, now: i64, push: bool) -> Value {
    let p = book.positions.get(symbol).cloned().unwrap_or_default();
    let lev = book.leverage_of(symbol);
    let mark = book.prices.get(symbol).copied().unwrap_or(p.entry);
    let margin = (p.qty.abs() * p.entry / Decimal::from(lev)).round_dp(8).to_string();
    let size = p.qty.abs().to_string();
    let liq = liq_price(&p, lev).map(|x| x.to_string()).unwrap_or_else(|| "0".into());
    let mut v = json!({
        "category": if push { "usdt-futures" } else { "USDT-FUTURES" }, "symbol": symbol, "marginCoin": "USDT",
        "holdMode": book.pos_mode, "posSide": if p.qty < Decimal::ZERO { "short" } else { "long" },
        "marginMode": book.margin_of(symbol), "available": size, "frozen": "0", "leverage": lev.to_string(),
        "curRealisedPnl": "0", "avgPrice": p.entry.to_string(),
        "positionStatus": if p.qty.is_zero() { "ended" } else { "normal" },
        "unrealisedPnl": (p.qty * (mark - p.entry)).round_dp(8).to_string(), "mmr": "0.004",
        "markPrice": mark.to_string(), "createdTime": now.to_string(), "updatedTime": now.to_string()
    });
    if let Some(m) = v.as_object_mut() {
        let (size_key, margin_key, liq_key) = if push {
            ("size", "marginSize", "liqPrice")
        } else {
            ("total", "positionBalance", "liquidationPrice")
        };
        m.insert(size_key.to_owned(), json!(size));
        m.insert(margin_key.to_owned(), json!(margin));
        m.insert(liq_key.to_owned(), json!(liq));
    }
    v
}

/// The v2 account record.
pub fn v2_accounts(book: &Book) -> Value {
    let equity = book.equity();
    let available = (equity - book.used_margin()).max(Decimal::ZERO);
    json!({
        "marginCoin": "USDT", "locked": "0", "available": available.round_dp(8).to_string(),
        "crossedMaxAvailable": available.round_dp(8).to_string(), "isolatedMaxAvailable": available.round_dp(8).to_string(),
        "maxTransferOut": available.round_dp(8).to_string(), "accountEquity": equity.round_dp(8).to_string(),
        "usdtEquity": equity.round_dp(8).to_string(), "btcEquity": "0", "crossedRiskRate": "0",
        "unrealizedPL": book.unrealized().round_dp(8).to_string(), "coupon": "0",
        "crossedUnrealizedPL": "0", "isolatedUnrealizedPL": book.unrealized().round_dp(8).to_string()
    })
}

/// The v2 single-symbol account record (`account`), with the modes.
pub fn v2_account(book: &Book, symbol: &str) -> Value {
    let mut v = v2_accounts(book);
    let lev = book.leverage_of(symbol);
    if let Some(m) = v.as_object_mut() {
        m.insert("marginMode".into(), json!(book.margin_of(symbol)));
        m.insert("posMode".into(), json!(book.pos_mode));
        m.insert("assetMode".into(), json!("single"));
        m.insert("crossedMarginLeverage".into(), json!(lev));
        m.insert("isolatedLongLever".into(), json!(lev));
        m.insert("isolatedShortLever".into(), json!(lev));
    }
    v
}

/// The v3 `account/assets` answer (`push`: the `account` topic's spelling).
pub fn v3_assets(book: &Book, push: bool) -> Value {
    let equity = book.equity().round_dp(8).to_string();
    let available = (book.equity() - book.used_margin())
        .max(Decimal::ZERO)
        .round_dp(8)
        .to_string();
    let mut coins = vec![
        json!({"coin": "USDT", "equity": equity, "usdValue": equity, "balance": book.wallet.round_dp(8).to_string(),
        "available": available, "debt": "0", "locked": "0"}),
    ];
    for (coin, amount) in &book.coin_balances {
        let price = book.coin_prices.get(coin).copied().unwrap_or_default();
        coins.push(
            json!({"coin": coin, "equity": amount.to_string(), "usdValue": (*amount * price).round_dp(8).to_string(),
            "balance": amount.to_string(), "available": amount.to_string(), "debt": "0", "locked": "0"}),
        );
    }
    let (equity_key, coins_key) = if push {
        ("totalEquity", "coin")
    } else {
        ("accountEquity", "assets")
    };
    json!({
        equity_key: equity, "usdtEquity": equity, "btcEquity": "0",
        "unrealisedPnl": book.unrealized().round_dp(8).to_string(), "usdtUnrealisedPnl": book.unrealized().round_dp(8).to_string(),
        "btcUnrealizedPnl": "0", "effEquity": equity, "mmr": "0", "imr": book.used_margin().round_dp(8).to_string(),
        "mgnRatio": "0", "positionMgnRatio": "0", coins_key: coins
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

/// A v3 `kline` push item.
pub fn v3_kline(c: &Candle) -> Value {
    json!({"start": c.ts.to_string(), "open": c.open.to_string(), "high": c.high.to_string(), "low": c.low.to_string(),
        "close": c.close.to_string(), "volume": c.volume.to_string(), "turnover": (c.volume * c.close).to_string()})
}

/// A v2 WebSocket push.
pub fn v2_push(action: &str, inst_type: &str, channel: &str, inst_id: &str, data: Value, now: i64) -> String {
    json!({"action": action, "arg": {"instType": inst_type, "channel": channel, "instId": inst_id}, "data": data, "ts": now})
        .to_string()
}

/// A v3 WebSocket push (`symbol` empty for private topics).
pub fn v3_push(action: &str, inst_type: &str, topic: &str, symbol: &str, data: Value, now: i64) -> String {
    let mut arg = json!({"instType": inst_type, "topic": topic});
    if !symbol.is_empty() {
        if let Some(m) = arg.as_object_mut() {
            m.insert("symbol".into(), json!(symbol));
        }
    }
    json!({"action": action, "arg": arg, "data": data, "ts": now}).to_string()
}
