//! Runner leases (epochs, expiry by the store's clock), fenced bot writes
//! (`write_bot`: the lease check, all or nothing), the booking rule on
//! both write paths, and the installation tag.

use std::sync::Arc;
use std::time::Duration;

use gridbot_core::model::{
    BotId, BotOrder, BotOrderStatus, BotStats, BotStatus, ClientOrderId, EquitySnapshot, Fill, FillRecord, Liquidity,
    Side,
};
use gridbot_core::ports::{BotWrites, EngineSave, Lease, StatusChange, Store};
use gridbot_core::StoreError;
use serde_json::json;

use crate::common::{d, order, running_bot, sym};

/// Long enough never to lapse during a test.
const LONG: i64 = 600_000;

async fn take(store: &Arc<dyn Store>, bot: BotId, owner: &str, ttl_ms: i64) -> Option<Lease> {
    store.acquire_lease(bot, owner, ttl_ms).await.unwrap()
}

/// An open order `client` of `bot` for `qty`.
fn order_of(bot: BotId, client: &str, qty: &str) -> BotOrder {
    let mut o = order(bot, client, BotOrderStatus::Open, 5);
    o.qty = d(qty);
    o
}

/// Fill `id` of order `client` for `qty`.
fn fill_of(client: &str, id: &str, qty: &str) -> Fill {
    Fill::new(
        id,
        format!("ex-{client}"),
        ClientOrderId::new(client),
        sym("BTCUSDT"),
        Side::Buy,
        d("100"),
        d(qty),
        d("0.01"),
        Liquidity::Maker,
        10,
    )
}

fn records(bot: BotId, fills: &[Fill]) -> Vec<FillRecord> {
    fills
        .iter()
        .map(|f| FillRecord {
            bot_id: bot,
            fill: f.clone(),
        })
        .collect()
}

/// A runner step touching every kind of row: an order, a fill of it,
/// engine state, stats, an equity point, a status change.
fn full_step(bot: BotId, tag: &str) -> BotWrites {
    let client = format!("g{}-{tag}-0", bot.0);
    let mut stats = BotStats::default();
    stats.realized_pnl = d("1.25");
    stats.fees = d("0.01");
    BotWrites {
        orders: vec![order_of(bot, &client, "0.5")],
        fills: vec![fill_of(&client, &format!("f-{tag}"), "0.5")],
        engine: Some(EngineSave {
            state: json!({ "step": tag }),
            fill_cursor: Some(format!("cursor-{tag}")),
        }),
        stats: Some(stats),
        equity: vec![EquitySnapshot {
            bot_id: bot,
            ts: 20,
            equity: d("101.24"),
            pnl: d("1.24"),
        }],
        status: Some(StatusChange {
            to: BotStatus::Running,
            message: Some(format!("step {tag}")),
            from: vec![BotStatus::Running],
        }),
    }
}

/// Everything of a bot that a write could change.
#[derive(Debug, PartialEq)]
struct Rows {
    bot: gridbot_core::model::Bot,
    orders: Vec<BotOrder>,
    fills: Vec<FillRecord>,
    fill_count: u64,
    equity: Vec<EquitySnapshot>,
}

async fn rows(store: &Arc<dyn Store>, bot: BotId) -> Rows {
    Rows {
        bot: store.bot(bot).await.unwrap().unwrap(),
        orders: store.orders_for_bot(bot, false).await.unwrap(),
        fills: store.fills_for_bot(bot, 1_000).await.unwrap(),
        fill_count: store.fill_count(bot).await.unwrap(),
        equity: store.equity_curve(bot, 1_000).await.unwrap(),
    }
}

/// Asserts `result` is a [`StoreError::LeaseLost`] for `lease`.
fn assert_lease_lost<T: std::fmt::Debug>(result: Result<T, StoreError>, lease: &Lease) {
    match result {
        Err(StoreError::LeaseLost { bot, owner, epoch }) => {
            assert_eq!(
                (bot, owner.as_str(), epoch),
                (lease.bot_id, lease.owner.as_str(), lease.epoch)
            );
        }
        other => panic!("expected LeaseLost for {lease:?}, got {other:?}"),
    }
}

/// The reason of a [`StoreError::FillRefused`].
fn refusal<T: std::fmt::Debug>(result: Result<T, StoreError>) -> String {
    match result {
        Err(StoreError::FillRefused { reason, .. }) => reason,
        other => panic!("expected FillRefused, got {other:?}"),
    }
}

// ---- leases -------------------------------------------------------------------

pub async fn a_live_lease_is_renewed_by_its_owner_only_and_keeps_its_epoch(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let a = take(&store, bot, "runner-a", LONG).await.unwrap();
    assert_eq!((a.bot_id, a.owner.as_str()), (bot, "runner-a"));
    assert_eq!(
        take(&store, bot, "runner-b", LONG).await,
        None,
        "a live lease of another"
    );
    let renewed = take(&store, bot, "runner-a", LONG).await.unwrap();
    assert_eq!(renewed, a, "renewal keeps the epoch");
    assert_eq!(
        take(&store, bot, "runner-b", LONG).await,
        None,
        "still held after renewal"
    );
    assert!(
        store.write_bot(&a, &BotWrites::default(), 3).await.is_ok(),
        "the renewed lease writes"
    );
}

pub async fn releasing_a_lease_lets_the_next_taker_in_with_a_new_epoch(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let a1 = take(&store, bot, "runner-a", LONG).await.unwrap();
    store.release_lease(&a1).await.unwrap();
    let a2 = take(&store, bot, "runner-a", LONG).await.unwrap();
    assert_eq!(
        a2.epoch,
        a1.epoch + 1,
        "released, then retaken by its owner: a new epoch"
    );
    assert_lease_lost(store.write_bot(&a1, &BotWrites::default(), 3).await, &a1);

    store.release_lease(&a1).await.unwrap();
    assert_eq!(
        take(&store, bot, "runner-b", LONG).await,
        None,
        "releasing a stale epoch releases nothing"
    );
    store.release_lease(&a2).await.unwrap();
    let b = take(&store, bot, "runner-b", LONG).await.unwrap();
    assert_eq!(b.epoch, a2.epoch + 1, "released, then taken by another: a new epoch");
    store.release_lease(&a2).await.unwrap();
    assert_eq!(
        take(&store, bot, "runner-a", LONG).await,
        None,
        "a's release is no longer b's"
    );
    assert!(store.write_bot(&b, &BotWrites::default(), 3).await.is_ok());
}

pub async fn a_lease_lapses_by_the_stores_clock_and_is_retaken_with_a_new_epoch(store: Arc<dyn Store>) {
    // The memory store's clock is the system clock here; the SQL stores'
    // is the database's: a few ms of real time lapse the lease in each.
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let a1 = take(&store, bot, "runner-a", 5).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    assert_lease_lost(store.write_bot(&a1, &BotWrites::default(), 3).await, &a1);
    let a2 = take(&store, bot, "runner-a", 5).await.unwrap();
    assert_eq!(a2.epoch, a1.epoch + 1, "lapsed, then retaken by its owner: a new epoch");
    tokio::time::sleep(Duration::from_millis(60)).await;
    let b = take(&store, bot, "runner-b", LONG).await.unwrap();
    assert_eq!(b.epoch, a2.epoch + 1, "lapsed, then taken over: a new epoch");
    assert_lease_lost(store.write_bot(&a2, &BotWrites::default(), 3).await, &a2);
    assert_eq!(take(&store, bot, "runner-a", 5).await, None, "b's lease is live");
    assert!(store.write_bot(&b, &BotWrites::default(), 3).await.is_ok());
}

pub async fn lease_times_out_of_range_and_unknown_bots_are_refused(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    for ttl in [0, -5, i64::MAX] {
        assert!(
            store.acquire_lease(bot, "runner-a", ttl).await.is_err(),
            "ttl {ttl} must be refused"
        );
    }
    assert!(matches!(
        store.acquire_lease(BotId(999_999), "runner-a", LONG).await,
        Err(StoreError::NotFound(_))
    ));
    let ghost = Lease {
        bot_id: BotId(999_999),
        owner: "runner-a".into(),
        epoch: 1,
    };
    store.release_lease(&ghost).await.unwrap();
    assert_lease_lost(store.write_bot(&ghost, &BotWrites::default(), 3).await, &ghost);
}

// ---- fenced writes --------------------------------------------------------------

pub async fn a_write_under_a_lost_lease_writes_nothing(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let never = Lease {
        bot_id: bot,
        owner: "runner-a".into(),
        epoch: 1,
    };
    let before = rows(&store, bot).await;
    assert_lease_lost(store.write_bot(&never, &full_step(bot, "0"), 3).await, &never);
    assert_eq!(rows(&store, bot).await, before, "no lease was ever taken");

    let a = take(&store, bot, "runner-a", 5).await.unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    let b = take(&store, bot, "runner-b", LONG).await.unwrap();
    let before = rows(&store, bot).await;
    for stale in [
        a.clone(),
        Lease {
            epoch: b.epoch,
            ..a.clone()
        },
        Lease {
            owner: "runner-b".into(),
            ..a.clone()
        },
    ] {
        assert_lease_lost(store.write_bot(&stale, &full_step(bot, "1"), 3).await, &stale);
        assert_eq!(rows(&store, bot).await, before, "{stale:?} wrote something");
    }
    assert!(
        store.write_bot(&b, &full_step(bot, "1"), 3).await.is_ok(),
        "the new holder writes"
    );
}

pub async fn a_write_under_a_live_lease_lands_whole(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let lease = take(&store, bot, "runner-a", LONG).await.unwrap();
    let step = full_step(bot, "7");
    let written = store.write_bot(&lease, &step, 30).await.unwrap();
    assert_eq!(written.new_fills, 1);
    let after = rows(&store, bot).await;
    assert_eq!(after.orders, step.orders);
    assert_eq!(after.fills, records(bot, &step.fills));
    assert_eq!(after.fill_count, 1);
    assert_eq!(after.equity, step.equity);
    let b = after.bot;
    assert_eq!(b.stats, step.stats.clone().unwrap());
    assert_eq!(b.engine_state, Some(json!({ "step": "7" })));
    assert_eq!(b.fill_cursor.as_deref(), Some("cursor-7"));
    assert_eq!(
        (b.status, b.error_message.as_deref(), b.updated_at),
        (BotStatus::Running, Some("step 7"), 30)
    );
    let summary = store.user_summary(b.user_id).await.unwrap();
    assert_eq!(summary.fill_count, 1, "the fill count moved with the fill");
}

pub async fn a_fenced_write_refuses_rows_of_another_bot(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let other = running_bot(&*store, "bob", "BTCUSDT").await;
    let lease = take(&store, bot, "runner-a", LONG).await.unwrap();
    let mut step = full_step(bot, "1");
    step.orders.push(order_of(other, "g-other-0", "1"));
    let (before, before_other) = (rows(&store, bot).await, rows(&store, other).await);
    assert!(matches!(
        store.write_bot(&lease, &step, 3).await,
        Err(StoreError::Conflict(_))
    ));
    let mut step = full_step(bot, "2");
    step.equity[0].bot_id = other;
    assert!(matches!(
        store.write_bot(&lease, &step, 3).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(rows(&store, bot).await, before);
    assert_eq!(rows(&store, other).await, before_other);
}

// ---- the booking rule ---------------------------------------------------------------

pub async fn a_fill_beyond_its_order_is_refused_with_both_records_and_nothing_written(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let client = format!("g{}-1-0", bot.0);
    store.upsert_orders(&[order_of(bot, &client, "0.5")]).await.unwrap();
    let before = rows(&store, bot).await;
    let batch = records(
        bot,
        &[fill_of("unrelated", "ok-1", "3"), fill_of(&client, "too-big", "0.6")],
    );
    let reason = refusal(store.insert_fills(&batch).await);
    for part in ["too-big", "0.6", client.as_str(), "0.5", "open"] {
        assert!(reason.contains(part), "{part:?} missing from {reason:?}");
    }
    assert_eq!(rows(&store, bot).await, before, "nothing of the batch is written");
}

pub async fn fills_beyond_their_order_are_refused_across_fills_batches_and_within_a_batch(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let client = format!("g{}-1-0", bot.0);
    store.upsert_orders(&[order_of(bot, &client, "0.5")]).await.unwrap();
    let before = rows(&store, bot).await;
    // Split across two fills of one batch.
    let split = records(bot, &[fill_of(&client, "a", "0.3"), fill_of(&client, "b", "0.3")]);
    let reason = refusal(store.insert_fills(&split).await);
    assert!(reason.contains("has 0.3 booked already"), "{reason}");
    assert_eq!(rows(&store, bot).await, before);
    // Across two batches: the second refused, the stored one counts.
    assert_eq!(store.insert_fills(&split[..1]).await.unwrap(), 1);
    let reason = refusal(store.insert_fills(&split[1..]).await);
    assert!(reason.contains("has 0.3 booked already"), "{reason}");
    // Up to the order's quantity exactly is booked.
    let rest = records(bot, &[fill_of(&client, "c", "0.15"), fill_of(&client, "d", "0.05")]);
    assert_eq!(store.insert_fills(&rest).await.unwrap(), 2);
    assert_eq!(store.fill_count(bot).await.unwrap(), 3);
    let last = records(bot, &[fill_of(&client, "e", "0.00000001")]);
    refusal(store.insert_fills(&last).await);
    // The same through the fenced path.
    let lease = take(&store, bot, "runner-a", LONG).await.unwrap();
    let writes = BotWrites {
        fills: vec![fill_of(&client, "e", "0.00000001")],
        ..BotWrites::default()
    };
    refusal(store.write_bot(&lease, &writes, 3).await);
    assert_eq!(store.fill_count(bot).await.unwrap(), 3);
    // A zero or negative quantity books nothing and is refused too.
    let other = format!("g{}-2-0", bot.0);
    store.upsert_orders(&[order_of(bot, &other, "1")]).await.unwrap();
    refusal(store.insert_fills(&records(bot, &[fill_of(&other, "z", "0")])).await);
    refusal(store.insert_fills(&records(bot, &[fill_of(&other, "n", "-1")])).await);
}

pub async fn a_fenced_write_refuses_fills_beyond_orders_it_carries_and_writes_nothing(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let lease = take(&store, bot, "runner-a", LONG).await.unwrap();
    let before = rows(&store, bot).await;
    let mut step = full_step(bot, "1");
    let client = step.orders[0].client_id.clone();
    step.fills = vec![
        fill_of(client.as_str(), "x", "0.25"),
        fill_of(client.as_str(), "y", "0.25"),
        fill_of(client.as_str(), "z", "0.25"),
    ];
    let reason = refusal(store.write_bot(&lease, &step, 3).await);
    assert!(
        reason.contains("fill z") && reason.contains(client.as_str()),
        "{reason}"
    );
    assert_eq!(
        rows(&store, bot).await,
        before,
        "not even the order or the engine state"
    );
    step.fills.pop();
    assert_eq!(store.write_bot(&lease, &step, 3).await.unwrap().new_fills, 2);
}

pub async fn a_fill_of_another_bots_order_is_refused(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let other = running_bot(&*store, "bob", "BTCUSDT").await;
    let client = format!("g{}-1-0", other.0);
    store.upsert_orders(&[order_of(other, &client, "1")]).await.unwrap();
    let before = rows(&store, bot).await;
    let reason = refusal(
        store
            .insert_fills(&records(bot, &[fill_of(&client, "f1", "0.1")]))
            .await,
    );
    assert!(
        reason.contains(client.as_str()) && reason.contains(&format!("belongs to bot {other}")),
        "{reason}"
    );
    let lease = take(&store, bot, "runner-a", LONG).await.unwrap();
    let writes = BotWrites {
        fills: vec![fill_of(&client, "f1", "0.1")],
        ..BotWrites::default()
    };
    refusal(store.write_bot(&lease, &writes, 3).await);
    assert_eq!(rows(&store, bot).await, before);
    assert_eq!(
        store
            .insert_fills(&records(other, &[fill_of(&client, "f1", "0.1")]))
            .await
            .unwrap(),
        1,
        "the order's own bot books it"
    );
}

pub async fn a_fill_without_an_order_record_is_booked(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let mut liquidation = fill_of("", "liq-1", "7");
    liquidation.is_liquidation = true;
    assert_eq!(store.insert_fills(&records(bot, &[liquidation])).await.unwrap(), 1);
    let lease = take(&store, bot, "runner-a", LONG).await.unwrap();
    let writes = BotWrites {
        fills: vec![fill_of("made-by-the-exchange", "x-1", "100")],
        ..BotWrites::default()
    };
    assert_eq!(store.write_bot(&lease, &writes, 3).await.unwrap().new_fills, 1);
    assert_eq!(store.fill_count(bot).await.unwrap(), 2);
}

pub async fn replays_are_skipped_and_counted_once_even_for_fully_booked_orders(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let client = format!("g{}-1-0", bot.0);
    let lease = take(&store, bot, "runner-a", LONG).await.unwrap();
    let first = BotWrites {
        orders: vec![order_of(bot, &client, "0.5")],
        fills: vec![fill_of(&client, "f1", "0.2"), fill_of(&client, "f2", "0.3")],
        ..BotWrites::default()
    };
    assert_eq!(store.write_bot(&lease, &first, 3).await.unwrap().new_fills, 2);
    // The order is fully booked; replaying its fills is no overbooking.
    assert_eq!(store.write_bot(&lease, &first, 4).await.unwrap().new_fills, 0);
    assert_eq!(store.insert_fills(&records(bot, &first.fills)).await.unwrap(), 0);
    let mixed = BotWrites {
        fills: vec![
            fill_of(&client, "f2", "0.3"),
            fill_of("unrelated", "f3", "1"),
            fill_of("unrelated", "f3", "1"),
        ],
        ..BotWrites::default()
    };
    assert_eq!(store.write_bot(&lease, &mixed, 5).await.unwrap().new_fills, 1);
    assert_eq!(store.fill_count(bot).await.unwrap(), 3);
    assert_eq!(store.fills_for_bot(bot, 100).await.unwrap().len(), 3);
}

// ---- status changes ---------------------------------------------------------------

pub async fn a_status_change_applies_only_from_its_statuses_and_writes_nothing_otherwise(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let lease = take(&store, bot, "runner-a", LONG).await.unwrap();
    // A stop asked meanwhile is never overwritten.
    store.set_bot_status(bot, BotStatus::Stopping, None, 5).await.unwrap();
    let before = rows(&store, bot).await;
    let mut step = full_step(bot, "1");
    step.status = Some(StatusChange {
        to: BotStatus::Error,
        message: Some("boom".into()),
        from: vec![BotStatus::Running, BotStatus::Starting],
    });
    match store.write_bot(&lease, &step, 6).await {
        Err(StoreError::Conflict(msg)) => assert!(msg.contains("stopping"), "{msg}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(rows(&store, bot).await, before, "nothing of the refused call");
    // From a listed status it applies, with its message; stopped stamps the time.
    step.status = Some(StatusChange {
        to: BotStatus::Stopped,
        message: None,
        from: vec![BotStatus::Stopping],
    });
    store.write_bot(&lease, &step, 7).await.unwrap();
    let b = store.bot(bot).await.unwrap().unwrap();
    assert_eq!(
        (b.status, b.stopped_at, b.error_message),
        (BotStatus::Stopped, Some(7), None)
    );
}

pub async fn a_fenced_write_never_makes_a_stopped_bot_hold_an_allocation(store: Arc<dyn Store>) {
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let lease = take(&store, bot, "runner-a", LONG).await.unwrap();
    store.set_bot_status(bot, BotStatus::Stopped, None, 5).await.unwrap();
    let writes = BotWrites {
        status: Some(StatusChange {
            to: BotStatus::Running,
            message: None,
            from: vec![BotStatus::Stopped, BotStatus::Running],
        }),
        ..BotWrites::default()
    };
    match store.write_bot(&lease, &writes, 6).await {
        Err(StoreError::Conflict(msg)) => assert!(msg.contains("guarded start"), "{msg}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(store.bot(bot).await.unwrap().unwrap().status, BotStatus::Stopped);
}

// ---- installation ---------------------------------------------------------------------

pub async fn the_installation_tag_is_made_once_and_kept(store: Arc<dyn Store>) {
    let tag = store.installation_tag().await.unwrap();
    assert!(!tag.is_none());
    assert_eq!(tag.as_str().len(), 5);
    assert!(tag.as_str().bytes().all(|b| b.is_ascii_uppercase()), "{tag}");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.installation_tag().await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), tag);
    }
}
