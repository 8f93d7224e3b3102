//! Extractors: the authenticated user (`Authorization: Bearer <access
//! token>`, or `?access_token=` on `/stream` only — browsers open the event
//! stream without headers; a token in any other URL is ignored, so it does
//! not end up in logs and histories) and the client's IP.
//!
//! A valid token of a user the store does not have (a database replaced
//! under the same key) is refused with 401.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri};

use gridbot_core::model::UserId;

use super::tokens::TokenKind;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::state::AppState;

/// The user a request is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthUser {
    /// The user id.
    pub id: UserId,
    /// The user name.
    pub name: String,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let header = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

/// The only route that takes its token from the query.
pub const QUERY_TOKEN_PATH: &str = "/api/v1/stream";

fn query_token(uri: &Uri) -> Option<&str> {
    if uri.path() != QUERY_TOKEN_PATH && !uri.path().ends_with("/stream") {
        return None;
    }
    uri.query()?.split('&').find_map(|kv| kv.strip_prefix("access_token="))
}

fn token<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> Option<&'a str> {
    bearer(headers).or_else(|| query_token(uri))
}

/// The user of a request's valid access token, if it has one (for
/// middleware that must not reject).
pub fn access_user(headers: &HeaderMap, uri: &Uri, state: &AppState) -> Option<UserId> {
    let t = token(headers, uri)?;
    let claims = state.tokens.verify(t, TokenKind::Access, state.clock.now_ms()).ok()?;
    Some(UserId(claims.sub))
}

impl<S> FromRequestParts<S> for AuthUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = token(&parts.headers, &parts.uri).ok_or_else(|| {
            ApiError::unauthorized(Text::new(
                "missing bearer token; log in first",
                "인증 토큰이 없습니다. 먼저 로그인하세요",
            ))
        })?;
        let claims = state.tokens.verify(token, TokenKind::Access, state.clock.now_ms())?;
        let id = UserId(claims.sub);
        if !state.tokens.knows_user(id) {
            if state.store.user(id).await?.is_none() {
                return Err(ApiError::unauthorized(Text::new(
                    "this account does not exist; log in again",
                    "존재하지 않는 계정입니다. 다시 로그인하세요",
                )));
            }
            state.tokens.remember_user(id);
        }
        Ok(AuthUser { id, name: claims.name })
    }
}

/// The client's IP address (from the connection; `0.0.0.0` when unknown,
/// e.g. in router tests without a socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        ))
    }
}
