//! Two `gridbot serve` processes on one PostgreSQL database (issue 12):
//! different data folders (so different runner names), one master key
//! (`GRIDBOT_SECRET_KEY`, so both open the user's sealed keys and accept
//! the same sign-in), one exchange: the fake Bitget
//! ([`gridbot_bitget::fake::FakeBitget`], a real HTTP/WebSocket server in
//! this test process on loopback) reached with `--exchange bitget
//! --market bitget --bitget-base-url`. A paper venue belongs to one
//! process, so only a shared exchange can show a hand-over.
//!
//! The test moves the fake's prices along a seeded walk within ±0.8 % of
//! where they started, so ±1 % grids trade. One grid bot is started through
//! each process; process A is killed with SIGKILL; its bot must be taken
//! over by process B within the lease time (30 s TTL + one 10 s lease
//! round) and trade there: new fills of it booked after the kill. Then
//! both bots are stopped through B and, against the fake's own book:
//! every fill of a bot on the fake booked exactly once (fill id = the
//! fake's trade id), none booked that the fake does not hold, no order
//! booked beyond its quantity, stats equal the sums over the fills, no
//! open order and a flat position left.
//!
//! Last, the fence itself on the same database: a lease that lapsed and
//! was taken by another runner cannot write the bot's rows
//! (`Store::write_bot` → `StoreError::LeaseLost`, nothing written), while
//! the new holder can.

mod serve_harness;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gridbot::core::model::{BotId, BotOrder, BotOrderStatus, BotStats, ClientOrderId, Fill, Liquidity, Side, Symbol};
use gridbot::core::ports::{BotWrites, EngineSave, Store};
use gridbot::core::StoreError;
use gridbot_bitget::fake::FakeBitget;
use rand::Rng;
use rust_decimal::Decimal;
use serde_json::json;
use serve_harness::{audit, free_port, report, s, seed, wait_final, Api, Db, Serve, ServeConfig, Venue, VenueFill};

/// The runners' lease TTL (`DEFAULT_LEASE_TTL_MS`) plus one lease round
/// (TTL / 3) plus a start's worth of slack.
const TAKE_OVER_LIMIT: Duration = Duration::from_secs(45);

/// The fake's own book as the harness's venue view.
fn fake_venue(fake: &FakeBitget) -> Venue {
    fake.with_book(|b| Venue {
        now_ms: 0,
        positions: b
            .positions
            .iter()
            .filter(|(_, p)| !p.qty.is_zero())
            .map(|(sym, p)| (sym.clone(), p.qty))
            .collect(),
        open_orders: b
            .open
            .iter()
            .filter_map(|id| b.orders.get(id))
            .map(|o| (o.client_oid.clone(), o.symbol.clone()))
            .collect(),
        fills: b
            .fills
            .iter()
            .map(|f| VenueFill {
                fill_id: f.trade_id.to_string(),
                client_id: f.client_oid.clone(),
                symbol: f.symbol.clone(),
                side: f.side.as_str().to_owned(),
                price: f.price,
                qty: f.size,
                fee: f.fee,
                ts: f.ts,
            })
            .collect(),
    })
}

/// Lists the other default symbols on the fake too (`--market bitget`
/// follows every default symbol); only BTCUSDT and ETHUSDT are traded.
fn list_default_symbols(fake: &FakeBitget) {
    use gridbot_bitget::fake::book::FakeContract;
    let more = [
        ("SOLUSDT", 3, 1, "150"),
        ("XRPUSDT", 4, 0, "0.5"),
        ("DOGEUSDT", 5, 0, "0.1"),
        ("BNBUSDT", 2, 2, "600"),
        ("ADAUSDT", 4, 0, "0.4"),
    ];
    fake.with_book(|b| {
        for (sym, price_place, volume_place, price) in more {
            let lot = Decimal::new(1, volume_place);
            b.contracts.insert(
                sym.into(),
                FakeContract {
                    symbol: sym.into(),
                    price_place,
                    volume_place,
                    size_multiplier: lot,
                    min_trade_num: lot,
                    min_trade_usdt: Decimal::from(5),
                    max_lever: 50,
                    maker_fee: Decimal::new(2, 4),
                    taker_fee: Decimal::new(6, 4),
                    tiers: gridbot_bitget::fake::tiers(Decimal::new(1, 2), 50),
                },
            );
            b.prices.insert(sym.into(), price.parse().unwrap_or(Decimal::ONE));
        }
    });
}

/// Moves the fake's prices along a seeded, mean-reverting walk every 150 ms.
fn drive_prices(fake: Arc<FakeBitget>, seed: u64, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut rng = serve_harness::rng(seed);
        let symbols = ["BTCUSDT", "ETHUSDT"];
        let start: Vec<Decimal> = symbols.iter().map(|s| fake.price(s)).collect();
        let mut pos = [0i64; 2]; // in 0.05 % steps
        while !stop.load(Ordering::SeqCst) {
            for (i, sym) in symbols.iter().enumerate() {
                let pull = if pos[i] > 8 {
                    -1
                } else if pos[i] < -8 {
                    1
                } else {
                    0
                };
                pos[i] = (pos[i] + rng.gen_range(-1i64..=1) + pull).clamp(-16, 16);
                let tick = if i == 0 { Decimal::new(1, 1) } else { Decimal::new(1, 2) };
                let p = start[i] * (Decimal::ONE + Decimal::new(pos[i] * 5, 4));
                fake.set_price(sym, (p / tick).round() * tick);
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    })
}

/// Booked fills of `bot` with a market time after `ts`.
async fn fills_after(store: &dyn Store, bot: i64, ts: i64) -> usize {
    store
        .fills_for_bot(BotId(bot), 1_000_000)
        .await
        .map(|v| v.iter().filter(|f| f.fill.ts > ts).count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_processes_hand_bots_over_on_a_kill_with_exactly_once_books() {
    let Some(db) = Db::postgres().await else {
        return;
    };
    let test = "serve_two_processes";
    let seed = seed(test);
    let began = Instant::now();
    let fake = Arc::new(FakeBitget::start().await.expect("fake bitget"));
    list_default_symbols(&fake);
    let stop_prices = Arc::new(AtomicBool::new(false));
    let prices = drive_prices(fake.clone(), seed, stop_prices.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let key: String = {
        let mut rng = serve_harness::rng(seed ^ 0x5EC2E7);
        (0..64)
            .map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)]))
            .collect()
    };
    let cfg = |name: &str| ServeConfig {
        data: dir.path().join(name),
        db: db.url(dir.path()),
        port: free_port(),
        sim_speed: 1,
        extra: vec![
            "--exchange".into(),
            "bitget".into(),
            "--market".into(),
            "bitget".into(),
            "--bitget-base-url".into(),
            fake.base_url(),
        ],
        env: vec![("GRIDBOT_SECRET_KEY".into(), key.clone())],
    };
    let (cfg_a, cfg_b) = (cfg("a"), cfg("b"));
    let mut a = Serve::start(&cfg_a).await;
    let mut b = Serve::start(&cfg_b).await;
    let names = (
        std::fs::read_to_string(cfg_a.data.join("runner-name")).unwrap_or_default(),
        std::fs::read_to_string(cfg_b.data.join("runner-name")).unwrap_or_default(),
    );
    assert_ne!(names.0, names.1, "each process has its own runner name");
    let api_a = Api::login(&a.base, &cfg_a.data).await;
    let api_b = api_a.at(&b.base);
    let (st, v) = api_a
        .try_put(
            "/api/v1/account/exchange-credentials",
            &json!({"api_key": gridbot_bitget::fake::FAKE_API_KEY, "api_secret": gridbot_bitget::fake::FAKE_SECRET,
                    "passphrase": gridbot_bitget::fake::FAKE_PASSPHRASE, "demo": false}),
        )
        .await
        .expect("put credentials");
    assert!(st.is_success(), "saving the fake's keys: {st} {v}");
    let bot_a = api_a
        .create_grid("BTCUSDT", Decimal::ONE, 16, Decimal::from(1000), true)
        .await;
    let bot_b = api_b
        .create_grid("ETHUSDT", Decimal::ONE, 16, Decimal::from(1000), true)
        .await;
    println!("[{test}] bot {bot_a} (BTCUSDT) started through A, bot {bot_b} (ETHUSDT) through B");
    let store = serve_harness::open_store(&cfg_a.db).await;
    // Both trade for a while.
    let warm = Instant::now() + Duration::from_secs(20);
    while Instant::now() < warm {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let before = fake_venue(&fake);
    println!(
        "[{test}] before the kill: {} fills on the fake, {} open orders",
        before.fills.len(),
        before.open_orders.len()
    );
    let mut failures = Vec::new();
    // Kill A: its bot must continue in B.
    let kill_ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    a.kill9();
    let killed = Instant::now();
    let mut taken_over = None;
    while killed.elapsed() < TAKE_OVER_LIMIT + Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if fills_after(&*store, bot_a, kill_ts).await > 0 {
            taken_over = Some(killed.elapsed());
            break;
        }
    }
    match taken_over {
        Some(t) if t <= TAKE_OVER_LIMIT => {}
        Some(t) => failures.push(format!(
            "bot {bot_a} booked its first fill in B {t:?} after A's kill (> {TAKE_OVER_LIMIT:?})"
        )),
        None => failures.push(format!(
            "bot {bot_a} booked no fill in the {:?} after A's kill (state {})",
            TAKE_OVER_LIMIT + Duration::from_secs(30),
            api_b.bot(bot_a).await["state"]
        )),
    }
    println!("[{test}] A killed; bot {bot_a} booked a new fill {taken_over:?} after the kill");
    // Stop both through B, then compare the books with the fake's.
    for bot in [bot_a, bot_b] {
        match api_b.try_delete(&format!("/api/v1/multibot/bots/{bot}")).await {
            Ok((st, _)) if st.is_success() => {}
            other => failures.push(format!("stop of bot {bot} through B: {other:?}")),
        }
        let v = wait_final(&api_b, bot, Duration::from_secs(30)).await;
        if s(&v["state"]) != "stopped" {
            failures.push(format!(
                "bot {bot} after its stop: {} ({})",
                v["state"], v["error_message"]
            ));
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let venue = fake_venue(&fake);
    for (bot, sym) in [(bot_a, "BTCUSDT"), (bot_b, "ETHUSDT")] {
        let (orders, pos) = (venue.orders_of(bot), venue.position(sym));
        if !orders.is_empty() || !pos.is_zero() {
            failures.push(format!(
                "bot {bot} stopped but the fake holds its orders {orders:?} / position {pos}"
            ));
        }
    }
    let audits = audit(&*store, &api_b, &venue, &[bot_a, bot_b]).await;
    let money = report(test, &audits);
    if !money.is_empty() {
        failures.push(money);
    }
    stop_prices.store(true, Ordering::SeqCst);
    let _ = prices.await;
    b.terminate();
    drop(a);
    drop(b);

    // The fence, on the same database and a bot the processes ran.
    let fenced = stale_lease_cannot_write(&*store, bot_a).await;
    println!(
        "[{test}] fills checked {}, mismatches {}, take-over {taken_over:?}, runtime {:?}",
        audits.iter().map(|a| a.venue_fills).sum::<usize>(),
        audits.iter().map(|a| a.mismatches()).sum::<usize>(),
        began.elapsed()
    );
    drop(store);
    db.finish().await;
    failures.extend(fenced);
    assert!(
        failures.is_empty(),
        "[{test}] {} failures (seed {seed}):\n{}\nA's log:\n{}\nB's log:\n{}",
        failures.len(),
        failures.join("\n"),
        serve_harness::log_tail(&cfg_a.data, 20),
        serve_harness::log_tail(&cfg_b.data, 30)
    );
}

/// A runner whose lease lapsed and was taken over writes nothing; the new
/// holder writes. Returns the failures.
async fn stale_lease_cannot_write(store: &dyn Store, bot: i64) -> Vec<String> {
    let mut failures = Vec::new();
    let id = BotId(bot);
    let before = store.bot(id).await.ok().flatten();
    let (orders0, fills0) = (
        store.orders_for_bot(id, false).await.map(|v| v.len()).unwrap_or(0),
        store.fills_for_bot(id, 1_000_000).await.map(|v| v.len()).unwrap_or(0),
    );
    let Ok(Some(stale)) = store.acquire_lease(id, "stale-runner", 300).await else {
        return vec![format!(
            "bot {bot}: the test could not take a lease after both processes stopped"
        )];
    };
    tokio::time::sleep(Duration::from_millis(600)).await;
    let Ok(Some(fresh)) = store.acquire_lease(id, "new-runner", 60_000).await else {
        return vec![format!("bot {bot}: a lapsed lease could not be taken over")];
    };
    let cid = ClientOrderId::new(format!("fence-test-{bot}"));
    let symbol = Symbol::new("BTCUSDT").expect("symbol");
    let qty = Decimal::new(1, 3);
    let price = Decimal::from(30_000);
    let mut stats = BotStats::default();
    stats.fees = Decimal::from(12_345);
    let writes = BotWrites {
        orders: vec![BotOrder::new(
            cid.clone(),
            id,
            None,
            Side::Buy,
            Some(price),
            qty,
            BotOrderStatus::Open,
            1,
        )],
        fills: vec![Fill::new(
            "fence-fill-1",
            "x1",
            cid,
            symbol,
            Side::Buy,
            price,
            qty,
            Decimal::ONE,
            Liquidity::Maker,
            2,
        )],
        engine: Some(EngineSave {
            state: json!({"written_by": "stale"}),
            fill_cursor: Some("fence".into()),
        }),
        stats: Some(stats),
        equity: Vec::new(),
        status: None,
    };
    match store.write_bot(&stale, &writes, 3).await {
        Err(StoreError::LeaseLost { .. }) => {}
        other => failures.push(format!(
            "write_bot with a stale lease (epoch {} < {}): {other:?}, want LeaseLost",
            stale.epoch, fresh.epoch
        )),
    }
    let after = store.bot(id).await.ok().flatten();
    let (orders1, fills1) = (
        store.orders_for_bot(id, false).await.map(|v| v.len()).unwrap_or(0),
        store.fills_for_bot(id, 1_000_000).await.map(|v| v.len()).unwrap_or(0),
    );
    if (orders1, fills1) != (orders0, fills0)
        || after.as_ref().map(|b| (&b.engine_state, &b.stats)) != before.as_ref().map(|b| (&b.engine_state, &b.stats))
    {
        failures.push(format!(
            "a refused stale write changed bot {bot}'s rows: orders {orders0}→{orders1}, fills {fills0}→{fills1}"
        ));
    }
    // The control: the holder's write goes through.
    match store.write_bot(&fresh, &writes, 4).await {
        Ok(w) if w.new_fills == 1 => {}
        other => failures.push(format!("write_bot with the live lease: {other:?}, want one new fill")),
    }
    let _ = store.release_lease(&fresh).await;
    println!(
        "[serve_two_processes] fence: stale epoch {} refused, live epoch {} written",
        stale.epoch, fresh.epoch
    );
    failures
}
