//! `/grid-bot/*`: analysis and recommendations, plan preview, create (and
//! start), start, stop, edit, list and performance of grid bots — the
//! owner's routes in the owner's shapes, plus gridbot's preview and edit.
//!
//! Decisions:
//! - `analyze` takes `symbol` from the query or the body, reads 8 days of
//!   candles at `timeframe` (default `1h`, the owner's) so the advisor has
//!   its 7 backtested days plus a day of warm-up.
//! - `create` takes the owner's `GridBotCreate` fields (or gridbot's
//!   `config` / `recommendation`). With `"start": true` it creates and
//!   starts in one guarded write: a refused start leaves no bot behind.
//!   Without it the bot is saved `created` (start it with `/{id}/start`, or
//!   delete it with `DELETE /multibot/bots/{id}`).
//! - `investment_ratio` is a percentage (0–100] of the available balance.
//! - The owner's `stop_loss_percent` / `take_profit_percent` become prices
//!   beyond the range's edge (see [`crate::views::grid`]), rounded to the tick.
//! - `preview` answers `viable: false` when the plan breaks a grid rule *or*
//!   a start would be refused now (leverage above the user's cap, the bot
//!   limit, a busy symbol, the balance): what the dashboard's Start needs.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use gridbot_core::advisor::REQUEST_HISTORY_DAYS;
use gridbot_core::balance::Investment;
use gridbot_core::grid::{self, GridConfig, GridMode, GridPlan, OutOfRange, Spacing};
use gridbot_core::manager::{GridControls, StartPlan};
use gridbot_core::model::{BotId, BotKind, BotSource, Instrument, Interval, OrderKind, Rounding, Side, Symbol};
use gridbot_core::ports::{
    AdvisorRequest, MarketAnalysis, ProfileUnavailable, Recommendation, RecommendationSet, RiskLevel, Trend,
};

use crate::auth::extract::AuthUser;
use crate::error::{invalid_plan, plan_error_text, plan_warning_text, ApiError, ApiResult, ErrorBody};
use crate::extract::{parse_json, ApiJson, ApiPath, ApiQuery};
use crate::i18n::{Lang, Text};
use crate::input;
use crate::routes::multibot::{owned_bot, owned_view, ReqLang};
use crate::state::AppState;
use crate::views::grid::grid_positions;
use crate::views::{num, num2, BotView, GridBotView, GridPositionView};

/// What to analyse (body, optional when the query names the symbol).
#[derive(Debug, Default, Deserialize, ToSchema, IntoParams)]
#[non_exhaustive]
pub struct AnalyzeRequest {
    /// The contract, e.g. `BTCUSDT`.
    pub symbol: Option<String>,
    /// Candle interval (`1m`, `5m`, `15m`, `30m`, `1h`, `4h`, `1d`), default `1h`.
    pub timeframe: Option<String>,
}

/// One recommendation in the owner's shape.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct StrategyView {
    /// Display name.
    pub name: String,
    /// Lowest line.
    pub price_range_lower: f64,
    /// Highest line.
    pub price_range_upper: f64,
    /// Number of grids.
    pub grid_count: u32,
    /// Leverage.
    pub leverage: u32,
    /// Expected ROI over 30 days, percent: the 7-day forecast scaled (not the
    /// in-sample backtest).
    pub expected_roi_30d: f64,
    /// Expected ROI over the next 7 days, percent (out of sample).
    pub expected_roi_7d_pct: f64,
    /// Low end of the 7-day forecast, percent.
    pub expected_roi_7d_low_pct: f64,
    /// High end of the 7-day forecast, percent.
    pub expected_roi_7d_high_pct: f64,
    /// In-sample backtest ROI over `backtest_days`, percent (not a forecast).
    pub backtest_roi_pct: f64,
    /// Days of the in-sample backtest.
    pub backtest_days: f64,
    /// The method's past picks for this symbol and profile and what each
    /// returned the week after, percent (oldest first).
    pub track_record_roi_pct: Vec<f64>,
    /// `low`, `medium` or `high`.
    pub risk_level: &'static str,
    /// Smallest investment, USDT.
    pub min_investment: f64,
    /// Why this setup.
    pub description: String,
    /// ROI over the backtest: `[ms, percent]` points.
    pub roi_curve: Vec<(i64, f64)>,
    /// How long to run it.
    pub duration: String,
    /// `long`, `short` or `neutral`.
    pub mode: &'static str,
    /// `conservative`, `moderate` or `aggressive`.
    pub risk_profile: &'static str,
}

/// The owner's market analysis.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct MarketView {
    /// `uptrend`, `downtrend` or `sideways`.
    pub trend: &'static str,
    /// 24 h volatility as a fraction (0.23 = 23 %).
    pub volatility: f64,
    /// Nearest support below the price.
    pub support_level: Option<f64>,
    /// Nearest resistance above the price.
    pub resistance_level: Option<f64>,
    /// Last close.
    pub current_price: f64,
}

/// The owner's `GridAnalysis`, with gridbot's full answer beside it.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct GridAnalysisView {
    /// The contract.
    pub symbol: String,
    /// Conservative, moderate, aggressive (fewer when none passed a profile).
    pub recommended_strategies: Vec<StrategyView>,
    /// Trend, volatility, support and resistance.
    pub market_analysis: MarketView,
    /// gridbot's analysis (exact decimals).
    #[schema(value_type = Object)]
    pub analysis: MarketAnalysis,
    /// gridbot's recommendations (exact decimals; what `create` takes back).
    #[schema(value_type = Vec<Object>)]
    pub recommendations: Vec<Recommendation>,
    /// Profiles without a safe pick, each with the reason.
    #[schema(value_type = Vec<Object>)]
    pub unavailable: Vec<ProfileUnavailable>,
    /// Which advisor answered.
    pub source: String,
    /// Why a richer advisor fell back, if it did.
    pub fallback_reason: Option<String>,
    /// When computed, ms.
    pub generated_at: i64,
}

fn strategy_view(r: &Recommendation) -> StrategyView {
    StrategyView {
        name: r.name.clone(),
        price_range_lower: num(r.lower),
        price_range_upper: num(r.upper),
        grid_count: r.grids,
        leverage: r.leverage,
        expected_roi_30d: num2(r.expected_roi_30d),
        expected_roi_7d_pct: num2(r.expected_roi_7d_pct),
        expected_roi_7d_low_pct: num2(r.expected_roi_7d_low_pct),
        expected_roi_7d_high_pct: num2(r.expected_roi_7d_high_pct),
        backtest_roi_pct: num2(r.backtest_roi_pct),
        backtest_days: num2(r.backtest_days),
        track_record_roi_pct: r.track_record_roi_pct.iter().map(|x| num2(*x)).collect(),
        risk_level: match r.risk_level {
            RiskLevel::Conservative => "low",
            RiskLevel::Moderate => "medium",
            _ => "high",
        },
        min_investment: num2(r.min_investment),
        description: r.description.clone(),
        roi_curve: r.roi_curve.iter().map(|(t, v)| (*t, num2(*v))).collect(),
        duration: r.recommended_duration.clone(),
        mode: r.mode.as_str(),
        risk_profile: r.risk_level.as_str(),
    }
}

fn analysis_view(set: RecommendationSet) -> GridAnalysisView {
    let a = &set.analysis;
    let market_analysis = MarketView {
        trend: match a.trend {
            Trend::Up => "uptrend",
            Trend::Down => "downtrend",
            Trend::Sideways => "sideways",
        },
        volatility: (a.volatility_24h_pct / 100.0 * 10_000.0).round() / 10_000.0,
        support_level: a.support.first().copied().map(num),
        resistance_level: a.resistance.first().copied().map(num),
        current_price: num(a.current_price),
    };
    GridAnalysisView {
        symbol: a.symbol.to_string(),
        recommended_strategies: set.recommendations.iter().map(strategy_view).collect(),
        market_analysis,
        analysis: set.analysis.clone(),
        recommendations: set.recommendations,
        unavailable: set.unavailable,
        source: set.source,
        fallback_reason: set.fallback_reason,
        generated_at: set.generated_at,
    }
}

fn symbol(field: &str, s: &str) -> ApiResult<Symbol> {
    Symbol::new(s).map_err(|_| {
        ApiError::validation(
            field,
            "must be a contract symbol such as BTCUSDT",
            "BTCUSDT 같은 계약 심볼이어야 합니다",
        )
    })
}

fn timeframe(s: Option<&str>, default: Interval) -> ApiResult<Interval> {
    match s {
        None => Ok(default),
        Some(t) => t.parse().map_err(|_| {
            ApiError::validation(
                "timeframe",
                "must be one of 1m, 5m, 15m, 30m, 1h, 4h, 1d",
                "1m, 5m, 15m, 30m, 1h, 4h, 1d 중 하나여야 합니다",
            )
        }),
    }
}

/// Analysis of the market and up to three recommendations.
#[utoipa::path(post, path = "/api/v1/grid-bot/analyze", tag = "grid-bot", security(("bearer" = [])),
    params(AnalyzeRequest),
    request_body(content = AnalyzeRequest, description = "optional when the query names the symbol"),
    responses((status = 200, body = GridAnalysisView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn analyze(
    State(state): State<AppState>,
    user: AuthUser,
    ApiQuery(query): ApiQuery<AnalyzeRequest>,
    body: Bytes,
) -> ApiResult<Json<GridAnalysisView>> {
    let body: AnalyzeRequest = if body.iter().all(u8::is_ascii_whitespace) {
        AnalyzeRequest::default()
    } else {
        parse_json(&body)?
    };
    let raw = query
        .symbol
        .or(body.symbol)
        .ok_or_else(|| ApiError::validation("symbol", "is required", "필수 항목입니다"))?;
    let symbol = symbol("symbol", &raw)?;
    let timeframe = timeframe(query.timeframe.or(body.timeframe).as_deref(), Interval::H1)?;
    let exchange = state.accounts.exchange_for(user.id).await?;
    let instrument = exchange.instrument(&symbol).await?;
    let now = state.clock.now_ms();
    let start = timeframe.floor(now - REQUEST_HISTORY_DAYS * 86_400_000);
    let candles = state.services.market.candles(&symbol, timeframe, start, now).await?;
    let request = AdvisorRequest::new(instrument, timeframe, Arc::new(candles), now);
    Ok(Json(analysis_view(state.services.advisor.recommend(&request).await?)))
}

/// A grid's settings as gridbot's own routes take them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct GridInput {
    /// The contract.
    pub symbol: String,
    /// Lowest line.
    #[serde(deserialize_with = "input::decimal")]
    #[schema(value_type = String)]
    pub lower: Decimal,
    /// Highest line.
    #[serde(deserialize_with = "input::decimal")]
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
    #[serde(default, deserialize_with = "input::opt_decimal")]
    #[schema(value_type = Option<String>)]
    pub investment: Option<Decimal>,
    /// Leverage (default 1).
    pub leverage: Option<u32>,
    /// Start when the price touches this.
    #[serde(default, deserialize_with = "input::opt_decimal")]
    #[schema(value_type = Option<String>)]
    pub trigger_price: Option<Decimal>,
    /// Stop the grid at this price.
    #[serde(default, deserialize_with = "input::opt_decimal")]
    #[schema(value_type = Option<String>)]
    pub stop_loss: Option<Decimal>,
    /// Stop the grid at this price.
    #[serde(default, deserialize_with = "input::opt_decimal")]
    #[schema(value_type = Option<String>)]
    pub take_profit: Option<Decimal>,
    /// `keep` (default) or `stop` when the price leaves the range.
    #[schema(value_type = Option<String>)]
    pub on_out_of_range: Option<OutOfRange>,
    /// Close the position when stopping (default true).
    pub close_on_stop: Option<bool>,
}

impl GridInput {
    /// The grid config with `investment` (overriding the input's); prices
    /// are checked against the bounds, naming the field.
    pub fn to_config(&self, investment: Option<Decimal>) -> ApiResult<GridConfig> {
        let symbol = symbol("symbol", &self.symbol)?;
        let investment = investment
            .or(self.investment)
            .ok_or_else(|| ApiError::validation("investment", "is required", "필수 항목입니다"))?;
        Ok(GridConfig::new(
            symbol,
            input::price("lower", self.lower)?,
            input::price("upper", self.upper)?,
            self.grids,
            self.spacing.unwrap_or(Spacing::Arithmetic),
            self.mode.unwrap_or(GridMode::Neutral),
            input::positive_amount("investment", investment)?,
            self.leverage.unwrap_or(1),
        )
        .with_trigger(input::opt_price("trigger_price", self.trigger_price)?)
        .with_stops(
            input::opt_price("stop_loss", self.stop_loss)?,
            input::opt_price("take_profit", self.take_profit)?,
        )
        .with_out_of_range(self.on_out_of_range.unwrap_or_default())
        .with_close_on_stop(self.close_on_stop.unwrap_or(true)))
    }
}

/// A plan with its errors and warnings as sentences, and whether a start
/// would pass now.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct PreviewView {
    /// The plan (levels, qty per grid, orders, margin, profit per grid, liquidation).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub plan: GridPlan,
    /// True when the grid can run and a start would pass now.
    pub viable: bool,
    /// True when the plan breaks no grid rule.
    pub plan_viable: bool,
    /// Broken rules and start refusals, as sentences in the request's language.
    pub error_messages: Vec<String>,
    /// Warnings (start outside the range, a market order at start, ...), as sentences.
    pub warning_messages: Vec<String>,
    /// The start refusal's code, if a start would be refused now.
    pub refusal_code: Option<String>,
    /// The contract's price step.
    #[schema(value_type = String)]
    pub tick_size: Decimal,
    /// The contract's quantity step.
    #[schema(value_type = String)]
    pub lot_size: Decimal,
}

async fn instrument_for(state: &AppState, user: &AuthUser, symbol: &Symbol) -> ApiResult<Instrument> {
    let exchange = state.accounts.exchange_for(user.id).await?;
    Ok(exchange.instrument(symbol).await?)
}

async fn plan_for(state: &AppState, user: &AuthUser, config: &GridConfig) -> ApiResult<(GridPlan, Instrument)> {
    let instrument = instrument_for(state, user, &config.symbol).await?;
    let price = state.services.market.last_price(&config.symbol).await?;
    Ok((grid::plan(config, &instrument, price)?, instrument))
}

/// The warning of a plan that opens a position with a market order at start.
fn market_order_warning(plan: &GridPlan) -> Option<Text> {
    let m = plan.initial_orders.iter().find(|o| o.kind == OrderKind::Market)?;
    let (en, ko) = match m.side {
        Side::Buy => ("buy", "매수"),
        Side::Sell => ("sell", "매도"),
    };
    Some(Text::new(
        format!(
            "the grid starts with a market {en} of {} at about {} to hold the cells above the price",
            m.qty.normalize(),
            m.price.normalize()
        ),
        format!(
            "그리드는 시작할 때 약 {} 가격에 {} 수량을 시장가로 {ko}합니다",
            m.price.normalize(),
            m.qty.normalize()
        ),
    ))
}

/// The plan of a grid at the current price: levels, quantity per grid,
/// margin, profit per grid, liquidation price, viability errors and
/// whether a start would pass now.
#[utoipa::path(post, path = "/api/v1/grid-bot/preview", tag = "grid-bot", security(("bearer" = [])),
    request_body = GridInput,
    responses((status = 200, body = PreviewView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiJson(body): ApiJson<GridInput>,
) -> ApiResult<Json<PreviewView>> {
    let config = body.to_config(None)?;
    let (plan, instrument) = plan_for(&state, &user, &config).await?;
    let mut errors: Vec<String> = plan
        .errors
        .iter()
        .map(|e| plan_error_text(e).get(lang).to_owned())
        .collect();
    let mut warnings: Vec<String> = plan
        .warnings
        .iter()
        .map(|w| plan_warning_text(w).get(lang).to_owned())
        .collect();
    if let Some(w) = market_order_warning(&plan) {
        warnings.push(w.get(lang).to_owned());
    }
    let mut refusal_code = None;
    if plan.is_viable() {
        let p = state
            .services
            .manager
            .preflight(user.id, &StartPlan::Grid(config))
            .await?;
        if let Some(e) = p.refusal.map(ApiError::from) {
            errors.push(e.text.get(lang).to_owned());
            refusal_code = Some(e.code.to_owned());
        }
    }
    Ok(Json(PreviewView {
        viable: errors.is_empty(),
        plan_viable: plan.is_viable(),
        error_messages: errors,
        warning_messages: warnings,
        refusal_code,
        tick_size: instrument.tick_size,
        lot_size: instrument.lot_size,
        plan,
    }))
}

/// The grid part of a recommendation (other fields are ignored).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct RecommendationInput {
    /// Lowest line.
    #[serde(deserialize_with = "input::decimal")]
    #[schema(value_type = String)]
    pub lower: Decimal,
    /// Highest line.
    #[serde(deserialize_with = "input::decimal")]
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

/// The owner's `GridBotCreate` (or gridbot's `config` / `recommendation`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct CreateRequest {
    /// The contract (with the owner's fields or a recommendation).
    pub symbol: Option<String>,
    /// `arithmetic` (default) or `geometric`.
    #[schema(value_type = Option<String>)]
    pub grid_type: Option<Spacing>,
    /// Lowest line.
    #[serde(default, deserialize_with = "input::opt_decimal")]
    #[schema(value_type = Option<f64>)]
    pub price_range_lower: Option<Decimal>,
    /// Highest line.
    #[serde(default, deserialize_with = "input::opt_decimal")]
    #[schema(value_type = Option<f64>)]
    pub price_range_upper: Option<Decimal>,
    /// Number of grids, 2–200.
    pub grid_count: Option<u32>,
    /// Leverage (default 1).
    pub leverage: Option<u32>,
    /// `neutral` (default), `long` or `short`.
    #[schema(value_type = Option<String>)]
    pub mode: Option<GridMode>,
    /// Stop-loss, percent beyond the range's edge.
    #[serde(default, deserialize_with = "input::opt_decimal")]
    #[schema(value_type = Option<f64>)]
    pub stop_loss_percent: Option<Decimal>,
    /// Take-profit, percent beyond the range's edge.
    #[serde(default, deserialize_with = "input::opt_decimal")]
    #[schema(value_type = Option<f64>)]
    pub take_profit_percent: Option<Decimal>,
    /// Made from an advisor recommendation.
    pub is_ai_recommended: Option<bool>,
    /// A full config (gridbot's form).
    pub config: Option<GridInput>,
    /// Or a recommendation as `analyze` returned it (with `symbol`).
    pub recommendation: Option<RecommendationInput>,
    /// USDT to invest.
    #[serde(default, deserialize_with = "input::opt_decimal")]
    #[schema(value_type = Option<f64>)]
    pub investment_amount: Option<Decimal>,
    /// Or a percentage (0–100] of the available balance.
    #[serde(default, deserialize_with = "input::opt_decimal")]
    #[schema(value_type = Option<f64>)]
    pub investment_ratio: Option<Decimal>,
    /// Start it at once (one guarded write: a refused start leaves nothing).
    pub start: Option<bool>,
}

/// A stop `pct` percent beyond the range's edge, on the tick.
fn stop_price(
    field: &str,
    pct: Option<Decimal>,
    edge: Decimal,
    below: bool,
    instrument: &Instrument,
) -> ApiResult<Option<Decimal>> {
    let Some(p) = pct else {
        return Ok(None);
    };
    if p <= Decimal::ZERO || p >= Decimal::ONE_HUNDRED {
        return Err(ApiError::validation(
            field,
            format!("must be a percentage greater than 0 and below 100, got {p}"),
            format!("0보다 크고 100보다 작은 비율이어야 합니다 (입력: {p})"),
        ));
    }
    let factor = p / Decimal::ONE_HUNDRED;
    let price = if below {
        edge * (Decimal::ONE - factor)
    } else {
        edge * (Decimal::ONE + factor)
    };
    Ok(Some(instrument.round_price(price, Rounding::Nearest)))
}

async fn create_config(state: &AppState, user: &AuthUser, body: CreateRequest) -> ApiResult<(GridConfig, BotSource)> {
    let manager = &state.services.manager;
    let (investment, ratio) = match (body.investment_amount, body.investment_ratio) {
        (Some(a), None) => (Some(input::positive_amount("investment_amount", a)?), None),
        (None, Some(r)) => {
            let r = input::percent("investment_ratio", r)?;
            let c = manager
                .balance_check(user.id, Investment::PercentOfAvailable(r))
                .await?;
            (Some(c.requested_amount), Some(r))
        }
        (None, None) => (None, None),
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "investment_amount",
                "give investment_amount or investment_ratio, not both",
                "investment_amount와 investment_ratio 중 하나만 입력하세요",
            ))
        }
    };
    let (input, source) = match (body.config, body.recommendation) {
        (Some(c), None) => (c, BotSource::Manual),
        (None, Some(r)) => {
            let symbol = body.symbol.ok_or_else(|| {
                ApiError::validation("symbol", "is required with a recommendation", "필수 항목입니다")
            })?;
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
            (input, BotSource::Recommendation)
        }
        (None, None) => {
            let required = |f: &str| ApiError::validation(f, "is required", "필수 항목입니다");
            let symbol = body.symbol.ok_or_else(|| required("symbol"))?;
            let input = GridInput {
                symbol,
                lower: body.price_range_lower.ok_or_else(|| required("price_range_lower"))?,
                upper: body.price_range_upper.ok_or_else(|| required("price_range_upper"))?,
                grids: body.grid_count.ok_or_else(|| required("grid_count"))?,
                spacing: body.grid_type,
                mode: body.mode,
                investment: None,
                leverage: body.leverage,
                trigger_price: None,
                stop_loss: None,
                take_profit: None,
                on_out_of_range: None,
                close_on_stop: None,
            };
            let source = if body.is_ai_recommended == Some(true) {
                BotSource::Recommendation
            } else {
                BotSource::Manual
            };
            (input, source)
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::validation(
                "config",
                "give either config or recommendation, not both",
                "config와 recommendation 중 하나만 입력하세요",
            ))
        }
    };
    let mut config = input.to_config(investment)?.with_investment_ratio(ratio);
    if body.stop_loss_percent.is_some() || body.take_profit_percent.is_some() {
        let instrument = instrument_for(state, user, &config.symbol).await?;
        let long_side = config.mode != GridMode::Short;
        let (sl_edge, tp_edge) = if long_side {
            (config.lower, config.upper)
        } else {
            (config.upper, config.lower)
        };
        let sl = stop_price(
            "stop_loss_percent",
            body.stop_loss_percent,
            sl_edge,
            long_side,
            &instrument,
        )?;
        let tp = stop_price(
            "take_profit_percent",
            body.take_profit_percent,
            tp_edge,
            !long_side,
            &instrument,
        )?;
        let (old_sl, old_tp) = (config.stop_loss, config.take_profit);
        config = config.with_stops(sl.or(old_sl), tp.or(old_tp));
    }
    Ok((config, source))
}

async fn grid_view(state: &AppState, user: &AuthUser, id: i64, lang: Lang) -> ApiResult<GridBotView> {
    let bot = owned_bot(state, user, id).await?;
    let view = owned_view(state, user, id, lang).await?;
    GridBotView::new(&bot, view, lang)
        .ok_or_else(|| ApiError::not_found(format!("grid bot {id}"), format!("그리드 봇 {id}")))
}

/// Saves a grid bot (`created`), or with `"start": true` creates and starts
/// it in one guarded write.
#[utoipa::path(post, path = "/api/v1/grid-bot/create", tag = "grid-bot", security(("bearer" = [])),
    request_body = CreateRequest,
    responses((status = 201, body = GridBotView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiJson(body): ApiJson<CreateRequest>,
) -> ApiResult<(StatusCode, Json<GridBotView>)> {
    let start = body.start == Some(true);
    let (config, source) = create_config(&state, &user, body).await?;
    let (plan, _) = plan_for(&state, &user, &config).await?;
    if let Some(first) = plan.errors.first() {
        return Err(invalid_plan(first));
    }
    let manager = &state.services.manager;
    let bot = if start {
        manager.start_new_grid(user.id, config, source).await?
    } else {
        manager.create_grid(user.id, config, source).await?
    };
    Ok((
        StatusCode::CREATED,
        Json(grid_view(&state, &user, bot.id.0, lang).await?),
    ))
}

/// Starts a created or stopped grid bot.
#[utoipa::path(post, path = "/api/v1/grid-bot/{id}/start", tag = "grid-bot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "bot id")),
    responses((status = 200, body = GridBotView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<GridBotView>> {
    owned_grid(&state, &user, id).await?;
    state.services.manager.start_bot(user.id, BotId(id)).await?;
    Ok(Json(grid_view(&state, &user, id, lang).await?))
}

async fn owned_grid(state: &AppState, user: &AuthUser, id: i64) -> ApiResult<GridConfig> {
    match owned_bot(state, user, id).await?.kind {
        BotKind::Grid(g) => Ok(g),
        _ => Err(ApiError::not_found(format!("grid bot {id}"), format!("그리드 봇 {id}"))),
    }
}

/// Stops a grid bot: cancel orders, close the position, mark it stopped.
#[utoipa::path(post, path = "/api/v1/grid-bot/{id}/stop", tag = "grid-bot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "bot id")),
    responses((status = 200, body = GridBotView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn stop(
    State(state): State<AppState>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<GridBotView>> {
    owned_grid(&state, &user, id).await?;
    state.services.manager.stop_bot(user.id, BotId(id)).await?;
    Ok(Json(grid_view(&state, &user, id, lang).await?))
}

/// `deserialize_with` telling an absent field (`None`) from `null` (`Some(None)`).
fn patch<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Decimal>>, D::Error> {
    input::opt_decimal(d).map(Some)
}

/// New controls of a grid: an absent field is left as it is, `null`
/// removes it.
#[derive(Debug, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct EditRequest {
    /// Stop-loss price.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub stop_loss: Option<Option<Decimal>>,
    /// Take-profit price.
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub take_profit: Option<Option<Decimal>>,
    /// Trigger price (only matters while the grid waits for it).
    #[serde(default, deserialize_with = "patch")]
    #[schema(value_type = Option<String>)]
    pub trigger_price: Option<Option<Decimal>>,
}

/// Changes a grid's stop-loss, take-profit or trigger, also while it runs
/// (the runner resumes with them; its orders and fills are kept).
#[utoipa::path(patch, path = "/api/v1/grid-bot/{id}", tag = "grid-bot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "bot id")), request_body = EditRequest,
    responses((status = 200, body = GridBotView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn edit(
    State(state): State<AppState>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<EditRequest>,
) -> ApiResult<Json<GridBotView>> {
    owned_grid(&state, &user, id).await?;
    let checked = |field: &str, v: Option<Option<Decimal>>| -> ApiResult<Option<Option<Decimal>>> {
        v.map(|p| input::opt_price(field, p)).transpose()
    };
    let controls = GridControls::new(
        checked("stop_loss", body.stop_loss)?,
        checked("take_profit", body.take_profit)?,
        checked("trigger_price", body.trigger_price)?,
    );
    state
        .services
        .manager
        .edit_grid_controls(user.id, BotId(id), controls)
        .await?;
    Ok(Json(grid_view(&state, &user, id, lang).await?))
}

/// The user's grid bots, newest first.
#[utoipa::path(get, path = "/api/v1/grid-bot/list", tag = "grid-bot", security(("bearer" = [])),
    responses((status = 200, body = [GridBotView]), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
) -> ApiResult<Json<Vec<GridBotView>>> {
    let bots = state.store.bots_for_user(user.id, None).await?;
    let mut out = Vec::new();
    for b in bots.iter().filter(|b| matches!(b.kind, BotKind::Grid(_))) {
        let view = owned_view(&state, &user, b.id.0, lang).await?;
        out.extend(GridBotView::new(b, view, lang));
    }
    Ok(Json(out))
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
    /// Total PnL / allocation, percent (the owner's ROI).
    pub roi: f64,
    /// Total PnL / allocation, percent.
    #[schema(value_type = String)]
    pub roi_pct: Decimal,
    /// ROI annualised, percent; null until the bot has run a day.
    #[schema(value_type = Option<String>)]
    pub apr_pct: Option<Decimal>,
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
    /// Completed round trips.
    pub total_trades: u64,
    /// Equity curve, oldest first (≤ 500 points).
    pub equity_curve: Vec<EquityPoint>,
    /// Grid lines (grid bots), lowest first.
    #[schema(value_type = Vec<String>)]
    pub levels: Vec<Decimal>,
    /// One position per grid cell (grid bots, once started).
    pub grid_positions: Vec<GridPositionView>,
    /// Intended or open orders.
    pub open_orders: Vec<OrderView>,
    /// The newest trades (≤ 200), oldest first.
    pub trades: Vec<TradeView>,
    /// The market's last price.
    #[schema(value_type = Option<String>)]
    pub current_price: Option<Decimal>,
    /// The contract's price step (for display).
    #[schema(value_type = Option<String>)]
    pub tick_size: Option<Decimal>,
    /// The contract's quantity step (for display).
    #[schema(value_type = Option<String>)]
    pub lot_size: Option<Decimal>,
}

/// ROI, APR, grid profit, unrealised PnL, fees, fills, equity curve, grid
/// lines and positions, open orders and trades of one bot (grid or trend).
#[utoipa::path(get, path = "/api/v1/grid-bot/{id}/performance", tag = "grid-bot", security(("bearer" = [])),
    params(("id" = i64, Path, description = "bot id")),
    responses((status = 200, body = PerformanceView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn performance(
    State(state): State<AppState>,
    user: AuthUser,
    ReqLang(lang): ReqLang,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<PerformanceView>> {
    let stored = owned_bot(&state, &user, id).await?;
    let bot = owned_view(&state, &user, id, lang).await?;
    let store = &state.store;
    let bid = BotId(id);
    let curve = store.equity_curve(bid, 500).await?;
    let orders = store.orders_for_bot(bid, true).await?;
    let fills = store.fills_for_bot(bid, 200).await?;
    let current_price = state.services.market.last_price(&stored.symbol).await.ok();
    let instrument = instrument_for(&state, &user, &stored.symbol).await.ok();
    let levels = match (&stored.kind, &instrument) {
        (BotKind::Grid(g), Some(i)) => {
            grid::levels::levels(g.lower, g.upper, g.grids, g.spacing, i.tick_size).unwrap_or_default()
        }
        _ => Vec::new(),
    };
    Ok(Json(PerformanceView {
        roi: bot.current_pnl_percent,
        roi_pct: bot.roi_pct,
        apr_pct: bot.apr_pct,
        grid_profit: bot.grid_profit,
        unrealized_pnl: bot.unrealized_pnl,
        realized_pnl: bot.realized_pnl,
        fees: bot.fees,
        fills: bot.fills,
        total_trades: bot.total_trades,
        equity_curve: curve
            .into_iter()
            .map(|p| EquityPoint {
                ts: p.ts,
                equity: p.equity,
                pnl: p.pnl,
            })
            .collect(),
        levels,
        grid_positions: grid_positions(&stored),
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
        tick_size: instrument.as_ref().map(|i| i.tick_size),
        lot_size: instrument.as_ref().map(|i| i.lot_size),
        bot,
    }))
}
