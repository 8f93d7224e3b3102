//! The fake's unified (v3) handlers, spelled as `/api/v3/...` (facts in
//! `../shared/bitget/UTA.md` §2): `category` instead of `productType`, bare
//! JSON arrays for batches (at most 20, per-item results), `cursor` paging,
//! order lookups without a symbol, fills without a symbol filter and at most
//! 30 days per request, an account-wide position mode, and the margin mode
//! chosen per order and by `set-leverage` (`crossed` when not given).
//!
//! Fake's choices where Bitget's answer is unknown: an order or isolated
//! `set-leverage` on a symbol busy in the other margin mode answers 25238;
//! an order without `posSide` in hedge mode answers 40019; v2 field names
//! (`size`, `force`, `holdSide`, `productType`, `tradeSide`) answer 25236;
//! reduce-only items and preset TP/SL in batches are refused per item
//! (the docs say they are not supported there).

use serde_json::{json, Value};

use super::book::{Book, BookEvent, NewOrder, Refusal};
use super::http::{contract_list, dec, field, page_limit, side_kind_price, spot_price, tier_list, usdt_futures, Req};
use super::{json as j, lock, now_ms, Shared};

const DAY: i64 = 86_400_000;

/// The v3 code of a refusal the book words in v2 codes.
fn v3_code(r: Refusal) -> Refusal {
    let code = match r.0 {
        "40786" => "25212",
        "22002" => "25227",
        "43012" => "25202",
        "40808" => "25244",
        "40768" => "25204",
        "22001" => "24056",
        other => other,
    };
    (code, r.1)
}

fn category(r: &Req) -> Result<(), Refusal> {
    usdt_futures(r.q("category")?)
}

fn symbol_missing(sym: &str) -> Refusal {
    ("40034", format!("Parameter symbol {sym} does not exist"))
}

pub(super) fn instruments(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    category(r)?;
    Ok(contract_list(s, r, j::v3_instrument))
}

pub(super) fn tiers(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    category(r)?;
    tier_list(s, r, |_, level, t| j::v3_tier(level, t))
}

pub(super) fn tickers(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let cat = r.q("category")?;
    let sym = r.q("symbol")?;
    if cat.eq_ignore_ascii_case("SPOT") {
        return match spot_price(s, sym) {
            Some((pair, p)) => Ok(json!([{"category": "SPOT", "symbol": pair, "lastPrice": p.to_string(),
                "ts": now_ms().to_string()}])),
            None => Err(symbol_missing(sym)),
        };
    }
    usdt_futures(cat)?;
    let book = lock(&s.book);
    let p = book.prices.get(sym).ok_or_else(|| symbol_missing(sym))?;
    Ok(
        json!([{"category": "USDT-FUTURES", "symbol": sym, "ts": now_ms().to_string(), "lastPrice": p.to_string(),
        "markPrice": p.to_string(), "indexPrice": p.to_string(), "fundingRate": "0.0001", "openInterest": "0"}]),
    )
}

pub(super) fn assets(s: &Shared, _r: &Req) -> Result<Value, Refusal> {
    Ok(j::v3_assets(&lock(&s.book), false))
}

pub(super) fn settings(s: &Shared, _r: &Req) -> Result<Value, Refusal> {
    let report_hold = lock(&s.knobs).settings_report_hold_mode;
    let book = lock(&s.book);
    let configs: Vec<Value> = book
        .contracts
        .keys()
        .map(|sym| {
            json!({"category": "USDT-FUTURES", "symbol": sym, "marginMode": book.margin_of(sym),
                "leverage": book.leverage_of(sym).to_string()})
        })
        .collect();
    let mut v = json!({"uid": "1000000001", "accountMode": "unified", "assetMode": "multi_assets",
        "accountLevel": book.account_level, "stpMode": "none", "symbolConfigList": configs,
        "coinConfigList": [{"coin": "USDT", "leverage": "5"}]});
    if report_hold {
        if let Some(m) = v.as_object_mut() {
            m.insert("holdMode".into(), json!(book.pos_mode));
        }
    }
    Ok(v)
}

/// Applies a margin mode to `symbol` the way an order or `set-leverage` does.
fn use_margin(book: &mut Book, symbol: &str, mode: &str) -> Result<(), Refusal> {
    if mode != "isolated" && mode != "crossed" {
        return Err(("40034", format!("Parameter {mode} does not exist")));
    }
    if book.margin_of(symbol) != mode {
        if book.busy(symbol) || (mode == "isolated" && book.account_level == "delta") {
            return Err((
                "25238",
                format!("{symbol} cannot use {mode} margin while it has positions or orders in another mode"),
            ));
        }
        book.margin_mode.insert(symbol.to_owned(), mode.to_owned());
    }
    Ok(())
}

pub(super) fn set_leverage(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    usdt_futures(&r.b("category")?)?;
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
    if let Ok(mode) = r.b("marginMode") {
        use_margin(&mut book, &symbol, &mode)?;
    }
    book.leverage.insert(symbol, lev);
    Ok(json!("success"))
}

pub(super) fn set_hold_mode(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let mode = r.b("holdMode")?;
    if mode != "one_way_mode" && mode != "hedge_mode" {
        return Err(("40034", format!("Parameter {mode} does not exist")));
    }
    let mut book = lock(&s.book);
    if book.any_busy() && book.pos_mode != mode {
        return Err((
            "25107",
            "There is currently a position, please close the position".into(),
        ));
    }
    book.pos_mode = mode;
    Ok(json!("success"))
}

/// The unified clientOid rule: `^[\.A-Z\:/a-z0-9_-]{1,32}$`.
fn client_oid_ok(c: &str) -> bool {
    (1..=32).contains(&c.len())
        && c.chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | ':' | '/' | '_' | '-'))
}

struct V3Order {
    order: NewOrder,
    margin_mode: String,
}

fn parse_order(item: &Value, in_batch: bool, refuse_margin_mode: bool) -> Result<V3Order, Refusal> {
    for v2_name in ["size", "force", "holdSide", "productType", "tradeSide", "oneWayMode"] {
        if item.get(v2_name).is_some() {
            return Err(("25236", format!("Parameter {v2_name} is not supported")));
        }
    }
    usdt_futures(&field(item, "category")?)?;
    let (side, kind, price) = side_kind_price(item, |w| ("40034", format!("Parameter {w} does not exist")))?;
    let reduce_only = match item.get("reduceOnly").and_then(Value::as_str) {
        None | Some("no") | Some("NO") => false,
        Some("yes") | Some("YES") => true,
        Some(other) => return Err(("40034", format!("Parameter {other} does not exist"))),
    };
    if in_batch && reduce_only {
        return Err(("40017", "reduce-only orders are not supported in batch orders".into()));
    }
    if in_batch && (item.get("takeProfit").is_some() || item.get("stopLoss").is_some()) {
        return Err(("40017", "TP/SL is not supported in batch orders".into()));
    }
    if in_batch && refuse_margin_mode && item.get("marginMode").is_some() {
        return Err(("40034", "Parameter marginMode does not exist".into()));
    }
    let tif = item
        .get("timeInForce")
        .and_then(Value::as_str)
        .unwrap_or("gtc")
        .to_owned();
    if !["gtc", "post_only", "ioc", "fok"].contains(&tif.as_str()) {
        return Err(("40034", format!("Parameter {tif} does not exist")));
    }
    let client_oid = field(item, "clientOid")?;
    if !client_oid_ok(&client_oid) {
        return Err(("40017", format!("Parameter clientOid error: {client_oid}")));
    }
    Ok(V3Order {
        order: NewOrder {
            symbol: field(item, "symbol")?,
            side,
            kind,
            price,
            size: dec(&field(item, "qty")?, "qty")?,
            client_oid,
            reduce_only,
            force: tif,
        },
        margin_mode: item
            .get("marginMode")
            .and_then(Value::as_str)
            .unwrap_or("crossed")
            .to_owned(),
    })
}

fn place(book: &mut Book, o: V3Order, events: &mut Vec<BookEvent>) -> Result<u64, Refusal> {
    if book.pos_mode != "one_way_mode" {
        return Err(("40019", "Parameter posSide cannot be empty".into()));
    }
    if !book.contracts.contains_key(&o.order.symbol) {
        return Err(symbol_missing(&o.order.symbol));
    }
    if book.by_client_oid.contains_key(&o.order.client_oid) {
        return Err(("25212", "Duplicate clientOid".into()));
    }
    use_margin(book, &o.order.symbol, &o.margin_mode)?;
    book.place(o.order, now_ms(), events).map_err(v3_code)
}

pub(super) fn place_order(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let o = parse_order(&r.body, false, false)?;
    let coid = o.order.client_oid.clone();
    let mut events = Vec::new();
    let id = place(&mut lock(&s.book), o, &mut events);
    s.emit(events);
    Ok(json!({"orderId": id?.to_string(), "clientOid": coid}))
}

fn bare_array<'a>(r: &'a Req, what: &str) -> Result<&'a Vec<Value>, Refusal> {
    let list = r
        .body
        .as_array()
        .ok_or(("40017", format!("{what}: the body must be a JSON array")))?;
    if list.is_empty() || list.len() > 20 {
        return Err((
            "40020",
            format!("{what}: 1 to 20 orders per request, got {}", list.len()),
        ));
    }
    Ok(list)
}

fn item_error(item: &Value, (code, msg): Refusal) -> Value {
    let coid = item.get("clientOid").and_then(Value::as_str).unwrap_or("");
    let oid = item.get("orderId").and_then(Value::as_str).unwrap_or("");
    json!({"orderId": oid, "clientOid": coid, "code": code, "msg": msg})
}

pub(super) fn place_batch(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let list = bare_array(r, "place-batch")?;
    let refuse_margin = lock(&s.knobs).refuse_batch_margin_mode;
    let mut out = Vec::new();
    let mut events = Vec::new();
    {
        let mut book = lock(&s.book);
        for item in list {
            match parse_order(item, true, refuse_margin).and_then(|o| {
                let coid = o.order.client_oid.clone();
                place(&mut book, o, &mut events).map(|id| (id, coid))
            }) {
                Ok((id, coid)) => out.push(json!({"orderId": id.to_string(), "clientOid": coid})),
                Err(e) => out.push(item_error(item, e)),
            }
        }
    }
    s.emit(events);
    Ok(Value::Array(out))
}

/// The order an item names by `orderId` (wins) or `clientOid`; the symbol
/// is checked only when given.
fn resolve(book: &Book, item: &Value) -> Option<u64> {
    let id = match (field(item, "orderId"), field(item, "clientOid")) {
        (Ok(id), _) => id.parse().ok(),
        (Err(_), Ok(c)) => book.by_client_oid.get(&c).copied(),
        _ => None,
    }?;
    let want = field(item, "symbol").ok();
    book.orders
        .get(&id)
        .filter(|o| want.as_ref().is_none_or(|w| *w == o.symbol))
        .map(|o| o.id)
}

fn cancel_item(book: &mut Book, item: &Value, events: &mut Vec<BookEvent>) -> Result<Value, Refusal> {
    let id = resolve(book, item).ok_or(("25204", "Order does not exist".to_owned()))?;
    let coid = book.orders.get(&id).map(|o| o.client_oid.clone()).unwrap_or_default();
    book.cancel(id, now_ms(), events).map_err(v3_code)?;
    Ok(json!({"orderId": id.to_string(), "clientOid": coid}))
}

pub(super) fn cancel_order(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let mut events = Vec::new();
    let res = cancel_item(&mut lock(&s.book), &r.body, &mut events);
    s.emit(events);
    res
}

pub(super) fn cancel_batch(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let list = bare_array(r, "cancel-batch")?;
    let mut out = Vec::new();
    let mut events = Vec::new();
    {
        let mut book = lock(&s.book);
        for item in list {
            match cancel_item(&mut book, item, &mut events) {
                Ok(v) => out.push(v),
                Err(e) => out.push(item_error(item, e)),
            }
        }
    }
    s.emit(events);
    Ok(Value::Array(out))
}

pub(super) fn cancel_symbol(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    usdt_futures(&r.b("category")?)?;
    let symbol = r.b("symbol").ok();
    let mut events = Vec::new();
    let mut list = Vec::new();
    {
        let mut book = lock(&s.book);
        let ids: Vec<(u64, String)> = book
            .open
            .iter()
            .filter_map(|id| book.orders.get(id))
            .filter(|o| symbol.as_ref().is_none_or(|x| *x == o.symbol))
            .map(|o| (o.id, o.client_oid.clone()))
            .collect();
        for (id, coid) in ids {
            if book.cancel(id, now_ms(), &mut events).is_ok() {
                list.push(json!({"orderId": id.to_string(), "clientOid": coid}));
            }
        }
    }
    s.emit(events);
    Ok(json!({"list": list}))
}

pub(super) fn close_positions(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    usdt_futures(&r.b("category")?)?;
    let symbol = r.b("symbol")?;
    let mut events = Vec::new();
    let res = super::v2::flash_close(&mut lock(&s.book), &symbol, &mut events).map_err(v3_code);
    s.emit(events);
    let (id, coid) = res?;
    Ok(json!({"list": [{"orderId": id.to_string(), "clientOid": coid}]}))
}

pub(super) fn order_info(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let book = lock(&s.book);
    let id = match (r.query.get("orderId"), r.query.get("clientOid")) {
        (Some(id), _) => id.parse::<u64>().ok(),
        (None, Some(c)) => book.by_client_oid.get(c).copied(),
        (None, None) => return Err(("40019", "Parameter orderId or clientOid cannot be empty".into())),
    };
    let o = id
        .and_then(|id| book.orders.get(&id))
        .ok_or(("25204", "Order does not exist".to_owned()))?;
    Ok(j::v3_order(o, &book, false))
}

fn cursor(r: &Req) -> u64 {
    r.query.get("cursor").and_then(|v| v.parse().ok()).unwrap_or(u64::MAX)
}

pub(super) fn unfilled_orders(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    if r.query.contains_key("category") {
        category(r)?;
    }
    let sym = r.query.get("symbol");
    let (before, limit) = (cursor(r), page_limit(r));
    let book = lock(&s.book);
    let page: Vec<&super::book::FakeOrder> = book
        .open
        .iter()
        .rev()
        .filter_map(|id| book.orders.get(id))
        .filter(|o| o.id < before && sym.is_none_or(|x| *x == o.symbol))
        .take(limit)
        .collect();
    let next = page.last().map(|o| o.id.to_string()).unwrap_or_default();
    Ok(json!({"list": page.iter().map(|o| j::v3_order(o, &book, false)).collect::<Vec<_>>(), "cursor": next}))
}

pub(super) fn fills(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    if r.query.contains_key("category") {
        category(r)?;
    }
    let now = now_ms();
    let num = |k: &str| r.query.get(k).and_then(|v| v.parse::<i64>().ok());
    let end = num("endTime").unwrap_or(now);
    let start = num("startTime").unwrap_or(end - 7 * DAY);
    if end - start > 30 * DAY {
        return Err((
            "00001",
            "startTime and endTime interval cannot be greater than 30 days".into(),
        ));
    }
    let start = start.max(now - 90 * DAY);
    let (before, limit) = (cursor(r), page_limit(r));
    let book = lock(&s.book);
    let page: Vec<&super::book::FakeFill> = book
        .fills
        .iter()
        .rev()
        .filter(|f| f.trade_id < before && f.ts >= start && f.ts <= end)
        .take(limit)
        .collect();
    let next = page.last().map(|f| f.trade_id.to_string()).unwrap_or_default();
    Ok(json!({"list": page.iter().map(|f| j::v3_fill(f, false)).collect::<Vec<_>>(), "cursor": next}))
}

pub(super) fn current_position(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    category(r)?;
    let sym = r.query.get("symbol");
    let book = lock(&s.book);
    let now = now_ms();
    let mut syms: Vec<&String> = book
        .positions
        .iter()
        .filter(|(s, p)| !p.qty.is_zero() && sym.is_none_or(|x| x == *s))
        .map(|(s, _)| s)
        .collect();
    syms.sort();
    Ok(json!({"list": syms.into_iter().map(|s| j::v3_position(&book, s, now, false)).collect::<Vec<_>>()}))
}
