//! `/account/*`: exchange credentials (write-only), balance, risk settings.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use gridbot_core::model::RiskSettings;
use gridbot_core::risk::{validate_settings, SettingsViolation};

use crate::auth::extract::AuthUser;
use crate::balance::{self, BalanceView};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::secrets::ExchangeCredentials;
use crate::state::AppState;

/// Bitget API credentials to save.
#[derive(Deserialize, ToSchema)]
#[non_exhaustive]
pub struct CredentialsInput {
    /// API key.
    pub api_key: String,
    /// API secret.
    pub api_secret: String,
    /// API passphrase.
    pub passphrase: String,
    /// Demo-trading keys.
    #[serde(default)]
    pub demo: bool,
}

/// What the API tells about saved credentials (never the secrets).
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct CredentialsStatus {
    /// Whether credentials are saved.
    pub configured: bool,
    /// `bitget`.
    pub exchange: Option<String>,
    /// Demo-trading keys.
    pub demo: Option<bool>,
    /// Whether the keys answered a balance call when saved.
    pub verified: bool,
    /// The balance seen when verifying, USDT.
    #[schema(value_type = Option<String>)]
    pub equity: Option<Decimal>,
    /// Last change, ms.
    pub updated_at: Option<i64>,
}

fn check_field(field: &str, v: &str) -> ApiResult<()> {
    if v.trim().is_empty() || v.len() > 256 || v.chars().any(char::is_control) {
        return Err(ApiError::validation(
            field,
            "must be 1 to 256 printable characters",
            "1~256자의 인쇄 가능한 문자여야 합니다",
        ));
    }
    Ok(())
}

/// Saves Bitget credentials after a balance call succeeds with them.
#[utoipa::path(put, path = "/api/v1/account/exchange-credentials", tag = "account", request_body = CredentialsInput,
    security(("bearer" = [])),
    responses((status = 200, body = CredentialsStatus), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 429, body = ErrorBody), (status = 502, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn put_credentials(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<CredentialsInput>,
) -> ApiResult<Json<CredentialsStatus>> {
    check_field("api_key", &body.api_key)?;
    check_field("api_secret", &body.api_secret)?;
    check_field("passphrase", &body.passphrase)?;
    let creds = ExchangeCredentials {
        api_key: body.api_key.trim().to_owned(),
        api_secret: body.api_secret.trim().to_owned(),
        passphrase: body.passphrase.trim().to_owned(),
        demo: body.demo,
    };
    let balance = state.accounts.verify_credentials(&creds).await?;
    let now = state.clock.now_ms();
    let record = state
        .cipher
        .seal(user.id, "bitget", &creds, now)
        .map_err(ApiError::internal)?;
    state.store.put_credentials(&record).await?;
    state.accounts.credentials_changed(user.id).await;
    tracing::info!(user = user.id.0, demo = creds.demo, "exchange credentials saved");
    Ok(Json(CredentialsStatus {
        configured: true,
        exchange: Some("bitget".into()),
        demo: Some(creds.demo),
        verified: true,
        equity: Some(balance.equity),
        updated_at: Some(now),
    }))
}

/// Whether credentials are saved (never the credentials themselves).
#[utoipa::path(get, path = "/api/v1/account/exchange-credentials", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = CredentialsStatus), (status = 401, body = ErrorBody)))]
pub async fn get_credentials(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<CredentialsStatus>> {
    let rec = state.store.credentials(user.id).await?;
    Ok(Json(CredentialsStatus {
        configured: rec.is_some(),
        exchange: rec.as_ref().map(|r| r.exchange.clone()),
        demo: rec.as_ref().map(|r| r.demo),
        verified: rec.is_some(),
        equity: None,
        updated_at: rec.map(|r| r.updated_at),
    }))
}

/// Deletes saved credentials.
#[utoipa::path(delete, path = "/api/v1/account/exchange-credentials", tag = "account", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn delete_credentials(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    state.store.delete_credentials(user.id).await?;
    state.accounts.credentials_changed(user.id).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The balance bar: total, used by bots, available, active bots, total PnL.
#[utoipa::path(get, path = "/api/v1/account/balance", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = BalanceView), (status = 401, body = ErrorBody), (status = 502, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn get_balance(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<BalanceView>> {
    Ok(Json(balance::load(&state, user.id).await?.1))
}

/// Risk settings as sent and shown.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct RiskSettingsView {
    /// Daily loss limit, USDT (null = none); a number or a decimal string.
    #[serde(default, deserialize_with = "crate::input::opt_decimal")]
    #[schema(value_type = Option<String>)]
    pub daily_loss_limit: Option<Decimal>,
    /// Highest leverage a bot may use (1–125).
    pub max_leverage: u32,
    /// Most bots with an open position (1 to the bot limit, 5).
    pub max_open_positions: u32,
    /// Whether pausing on the loss limit also closes positions.
    pub close_positions_on_pause: bool,
}

impl From<RiskSettings> for RiskSettingsView {
    fn from(r: RiskSettings) -> Self {
        RiskSettingsView {
            daily_loss_limit: r.daily_loss_limit,
            max_leverage: r.max_leverage,
            max_open_positions: r.max_open_positions,
            close_positions_on_pause: r.close_positions_on_pause,
        }
    }
}

/// The user's risk settings.
#[utoipa::path(get, path = "/api/v1/account/risk-settings", tag = "account", security(("bearer" = [])),
    responses((status = 200, body = RiskSettingsView), (status = 401, body = ErrorBody)))]
pub async fn get_risk(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<RiskSettingsView>> {
    Ok(Json(state.store.risk_settings(user.id).await?.into()))
}

/// A refused risk setting, in both languages (the bounds are the core's,
/// [`gridbot_core::risk::validate_settings`]).
fn settings_error(v: &SettingsViolation) -> ApiError {
    let (en, ko) = match v {
        SettingsViolation::DailyLossLimit { max, .. } => (
            format!("must be greater than 0 and at most {max}"),
            format!("0보다 크고 {max} 이하여야 합니다"),
        ),
        SettingsViolation::LeverageCap { max, .. } => (
            format!("must be between 1 and {max}"),
            format!("1에서 {max} 사이여야 합니다"),
        ),
        SettingsViolation::OpenPositions { max, .. } => (
            format!("must be between 1 and {max} (the bot limit)"),
            format!("1에서 {max}(봇 한도) 사이여야 합니다"),
        ),
        _ => (v.to_string(), "허용 범위를 벗어났습니다".to_owned()),
    };
    ApiError::validation(v.field(), en, ko)
}

/// Replaces the user's risk settings.
#[utoipa::path(put, path = "/api/v1/account/risk-settings", tag = "account", request_body = RiskSettingsView,
    security(("bearer" = [])),
    responses((status = 200, body = RiskSettingsView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 415, body = ErrorBody)))]
pub async fn put_risk(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(body): ApiJson<RiskSettingsView>,
) -> ApiResult<Json<RiskSettingsView>> {
    let mut settings = RiskSettings::default_for(user.id);
    settings.daily_loss_limit = body.daily_loss_limit.map(|d| d.round_dp(2));
    settings.max_leverage = body.max_leverage;
    settings.max_open_positions = body.max_open_positions;
    settings.close_positions_on_pause = body.close_positions_on_pause;
    validate_settings(&settings).map_err(|v| settings_error(&v))?;
    state.store.put_risk_settings(&settings).await?;
    Ok(Json(settings.into()))
}
