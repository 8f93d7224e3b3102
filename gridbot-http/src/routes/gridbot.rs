//! `/grid-bot/*`: analysis and recommendations, plan preview, create,
//! start, stop, list and performance of grid bots.
//!
//! Decisions: `analyze` reads 8 days of candles at the requested timeframe
//! (default `15m`) so the advisor has its 7 backtested days plus a day of
//! warm-up; `preview` plans at the market's last price; `create` saves the
//! bot in `created` status (it holds nothing until `start`).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use gridbot_core::balance::Investment;
use gridbot_core::grid::{self, GridConfig, GridMode, GridPlan, OutOfRange, Spacing};
use gridbot_core::model::{BotId, BotKind, BotSource, Interval, Symbol};
use gridbot_core::ports::{AdvisorRequest, RecommendationSet};

use crate::auth::extract::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::routes::multibot::{list_views, owned_view};
use crate::state::AppState;
use crate::views::BotView;

/// What to analyse.
#[derive(Debug, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct AnalyzeRequest {
    /// The contract, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Candle interval (`1m` … `1d`), default `15m`.
    pub timeframe: Option<String>,
}

/// Analysis of the market and three recommendations.
#[utoipa::path(post, path = "/api/v1/grid-bot/analyze", tag = "grid-bot", security(("bearer" = [])),
    request_body = AnalyzeRequest,
    responses((status = 200, description = "analysis, recommendations (conservative, moderate, aggressive), source", body = Object),
              (status = 400, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn analyze(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<AnalyzeRequest>,
) -> ApiResult<Json<RecommendationSet>> {
    let symbol = Symbol::new(&body.symbol)?;
    let timeframe: Interval = body.timeframe.as_deref().unwrap_or("15m").parse()?;
    let exchange = state.accounts.exchange_for(user.id).await?;
    let instrument = exchange.instrument(&symbol).await?;
    let now = state.clock.now_ms();
    let start = timeframe.floor(now - 8 * 86_400_000);
    let candles = state.services.market.candles(&symbol, timeframe, start, now).await?;
    let request = AdvisorRequest::new(instrument, timeframe, Arc::new(candles), now);
    Ok(Json(state.services.advisor.recommend(&request).await?))
}

/// A grid's settings as the API takes them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct GridInput {
    /// The contract.
    pub symbol: String,
    /// Lowest line.
    #[schema(value_type = String)]
    pub lower: Decimal,
    /// Highest line.
    #[schema(value_type = String)]
    pub upper: Decimal,
    /// Number of grids, 2–200.
    pub grids: u32,
    /// `arithmetic` (default) or `geometric`.
    #[schema(value_type = Option<String>)]
    pub spacing: Option<Spacing>,
    /// `neutral` (default), `long` or `short`.
    #[schema(value_type = Option<String>)]
    pub mode: Option<GridMode>,
    /// Margin, USDT.
    #[schema(value_type = Option<String>)]
    pub investment: Option<Decimal>,
    /// Leverage (default 1).
    pub leverage: Option<u32>,
    /// Start when the price touches this.
    #[schema(value_type = Option<String>)]
    pub trigger_price: Option<Decimal>,
    /// Stop the grid at this price.
    #[schema(value_type = Option<String>)]
    pub stop_loss: Option<Decimal>,
    /// Stop the grid at this price.
    #[schema(value_type = Option<String>)]
    pub take_profit: Option<Decimal>,
    /// `keep` (default) or `stop` when the price leaves the range.
    #[schema(value_type = Option<String>)]
    pub on_out_of_range: Option<OutOfRange>,
    /// Close the position when stopping (default true).
    pub close_on_stop: Option<bool>,
}

impl GridInput {
    /// The grid config with `investment` (overriding the input's).
    pub fn to_config(&self, investment: Option<Decimal>) -> ApiResult<GridConfig> {
        let symbol = Symbol::new(&self.symbol)?;
        let investment = investment
            .or(self.investment)
            .ok_or_else(|| ApiError::validation("investment", "is required"))?;
        Ok(GridConfig::new(
            symbol,
            self.lower,
            self.upper,
            self.grids,
            self.spacing.unwrap_or(Spacing::Arithmetic),
            self.mode.unwrap_or(GridMode::Neutral),
            investment,
            self.leverage.unwrap_or(1),
        )
        .with_trigger(self.trigger_price)
        .with_stops(self.stop_loss, self.take_profit)
        .with_out_of_range(self.on_out_of_range.unwrap_or_default())
        .with_close_on_stop(self.close_on_stop.unwrap_or(true)))
    }
}

/// A plan with its errors and warnings as sentences.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct PreviewView {
    /// The plan (levels, qty per grid, orders, margin, profit per grid, liquidation).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub plan: GridPlan,
    /// True when the grid can run.
    pub viable: bool,
    /// Broken rules, as sentences.
    pub error_messages: Vec<String>,
    /// Warnings, as sentences.
    pub warning_messages: Vec<String>,
}

async fn plan_for(state: &AppState, user: &AuthUser, config: &GridConfig) -> ApiResult<GridPlan> {
    let exchange = state.accounts.exchange_for(user.id).await?;
    let instrument = exchange.instrument(&config.symbol).await?;
    let price = state.services.market.last_price(&config.symbol).await?;
    Ok(grid::plan(config, &instrument, price)?)
}

/// The plan of a grid at the current price: levels, quantity per grid,
/// margin, profit per grid, liquidation price and viability errors.
#[utoipa::path(post, path = "/api/v1/grid-bot/preview", tag = "grid-bot", security(("bearer" = [])),
    request_body = GridInput, responses((status = 200, body = PreviewView), (status = 400, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<GridInput>,
) -> ApiResult<Json<PreviewView>> {
    let config = body.to_config(None)?;
    let plan = plan_for(&state, &user, &config).await?;
    Ok(Json(PreviewView {
        viable: plan.is_viable(),
        error_messages: plan.errors.iter().map(ToString::to_string).collect(),
        warning_messages: plan.warnings.iter().map(ToString::to_string).collect(),
        plan,
    }))
}

/// The grid part of a recommendation (other fields are ignored).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct RecommendationInput {
    /// Lowest line.
    #[schema(value_type = String)]
    pub lower: Decimal,
    /// Highest line.
    #[schema(value_type = String)]
    pub upper: Decimal,
    /// Grids.
    pub grids: u32,
    /// Leverage.
    pub leverage: u32,
    /// Mode.
    #[schema(value_type = String)]
    pub mode: GridMode,
    /// Spacing.
    #[schema(value_type = String)]
    pub spacing: Spacing,
}

/// Create a grid bot from a config or a recommendation.
#[derive(Debug, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct CreateRequest {
    /// A full config.
    pub config: Option<GridInput>,
    /// Or the symbol of a recommendation...
    pub symbol: Option<String>,
    /// ...and the recommendation (as `analyze` returned it).
    pub recommendation: Option<RecommendationInput>,
    /// USDT to invest.
    #[schema(value_type = Option<String>)]
    pub investment_amount: Option<Decimal>,
    /// Or a share (0, 1] of the available balance.
    #[schema(value_type = Option<String>)]
    pub investment_ratio: Option<Decimal>,
}

/// Saves a grid bot (status `created`; start it with `/grid-bot/{id}/start`).
#[utoipa::path(post, path = "/api/v1/grid-bot/create", tag = "grid-bot", security(("bearer" = [])),
    request_body = CreateRequest,
    responses((status = 201, body = BotView), (status = 400, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<CreateRequest>,
) -> ApiResult<(StatusCode, Json<BotView>)> {
    let manager = &state.services.manager;
    let investment = match (body.investment_amount, body.investment_ratio) {
        (Some(a), None) => Some(a),
        (None, Some(r)) => {
            if r <= Decimal::ZERO || r > Decimal::ONE {
                return Err(ApiError::validation("investment_ratio", "must be in (0, 1]"));
            }
            let c = manager
                .balance_check(user.id, Investment::PercentOfAvailable(r * Decimal::ONE_HUNDRED))
                .await?;
            Some(c.requested_amount)
        }
        (None, None) => None,
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "investment_amount",
                "give investment_amount or investment_ratio, not both",
            ))
        }
    };
    let (config, source) = match (body.config, body.recommendation) {
        (Some(c), None) => (c.to_config(investment)?, BotSource::Manual),
        (None, Some(r)) => {
            let symbol = body
                .symbol
                .ok_or_else(|| ApiError::validation("symbol", "is required with a recommendation"))?;
            let input = GridInput {
                symbol,
                lower: r.lower,
                upper: r.upper,
                grids: r.grids,
                spacing: Some(r.spacing),
                mode: Some(r.mode),
                investment: None,
                leverage: Some(r.leverage),
                trigger_price: None,
                stop_loss: None,
                take_profit: None,
                on_out_of_range: None,
                close_on_stop: None,
            };
            (input.to_config(investment)?, BotSource::Recommendation)
        }
        _ => return Err(ApiError::validation("config", "give either config or recommendation")),
    };
    let plan = plan_for(&state, &user, &config).await?;
    if let Some(first) = plan.errors.first() {
        return Err(ApiError::validation("config", first.to_string()));
    }
    let bot = manager.create_grid(user.id, config, source).await?;
    Ok((StatusCode::CREATED, Json(BotView::new(bot, 0, state.clock.now_ms()))))
}

/// Starts a created or stopped grid bot.
#[utoipa::path(post, path = "/api/v1/grid-bot/{id}/start", tag = "grid-bot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "bot id")),
    responses((status = 200, body = BotView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BotView>> {
    state.services.manager.start_bot(user.id, BotId(id)).await?;
    Ok(Json(owned_view(&state, &user, id).await?))
}

/// Stops a grid bot: cancel orders, close the position, mark it stopped.
#[utoipa::path(post, path = "/api/v1/grid-bot/{id}/stop", tag = "grid-bot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "bot id")),
    responses((status = 200, body = BotView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn stop(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<BotView>> {
    state.services.manager.stop_bot(user.id, BotId(id)).await?;
    Ok(Json(owned_view(&state, &user, id).await?))
}

/// The user's grid bots, newest first.
#[utoipa::path(get, path = "/api/v1/grid-bot/list", tag = "grid-bot", security(("bearer" = [])),
    responses((status = 200, body = [BotView])))]
pub async fn list(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Vec<BotView>>> {
    let all = list_views(&state, &user, None).await?;
    Ok(Json(all.into_iter().filter(|b| b.kind == "grid").collect()))
}

/// A point of the equity curve.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct EquityPoint {
    /// Time, ms.
    pub ts: i64,
    /// Allocation + total PnL.
    #[schema(value_type = String)]
    pub equity: Decimal,
    /// Total PnL.
    #[schema(value_type = String)]
    pub pnl: Decimal,
}

/// A resting order.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct OrderView {
    /// Client order id.
    pub client_id: String,
    /// `buy` or `sell`.
    pub side: &'static str,
    /// Limit price.
    #[schema(value_type = Option<String>)]
    pub price: Option<Decimal>,
    /// Quantity.
    #[schema(value_type = String)]
    pub qty: Decimal,
    /// `intended` or `open`.
    pub status: &'static str,
}

/// A trade (fill).
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct TradeView {
    /// Time, ms.
    pub ts: i64,
    /// `buy` or `sell`.
    pub side: &'static str,
    /// Price.
    #[schema(value_type = String)]
    pub price: Decimal,
    /// Quantity.
    #[schema(value_type = String)]
    pub qty: Decimal,
    /// Fee.
    #[schema(value_type = String)]
    pub fee: Decimal,
    /// Realised PnL of the fill (before fees).
    #[schema(value_type = String)]
    pub realized_pnl: Decimal,
}

/// A bot's performance.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct PerformanceView {
    /// The bot.
    pub bot: BotView,
    /// Total PnL / allocation, percent.
    #[schema(value_type = String)]
    pub roi_pct: Decimal,
    /// ROI annualised, percent.
    #[schema(value_type = String)]
    pub apr_pct: Decimal,
    /// Grid profit after fees.
    #[schema(value_type = String)]
    pub grid_profit: Decimal,
    /// Unrealised PnL.
    #[schema(value_type = String)]
    pub unrealized_pnl: Decimal,
    /// Realised PnL before fees.
    #[schema(value_type = String)]
    pub realized_pnl: Decimal,
    /// Fees.
    #[schema(value_type = String)]
    pub fees: Decimal,
    /// Fills booked.
    pub fills: u64,
    /// Equity curve, oldest first (≤ 500 points).
    pub equity_curve: Vec<EquityPoint>,
    /// Grid lines (grid bots), lowest first.
    #[schema(value_type = Vec<String>)]
    pub levels: Vec<Decimal>,
    /// Intended or open orders.
    pub open_orders: Vec<OrderView>,
    /// The newest trades (≤ 200), oldest first.
    pub trades: Vec<TradeView>,
    /// The market's last price.
    #[schema(value_type = Option<String>)]
    pub current_price: Option<Decimal>,
}

/// ROI, APR, grid profit, unrealised PnL, fees, fills, equity curve, grid
/// lines, open orders and trades of one bot (grid or trend).
#[utoipa::path(get, path = "/api/v1/grid-bot/{id}/performance", tag = "grid-bot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "bot id")),
    responses((status = 200, body = PerformanceView), (status = 404, body = ErrorBody)))]
pub async fn performance(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PerformanceView>> {
    let bot = owned_view(&state, &user, id).await?;
    let store = &state.store;
    let bid = BotId(id);
    let curve = store.equity_curve(bid, 500).await?;
    let orders = store.orders_for_bot(bid, true).await?;
    let fills = store.fills_for_bot(bid, 200).await?;
    let current_price = state.services.market.last_price(&Symbol::new(&bot.symbol)?).await.ok();
    let levels = match &bot.config {
        BotKind::Grid(g) => {
            let tick = match state.accounts.exchange_for(user.id).await {
                Ok(x) => x.instrument(&g.symbol).await.ok().map(|i| i.tick_size),
                Err(_) => None,
            };
            tick.and_then(|t| grid::levels::levels(g.lower, g.upper, g.grids, g.spacing, t).ok())
                .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    Ok(Json(PerformanceView {
        roi_pct: bot.roi_pct,
        apr_pct: bot.apr_pct,
        grid_profit: bot.grid_profit,
        unrealized_pnl: bot.unrealized_pnl,
        realized_pnl: bot.realized_pnl,
        fees: bot.fees,
        fills: bot.fills,
        equity_curve: curve
            .into_iter()
            .map(|p| EquityPoint {
                ts: p.ts,
                equity: p.equity,
                pnl: p.pnl,
            })
            .collect(),
        levels,
        open_orders: orders
            .into_iter()
            .map(|o| OrderView {
                client_id: o.client_id.to_string(),
                side: o.side.as_str(),
                price: o.price,
                qty: o.qty,
                status: o.status.as_str(),
            })
            .collect(),
        trades: fills
            .into_iter()
            .map(|f| TradeView {
                ts: f.fill.ts,
                side: f.fill.side.as_str(),
                price: f.fill.price,
                qty: f.fill.qty,
                fee: f.fill.fee,
                realized_pnl: f.fill.realized_pnl,
            })
            .collect(),
        current_price,
        bot,
    }))
}
