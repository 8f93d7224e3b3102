//! A writer killed (SIGKILL) in the middle of its batches leaves each batch
//! whole or absent, and loses none it reported committed — fills, orders
//! and the paper venue's journal — on a SQLite file and on PostgreSQL (a schema of its own; skipped without a server
//! unless `CI` is set, see `common`).
//!
//! Each test re-executes its own binary as the writer: with
//! `GRIDBOT_STORE_CRASH_CHILD` set to a database URL, the same test function
//! writes batches of 100 fills and 20 orders and one venue journal entry
//! (with a checkpoint every tenth) in a loop, printing `committed <n>`
//! after each, until it is killed.
#![cfg(any(feature = "sqlite", feature = "postgres"))]

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use gridbot_core::model::{BotId, BotOrderStatus};
use gridbot_core::ports::VenueEntry;

use common::{d, fill, grid_bot, order, rerun_test, runtime};

const CHILD_DB: &str = "GRIDBOT_STORE_CRASH_CHILD";
const CHILD_BOT: &str = "GRIDBOT_STORE_CRASH_BOT";
const FILLS_PER_BATCH: usize = 100;
const ORDERS_PER_BATCH: usize = 20;

/// The writer: batches until killed.
fn write_until_killed(url: &str, bot: BotId) {
    runtime().block_on(async {
        let store = gridbot_store::open(url).await.unwrap();
        let venue = store.open_venue("paper", "writer").await.unwrap().claim;
        for n in 0u64.. {
            let fills: Vec<_> = (0..FILLS_PER_BATCH)
                .map(|i| fill(bot, &format!("b{n}-{i}"), n as i64))
                .collect();
            store.insert_fills(&fills).await.unwrap();
            let orders: Vec<_> = (0..ORDERS_PER_BATCH)
                .map(|i| order(bot, &format!("o{n}-{i}"), BotOrderStatus::Open, n as i64))
                .collect();
            store.upsert_orders(&orders).await.unwrap();
            let seq = n as i64 + 1;
            let step = VenueEntry {
                seq,
                body: format!("step {n}").into_bytes(),
            };
            let checkpoint = (n % 10 == 9).then(|| VenueEntry {
                seq,
                body: format!("checkpoint {n}").into_bytes(),
            });
            store.append_venue(&venue, &[step], checkpoint).await.unwrap();
            println!("committed {n}");
        }
    });
}

/// In the writer process: runs it (never returns normally) and says so.
fn run_as_child() -> bool {
    if let (Ok(url), Ok(bot)) = (std::env::var(CHILD_DB), std::env::var(CHILD_BOT)) {
        write_until_killed(&url, BotId(bot.parse().unwrap()));
        return true;
    }
    false
}

/// Starts the writer as test `test` of this binary on `url`, lets it commit
/// a few dozen batches, kills it while it writes, and returns the last
/// batch it reported committed.
fn kill_a_writer_mid_batch(test: &str, url: &str, bot: BotId) -> u64 {
    let mut child = rerun_test(test)
        .env(CHILD_DB, url)
        .env(CHILD_BOT, bot.0.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<u64>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // The harness prints `test <name> ... ` on the same line as the first report.
            if let Some(n) = line.split_once("committed ").and_then(|(_, n)| n.parse().ok()) {
                if tx.send(n).is_err() {
                    return;
                }
            }
        }
    });
    let mut reported = None;
    while reported.is_none_or(|n| n < 30) {
        reported = Some(
            rx.recv_timeout(Duration::from_secs(60))
                .expect("the writer reports progress"),
        );
    }
    std::thread::sleep(Duration::from_millis(7));
    child.kill().unwrap();
    child.wait().unwrap();
    rx.try_iter().last().or(reported).unwrap()
}

/// A user with one bot in the database at `url`.
async fn one_bot(url: &str) -> BotId {
    let store = gridbot_store::open(url).await.unwrap();
    let u = store.create_user("alice", "h", 0).await.unwrap();
    store
        .create_bot(&grid_bot(u.id, "BTCUSDT", d("100")), 0)
        .await
        .unwrap()
        .id
}

/// Reopens `url` and checks that every batch is whole or absent, none
/// reported committed is missing, and there are no gaps.
async fn check_batches(url: &str, bot: BotId, reported: u64) {
    let store = gridbot_store::open(url).await.unwrap();
    let fills = store.fills_for_bot(bot, usize::MAX).await.unwrap();
    let orders = store.orders_for_bot(bot, false).await.unwrap();
    let mut fill_batches = std::collections::BTreeMap::<u64, usize>::new();
    for f in &fills {
        let n = f.fill.id[1..].split('-').next().unwrap().parse().unwrap();
        *fill_batches.entry(n).or_default() += 1;
    }
    let mut order_batches = std::collections::BTreeMap::<u64, usize>::new();
    for o in &orders {
        let n = o.client_id.as_str()[1..].split('-').next().unwrap().parse().unwrap();
        *order_batches.entry(n).or_default() += 1;
    }
    assert!(
        fill_batches.values().all(|&c| c == FILLS_PER_BATCH),
        "a partial fill batch: {fill_batches:?}"
    );
    assert!(
        order_batches.values().all(|&c| c == ORDERS_PER_BATCH),
        "a partial order batch: {order_batches:?}"
    );
    for n in 0..=reported {
        assert!(fill_batches.contains_key(&n), "fill batch {n} was committed, then lost");
        assert!(
            order_batches.contains_key(&n),
            "order batch {n} was committed, then lost"
        );
    }
    let last = *fill_batches.keys().last().unwrap();
    eprintln!("writer killed after reporting batch {reported}; batches on disk: 0..={last}");
    assert!(last <= reported + 1, "batches appear in order");
    assert!((0..=last).all(|n| fill_batches.contains_key(&n)), "no gaps");
    assert_eq!(
        store.fill_count(bot).await.unwrap(),
        fills.len() as u64,
        "the fill counter moved with its batch"
    );

    // The venue's journal: the checkpoint and the entries after it make
    // every step 1..=last without a gap, with the bytes the writer wrote,
    // and no step it reported is missing.
    let venue = store.open_venue("paper", "checker").await.unwrap();
    let covered = venue.checkpoint.as_ref().map_or(0, |c| c.seq);
    if let Some(c) = &venue.checkpoint {
        assert_eq!(c.body, format!("checkpoint {}", c.seq - 1).into_bytes());
        assert_eq!(c.seq % 10, 0, "checkpoints are written every tenth step");
    }
    for (i, e) in venue.entries.iter().enumerate() {
        assert_eq!(e.seq, covered + 1 + i as i64, "journal entries without gaps");
        assert_eq!(e.body, format!("step {}", e.seq - 1).into_bytes());
    }
    let last_step = venue.entries.last().map_or(covered, |e| e.seq);
    assert!(
        last_step as u64 > reported,
        "venue step {} was committed, then lost (journal ends at {last_step})",
        reported + 1
    );
    assert!(last_step as u64 <= reported + 2, "venue steps appear in order");
}

#[cfg(feature = "sqlite")]
#[test]
fn a_killed_writer_leaves_every_batch_whole_or_absent() {
    if run_as_child() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = common::sqlite_url(&dir, "crash.db");
    let rt = runtime();
    let bot = rt.block_on(one_bot(&url));
    let reported = kill_a_writer_mid_batch("a_killed_writer_leaves_every_batch_whole_or_absent", &url, bot);
    rt.block_on(check_batches(&url, bot, reported));
}

#[cfg(feature = "postgres")]
#[test]
fn a_killed_writer_leaves_every_batch_whole_or_absent_on_postgres() {
    if run_as_child() {
        return;
    }
    let rt = runtime();
    let Some(schema) = rt.block_on(common::PgSchema::create()) else {
        return;
    };
    // The writer's connections carry a name, so we can wait for the server
    // to notice they are gone (and roll back what they left open).
    let app = format!("crash_{}", schema.name());
    let writer_url = format!("{}&application_name={app}", schema.url);
    let bot = rt.block_on(one_bot(&schema.url));
    let reported = kill_a_writer_mid_batch(
        "a_killed_writer_leaves_every_batch_whole_or_absent_on_postgres",
        &writer_url,
        bot,
    );
    rt.block_on(async {
        let mut conn = common::pg::connect_or_skip(schema.base()).await.unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1")
                .bind(&app)
                .fetch_one(&mut conn)
                .await
                .unwrap();
            if left == 0 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the killed writer's sessions are still open"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        check_batches(&schema.url, bot, reported).await;
        schema.finish().await;
    });
}
