//! `GET /account/exchange`: what the exchange itself holds for the user —
//! positions, resting orders and fills as the venue reports them through
//! the `Exchange` port, not the bots' books — and
//! `POST /account/exchange/close-orphans`: close what no active bot owns.
//!
//! Rules:
//! - the instruments looked at are the symbols the server trades (its
//!   market data's symbols);
//! - `now_ms` is the exchange's time: the paper venue's market time, the
//!   server clock for Bitget;
//! - fills: every fill of every symbol (`fills_since` paged to the end),
//!   ordered by `(ts_ms, symbol, fill_id)`; `fills_since_ms` keeps those at
//!   or after a time, `fills_after` (the `fills_next` of the previous page)
//!   those after a fill, `fills_limit` (1–5000, default 1000) cuts the page.
//!   The same state always gives the same pages. Decimals are exact strings.
//! - an order or a position is an *orphan* when no bot of the user that
//!   holds its allocation owns it: the order's client id names no such bot,
//!   the position's symbol has no such bot.
//! - closing orphans on a symbol cancels the orphan orders (`cancel_orders`)
//!   and closes the position with a reduce-only market order
//!   (`close_position`); refused with 409 `bot_owned` while an active bot
//!   trades the symbol (stop the bot instead, it closes its own position).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use gridbot_core::model::{BotId, ClientOrderId, Fill, Symbol, TimestampMs};
use gridbot_core::ports::Exchange;

use crate::auth::extract::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::i18n::Text;
use crate::state::AppState;

/// Most fills in one answer.
pub const MAX_FILLS_LIMIT: usize = 5000;
/// Fills in one answer when not said.
pub const DEFAULT_FILLS_LIMIT: usize = 1000;
/// Pages of one symbol's fills read at most (a guard against a venue whose
/// cursor never advances).
const MAX_PAGES: usize = 100_000;

/// A position the exchange holds.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct ExchangePosition {
    /// The contract.
    pub symbol: String,
    /// Signed quantity: + long, − short.
    pub qty: String,
    /// Average entry price.
    pub entry_price: String,
    /// The active bot trading the symbol, if any.
    pub bot_id: Option<i64>,
    /// True when no active bot owns it.
    pub orphan: bool,
}

/// An order resting on the exchange.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct ExchangeOrder {
    /// Client order id.
    pub client_id: String,
    /// The contract.
    pub symbol: String,
    /// `buy` or `sell`.
    pub side: &'static str,
    /// Limit price (null for a market order).
    pub price: Option<String>,
    /// Quantity.
    pub qty: String,
    /// Quantity filled so far.
    pub filled_qty: String,
    /// The active bot owning it, if any.
    pub bot_id: Option<i64>,
    /// True when no active bot owns it.
    pub orphan: bool,
}

/// A fill as the exchange reports it.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct ExchangeFill {
    /// The exchange's fill id.
    pub fill_id: String,
    /// Client id of the order.
    pub client_id: String,
    /// The contract.
    pub symbol: String,
    /// `buy` or `sell`.
    pub side: &'static str,
    /// Price.
    pub price: String,
    /// Quantity.
    pub qty: String,
    /// Fee paid, USDT.
    pub fee: String,
    /// Time, ms.
    pub ts_ms: TimestampMs,
}

/// The exchange's view of the user's account.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct ExchangeView {
    /// `paper` or `bitget`.
    pub exchange: &'static str,
    /// The exchange's time, ms.
    pub now_ms: TimestampMs,
    /// Non-flat positions, by symbol.
    pub positions: Vec<ExchangePosition>,
    /// Resting orders, by symbol then client id.
    pub open_orders: Vec<ExchangeOrder>,
    /// Fills of this page, by (time, symbol, fill id).
    pub fills: Vec<ExchangeFill>,
    /// Pass as `fills_after` for the next page (null when this is the last).
    pub fills_next: Option<String>,
    /// Orphan positions (no active bot owns them).
    pub orphan_positions: usize,
    /// Orphan resting orders.
    pub orphan_orders: usize,
}

/// Which fills to answer.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[non_exhaustive]
pub struct ExchangeQuery {
    /// Only fills at or after this time, ms.
    pub fills_since_ms: Option<i64>,
    /// Only fills after this one (a previous page's `fills_next`).
    pub fills_after: Option<String>,
    /// Fills in this page, 1–5000 (default 1000).
    pub fills_limit: Option<usize>,
}

/// The ordering key of a fill: `"{ts_ms}:{symbol}:{fill_id}"`, zero-padded
/// time so keys sort like the fills.
fn fill_key(f: &Fill) -> String {
    format!("{:020}:{}:{}", f.ts.max(0), f.symbol, f.id)
}

async fn all_fills(exchange: &dyn Exchange, symbol: &Symbol) -> ApiResult<Vec<Fill>> {
    let mut out = Vec::new();
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = exchange.fills_since(symbol, cursor.clone()).await?;
        out.extend(page.fills);
        if !page.has_more || page.next_cursor == cursor {
            return Ok(out);
        }
        cursor = page.next_cursor;
    }
    Err(ApiError::internal(format!(
        "fills of {symbol} did not end after {MAX_PAGES} pages"
    )))
}

/// The user's active bots by symbol.
async fn active_bots(state: &AppState, user: &AuthUser) -> ApiResult<HashMap<Symbol, BotId>> {
    let bots = state.store.bots_for_user(user.id, None).await?;
    Ok(bots
        .into_iter()
        .filter(|b| b.status.holds_allocation())
        .map(|b| (b.symbol, b.id))
        .collect())
}

/// Positions, resting orders and fills as the exchange holds them.
#[utoipa::path(get, path = "/api/v1/account/exchange", tag = "account", security(("bearer" = [])),
    params(ExchangeQuery),
    responses((status = 200, body = ExchangeView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn get_exchange(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<ExchangeQuery>,
) -> ApiResult<Json<ExchangeView>> {
    let limit = q.fills_limit.unwrap_or(DEFAULT_FILLS_LIMIT);
    if !(1..=MAX_FILLS_LIMIT).contains(&limit) {
        return Err(ApiError::validation(
            "fills_limit",
            format!("must be between 1 and {MAX_FILLS_LIMIT}"),
            format!("1에서 {MAX_FILLS_LIMIT} 사이여야 합니다"),
        ));
    }
    let exchange = state.accounts.exchange_for(user.id).await?;
    let now_ms = state.accounts.exchange_now().unwrap_or_else(|| state.clock.now_ms());
    let owners = active_bots(&state, &user).await?;
    let mut symbols = state.services.market.symbols();
    symbols.sort();
    let mut positions = Vec::new();
    let mut open_orders = Vec::new();
    let mut fills = Vec::new();
    for symbol in &symbols {
        let owner = owners.get(symbol).copied();
        let p = exchange.position(symbol).await?;
        if !p.qty.is_zero() {
            positions.push(ExchangePosition {
                symbol: symbol.to_string(),
                qty: p.qty.normalize().to_string(),
                entry_price: p.entry_price.normalize().to_string(),
                bot_id: owner.map(|b| b.0),
                orphan: owner.is_none(),
            });
        }
        let mut orders = exchange.open_orders(symbol).await?;
        orders.sort_by(|a, b| a.client_id.as_str().cmp(b.client_id.as_str()));
        for o in orders {
            let bot = o.client_id.bot().filter(|b| owner == Some(*b));
            open_orders.push(ExchangeOrder {
                client_id: o.client_id.to_string(),
                symbol: symbol.to_string(),
                side: o.side.as_str(),
                price: o.price.map(|p| p.normalize().to_string()),
                qty: o.qty.normalize().to_string(),
                filled_qty: o.filled_qty.normalize().to_string(),
                bot_id: bot.map(|b| b.0),
                orphan: bot.is_none(),
            });
        }
        fills.extend(all_fills(&*exchange, symbol).await?);
    }
    let mut keyed: Vec<(String, Fill)> = fills
        .into_iter()
        .filter(|f| q.fills_since_ms.is_none_or(|t| f.ts >= t))
        .map(|f| (fill_key(&f), f))
        .filter(|(k, _)| q.fills_after.as_ref().is_none_or(|after| k > after))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let more = keyed.len() > limit;
    keyed.truncate(limit);
    let fills_next = more.then(|| keyed.last().map(|(k, _)| k.clone())).flatten();
    Ok(Json(ExchangeView {
        exchange: if exchange.name().starts_with("bitget") {
            "bitget"
        } else {
            "paper"
        },
        now_ms,
        orphan_positions: positions.iter().filter(|p| p.orphan).count(),
        orphan_orders: open_orders.iter().filter(|o| o.orphan).count(),
        positions,
        open_orders,
        fills: keyed
            .into_iter()
            .map(|(_, f)| ExchangeFill {
                fill_id: f.id,
                client_id: f.client_id.to_string(),
                symbol: f.symbol.to_string(),
                side: f.side.as_str(),
                price: f.price.normalize().to_string(),
                qty: f.qty.normalize().to_string(),
                fee: f.fee.normalize().to_string(),
                ts_ms: f.ts,
            })
            .collect(),
        fills_next,
    }))
}

/// The symbol whose orphans to close.
#[derive(Debug, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct CloseOrphans {
    /// The contract.
    pub symbol: String,
}

/// What closing orphans did.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct CloseOrphansAnswer {
    /// The contract.
    pub symbol: String,
    /// Orphan orders cancelled.
    pub cancelled_orders: usize,
    /// True when a position was closed (a reduce-only market order sent).
    pub position_closed: bool,
    /// The quantity that was held, signed.
    #[schema(value_type = String)]
    pub closed_qty: Decimal,
}

/// Cancels the orders and closes the position no active bot owns on a
/// symbol (reduce-only market close). 409 `bot_owned` while an active bot
/// trades the symbol.
#[utoipa::path(post, path = "/api/v1/account/exchange/close-orphans", tag = "account", security(("bearer" = [])),
    request_body = CloseOrphans,
    responses((status = 200, body = CloseOrphansAnswer), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 502, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn close_orphans(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<CloseOrphans>,
) -> ApiResult<Json<CloseOrphansAnswer>> {
    let symbol = Symbol::new(&body.symbol).map_err(|_| {
        ApiError::validation(
            "symbol",
            "must be a contract symbol such as BTCUSDT",
            "BTCUSDT 같은 계약 심볼이어야 합니다",
        )
    })?;
    if !state.services.market.symbols().contains(&symbol) {
        return Err(ApiError::validation(
            "symbol",
            format!("{symbol} is not traded here"),
            format!("{symbol}은(는) 여기서 거래되지 않습니다"),
        ));
    }
    if let Some(bot) = active_bots(&state, &user).await?.get(&symbol) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "bot_owned",
            Text::new(
                format!("bot {bot} trades {symbol}: stop the bot, it closes its own position and orders"),
                format!("봇 {bot}이(가) {symbol}을(를) 거래 중입니다. 봇을 중지하면 포지션과 주문이 정리됩니다"),
            ),
        )
        .with_field("symbol")
        .with_details(json!({ "bot_id": bot.0 })));
    }
    let exchange = state.accounts.exchange_for(user.id).await?;
    let ids: Vec<ClientOrderId> = exchange
        .open_orders(&symbol)
        .await?
        .into_iter()
        .map(|o| o.client_id)
        .collect();
    let cancelled = if ids.is_empty() {
        0
    } else {
        exchange
            .cancel_orders(&symbol, &ids)
            .await?
            .iter()
            .filter(|r| r.is_ok())
            .count()
    };
    let held = exchange.position(&symbol).await?.qty;
    let now = state.clock.now_ms();
    let close_id = ClientOrderId::new(format!("u{}-orphan-{}", user.id.0, now));
    let closed = exchange.close_position(&symbol, &close_id).await?;
    tracing::info!(user = user.id.0, %symbol, cancelled, held = %held, "orphans closed on the exchange");
    Ok(Json(CloseOrphansAnswer {
        symbol: symbol.to_string(),
        cancelled_orders: cancelled,
        position_closed: closed.is_some(),
        closed_qty: held,
    }))
}
