//! Start/stop races against the real `gridbot serve` (issue 12): ≥ 150
//! start-then-stop pairs (`POST /multibot/bots/{id}/start`, then
//! `DELETE /multibot/bots/{id}` 0–150 ms later, seeded, without waiting
//! for the start's answer) and ≥ 20 rounds of 6 concurrent stops, on 5
//! grid bots (±1 %, 16 lines, one per symbol) trading at once on one paper
//! account.
//!
//! Asserted (the exchange's view, `GET /account/exchange`):
//! - after every pair and every round, once the stop answered: the bot is
//!   `stopped`, holds no open order on the exchange and its symbol's
//!   position is flat;
//! - every concurrent stop answers success (stops join);
//! - no runner acts after its bot stopped: no fill of the bot on the venue
//!   with a market time between the stop's answer and the next start
//!   (times read from the venue's `now_ms`), and none after the last stop.

mod serve_harness;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serve_harness::{millis, s, seed, wait_final, Api, Db, Serve, ServeConfig};

/// Start-then-stop pairs per bot (5 bots: 150 pairs).
const PAIRS_PER_BOT: usize = 30;
/// Rounds of concurrent stops per bot (5 bots: 20 rounds).
const ROUNDS_PER_BOT: usize = 4;
/// Concurrent stops in a round.
const STOPS_PER_ROUND: usize = 6;

#[derive(Default)]
struct Outcome {
    /// Violations found.
    failures: Vec<String>,
    /// (bot, venue time the stop answered, venue time the next start was sent).
    quiet: Vec<(i64, i64, i64)>,
    pairs: usize,
    rounds: usize,
    starts_refused: usize,
}

/// The bot's state after a stop answered: stopped, no open order, flat.
/// Returns the venue's time, or `None` (the failure recorded) when the bot
/// did not end so: its task ends there, as the next pairs would only
/// repeat the failure (each stop waiting out its timeout).
async fn check_stopped(api: &Api, bot: i64, symbol: &str, what: &str, out: &Mutex<Outcome>) -> Option<i64> {
    let v = wait_final(api, bot, Duration::from_secs(10)).await;
    let venue = api.venue_light().await;
    let (orders, pos) = (venue.orders_of(bot), venue.position(symbol));
    if s(&v["state"]) != "stopped" || !orders.is_empty() || !pos.is_zero() {
        if let Ok(mut o) = out.lock() {
            o.failures.push(format!(
                "{what}: bot {bot} state {} ({}), open orders {orders:?}, position {pos} on {symbol}; \
                 its remaining pairs and rounds are skipped",
                v["state"], v["error_message"]
            ));
        }
        return None;
    }
    Some(venue.now_ms)
}

async fn bot_task(api: Api, bot: i64, symbol: String, seed: u64, out: Arc<Mutex<Outcome>>) {
    let mut rng = serve_harness::rng(seed ^ (bot as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut last_stop: Option<i64> = None;
    for i in 0..PAIRS_PER_BOT {
        let offset = millis(&mut rng, 0, 150);
        let t_start = api.try_venue_now().await.unwrap_or(0);
        if let Some(t) = last_stop {
            if let Ok(mut o) = out.lock() {
                o.quiet.push((bot, t, t_start));
            }
        }
        let a = api.clone();
        let start = tokio::spawn(async move {
            a.try_post(&format!("/api/v1/multibot/bots/{bot}/start"), &serde_json::json!({}))
                .await
        });
        tokio::time::sleep(offset).await;
        let stop = api.try_delete(&format!("/api/v1/multibot/bots/{bot}")).await;
        let started = start.await;
        match stop {
            Ok((st, v)) if st.is_success() && v["success"] == true => {}
            other => {
                if let Ok(mut o) = out.lock() {
                    o.failures.push(format!(
                        "pair {i} of bot {bot} (offset {offset:?}): stop answered {other:?}"
                    ));
                }
            }
        }
        if !matches!(&started, Ok(Ok((st, _))) if st.is_success()) {
            if let Ok(mut o) = out.lock() {
                o.starts_refused += 1;
            }
        }
        if let Ok(mut o) = out.lock() {
            o.pairs += 1;
        }
        match check_stopped(&api, bot, &symbol, &format!("pair {i} (offset {offset:?})"), &out).await {
            Some(t) => last_stop = Some(t),
            None => return,
        }
    }
    for r in 0..ROUNDS_PER_BOT {
        let t_start = api.try_venue_now().await.unwrap_or(0);
        if let Some(t) = last_stop {
            if let Ok(mut o) = out.lock() {
                o.quiet.push((bot, t, t_start));
            }
        }
        let (st, v) = api
            .try_post(&format!("/api/v1/multibot/bots/{bot}/start"), &serde_json::json!({}))
            .await
            .unwrap_or_else(|e| panic!("start: {e}"));
        assert!(st.is_success(), "round {r}: start of bot {bot}: {st} {v}");
        tokio::time::sleep(millis(&mut rng, 200, 1500)).await;
        let stops: Vec<_> = (0..STOPS_PER_ROUND)
            .map(|_| {
                let a = api.clone();
                tokio::spawn(async move { a.try_delete(&format!("/api/v1/multibot/bots/{bot}")).await })
            })
            .collect();
        for h in stops {
            match h.await {
                Ok(Ok((st, v))) if st.is_success() && v["success"] == true => {}
                other => {
                    if let Ok(mut o) = out.lock() {
                        o.failures
                            .push(format!("round {r} of bot {bot}: a concurrent stop answered {other:?}"));
                    }
                }
            }
        }
        if let Ok(mut o) = out.lock() {
            o.rounds += 1;
        }
        match check_stopped(&api, bot, &symbol, &format!("round {r} of concurrent stops"), &out).await {
            Some(t) => last_stop = Some(t),
            None => return,
        }
    }
}

async fn races(db: Db) {
    let _turn = serve_harness::SERIAL.lock().await;
    let test = format!("serve_races/{}", db.name());
    let seed = seed(&test);
    let began = Instant::now();
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let cfg = ServeConfig::sim(&db, &data);
    let mut serve = Serve::start(&cfg).await;
    let api = Api::login(&serve.base, &data).await;
    let symbols: Vec<String> = api.symbols().await.into_iter().map(|x| x.0).take(5).collect();
    assert_eq!(symbols.len(), 5, "the sim serves at least 5 symbols");
    // Started once and stopped, so that a stop arriving before its start
    // stops the bot (a `DELETE` of a never-started bot deletes it).
    let mut bots = Vec::new();
    for sym in &symbols {
        let b = api.create_grid(sym, Decimal::ONE, 16, Decimal::from(1000), true).await;
        let (st, v) = api
            .try_delete(&format!("/api/v1/multibot/bots/{b}"))
            .await
            .unwrap_or_else(|e| panic!("stop: {e}"));
        assert!(st.is_success(), "first stop of bot {b}: {st} {v}");
        bots.push(b);
    }
    println!("[{test}] bots {bots:?} on {symbols:?}");
    let out = Arc::new(Mutex::new(Outcome::default()));
    let tasks: Vec<_> = bots
        .iter()
        .zip(&symbols)
        .map(|(&b, sym)| tokio::spawn(bot_task(api.clone(), b, sym.clone(), seed, out.clone())))
        .collect();
    for t in tasks {
        if let Err(e) = t.await {
            if let Ok(mut o) = out.lock() {
                o.failures.push(format!("a bot's task failed: {e}"));
            }
        }
    }
    // After the last stop nothing of any bot may rest or fill.
    let t_end = api.try_venue_now().await.unwrap_or(0);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let venue = api.venue().await;
    let mut o = match Arc::try_unwrap(out) {
        Ok(m) => m.into_inner().unwrap_or_default(),
        Err(_) => panic!("tasks still hold the outcome"),
    };
    for (b, sym) in bots.iter().zip(&symbols) {
        let (orders, pos) = (venue.orders_of(*b), venue.position(sym));
        if !orders.is_empty() || !pos.is_zero() {
            o.failures.push(format!(
                "after every stop: bot {b} holds open orders {orders:?} / position {pos} on {sym}"
            ));
        }
    }
    let mut acted = Vec::new();
    for f in &venue.fills {
        let Some(b) = f.bot() else { continue };
        if f.ts > t_end {
            acted.push(format!(
                "bot {b}: fill {} of {} at {} after the last stop ({t_end})",
                f.fill_id, f.client_id, f.ts
            ));
        }
        for &(qb, from, to) in &o.quiet {
            if qb == b && f.ts > from && f.ts < to {
                acted.push(format!(
                    "bot {b}: fill {} of {} at {} while stopped ({from}..{to})",
                    f.fill_id, f.client_id, f.ts
                ));
            }
        }
    }
    println!(
        "[{test}] pairs {}, rounds of {STOPS_PER_ROUND} concurrent stops {}, starts refused {}, venue fills {}, \
         violations {}, runner acts after stop {}, runtime {:?}",
        o.pairs,
        o.rounds,
        o.starts_refused,
        venue.fills.len(),
        o.failures.len(),
        acted.len(),
        began.elapsed()
    );
    o.failures.extend(acted);
    serve.terminate();
    drop(serve);
    db.finish().await;
    if !o.failures.is_empty() {
        println!("[{test}] data folder kept for inspection: {}", dir.keep().display());
    }
    assert!(
        o.failures.is_empty() && o.pairs >= 150 && o.rounds >= 20,
        "[{test}] {} pairs, {} rounds, {} failures (seed {seed}):\n{}\nlog tail:\n{}",
        o.pairs,
        o.rounds,
        o.failures.len(),
        o.failures.iter().take(40).cloned().collect::<Vec<_>>().join("\n"),
        serve_harness::log_tail(&data, 30)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_races_sqlite() {
    races(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_races_postgres() {
    let Some(db) = Db::postgres().await else {
        return;
    };
    races(db).await;
}
