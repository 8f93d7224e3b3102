//! The trading services the routes call: the multi-bot manager (start,
//! stop, list, balance checks), public market data and the advisor.

use std::sync::Arc;

use gridbot_core::advisor::GridBacktester;
use gridbot_core::manager::{ManagerError, MultiBotManager};
use gridbot_core::ports::{Advisor, MarketData};
use serde_json::json;

use crate::error::ApiError;
use crate::i18n::{dollars, Text};

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

/// The Korean of a bot state, for messages.
fn state_ko(status: &str) -> &str {
    match status {
        "created" => "생성됨",
        "starting" => "시작 중",
        "running" => "실행 중",
        "paused" => "일시정지",
        "stopping" => "중지 중",
        "stopped" => "중지됨",
        "error" => "오류",
        other => other,
    }
}

/// The Korean of a refused action ("start it" → "시작할").
fn action_ko(action: &str) -> &str {
    match action {
        "start it" => "시작할",
        "stop it" => "중지할",
        "resume it" => "재개할",
        "delete it" => "삭제할",
        "edit it" => "수정할",
        _ => "변경할",
    }
}

impl From<ManagerError> for ApiError {
    fn from(e: ManagerError) -> Self {
        use axum::http::StatusCode;
        let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = e.kind();
        let en = e.to_string();
        let (ko, field, details) = match &e {
            ManagerError::Validation(_) | ManagerError::Exchange(_) | ManagerError::Store(_) => {
                return match e {
                    ManagerError::Validation(v) => v.into(),
                    ManagerError::Exchange(x) => x.into(),
                    ManagerError::Store(s) => s.into(),
                    _ => ApiError::internal("unreachable manager error mapping"),
                };
            }
            ManagerError::AmountOutOfRange { amount, min, max } => {
                let (en, ko) = if amount < min {
                    (
                        format!("minimum investment is {}", dollars(*min)),
                        format!("최소 투자금은 {}입니다", dollars(*min)),
                    )
                } else {
                    (
                        format!("maximum investment is {}", dollars(*max)),
                        format!("최대 투자금은 {}입니다", dollars(*max)),
                    )
                };
                return ApiError::new(status, code, Text::new(en, ko))
                    .with_field("amount")
                    .with_details(json!({ "amount": amount, "min": min, "max": max }));
            }
            ManagerError::LeverageAboveCap { leverage, cap } => (
                format!(
                    "레버리지 {leverage}배가 위험 한도 {cap}배를 넘습니다. 레버리지를 낮추거나 위험 설정에서 한도를 올리세요"
                ),
                Some("leverage"),
                json!({ "leverage": leverage, "cap": cap }),
            ),
            ManagerError::OpenPositionLimit { open, max } => (
                format!("이미 {open}개의 봇이 포지션을 보유 중입니다 (한도 {max}개). 봇 하나를 중지하거나 위험 설정에서 한도를 올리세요"),
                None,
                json!({ "open": open, "max": max }),
            ),
            ManagerError::DailyLossLimit { loss, limit } => (
                format!("오늘 손실 한도에 도달했습니다 (손실 {}, 한도 {}). 00:00 UTC 이후에 새 봇을 시작할 수 있습니다", dollars(*loss), dollars(*limit)),
                None,
                json!({ "loss": loss, "limit": limit }),
            ),
            ManagerError::TemplateNotFound(id) => (
                "유효하지 않은 전략입니다".to_owned(),
                Some("template_id"),
                json!({ "template_id": id.0 }),
            ),
            ManagerError::TemplateInactive { name } => (
                "유효하지 않은 전략입니다".to_owned(),
                Some("template_id"),
                json!({ "name": name }),
            ),
            ManagerError::BotNotFound(id) => (
                format!("봇 {id}을(를) 찾을 수 없습니다"),
                None,
                json!({ "bot_id": id.0 }),
            ),
            ManagerError::BotLimitReached { active, max } => return crate::error::bot_limit(*active, *max),
            ManagerError::SymbolBusy { symbol } => return crate::error::symbol_busy(symbol),
            ManagerError::InsufficientBalance { available, requested } => {
                return crate::error::insufficient(*available, *requested)
            }
            ManagerError::InvalidState { bot, status, action } => (
                format!("봇 {bot}은(는) {} 상태라서 {} 수 없습니다", state_ko(status), action_ko(action)),
                None,
                json!({ "bot_id": bot.0, "state": status }),
            ),
            ManagerError::StopWouldFire { which, stop, price } => (
                format!(
                    "{} {stop}에 이미 도달했습니다 (현재가 {price}). 그리드가 바로 멈추게 됩니다",
                    if *which == "stop_loss" { "손절가" } else { "익절가" }
                ),
                Some(*which),
                json!({ "stop": stop, "price": price }),
            ),
            _ => (en.clone(), None, json!({})),
        };
        if status.is_server_error() {
            return ApiError::internal(e);
        }
        let mut err = ApiError::new(status, code, Text::new(en, ko)).with_details(details);
        if let Some(f) = field {
            err = err.with_field(f);
        }
        err
    }
}
