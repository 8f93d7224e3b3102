//! One summary computation per user, shared by `GET /multibot/summary` and
//! every `/stream` connection of that user.
//!
//! Computing a summary costs a store query (every bot of the user with its
//! open-order count), an exchange balance call and a JSON serialisation. A
//! dashboard polls it and keeps a stream open per tab, so without a cache the
//! same work is repeated thousands of times a second under load. The
//! [`SummaryCache`] keeps, per user, the serialised JSON of the last summary
//! and answers from it while it is fresh.
//!
//! # When a cached summary is stale
//!
//! An entry is served only while all of these hold:
//! - no [`BotEvent`](gridbot_core::manager::BotEvent) of the user was published on the manager's event bus
//!   since the computation started (status changes, stats changes: fills,
//!   PnL updates). Every writer in gridbot-core writes the store *before* it
//!   publishes, and the cache drains the bus at the start of every lookup,
//!   so a summary asked for after an event was published always reflects
//!   the write the event announces;
//! - no route of this crate that changes the user's bots or account
//!   (start, stop, create, credentials) called [`SummaryCache::invalidate`]
//!   since the computation started — the routes do so after the change, so
//!   the caller's next summary reflects it even when the change published no
//!   event (e.g. a grid bot created but not started);
//! - the bus did not overflow for this cache (a lagged receiver invalidates
//!   every user);
//! - it is younger than the cache's `max_age` ([`DEFAULT_MAX_AGE`], 1 s).
//!   This bounds what no event announces: the exchange equity and the
//!   unrealised PnL moving with the price, changes made by another process
//!   on the same database. An entry that is merely old is refreshed by one
//!   caller while the others keep being answered from it (so at most
//!   `max_age` plus one computation old); an invalidated one is never
//!   served.
//!
//! Decision: 1 s of staleness for price-driven numbers is invisible on a
//! dashboard that refreshes its stream every 3 s, and it turns thousands of
//! store queries a second into one per user per second.
//!
//! # Sharing
//!
//! Concurrent lookups of a user whose entry is stale wait for a single
//! computation (a per-user async lock) instead of each running their own.
//! Snapshots are [`Arc`]s: a stream connection compares the one it last
//! sent by pointer before comparing bytes.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;

use gridbot_core::manager::{BotEvents, EventsError};
use gridbot_core::model::UserId;

use crate::auth::extract::AuthUser;
use crate::error::ApiResult;
use crate::i18n::Lang;
use crate::state::AppState;

/// How long a summary is served without an event saying it changed.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(1);

/// Users kept before entries idle for longer than [`IDLE_EVICT`] are dropped.
const MAX_USERS: usize = 10_000;
/// An entry unused for this long may be dropped when the map is full.
const IDLE_EVICT: Duration = Duration::from_secs(600);

/// One bot of a snapshot, serialised, with what the bot list filters on.
#[derive(Debug, Clone)]
pub struct BotEntry {
    /// The owner's coarse status (`running`, `stopped`, `error`).
    pub status: &'static str,
    /// The exact state (`created`, `running`, ...).
    pub state: &'static str,
    /// The [`crate::views::BotView`] as JSON.
    pub json: Bytes,
}

/// A computed summary: the JSON body of `GET /multibot/summary` and every
/// bot of the user serialised for `GET /multibot/bots` (newest first).
#[derive(Debug, Default)]
pub struct SummarySnapshot {
    json: Bytes,
    bots: Vec<BotEntry>,
}

impl SummarySnapshot {
    /// A snapshot of a summary's JSON and the user's bots.
    pub fn new(json: Bytes, bots: Vec<BotEntry>) -> Self {
        SummarySnapshot { json, bots }
    }

    /// The [`crate::views::SummaryView`] serialised as JSON.
    pub fn json(&self) -> &Bytes {
        &self.json
    }

    /// Every bot of the user, newest first.
    pub fn bots(&self) -> &[BotEntry] {
        &self.bots
    }

    /// The JSON as text (serde_json writes UTF-8 only).
    pub fn json_str(&self) -> &str {
        std::str::from_utf8(&self.json).unwrap_or("{}")
    }
}

#[derive(Debug, Clone)]
struct Cached {
    /// The user's generation when the computation started.
    generation: u64,
    /// The cache-wide epoch when the computation started.
    epoch: u64,
    /// When the computation started.
    at: Instant,
    snapshot: Arc<SummarySnapshot>,
}

/// What a lookup found.
enum Lookup {
    /// Valid and young: serve it.
    Fresh(Arc<SummarySnapshot>),
    /// Valid but older than the max age: refresh it (or serve it while
    /// another caller refreshes).
    AgedOut(Arc<SummarySnapshot>),
    /// Missing or invalidated: compute before answering.
    Stale,
}

#[derive(Debug)]
struct Slot {
    /// Bumped by every invalidation of the user.
    generation: AtomicU64,
    value: Mutex<Option<Cached>>,
    /// Held while computing, so concurrent lookups share one computation.
    compute: tokio::sync::Mutex<()>,
    /// Last lookup, for eviction.
    used: Mutex<Instant>,
}

impl Slot {
    fn new() -> Self {
        Slot {
            generation: AtomicU64::new(0),
            value: Mutex::new(None),
            compute: tokio::sync::Mutex::new(()),
            used: Mutex::new(Instant::now()),
        }
    }
}

/// Per-user summaries, invalidated by the manager's events and by the
/// routes that change bots; see the [module docs](self) for the rules.
#[derive(Debug)]
pub struct SummaryCache {
    max_age: Duration,
    /// The manager's event bus; `None` once it closed.
    events: Mutex<Option<BotEvents>>,
    /// Bumped when events were lost: invalidates every user.
    epoch: AtomicU64,
    users: RwLock<HashMap<(UserId, Lang), Arc<Slot>>>,
}

impl SummaryCache {
    /// A cache fed by `events` (subscribe it to the manager's bus) serving
    /// summaries up to `max_age` old. `Duration::ZERO` disables caching (every
    /// lookup computes; concurrent lookups still share a computation).
    pub fn new(events: BotEvents, max_age: Duration) -> Self {
        SummaryCache {
            max_age,
            events: Mutex::new(Some(events)),
            epoch: AtomicU64::new(0),
            users: RwLock::new(HashMap::new()),
        }
    }

    /// Marks the user's summary stale (in every language): the next lookup
    /// computes it again.
    pub fn invalidate(&self, user: UserId) {
        let Ok(map) = self.users.read() else {
            return;
        };
        for lang in [Lang::En, Lang::Ko] {
            if let Some(slot) = map.get(&(user, lang)) {
                slot.generation.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// Marks every summary stale.
    pub fn invalidate_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Applies the events published since the last lookup.
    fn drain_events(&self) {
        let Ok(mut guard) = self.events.lock() else {
            return;
        };
        let Some(rx) = guard.as_mut() else {
            return;
        };
        loop {
            match rx.try_recv() {
                Ok(Some(ev)) => self.invalidate(ev.user_id()),
                Ok(None) => return,
                Err(EventsError::Lagged(_)) => self.invalidate_all(),
                Err(EventsError::Closed) => {
                    // No more events: rely on max_age alone.
                    *guard = None;
                    return;
                }
            }
        }
    }

    fn slot(&self, key: (UserId, Lang)) -> Arc<Slot> {
        if let Some(s) = self.users.read().ok().and_then(|m| m.get(&key).cloned()) {
            return s;
        }
        let Ok(mut map) = self.users.write() else {
            // A poisoned map: serve uncached rather than fail.
            return Arc::new(Slot::new());
        };
        if map.len() >= MAX_USERS && !map.contains_key(&key) {
            map.retain(|_, s| s.used.lock().map(|u| u.elapsed() < IDLE_EVICT).unwrap_or(false));
        }
        map.entry(key).or_insert_with(|| Arc::new(Slot::new())).clone()
    }

    fn lookup(&self, slot: &Slot) -> Lookup {
        let Ok(value) = slot.value.lock() else {
            return Lookup::Stale;
        };
        let Some(c) = value.as_ref() else {
            return Lookup::Stale;
        };
        if c.generation != slot.generation.load(Ordering::Acquire) || c.epoch != self.epoch.load(Ordering::Acquire) {
            return Lookup::Stale;
        }
        if c.at.elapsed() < self.max_age {
            Lookup::Fresh(c.snapshot.clone())
        } else if self.max_age.is_zero() {
            Lookup::Stale
        } else {
            Lookup::AgedOut(c.snapshot.clone())
        }
    }

    /// The user's summary: the cached one while fresh, else computed with
    /// `compute` (once for all concurrent callers).
    ///
    /// An entry that is only *old* (older than `max_age`, no invalidation
    /// since) is recomputed by the first caller while the others keep
    /// getting it until the new one is ready, so the periodic refresh never
    /// queues requests behind a store query. Such an entry is at most
    /// `max_age` plus one computation old. An *invalidated* entry is never
    /// served: every caller waits for the new computation.
    pub async fn get_with<F, Fut>(&self, user: UserId, lang: Lang, compute: F) -> ApiResult<Arc<SummarySnapshot>>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ApiResult<SummarySnapshot>>,
    {
        self.drain_events();
        let slot = self.slot((user, lang));
        if let Ok(mut u) = slot.used.lock() {
            *u = Instant::now();
        }
        let _computing = match self.lookup(&slot) {
            Lookup::Fresh(s) => return Ok(s),
            Lookup::AgedOut(old) => match slot.compute.try_lock() {
                Ok(guard) => guard,
                // Someone is refreshing it already.
                Err(_) => return Ok(old),
            },
            Lookup::Stale => slot.compute.lock().await,
        };
        // Someone may have computed it while we waited; events may have
        // arrived meanwhile too.
        self.drain_events();
        if let Lookup::Fresh(s) = self.lookup(&slot) {
            return Ok(s);
        }
        let generation = slot.generation.load(Ordering::Acquire);
        let epoch = self.epoch.load(Ordering::Acquire);
        let at = Instant::now();
        let snapshot = Arc::new(compute().await?);
        if let Ok(mut v) = slot.value.lock() {
            *v = Some(Cached {
                generation,
                epoch,
                at,
                snapshot: snapshot.clone(),
            });
        }
        Ok(snapshot)
    }

    /// The user's summary in `lang`, computed from `state` when stale.
    pub async fn get(&self, state: &AppState, user: &AuthUser, lang: Lang) -> ApiResult<Arc<SummarySnapshot>> {
        self.get_with(user.id, lang, || {
            crate::routes::multibot::summary_snapshot(state, user, lang)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridbot_core::manager::{BotEvent, EventBus};
    use gridbot_core::model::{BotId, BotStatus};
    use std::sync::atomic::AtomicUsize;

    async fn counting(n: &AtomicUsize) -> ApiResult<SummarySnapshot> {
        let i = n.fetch_add(1, Ordering::SeqCst);
        Ok(snap(format!("{{\"n\":{i}}}")))
    }

    fn snap(json: impl Into<Bytes>) -> SummarySnapshot {
        SummarySnapshot::new(json.into(), Vec::new())
    }

    fn status_event(user: i64) -> BotEvent {
        BotEvent::StatusChanged {
            user_id: UserId(user),
            bot_id: BotId(1),
            status: BotStatus::Running,
            message: None,
            ts: 0,
        }
    }

    #[tokio::test]
    async fn an_event_of_the_user_invalidates_only_that_user() {
        let bus = EventBus::new();
        let cache = SummaryCache::new(bus.subscribe(), Duration::from_secs(3600));
        let n = AtomicUsize::new(0);
        let a1 = cache.get_with(UserId(1), Lang::En, || counting(&n)).await.unwrap();
        let b1 = cache.get_with(UserId(2), Lang::En, || counting(&n)).await.unwrap();
        assert!(Arc::ptr_eq(
            &a1,
            &cache.get_with(UserId(1), Lang::En, || counting(&n)).await.unwrap()
        ));
        bus.publish(status_event(1));
        let a2 = cache.get_with(UserId(1), Lang::En, || counting(&n)).await.unwrap();
        assert!(!Arc::ptr_eq(&a1, &a2), "user 1's event must force a new summary");
        assert!(Arc::ptr_eq(
            &b1,
            &cache.get_with(UserId(2), Lang::En, || counting(&n)).await.unwrap()
        ));
        assert_eq!(n.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn explicit_invalidation_and_max_age_force_a_new_computation() {
        let bus = EventBus::new();
        let cache = SummaryCache::new(bus.subscribe(), Duration::from_secs(3600));
        let n = AtomicUsize::new(0);
        let a = cache.get_with(UserId(1), Lang::En, || counting(&n)).await.unwrap();
        cache.invalidate(UserId(1));
        let b = cache.get_with(UserId(1), Lang::En, || counting(&n)).await.unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        cache.invalidate_all();
        let c = cache.get_with(UserId(1), Lang::En, || counting(&n)).await.unwrap();
        assert!(!Arc::ptr_eq(&b, &c));

        let uncached = SummaryCache::new(bus.subscribe(), Duration::ZERO);
        let x = uncached.get_with(UserId(1), Lang::En, || counting(&n)).await.unwrap();
        let y = uncached.get_with(UserId(1), Lang::En, || counting(&n)).await.unwrap();
        assert!(!Arc::ptr_eq(&x, &y));
    }

    #[tokio::test]
    async fn an_event_during_a_computation_leaves_the_result_stale() {
        let bus = EventBus::new();
        let cache = SummaryCache::new(bus.subscribe(), Duration::from_secs(3600));
        let first = cache
            .get_with(UserId(1), Lang::En, || async {
                // The store write and its event land while we compute.
                bus.publish(status_event(1));
                Ok(snap(Bytes::from_static(b"old")))
            })
            .await
            .unwrap();
        assert_eq!(first.json_str(), "old");
        let next = cache
            .get_with(UserId(1), Lang::En, || async { Ok(snap(Bytes::from_static(b"new"))) })
            .await
            .unwrap();
        assert_eq!(next.json_str(), "new");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_old_entry_is_served_while_one_caller_refreshes_it_but_an_invalidated_one_never() {
        let bus = EventBus::new();
        let cache = Arc::new(SummaryCache::new(bus.subscribe(), Duration::from_millis(20)));
        let first = cache
            .get_with(UserId(1), Lang::En, || async { Ok(snap(Bytes::from_static(b"v1"))) })
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(40)).await;
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
        let release = Arc::new(tokio::sync::Notify::new());
        let refresher = {
            let (cache, release) = (cache.clone(), release.clone());
            tokio::spawn(async move {
                cache
                    .get_with(UserId(1), Lang::En, || async move {
                        let _ = started_tx.send(());
                        release.notified().await;
                        Ok(snap(Bytes::from_static(b"v2")))
                    })
                    .await
                    .unwrap()
            })
        };
        started_rx.await.unwrap();
        // The refresh is under way: others get the old entry at once.
        let during = cache
            .get_with(UserId(1), Lang::En, || async { panic!("a second computation") })
            .await
            .unwrap();
        assert!(Arc::ptr_eq(&first, &during));
        release.notify_one();
        assert_eq!(refresher.await.unwrap().json_str(), "v2");

        // Invalidated: the next caller computes, it is not served the old one.
        cache.invalidate(UserId(1));
        let n = AtomicUsize::new(0);
        let after = cache.get_with(UserId(1), Lang::En, || counting(&n)).await.unwrap();
        assert_eq!(after.json_str(), "{\"n\":0}");
    }

    #[tokio::test]
    async fn a_lagged_bus_invalidates_everyone() {
        let bus = EventBus::new();
        let cache = SummaryCache::new(bus.subscribe(), Duration::from_secs(3600));
        let n = AtomicUsize::new(0);
        let a = cache.get_with(UserId(1), Lang::En, || counting(&n)).await.unwrap();
        for _ in 0..(gridbot_core::manager::EVENT_CAPACITY + 10) {
            bus.publish(status_event(2));
        }
        let b = cache.get_with(UserId(1), Lang::En, || counting(&n)).await.unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
    }

    #[tokio::test]
    async fn concurrent_lookups_share_one_computation() {
        let bus = EventBus::new();
        let cache = Arc::new(SummaryCache::new(bus.subscribe(), Duration::from_secs(3600)));
        let n = Arc::new(AtomicUsize::new(0));
        let mut joins = Vec::new();
        for _ in 0..8 {
            let (cache, n) = (cache.clone(), n.clone());
            joins.push(tokio::spawn(async move {
                cache
                    .get_with(UserId(1), Lang::En, || async move {
                        tokio::task::yield_now().await;
                        n.fetch_add(1, Ordering::SeqCst);
                        Ok(snap(Bytes::from_static(b"{}")))
                    })
                    .await
                    .unwrap()
            }));
        }
        for j in joins {
            j.await.unwrap();
        }
        assert_eq!(n.load(Ordering::SeqCst), 1);
    }
}
