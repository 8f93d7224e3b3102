//! `/multibot/*`: strategy templates, trend bots started from them, the
//! user's bots, the summary, the balance check and the start limits — the
//! owner's routes, in the owner's shapes ([`crate::views`]).
//!
//! Every bot route is scoped to the caller: another user's bot id answers
//! 404, exactly like an id that does not exist.
//!
//! Decisions:
//! - `DELETE /bots/{id}` stops a bot that holds its allocation (cancel its
//!   orders, close its position, then `stopped`); a bot that was created and
//!   never started has nothing to stop and is deleted instead. Both answer
//!   `{"success": true, ...}`.
//! - `POST /bots/{id}/start` starts a `created` bot or restarts a `stopped`
//!   one with its own allocation, through the same rules as any start.
//! - `GET /balance-check` answers `available: true` only when a start of the
//!   amount could happen now: the balance rule and the bot limit; with
//!   `template_id` (or `bot_id`) every start rule of that start, through the
//!   core's preflight.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use gridbot_core::balance::{BalanceCheck, Investment};
use gridbot_core::manager::{ManagerError, StartPlan};
use gridbot_core::model::{BotId, BotStatus, StrategyTemplate, TemplateId, TimestampMs};

use crate::auth::extract::AuthUser;
use crate::balance;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::i18n::{dollars, Lang, Text};
use crate::input;
use crate::state::AppState;
use crate::summaries::{BotEntry, SummaryCache, SummarySnapshot};
use crate::views::template::StartCheck;
use crate::views::{BalanceCheckView, BotView, LimitsView, SummaryView, TemplateView};

/// The request's language (`?lang=`, else `Accept-Language`).
#[derive(Debug, Clone, Copy)]
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(Lang::from_request(&parts.headers, parts.uri.query())))
    }
}

/// The active templates, in the core's listing order (featured first, then by id).
fn listed(mut all: Vec<StrategyTemplate>) -> Vec<StrategyTemplate> {
    all.retain(|t| t.is_active);
    all
}

/// Whether to add each template's start check.
#[derive(Debug, Deserialize, IntoParams)]
#[non_exhaustive]
pub struct TemplatesQuery {
    /// `true`: add `start_check` (would a start at the template's minimum
    /// pass now?) to each template.
    pub with_checks: Option<bool>,
}

/// A start refusal as the dashboard shows it.
fn start_check(refusal: Option<ManagerError>, lang: Lang) -> StartCheck {
    match refusal {
        None => StartCheck {
            allowed: true,
            code: None,
            message: None,
        },
        Some(e) => {
            let e = ApiError::from(e);
            StartCheck {
                allowed: false,
                code: Some(e.code.to_owned()),
                message: Some(e.text.get(lang).to_owned()),
            }
        }
    }
}

/// Active strategy templates, featured first, then by id.
#[utoipa::path(get, path = "/api/v1/multibot/templates", tag = "multibot", security(("bearer" = [])),
    params(TemplatesQuery),
    responses((status = 200, body = [TemplateView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn templates(
    State(state): State<AppState>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiQuery(q): ApiQuery<TemplatesQuery>,
) -> ApiResult<Json<Vec<TemplateView>>> {
    let list = listed(state.services.manager.templates().await?);
    let mut out = Vec::with_capacity(list.len());
    for t in &list {
        let mut v = TemplateView::new(t, lang);
        if q.with_checks == Some(true) {
            let plan = StartPlan::Template {
                template_id: t.id,
                amount: Investment::Amount(t.min_investment),
            };
            let p = state.services.manager.preflight(user.id, &plan).await?;
            v.start_check = Some(start_check(p.refusal, lang));
        }
        out.push(v);
    }
    Ok(Json(out))
}

/// One strategy template (inactive ones too).
#[utoipa::path(get, path = "/api/v1/multibot/templates/{id}", tag = "multibot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "template id")),
    responses((status = 200, body = TemplateView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn template(
    State(state): State<AppState>,
    _user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TemplateView>> {
    let t = state.store.template(TemplateId(id)).await?;
    let t = t.ok_or_else(|| ApiError::from(ManagerError::TemplateNotFound(TemplateId(id))))?;
    Ok(Json(TemplateView::new(&t, lang)))
}

/// Start a trend bot from a template.
#[derive(Debug, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct StartFromTemplate {
    /// The template (> 0).
    pub template_id: i64,
    /// USDT to allocate (a number or a decimal string; 10–100000 and within
    /// the template's range; rounded down to cents).
    #[serde(default, deserialize_with = "input::opt_decimal")]
    #[schema(value_type = Option<f64>)]
    pub amount: Option<Decimal>,
    /// Or a percentage (0–100] of the available balance.
    #[serde(default, deserialize_with = "input::opt_decimal")]
    #[schema(value_type = Option<f64>)]
    pub percent: Option<Decimal>,
}

/// Turns `amount` / `percent` into an [`Investment`]: exactly one of them.
pub fn investment(amount: Option<Decimal>, percent: Option<Decimal>) -> ApiResult<Investment> {
    match (amount, percent) {
        (Some(a), None) => Ok(Investment::Amount(input::positive_amount("amount", a)?)),
        (None, Some(p)) => Ok(Investment::PercentOfAvailable(input::percent("percent", p)?)),
        (None, None) => Err(ApiError::validation(
            "amount",
            "is required (or give percent instead)",
            "필수 항목입니다 (또는 percent를 입력하세요)",
        )),
        (Some(_), Some(_)) => Err(ApiError::validation(
            "amount",
            "give amount or percent, not both",
            "amount와 percent 중 하나만 입력하세요",
        )),
    }
}

fn template_id(id: i64) -> ApiResult<TemplateId> {
    if id <= 0 {
        return Err(ApiError::validation(
            "template_id",
            "must be a whole number of 1 or more",
            "1 이상의 정수여야 합니다",
        ));
    }
    Ok(TemplateId(id))
}

/// Starts a trend bot from a template (201), or refuses: 400 amount out of
/// range or template inactive, 404 unknown template, 409 bot limit, busy
/// symbol or a risk rule, 422 insufficient balance.
#[utoipa::path(post, path = "/api/v1/multibot/bots", tag = "multibot", security(("bearer" = [])),
    request_body = StartFromTemplate,
    responses((status = 201, body = BotView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn start_bot(
    State(state): State<AppState>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiJson(body): ApiJson<StartFromTemplate>,
) -> ApiResult<(StatusCode, Json<BotView>)> {
    let id = template_id(body.template_id)?;
    let inv = investment(body.amount, body.percent)?;
    let bot = state.services.manager.start_from_template(user.id, id, inv).await?;
    Ok((
        StatusCode::CREATED,
        Json(owned_view(&state, &user, bot.id.0, lang).await?),
    ))
}

/// Filter of the bot list.
#[derive(Debug, Deserialize, IntoParams)]
#[non_exhaustive]
pub struct BotFilter {
    /// `running`, `stopped`, `error` (the owner's statuses), `all` (the
    /// default), `active` (holding an allocation) or an exact state
    /// (`created`, `starting`, `paused`, `stopping`).
    pub status: Option<String>,
}

/// A test on a bot of the list.
type Keep = Box<dyn Fn(&BotEntry) -> bool + Send>;

/// Keeps the bots `filter` names; refuses an unknown filter.
fn matches_filter(filter: Option<&str>) -> ApiResult<Keep> {
    let f = filter.map(str::trim).unwrap_or("all").to_ascii_lowercase();
    Ok(match f.as_str() {
        "" | "all" => Box::new(|_| true),
        "running" | "stopped" | "error" => {
            let want: &'static str = match f.as_str() {
                "running" => "running",
                "stopped" => "stopped",
                _ => "error",
            };
            Box::new(move |b| b.status == want)
        }
        "active" => Box::new(|b| !matches!(b.state, "created" | "stopped")),
        other => match other.parse::<BotStatus>() {
            Ok(st) => {
                let want = st.as_str();
                Box::new(move |b| b.state == want)
            }
            Err(_) => {
                return Err(ApiError::validation(
                    "status",
                    "must be one of running, stopped, error, all, active, created, starting, paused, stopping",
                    "running, stopped, error, all, active, created, starting, paused, stopping 중 하나여야 합니다",
                ))
            }
        },
    })
}

fn json_response(body: Bytes) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response()
}

/// The user's bots, newest first, from the shared summary cache (as fresh
/// as `GET /summary`).
#[utoipa::path(get, path = "/api/v1/multibot/bots", tag = "multibot", security(("bearer" = [])), params(BotFilter),
    responses((status = 200, body = [BotView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn list_bots(
    State(state): State<AppState>,
    State(cache): State<Arc<SummaryCache>>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiQuery(filter): ApiQuery<BotFilter>,
) -> ApiResult<Response> {
    let keep = matches_filter(filter.status.as_deref())?;
    let snapshot = cache.get(&state, &user, lang).await?;
    let kept: Vec<&BotEntry> = snapshot.bots().iter().filter(|b| keep(b)).collect();
    let mut body = Vec::with_capacity(2 + kept.iter().map(|b| b.json.len() + 1).sum::<usize>());
    body.push(b'[');
    for (i, b) in kept.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&b.json);
    }
    body.push(b']');
    Ok(json_response(Bytes::from(body)))
}

/// The time of a bot's newest fill.
async fn last_fill_ts(state: &AppState, id: BotId) -> ApiResult<Option<TimestampMs>> {
    Ok(state.store.fills_for_bot(id, 1).await?.last().map(|f| f.fill.ts))
}

/// One of the user's bots, or 404.
pub async fn owned_view(state: &AppState, user: &AuthUser, id: i64, lang: Lang) -> ApiResult<BotView> {
    let bot = owned_bot(state, user, id).await?;
    let open = state.store.orders_for_bot(bot.id, true).await?.len();
    let last = last_fill_ts(state, bot.id).await?;
    Ok(BotView::new(
        bot,
        u64::try_from(open).unwrap_or(u64::MAX),
        last,
        state.clock.now_ms(),
        lang,
    ))
}

/// One of the user's bots as stored, or 404.
pub async fn owned_bot(state: &AppState, user: &AuthUser, id: i64) -> ApiResult<gridbot_core::model::Bot> {
    match state.store.bot(BotId(id)).await? {
        Some(b) if b.user_id == user.id => Ok(b),
        _ => Err(ManagerError::BotNotFound(BotId(id)).into()),
    }
}

/// One bot.
#[utoipa::path(get, path = "/api/v1/multibot/bots/{id}", tag = "multibot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "bot id")),
    responses((status = 200, body = BotView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn get_bot(
    State(state): State<AppState>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BotView>> {
    Ok(Json(owned_view(&state, &user, id, lang).await?))
}

/// The answer of `DELETE /bots/{id}`.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct DeleteAnswer {
    /// True: the bot is stopped (or, never started, deleted).
    pub success: bool,
    /// True when the bot was deleted (it had been created, never started).
    pub deleted: bool,
    /// The stopped bot (null when deleted).
    pub bot: Option<BotView>,
}

/// Stops a bot (cancels its orders, closes its position, marks it
/// stopped), or deletes a bot created and never started.
#[utoipa::path(delete, path = "/api/v1/multibot/bots/{id}", tag = "multibot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "bot id")),
    responses((status = 200, body = DeleteAnswer), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn stop_bot(
    State(state): State<AppState>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<DeleteAnswer>> {
    let bot = owned_bot(&state, &user, id).await?;
    if bot.status == BotStatus::Created {
        state.services.manager.delete_created_bot(user.id, bot.id).await?;
        return Ok(Json(DeleteAnswer {
            success: true,
            deleted: true,
            bot: None,
        }));
    }
    state.services.manager.stop_bot(user.id, BotId(id)).await?;
    Ok(Json(DeleteAnswer {
        success: true,
        deleted: false,
        bot: Some(owned_view(&state, &user, id, lang).await?),
    }))
}

/// Starts a created bot, or restarts a stopped one, with its own allocation.
#[utoipa::path(post, path = "/api/v1/multibot/bots/{id}/start", tag = "multibot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "bot id")),
    responses((status = 200, body = BotView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn restart_bot(
    State(state): State<AppState>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BotView>> {
    state.services.manager.start_bot(user.id, BotId(id)).await?;
    Ok(Json(owned_view(&state, &user, id, lang).await?))
}

/// Computes the user's summary and bot list (what the cache keeps).
pub async fn summary_snapshot(state: &AppState, user: &AuthUser, lang: Lang) -> ApiResult<SummarySnapshot> {
    let summary = state.store.user_summary(user.id).await?;
    let exchange = state.accounts.exchange_for(user.id).await?;
    let bal = exchange.balance().await?;
    let settings = state.store.risk_settings(user.id).await?;
    let bar = balance::view(bal.equity, bal.available, &summary);
    let now = state.clock.now_ms();
    let mut views = Vec::with_capacity(summary.bots.len());
    for o in &summary.bots {
        let last = if o.fill_count > 0 {
            last_fill_ts(state, o.bot.id).await?
        } else {
            None
        };
        views.push(BotView::new(o.bot.clone(), o.open_orders, last, now, lang));
    }
    let entries = views
        .iter()
        .map(|v| {
            Ok(BotEntry {
                status: v.status,
                state: v.state,
                json: to_json(v)?,
            })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let view = SummaryView::new(&summary, bar, &settings, views);
    Ok(SummarySnapshot::new(to_json(&view)?, entries))
}

/// A view as JSON bytes.
fn to_json<T: Serialize>(v: &T) -> ApiResult<Bytes> {
    serde_json::to_vec(v).map(Bytes::from).map_err(ApiError::internal)
}

/// Balance, allocations, PnL totals, the active bots, the start limits.
///
/// Served from the shared [`SummaryCache`]: at most
/// [`crate::summaries::DEFAULT_MAX_AGE`] old, and never older than the
/// user's last bot event or last writing request.
#[utoipa::path(get, path = "/api/v1/multibot/summary", tag = "multibot", security(("bearer" = [])),
    responses((status = 200, body = SummaryView), (status = 401, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn summary(
    State(state): State<AppState>,
    State(cache): State<Arc<SummaryCache>>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
) -> ApiResult<Response> {
    let snapshot = cache.get(&state, &user, lang).await?;
    Ok(json_response(snapshot.json().clone()))
}

/// The amount to check, and optionally the start to check it for.
#[derive(Debug, Deserialize, IntoParams)]
#[non_exhaustive]
pub struct CheckQuery {
    /// USDT (a decimal such as `500` or `250.5`).
    #[serde(default, deserialize_with = "input::query_decimal")]
    #[param(value_type = Option<f64>)]
    pub amount: Option<Decimal>,
    /// Or a percentage (0–100] of the available balance.
    #[serde(default, deserialize_with = "input::query_decimal")]
    #[param(value_type = Option<f64>)]
    pub percent: Option<Decimal>,
    /// Check every rule of a start from this template.
    pub template_id: Option<i64>,
    /// Or of a restart of this (created or stopped) bot; its own allocation
    /// is the amount.
    pub bot_id: Option<i64>,
}

/// Whether an amount could be started now, with the balance behind the answer.
#[utoipa::path(get, path = "/api/v1/multibot/balance-check", tag = "multibot", security(("bearer" = [])),
    params(CheckQuery),
    responses((status = 200, body = BalanceCheckView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn balance_check(
    State(state): State<AppState>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiQuery(q): ApiQuery<CheckQuery>,
) -> ApiResult<Json<BalanceCheckView>> {
    let manager = &state.services.manager;
    let (inv, plan) = match q.bot_id {
        Some(id) => {
            let bot = owned_bot(&state, &user, id).await?;
            (Investment::Amount(bot.allocation), Some(StartPlan::Existing(bot.id)))
        }
        None => {
            let inv = investment(q.amount, q.percent)?;
            let plan = q
                .template_id
                .map(template_id)
                .transpose()?
                .map(|t| StartPlan::Template {
                    template_id: t,
                    amount: inv,
                });
            (inv, plan)
        }
    };
    let c: BalanceCheck = manager.balance_check(user.id, inv).await?;
    let refusal = match &plan {
        Some(p) => manager.preflight(user.id, p).await?.refusal,
        None if !c.allowed => Some(ManagerError::InsufficientBalance {
            available: c.available,
            requested: c.requested_amount,
        }),
        None => manager.limits(user.id).await.map(|l| {
            (l.active_bot_count >= l.max_bot_count).then_some(ManagerError::BotLimitReached {
                active: l.active_bot_count,
                max: l.max_bot_count,
            })
        })?,
    };
    let refusal = refusal.map(ApiError::from);
    let message = match &refusal {
        None => Text::new(
            format!(
                "available: {} can be started; {} will remain",
                dollars(c.requested_amount),
                dollars(c.available - c.requested_amount)
            ),
            format!(
                "시작할 수 있습니다: {} 사용 후 {} 남음",
                dollars(c.requested_amount),
                dollars(c.available - c.requested_amount)
            ),
        ),
        Some(e) => (*e.text).clone(),
    };
    Ok(Json(BalanceCheckView {
        requested_amount: crate::views::num2(c.requested_amount),
        available: refusal.is_none(),
        current_balance: crate::views::num2(c.current_balance),
        used_amount: crate::views::num2(c.used_amount),
        remaining: crate::views::num2(c.current_balance - c.used_amount),
        message: message.get(lang).to_owned(),
        allowed: refusal.is_none(),
        code: refusal.as_ref().map(|e| e.code.to_owned()),
        field: refusal.as_ref().and_then(|e| e.field.clone()),
        requested: c.requested_amount,
        available_amount: c.available,
        remaining_after: c.remaining,
    }))
}

/// What the user's starts are checked against now.
#[utoipa::path(get, path = "/api/v1/multibot/limits", tag = "multibot", security(("bearer" = [])),
    responses((status = 200, body = LimitsView), (status = 401, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn limits(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<LimitsView>> {
    Ok(Json(state.services.manager.limits(user.id).await?.into()))
}
