//! `POST /auth/register`, `POST /auth/login`, `POST /auth/refresh`,
//! `POST /auth/logout`.
//!
//! Refresh tokens rotate: a refresh revokes the token it was given and
//! answers a new pair; a logout revokes the token it was given. Revoked
//! tokens answer 401. How revocations are kept, and their limits, is in
//! [`crate::auth::tokens`].
//!
//! Rules: user names are 3–32 characters of letters, digits, `_`, `-`, `.`
//! (compared case-sensitively, stored as given); passwords are 8–128
//! characters. A wrong user name and a wrong password answer the same 401,
//! so the API does not reveal which names exist.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use gridbot_core::model::{TimestampMs, UserId};
use gridbot_core::StoreError;

use crate::auth::extract::ClientIp;
use crate::auth::password::{hash_password, verify_password};
use crate::auth::tokens::{Claims, TokenKind, ACCESS_TTL_MS, REVOKED_KEY_PREFIX};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::i18n::Text;
use crate::state::AppState;

/// User name and password.
#[derive(Debug, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct Credentials {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A refresh token.
#[derive(Debug, Deserialize, ToSchema)]
#[non_exhaustive]
pub struct RefreshRequest {
    /// The refresh token from login.
    pub refresh_token: String,
}

/// The logged-in user.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct UserView {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
}

/// Tokens answered by register, login and refresh.
#[derive(Debug, Serialize, ToSchema)]
#[non_exhaustive]
pub struct TokenPair {
    /// Bearer token for API calls.
    pub access_token: String,
    /// Token for `POST /auth/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Who is logged in.
    pub user: UserView,
}

fn validate_username(name: &str) -> ApiResult<()> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !(3..=32).contains(&name.len()) || !ok_chars {
        return Err(ApiError::validation(
            "username",
            "must be 3 to 32 letters, digits, '_', '-' or '.'",
            "영문자, 숫자, '_', '-', '.'로 된 3~32자여야 합니다",
        ));
    }
    Ok(())
}

fn validate_password(password: &str) -> ApiResult<()> {
    let n = password.chars().count();
    if !(8..=128).contains(&n) {
        return Err(ApiError::validation(
            "password",
            "must be 8 to 128 characters",
            "8~128자여야 합니다",
        ));
    }
    Ok(())
}

/// Issues an access and a refresh token for the user.
pub fn token_pair(state: &AppState, id: UserId, username: &str) -> ApiResult<TokenPair> {
    let now = state.clock.now_ms();
    Ok(TokenPair {
        access_token: state.tokens.issue(id, username, TokenKind::Access, now)?,
        refresh_token: state.tokens.issue(id, username, TokenKind::Refresh, now)?,
        token_type: "Bearer",
        expires_in: ACCESS_TTL_MS / 1000,
        user: UserView {
            id: id.0,
            username: username.to_owned(),
        },
    })
}

/// Creates an account and logs it in.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = Credentials,
    responses((status = 201, body = TokenPair), (status = 400, body = ErrorBody),
              (status = 409, description = "name taken", body = ErrorBody), (status = 415, body = ErrorBody),
              (status = 429, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<Credentials>,
) -> ApiResult<(StatusCode, Json<TokenPair>)> {
    validate_username(&body.username)?;
    validate_password(&body.password)?;
    state.limiter.check_register(ip)?;
    let hash = hash_password(body.password).await?;
    let user = match state
        .store
        .create_user(&body.username, &hash, state.clock.now_ms())
        .await
    {
        Ok(u) => u,
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::conflict(Text::new(
                format!("user name {:?} is taken", body.username),
                format!("사용자 이름 {:?}은(는) 이미 사용 중입니다", body.username),
            ))
            .with_field("username"))
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(user = user.id.0, "user registered");
    Ok((StatusCode::CREATED, Json(token_pair(&state, user.id, &user.username)?)))
}

/// Logs in with `username` and `password`; answers the bearer `access_token` (15 minutes) and a `refresh_token`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = Credentials,
    responses((status = 200, body = TokenPair), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<Credentials>,
) -> ApiResult<Json<TokenPair>> {
    state.limiter.check_login(&body.username, ip)?;
    let refused = || {
        ApiError::unauthorized(Text::new(
            "wrong user name or password",
            "사용자 이름 또는 비밀번호가 올바르지 않습니다",
        ))
    };
    let user = state.store.user_by_name(&body.username).await?.ok_or_else(refused)?;
    if !verify_password(body.password, user.password_hash.clone()).await? {
        return Err(refused());
    }
    Ok(Json(token_pair(&state, user.id, &user.username)?))
}

fn revoked_key(jti: &str) -> String {
    format!("{REVOKED_KEY_PREFIX}{jti}")
}

/// Revokes the refresh token of `claims`, in memory and in the store (until
/// it expires). Answers 401 when it was revoked already — `reason` says why
/// it is revoked now (`rotated` or `logout`).
async fn revoke(state: &AppState, claims: &Claims, reason: &str) -> ApiResult<()> {
    let refused = || {
        ApiError::unauthorized(Text::new(
            "refresh token already used or revoked; log in again",
            "이미 사용되었거나 취소된 리프레시 토큰입니다. 다시 로그인하세요",
        ))
    };
    let jti = claims.jti.as_deref().ok_or_else(|| {
        ApiError::unauthorized(Text::new(
            "refresh token of an older version; log in again",
            "이전 버전의 리프레시 토큰입니다. 다시 로그인하세요",
        ))
    })?;
    let now = state.clock.now_ms();
    if !state.tokens.mark_revoked(jti, claims.exp_ms(), now) {
        return Err(refused());
    }
    // Revoked before a restart?
    if state.store.cache_get(&revoked_key(jti), now).await?.is_some() {
        return Err(refused());
    }
    let record = serde_json::json!({ "user_id": claims.sub, "reason": reason, "revoked_at": now });
    state
        .store
        .cache_put(&revoked_key(jti), &record, claims.exp_ms())
        .await?;
    Ok(())
}

/// Trades a refresh token for a new token pair. The token is revoked by the
/// trade: using it again answers 401.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 400, body = ErrorBody),
              (status = 401, description = "invalid, expired, already used or revoked", body = ErrorBody),
              (status = 415, body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<Json<TokenPair>> {
    let claims = state
        .tokens
        .verify(&body.refresh_token, TokenKind::Refresh, state.clock.now_ms())?;
    revoke(&state, &claims, "rotated").await?;
    let user = state.store.user(UserId(claims.sub)).await?.ok_or_else(|| {
        ApiError::unauthorized(Text::new(
            "the account no longer exists",
            "계정이 더 이상 존재하지 않습니다",
        ))
    })?;
    Ok(Json(token_pair(&state, user.id, &user.username)?))
}

/// Revokes a refresh token (ends the session on this device). Idempotent:
/// an expired, already used or already revoked token answers 204 too. The
/// session's access token keeps working until it expires (at most 15
/// minutes); clients drop it.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "the refresh token is revoked"),
              (status = 400, body = ErrorBody),
              (status = 401, description = "not a refresh token signed by this server", body = ErrorBody),
              (status = 415, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, ApiJson(body): ApiJson<RefreshRequest>) -> ApiResult<StatusCode> {
    // Expired tokens are dead already: check everything but the expiry.
    let claims = state
        .tokens
        .verify(&body.refresh_token, TokenKind::Refresh, TimestampMs::MIN)?;
    if claims.exp_ms() <= state.clock.now_ms() {
        return Ok(StatusCode::NO_CONTENT);
    }
    match revoke(&state, &claims, "logout").await {
        Ok(()) => {}
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {}
        Err(e) => return Err(e),
    }
    tracing::info!(user = claims.sub, "refresh token revoked by logout");
    Ok(StatusCode::NO_CONTENT)
}
