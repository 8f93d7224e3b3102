//! JWTs (HS256): short-lived access tokens and longer-lived refresh tokens.
//!
//! Both carry the user id (`sub`), the user name and a `typ` of `access` or
//! `refresh`; an access token is refused where a refresh token is expected
//! and vice versa. Expiry is checked against the application's
//! [`gridbot_core::clock::Clock`], so tests can move time.
//!
//! Decision: refresh tokens are stateless (no server-side revocation list);
//! a refresh returns a new pair. Rotating the signing key (a new
//! `GRIDBOT_SECRET_KEY`) logs everyone out.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use gridbot_core::model::{TimestampMs, UserId};

use crate::error::ApiError;

/// Lifetime of an access token: 15 minutes.
pub const ACCESS_TTL_MS: i64 = 15 * 60 * 1000;
/// Lifetime of a refresh token: 7 days.
pub const REFRESH_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// Authorises API calls.
    Access,
    /// Buys a new token pair.
    Refresh,
}

/// The claims of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: i64,
    /// The user name.
    pub name: String,
    /// Access or refresh.
    pub typ: TokenKind,
    /// Issued at, seconds.
    pub iat: i64,
    /// Expires at, seconds.
    pub exp: i64,
    /// Expires at, milliseconds (checked against the app clock).
    pub exp_ms: i64,
}

/// Signs and checks tokens.
#[derive(Clone)]
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenService(..)")
    }
}

impl TokenService {
    /// A token service whose HS256 key is derived from the master key
    /// (`SHA-256("gridbot-jwt-v1" ‖ master)`), so the AEAD key is never used
    /// for anything else.
    pub fn new(master_key: &[u8; 32]) -> Self {
        let mut h = Sha256::new();
        h.update(b"gridbot-jwt-v1");
        h.update(master_key);
        let key = h.finalize();
        TokenService {
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
        }
    }

    /// Issues a token of `kind` for the user, valid from `now`.
    pub fn issue(&self, user: UserId, name: &str, kind: TokenKind, now: TimestampMs) -> Result<String, ApiError> {
        let ttl = match kind {
            TokenKind::Access => ACCESS_TTL_MS,
            TokenKind::Refresh => REFRESH_TTL_MS,
        };
        let claims = Claims {
            sub: user.0,
            name: name.to_owned(),
            typ: kind,
            iat: now / 1000,
            exp: (now + ttl) / 1000,
            exp_ms: now + ttl,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(ApiError::internal)
    }

    /// Checks a token's signature, kind and expiry (at `now`).
    pub fn verify(&self, token: &str, kind: TokenKind, now: TimestampMs) -> Result<Claims, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked below against the application clock.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| ApiError::unauthorized("invalid token; log in again"))?;
        let claims = data.claims;
        if claims.typ != kind {
            return Err(ApiError::unauthorized(match kind {
                TokenKind::Access => "an access token is required",
                TokenKind::Refresh => "a refresh token is required",
            }));
        }
        if claims.exp_ms <= now {
            return Err(ApiError::unauthorized("token expired; refresh or log in again"));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_for_kind_expiry_and_signature() {
        let svc = TokenService::new(&[7; 32]);
        let t = svc.issue(UserId(3), "ann", TokenKind::Access, 1_000_000).unwrap();
        assert_eq!(svc.verify(&t, TokenKind::Access, 1_000_001).unwrap().sub, 3);
        assert!(svc.verify(&t, TokenKind::Refresh, 1_000_001).is_err());
        assert!(svc.verify(&t, TokenKind::Access, 1_000_000 + ACCESS_TTL_MS).is_err());
        let other = TokenService::new(&[8; 32]);
        assert!(other.verify(&t, TokenKind::Access, 1_000_001).is_err());
    }
}
