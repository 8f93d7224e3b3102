//! `/multibot/*`: strategy templates, starting trend bots from them, the
//! user's bots, the summary and the balance check (the seed's routes).
//!
//! Every bot route is scoped to the caller: another user's bot id answers
//! 404, exactly like an id that does not exist.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use gridbot_core::balance::Investment;
use gridbot_core::model::{BotId, BotStatus, StrategyTemplate, TemplateId};

use crate::auth::extract::AuthUser;
use crate::balance;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::state::AppState;
use crate::summaries::SummaryCache;
use crate::views::{BotView, SummaryView};

/// Every strategy template, active first, featured first.
#[utoipa::path(get, path = "/api/v1/multibot/templates", tag = "multibot", security(("bearer" = [])),
    responses((status = 200, body = [Object]), (status = 401, body = ErrorBody)))]
pub async fn templates(State(state): State<AppState>, _user: AuthUser) -> ApiResult<Json<Vec<StrategyTemplate>>> {
    Ok(Json(state.services.manager.templates().await?))
}

/// One strategy template.
#[utoipa::path(get, path = "/api/v1/multibot/templates/{id}", tag = "multibot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "template id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
pub async fn template(
    State(state): State<AppState>,
    _user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<StrategyTemplate>> {
    let t = state.store.template(TemplateId(id)).await?;
    Ok(Json(t.ok_or_else(|| {
        ApiError::not_found(format!("strategy template {id}"))
    })?))
}

/// Start a trend bot from a template.
#[derive(Debug, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct StartFromTemplate {
    /// The template.
    pub template_id: i64,
    /// USDT to allocate (10–100000, within the template's range; rounded down to cents).
    #[schema(value_type = String)]
    pub amount: Option<Decimal>,
    /// Or a percentage (0–100] of the available balance.
    #[schema(value_type = Option<String>)]
    pub percent: Option<Decimal>,
}

/// Turns `amount` / `percent` into an [`Investment`]: exactly one of them.
pub fn investment(amount: Option<Decimal>, percent: Option<Decimal>) -> ApiResult<Investment> {
    match (amount, percent) {
        (Some(a), None) => Ok(Investment::Amount(a)),
        (None, Some(p)) => Ok(Investment::PercentOfAvailable(p)),
        _ => Err(ApiError::validation("amount", "give exactly one of amount or percent")),
    }
}

/// Starts a trend bot from a template (201), or refuses: 409 bot limit or
/// symbol busy, 422 insufficient balance, 400 amount out of range.
#[utoipa::path(post, path = "/api/v1/multibot/bots", tag = "multibot", security(("bearer" = [])),
    request_body = StartFromTemplate,
    responses((status = 201, body = BotView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_bot(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<StartFromTemplate>,
) -> ApiResult<(StatusCode, Json<BotView>)> {
    let inv = investment(body.amount, body.percent)?;
    let bot = state
        .services
        .manager
        .start_from_template(user.id, TemplateId(body.template_id), inv)
        .await?;
    let now = state.clock.now_ms();
    Ok((StatusCode::CREATED, Json(BotView::new(bot, 0, now))))
}

/// Filter of the bot list.
#[derive(Debug, Deserialize, IntoParams)]
#[non_exhaustive]
pub struct BotFilter {
    /// Only bots in this status (`running`, `stopped`, ...), or `active` for
    /// every status that holds an allocation.
    pub status: Option<String>,
}

/// The user's bots, newest first.
pub async fn list_views(state: &AppState, user: &AuthUser, filter: Option<&str>) -> ApiResult<Vec<BotView>> {
    let summary = state.store.user_summary(user.id).await?;
    let wanted: Option<Result<BotStatus, _>> = filter
        .filter(|s| !s.eq_ignore_ascii_case("active") && !s.is_empty())
        .map(str::parse);
    let wanted = wanted.transpose()?;
    let active_only = filter.is_some_and(|s| s.eq_ignore_ascii_case("active"));
    let now = state.clock.now_ms();
    Ok(summary
        .bots
        .into_iter()
        .filter(|o| wanted.is_none_or(|w| o.bot.status == w))
        .filter(|o| !active_only || o.bot.status.holds_allocation())
        .map(|o| BotView::new(o.bot, o.open_orders, now))
        .collect())
}

/// The user's bots, newest first.
#[utoipa::path(get, path = "/api/v1/multibot/bots", tag = "multibot", security(("bearer" = [])), params(BotFilter),
    responses((status = 200, body = [BotView]), (status = 400, body = ErrorBody)))]
pub async fn list_bots(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(filter): ApiQuery<BotFilter>,
) -> ApiResult<Json<Vec<BotView>>> {
    Ok(Json(list_views(&state, &user, filter.status.as_deref()).await?))
}

/// One of the user's bots, or 404.
pub async fn owned_view(state: &AppState, user: &AuthUser, id: i64) -> ApiResult<BotView> {
    let bot = match state.store.bot(BotId(id)).await? {
        Some(b) if b.user_id == user.id => b,
        _ => return Err(ApiError::not_found(format!("bot {id}"))),
    };
    let open = state.store.orders_for_bot(bot.id, true).await?.len();
    Ok(BotView::new(
        bot,
        u64::try_from(open).unwrap_or(u64::MAX),
        state.clock.now_ms(),
    ))
}

/// One bot.
#[utoipa::path(get, path = "/api/v1/multibot/bots/{id}", tag = "multibot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "bot id")),
    responses((status = 200, body = BotView), (status = 404, body = ErrorBody)))]
pub async fn get_bot(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BotView>> {
    Ok(Json(owned_view(&state, &user, id).await?))
}

/// Stops a bot: cancels its orders, closes its position, marks it stopped.
#[utoipa::path(delete, path = "/api/v1/multibot/bots/{id}", tag = "multibot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "bot id")),
    responses((status = 200, body = BotView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn stop_bot(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BotView>> {
    state.services.manager.stop_bot(user.id, BotId(id)).await?;
    Ok(Json(owned_view(&state, &user, id).await?))
}

/// The summary of a user: balance bar plus bots.
pub async fn summary_view(state: &AppState, user: &AuthUser) -> ApiResult<SummaryView> {
    let (summary, bal) = balance::load(state, user.id).await?;
    Ok(SummaryView::new(summary, bal, state.clock.now_ms()))
}

/// Balance, allocations, PnL totals and every bot of the user.
///
/// Served from the shared [`SummaryCache`]: at most
/// [`crate::summaries::DEFAULT_MAX_AGE`] old, and never older than the
/// user's last bot event or last writing request.
#[utoipa::path(get, path = "/api/v1/multibot/summary", tag = "multibot", security(("bearer" = [])),
    responses((status = 200, body = SummaryView), (status = 401, body = ErrorBody)))]
pub async fn summary(
    State(state): State<AppState>,
    State(cache): State<Arc<SummaryCache>>,
    user: AuthUser,
) -> ApiResult<Response> {
    let snapshot = cache.get(&state, &user).await?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        snapshot.json().clone(),
    )
        .into_response())
}

/// The amount to check.
#[derive(Debug, Deserialize, IntoParams)]
#[non_exhaustive]
pub struct CheckQuery {
    /// USDT.
    #[param(value_type = Option<String>)]
    pub amount: Option<Decimal>,
    /// Or a percentage of the available balance.
    #[param(value_type = Option<String>)]
    pub percent: Option<Decimal>,
}

/// The answer of the balance check.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct BalanceCheckView {
    /// The amount asked for, rounded down to cents.
    #[schema(value_type = String)]
    pub requested: Decimal,
    /// total − used.
    #[schema(value_type = String)]
    pub available: Decimal,
    /// The account's equity.
    #[schema(value_type = String)]
    pub current_balance: Decimal,
    /// Allocated to active bots.
    #[schema(value_type = String)]
    pub used: Decimal,
    /// available − requested (negative when refused).
    #[schema(value_type = String)]
    pub remaining: Decimal,
    /// Whether a start with this amount would pass the balance rule.
    pub allowed: bool,
    /// A sentence for the user.
    pub message: String,
}

/// Whether an amount could be allocated now.
#[utoipa::path(get, path = "/api/v1/multibot/balance-check", tag = "multibot", security(("bearer" = [])),
    params(CheckQuery), responses((status = 200, body = BalanceCheckView), (status = 400, body = ErrorBody)))]
pub async fn balance_check(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(q): ApiQuery<CheckQuery>,
) -> ApiResult<Json<BalanceCheckView>> {
    let inv = investment(q.amount, q.percent)?;
    let c = state.services.manager.balance_check(user.id, inv).await?;
    Ok(Json(BalanceCheckView {
        requested: c.requested_amount,
        available: c.available,
        current_balance: c.current_balance,
        used: c.used_amount,
        remaining: c.remaining,
        allowed: c.allowed,
        message: c.message,
    }))
}
