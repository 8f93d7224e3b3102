//! [`CachedAdvisor`]: caching, an upstream call budget and single-flight
//! over any [`Advisor`].
//!
//! Rules (defaults in [`CacheConfig`]):
//! - **Key**: `advice:{symbol}:{timeframe}`. An answer is *fresh* for
//!   `ttl_ms` (1 h) after it was computed and is served without asking the
//!   upstream. Entries live in the [`Store`] (kept `retain_ms`, 24 h, so a
//!   stale answer can still be served), so a restart neither loses them
//!   nor spends the budget again; the budget's call log is kept there too.
//! - **Budget**: at most `max_calls` upstream calls (5) in any sliding
//!   `window_ms` (1 h), across all keys. When it is spent, a stale entry is
//!   served with `fallback_reason` saying so; without one the optional
//!   fallback advisor answers (marked the same way, not cached); without a
//!   fallback the call fails with [`AdvisorError::RateLimited`].
//! - **Upstream failure**: a stale entry is served if there is one (marked),
//!   otherwise the error is returned. Failures are not cached.
//! - **Single-flight**: concurrent requests for one key share one
//!   computation; the key leaves the in-flight table when it completes.
//! - **Store errors** never fail a request: the cache is an optimisation;
//!   they are logged and the request proceeds as a miss.
//! - **Background refresh**: [`CachedAdvisor::spawn_refresh`] recomputes the
//!   popular keys every `ttl_ms`, shortly before they expire, using the same
//!   budget and single-flight.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use futures::future::{BoxFuture, FutureExt, Shared};
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::AdvisorError;
use crate::model::{Interval, Symbol, TimestampMs};
use crate::ports::{Advisor, AdvisorRequest, RecommendationSet, Store};

/// Store key of the upstream call log.
const BUDGET_KEY: &str = "advice:upstream-calls";

/// Limits of a [`CachedAdvisor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// How long an answer is fresh, ms (1 h).
    pub ttl_ms: i64,
    /// How long the store keeps an answer for stale serving, ms (24 h).
    pub retain_ms: i64,
    /// Most upstream calls in one window (5).
    pub max_calls: usize,
    /// The budget's sliding window, ms (1 h).
    pub window_ms: i64,
    /// How long before expiry the background refresh recomputes, ms (5 min).
    pub refresh_lead_ms: i64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            ttl_ms: 3_600_000,
            retain_ms: 86_400_000,
            max_calls: 5,
            window_ms: 3_600_000,
            refresh_lead_ms: 300_000,
        }
    }
}

/// Supplies current requests (fresh candles) for the background refresh.
#[async_trait]
pub trait RequestSource: Send + Sync {
    /// A request for `symbol` on `timeframe` with the latest candles.
    async fn request(&self, symbol: &Symbol, timeframe: Interval) -> Result<AdvisorRequest, AdvisorError>;
}

/// What the store holds under a key.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    cached_at: TimestampMs,
    set: RecommendationSet,
}

type Flight = Shared<BoxFuture<'static, Result<RecommendationSet, AdvisorError>>>;

/// An [`Advisor`] that caches another one (see the module docs).
pub struct CachedAdvisor {
    shared: Arc<Inner>,
}

struct Inner {
    upstream: Arc<dyn Advisor>,
    fallback: Option<Arc<dyn Advisor>>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    config: CacheConfig,
    /// Upstream call times in the window; `None` until loaded from the store.
    calls: Mutex<Option<VecDeque<TimestampMs>>>,
    in_flight: Mutex<HashMap<String, Flight>>,
}

impl CachedAdvisor {
    /// Caches `upstream` in `store`, timed by `clock`. `fallback`, if any,
    /// answers when the budget is spent and nothing is cached (typically the
    /// backtest advisor in front of an LLM advisor).
    pub fn new(
        upstream: Arc<dyn Advisor>,
        fallback: Option<Arc<dyn Advisor>>,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: CacheConfig,
    ) -> Self {
        CachedAdvisor {
            shared: Arc::new(Inner {
                upstream,
                fallback,
                store,
                clock,
                config,
                calls: Mutex::new(None),
                in_flight: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The cache key of a (symbol, timeframe).
    pub fn key(symbol: &Symbol, timeframe: Interval) -> String {
        format!("advice:{symbol}:{timeframe}")
    }

    /// Upstream calls still allowed in the current window.
    pub async fn remaining_calls(&self) -> usize {
        let now = self.shared.clock.now_ms();
        self.shared.load_calls().await;
        let mut calls = lock(&self.shared.calls);
        let log = calls.get_or_insert_with(VecDeque::new);
        prune(log, now, self.shared.config.window_ms);
        self.shared.config.max_calls.saturating_sub(log.len())
    }

    /// Recomputes `request`'s key if its entry is missing or expires within
    /// the refresh lead; otherwise does nothing. Returns whether it asked
    /// the upstream.
    pub async fn refresh(&self, request: &AdvisorRequest) -> Result<bool, AdvisorError> {
        let key = Self::key(request.symbol(), request.timeframe);
        let now = self.shared.clock.now_ms();
        let cfg = self.shared.config;
        if let Some(e) = self.shared.load(&key, now).await {
            if now - e.cached_at < cfg.ttl_ms - cfg.refresh_lead_ms {
                return Ok(false);
            }
        }
        self.shared
            .clone()
            .flight(key, request.clone(), true)
            .await
            .map(|_| true)
    }

    /// Spawns a task that refreshes every `(symbol, timeframe)` in `popular`
    /// now and then every `ttl_ms − refresh_lead_ms` of the clock's time, so
    /// popular answers never expire. Failures are logged and retried on the
    /// next round. Abort the handle to stop it.
    pub fn spawn_refresh(
        self: &Arc<Self>,
        popular: Vec<(Symbol, Interval)>,
        source: Arc<dyn RequestSource>,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let cfg = this.shared.config;
            let period = u64::try_from((cfg.ttl_ms - cfg.refresh_lead_ms).max(1_000)).unwrap_or(1_000);
            loop {
                for (symbol, timeframe) in &popular {
                    let outcome = match source.request(symbol, *timeframe).await {
                        Ok(request) => this.refresh(&request).await,
                        Err(e) => Err(e),
                    };
                    if let Err(e) = outcome {
                        tracing::warn!(%symbol, %timeframe, error = %e, "advisor background refresh failed");
                    }
                }
                this.shared.clock.sleep(Duration::from_millis(period)).await;
            }
        })
    }
}

#[async_trait]
impl Advisor for CachedAdvisor {
    async fn recommend(&self, request: &AdvisorRequest) -> Result<RecommendationSet, AdvisorError> {
        let key = Self::key(request.symbol(), request.timeframe);
        let now = self.shared.clock.now_ms();
        if let Some(e) = self.shared.load(&key, now).await {
            if self.shared.is_fresh(&e, now) {
                return Ok(e.set);
            }
        }
        self.shared.clone().flight(key, request.clone(), false).await
    }
}

impl Inner {
    /// Joins the computation in flight for `key`, or starts one.
    fn flight(self: Arc<Self>, key: String, request: AdvisorRequest, force: bool) -> Flight {
        let mut table = lock(&self.in_flight);
        if let Some(f) = table.get(&key) {
            return f.clone();
        }
        let this = self.clone();
        let k = key.clone();
        let fut = async move {
            let out = this.compute(&k, &request, force).await;
            lock(&this.in_flight).remove(&k);
            out
        }
        .boxed()
        .shared();
        table.insert(key, fut.clone());
        fut
    }

    /// The work of one flight: re-check the cache, spend budget, ask.
    async fn compute(
        &self,
        key: &str,
        request: &AdvisorRequest,
        force: bool,
    ) -> Result<RecommendationSet, AdvisorError> {
        let now = self.clock.now_ms();
        let cached = self.load(key, now).await;
        if let Some(e) = cached.as_ref().filter(|e| !force && self.is_fresh(e, now)) {
            return Ok(e.set.clone());
        }
        if !self.take_call(now).await {
            let reason = format!(
                "advisor budget of {} upstream calls per {} min is spent",
                self.config.max_calls,
                self.config.window_ms / 60_000
            );
            if let Some(e) = cached {
                return Ok(stale(e, &reason));
            }
            return match &self.fallback {
                Some(fallback) => {
                    let mut set = fallback.recommend(request).await?;
                    set.fallback_reason = Some(reason);
                    Ok(set)
                }
                None => Err(AdvisorError::RateLimited(format!("{reason}; try again later"))),
            };
        }
        match self.upstream.recommend(request).await {
            Ok(set) => {
                let entry = Entry {
                    cached_at: now,
                    set: set.clone(),
                };
                self.save(key, &entry).await;
                Ok(set)
            }
            Err(err) => match cached {
                Some(e) => Ok(stale(e, &format!("advisor upstream failed ({err})"))),
                None => Err(err),
            },
        }
    }

    fn is_fresh(&self, entry: &Entry, now: TimestampMs) -> bool {
        now - entry.cached_at < self.config.ttl_ms
    }

    /// The stored entry, if any and decodable.
    async fn load(&self, key: &str, now: TimestampMs) -> Option<Entry> {
        match self.store.cache_get(key, now).await {
            Ok(Some(v)) => match serde_json::from_value::<Entry>(v) {
                Ok(e) => Some(e),
                Err(e) => {
                    tracing::warn!(key, error = %e, "ignoring undecodable advisor cache entry");
                    None
                }
            },
            Ok(None) => None,
            Err(e) => {
                tracing::warn!(key, error = %e, "advisor cache read failed; treating as a miss");
                None
            }
        }
    }

    async fn save(&self, key: &str, entry: &Entry) {
        let value = match serde_json::to_value(entry) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(key, error = %e, "advisor answer not cacheable");
                return;
            }
        };
        if let Err(e) = self
            .store
            .cache_put(key, &value, entry.cached_at + self.config.retain_ms)
            .await
        {
            tracing::warn!(key, error = %e, "advisor cache write failed");
        }
    }

    /// Loads the call log from the store once.
    async fn load_calls(&self) {
        if lock(&self.calls).is_some() {
            return;
        }
        let now = self.clock.now_ms();
        let stored: VecDeque<TimestampMs> = match self.store.cache_get(BUDGET_KEY, now).await {
            Ok(Some(v)) => serde_json::from_value(v).unwrap_or_default(),
            Ok(None) => VecDeque::new(),
            Err(e) => {
                tracing::warn!(error = %e, "advisor budget read failed; starting a fresh window");
                VecDeque::new()
            }
        };
        let mut calls = lock(&self.calls);
        if calls.is_none() {
            *calls = Some(stored);
        }
    }

    /// Records one upstream call at `now` if the budget allows it.
    async fn take_call(&self, now: TimestampMs) -> bool {
        self.load_calls().await;
        let snapshot = {
            let mut calls = lock(&self.calls);
            let log = calls.get_or_insert_with(VecDeque::new);
            prune(log, now, self.config.window_ms);
            if log.len() >= self.config.max_calls {
                return false;
            }
            log.push_back(now);
            log.clone()
        };
        match serde_json::to_value(&snapshot) {
            Ok(v) => {
                if let Err(e) = self.store.cache_put(BUDGET_KEY, &v, now + self.config.window_ms).await {
                    tracing::warn!(error = %e, "advisor budget write failed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "advisor budget not serialisable"),
        }
        true
    }
}

/// A stale entry's answer, marked with why it is served.
fn stale(entry: Entry, reason: &str) -> RecommendationSet {
    let mut set = entry.set;
    set.fallback_reason = Some(format!("{reason}; serving the answer cached at {} ms", entry.cached_at));
    set
}

/// Drops calls older than the window.
fn prune(log: &mut VecDeque<TimestampMs>, now: TimestampMs, window_ms: i64) {
    while log.front().is_some_and(|t| now - *t >= window_ms) {
        log.pop_front();
    }
}

/// Locks, ignoring poisoning (the guarded data stays consistent: every
/// critical section is a single update).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests;
