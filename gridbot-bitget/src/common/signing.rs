//! Request signing.
//!
//! `ACCESS-SIGN = base64(HMAC_SHA256(secret, timestamp + METHOD + requestPath
//! + ("?" + query if non-empty) + body))`. The query is the canonical one
//! built by [`canonical_query`] (keys sorted ascending, values as sent, not
//! percent-encoded) and the very same string is what goes on the wire, so the
//! signed text always equals what Bitget receives. The WebSocket login signs
//! `timestamp_seconds + "GET" + "/user/verify"`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA256 of `message` under `secret`, base64-encoded.
pub fn hmac_base64(secret: &str, message: &str) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(message.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The text a REST request signs.
pub fn rest_prehash(timestamp: &str, method: &str, request_path: &str, query: &str, body: &str) -> String {
    let mut s =
        String::with_capacity(timestamp.len() + method.len() + request_path.len() + query.len() + body.len() + 1);
    s.push_str(timestamp);
    s.push_str(&method.to_ascii_uppercase());
    s.push_str(request_path);
    if !query.is_empty() {
        s.push('?');
        s.push_str(query);
    }
    s.push_str(body);
    s
}

/// `ACCESS-SIGN` of a REST request.
pub fn sign_rest(secret: &str, timestamp: &str, method: &str, request_path: &str, query: &str, body: &str) -> String {
    hmac_base64(secret, &rest_prehash(timestamp, method, request_path, query, body))
}

/// The text a WebSocket login signs.
pub fn ws_login_prehash(timestamp_seconds: &str) -> String {
    format!("{timestamp_seconds}GET/user/verify")
}

/// `sign` of a WebSocket login.
pub fn sign_ws_login(secret: &str, timestamp_seconds: &str) -> String {
    hmac_base64(secret, &ws_login_prehash(timestamp_seconds))
}

/// The canonical query string: pairs sorted by key (then value), joined
/// `k=v&k=v`, values not percent-encoded. Callers only pass values made of
/// URL-safe characters (symbols, numbers, ids of `[A-Za-z0-9_-]`).
pub fn canonical_query(params: &[(&str, String)]) -> String {
    let mut sorted: Vec<&(&str, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0).then_with(|| a.1.cmp(&b.1)));
    let mut out = String::new();
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Splits a raw query string into pairs and re-joins them canonically (what
/// a server does to check a signature).
pub fn canonicalize_raw_query(raw: &str) -> String {
    let pairs: Vec<(&str, String)> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k, v.to_owned()),
            None => (p, String::new()),
        })
        .collect();
    canonical_query(&pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_query_sorts_keys_ascending() {
        let q = canonical_query(&[
            ("symbol", "BTCUSDT".into()),
            ("limit", "20".into()),
            ("productType", "USDT-FUTURES".into()),
        ]);
        assert_eq!(q, "limit=20&productType=USDT-FUTURES&symbol=BTCUSDT");
        assert_eq!(
            canonicalize_raw_query("symbol=BTCUSDT&limit=20"),
            "limit=20&symbol=BTCUSDT"
        );
    }

    #[test]
    fn prehash_omits_question_mark_without_query() {
        assert_eq!(rest_prehash("1", "post", "/p", "", "{}"), "1POST/p{}");
        assert_eq!(rest_prehash("1", "GET", "/p", "a=1", ""), "1GET/p?a=1");
    }
}
