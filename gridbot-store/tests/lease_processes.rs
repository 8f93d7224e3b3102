//! Two processes racing for one bot's lease, on a SQLite file and on
//! PostgreSQL (a schema of its own; skipped without a server unless `CI` is
//! set): exactly one process wins each epoch, and the fence holds — a
//! write lands only under the epoch its writer won, and the database holds
//! the writes in epoch order (no process writes after it lost the bot).
//!
//! The test re-executes its binary twice (with `GRIDBOT_LEASE_RACE_CHILD`
//! set, the same test function runs as one racer): each racer, for a
//! second and a half, takes the lease for a few ms, works for up to twice
//! that (so leases lapse and change hands mid-work), writes an equity
//! point carrying its name and epoch under it, sometimes releases it, and
//! prints one line per outcome (`won <epoch>`, `wrote <epoch>`,
//! `lost <epoch>`).
#![cfg(any(feature = "sqlite", feature = "postgres"))]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::{Duration, Instant};

use gridbot_core::model::{BotId, EquitySnapshot};
use gridbot_core::ports::BotWrites;
use gridbot_core::StoreError;
use rand::Rng;
use rust_decimal::Decimal;

#[cfg(feature = "sqlite")]
use common::sqlite_url;
use common::{rerun_test, running_bot, runtime};

const CHILD_DB: &str = "GRIDBOT_LEASE_RACE_CHILD";
const CHILD_BOT: &str = "GRIDBOT_LEASE_RACE_BOT";
const CHILD_NO: &str = "GRIDBOT_LEASE_RACE_NO";
/// How long each racer races.
const RACE: Duration = Duration::from_millis(1_500);
/// The racers' lease time: short, so leases lapse while the other waits.
const TTL_MS: i64 = 15;

/// One racer (`no` is 1 or 2): take, write, sometimes release, repeat.
fn race_in_child(url: &str, bot: BotId, no: i64) {
    runtime().block_on(async {
        let store = gridbot_store::open(url).await.unwrap();
        let owner = format!("process-{no}");
        let start = Instant::now();
        let mut n = 0i64;
        while start.elapsed() < RACE {
            n += 1;
            if let Some(lease) = store.acquire_lease(bot, &owner, TTL_MS).await.unwrap() {
                println!("outcome won {}", lease.epoch);
                // Sometimes slower than the lease: the other racer may take
                // the bot meanwhile, and then this write must be refused.
                let work = rand::thread_rng().gen_range(0..2 * TTL_MS as u64);
                tokio::time::sleep(Duration::from_millis(work)).await;
                // The point says who wrote it under which epoch.
                let point = EquitySnapshot {
                    bot_id: bot,
                    ts: n,
                    equity: Decimal::from(no),
                    pnl: Decimal::from(lease.epoch),
                };
                let writes = BotWrites {
                    equity: vec![point],
                    ..BotWrites::default()
                };
                match store.write_bot(&lease, &writes, n).await {
                    Ok(_) => println!("outcome wrote {}", lease.epoch),
                    Err(StoreError::LeaseLost { .. }) => println!("outcome lost {}", lease.epoch),
                    Err(e) => panic!("write failed: {e}"),
                }
                if n % 3 == 0 {
                    store.release_lease(&lease).await.unwrap();
                }
            }
            let pause = rand::thread_rng().gen_range(0..8);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
    });
}

/// In a racer process: runs it and says so.
fn run_as_child() -> bool {
    if let (Ok(url), Ok(bot), Ok(no)) = (
        std::env::var(CHILD_DB),
        std::env::var(CHILD_BOT),
        std::env::var(CHILD_NO),
    ) {
        race_in_child(&url, BotId(bot.parse().unwrap()), no.parse().unwrap());
        return true;
    }
    false
}

/// Races two processes (this binary's test `test`) on `url` and checks
/// what they report and what the database holds.
fn race_two_processes(test: &str, url: &str) {
    let rt = runtime();
    let bot = rt.block_on(async {
        let store = gridbot_store::open(url).await.unwrap();
        running_bot(&*store, "racer", "BTCUSDT").await
    });
    let children: Vec<_> = [1, 2]
        .into_iter()
        .map(|no| {
            let child = rerun_test(test)
                .env(CHILD_DB, url)
                .env(CHILD_BOT, bot.0.to_string())
                .env(CHILD_NO, no.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            (no, child)
        })
        .collect();
    // epoch → the processes that won it; (process, epoch) of every write.
    let mut winners: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let mut wrote: Vec<(i64, i64)> = Vec::new();
    let mut lost = 0;
    for (no, child) in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "racer {no} failed");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            // The harness prints `test <name> ... ` on the same line as the first outcome.
            let Some((_, outcome)) = line.split_once("outcome ") else {
                continue;
            };
            let (what, epoch) = outcome.split_once(' ').unwrap();
            let epoch: i64 = epoch.parse().unwrap();
            match what {
                "won" => {
                    winners.entry(epoch).or_default().insert(no);
                }
                "wrote" => wrote.push((no, epoch)),
                "lost" => lost += 1,
                other => panic!("unknown outcome {other}"),
            }
        }
    }
    for (epoch, who) in &winners {
        assert_eq!(who.len(), 1, "epoch {epoch} won by processes {who:?}");
    }
    assert!(
        winners.len() >= 3,
        "the lease changed hands only {} times",
        winners.len()
    );
    assert!(lost > 0, "no write was ever refused: the race did not test the fence");
    for (no, epoch) in &wrote {
        assert!(
            winners.get(epoch).is_some_and(|w| w.contains(no)),
            "process {no} wrote under epoch {epoch}, which it did not win"
        );
    }
    rt.block_on(async {
        let store = gridbot_store::open(url).await.unwrap();
        let points = store.equity_curve(bot, 1_000_000).await.unwrap();
        assert_eq!(points.len(), wrote.len(), "every reported write is in the database");
        for p in &points {
            let (epoch, no): (i64, i64) = (p.pnl.try_into().unwrap(), p.equity.try_into().unwrap());
            assert!(
                winners.get(&epoch).is_some_and(|w| w.contains(&no)),
                "the database holds a write of process {no} under epoch {epoch}, which it did not win"
            );
        }
        eprintln!(
            "lease race on {}: {} epochs, {} fenced writes landed, {} refused (lease lost)",
            url.split(':').next().unwrap_or(""),
            winners.len(),
            wrote.len(),
            lost
        );
    });
    writes_are_in_epoch_order(&rt, url, bot);
}

/// The equity rows by insertion id carry non-decreasing epochs: no write
/// of an older epoch landed after one of a newer epoch.
fn writes_are_in_epoch_order(rt: &tokio::runtime::Runtime, url: &str, bot: BotId) {
    rt.block_on(async {
        let sql = gridbot_store::sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(url)
            .await
            .unwrap();
        let pnl_as_text = if url.starts_with("postgres") {
            "pnl::text"
        } else {
            "pnl"
        };
        let rows: Vec<(String,)> = gridbot_store::sqlx::query_as(&format!(
            "SELECT {pnl_as_text} FROM equity_snapshots WHERE bot_id = $1 ORDER BY id"
        ))
        .bind(bot.0)
        .fetch_all(&sql)
        .await
        .unwrap();
        let epochs: Vec<i64> = rows.iter().map(|(e,)| e.parse().unwrap()).collect();
        assert!(
            epochs.windows(2).all(|w| w[0] <= w[1]),
            "a write of an older epoch landed after a newer one: {epochs:?}"
        );
        sql.close().await;
    });
}

#[cfg(feature = "sqlite")]
#[test]
fn exactly_one_of_two_processes_wins_each_lease_epoch_on_a_sqlite_file() {
    if run_as_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    race_two_processes(
        "exactly_one_of_two_processes_wins_each_lease_epoch_on_a_sqlite_file",
        &sqlite_url(&dir, "race.db"),
    );
}

#[cfg(feature = "postgres")]
#[test]
fn exactly_one_of_two_processes_wins_each_lease_epoch_on_postgres() {
    if run_as_child() {
        return;
    }
    let rt = runtime();
    let Some(schema) = rt.block_on(common::PgSchema::create()) else {
        return;
    };
    race_two_processes(
        "exactly_one_of_two_processes_wins_each_lease_epoch_on_postgres",
        &schema.url,
    );
    rt.block_on(schema.finish());
}
