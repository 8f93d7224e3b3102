//! Bitget error codes of both APIs (classic v2 and unified v3) →
//! [`ExchangeError`], split by what the caller should do: retry
//! (connectivity, timeout, rate limit), look the order up before sending it
//! again (outcome unknown), or act (balance, precision, minimum, auth, not
//! found, invalid).
//!
//! Bitget answers ordinary refusals with HTTP 400 and the JSON envelope; the
//! envelope's code decides, not the status.

use gridbot_core::ExchangeError;

/// Codes Bitget answers when a `clientOid` was already used: 40786 (v2,
/// documented), 43118, 45034, 40708, 50060 (v2, SDK tables), 25212 (v3). The
/// message is checked too.
pub const DUPLICATE_CLIENT_OID_CODES: [&str; 6] = ["40786", "43118", "45034", "40708", "50060", "25212"];

/// Default wait after an HTTP 429 without `Retry-After`.
pub const DEFAULT_RETRY_AFTER_MS: u64 = 1000;

/// What to change when the environment is wrong (40099).
pub const DEMO_MISMATCH_HINT: &str = "Bitget says the environment is wrong (40099): a demo API key needs demo mode \
(`--demo`, `--exchange bitget-demo`), a live key live mode; gridbot never sends Bitget's S-prefixed demo products";

/// Maps an API error code and message to a typed error.
pub fn from_api_code(code: &str, msg: &str) -> ExchangeError {
    let text = format!("{msg} (Bitget code {code})");
    let lower = msg.to_ascii_lowercase();
    match code {
        "40762" | "43012" | "40754" | "45117" | "40711" | "40798" | "40712" | "40800" | "25202" | "25203" | "25228"
        | "25231" => ExchangeError::InsufficientBalance(text),
        "40808" | "45111" | "41103" | "45115" | "25244" | "22038" => ExchangeError::Precision(text),
        "45110" | "40812" | "45112" | "43006" | "22034" | "25611" | "13008" | "25610" | "25207" | "25208" => {
            ExchangeError::BelowMinimum(text)
        }
        "43011" | "40774" | "22002" | "40757" | "45003" | "40939" | "25227" | "25236" | "40815" | "40816" | "25205"
        | "25206" | "22046" | "22047" => ExchangeError::InvalidOrder(text),
        // Documented as "outcome unknown" for order placement; 40010 is also
        // listed as "apikey/password incorrect" in older tables.
        "40010" if lower.contains("time") => ExchangeError::Timeout(text),
        "40725" | "45001" => ExchangeError::Timeout(text),
        "40009" | "40010" | "40005" | "40008" | "40014" | "40006" | "40012" | "40037" | "40038" | "40001" | "40002"
        | "40003" | "40004" | "40018" | "25620" => ExchangeError::Auth(format!(
            "{text}: check the API key, secret, passphrase, permissions and the machine's clock"
        )),
        "40085" => ExchangeError::Auth(format!(
            "{text}: this key belongs to a unified trading account (UTA), which the classic v2 API refuses; \
let gridbot detect the account kind instead of forcing classic"
        )),
        "40084" => ExchangeError::Auth(format!(
            "{text}: this key belongs to a classic account, which the unified v3 API refuses; \
let gridbot detect the account kind instead of forcing unified"
        )),
        "40099" => ExchangeError::Auth(format!("{text}: {DEMO_MISMATCH_HINT}")),
        "40768" | "22001" | "40109" | "43001" | "43025" | "45057" | "25204" | "24056" => ExchangeError::NotFound(text),
        "40034" | "40309" | "40017" if lower.contains("symbol") => ExchangeError::UnknownSymbol(text),
        "429" | "40200" | "40429" | "25004" => ExchangeError::RateLimited {
            retry_after_ms: DEFAULT_RETRY_AFTER_MS,
        },
        "25000" | "25001" | "25003" | "40015" | "40908" | "40909" | "40910" => {
            ExchangeError::Connectivity(format!("Bitget is busy: {text}"))
        }
        _ => ExchangeError::Rejected {
            code: code.to_owned(),
            message: msg.to_owned(),
        },
    }
}

/// True when a refusal says the `clientOid` was used before.
pub fn is_duplicate_client_oid(code: &str, msg: &str) -> bool {
    let m = msg.to_ascii_lowercase();
    DUPLICATE_CLIENT_OID_CODES.contains(&code)
        || ((m.contains("clientoid") || m.contains("client oid")) && (m.contains("duplicate") || m.contains("exist")))
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
        assert!(is_duplicate_client_oid("25212", ""));
        for c in ["25202", "25203"] {
            assert!(
                matches!(from_api_code(c, "x"), ExchangeError::InsufficientBalance(_)),
                "{c}"
            );
        }
        assert!(matches!(from_api_code("25204", "x"), ExchangeError::NotFound(_)));
        assert!(matches!(from_api_code("40085", "UTA"), ExchangeError::Auth(m) if m.contains("unified")));
        assert!(matches!(from_api_code("40099", "env"), ExchangeError::Auth(m) if m.contains("demo")));
        assert!(matches!(
            from_api_code("40010", "Request timed out"),
            ExchangeError::Timeout(_)
        ));
        assert!(matches!(
            from_api_code("45001", "Unknown error"),
            ExchangeError::Timeout(_)
        ));
        assert!(from_api_code("25001", "busy").is_transient());
        assert!(is_duplicate_client_oid("1", "Duplicate clientOid"));
    }
}
