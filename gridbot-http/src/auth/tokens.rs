//! JWTs (HS256): short-lived access tokens and longer-lived refresh tokens.
//!
//! Both carry the user id (`sub`), the user name and a `typ` of `access` or
//! `refresh`; an access token is refused where a refresh token is expected
//! and vice versa. Expiry is the standard `exp` claim (seconds, required),
//! checked against the application's [`gridbot_core::clock::Clock`], so
//! tests can move time. A token whose user does not exist (any more) is
//! refused by [`crate::auth::extract::AuthUser`]; users found once are
//! remembered here ([`TokenService::knows_user`]): users are never deleted,
//! and if that changes, forgetting one is [`TokenService::forget_user`].
//!
//! # Refresh tokens are single-use and revocable
//!
//! Every refresh token carries a random id (`jti`). `POST /auth/refresh`
//! *rotates*: it revokes the presented token and returns a new pair, so a
//! refresh token works once; `POST /auth/logout` revokes the presented one.
//! A revoked token answers 401.
//!
//! Where revocations live (decision, no new `Store` method needed):
//! - in memory, in the [`TokenService`] ([`TokenService::mark_revoked`]):
//!   the check-and-mark is atomic, so two concurrent refreshes with the same
//!   token cannot both succeed;
//! - in the store's expiring key-value table ([`gridbot_core::ports::Store::cache_put`],
//!   key [`REVOKED_KEY_PREFIX`]`<jti>`), kept until the token's own expiry,
//!   so revocations survive a restart (see [`crate::routes::auth`]).
//!
//! Limits, stated plainly:
//! - access tokens are not revocable: after a logout the access token of
//!   the session keeps working until it expires ([`ACCESS_TTL_MS`],
//!   15 minutes). Checking a revocation list on every API call would cost a
//!   lookup per request for a 15-minute window;
//! - if the store's key-value table were wiped, revoked refresh tokens that
//!   have not expired would be accepted again, for at most
//!   [`REFRESH_TTL_MS`];
//! - refresh tokens issued before rotation existed have no `jti` and are
//!   refused (the user logs in again once).
//!
//! Rotating the signing key (a new `GRIDBOT_SECRET_KEY`) logs everyone out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use gridbot_core::model::{TimestampMs, UserId};

use crate::error::ApiError;
use crate::i18n::Text;

/// Lifetime of an access token: 15 minutes.
pub const ACCESS_TTL_MS: i64 = 15 * 60 * 1000;
/// Lifetime of a refresh token: 7 days (each refresh issues a new one, so
/// an active session never expires; an idle one does after 7 days).
pub const REFRESH_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// Store key prefix of a revoked refresh token's record (`<prefix><jti>`).
pub const REVOKED_KEY_PREFIX: &str = "auth:refresh-revoked:";
/// Revocations kept in memory before expired ones are pruned.
const PRUNE_AT: usize = 4096;
/// Verified access tokens remembered (the cache is emptied when full).
const ACCESS_CACHE_MAX: usize = 4096;

/// What a token is for. A closed set (not `#[non_exhaustive]`): a new kind
/// of token would be a new security decision, and callers should have to
/// handle it.
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
#[non_exhaustive]
pub struct Claims {
    /// The user id.
    pub sub: i64,
    /// The user name.
    pub name: String,
    /// Access or refresh.
    pub typ: TokenKind,
    /// Issued at, seconds.
    pub iat: i64,
    /// Expires at, seconds (the standard claim; checked against the app clock).
    pub exp: i64,
    /// Random token id of a refresh token (what revocation records name);
    /// absent on access tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

/// Refresh token ids revoked in this process, with their expiry (ms).
#[derive(Debug, Default)]
struct Revoked {
    ids: HashMap<String, i64>,
    prune_at: usize,
}

/// Signs and checks tokens, and remembers revoked refresh tokens. Clones
/// share the revocations.
///
/// Access tokens are checked on every API call, so the claims of tokens that
/// passed the full check (signature, kind) are remembered by their exact
/// text; a remembered token skips the signature check but not the expiry
/// check. A token is only ever remembered after it verified, so this cannot
/// accept a token the full check would refuse.
#[derive(Clone)]
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    revoked: Arc<Mutex<Revoked>>,
    verified_access: Arc<Mutex<HashMap<String, Claims>>>,
    /// Users found in the store (tokens of unknown users are refused).
    known_users: Arc<Mutex<std::collections::HashSet<i64>>>,
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
            validation: {
                let mut v = Validation::new(Algorithm::HS256);
                // Expiry is checked in `verify` against the application clock.
                v.validate_exp = false;
                v.required_spec_claims = ["exp".to_owned()].into_iter().collect();
                v
            },
            verified_access: Arc::new(Mutex::new(HashMap::new())),
            known_users: Arc::new(Mutex::new(std::collections::HashSet::new())),
            revoked: Arc::new(Mutex::new(Revoked {
                ids: HashMap::new(),
                prune_at: PRUNE_AT,
            })),
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
            jti: (kind == TokenKind::Refresh).then(new_token_id),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(ApiError::internal)
    }

    /// Checks a token's signature, kind and expiry (at `now`).
    pub fn verify(&self, token: &str, kind: TokenKind, now: TimestampMs) -> Result<Claims, ApiError> {
        if kind == TokenKind::Access {
            let known = self.verified_access.lock().ok().and_then(|m| m.get(token).cloned());
            if let Some(claims) = known {
                return check_expiry(claims, now);
            }
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| {
                ApiError::unauthorized(Text::new(
                    "invalid token; log in again",
                    "유효하지 않은 토큰입니다. 다시 로그인하세요",
                ))
            })?
            .claims;
        if claims.typ != kind {
            return Err(ApiError::unauthorized(match kind {
                TokenKind::Access => Text::new("an access token is required", "액세스 토큰이 필요합니다"),
                TokenKind::Refresh => Text::new("a refresh token is required", "리프레시 토큰이 필요합니다"),
            }));
        }
        if kind == TokenKind::Access && claims.exp_ms() > now {
            if let Ok(mut m) = self.verified_access.lock() {
                if m.len() >= ACCESS_CACHE_MAX {
                    m.clear();
                }
                m.insert(token.to_owned(), claims.clone());
            }
        }
        check_expiry(claims, now)
    }

    /// Marks the refresh token `jti` (expiring at `exp_ms`) revoked in this
    /// process. Returns `false` when it already was: the caller must then
    /// refuse the token. Atomic, so of two concurrent uses only one wins.
    pub fn mark_revoked(&self, jti: &str, exp_ms: TimestampMs, now: TimestampMs) -> bool {
        let Ok(mut r) = self.revoked.lock() else {
            // A poisoned lock: refuse rather than risk a second use.
            return false;
        };
        if r.ids.len() >= r.prune_at {
            r.ids.retain(|_, exp| *exp > now);
            r.prune_at = (r.ids.len() * 2).max(PRUNE_AT);
        }
        r.ids.insert(jti.to_owned(), exp_ms).is_none()
    }

    /// True when user `id` was found in the store before.
    pub fn knows_user(&self, id: UserId) -> bool {
        self.known_users.lock().map(|k| k.contains(&id.0)).unwrap_or(false)
    }

    /// Remembers that user `id` exists.
    pub fn remember_user(&self, id: UserId) {
        if let Ok(mut k) = self.known_users.lock() {
            k.insert(id.0);
        }
    }

    /// Forgets user `id` (their tokens are looked up again).
    pub fn forget_user(&self, id: UserId) {
        if let Ok(mut k) = self.known_users.lock() {
            k.remove(&id.0);
        }
    }

    /// Whether the refresh token `jti` was revoked in this process.
    pub fn is_revoked(&self, jti: &str) -> bool {
        self.revoked.lock().map(|r| r.ids.contains_key(jti)).unwrap_or(true)
    }
}

fn check_expiry(claims: Claims, now: TimestampMs) -> Result<Claims, ApiError> {
    if claims.exp_ms() <= now {
        return Err(ApiError::unauthorized(Text::new(
            "token expired; refresh or log in again",
            "토큰이 만료되었습니다. 새로 고치거나 다시 로그인하세요",
        )));
    }
    Ok(claims)
}

impl Claims {
    /// The expiry (`exp`) in milliseconds.
    pub fn exp_ms(&self) -> TimestampMs {
        self.exp.saturating_mul(1000)
    }
}

/// 128 random bits, hex.
fn new_token_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
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

    #[test]
    fn a_remembered_access_token_is_still_checked_for_expiry_and_kind() {
        let svc = TokenService::new(&[7; 32]);
        let t = svc.issue(UserId(3), "ann", TokenKind::Access, 1_000_000).unwrap();
        assert_eq!(svc.verify(&t, TokenKind::Access, 1_000_001).unwrap().name, "ann");
        assert_eq!(svc.verified_access.lock().unwrap().len(), 1);
        assert_eq!(svc.verify(&t, TokenKind::Access, 1_000_002).unwrap().sub, 3);
        assert!(svc.verify(&t, TokenKind::Access, 1_000_000 + ACCESS_TTL_MS).is_err());
        assert!(svc.verify(&t, TokenKind::Refresh, 1_000_002).is_err());
        // A tampered copy is not the remembered text: fully checked, refused.
        let mut forged = t.clone();
        forged.pop();
        assert!(svc.verify(&forged, TokenKind::Access, 1_000_002).is_err());
    }

    #[test]
    fn refresh_tokens_get_distinct_ids_and_are_revoked_once() {
        let svc = TokenService::new(&[7; 32]);
        let a = svc.issue(UserId(3), "ann", TokenKind::Refresh, 1_000).unwrap();
        let b = svc.issue(UserId(3), "ann", TokenKind::Refresh, 1_000).unwrap();
        let ca = svc.verify(&a, TokenKind::Refresh, 2_000).unwrap();
        let cb = svc.verify(&b, TokenKind::Refresh, 2_000).unwrap();
        let (ja, jb) = (ca.jti.clone().unwrap(), cb.jti.unwrap());
        assert_ne!(ja, jb);
        assert_eq!(ja.len(), 32);
        let access = svc.issue(UserId(3), "ann", TokenKind::Access, 1_000).unwrap();
        assert_eq!(svc.verify(&access, TokenKind::Access, 2_000).unwrap().jti, None);

        assert!(!svc.is_revoked(&ja));
        assert!(svc.mark_revoked(&ja, ca.exp_ms(), 2_000));
        assert!(
            !svc.clone().mark_revoked(&ja, ca.exp_ms(), 2_000),
            "clones share revocations"
        );
        assert!(svc.is_revoked(&ja));
        assert!(!svc.is_revoked(&jb));
    }

    #[test]
    fn expired_revocations_are_pruned_and_live_ones_kept() {
        let svc = TokenService::new(&[7; 32]);
        for i in 0..PRUNE_AT - 1 {
            assert!(svc.mark_revoked(&format!("old{i}"), 10, 5));
        }
        assert!(svc.mark_revoked("kept", 1_000, 5));
        assert!(svc.is_revoked("old0"));
        // At the threshold, at t=20: the expired ones go, the live ones stay.
        assert!(svc.mark_revoked("new", 1_000, 20));
        assert!(svc.is_revoked("kept") && svc.is_revoked("new"));
        assert!(!svc.is_revoked("old0"));
        assert_eq!(svc.revoked.lock().unwrap().ids.len(), 2);
    }
}
