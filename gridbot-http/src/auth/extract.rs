//! Extractors: the authenticated user (`Authorization: Bearer <access
//! token>`, or `?access_token=` for the event stream, which browsers open
//! without headers) and the client's IP.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use gridbot_core::model::UserId;

use super::tokens::TokenKind;
use crate::error::ApiError;
use crate::state::AppState;

/// The user a request is made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    /// The user id.
    pub id: UserId,
    /// The user name.
    pub name: String,
}

fn bearer(parts: &Parts) -> Option<&str> {
    let header = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim())
}

fn query_token(parts: &Parts) -> Option<&str> {
    parts
        .uri
        .query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("access_token="))
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)
            .or_else(|| query_token(parts))
            .ok_or_else(|| ApiError::unauthorized("missing bearer token; log in first"))?;
        let claims = state.tokens.verify(token, TokenKind::Access, state.clock.now_ms())?;
        Ok(AuthUser {
            id: UserId(claims.sub),
            name: claims.name,
        })
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
