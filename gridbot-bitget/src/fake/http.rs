//! The fake's HTTP side: request recording, fault injection, signature and
//! timestamp checks, and one handler per Bitget endpoint. Request fields are
//! read by Bitget's exact spelling; a missing one is refused with code 40019.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::book::Refusal;
use super::faults::Fault;
use super::trading;
use super::{json as j, lock, now_ms, RecordedRequest, Shared, FAKE_API_KEY, FAKE_PASSPHRASE, FAKE_SECRET};
use crate::common::signing::sign_rest;

/// Largest clock difference accepted on `ACCESS-TIMESTAMP`.
const MAX_SKEW_MS: i64 = 30_000;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v2/ws/public", get(super::ws::public_ws))
        .route("/v2/ws/private", get(super::ws::private_ws))
        .fallback(handle)
        .with_state(shared)
}

type Answer = (StatusCode, Value);

fn refuse(r: Refusal) -> Answer {
    (StatusCode::BAD_REQUEST, j::error(r.0, &r.1, now_ms()))
}

fn ok(data: Value) -> Answer {
    (StatusCode::OK, j::envelope(data, now_ms()))
}

pub(super) struct Req {
    pub(super) query: HashMap<String, String>,
    pub(super) body: Value,
}

impl Req {
    pub(super) fn q(&self, k: &str) -> Result<&str, Refusal> {
        self.query
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .ok_or(("40019", format!("Parameter {k} cannot be empty")))
    }
    pub(super) fn b(&self, k: &str) -> Result<String, Refusal> {
        field(&self.body, k)
    }
}

pub(super) fn field(v: &Value, k: &str) -> Result<String, Refusal> {
    match v.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(("40019", format!("Parameter {k} cannot be empty"))),
    }
}

pub(super) fn dec(s: &str, k: &str) -> Result<Decimal, Refusal> {
    Decimal::from_str(s).map_err(|_| ("40017", format!("Parameter {k} error: {s}")))
}

/// `USDT-FUTURES` → `USDT`; `SUSDT-FUTURES` → `SUSDT`.
pub(super) fn margin_coin(pt: &str) -> Result<&'static str, Refusal> {
    match pt.to_ascii_uppercase().as_str() {
        "USDT-FUTURES" => Ok("USDT"),
        "SUSDT-FUTURES" => Ok("SUSDT"),
        _ => Err(("40017", format!("Parameter productType error: {pt}"))),
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let raw_query = uri.query().unwrap_or("").to_owned();
    let body_text = String::from_utf8_lossy(&body).into_owned();
    let header_map: HashMap<String, String> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_owned())))
        .collect();
    lock(&shared.requests).push(RecordedRequest {
        method: method.to_string(),
        path: path.clone(),
        query: raw_query.clone(),
        body: body_text.clone(),
        headers: header_map.clone(),
    });
    let fault = shared.faults.next_for(&path);
    match fault {
        Some(Fault::ServerError) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "<html><body>503 Service Temporarily Unavailable</body></html>",
            )
                .into_response()
        }
        Some(Fault::RateLimited) => {
            let mut r = (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(j::error("429", "Too Many Requests", now_ms())),
            )
                .into_response();
            r.headers_mut()
                .insert("Retry-After", axum::http::HeaderValue::from_static("0"));
            return r;
        }
        Some(Fault::MalformedJson) => {
            return (
                StatusCode::OK,
                [("content-type", "application/json")],
                "{\"code\":\"00000\",\"data\":[{\"orderId\":",
            )
                .into_response()
        }
        Some(Fault::TimeoutBefore) => {
            tokio::time::sleep(shared.faults.timeout_delay()).await;
            return (StatusCode::GATEWAY_TIMEOUT, "timeout").into_response();
        }
        _ => {}
    }
    let (status, value) = answer(&shared, &method, &path, &raw_query, &body_text, &header_map);
    if fault == Some(Fault::TimeoutAfter) {
        tokio::time::sleep(shared.faults.timeout_delay()).await;
    }
    (status, axum::Json(value)).into_response()
}

fn check_auth(method: &Method, path: &str, query: &str, body: &str, h: &HashMap<String, String>) -> Result<(), Answer> {
    let now = now_ms();
    let err = |code: &str, msg: &str| (StatusCode::BAD_REQUEST, j::error(code, msg, now));
    let key = h.get("access-key").ok_or_else(|| err("40006", "Invalid ACCESS_KEY"))?;
    if key != FAKE_API_KEY {
        return Err(err("40006", "Invalid ACCESS_KEY"));
    }
    if h.get("access-passphrase").map(String::as_str) != Some(FAKE_PASSPHRASE) {
        return Err(err("40012", "apikey/password is incorrect"));
    }
    let ts = h
        .get("access-timestamp")
        .ok_or_else(|| err("40005", "Invalid ACCESS_TIMESTAMP"))?;
    let ts_ms: i64 = ts.parse().map_err(|_| err("40005", "Invalid ACCESS_TIMESTAMP"))?;
    if (now - ts_ms).abs() > MAX_SKEW_MS {
        return Err(err("40008", "Request timestamp expired"));
    }
    let expected = sign_rest(FAKE_SECRET, ts, method.as_str(), path, query, body);
    if h.get("access-sign") != Some(&expected) {
        return Err(err("40009", "sign signature error"));
    }
    Ok(())
}

fn parse_query(raw: &str) -> HashMap<String, String> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (p.to_owned(), String::new()),
        })
        .collect()
}

fn answer(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: &str,
    body: &str,
    h: &HashMap<String, String>,
) -> Answer {
    let public = path.starts_with("/api/v2/mix/market/");
    if !public {
        if let Err(a) = check_auth(method, path, query, body, h) {
            return a;
        }
    }
    let body_json = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_str(body) {
            Ok(v) => v,
            Err(_) => return refuse(("40017", "Request body is not JSON".into())),
        }
    };
    let req = Req {
        query: parse_query(query),
        body: body_json,
    };
    let route: Route = match (method.as_str(), path) {
        ("GET", "/api/v2/mix/market/contracts") => contracts,
        ("GET", "/api/v2/mix/market/ticker") => ticker,
        ("GET", "/api/v2/mix/market/candles") | ("GET", "/api/v2/mix/market/history-candles") => candles,
        ("GET", "/api/v2/mix/account/accounts") => accounts,
        ("GET", "/api/v2/mix/position/all-position") => all_positions,
        ("GET", "/api/v2/mix/position/single-position") => single_position,
        ("GET", "/api/v2/mix/order/orders-pending") => orders_pending,
        ("GET", "/api/v2/mix/order/detail") => detail,
        ("GET", "/api/v2/mix/order/fills") => fills,
        ("POST", "/api/v2/mix/order/place-order") => trading::place_order,
        ("POST", "/api/v2/mix/order/batch-place-order") => trading::batch_place,
        ("POST", "/api/v2/mix/order/cancel-order") => trading::cancel_order,
        ("POST", "/api/v2/mix/order/batch-cancel-orders") => trading::batch_cancel,
        ("POST", "/api/v2/mix/account/set-leverage") => set_leverage,
        ("POST", "/api/v2/mix/account/set-margin-mode") => set_margin_mode,
        ("POST", "/api/v2/mix/account/set-position-mode") => set_position_mode,
        _ => {
            return (
                StatusCode::NOT_FOUND,
                j::error("40404", &format!("Request URL NOT FOUND: {method} {path}"), now_ms()),
            )
        }
    };
    match route(shared, &req) {
        Ok(data) => ok(data),
        Err(r) => refuse(r),
    }
}

type Route = fn(&Shared, &Req) -> Result<Value, Refusal>;

fn contracts(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let coin = margin_coin(r.q("productType")?)?;
    let book = lock(&s.book);
    let want = r.query.get("symbol");
    Ok(Value::Array(
        book.contracts
            .values()
            .filter(|c| want.is_none_or(|w| *w == c.symbol))
            .map(|c| j::contract(c, coin))
            .collect(),
    ))
}

fn ticker(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    margin_coin(r.q("productType")?)?;
    let sym = r.q("symbol")?;
    let book = lock(&s.book);
    let p = book
        .prices
        .get(sym)
        .ok_or(("40034", format!("Parameter symbol {sym} does not exist")))?;
    Ok(
        json!([{"symbol": sym, "lastPr": p.to_string(), "askPr": p.to_string(), "bidPr": p.to_string(),
        "bidSz": "1", "askSz": "1", "high24h": p.to_string(), "low24h": p.to_string(), "ts": now_ms().to_string(),
        "change24h": "0", "baseVolume": "0", "quoteVolume": "0", "usdtVolume": "0", "openUtc": p.to_string(),
        "changeUtc24h": "0", "indexPrice": p.to_string(), "fundingRate": "0.0001", "holdingAmount": "0",
        "deliveryStartTime": null, "deliveryTime": null, "deliveryStatus": "", "open24h": p.to_string(),
        "markPrice": p.to_string()}]),
    )
}

fn candles(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    margin_coin(r.q("productType")?)?;
    let sym = r.q("symbol")?;
    let gran = r.q("granularity")?;
    if crate::common::enums::parse_granularity(gran).is_none() {
        return Err(("40017", format!("Parameter granularity error: {gran}")));
    }
    let start: i64 = r
        .query
        .get("startTime")
        .and_then(|v| v.parse().ok())
        .unwrap_or(i64::MIN);
    let end: i64 = r.query.get("endTime").and_then(|v| v.parse().ok()).unwrap_or(i64::MAX);
    let limit: usize = r
        .query
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
        .min(1000);
    let book = lock(&s.book);
    let rows: Vec<Value> = book
        .candles
        .get(sym)
        .map(|cs| {
            cs.iter()
                .filter(|c| c.ts >= start && c.ts < end)
                .take(limit)
                .map(j::candle_row)
                .collect()
        })
        .unwrap_or_default();
    Ok(Value::Array(rows))
}

fn accounts(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let coin = margin_coin(r.q("productType")?)?;
    Ok(json!([j::account(&lock(&s.book), coin)]))
}

fn all_positions(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let coin = margin_coin(r.q("productType")?)?;
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
        syms.into_iter().map(|sym| j::position(&book, sym, coin, now)).collect(),
    ))
}

fn single_position(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let coin = margin_coin(r.q("productType")?)?;
    r.q("marginCoin")?;
    let sym = r.q("symbol")?;
    let book = lock(&s.book);
    let open = book.positions.get(sym).is_some_and(|p| !p.qty.is_zero());
    Ok(if open {
        json!([j::position(&book, sym, coin, now_ms())])
    } else {
        json!([])
    })
}

fn page_limit(r: &Req) -> usize {
    r.query
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
        .clamp(1, 100)
}

fn orders_pending(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let coin = margin_coin(r.q("productType")?)?;
    let sym = r.query.get("symbol");
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
        .take(limit)
        .map(|o| j::order(o, &book, coin, "status"))
        .collect();
    let end_id = page.last().and_then(|v| v.get("orderId").cloned()).unwrap_or(json!(""));
    Ok(json!({"entrustedList": if page.is_empty() { Value::Null } else { Value::Array(page) }, "endId": end_id}))
}

fn detail(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let coin = margin_coin(r.q("productType")?)?;
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
    Ok(j::order(o, &book, coin, "state"))
}

fn fills(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let coin = margin_coin(r.q("productType")?)?;
    let sym = r.query.get("symbol");
    let before: u64 = r
        .query
        .get("idLessThan")
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX);
    let start: i64 = r
        .query
        .get("startTime")
        .and_then(|v| v.parse().ok())
        .unwrap_or(i64::MIN);
    let end: i64 = r.query.get("endTime").and_then(|v| v.parse().ok()).unwrap_or(i64::MAX);
    let limit = page_limit(r);
    let book = lock(&s.book);
    let page: Vec<Value> = book
        .fills
        .iter()
        .rev()
        .filter(|f| f.trade_id < before && f.ts >= start && f.ts <= end && sym.is_none_or(|x| *x == f.symbol))
        .take(limit)
        .map(|f| j::fill(f, coin))
        .collect();
    let end_id = page.last().and_then(|v| v.get("tradeId").cloned()).unwrap_or(json!(""));
    Ok(json!({"fillList": if page.is_empty() { Value::Null } else { Value::Array(page) }, "endId": end_id}))
}

fn set_leverage(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let coin = margin_coin(&r.b("productType")?)?;
    if r.b("marginCoin")?.to_ascii_uppercase() != coin {
        return Err(("40017", "Parameter marginCoin error".into()));
    }
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
        .ok_or(("40034", format!("Parameter symbol {symbol} does not exist")))?;
    if lev == 0 || lev > max {
        return Err(("40797", format!("Exceeded the maximum settable leverage {max}")));
    }
    book.leverage.insert(symbol.clone(), lev);
    Ok(
        json!({"symbol": symbol, "marginCoin": coin, "longLeverage": lev.to_string(), "shortLeverage": lev.to_string(),
        "crossMarginLeverage": lev, "marginMode": book.margin_mode.get(&symbol).cloned().unwrap_or_else(|| "crossed".into())}),
    )
}

fn set_margin_mode(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let coin = margin_coin(&r.b("productType")?)?;
    r.b("marginCoin")?;
    let symbol = r.b("symbol")?;
    let mode = r.b("marginMode")?;
    if mode != "isolated" && mode != "crossed" {
        return Err(("40017", format!("Parameter marginMode error: {mode}")));
    }
    let mut book = lock(&s.book);
    let busy = book.positions.get(&symbol).is_some_and(|p| !p.qty.is_zero())
        || book
            .open
            .iter()
            .filter_map(|id| book.orders.get(id))
            .any(|o| o.symbol == symbol);
    if busy && book.margin_mode.get(&symbol) != Some(&mode) {
        return Err((
            "40920",
            "Currently holding positions or orders, the margin mode cannot be adjusted".into(),
        ));
    }
    book.margin_mode.insert(symbol.clone(), mode.clone());
    let lev = book.leverage_of(&symbol);
    Ok(
        json!({"symbol": symbol, "marginCoin": coin, "longLeverage": lev.to_string(), "shortLeverage": lev.to_string(), "marginMode": mode}),
    )
}

fn set_position_mode(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    margin_coin(&r.b("productType")?)?;
    let mode = r.b("posMode")?;
    if mode != "one_way_mode" && mode != "hedge_mode" {
        return Err(("40017", format!("Parameter posMode error: {mode}")));
    }
    let mut book = lock(&s.book);
    let busy = book.positions.values().any(|p| !p.qty.is_zero()) || !book.open.is_empty();
    if busy && book.pos_mode != mode {
        return Err((
            "40920",
            "Position or order exists, the position mode cannot be switched".into(),
        ));
    }
    book.pos_mode = mode.clone();
    Ok(json!({"posMode": mode}))
}
