//! The fake's HTTP side: request recording, fault injection, signature,
//! timestamp, demo-environment and account-kind checks, and the route
//! tables of both APIs (handlers in [`super::v2`] and [`super::v3`]).
//! Request fields are read by Bitget's exact spelling; a missing one is
//! refused with code 40019.

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

use super::book::{FakeContract, Refusal, Tier};
use super::candles::{serve, CandleQuery};
use super::faults::Fault;
use super::{json as j, lock, now_ms, v2, v3, RecordedRequest, Shared, FAKE_API_KEY, FAKE_PASSPHRASE, FAKE_SECRET};
use crate::common::account::AccountKind;
use crate::common::enums::S_PRODUCT_TYPES;
use crate::common::signing::sign_rest;
use crate::common::urls::Environment;

/// Largest clock difference accepted on `ACCESS-TIMESTAMP`.
const MAX_SKEW_MS: i64 = 30_000;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v2/ws/public", get(super::ws::public_ws_v2))
        .route("/v2/ws/private", get(super::ws::private_ws_v2))
        .route("/v3/ws/public", get(super::ws::public_ws_v3))
        .route("/v3/ws/private", get(super::ws::private_ws_v3))
        .fallback(handle)
        .with_state(shared)
}

type Answer = (StatusCode, Value);

pub(super) fn refuse(r: Refusal) -> Answer {
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

/// Checks a `productType` / `category`: only `USDT-FUTURES` is listed.
pub(super) fn usdt_futures(pt: &str) -> Result<(), Refusal> {
    if pt.eq_ignore_ascii_case("USDT-FUTURES") {
        Ok(())
    } else {
        Err(("40017", format!("Parameter productType error: {pt}")))
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

/// Demo scheme A: demo keys need `paptrading: 1`, live keys must not send
/// it, and the header never goes with the `S`-prefixed demo products.
fn check_environment(
    shared: &Shared,
    private: bool,
    query: &str,
    body: &str,
    h: &HashMap<String, String>,
) -> Result<(), Refusal> {
    let header = h.get("paptrading").map(String::as_str) == Some("1");
    let wrong = || ("40099", "exchange environment is incorrect".to_owned());
    let s_product = S_PRODUCT_TYPES
        .iter()
        .any(|p| query.contains(&format!("productType={p}")) || body.contains(&format!("\"productType\":\"{p}\"")));
    if header && s_product {
        return Err(wrong());
    }
    if private {
        match shared.options.environment {
            Environment::Demo if !header => return Err(wrong()),
            Environment::Live if header => return Err(wrong()),
            _ => {}
        }
    }
    Ok(())
}

/// Which API a path belongs to, and whether it is public.
fn route_kind(path: &str) -> (Option<AccountKind>, bool) {
    let public = path.starts_with("/api/v2/mix/market/")
        || path.starts_with("/api/v2/spot/market/")
        || path.starts_with("/api/v3/market/");
    let kind = if path.starts_with("/api/v3/") {
        Some(AccountKind::Unified)
    } else if path.starts_with("/api/v2/") {
        Some(AccountKind::Classic)
    } else {
        None
    };
    (kind, public)
}

fn answer(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: &str,
    body: &str,
    h: &HashMap<String, String>,
) -> Answer {
    let (api, public) = route_kind(path);
    if !public {
        if let Err(a) = check_auth(method, path, query, body, h) {
            return a;
        }
    }
    if let Err(r) = check_environment(shared, !public, query, body, h) {
        return refuse(r);
    }
    if !public {
        match (api, shared.options.kind) {
            (Some(AccountKind::Classic), AccountKind::Unified) => {
                return refuse((
                    "40085",
                    "You are in Unified Account mode, and the Classic Account API is not supported at this time".into(),
                ))
            }
            (Some(AccountKind::Unified), AccountKind::Classic) => {
                return refuse((
                    "40084",
                    "You are in Classic Account mode, and the Unified Account API is not supported at this time".into(),
                ))
            }
            _ => {}
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
        ("GET", "/api/v2/mix/market/contracts") => v2::contracts,
        ("GET", "/api/v2/mix/market/ticker") => v2::ticker,
        ("GET", "/api/v2/mix/market/candles") => v2_candles,
        ("GET", "/api/v2/mix/market/history-candles") => v2_history_candles,
        ("GET", "/api/v2/mix/market/query-position-lever") => v2::tiers,
        ("GET", "/api/v2/spot/market/tickers") => spot_tickers,
        ("GET", "/api/v2/mix/account/accounts") => v2::accounts,
        ("GET", "/api/v2/mix/account/account") => v2::account,
        ("GET", "/api/v2/mix/position/all-position") => v2::all_positions,
        ("GET", "/api/v2/mix/position/single-position") => v2::single_position,
        ("GET", "/api/v2/mix/order/orders-pending") => v2::orders_pending,
        ("GET", "/api/v2/mix/order/detail") => v2::detail,
        ("GET", "/api/v2/mix/order/fills") => v2::fills,
        ("POST", "/api/v2/mix/order/place-order") => v2::place_order,
        ("POST", "/api/v2/mix/order/batch-place-order") => v2::batch_place,
        ("POST", "/api/v2/mix/order/cancel-order") => v2::cancel_order,
        ("POST", "/api/v2/mix/order/batch-cancel-orders") => v2::batch_cancel,
        ("POST", "/api/v2/mix/order/close-positions") => v2::close_positions,
        ("POST", "/api/v2/mix/account/set-leverage") => v2::set_leverage,
        ("POST", "/api/v2/mix/account/set-margin-mode") => v2::set_margin_mode,
        ("POST", "/api/v2/mix/account/set-position-mode") => v2::set_position_mode,
        ("GET", "/api/v3/market/instruments") => v3::instruments,
        ("GET", "/api/v3/market/tickers") => v3::tickers,
        ("GET", "/api/v3/market/position-tier") => v3::tiers,
        ("GET", "/api/v3/market/candles") => v3_candles,
        ("GET", "/api/v3/market/history-candles") => v3_history_candles,
        ("GET", "/api/v3/account/assets") => v3::assets,
        ("GET", "/api/v3/account/settings") => v3::settings,
        ("POST", "/api/v3/account/set-leverage") => v3::set_leverage,
        ("POST", "/api/v3/account/set-hold-mode") => v3::set_hold_mode,
        ("POST", "/api/v3/trade/place-order") => v3::place_order,
        ("POST", "/api/v3/trade/place-batch") => v3::place_batch,
        ("POST", "/api/v3/trade/cancel-order") => v3::cancel_order,
        ("POST", "/api/v3/trade/cancel-batch") => v3::cancel_batch,
        ("POST", "/api/v3/trade/cancel-symbol-order") => v3::cancel_symbol,
        ("POST", "/api/v3/trade/close-positions") => v3::close_positions,
        ("GET", "/api/v3/trade/order-info") => v3::order_info,
        ("GET", "/api/v3/trade/unfilled-orders") => v3::unfilled_orders,
        ("GET", "/api/v3/trade/fills") => v3::fills,
        ("GET", "/api/v3/position/current-position") => v3::current_position,
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

pub(super) type Route = fn(&Shared, &Req) -> Result<Value, Refusal>;

/// Page size of list endpoints (`limit`, 1..=100, default 100).
pub(super) fn page_limit(r: &Req) -> usize {
    r.query
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
        .clamp(1, 100)
}

fn candles(s: &Shared, r: &Req, key: &str, history: bool, v3: bool) -> Result<Value, Refusal> {
    let num = |k: &str| r.query.get(k).and_then(|v| v.parse::<i64>().ok());
    let q = CandleQuery {
        symbol: r.q("symbol")?.to_owned(),
        granularity: r.q(key)?.to_owned(),
        start: num("startTime"),
        end: num("endTime"),
        limit: r.query.get("limit").and_then(|v| v.parse().ok()),
        history,
        v3,
    };
    let knobs = lock(&s.knobs).clone();
    let rows = serve(&lock(&s.book), &knobs, &q, now_ms())?;
    Ok(Value::Array(rows.iter().map(j::candle_row).collect()))
}

fn v2_candles(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    usdt_futures(r.q("productType")?)?;
    candles(s, r, "granularity", false, false)
}

fn v2_history_candles(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    usdt_futures(r.q("productType")?)?;
    candles(s, r, "granularity", true, false)
}

fn v3_candles(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    usdt_futures(r.q("category")?)?;
    candles(s, r, "interval", false, true)
}

fn v3_history_candles(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    usdt_futures(r.q("category")?)?;
    candles(s, r, "interval", true, true)
}

/// `side`, `orderType` and (limit orders) `price` of an order item; an
/// unknown word is refused with `bad(word)`.
pub(super) fn side_kind_price(
    item: &Value,
    bad: impl Fn(&str) -> Refusal,
) -> Result<
    (
        gridbot_core::model::Side,
        gridbot_core::model::OrderKind,
        Option<Decimal>,
    ),
    Refusal,
> {
    use gridbot_core::model::{OrderKind, Side};
    let side = match field(item, "side")?.as_str() {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        other => return Err(bad(other)),
    };
    let kind = match field(item, "orderType")?.as_str() {
        "limit" => OrderKind::Limit,
        "market" => OrderKind::Market,
        other => return Err(bad(other)),
    };
    let price = match kind {
        OrderKind::Limit => Some(dec(&field(item, "price")?, "price")?),
        OrderKind::Market => None,
    };
    Ok((side, kind, price))
}

/// Every listed contract (or only `symbol` when asked), in one API's spelling.
pub(super) fn contract_list(s: &Shared, r: &Req, to_json: fn(&FakeContract) -> Value) -> Value {
    let book = lock(&s.book);
    let want = r.query.get("symbol");
    Value::Array(
        book.contracts
            .values()
            .filter(|c| want.is_none_or(|w| *w == c.symbol))
            .map(to_json)
            .collect(),
    )
}

/// The maintenance margin tiers of the `symbol` asked for, in one API's spelling.
pub(super) fn tier_list(s: &Shared, r: &Req, to_json: impl Fn(&str, usize, &Tier) -> Value) -> Result<Value, Refusal> {
    let sym = r.q("symbol")?;
    let book = lock(&s.book);
    let c = book
        .contracts
        .get(sym)
        .ok_or(("40034", format!("Parameter symbol {sym} does not exist")))?;
    Ok(Value::Array(
        c.tiers
            .iter()
            .enumerate()
            .map(|(i, t)| to_json(sym, i + 1, t))
            .collect(),
    ))
}

/// The spot price of a fee coin (`BGBUSDT`), both APIs' spelling.
pub(super) fn spot_price(s: &Shared, pair: &str) -> Option<(String, Decimal)> {
    let book = lock(&s.book);
    let coin = pair.strip_suffix("USDT")?;
    book.coin_prices.get(coin).map(|p| (pair.to_owned(), *p))
}

fn spot_tickers(s: &Shared, r: &Req) -> Result<Value, Refusal> {
    let pair = r.q("symbol")?;
    match spot_price(s, pair) {
        Some((sym, p)) => Ok(json!([{"symbol": sym, "lastPr": p.to_string(), "ts": now_ms().to_string()}])),
        None => Err(("40034", format!("Parameter symbol {pair} does not exist"))),
    }
}
