//! `POST /backtest`: a grid backtested on the market's recent candles.
//!
//! Decisions: the candles are the last `days` (1–30, default 7) at
//! `timeframe` (default `15m`) from the server's market data; the backtest
//! starts at the first candle's open with the config's investment and uses
//! the documented fill model of the paper exchange. It runs on the blocking
//! pool (it is CPU work).

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use gridbot_core::model::Interval;

use crate::auth::extract::AuthUser;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::routes::gridbot::GridInput;
use crate::state::AppState;

/// What to backtest.
#[derive(Debug, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct BacktestRequest {
    /// The grid (with its investment).
    pub config: GridInput,
    /// Days of history, 1–30 (default 7).
    pub days: Option<u32>,
    /// Candle interval (default `15m`).
    pub timeframe: Option<String>,
}

/// A point of the equity curve.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct CurvePoint {
    /// Time, ms.
    pub ts: i64,
    /// Equity, USDT.
    #[schema(value_type = String)]
    pub equity: Decimal,
}

/// A backtest's result.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct BacktestView {
    /// The contract.
    pub symbol: String,
    /// Candle interval used.
    pub timeframe: &'static str,
    /// Candles replayed.
    pub candles: usize,
    /// Days covered.
    #[schema(value_type = String)]
    pub days: Decimal,
    /// Return on the investment, percent.
    #[schema(value_type = String)]
    pub roi_pct: Decimal,
    /// ROI annualised, percent.
    #[schema(value_type = String)]
    pub apr_pct: Decimal,
    /// Largest peak-to-trough drop, percent.
    #[schema(value_type = String)]
    pub max_drawdown_pct: Decimal,
    /// Completed round trips.
    pub round_trips: u64,
    /// Whether the position was liquidated.
    pub liquidated: bool,
    /// Equity over time (≤ 500 points).
    pub equity_curve: Vec<CurvePoint>,
}

/// Backtests a grid on recent candles.
#[utoipa::path(post, path = "/api/v1/backtest", tag = "grid-bot", security(("bearer" = [])),
    request_body = BacktestRequest,
    responses((status = 200, body = BacktestView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn backtest(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<BacktestRequest>,
) -> ApiResult<Json<BacktestView>> {
    let config = body.config.to_config(None)?;
    let days = body.days.unwrap_or(7);
    if !(1..=30).contains(&days) {
        return Err(ApiError::validation(
            "days",
            "must be between 1 and 30",
            "1에서 30 사이여야 합니다",
        ));
    }
    let timeframe: Interval = body.timeframe.as_deref().unwrap_or("15m").parse().map_err(|_| {
        ApiError::validation(
            "timeframe",
            "must be one of 1m, 5m, 15m, 30m, 1h, 4h, 1d",
            "1m, 5m, 15m, 30m, 1h, 4h, 1d 중 하나여야 합니다",
        )
    })?;
    let exchange = state.accounts.exchange_for(user.id).await?;
    let instrument = exchange.instrument(&config.symbol).await?;
    let now = state.clock.now_ms();
    let start = timeframe.floor(now - i64::from(days) * 86_400_000);
    let candles = state
        .services
        .market
        .candles(&config.symbol, timeframe, start, now)
        .await?;
    if candles.len() < 2 {
        return Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "not_enough_data",
            crate::i18n::Text::new(
                format!("only {} candles of {} are available", candles.len(), config.symbol),
                format!("{}의 캔들이 {}개뿐입니다", config.symbol, candles.len()),
            ),
        ));
    }
    let n = candles.len();
    let backtester = Arc::clone(&state.services.backtester);
    let cfg = config.clone();
    let outcome = tokio::task::spawn_blocking(move || backtester.backtest(&cfg, &instrument, &candles))
        .await
        .map_err(ApiError::internal)??;
    Ok(Json(BacktestView {
        symbol: config.symbol.to_string(),
        timeframe: timeframe.as_str(),
        candles: n,
        days: outcome.days,
        roi_pct: outcome.roi_pct,
        apr_pct: outcome.apr_pct,
        max_drawdown_pct: outcome.max_drawdown_pct,
        round_trips: outcome.round_trips,
        liquidated: outcome.liquidated,
        equity_curve: outcome
            .equity_curve
            .into_iter()
            .map(|(ts, equity)| CurvePoint { ts, equity })
            .collect(),
    }))
}
