//! `venue_journal` bench: one durable step of the paper venue on SQLite.
//!
//! - `venue_journal/step_1000_accounts_sqlite`: the price walks down
//!   through one resting buy of each of 1,000 accounts (1,000 fills), then
//!   the venue encodes what changed (1,000 account deltas: wallet, position,
//!   order, fill) and commits it in one `append_venue` (one transaction, WAL,
//!   `synchronous = FULL`); timed until the commit is acknowledged
//!   ([`PaperExchange::flush`]). Target ≤ 5 ms.
//!
//! - `venue_journal/step_1000_accounts_memory`: the same step on the
//!   in-memory store: the venue's own share (walk, encode, hand-over).
//!
//! Placing the next round of orders (and its commit) is outside the timed
//! part. Checkpoints are pushed out of the run (a checkpoint is a whole
//! snapshot, written every 2,000 entries by default; its cost grows with
//! the venue's history). The store alone appending a synthetic entry of
//! the same size is `store/venue_journal_1000_accounts` in `benches/store.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gridbot_core::model::{ClientOrderId, Instrument, OrderRequest, Side, Symbol};
use gridbot_core::paper::{JournalOptions, PaperAccount, PaperConfig, PaperExchange};
use gridbot_core::ports::Store;
use rust_decimal::Decimal;

const ACCOUNTS: usize = 1_000;

fn btc() -> Symbol {
    Symbol::new("BTCUSDT").expect("valid symbol")
}

fn step(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
    bench_step(c, "step_1000_accounts_sqlite", &url);
    bench_step(c, "step_1000_accounts_memory", "memory");
}

fn bench_step(c: &mut Criterion, name: &str, url: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (venue, accounts): (PaperExchange, Vec<PaperAccount>) = rt.block_on(async {
        let store: Arc<dyn Store> = gridbot_store::open(url).await.expect("store");
        let (venue, _) = PaperExchange::open_journaled(
            store,
            JournalOptions::new("bench", "bench").with_checkpoint_every(usize::MAX, usize::MAX),
            PaperConfig::default(),
            vec![Instrument::btcusdt()],
            None,
        )
        .await
        .expect("journal");
        venue.on_price(&btc(), Decimal::from(30_000), 0).expect("listed");
        let accounts = (0..ACCOUNTS)
            .map(|i| {
                venue
                    .open_account(&format!("a{i}"), Decimal::from(100_000))
                    .expect("account")
            })
            .collect();
        venue.flush().await.expect("commit");
        (venue, accounts)
    });
    let mut round = 0u64;
    let mut ts = 1_000i64;
    let mut g = c.benchmark_group("venue_journal");
    g.throughput(Throughput::Elements(ACCOUNTS as u64));
    g.sample_size(30);
    g.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                round += 1;
                // Untimed: the price back up, a buy per account below it, committed.
                ts += 1_000;
                venue.on_price(&btc(), Decimal::from(30_000), ts).expect("listed");
                for a in &accounts {
                    let req = OrderRequest::limit(
                        ClientOrderId::new(format!("b{round}")),
                        btc(),
                        Side::Buy,
                        Decimal::from(29_990),
                        Decimal::new(1, 3),
                    );
                    let placed = a.place_orders_sync(std::slice::from_ref(&req));
                    assert!(placed.iter().all(Result::is_ok), "{placed:?}");
                }
                rt.block_on(venue.flush()).expect("commit");
                // Timed: the walk that fills all 1,000 and its commit.
                ts += 1_000;
                let start = Instant::now();
                venue.on_price(&btc(), Decimal::from(29_980), ts).expect("listed");
                rt.block_on(venue.flush()).expect("commit");
                timed += start.elapsed();
            }
            timed
        })
    });
    g.finish();
    let fills: usize = accounts.iter().map(|a| a.fills().map(|f| f.len()).unwrap_or(0)).sum();
    assert!(fills >= ACCOUNTS, "every step filled every account ({fills})");
}

criterion_group!(benches, step);
criterion_main!(benches);
