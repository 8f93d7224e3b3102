//! Orders, fills, equity curve and the summary query.

use std::sync::Arc;

use gridbot_core::model::{
    BotId, BotOrder, BotOrderStatus, BotStats, BotStatus, ClientOrderId, EquitySnapshot, FillRecord, Liquidity, Side,
};
use gridbot_core::ports::Store;
use gridbot_core::StoreError;

use crate::common::{d, fill, grid_bot, limits, order};

async fn one_bot(store: &Arc<dyn Store>) -> BotId {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    store
        .create_bot(&grid_bot(u.id, "BTCUSDT", d("100")), 0)
        .await
        .unwrap()
        .id
}

pub async fn orders_are_upserted_by_client_id_and_read_oldest_first(store: Arc<dyn Store>) {
    let bot = one_bot(&store).await;
    let mut a = order(bot, "g1-0-0", BotOrderStatus::Intended, 1);
    let b = order(bot, "g1-1-0", BotOrderStatus::Open, 2);
    let c = order(bot, "g1-2-0", BotOrderStatus::Filled, 3);
    store.upsert_orders(&[a.clone(), b.clone(), c.clone()]).await.unwrap();
    assert_eq!(
        store.orders_for_bot(bot, false).await.unwrap(),
        vec![a.clone(), b.clone(), c.clone()]
    );
    assert_eq!(
        store.orders_for_bot(bot, true).await.unwrap(),
        vec![a.clone(), b.clone()]
    );
    // Replacing keeps the order's position; a repeat within a batch keeps the last values.
    a.status = BotOrderStatus::Open;
    a.exchange_order_id = Some("ex-1".into());
    a.updated_at = 9;
    let mut a_final = a.clone();
    a_final.status = BotOrderStatus::Canceled;
    store.upsert_orders(&[a.clone(), a_final.clone()]).await.unwrap();
    assert_eq!(
        store.orders_for_bot(bot, false).await.unwrap(),
        vec![a_final.clone(), b.clone(), c]
    );
    assert_eq!(store.orders_for_bot(bot, true).await.unwrap(), vec![b]);
    assert_eq!(
        store.order_by_client_id(&ClientOrderId::new("g1-0-0")).await.unwrap(),
        Some(a_final)
    );
    assert_eq!(
        store.order_by_client_id(&ClientOrderId::new("nope")).await.unwrap(),
        None
    );
    let mut market = order(bot, "b1-close-0", BotOrderStatus::Intended, 10);
    market.price = None;
    market.cell = None;
    store.upsert_orders(&[market.clone()]).await.unwrap();
    assert_eq!(store.order_by_client_id(&market.client_id).await.unwrap(), Some(market));
    store.upsert_orders(&[]).await.unwrap();
}

pub async fn an_order_batch_naming_an_unknown_bot_writes_nothing(store: Arc<dyn Store>) {
    let bot = one_bot(&store).await;
    let batch = [
        order(bot, "g1-0-0", BotOrderStatus::Intended, 1),
        order(BotId(999_999), "g999999-0-0", BotOrderStatus::Intended, 1),
    ];
    assert!(matches!(
        store.upsert_orders(&batch).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(store.orders_for_bot(bot, false).await.unwrap().is_empty());
}

pub async fn fill_insert_is_idempotent_by_fill_id(store: Arc<dyn Store>) {
    let bot = one_bot(&store).await;
    let batch: Vec<_> = (0..10).map(|i| fill(bot, &format!("f{i}"), i)).collect();
    assert_eq!(store.insert_fills(&batch).await.unwrap(), 10);
    assert_eq!(store.insert_fills(&batch).await.unwrap(), 0, "a replay adds nothing");
    let overlap: Vec<_> = (5..15).map(|i| fill(bot, &format!("f{i}"), i)).collect();
    assert_eq!(store.insert_fills(&overlap).await.unwrap(), 5);
    let dup_in_batch = [fill(bot, "f20", 20), fill(bot, "f20", 20)];
    assert_eq!(store.insert_fills(&dup_in_batch).await.unwrap(), 1);
    assert_eq!(store.fill_count(bot).await.unwrap(), 16);
    assert_eq!(store.fills_for_bot(bot, 100).await.unwrap().len(), 16);
    // Fill ids are unique per account: another user's bot may see the same id.
    let v = store.create_user("bob", "h", 0).await.unwrap();
    let other = store
        .create_bot(&grid_bot(v.id, "BTCUSDT", d("100")), 0)
        .await
        .unwrap()
        .id;
    assert_eq!(store.insert_fills(&[fill(other, "f0", 0)]).await.unwrap(), 1);
    assert_eq!(store.fill_count(other).await.unwrap(), 1);
    assert_eq!(store.fill_count(BotId(999_999)).await.unwrap(), 0);
    assert_eq!(store.insert_fills(&[]).await.unwrap(), 0);
}

/// Fill `i` of `bot` with every field different from its neighbours', so
/// a value written to the wrong column or row cannot go unnoticed.
fn varied_fill(bot: BotId, i: i64) -> FillRecord {
    let mut r = fill(bot, &format!("f{i}"), 10_000 - i);
    let f = &mut r.fill;
    f.order_id = format!("o{}", i * 7);
    f.client_id = ClientOrderId::new(format!("g{}-{}-{}", bot.0, i % 50, i / 50));
    f.side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
    f.price = d("100.5") + rust_decimal::Decimal::new(i, 3);
    f.qty = rust_decimal::Decimal::new(i + 1, 4);
    f.fee = rust_decimal::Decimal::new(i % 13, 6);
    f.liquidity = if i % 3 == 0 { Liquidity::Taker } else { Liquidity::Maker };
    f.realized_pnl = rust_decimal::Decimal::new(i * 31 - 5000, 2);
    f.is_liquidation = i % 7 == 0;
    r
}

pub async fn a_large_fill_batch_spans_statements_and_counts_only_new_fills(store: Arc<dyn Store>) {
    let a = one_bot(&store).await;
    let owner = store.bot(a).await.unwrap().unwrap().user_id;
    let b = store
        .create_bot(&grid_bot(owner, "ETHUSDT", d("100")), 0)
        .await
        .unwrap()
        .id;
    let known: Vec<_> = (0..300).step_by(2).map(|i| varied_fill(a, i)).collect();
    assert_eq!(store.insert_fills(&known).await.unwrap(), 150);
    // 1,200 fills of `a`, every third one also for `b` (fill ids are per bot),
    // and a repeat of a new and of a known fill at the end: several statements.
    let mut batch = Vec::new();
    for i in 0..1200 {
        batch.push(varied_fill(a, i));
        if i % 3 == 0 {
            batch.push(varied_fill(b, i));
        }
    }
    batch.push(varied_fill(a, 1001));
    batch.push(varied_fill(a, 2));
    assert_eq!(store.insert_fills(&batch).await.unwrap(), 1050 + 400);
    assert_eq!(store.fill_count(a).await.unwrap(), 1200);
    assert_eq!(store.fill_count(b).await.unwrap(), 400);
    // Oldest first: the timestamps run backwards from the index.
    let want_a: Vec<_> = (0..1200).rev().map(|i| varied_fill(a, i)).collect();
    let want_b: Vec<_> = (0..1200)
        .rev()
        .filter(|i| i % 3 == 0)
        .map(|i| varied_fill(b, i))
        .collect();
    assert_eq!(store.fills_for_bot(a, usize::MAX).await.unwrap(), want_a);
    assert_eq!(store.fills_for_bot(b, usize::MAX).await.unwrap(), want_b);
    assert_eq!(store.insert_fills(&batch).await.unwrap(), 0, "a replay adds nothing");
}

/// Order `i` of `bot` with every field different from its neighbours'.
fn varied_order(bot: BotId, i: i64) -> BotOrder {
    let mut o = order(bot, &format!("g{}-{i}-0", bot.0), BotOrderStatus::Open, i);
    o.exchange_order_id = (i % 4 != 0).then(|| format!("ex{}", i * 3));
    o.cell = (i % 5 != 0).then_some(u32::try_from(i).unwrap());
    o.side = if i % 2 == 0 { Side::Buy } else { Side::Sell };
    o.price = (i % 6 != 0).then(|| d("99.5") + rust_decimal::Decimal::new(i, 2));
    o.qty = rust_decimal::Decimal::new(i + 1, 3);
    o.status = [BotOrderStatus::Intended, BotOrderStatus::Open, BotOrderStatus::Filled][(i % 3) as usize];
    o.updated_at = i * 2;
    o
}

pub async fn a_large_order_batch_spans_statements_and_keeps_first_positions(store: Arc<dyn Store>) {
    let bot = one_bot(&store).await;
    let first: Vec<_> = (0..100).map(|i| varied_order(bot, i)).collect();
    store.upsert_orders(&first).await.unwrap();
    // 1,100 orders over several statements: 100 replace the first ones, and
    // order 3 comes twice (first position, last values).
    let mut batch: Vec<_> = (0..1100).map(|i| varied_order(bot, i)).collect();
    for o in &mut batch[..100] {
        o.status = BotOrderStatus::Canceled;
        o.updated_at += 1;
    }
    let mut again = batch[3].clone();
    again.status = BotOrderStatus::Filled;
    again.exchange_order_id = Some("ex-last".into());
    batch.push(again.clone());
    store.upsert_orders(&batch).await.unwrap();
    let mut want = batch[..1100].to_vec();
    want[3] = again;
    assert_eq!(store.orders_for_bot(bot, false).await.unwrap(), want);
}

pub async fn a_fill_batch_naming_an_unknown_bot_writes_nothing(store: Arc<dyn Store>) {
    let bot = one_bot(&store).await;
    let batch = [fill(bot, "f1", 1), fill(BotId(999_999), "f2", 2)];
    assert!(matches!(store.insert_fills(&batch).await, Err(StoreError::NotFound(_))));
    assert_eq!(store.fill_count(bot).await.unwrap(), 0);
    assert!(store.fills_for_bot(bot, 10).await.unwrap().is_empty());
}

pub async fn fills_come_back_oldest_first_limited_to_the_newest(store: Arc<dyn Store>) {
    let bot = one_bot(&store).await;
    let mut liq = fill(bot, "late", 50);
    liq.fill.realized_pnl = d("-12.345");
    liq.fill.is_liquidation = true;
    // Inserted out of time order: reads sort by time, then by insertion.
    store
        .insert_fills(&[fill(bot, "c", 30), fill(bot, "a", 10), liq.clone(), fill(bot, "b", 30)])
        .await
        .unwrap();
    let ids = |v: Vec<gridbot_core::model::FillRecord>| v.into_iter().map(|f| f.fill.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.fills_for_bot(bot, 10).await.unwrap()),
        ["a", "c", "b", "late"]
    );
    assert_eq!(ids(store.fills_for_bot(bot, 2).await.unwrap()), ["b", "late"]);
    assert_eq!(store.fills_for_bot(bot, 1).await.unwrap(), vec![liq]);
    assert!(store.fills_for_bot(bot, 0).await.unwrap().is_empty());
}

pub async fn equity_curve_is_oldest_first_limited_to_the_newest(store: Arc<dyn Store>) {
    let bot = one_bot(&store).await;
    let pt = |ts: i64, eq: &str| EquitySnapshot {
        bot_id: bot,
        ts,
        equity: d(eq),
        pnl: d(eq) - d("100"),
    };
    store
        .insert_equity_snapshots(&[pt(3, "103.5"), pt(1, "100"), pt(2, "99.25")])
        .await
        .unwrap();
    store.insert_equity_snapshots(&[pt(4, "104.125")]).await.unwrap();
    assert_eq!(
        store.equity_curve(bot, 10).await.unwrap(),
        vec![pt(1, "100"), pt(2, "99.25"), pt(3, "103.5"), pt(4, "104.125")]
    );
    assert_eq!(
        store.equity_curve(bot, 2).await.unwrap(),
        vec![pt(3, "103.5"), pt(4, "104.125")]
    );
    let orphan = EquitySnapshot {
        bot_id: BotId(999_999),
        ts: 5,
        equity: d("1"),
        pnl: d("0"),
    };
    assert!(matches!(
        store.insert_equity_snapshots(&[pt(5, "1"), orphan]).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store.equity_curve(bot, 10).await.unwrap().len(),
        4,
        "nothing of the failed batch"
    );
}

pub async fn summary_totals_pnl_allocations_and_counts(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let v = store.create_user("bob", "h", 0).await.unwrap();
    let lim = limits(5, "10000");
    let a = store
        .start_bot_guarded(&grid_bot(u.id, "BTCUSDT", d("300.5")), lim, 1)
        .await
        .unwrap();
    let b = store
        .start_bot_guarded(&grid_bot(u.id, "ETHUSDT", d("200")), lim, 2)
        .await
        .unwrap();
    let c = store.create_bot(&grid_bot(u.id, "SOLUSDT", d("999")), 3).await.unwrap();
    store
        .start_bot_guarded(&grid_bot(v.id, "BTCUSDT", d("5000")), lim, 4)
        .await
        .unwrap();
    store.set_bot_status(a.id, BotStatus::Running, None, 5).await.unwrap();
    store.set_bot_status(b.id, BotStatus::Stopped, None, 5).await.unwrap();
    let mut sa = BotStats::default();
    sa.realized_pnl = d("10.5");
    sa.unrealized_pnl = d("-2.25");
    sa.fees = d("1.1");
    sa.grid_profit = d("9");
    let mut sb = BotStats::default();
    sb.realized_pnl = d("-4");
    sb.fees = d("0.4");
    sb.grid_profit = d("1");
    store.update_bot_stats(a.id, &sa, 6).await.unwrap();
    store.update_bot_stats(b.id, &sb, 6).await.unwrap();
    let fills: Vec<_> = (0..7).map(|i| fill(a.id, &format!("fa{i}"), i)).collect();
    store.insert_fills(&fills).await.unwrap();
    store.insert_fills(&[fill(b.id, "fb0", 0)]).await.unwrap();
    store
        .upsert_orders(&[
            order(a.id, "g-a-0", BotOrderStatus::Open, 1),
            order(a.id, "g-a-1", BotOrderStatus::Intended, 1),
            order(a.id, "g-a-2", BotOrderStatus::Filled, 1),
            order(b.id, "g-b-0", BotOrderStatus::Canceled, 1),
        ])
        .await
        .unwrap();

    let s = store.user_summary(u.id).await.unwrap();
    assert_eq!(s.user_id, u.id);
    let rows: Vec<_> = s.bots.iter().map(|r| (r.bot.id, r.fill_count, r.open_orders)).collect();
    assert_eq!(rows, vec![(c.id, 0, 0), (b.id, 1, 0), (a.id, 7, 2)]);
    assert_eq!(s.bots[2].bot.stats, sa);
    assert_eq!((s.total_bots, s.active_bots, s.running_bots), (3, 1, 1));
    assert_eq!(s.allocated, d("300.5"));
    assert_eq!(s.realized_pnl, d("6.5"));
    assert_eq!(s.unrealized_pnl, d("-2.25"));
    assert_eq!(s.fees, d("1.5"));
    assert_eq!(s.grid_profit, d("10"));
    assert_eq!(s.total_pnl, d("2.75"));
    assert_eq!(s.fill_count, 8);
    let empty = store.user_summary(gridbot_core::model::UserId(999_999)).await.unwrap();
    assert!(empty.bots.is_empty());
    assert_eq!(empty.allocated, d("0"));
}
