//! `fanout` bench: 1,000 bots on one tokio runtime receiving one shared tick
//! stream through the [`MarketHub`] (one upstream subscription), each
//! running its engine's decision on every tick — the runners' hot path
//! (a tick that leads to no command does no I/O).
//!
//! Each bot is a task holding a trend engine with an open position (so every
//! tick runs the stop-loss / take-profit check). The bench stamps each
//! tick's `ts` with its publication time in nanoseconds since the bench
//! started; each bot records `now − ts` after its decision.
//!
//! - `fanout/tick_to_all_1000_bots`: time from publishing one tick until
//!   all 1,000 bots have decided (criterion, `Throughput::Elements(1000)`).
//! - After the criterion run, 2,000 ticks are published 2 ms apart and the
//!   p50 / p99 / max per-bot tick-to-decision latency is printed (target
//!   p99 ≤ 1 ms).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use futures::channel::mpsc;
use futures::StreamExt;
use gridbot_core::engine::trend::TrendEngine;
use gridbot_core::engine::{BotEngine, EngineEvent};
use gridbot_core::error::MarketDataError;
use gridbot_core::model::{
    BotId, Candle, ClientOrderId, Fill, Instrument, Interval, Liquidity, MarketEvent, Side, Symbol, Tick, TrendConfig,
    TrendDirection,
};
use gridbot_core::ports::{MarketData, MarketSubscription};
use gridbot_core::runner::MarketHub;
use gridbot_core::Decimal;
use tokio::sync::Notify;

const BOTS: usize = 1_000;

/// An upstream that hands out one channel-fed subscription.
struct Upstream {
    rx: Mutex<Option<mpsc::UnboundedReceiver<MarketEvent>>>,
}

#[async_trait::async_trait]
impl MarketData for Upstream {
    async fn subscribe(&self, _s: &Symbol) -> Result<MarketSubscription, MarketDataError> {
        let rx = self
            .rx
            .lock()
            .ok()
            .and_then(|mut r| r.take())
            .ok_or_else(|| MarketDataError::Connectivity("one upstream subscription only".into()))?;
        Ok(MarketSubscription::new(rx, None))
    }
    async fn candles(&self, _: &Symbol, _: Interval, _: i64, _: i64) -> Result<Vec<Candle>, MarketDataError> {
        Ok(Vec::new())
    }
    async fn last_price(&self, _: &Symbol) -> Result<Decimal, MarketDataError> {
        Ok(Decimal::from(30_000))
    }
    fn symbols(&self) -> Vec<Symbol> {
        Vec::new()
    }
}

fn engine(i: usize) -> TrendEngine {
    let symbol = Symbol::new("BTCUSDT").expect("valid symbol");
    let cfg = TrendConfig::new(
        symbol.clone(),
        Interval::M1,
        9,
        21,
        TrendDirection::Long,
        3,
        Decimal::from(50),
        Decimal::from(500),
        Decimal::from(1000),
    );
    let mut e = TrendEngine::new(BotId(i as i64 + 1), cfg, Instrument::btcusdt()).expect("valid engine");
    let mut out = Vec::new();
    e.on_event(
        &EngineEvent::Start {
            price: Decimal::from(30_000),
            ts: 0,
        },
        &mut out,
    );
    let fill = Fill::new(
        format!("f{i}"),
        "o",
        ClientOrderId::action(BotId(i as i64 + 1), "open", 1),
        symbol,
        Side::Buy,
        Decimal::from(30_000),
        Decimal::new(1, 2),
        Decimal::ZERO,
        Liquidity::Taker,
        0,
    );
    e.on_event(&EngineEvent::Fill(fill), &mut out);
    e
}

struct Fleet {
    tx: mpsc::UnboundedSender<MarketEvent>,
    done: Arc<AtomicUsize>,
    notify: Arc<Notify>,
    latencies: Arc<Mutex<Vec<u64>>>,
    record: Arc<AtomicBool>,
    epoch: Instant,
    _hub: Arc<MarketHub>,
}

impl Fleet {
    async fn start() -> Fleet {
        let (tx, rx) = mpsc::unbounded();
        let hub = Arc::new(MarketHub::with_capacity(
            Arc::new(Upstream {
                rx: Mutex::new(Some(rx)),
            }),
            1 << 16,
        ));
        let done = Arc::new(AtomicUsize::new(0));
        let notify = Arc::new(Notify::new());
        let latencies = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::new(AtomicBool::new(false));
        let epoch = Instant::now();
        let btc = Symbol::new("BTCUSDT").expect("valid symbol");
        for i in 0..BOTS {
            let mut sub = hub.subscribe(&btc).await.expect("subscribed");
            let (done, notify, latencies, record) = (done.clone(), notify.clone(), latencies.clone(), record.clone());
            let mut eng = engine(i);
            tokio::spawn(async move {
                let mut out = Vec::new();
                let mut local = Vec::new();
                while let Some(ev) = sub.next().await {
                    let MarketEvent::Tick(t) = ev else { continue };
                    if t.ts < 0 {
                        break;
                    }
                    eng.on_event(
                        &EngineEvent::Price {
                            price: t.price,
                            ts: t.ts,
                        },
                        &mut out,
                    );
                    out.clear();
                    if record.load(Ordering::Relaxed) {
                        local.push((epoch.elapsed().as_nanos() as u64).saturating_sub(t.ts as u64));
                    }
                    if done.fetch_add(1, Ordering::AcqRel) + 1 == BOTS {
                        notify.notify_one();
                    }
                }
                if let Ok(mut l) = latencies.lock() {
                    l.extend(local);
                }
            });
        }
        Fleet {
            tx,
            done,
            notify,
            latencies,
            record,
            epoch,
            _hub: hub,
        }
    }

    /// Publishes one tick and waits until every bot decided.
    async fn tick(&self, n: i64) {
        self.done.store(0, Ordering::Release);
        let ts = self.epoch.elapsed().as_nanos() as i64;
        let price = Decimal::from(30_000) + Decimal::new(n % 100, 1);
        let tick = MarketEvent::Tick(Tick {
            symbol: Symbol::new("BTCUSDT").expect("valid symbol"),
            ts,
            price,
        });
        let _ = self.tx.unbounded_send(tick);
        while self.done.load(Ordering::Acquire) < BOTS {
            self.notify.notified().await;
        }
    }

    fn take_latencies(&self) -> Vec<u64> {
        self.latencies
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default()
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn bench_fanout(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fleet = rt.block_on(Fleet::start());
    let mut group = c.benchmark_group("fanout");
    group.throughput(Throughput::Elements(BOTS as u64));
    let mut n = 0i64;
    group.bench_function("tick_to_all_1000_bots", |b| {
        b.to_async(&rt).iter(|| {
            n += 1;
            fleet.tick(n)
        })
    });
    group.finish();
    fleet.record.store(true, Ordering::Relaxed);

    // Latency distribution at a realistic pace: ticks 2 ms apart.
    let per_tick = rt.block_on(async {
        let start = Instant::now();
        for i in 0..2_000 {
            fleet.tick(i).await;
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        start.elapsed()
    });
    // Ask the bots to finish so they hand over their latencies.
    let _ = fleet.tx.unbounded_send(MarketEvent::Tick(Tick {
        symbol: Symbol::new("BTCUSDT").expect("valid symbol"),
        ts: -1,
        price: Decimal::ONE,
    }));
    rt.block_on(async {
        for _ in 0..200 {
            if fleet.latencies.lock().map(|l| l.len() >= BOTS * 2_000).unwrap_or(true) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    });
    let mut lat = fleet.take_latencies();
    lat.sort_unstable();
    println!(
        "fanout: {} bots x 2000 ticks ({:?} total): tick-to-decision p50 {:.1} us, p99 {:.1} us, max {:.1} us",
        BOTS,
        per_tick,
        percentile(&lat, 0.50) as f64 / 1e3,
        percentile(&lat, 0.99) as f64 / 1e3,
        lat.last().copied().unwrap_or(0) as f64 / 1e3,
    );
}

criterion_group!(benches, bench_fanout);
criterion_main!(benches);
