//! The trading services the routes call: the multi-bot manager (start,
//! stop, list, balance checks), public market data and the advisor.

use std::sync::Arc;

use gridbot_core::advisor::GridBacktester;
use gridbot_core::manager::{ManagerError, MultiBotManager};
use gridbot_core::ports::{Advisor, MarketData};
use serde_json::json;

use crate::error::ApiError;

/// The services behind the trading routes.
///
/// Not `#[non_exhaustive]`: `gridbot serve` builds it with a struct literal.
#[derive(Clone)]
pub struct Services {
    /// Bot life cycle and the balance controller.
    pub manager: Arc<MultiBotManager>,
    /// Public prices and candles.
    pub market: Arc<dyn MarketData>,
    /// Grid recommendations.
    pub advisor: Arc<dyn Advisor>,
    /// Single grid backtests (`POST /backtest`).
    pub backtester: Arc<dyn GridBacktester>,
}

impl From<ManagerError> for ApiError {
    fn from(e: ManagerError) -> Self {
        use axum::http::StatusCode;
        match e {
            ManagerError::Validation(v) => v.into(),
            ManagerError::Exchange(x) => x.into(),
            ManagerError::Store(s) => s.into(),
            ManagerError::BotNotFound(id) => ApiError::not_found(format!("bot {id}")),
            ManagerError::TemplateNotFound(id) => ApiError::not_found(format!("strategy template {id}")),
            other => {
                let status = StatusCode::from_u16(other.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                if status.is_server_error() {
                    return ApiError::internal(other);
                }
                let details = match &other {
                    ManagerError::AmountOutOfRange { amount, min, max } => {
                        json!({ "field": "amount", "amount": amount, "min": min, "max": max })
                    }
                    ManagerError::BotLimitReached { active, max } => json!({ "active": active, "max": max }),
                    ManagerError::SymbolBusy { symbol } => json!({ "symbol": symbol }),
                    ManagerError::InsufficientBalance { available, requested } => {
                        json!({ "available": available, "requested": requested })
                    }
                    ManagerError::LeverageAboveCap { leverage, cap } => json!({ "leverage": leverage, "cap": cap }),
                    _ => serde_json::Value::Null,
                };
                let code = match &other {
                    ManagerError::AmountOutOfRange { .. } | ManagerError::LeverageAboveCap { .. } => "validation",
                    ManagerError::InvalidState { .. } => "conflict",
                    _ => other.kind(),
                };
                ApiError::new(status, code, other.to_string()).with_details(details)
            }
        }
    }
}
