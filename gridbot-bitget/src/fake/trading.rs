//! The fake's trading endpoints: place, batch place, cancel, batch cancel.
//! Fields are read by Bitget's exact spelling; batch answers list every
//! item in `successList` or `failureList`.

use gridbot_core::model::{OrderKind, Side};
use serde_json::{json, Value};

use super::book::{BookEvent, NewOrder, Refusal};
use super::http::{dec, field, margin_coin, Req};
use super::{lock, now_ms, Shared};

fn parse_new_order(symbol: &str, item: &Value) -> Result<NewOrder, Refusal> {
    let side = match field(item, "side")?.as_str() {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        other => return Err(("40017", format!("Parameter side error: {other}"))),
    };
    let kind = match field(item, "orderType")?.as_str() {
        "limit" => OrderKind::Limit,
        "market" => OrderKind::Market,
        other => return Err(("40017", format!("Parameter orderType error: {other}"))),
    };
    let price = match kind {
        OrderKind::Limit => Some(dec(&field(item, "price")?, "price")?),
        OrderKind::Market => None,
    };
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

fn order_context(r: &Req) -> Result<(String, &'static str), Refusal> {
    let coin = margin_coin(&r.b("productType")?)?;
    if r.b("marginCoin")?.to_ascii_uppercase() != coin {
        return Err(("40017", "Parameter marginCoin error".into()));
    }
    let mode = r.b("marginMode")?;
    if mode != "isolated" && mode != "crossed" {
        return Err(("40017", format!("Parameter marginMode error: {mode}")));
    }
    Ok((r.b("symbol")?, coin))
}

fn place_with_mode(s: &Shared, o: NewOrder, events: &mut Vec<BookEvent>) -> Result<u64, Refusal> {
    let mut book = lock(&s.book);
    if book.pos_mode != "one_way_mode" {
        return Err((
            "40774",
            "The order type for unilateral position must also be the unilateral position type.".into(),
        ));
    }
    book.place(o, now_ms(), events)
}

pub(super) fn place_order(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let (symbol, coin) = order_context(r)?;
    let o = parse_new_order(&symbol, &r.body)?;
    let coid = o.client_oid.clone();
    let mut events = Vec::new();
    let id = place_with_mode(s, o, &mut events);
    s.emit(events, "USDT-FUTURES", coin);
    Ok(json!({"orderId": id?.to_string(), "clientOid": coid}))
}

pub(super) fn batch_place(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let (symbol, coin) = order_context(r)?;
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
    for item in list {
        let coid = item.get("clientOid").and_then(Value::as_str).unwrap_or("").to_owned();
        match parse_new_order(&symbol, item).and_then(|o| place_with_mode(s, o, &mut events)) {
            Ok(id) => ok.push(json!({"orderId": id.to_string(), "clientOid": coid})),
            Err((code, msg)) => {
                failed.push(json!({"orderId": "", "clientOid": coid, "errorMsg": msg, "errorCode": code}))
            }
        }
    }
    s.emit(events, "USDT-FUTURES", coin);
    Ok(json!({"successList": ok, "failureList": failed}))
}

fn resolve(book: &super::book::Book, symbol: &str, item: &Value) -> Option<u64> {
    let id = match (field(item, "orderId"), field(item, "clientOid")) {
        (Ok(id), _) => id.parse().ok(),
        (Err(_), Ok(c)) => book.by_client_oid.get(&c).copied(),
        _ => None,
    }?;
    book.orders.get(&id).filter(|o| o.symbol == symbol).map(|o| o.id)
}

pub(super) fn cancel_order(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let coin = margin_coin(&r.b("productType")?)?;
    let symbol = r.b("symbol")?;
    let mut events = Vec::new();
    let res = {
        let mut book = lock(&s.book);
        let id = resolve(&book, &symbol, &r.body).ok_or(("40768", "Order does not exist".to_owned()))?;
        let coid = book.orders.get(&id).map(|o| o.client_oid.clone()).unwrap_or_default();
        book.cancel(id, now_ms(), &mut events)
            .map(|_| json!({"orderId": id.to_string(), "clientOid": coid}))
    };
    s.emit(events, "USDT-FUTURES", coin);
    res
}

pub(super) fn batch_cancel(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let coin = margin_coin(&r.b("productType")?)?;
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
                    match resolve(&book, &symbol, item).ok_or(("40768", "Order does not exist".to_owned())) {
                        Ok(id) => match book.cancel(id, now, &mut events) {
                            Ok(()) => ok.push(json!({"orderId": id.to_string(), "clientOid": coid})),
                            Err((c, m)) => {
                                failed.push(json!({"orderId": oid, "clientOid": coid, "errorMsg": m, "errorCode": c}))
                            }
                        },
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
    s.emit(events, "USDT-FUTURES", coin);
    Ok(json!({"successList": ok, "failureList": failed}))
}
