//! The API's error envelope: every failure answers
//! `{"error":{"code","message","details"}}` with a status that tells the
//! client what it can do.
//!
//! | status | code                    | when                                              |
//! |--------|-------------------------|---------------------------------------------------|
//! | 400    | `validation`            | malformed or out-of-range input                   |
//! | 401    | `unauthorized`          | missing, bad or expired token; wrong password     |
//! | 404    | `not_found`             | unknown id, or an id that belongs to another user |
//! | 409    | `conflict` / `bot_limit_reached` / `symbol_busy` | duplicate name, five active bots, symbol taken |
//! | 422    | `insufficient_balance`  | the allocation would exceed the balance           |
//! | 429    | `rate_limited`          | too many login attempts or upstream calls         |
//! | 502    | `exchange_error`        | the exchange refused or could not be reached      |
//! | 500    | `internal`              | anything else; the message never says more        |
//!
//! Invariant: a 500 never carries the underlying error's text; the text is
//! logged (it never contains secrets: credentials are never formatted).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gridbot_core::{AdvisorError, ExchangeError, MarketDataError, StoreError, ValidationError};
use serde::Serialize;
use serde_json::{json, Value};

/// An API failure, turned into the error envelope by [`IntoResponse`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable code (`validation`, `not_found`, ...).
    pub code: &'static str,
    /// Human-readable message a user can act on.
    pub message: String,
    /// Extra structured information (the field at fault, the limits, ...).
    pub details: Value,
}

/// The body of an error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[non_exhaustive]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The inside of the error envelope.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[non_exhaustive]
pub struct ErrorDetail {
    /// Machine-readable code.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// Extra information, or null.
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    /// An error with the given status, code and message and no details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Value::Null,
        }
    }

    /// With structured details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// 400 for `field`.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::new(StatusCode::BAD_REQUEST, "validation", format!("{field}: {message}"))
            .with_details(json!({ "field": field }))
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 404 naming what was looked for.
    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{} not found", what.into()))
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 429, with the suggested wait in seconds.
    pub fn rate_limited(message: impl Into<String>, retry_after_secs: u64) -> Self {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
            .with_details(json!({ "retry_after_secs": retry_after_secs }))
    }

    /// 500. `cause` is logged, never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error answering a request");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the server log has the details",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.details.get("retry_after_secs").and_then(Value::as_u64);
        let body = Json(json!({
            "error": { "code": self.code, "message": self.message, "details": self.details }
        }));
        let mut response = (self.status, body).into_response();
        if let Some(secs) = retry_after {
            if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        response
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        ApiError::validation(&e.field, e.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(what),
            StoreError::Conflict(_) => ApiError::conflict(e.to_string()),
            StoreError::BotLimitReached { active, max } => {
                ApiError::new(StatusCode::CONFLICT, "bot_limit_reached", e.to_string())
                    .with_details(json!({ "active": active, "max": max }))
            }
            StoreError::SymbolBusy { ref symbol } => {
                let symbol = symbol.clone();
                ApiError::new(StatusCode::CONFLICT, "symbol_busy", e.to_string())
                    .with_details(json!({ "symbol": symbol }))
            }
            StoreError::InsufficientBalance { available, requested } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "insufficient_balance", e.to_string())
                    .with_details(json!({ "available": available, "requested": requested }))
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<ExchangeError> for ApiError {
    fn from(e: ExchangeError) -> Self {
        match e {
            ExchangeError::InsufficientBalance(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "insufficient_balance", e.to_string())
            }
            ExchangeError::UnknownSymbol(_) => ApiError::validation("symbol", e.to_string()),
            ExchangeError::Precision(_) | ExchangeError::BelowMinimum(_) | ExchangeError::InvalidOrder(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "validation", e.to_string())
            }
            ExchangeError::Auth(ref why) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "exchange_auth",
                format!(
                    "exchange credentials missing or refused ({why}); check the key, secret, passphrase and demo flag"
                ),
            ),
            ExchangeError::RateLimited { retry_after_ms } => ApiError::rate_limited(
                "the exchange is rate limiting; retry shortly",
                retry_after_ms.div_ceil(1000),
            ),
            ExchangeError::NotFound(what) => ApiError::not_found(what),
            ExchangeError::Connectivity(_) | ExchangeError::Timeout(_) => {
                tracing::warn!(error = %e, "exchange unreachable while answering a request");
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "exchange_unavailable",
                    "the exchange could not be reached",
                )
            }
            other => {
                tracing::warn!(error = %other, "exchange refused a request");
                ApiError::new(StatusCode::BAD_GATEWAY, "exchange_error", other.to_string())
            }
        }
    }
}

impl From<MarketDataError> for ApiError {
    fn from(e: MarketDataError) -> Self {
        match e {
            MarketDataError::UnknownSymbol(_) => ApiError::validation("symbol", e.to_string()),
            MarketDataError::NoData(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_market_data", e.to_string())
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<AdvisorError> for ApiError {
    fn from(e: AdvisorError) -> Self {
        match e {
            AdvisorError::Invalid(v) => v.into(),
            AdvisorError::NotEnoughData(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_enough_data", e.to_string())
            }
            AdvisorError::NoViableGrid(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_viable_grid", e.to_string())
            }
            AdvisorError::RateLimited(_) => ApiError::rate_limited(e.to_string(), 60),
            other => ApiError::internal(other),
        }
    }
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn store_refusals_map_to_409_and_422() {
        let e: ApiError = StoreError::BotLimitReached { active: 5, max: 5 }.into();
        assert_eq!((e.status, e.code), (StatusCode::CONFLICT, "bot_limit_reached"));
        let e: ApiError = StoreError::SymbolBusy {
            symbol: "BTCUSDT".into(),
        }
        .into();
        assert_eq!((e.status, e.code), (StatusCode::CONFLICT, "symbol_busy"));
        let e: ApiError = StoreError::InsufficientBalance {
            available: dec!(10),
            requested: dec!(20),
        }
        .into();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.details["available"], "10");
    }

    #[test]
    fn database_errors_become_500_without_their_text() {
        let e: ApiError = StoreError::Database("password=hunter2 host=db".into()).into();
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.message.contains("hunter2"));
    }
}
