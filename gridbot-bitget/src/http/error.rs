//! Bitget error codes → [`ExchangeError`], split by what the caller should
//! do: retry (connectivity, timeout, rate limit) or act (balance, precision,
//! minimum, auth, not found, invalid).

use gridbot_core::ExchangeError;

/// Code Bitget (and the fake) answer when a `clientOid` was already used
/// (unsure: documented as 40786 "Duplicate clientOid"; the message is checked too).
pub const DUPLICATE_CLIENT_OID: &str = "40786";

/// Default wait after an HTTP 429 without `Retry-After`.
pub const DEFAULT_RETRY_AFTER_MS: u64 = 1000;

/// Maps an API error code and message to a typed error.
pub fn from_api_code(code: &str, msg: &str) -> ExchangeError {
    let text = format!("{msg} (Bitget code {code})");
    match code {
        "40762" | "43012" | "40754" | "45117" => ExchangeError::InsufficientBalance(text),
        "40808" | "45111" => ExchangeError::Precision(text),
        "45110" | "40812" | "45112" => ExchangeError::BelowMinimum(text),
        "43011" | "40774" | "45115" | "22002" | "40757" => ExchangeError::InvalidOrder(text),
        "40009" | "40010" | "40005" | "40008" | "40014" | "40006" | "40012" | "40037" | "40038" | "40001" | "40002"
        | "40003" => ExchangeError::Auth(format!(
            "{text}: check the API key, secret, passphrase, permissions and the machine's clock"
        )),
        "40768" | "22001" | "40109" | "43001" | "43025" => ExchangeError::NotFound(text),
        "40034" | "40309" | "40017" if msg.to_ascii_lowercase().contains("symbol") => {
            ExchangeError::UnknownSymbol(text)
        }
        "429" | "40200" | "40429" => ExchangeError::RateLimited {
            retry_after_ms: DEFAULT_RETRY_AFTER_MS,
        },
        _ => ExchangeError::Rejected {
            code: code.to_owned(),
            message: msg.to_owned(),
        },
    }
}

/// True when a refusal says the `clientOid` was used before.
pub fn is_duplicate_client_oid(code: &str, msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    code == DUPLICATE_CLIENT_OID || (m.contains("clientoid") && (m.contains("duplicate") || m.contains("exist")))
}

/// Maps an HTTP status without a usable envelope.
pub fn from_http_status(status: u16, body: &str, retry_after_ms: Option<u64>) -> ExchangeError {
    let snippet: String = body.chars().take(200).collect();
    match status {
        429 => ExchangeError::RateLimited {
            retry_after_ms: retry_after_ms.unwrap_or(DEFAULT_RETRY_AFTER_MS),
        },
        401 | 403 => ExchangeError::Auth(format!("HTTP {status}: {snippet}")),
        404 => ExchangeError::NotFound(format!("HTTP 404: {snippet}")),
        500..=599 => ExchangeError::Connectivity(format!("server error HTTP {status}: {snippet}")),
        _ => ExchangeError::Protocol(format!("HTTP {status}: {snippet}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_what_the_caller_must_do() {
        assert!(matches!(
            from_api_code("40762", "exceeds"),
            ExchangeError::InsufficientBalance(_)
        ));
        assert!(matches!(
            from_api_code("43012", "insufficient"),
            ExchangeError::InsufficientBalance(_)
        ));
        assert!(matches!(from_api_code("40808", "scale"), ExchangeError::Precision(_)));
        assert!(matches!(
            from_api_code("45110", "min 5 USDT"),
            ExchangeError::BelowMinimum(_)
        ));
        assert!(matches!(
            from_api_code("43011", "price"),
            ExchangeError::InvalidOrder(_)
        ));
        assert!(matches!(from_api_code("40774", "mode"), ExchangeError::InvalidOrder(_)));
        for c in ["40009", "40010", "40005", "40008", "40014"] {
            assert!(matches!(from_api_code(c, "x"), ExchangeError::Auth(_)), "{c}");
        }
        assert!(matches!(from_api_code("40768", "no order"), ExchangeError::NotFound(_)));
        assert!(matches!(from_api_code("22001", "nothing"), ExchangeError::NotFound(_)));
        assert!(matches!(from_api_code("99999", "odd"), ExchangeError::Rejected { .. }));
        assert!(from_http_status(503, "", None).is_transient());
        assert_eq!(
            from_http_status(429, "", Some(250)),
            ExchangeError::RateLimited { retry_after_ms: 250 }
        );
        assert!(is_duplicate_client_oid("40786", ""));
        assert!(is_duplicate_client_oid("1", "Duplicate clientOid"));
    }
}
