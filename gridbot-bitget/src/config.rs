//! Adapter configuration: where to connect, with which keys, and every
//! timing knob (so tests can use short intervals).
//!
//! Defaults follow Bitget's published behaviour: `ping` every 30 s, a
//! connection is declared dead after two silent ping intervals, reconnects
//! back off from 0.5 s to 30 s, REST requests time out after 10 s and are
//! retried at most 3 times when that is safe (see [`crate::http::client`]).

use std::time::Duration;

use crate::common::account::AccountMode;
use crate::common::credentials::Credentials;
use crate::common::enums::ProductType;
use crate::common::urls::{Endpoints, Environment};
use crate::http::rate_limit::RateLimitConfig;

/// WebSocket timings and limits.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WsConfig {
    /// How often to send `ping`.
    pub ping_interval: Duration,
    /// A connection with no message (not even `pong`) for this long is
    /// considered dead and replaced.
    pub idle_timeout: Duration,
    /// First reconnect delay; doubles up to `reconnect_backoff_max`.
    pub reconnect_backoff: Duration,
    /// Longest reconnect delay.
    pub reconnect_backoff_max: Duration,
    /// How long to wait for the login answer.
    pub login_timeout: Duration,
    /// Channels per public connection before another is opened (Bitget
    /// advises fewer than 50).
    pub max_channels_per_connection: usize,
}

impl Default for WsConfig {
    fn default() -> Self {
        WsConfig {
            ping_interval: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            reconnect_backoff: Duration::from_millis(500),
            reconnect_backoff_max: Duration::from_secs(30),
            login_timeout: Duration::from_secs(10),
            max_channels_per_connection: 48,
        }
    }
}

/// Everything the adapter needs to talk to one Bitget account.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BitgetConfig {
    /// Live or demo trading.
    pub environment: Environment,
    /// Classic or unified account: detected from the keys by default.
    pub account: AccountMode,
    /// REST and WebSocket URLs.
    pub endpoints: Endpoints,
    /// API keys; public calls work without them.
    pub credentials: Option<Credentials>,
    /// Time limit of one REST request.
    pub request_timeout: Duration,
    /// Retries of a request after a transient failure, when retrying is safe.
    pub max_retries: u32,
    /// First retry delay; doubles up to `retry_backoff_max`.
    pub retry_backoff: Duration,
    /// Longest retry delay.
    pub retry_backoff_max: Duration,
    /// Client-side rate limits.
    pub rate_limits: RateLimitConfig,
    /// WebSocket timings.
    pub ws: WsConfig,
}

impl BitgetConfig {
    /// Live trading on Bitget with these keys.
    pub fn live(credentials: Option<Credentials>) -> Self {
        Self::with(
            Environment::Live,
            Endpoints::for_environment(Environment::Live),
            credentials,
        )
    }

    /// Demo trading on Bitget with a demo API key (scheme A: `paptrading: 1`,
    /// `USDT-FUTURES`, the `wspap` WebSocket host).
    pub fn demo(credentials: Option<Credentials>) -> Self {
        Self::with(
            Environment::Demo,
            Endpoints::for_environment(Environment::Demo),
            credentials,
        )
    }

    /// A custom base URL (a fake Bitget, a proxy), live product type.
    pub fn with_base_url(base_url: &str, credentials: Option<Credentials>) -> Self {
        Self::with(Environment::Live, Endpoints::from_base_url(base_url), credentials)
    }

    fn with(environment: Environment, endpoints: Endpoints, credentials: Option<Credentials>) -> Self {
        BitgetConfig {
            environment,
            account: AccountMode::Detect,
            endpoints,
            credentials,
            request_timeout: Duration::from_secs(10),
            max_retries: 3,
            retry_backoff: Duration::from_millis(200),
            retry_backoff_max: Duration::from_secs(5),
            rate_limits: RateLimitConfig::bitget(),
            ws: WsConfig::default(),
        }
    }

    /// The same configuration in demo mode (keeps the URLs).
    pub fn demo_mode(mut self) -> Self {
        self.environment = Environment::Demo;
        self
    }

    /// The same configuration with the account kind given instead of detected.
    pub fn with_account(mut self, account: AccountMode) -> Self {
        self.account = account;
        self
    }

    /// Timings short enough for tests against a local fake: 2 s requests,
    /// 10 ms retry backoff, 50 ms reconnect backoff, 1 s ping.
    pub fn fast_for_tests(mut self) -> Self {
        self.request_timeout = Duration::from_secs(2);
        self.retry_backoff = Duration::from_millis(10);
        self.retry_backoff_max = Duration::from_millis(100);
        self.ws.ping_interval = Duration::from_secs(1);
        self.ws.idle_timeout = Duration::from_secs(3);
        self.ws.reconnect_backoff = Duration::from_millis(50);
        self.ws.reconnect_backoff_max = Duration::from_millis(500);
        self.ws.login_timeout = Duration::from_secs(2);
        self
    }

    /// The product type traded (the same live and demo).
    pub fn product_type(&self) -> ProductType {
        ProductType::UsdtFutures
    }

    /// True in demo mode (sends `paptrading: 1`).
    pub fn is_demo(&self) -> bool {
        self.environment == Environment::Demo
    }
}
