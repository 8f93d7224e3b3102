//! The signed REST client: builds the canonical query, signs, sends, reads
//! the `{"code":"00000","data":..}` envelope and maps failures to
//! [`ExchangeError`].
//!
//! Retry policy (what is safe to send twice):
//! - [`Retry::Safe`] (reads, and writes that are idempotent: set leverage,
//!   margin mode, position mode, cancel): retried on any transient error.
//! - [`Retry::RefusedOnly`] (order placement): retried only after HTTP 429,
//!   when the server certainly did nothing. After a timeout or a server error
//!   the outcome is unknown; the caller (see [`crate::execution::orders`]) asks for
//!   the `clientOid` before sending again.
//!
//! Every request first waits for its endpoint's client-side rate limiter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gridbot_core::ExchangeError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::common::parse::de_string;
use crate::common::signing::{canonical_query, sign_rest};
use crate::config::BitgetConfig;
use crate::http::error::{from_api_code, from_http_status, is_duplicate_client_oid};
use crate::http::rate_limit::RateLimiters;

/// The success code of the envelope.
pub const SUCCESS_CODE: &str = "00000";

/// Whether a request may be sent again after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Sending twice does no harm: retry any transient failure.
    Safe,
    /// Retry only when the server refused before doing anything (HTTP 429).
    RefusedOnly,
}

#[derive(Deserialize)]
struct Head {
    #[serde(default, deserialize_with = "de_string")]
    code: String,
    #[serde(default, deserialize_with = "de_string")]
    msg: String,
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: Option<T>,
}

/// A failure with the raw Bitget code kept, so callers can recognise
/// specific refusals (duplicate `clientOid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiFailure {
    /// The typed error.
    pub error: ExchangeError,
    /// Bitget's code when the envelope carried one.
    pub code: Option<String>,
    /// True when the refusal says the `clientOid` was already used.
    pub duplicate_client_oid: bool,
}

impl From<ExchangeError> for ApiFailure {
    fn from(error: ExchangeError) -> Self {
        ApiFailure {
            error,
            code: None,
            duplicate_client_oid: false,
        }
    }
}

struct Inner {
    http: reqwest::Client,
    config: BitgetConfig,
    limiters: RateLimiters,
    requests_sent: AtomicU64,
}

/// The REST client. Cheap to clone; clones share the connection pool and
/// the rate limiters.
#[derive(Clone)]
pub struct BitgetHttpClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for BitgetHttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BitgetHttpClient")
            .field("rest", &self.inner.config.endpoints.rest)
            .field("environment", &self.inner.config.environment)
            .field("credentials", &self.inner.config.credentials)
            .finish()
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl BitgetHttpClient {
    /// A client for `config`.
    pub fn new(config: BitgetConfig) -> Result<Self, ExchangeError> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .pool_max_idle_per_host(8)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| ExchangeError::Connectivity(format!("cannot build the HTTP client: {e}")))?;
        let limiters = RateLimiters::new(&config.rate_limits);
        Ok(BitgetHttpClient {
            inner: Arc::new(Inner {
                http,
                config,
                limiters,
                requests_sent: AtomicU64::new(0),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BitgetConfig {
        &self.inner.config
    }

    /// How many HTTP requests this client (and its clones) has sent.
    pub fn requests_sent(&self) -> u64 {
        self.inner.requests_sent.load(Ordering::Relaxed)
    }

    /// A GET (public when `signed` is false), retried when safe.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, String)],
        signed: bool,
    ) -> Result<T, ExchangeError> {
        self.get_detailed(path, params, signed).await.map_err(|f| f.error)
    }

    /// A GET that keeps Bitget's code in the failure (to tell refusals apart).
    pub async fn get_detailed<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, String)],
        signed: bool,
    ) -> Result<T, ApiFailure> {
        let query = canonical_query(params);
        self.with_retries(Retry::Safe, || self.send_once("GET", path, &query, "", signed))
            .await
    }

    /// A signed POST with a JSON body.
    pub async fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        retry: Retry,
    ) -> Result<T, ApiFailure> {
        let body = serde_json::to_string(body)
            .map_err(|e| ExchangeError::Protocol(format!("cannot encode the request to {path}: {e}")))?;
        self.with_retries(retry, || self.send_once("POST", path, "", &body, true))
            .await
    }

    async fn with_retries<T, F, Fut>(&self, retry: Retry, mut attempt: F) -> Result<T, ApiFailure>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiFailure>>,
    {
        let cfg = &self.inner.config;
        let mut delay = cfg.retry_backoff;
        let mut tries = 0u32;
        loop {
            let result = attempt().await;
            let err = match result {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            let retryable = match (&err.error, retry) {
                (ExchangeError::RateLimited { .. }, _) => true,
                (e, Retry::Safe) => e.is_transient(),
                (_, Retry::RefusedOnly) => false,
            };
            if !retryable || tries >= cfg.max_retries {
                return Err(err);
            }
            tries += 1;
            let wait = match &err.error {
                ExchangeError::RateLimited { retry_after_ms } => delay.max(Duration::from_millis(*retry_after_ms)),
                _ => delay,
            };
            tracing::debug!(error = %err.error, attempt = tries, wait_ms = wait.as_millis() as u64, "retrying Bitget request");
            tokio::time::sleep(wait).await;
            delay = (delay * 2).min(cfg.retry_backoff_max);
        }
    }

    async fn send_once<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        query: &str,
        body: &str,
        signed: bool,
    ) -> Result<T, ApiFailure> {
        let cfg = &self.inner.config;
        self.inner.limiters.acquire(path).await;
        let url = if query.is_empty() {
            format!("{}{}", cfg.endpoints.rest, path)
        } else {
            format!("{}{}?{}", cfg.endpoints.rest, path, query)
        };
        let mut req = if method == "GET" {
            self.inner.http.get(&url)
        } else {
            self.inner.http.post(&url).body(body.to_owned())
        };
        req = req.header("Content-Type", "application/json").header("locale", "en-US");
        if cfg.is_demo() {
            req = req.header("paptrading", "1");
        }
        if signed {
            let creds = cfg.credentials.as_ref().ok_or_else(|| {
                ExchangeError::Auth(
                    "no API credentials configured: set GRIDBOT_BITGET_API_KEY, GRIDBOT_BITGET_API_SECRET and GRIDBOT_BITGET_PASSPHRASE".into(),
                )
            })?;
            let ts = now_ms().to_string();
            let sign = sign_rest(creds.secret(), &ts, method, path, query, body);
            req = req
                .header("ACCESS-KEY", creds.api_key())
                .header("ACCESS-SIGN", sign)
                .header("ACCESS-TIMESTAMP", ts)
                .header("ACCESS-PASSPHRASE", creds.passphrase());
        }
        self.inner.requests_sent.fetch_add(1, Ordering::Relaxed);
        let resp = req.send().await.map_err(|e| transport_error(path, &e))?;
        let status = resp.status().as_u16();
        let retry_after_ms = resp
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(|s| s.saturating_mul(1000));
        let bytes = resp.bytes().await.map_err(|e| transport_error(path, &e))?;
        parse_response(path, status, &bytes, retry_after_ms)
    }
}

fn transport_error(path: &str, e: &reqwest::Error) -> ApiFailure {
    let err = if e.is_timeout() {
        ExchangeError::Timeout(format!("{path}: no answer in time"))
    } else {
        ExchangeError::Connectivity(format!("{path}: {e}"))
    };
    err.into()
}

/// Reads one HTTP answer: status, envelope, data.
pub fn parse_response<T: DeserializeOwned>(
    path: &str,
    status: u16,
    bytes: &[u8],
    retry_after_ms: Option<u64>,
) -> Result<T, ApiFailure> {
    let text = || String::from_utf8_lossy(bytes).into_owned();
    if status == 429 || status >= 500 {
        return Err(from_http_status(status, &text(), retry_after_ms).into());
    }
    let head: Head = match serde_json::from_slice(bytes) {
        Ok(h) => h,
        Err(e) if (200..300).contains(&status) => {
            return Err(ExchangeError::Protocol(format!("{path}: malformed JSON answer ({e})")).into())
        }
        Err(_) => return Err(from_http_status(status, &text(), retry_after_ms).into()),
    };
    if head.code != SUCCESS_CODE {
        if head.code.is_empty() {
            return Err(from_http_status(status, &text(), retry_after_ms).into());
        }
        return Err(ApiFailure {
            error: from_api_code(&head.code, &head.msg),
            duplicate_client_oid: is_duplicate_client_oid(&head.code, &head.msg),
            code: Some(head.code),
        });
    }
    let env: Envelope<T> = serde_json::from_slice(bytes)
        .map_err(|e| ExchangeError::Protocol(format!("{path}: unexpected data in the answer ({e})")))?;
    env.data
        .ok_or_else(|| ExchangeError::Protocol(format!("{path}: answer without data")).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_success_yields_data_and_errors_are_typed() {
        let v: Vec<u32> = parse_response(
            "/p",
            200,
            br#"{"code":"00000","msg":"success","requestTime":1,"data":[1,2]}"#,
            None,
        )
        .unwrap();
        assert_eq!(v, vec![1, 2]);
        let e = parse_response::<serde_json::Value>(
            "/p",
            400,
            br#"{"code":"43012","msg":"Insufficient balance","data":null}"#,
            None,
        )
        .unwrap_err();
        assert!(matches!(e.error, ExchangeError::InsufficientBalance(_)));
        assert_eq!(e.code.as_deref(), Some("43012"));
        let e = parse_response::<serde_json::Value>("/p", 200, b"{\"code\":\"000", None).unwrap_err();
        assert!(matches!(e.error, ExchangeError::Protocol(_)));
        let e = parse_response::<serde_json::Value>("/p", 502, b"<html>bad gateway</html>", None).unwrap_err();
        assert!(matches!(e.error, ExchangeError::Connectivity(_)));
        let e = parse_response::<serde_json::Value>("/p", 429, b"", Some(2000)).unwrap_err();
        assert_eq!(e.error, ExchangeError::RateLimited { retry_after_ms: 2000 });
        let e = parse_response::<serde_json::Value>("/p", 400, br#"{"code":40786,"msg":"Duplicate clientOid"}"#, None)
            .unwrap_err();
        assert!(e.duplicate_client_oid);
        // A refusal that arrives with HTTP 400 is read from its envelope.
        let e =
            parse_response::<serde_json::Value>("/p", 400, br#"{"code":"40084","msg":"Classic Account mode"}"#, None)
                .unwrap_err();
        assert_eq!(e.code.as_deref(), Some("40084"));
    }
}
