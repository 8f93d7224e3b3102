//! The API's error envelope: every failure answers
//! `{"error":{"code","message","field","details"}}` with a status that tells
//! the client what it can do.
//!
//! - `code` is stable and machine-readable (`bot_limit_reached`, ...);
//! - `message` is a sentence a person can act on, in the request's language
//!   ([`crate::i18n::Lang`]: English or Korean), never Rust or serde syntax;
//! - `field` names the request field at fault, or is null;
//! - `details` is always an object (the limits, the amounts; `{}` when
//!   there is nothing more).
//!
//! | status | codes                                                                 | when |
//! |--------|-----------------------------------------------------------------------|------|
//! | 400    | `validation`, `amount_out_of_range`, `leverage_above_cap`, `template_inactive`, `exchange_auth`, `invalid_plan` | malformed or out-of-range input |
//! | 401    | `unauthorized`                                                        | missing, bad or expired token; wrong password; unknown user |
//! | 404    | `not_found`, `bot_not_found`, `template_not_found`                    | unknown id, or an id that belongs to another user |
//! | 405    | `method_not_allowed`                                                  | the route exists, not with this method |
//! | 409    | `conflict`, `invalid_state`, `bot_limit_reached`, `symbol_busy`, `open_position_limit`, `daily_loss_limit`, `bot_owned` | the start or change cannot happen now |
//! | 413    | `payload_too_large`                                                   | a body over the limit |
//! | 415    | `validation`                                                          | a body without `Content-Type: application/json` |
//! | 422    | `insufficient_balance`, `no_market_data`, `not_enough_data`, `no_viable_grid` | the request is valid but the money or the market does not allow it |
//! | 429    | `rate_limited`                                                        | too many login attempts or upstream calls |
//! | 502/503| `exchange_error`, `exchange_unavailable`                              | the exchange refused or could not be reached |
//! | 500    | `internal`                                                            | anything else; the message never says more |
//!
//! How the language is applied: [`ApiError`]'s response carries the English
//! body and the error itself as a response extension; the router's
//! [`localize`] middleware re-renders it in Korean when the request asked for
//! Korean, and wraps any answer of the framework that has no envelope (a
//! 405, a 413) into one.
//!
//! Invariant: a 500 never carries the underlying error's text; the text is
//! logged (it never contains secrets: credentials are never formatted).

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gridbot_core::grid::{PlanError, PlanWarning};
use gridbot_core::{AdvisorError, ExchangeError, MarketDataError, StoreError, ValidationError};
use serde::Serialize;
use serde_json::{json, Value};

use crate::i18n::{dollars, field_ko, Lang, Text};

/// An API failure, turned into the error envelope by [`IntoResponse`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable code (`validation`, `not_found`, ...).
    pub code: &'static str,
    /// The message in English and Korean (boxed: errors travel in every
    /// `Result` of the crate, so they stay small).
    pub text: Box<Text>,
    /// The request field at fault.
    pub field: Option<String>,
    /// Extra structured information (the limits, the amounts, ...): an object.
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
    /// Machine-readable, stable code.
    pub code: String,
    /// A sentence for a person, in the request's language.
    pub message: String,
    /// The request field at fault, if one is.
    pub field: Option<String>,
    /// Extra information (limits, amounts); `{}` when there is none.
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    /// An error with the given status, code and message, no field and no details.
    pub fn new(status: StatusCode, code: &'static str, text: Text) -> Self {
        ApiError {
            status,
            code,
            text: Box::new(text),
            field: None,
            details: json!({}),
        }
    }

    /// With structured details (an object; anything else is kept under `value`).
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = match details {
            Value::Object(_) => details,
            Value::Null => json!({}),
            other => json!({ "value": other }),
        };
        self
    }

    /// Naming the request field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The message in English (logs, tests).
    pub fn message(&self) -> &str {
        &self.text.en
    }

    /// 400 `validation` for `field`; `en` / `ko` say what is wrong with it
    /// (the field is named in front: "amount: must be greater than 0").
    pub fn validation(field: &str, en: impl AsRef<str>, ko: impl AsRef<str>) -> Self {
        let text = Text::new(
            format!("{field}: {}", en.as_ref()),
            format!("{}: {}", field_ko(field), ko.as_ref()),
        );
        ApiError::new(StatusCode::BAD_REQUEST, "validation", text).with_field(field)
    }

    /// 401.
    pub fn unauthorized(text: Text) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", text)
    }

    /// 404 `not_found` naming what was looked for (`what_en` / `what_ko`).
    pub fn not_found(what_en: impl AsRef<str>, what_ko: impl AsRef<str>) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            Text::new(
                format!("{} not found", what_en.as_ref()),
                format!("{}을(를) 찾을 수 없습니다", what_ko.as_ref()),
            ),
        )
    }

    /// 409 `conflict`.
    pub fn conflict(text: Text) -> Self {
        ApiError::new(StatusCode::CONFLICT, "conflict", text)
    }

    /// 429, with the suggested wait in seconds.
    pub fn rate_limited(text: Text, retry_after_secs: u64) -> Self {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", text)
            .with_details(json!({ "retry_after_secs": retry_after_secs }))
    }

    /// 500. `cause` is logged, never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error answering a request");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            Text::new(
                "internal error; the server log has the details",
                "내부 오류가 발생했습니다. 자세한 내용은 서버 로그에 있습니다",
            ),
        )
    }

    /// The envelope in `lang`.
    pub fn body(&self, lang: Lang) -> Value {
        json!({
            "error": {
                "code": self.code,
                "message": self.text.get(lang),
                "field": self.field,
                "details": self.details,
            }
        })
    }

    /// The response in `lang`.
    pub fn response(&self, lang: Lang) -> Response {
        let retry_after = self.details.get("retry_after_secs").and_then(Value::as_u64);
        let mut response = (self.status, Json(self.body(lang))).into_response();
        if let Some(secs) = retry_after {
            if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        response.extensions_mut().insert(Rendered(self.clone()));
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.text.en)
    }
}

impl std::error::Error for ApiError {}

/// The error a response was rendered from (a response extension), so
/// [`localize`] can render it again in the request's language.
#[derive(Debug, Clone)]
struct Rendered(ApiError);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.response(Lang::En)
    }
}

/// Middleware: renders errors in the request's language and gives the
/// framework's own bare answers (405, 413, ...) the envelope.
pub async fn localize(request: Request, next: Next) -> Response {
    let lang = Lang::from_request(request.headers(), request.uri().query());
    let response = next.run(request).await;
    if let Some(Rendered(e)) = response.extensions().get::<Rendered>().cloned() {
        if lang == Lang::En {
            return response;
        }
        let mut localized = e.response(lang);
        for (name, value) in response.headers() {
            if !localized.headers().contains_key(name) {
                localized.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return localized;
    }
    let status = response.status();
    let bare = match status {
        StatusCode::METHOD_NOT_ALLOWED => Some(ApiError::new(
            status,
            "method_not_allowed",
            Text::new(
                "this route does not answer this method; see /openapi.json",
                "이 경로는 이 메서드를 지원하지 않습니다. /openapi.json을 확인하세요",
            ),
        )),
        StatusCode::PAYLOAD_TOO_LARGE => Some(ApiError::new(
            status,
            "payload_too_large",
            Text::new("the request body is too large", "요청 본문이 너무 큽니다"),
        )),
        _ => None,
    };
    match bare {
        Some(e) => {
            let mut r = e.response(lang);
            if let Some(allow) = response.headers().get(axum::http::header::ALLOW) {
                r.headers_mut().insert(axum::http::header::ALLOW, allow.clone());
            }
            r
        }
        None => response,
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        // The core's own sentence, behind a Korean lead naming the field.
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "validation",
            Text::new(
                format!("{}: {}", e.field, e.message),
                format!("{} 값이 올바르지 않습니다 ({})", field_ko(&e.field), e.message),
            ),
        )
        .with_field(e.field)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::not_found(&what, &what),
            StoreError::Conflict(ref why) => ApiError::conflict(Text::new(
                e.to_string(),
                format!("이미 존재하거나 지금은 할 수 없는 변경입니다 ({why})"),
            )),
            StoreError::BotLimitReached { active, max } => bot_limit(active, max),
            StoreError::SymbolBusy { ref symbol } => symbol_busy(symbol),
            StoreError::InsufficientBalance { available, requested } => insufficient(available, requested),
            // The books refused a fill (beyond its order, or no order of the
            // bot explains it): the bot's own state, which the user acts on
            // (the message says how), not a server fault.
            StoreError::FillRefused { bot, ref reason } => ApiError::new(
                StatusCode::CONFLICT,
                "fill_refused",
                Text::new(
                    e.to_string(),
                    format!("봇 {bot}의 체결을 장부에 기록할 수 없습니다: {reason}"),
                ),
            )
            .with_details(json!({ "bot_id": bot.0 })),
            other => ApiError::internal(other),
        }
    }
}

/// 409 `bot_limit_reached`.
pub fn bot_limit(active: u32, max: u32) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "bot_limit_reached",
        Text::new(
            format!("you can run at most {max} bots at once ({active} are active); stop one first"),
            format!("최대 {max}개의 봇만 운용할 수 있습니다"),
        ),
    )
    .with_details(json!({ "active": active, "max": max }))
}

/// 409 `symbol_busy`.
pub fn symbol_busy(symbol: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "symbol_busy",
        Text::new(
            format!("a {symbol} bot is already running; stop it first or pick another symbol"),
            format!("{symbol} 봇이 이미 실행 중입니다"),
        ),
    )
    .with_field("symbol")
    .with_details(json!({ "symbol": symbol }))
}

/// 422 `insufficient_balance`.
pub fn insufficient(available: rust_decimal::Decimal, requested: rust_decimal::Decimal) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "insufficient_balance",
        Text::new(
            format!(
                "insufficient balance (available: {}); {} requested",
                dollars(available),
                dollars(requested)
            ),
            format!("잔고가 부족합니다 (사용 가능: {})", dollars(available)),
        ),
    )
    .with_field("amount")
    .with_details(json!({ "available": available, "requested": requested }))
}

impl From<ExchangeError> for ApiError {
    fn from(e: ExchangeError) -> Self {
        let said = e.to_string();
        match e {
            ExchangeError::InsufficientBalance(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "insufficient_balance",
                Text::new(
                    format!("the exchange refused: {said}"),
                    format!("거래소 잔고가 부족합니다 ({said})"),
                ),
            ),
            ExchangeError::UnknownSymbol(ref s) => ApiError::validation(
                "symbol",
                format!("{s} is not traded here"),
                format!("{s}은(는) 여기서 거래되지 않습니다"),
            ),
            ExchangeError::Precision(_) | ExchangeError::BelowMinimum(_) | ExchangeError::InvalidOrder(_) => {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "validation",
                    Text::new(said.clone(), format!("거래소 규칙에 맞지 않는 주문입니다 ({said})")),
                )
            }
            ExchangeError::Auth(ref why) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "exchange_auth",
                Text::new(
                    format!(
                        "exchange credentials missing or refused ({why}); check the key, secret, passphrase and demo flag"
                    ),
                    format!(
                        "거래소 API 키가 없거나 거부되었습니다 ({why}). 키, 시크릿, 패스프레이즈와 데모 설정을 확인하세요"
                    ),
                ),
            ),
            ExchangeError::RateLimited { retry_after_ms } => ApiError::rate_limited(
                Text::new(
                    "the exchange is rate limiting; retry shortly",
                    "거래소 요청 한도에 걸렸습니다. 잠시 후 다시 시도하세요",
                ),
                retry_after_ms.div_ceil(1000),
            ),
            ExchangeError::NotFound(ref what) => ApiError::not_found(what, what),
            ExchangeError::Connectivity(_) | ExchangeError::Timeout(_) => {
                tracing::warn!(error = %said, "exchange unreachable while answering a request");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "exchange_unavailable",
                    Text::new(
                        "the exchange could not be reached; retry shortly",
                        "거래소에 연결할 수 없습니다. 잠시 후 다시 시도하세요",
                    ),
                )
            }
            other => {
                tracing::warn!(error = %other, "exchange refused a request");
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "exchange_error",
                    Text::new(
                        format!("the exchange refused: {other}"),
                        format!("거래소가 요청을 거부했습니다 ({other})"),
                    ),
                )
            }
        }
    }
}

impl From<MarketDataError> for ApiError {
    fn from(e: MarketDataError) -> Self {
        match e {
            MarketDataError::UnknownSymbol(ref s) => ApiError::validation(
                "symbol",
                format!("{s} is not traded here"),
                format!("{s}은(는) 여기서 거래되지 않습니다"),
            ),
            MarketDataError::NoData(ref s) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_market_data",
                Text::new(
                    format!("no market data yet for {s}; retry in a minute"),
                    format!("{s}의 시장 데이터가 아직 없습니다. 1분 후 다시 시도하세요"),
                ),
            ),
            other => ApiError::internal(other),
        }
    }
}

impl From<AdvisorError> for ApiError {
    fn from(e: AdvisorError) -> Self {
        match e {
            AdvisorError::Invalid(v) => v.into(),
            AdvisorError::NotEnoughData(ref why) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_enough_data",
                Text::new(
                    format!("not enough market history to analyse: {why}"),
                    "분석에 필요한 시장 데이터가 부족합니다",
                ),
            ),
            AdvisorError::NoViableGrid(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_viable_grid",
                Text::new(
                    "no grid setup passed the backtest rules for this market now",
                    "지금 이 시장에는 백테스트 기준을 통과한 그리드 설정이 없습니다",
                ),
            ),
            AdvisorError::RateLimited(_) => ApiError::rate_limited(
                Text::new(
                    "the advisor is busy; retry in a minute",
                    "추천 요청이 많습니다. 1분 후 다시 시도하세요",
                ),
                60,
            ),
            other => ApiError::internal(other),
        }
    }
}

/// A broken grid rule as a sentence in both languages.
pub fn plan_error_text(e: &PlanError) -> Text {
    let en = match e {
        // The core's sentence writes the range the Rust way (`2..=200`).
        PlanError::GridCountOutOfRange { grids, min, max } => {
            format!("grid count {grids} must be between {min} and {max}")
        }
        other => other.to_string(),
    };
    let ko = match e {
        PlanError::InvalidRange { lower, upper } => format!("하한가 {lower}는 상한가 {upper}보다 낮아야 합니다"),
        PlanError::GridCountOutOfRange { grids, min, max } => {
            format!("그리드 수 {grids}는 {min}에서 {max} 사이여야 합니다")
        }
        PlanError::SpacingBelowTick { min_step, tick_size } => format!(
            "그리드 간격 {min_step}이(가) 최소 가격 단위 {tick_size}보다 작습니다. 그리드 수를 줄이거나 범위를 넓히세요"
        ),
        PlanError::QtyBelowMinQty { qty, min_qty } => format!(
            "그리드당 수량 {qty}이(가) 최소 수량 {min_qty}보다 작습니다. 투자금이나 레버리지를 늘리거나 그리드 수를 줄이세요"
        ),
        PlanError::NotionalBelowMin { notional, min_notional } => format!(
            "최저가의 주문 금액 {notional} USDT가 최소 {min_notional} USDT보다 작습니다. 투자금이나 레버리지를 늘리거나 그리드 수를 줄이세요"
        ),
        PlanError::UnprofitableGrid { min_profit_pct } => format!(
            "수수료를 빼면 그리드당 수익이 {min_profit_pct}%입니다. 그리드 수를 줄이거나 범위를 넓히세요"
        ),
        PlanError::LiquidationInRange {
            liquidation_price,
            lower,
            upper,
        } => format!(
            "예상 청산가 {liquidation_price}이(가) 범위 {lower}–{upper} 안에 있습니다. 레버리지를 낮추거나 범위를 좁히세요"
        ),
        PlanError::LeverageAboveLimit { leverage, max_leverage } => {
            format!("레버리지 {leverage}배는 이 계약의 최대 {max_leverage}배를 넘습니다")
        }
        _ => en.clone(),
    };
    Text::new(en, ko)
}

/// A plan warning as a sentence in both languages.
pub fn plan_warning_text(w: &PlanWarning) -> Text {
    let en = w.to_string();
    let ko = match w {
        PlanWarning::StartOutsideRange {
            start_price,
            lower,
            upper,
        } => format!("시작 가격 {start_price}이(가) 범위 {lower}–{upper} 밖에 있어 모든 주문이 한쪽에만 놓입니다"),
        PlanWarning::LiquidationNearRange { liquidation_price } => {
            format!("예상 청산가 {liquidation_price}이(가) 범위에서 5% 이내입니다")
        }
        PlanWarning::StopLossBeyondLiquidation {
            stop_loss,
            liquidation_price,
        } => format!("손절가 {stop_loss}이(가) 예상 청산가 {liquidation_price}보다 멀어 작동하지 않습니다"),
        PlanWarning::StopInsideRange {
            which,
            price,
            lower,
            upper,
        } => {
            let what = if which == "stop-loss" { "손절가" } else { "익절가" };
            format!("{what} {price}이(가) 범위 {lower}–{upper} 안에 있습니다")
        }
        PlanWarning::ThinProfit { min_profit_pct } => {
            format!("가장 나쁜 그리드의 수익이 {min_profit_pct}%뿐입니다. 슬리피지나 시장가 체결이면 손실이 됩니다")
        }
        PlanWarning::InvestmentUnderused { used_pct } => {
            format!("수량을 최소 단위로 내리면 투자금의 {used_pct}%만 사용됩니다")
        }
        _ => en.clone(),
    };
    Text::new(en, ko)
}

/// 400 `invalid_plan`: the first broken grid rule.
pub fn invalid_plan(e: &PlanError) -> ApiError {
    let field = match e {
        PlanError::InvalidRange { .. } => "price_range_lower",
        PlanError::GridCountOutOfRange { .. } | PlanError::SpacingBelowTick { .. } => "grid_count",
        PlanError::LeverageAboveLimit { .. } | PlanError::LiquidationInRange { .. } => "leverage",
        _ => "investment_amount",
    };
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_plan", plan_error_text(e))
        .with_field(field)
        .with_details(json!({ "rule": e.code() }))
}

/// The result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn store_refusals_map_to_409_and_422_with_the_owners_korean() {
        let e: ApiError = StoreError::BotLimitReached { active: 5, max: 5 }.into();
        assert_eq!((e.status, e.code), (StatusCode::CONFLICT, "bot_limit_reached"));
        assert_eq!(e.text.ko, "최대 5개의 봇만 운용할 수 있습니다");
        let e: ApiError = StoreError::SymbolBusy {
            symbol: "BTCUSDT".into(),
        }
        .into();
        assert_eq!((e.status, e.code), (StatusCode::CONFLICT, "symbol_busy"));
        assert_eq!(e.text.ko, "BTCUSDT 봇이 이미 실행 중입니다");
        let e: ApiError = StoreError::InsufficientBalance {
            available: dec!(9500),
            requested: dec!(20000),
        }
        .into();
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.details["available"], "9500");
        assert_eq!(e.text.ko, "잔고가 부족합니다 (사용 가능: $9,500.00)");
    }

    #[test]
    fn database_errors_become_500_without_their_text() {
        let e: ApiError = StoreError::Database("password=hunter2 host=db".into()).into();
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.text.en.contains("hunter2") && !e.text.ko.contains("hunter2"));
    }

    #[test]
    fn a_refused_fill_is_a_conflict_naming_the_bot_not_a_server_fault() {
        let e: ApiError = StoreError::FillRefused {
            bot: gridbot_core::model::BotId(7),
            reason: "fill f1 matches none of the bot's orders".into(),
        }
        .into();
        assert_eq!(e.status, StatusCode::CONFLICT);
        assert_eq!(e.code, "fill_refused");
        assert!(
            e.text.en.contains("bot 7") && e.text.en.contains("fill f1"),
            "{}",
            e.text.en
        );
        assert_eq!(e.details["bot_id"], 7);
    }

    #[test]
    fn details_are_always_an_object() {
        let e = ApiError::conflict(Text::new("x", "y")).with_details(Value::Null);
        assert!(e.body(Lang::En)["error"]["details"].is_object());
        assert!(e.body(Lang::En)["error"]["field"].is_null());
    }
}
