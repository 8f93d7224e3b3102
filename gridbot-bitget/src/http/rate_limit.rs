//! Client-side rate limits per endpoint, at Bitget's published limits.
//!
//! Each endpoint path has its own GCRA limiter (`governor`); a request waits
//! until its endpoint has capacity, so the exchange's own 429 is the
//! exception, not the rule. Limits per second, as published (classic v2:
//! `../shared/bitget/README.md`; unified v3: `UTA.md` §4): classic orders 10,
//! batch place 5 (the lower of the two published figures), positions 5,
//! leverage / margin mode / position mode 5, market data 20; unified place,
//! cancel, leverage and hold mode 10, batches / cancel-all / close 5, reads
//! 20, market data 20; everything else 10. Bursts are allowed up to the
//! per-second figure.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// Per-endpoint requests per second.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RateLimitConfig {
    /// False disables client-side limiting (tests that measure throughput of
    /// the fake; never in production).
    pub enabled: bool,
    /// Requests per second of endpoints not listed in `per_endpoint`.
    pub default_per_second: u32,
    /// Requests per second by path.
    pub per_endpoint: Vec<(String, u32)>,
}

impl RateLimitConfig {
    /// Bitget's published limits.
    pub fn bitget() -> Self {
        let e = |p: &str, n: u32| (p.to_owned(), n);
        RateLimitConfig {
            enabled: true,
            default_per_second: 10,
            per_endpoint: vec![
                e("/api/v2/mix/order/place-order", 10),
                e("/api/v2/mix/order/batch-place-order", 5),
                e("/api/v2/mix/order/cancel-order", 10),
                e("/api/v2/mix/order/batch-cancel-orders", 10),
                e("/api/v2/mix/order/orders-pending", 10),
                e("/api/v2/mix/order/detail", 10),
                e("/api/v2/mix/order/fills", 10),
                e("/api/v2/mix/position/all-position", 5),
                e("/api/v2/mix/position/single-position", 10),
                e("/api/v2/mix/account/account", 10),
                e("/api/v2/mix/account/accounts", 10),
                e("/api/v2/mix/account/set-leverage", 5),
                e("/api/v2/mix/account/set-margin-mode", 5),
                e("/api/v2/mix/account/set-position-mode", 5),
                e("/api/v2/mix/market/candles", 20),
                e("/api/v2/mix/market/history-candles", 20),
                e("/api/v2/mix/market/ticker", 20),
                e("/api/v2/mix/market/contracts", 20),
                e("/api/v2/mix/market/query-position-lever", 10),
                e("/api/v2/mix/order/close-positions", 5),
                e("/api/v2/spot/market/tickers", 20),
                e("/api/v3/trade/place-order", 10),
                e("/api/v3/trade/place-batch", 5),
                e("/api/v3/trade/cancel-order", 10),
                e("/api/v3/trade/cancel-batch", 5),
                e("/api/v3/trade/cancel-symbol-order", 5),
                e("/api/v3/trade/close-positions", 5),
                e("/api/v3/trade/order-info", 20),
                e("/api/v3/trade/unfilled-orders", 20),
                e("/api/v3/trade/fills", 20),
                e("/api/v3/position/current-position", 20),
                e("/api/v3/account/assets", 20),
                e("/api/v3/account/settings", 20),
                e("/api/v3/account/set-leverage", 10),
                e("/api/v3/account/set-hold-mode", 10),
                e("/api/v3/market/instruments", 20),
                e("/api/v3/market/position-tier", 20),
                e("/api/v3/market/tickers", 20),
                e("/api/v3/market/candles", 20),
                e("/api/v3/market/history-candles", 20),
            ],
        }
    }

    /// No client-side limiting.
    pub fn disabled() -> Self {
        RateLimitConfig {
            enabled: false,
            ..Self::bitget()
        }
    }

    /// Every limit multiplied by `factor` (≥ 1), for tests that drive
    /// thousands of requests against a local fake.
    pub fn scaled(factor: u32) -> Self {
        let f = factor.max(1);
        let mut c = Self::bitget();
        c.default_per_second = c.default_per_second.saturating_mul(f);
        for (_, n) in &mut c.per_endpoint {
            *n = n.saturating_mul(f);
        }
        c
    }

    /// The limit of `path`.
    pub fn limit_of(&self, path: &str) -> u32 {
        self.per_endpoint
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, n)| *n)
            .unwrap_or(self.default_per_second)
    }
}

/// The limiters, one per endpoint, shared by every clone of the client.
#[derive(Clone)]
pub struct RateLimiters {
    enabled: bool,
    by_path: Arc<HashMap<String, Arc<DefaultDirectRateLimiter>>>,
    default: Arc<DefaultDirectRateLimiter>,
}

impl std::fmt::Debug for RateLimiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiters")
            .field("enabled", &self.enabled)
            .field("endpoints", &self.by_path.len())
            .finish()
    }
}

fn limiter(per_second: u32) -> Arc<DefaultDirectRateLimiter> {
    let n = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
    Arc::new(RateLimiter::direct(Quota::per_second(n)))
}

impl RateLimiters {
    /// Limiters for `config`.
    pub fn new(config: &RateLimitConfig) -> Self {
        let by_path = config
            .per_endpoint
            .iter()
            .map(|(p, n)| (p.clone(), limiter(*n)))
            .collect::<HashMap<_, _>>();
        RateLimiters {
            enabled: config.enabled,
            by_path: Arc::new(by_path),
            default: limiter(config.default_per_second),
        }
    }

    /// Waits until `path` may be called.
    pub async fn acquire(&self, path: &str) {
        if !self.enabled {
            return;
        }
        let l = self.by_path.get(path).unwrap_or(&self.default);
        l.until_ready().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn calls_beyond_an_endpoints_limit_wait_for_capacity() {
        let mut cfg = RateLimitConfig::bitget();
        cfg.per_endpoint = vec![("/slow".into(), 20)];
        cfg.default_per_second = 10_000;
        let l = RateLimiters::new(&cfg);
        let t = Instant::now();
        for _ in 0..30 {
            l.acquire("/slow").await;
        }
        // 20 pass at once, the other 10 at 20/s: at least ~0.45 s.
        assert!(t.elapsed() >= Duration::from_millis(400), "{:?}", t.elapsed());
        let t = Instant::now();
        for _ in 0..30 {
            l.acquire("/other").await;
        }
        assert!(t.elapsed() < Duration::from_millis(400));
    }

    #[test]
    fn published_limits_are_configured() {
        let c = RateLimitConfig::bitget();
        assert_eq!(c.limit_of("/api/v2/mix/order/place-order"), 10);
        assert_eq!(c.limit_of("/api/v2/mix/order/batch-place-order"), 5);
        assert_eq!(c.limit_of("/api/v2/mix/market/candles"), 20);
        assert_eq!(c.limit_of("/api/v3/trade/place-batch"), 5);
        assert_eq!(c.limit_of("/api/v3/trade/unfilled-orders"), 20);
        assert_eq!(
            RateLimitConfig::scaled(10).limit_of("/api/v2/mix/order/place-order"),
            100
        );
    }
}
