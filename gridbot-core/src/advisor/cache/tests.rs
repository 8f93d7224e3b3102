//! CachedAdvisor rules, on a simulated clock with a counting upstream.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tokio::sync::Semaphore;

use super::*;
use crate::clock::ManualClock;
use crate::error::StoreError;
use crate::model::{Candle, Instrument};
use crate::ports::mocks::MockStore;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const T0: i64 = 1_700_000_000_000;

/// An upstream that counts its calls, can be held at a gate and can fail.
struct Counting {
    calls: AtomicUsize,
    gate: Option<Arc<Semaphore>>,
    fail: AtomicBool,
    source: &'static str,
}

impl Counting {
    fn new(source: &'static str) -> Arc<Self> {
        Arc::new(Counting {
            calls: AtomicUsize::new(0),
            gate: None,
            fail: AtomicBool::new(false),
            source,
        })
    }

    fn gated(gate: Arc<Semaphore>) -> Arc<Self> {
        Arc::new(Counting {
            calls: AtomicUsize::new(0),
            gate: Some(gate),
            fail: AtomicBool::new(false),
            source: "upstream",
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Advisor for Counting {
    async fn recommend(&self, request: &AdvisorRequest) -> Result<RecommendationSet, AdvisorError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(gate) = &self.gate {
            let _permit = gate
                .acquire()
                .await
                .map_err(|e| AdvisorError::Upstream(e.to_string()))?;
        }
        if self.fail.load(Ordering::SeqCst) {
            return Err(AdvisorError::Upstream("boom".into()));
        }
        let analysis = crate::analysis::analyze_request(request)?;
        Ok(RecommendationSet::new(
            analysis,
            Vec::new(),
            format!("{}#{n}", self.source),
            request.now,
        ))
    }
}

type Cells = Arc<Mutex<HashMap<String, (serde_json::Value, TimestampMs)>>>;

/// A store whose advisor cache is a shared map (what survives a "restart").
fn store(cells: &Cells) -> Arc<dyn Store> {
    let mut s = MockStore::new();
    let get = cells.clone();
    s.expect_cache_get().returning(move |key: &str, now: TimestampMs| {
        Ok(get
            .lock()
            .unwrap()
            .get(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(v, _)| v.clone()))
    });
    let put = cells.clone();
    s.expect_cache_put()
        .returning(move |key: &str, value: &serde_json::Value, exp: TimestampMs| {
            put.lock().unwrap().insert(key.to_owned(), (value.clone(), exp));
            Ok(())
        });
    Arc::new(s)
}

fn instrument(symbol: &str) -> Instrument {
    let b = Instrument::btcusdt();
    Instrument::new(
        Symbol::new(symbol).unwrap(),
        b.tick_size,
        b.lot_size,
        b.min_qty,
        b.min_notional,
        b.max_leverage,
        b.maker_fee,
        b.taker_fee,
        b.maint_margin_rate,
    )
    .unwrap()
}

fn request(symbol: &str, now: TimestampMs) -> AdvisorRequest {
    let candles: Vec<Candle> = (0..30)
        .map(|i| {
            let p = dec!(100) + Decimal::from(i % 5);
            Candle {
                ts: now - (30 - i) * HOUR,
                open: p,
                high: p + dec!(1),
                low: p - dec!(1),
                close: p,
                volume: dec!(1),
            }
        })
        .collect();
    AdvisorRequest::new(instrument(symbol), Interval::H1, Arc::new(candles), now)
}

struct Fixture {
    clock: Arc<ManualClock>,
    cells: Cells,
    upstream: Arc<Counting>,
    cached: CachedAdvisor,
}

fn fixture(upstream: Arc<Counting>, fallback: Option<Arc<dyn Advisor>>) -> Fixture {
    let clock = Arc::new(ManualClock::new(T0));
    let cells: Cells = Arc::default();
    let cached = CachedAdvisor::new(
        upstream.clone(),
        fallback,
        store(&cells),
        clock.clone(),
        CacheConfig::default(),
    );
    Fixture {
        clock,
        cells,
        upstream,
        cached,
    }
}

#[tokio::test]
async fn an_answer_is_served_from_cache_for_one_hour_then_recomputed() {
    let f = fixture(Counting::new("upstream"), None);
    let first = f.cached.recommend(&request("BTCUSDT", T0)).await.unwrap();
    f.clock.advance(59 * MIN);
    let again = f.cached.recommend(&request("BTCUSDT", T0 + 59 * MIN)).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(f.upstream.calls(), 1);
    // Another timeframe is another key.
    let mut other = request("BTCUSDT", T0 + 59 * MIN);
    other.timeframe = Interval::H4;
    f.cached.recommend(&other).await.unwrap();
    assert_eq!(f.upstream.calls(), 2);
    f.clock.advance(MIN);
    let fresh = f.cached.recommend(&request("BTCUSDT", T0 + HOUR)).await.unwrap();
    assert_eq!(f.upstream.calls(), 3);
    assert_eq!(fresh.source, "upstream#3");
    assert!(f.cells.lock().unwrap().contains_key("advice:BTCUSDT:1h"));
}

#[tokio::test]
async fn concurrent_identical_requests_share_one_upstream_call() {
    let gate = Arc::new(Semaphore::new(0));
    let f = fixture(Counting::gated(gate.clone()), None);
    let cached = Arc::new(f.cached);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = cached.clone();
            tokio::spawn(async move { c.recommend(&request("BTCUSDT", T0)).await })
        })
        .collect();
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert_eq!(f.upstream.calls(), 1);
    gate.add_permits(8);
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap().source, "upstream#1");
    }
    assert_eq!(f.upstream.calls(), 1);
    assert_eq!(cached.remaining_calls().await, 4);
}

#[tokio::test]
async fn the_upstream_budget_is_five_calls_in_any_sliding_hour() {
    let f = fixture(Counting::new("upstream"), None);
    for (i, s) in ["AUSDT", "BUSDT", "CUSDT", "DUSDT", "EUSDT"].iter().enumerate() {
        f.clock.set(T0 + i as i64 * MIN);
        f.cached.recommend(&request(s, f.clock.now_ms())).await.unwrap();
    }
    let err = f
        .cached
        .recommend(&request("FUSDT", f.clock.now_ms()))
        .await
        .unwrap_err();
    assert!(matches!(err, AdvisorError::RateLimited(_)), "{err}");
    assert_eq!(f.upstream.calls(), 5);
    // One hour after the first call, one call is free again.
    f.clock.set(T0 + HOUR);
    assert_eq!(f.cached.remaining_calls().await, 1);
    f.cached.recommend(&request("FUSDT", T0 + HOUR)).await.unwrap();
    assert_eq!(f.upstream.calls(), 6);
    assert!(f.cached.recommend(&request("GUSDT", T0 + HOUR)).await.is_err());
}

#[tokio::test]
async fn a_spent_budget_serves_the_stale_answer_marked_as_such() {
    let f = fixture(Counting::new("upstream"), None);
    let original = f.cached.recommend(&request("AUSDT", T0)).await.unwrap();
    for s in ["BUSDT", "CUSDT", "DUSDT"] {
        f.cached.recommend(&request(s, T0)).await.unwrap();
    }
    f.clock.set(T0 + 50 * MIN);
    f.cached.recommend(&request("EUSDT", T0 + 50 * MIN)).await.unwrap();
    f.clock.set(T0 + 61 * MIN); // A is stale; E's call still holds a slot, and 4 calls expired
    for s in ["BUSDT", "CUSDT", "DUSDT", "FUSDT"] {
        f.cached.recommend(&request(s, T0 + 61 * MIN)).await.unwrap();
    }
    let served = f.cached.recommend(&request("AUSDT", T0 + 61 * MIN)).await.unwrap();
    assert_eq!(f.upstream.calls(), 9);
    assert_eq!(served.source, original.source);
    let reason = served.fallback_reason.unwrap();
    assert!(reason.contains("budget") && reason.contains("cached at"), "{reason}");
}

#[tokio::test]
async fn a_spent_budget_without_a_cached_answer_asks_the_fallback() {
    let fallback = Counting::new("backtest");
    let f = fixture(Counting::new("upstream"), Some(fallback.clone()));
    for s in ["AUSDT", "BUSDT", "CUSDT", "DUSDT", "EUSDT"] {
        f.cached.recommend(&request(s, T0)).await.unwrap();
    }
    let set = f.cached.recommend(&request("FUSDT", T0)).await.unwrap();
    assert_eq!(set.source, "backtest#1");
    assert!(set.fallback_reason.unwrap().contains("5 upstream calls per 60 min"));
    // Fallback answers are not cached: the next request asks again.
    f.cached.recommend(&request("FUSDT", T0)).await.unwrap();
    assert_eq!(fallback.calls(), 2);
}

#[tokio::test]
async fn a_restart_reuses_the_stored_answers_and_call_log() {
    let f = fixture(Counting::new("upstream"), None);
    for s in ["AUSDT", "BUSDT", "CUSDT"] {
        f.cached.recommend(&request(s, T0)).await.unwrap();
    }
    let upstream = Counting::new("upstream");
    let restarted = CachedAdvisor::new(
        upstream.clone(),
        None,
        store(&f.cells),
        f.clock.clone(),
        CacheConfig::default(),
    );
    let set = restarted.recommend(&request("AUSDT", T0 + MIN)).await.unwrap();
    assert_eq!(set.source, "upstream#1");
    assert_eq!(upstream.calls(), 0);
    assert_eq!(restarted.remaining_calls().await, 2);
}

#[tokio::test]
async fn an_upstream_failure_serves_the_stale_answer_or_returns_the_error() {
    let f = fixture(Counting::new("upstream"), None);
    f.cached.recommend(&request("AUSDT", T0)).await.unwrap();
    f.upstream.fail.store(true, Ordering::SeqCst);
    f.clock.set(T0 + 2 * HOUR);
    let served = f.cached.recommend(&request("AUSDT", T0 + 2 * HOUR)).await.unwrap();
    assert!(served.fallback_reason.unwrap().contains("upstream failed"));
    let err = f.cached.recommend(&request("BUSDT", T0 + 2 * HOUR)).await.unwrap_err();
    assert!(matches!(err, AdvisorError::Upstream(_)));
    // Failures are not cached: once the upstream recovers it is asked again.
    f.upstream.fail.store(false, Ordering::SeqCst);
    assert!(f.cached.recommend(&request("BUSDT", T0 + 2 * HOUR)).await.is_ok());
}

#[tokio::test]
async fn a_failing_store_degrades_to_asking_the_upstream() {
    let mut s = MockStore::new();
    s.expect_cache_get()
        .returning(|_: &str, _: TimestampMs| Err(StoreError::Database("disk full".into())));
    s.expect_cache_put()
        .returning(|_: &str, _: &serde_json::Value, _: TimestampMs| Err(StoreError::Database("disk full".into())));
    let upstream = Counting::new("upstream");
    let clock = Arc::new(ManualClock::new(T0));
    let cached = CachedAdvisor::new(upstream.clone(), None, Arc::new(s), clock, CacheConfig::default());
    assert!(cached.recommend(&request("AUSDT", T0)).await.is_ok());
    assert!(cached.recommend(&request("AUSDT", T0)).await.is_ok());
    assert_eq!(upstream.calls(), 2);
}

struct Source;

#[async_trait]
impl RequestSource for Source {
    async fn request(&self, symbol: &Symbol, _timeframe: Interval) -> Result<AdvisorRequest, AdvisorError> {
        Ok(request(symbol.as_str(), T0))
    }
}

async fn wait_for(what: impl Fn() -> bool) {
    for _ in 0..1000 {
        if what() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("condition not reached");
}

#[tokio::test]
async fn popular_symbols_are_refreshed_before_their_answer_expires() {
    let f = fixture(Counting::new("upstream"), None);
    let cached = Arc::new(f.cached);
    let popular = vec![(Symbol::new("BTCUSDT").unwrap(), Interval::H1)];
    let task = cached.spawn_refresh(popular, Arc::new(Source));
    wait_for(|| f.upstream.calls() == 1).await;
    // A user's request within the hour is a cache hit.
    cached.recommend(&request("BTCUSDT", T0 + MIN)).await.unwrap();
    assert_eq!(f.upstream.calls(), 1);
    f.clock.advance(54 * MIN);
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    assert_eq!(f.upstream.calls(), 1);
    f.clock.advance(MIN); // 55 min: 5 min before expiry
    wait_for(|| f.upstream.calls() == 2).await;
    f.clock.advance(10 * MIN); // 65 min: the refreshed answer is still fresh
    cached.recommend(&request("BTCUSDT", T0 + 65 * MIN)).await.unwrap();
    assert_eq!(f.upstream.calls(), 2);
    task.abort();
}
