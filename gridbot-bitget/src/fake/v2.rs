//! The fake's classic (v2) handlers: market data, account, positions,
//! orders, fills, trading and mode switches, spelled as `/api/v2/mix/...`.
//! Batch answers list every item in `successList` or `failureList`.

use gridbot_core::model::{OrderKind, Side};
use serde_json::{json, Value};

use super::book::{Book, BookEvent, NewOrder, Refusal};
use super::http::{contract_list, dec, field, page_limit, side_kind_price, tier_list, usdt_futures, Req};
use super::{json as j, lock, now_ms, Shared};

fn symbol_missing(sym: &str) -> Refusal {
    ("40034", format!("Parameter symbol {sym} does not exist"))
}

fn product(r: &Req) -> Result<(), Refusal> {
    usdt_futures(r.q("productType")?)
}

fn body_product(r: &Req) -> Result<(), Refusal> {
    usdt_futures(&r.b("productType")?)?;
    if r.body.get("marginCoin").is_some() && !r.b("marginCoin")?.eq_ignore_ascii_case("USDT") {
        return Err(("40017", "Parameter marginCoin error".into()));
    }
    Ok(())
}

pub(super) fn contracts(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    product(r)?;
    Ok(contract_list(s, r, j::v2_contract))
}

pub(super) fn tiers(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    product(r)?;
    tier_list(s, r, j::v2_tier)
}

pub(super) fn ticker(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    product(r)?;
    let sym = r.q("symbol")?;
    let book = lock(&s.book);
    let p = book.prices.get(sym).ok_or_else(|| symbol_missing(sym))?;
    Ok(
        json!([{"symbol": sym, "lastPr": p.to_string(), "askPr": p.to_string(), "bidPr": p.to_string(),
        "bidSz": "1", "askSz": "1", "high24h": p.to_string(), "low24h": p.to_string(), "ts": now_ms().to_string(),
        "change24h": "0", "baseVolume": "0", "quoteVolume": "0", "usdtVolume": "0", "openUtc": p.to_string(),
        "changeUtc24h": "0", "indexPrice": p.to_string(), "fundingRate": "0.0001", "holdingAmount": "0",
        "deliveryStartTime": null, "deliveryTime": null, "deliveryStatus": "", "open24h": p.to_string(),
        "markPrice": p.to_string()}]),
    )
}

pub(super) fn accounts(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    product(r)?;
    Ok(json!([j::v2_accounts(&lock(&s.book))]))
}

pub(super) fn account(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    product(r)?;
    r.q("marginCoin")?;
    let sym = r.q("symbol")?;
    let book = lock(&s.book);
    if !book.contracts.contains_key(sym) {
        return Err(symbol_missing(sym));
    }
    Ok(j::v2_account(&book, sym))
}

pub(super) fn all_positions(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    product(r)?;
    r.q("marginCoin")?;
    let book = lock(&s.book);
    let now = now_ms();
    let mut syms: Vec<&String> = book
        .positions
        .iter()
        .filter(|(_, p)| !p.qty.is_zero())
        .map(|(s, _)| s)
        .collect();
    syms.sort();
    Ok(Value::Array(
        syms.into_iter().map(|sym| j::v2_position(&book, sym, now)).collect(),
    ))
}

pub(super) fn single_position(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    product(r)?;
    r.q("marginCoin")?;
    let sym = r.q("symbol")?;
    let book = lock(&s.book);
    let open = book.positions.get(sym).is_some_and(|p| !p.qty.is_zero());
    Ok(if open {
        json!([j::v2_position(&book, sym, now_ms())])
    } else {
        json!([])
    })
}

/// Without `status` the list holds `live` orders only (the English page's
/// reading; [`super::FakeBitget::pending_lists_every_state`] switches to the
/// Chinese page's "every state").
pub(super) fn orders_pending(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    product(r)?;
    let sym = r.query.get("symbol");
    let status = r.query.get("status").cloned();
    let live_only = lock(&s.knobs).pending_live_only;
    let before: u64 = r
        .query
        .get("idLessThan")
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX);
    let limit = page_limit(r);
    let book = lock(&s.book);
    let page: Vec<Value> = book
        .open
        .iter()
        .rev()
        .filter_map(|id| book.orders.get(id))
        .filter(|o| o.id < before && sym.is_none_or(|x| *x == o.symbol))
        .filter(|o| {
            let state = crate::common::enums::order_state_str(o.status);
            match &status {
                Some(want) => want == state,
                None => !live_only || state == "live",
            }
        })
        .take(limit)
        .map(|o| j::v2_order(o, &book, "status"))
        .collect();
    let end_id = page.last().and_then(|v| v.get("orderId").cloned()).unwrap_or(json!(""));
    Ok(json!({"entrustedList": if page.is_empty() { Value::Null } else { Value::Array(page) }, "endId": end_id}))
}

pub(super) fn detail(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    product(r)?;
    let sym = r.q("symbol")?;
    let book = lock(&s.book);
    let id = match (r.query.get("orderId"), r.query.get("clientOid")) {
        (Some(id), _) => id.parse::<u64>().ok(),
        (None, Some(c)) => book.by_client_oid.get(c).copied(),
        (None, None) => return Err(("40019", "Parameter orderId or clientOid cannot be empty".into())),
    };
    let o = id
        .and_then(|id| book.orders.get(&id))
        .filter(|o| o.symbol == sym)
        .ok_or(("40768", "Order does not exist".to_owned()))?;
    Ok(j::v2_order(o, &book, "state"))
}

pub(super) fn fills(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    product(r)?;
    let sym = r.query.get("symbol");
    let num = |k: &str, d: i64| r.query.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
    let before: u64 = r
        .query
        .get("idLessThan")
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX);
    let (start, end) = (num("startTime", i64::MIN), num("endTime", i64::MAX));
    let limit = page_limit(r);
    let book = lock(&s.book);
    let page: Vec<Value> = book
        .fills
        .iter()
        .rev()
        .filter(|f| f.trade_id < before && f.ts >= start && f.ts <= end && sym.is_none_or(|x| *x == f.symbol))
        .take(limit)
        .map(j::v2_fill)
        .collect();
    let end_id = page.last().and_then(|v| v.get("tradeId").cloned()).unwrap_or(json!(""));
    Ok(json!({"fillList": if page.is_empty() { Value::Null } else { Value::Array(page) }, "endId": end_id}))
}

pub(super) fn set_leverage(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    body_product(r)?;
    r.b("marginCoin")?;
    let symbol = r.b("symbol")?;
    let lev: u32 = r
        .b("leverage")?
        .parse()
        .map_err(|_| ("40017", "Parameter leverage error".to_owned()))?;
    let mut book = lock(&s.book);
    let max = book
        .contracts
        .get(&symbol)
        .map(|c| c.max_lever)
        .ok_or_else(|| symbol_missing(&symbol))?;
    if lev == 0 || lev > max {
        return Err(("40797", format!("Exceeded the maximum settable leverage {max}")));
    }
    book.leverage.insert(symbol.clone(), lev);
    Ok(
        json!({"symbol": symbol, "marginCoin": "USDT", "longLeverage": lev.to_string(), "shortLeverage": lev.to_string(),
        "crossMarginLeverage": lev, "marginMode": book.margin_of(&symbol)}),
    )
}

pub(super) fn set_margin_mode(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    body_product(r)?;
    r.b("marginCoin")?;
    let symbol = r.b("symbol")?;
    let mode = r.b("marginMode")?;
    if mode != "isolated" && mode != "crossed" {
        return Err(("40017", format!("Parameter marginMode error: {mode}")));
    }
    let mut book = lock(&s.book);
    if book.busy(&symbol) && book.margin_of(&symbol) != mode {
        return Err((
            "45117",
            "Currently holding positions or orders, the margin mode cannot be adjusted".into(),
        ));
    }
    book.margin_mode.insert(symbol.clone(), mode.clone());
    let lev = book.leverage_of(&symbol);
    Ok(
        json!({"symbol": symbol, "marginCoin": "USDT", "longLeverage": lev.to_string(), "shortLeverage": lev.to_string(), "marginMode": mode}),
    )
}

pub(super) fn set_position_mode(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    body_product(r)?;
    let mode = r.b("posMode")?;
    if mode != "one_way_mode" && mode != "hedge_mode" {
        return Err(("40017", format!("Parameter posMode error: {mode}")));
    }
    let mut book = lock(&s.book);
    if book.any_busy() && book.pos_mode != mode {
        return Err((
            "40920",
            "Position or order exists, the position mode cannot be switched".into(),
        ));
    }
    book.pos_mode = mode.clone();
    Ok(json!({"posMode": mode}))
}

fn parse_new_order(symbol: &str, item: &Value) -> Result<NewOrder, Refusal> {
    let (side, kind, price) = side_kind_price(item, |w| ("40017", format!("Parameter error: {w}")))?;
    let reduce_only = match item.get("reduceOnly").and_then(Value::as_str) {
        None | Some("NO") => false,
        Some("YES") => true,
        Some(other) => return Err(("40017", format!("Parameter reduceOnly error: {other}"))),
    };
    let force = item.get("force").and_then(Value::as_str).unwrap_or("gtc").to_owned();
    if !["gtc", "post_only", "ioc", "fok"].contains(&force.as_str()) {
        return Err(("40017", format!("Parameter force error: {force}")));
    }
    Ok(NewOrder {
        symbol: symbol.to_owned(),
        side,
        kind,
        price,
        size: dec(&field(item, "size")?, "size")?,
        client_oid: field(item, "clientOid")?,
        reduce_only,
        force,
    })
}

/// The symbol of an order request; checks product type, coin and margin mode.
fn order_context(r: &Req) -> Result<String, Refusal> {
    body_product(r)?;
    r.b("marginCoin")?;
    let mode = r.b("marginMode")?;
    if mode != "isolated" && mode != "crossed" {
        return Err(("40017", format!("Parameter marginMode error: {mode}")));
    }
    r.b("symbol")
}

/// Places in one-way mode; a hedge-mode account refuses one-way orders.
pub(super) fn place_one_way(book: &mut Book, o: NewOrder, events: &mut Vec<BookEvent>) -> Result<u64, Refusal> {
    if book.pos_mode != "one_way_mode" {
        return Err((
            "40774",
            "The order type for unilateral position must also be the unilateral position type.".into(),
        ));
    }
    book.place(o, now_ms(), events)
}

pub(super) fn place_order(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let symbol = order_context(r)?;
    let o = parse_new_order(&symbol, &r.body)?;
    let coid = o.client_oid.clone();
    let mut events = Vec::new();
    let id = place_one_way(&mut lock(&s.book), o, &mut events);
    s.emit(events);
    Ok(json!({"orderId": id?.to_string(), "clientOid": coid}))
}

pub(super) fn batch_place(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let symbol = order_context(r)?;
    let list = r
        .body
        .get("orderList")
        .and_then(Value::as_array)
        .ok_or(("40019", "Parameter orderList cannot be empty".to_owned()))?;
    if list.len() > 50 {
        return Err(("40020", "Batch order quantity exceeds 50".into()));
    }
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    let mut events = Vec::new();
    {
        let mut book = lock(&s.book);
        for item in list {
            let coid = item.get("clientOid").and_then(Value::as_str).unwrap_or("").to_owned();
            match parse_new_order(&symbol, item).and_then(|o| place_one_way(&mut book, o, &mut events)) {
                Ok(id) => ok.push(json!({"orderId": id.to_string(), "clientOid": coid})),
                Err((code, msg)) => {
                    failed.push(json!({"orderId": "", "clientOid": coid, "errorMsg": msg, "errorCode": code}))
                }
            }
        }
    }
    s.emit(events);
    Ok(json!({"successList": ok, "failureList": failed}))
}

/// The order an item names by `orderId` or `clientOid`, on `symbol`.
pub(super) fn resolve(book: &Book, symbol: &str, item: &Value) -> Option<u64> {
    let id = match (field(item, "orderId"), field(item, "clientOid")) {
        (Ok(id), _) => id.parse().ok(),
        (Err(_), Ok(c)) => book.by_client_oid.get(&c).copied(),
        _ => None,
    }?;
    book.orders.get(&id).filter(|o| o.symbol == symbol).map(|o| o.id)
}

pub(super) fn cancel_order(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    body_product(r)?;
    let symbol = r.b("symbol")?;
    let mut events = Vec::new();
    let res = {
        let mut book = lock(&s.book);
        let id = resolve(&book, &symbol, &r.body).ok_or(("40768", "Order does not exist".to_owned()))?;
        let coid = book.orders.get(&id).map(|o| o.client_oid.clone()).unwrap_or_default();
        book.cancel(id, now_ms(), &mut events)
            .map(|_| json!({"orderId": id.to_string(), "clientOid": coid}))
    };
    s.emit(events);
    res
}

pub(super) fn batch_cancel(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    body_product(r)?;
    let symbol = r.b("symbol")?;
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    let mut events = Vec::new();
    {
        let mut book = lock(&s.book);
        let now = now_ms();
        match r.body.get("orderIdList").and_then(Value::as_array) {
            Some(list) => {
                if list.len() > 50 {
                    return Err(("40020", "Batch cancel quantity exceeds 50".into()));
                }
                for item in list {
                    let coid = item.get("clientOid").and_then(Value::as_str).unwrap_or("").to_owned();
                    let oid = item.get("orderId").and_then(Value::as_str).unwrap_or("").to_owned();
                    let r = resolve(&book, &symbol, item)
                        .ok_or(("40768", "Order does not exist".to_owned()))
                        .and_then(|id| book.cancel(id, now, &mut events).map(|_| id));
                    match r {
                        Ok(id) => ok.push(json!({"orderId": id.to_string(), "clientOid": coid})),
                        Err((c, m)) => {
                            failed.push(json!({"orderId": oid, "clientOid": coid, "errorMsg": m, "errorCode": c}))
                        }
                    }
                }
            }
            None => {
                let ids: Vec<(u64, String)> = book
                    .open
                    .iter()
                    .filter_map(|id| book.orders.get(id))
                    .filter(|o| o.symbol == symbol)
                    .map(|o| (o.id, o.client_oid.clone()))
                    .collect();
                if ids.is_empty() {
                    return Err(("22001", "No order to cancel".into()));
                }
                for (id, coid) in ids {
                    if book.cancel(id, now, &mut events).is_ok() {
                        ok.push(json!({"orderId": id.to_string(), "clientOid": coid}));
                    }
                }
            }
        }
    }
    s.emit(events);
    Ok(json!({"successList": ok, "failureList": failed}))
}

/// Closes the whole position at market with a reduce-only order of the fake's own id.
pub(super) fn flash_close(
    book: &mut Book,
    symbol: &str,
    events: &mut Vec<BookEvent>,
) -> Result<(u64, String), Refusal> {
    let qty = book.positions.get(symbol).map(|p| p.qty).unwrap_or_default();
    if qty.is_zero() {
        return Err(("22002", "No position to close".into()));
    }
    let coid = format!("close-{}", book.orders.len() + 1);
    let o = NewOrder {
        symbol: symbol.to_owned(),
        side: if qty > rust_decimal::Decimal::ZERO {
            Side::Sell
        } else {
            Side::Buy
        },
        kind: OrderKind::Market,
        price: None,
        size: qty.abs(),
        client_oid: coid.clone(),
        reduce_only: true,
        force: "ioc".into(),
    };
    book.place(o, now_ms(), events).map(|id| (id, coid))
}

pub(super) fn close_positions(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    body_product(r)?;
    let symbol = r.b("symbol")?;
    let mut events = Vec::new();
    let res = flash_close(&mut lock(&s.book), &symbol, &mut events);
    s.emit(events);
    let (id, coid) = res?;
    Ok(json!({"successList": [{"orderId": id.to_string(), "clientOid": coid}], "failureList": []}))
}
