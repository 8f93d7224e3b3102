//! What needs two handles on one database (two pools stand for two
//! processes): the installation tag they share, and a take-over through
//! the other handle fencing the first.

use std::sync::Arc;
use std::time::Duration;

use gridbot_core::ports::{BotWrites, EngineSave, Store};
use gridbot_core::StoreError;
use serde_json::json;

use crate::common::running_bot;

/// Two handles asking for the tag first, at once, get the same one; a
/// handle opened later too.
pub async fn the_installation_tag_is_shared_by_handles_on_one_database(url: &str) {
    let (a, b) = (
        gridbot_store::open(url).await.unwrap(),
        gridbot_store::open(url).await.unwrap(),
    );
    let (ta, tb) = tokio::join!(a.installation_tag(), b.installation_tag());
    let tag = ta.unwrap();
    assert_eq!(tb.unwrap(), tag);
    assert!(!tag.is_none());
    let later = gridbot_store::open(url).await.unwrap();
    assert_eq!(later.installation_tag().await.unwrap(), tag);
}

/// Handle A's lease lapses, handle B takes the bot over: A can no longer
/// write the bot's rows, B can.
pub async fn a_take_over_through_another_handle_fences_the_first(url: &str) {
    let a: Arc<dyn Store> = gridbot_store::open(url).await.unwrap();
    let b: Arc<dyn Store> = gridbot_store::open(url).await.unwrap();
    let bot = running_bot(&*a, "alice", "BTCUSDT").await;
    let step = |n: i64| BotWrites {
        engine: Some(EngineSave {
            state: json!({ "writer": n }),
            fill_cursor: None,
        }),
        ..BotWrites::default()
    };
    // Long enough for the first write even on a loaded machine.
    let la = a.acquire_lease(bot, "process-a", 500).await.unwrap().unwrap();
    assert!(a.write_bot(&la, &step(1), 3).await.is_ok());
    tokio::time::sleep(Duration::from_millis(600)).await;
    let lb = b.acquire_lease(bot, "process-b", 600_000).await.unwrap().unwrap();
    assert_eq!(lb.epoch, la.epoch + 1);
    assert!(matches!(
        a.write_bot(&la, &step(2), 4).await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert_eq!(a.acquire_lease(bot, "process-a", 600_000).await.unwrap(), None);
    b.write_bot(&lb, &step(3), 5).await.unwrap();
    let saved = a.bot(bot).await.unwrap().unwrap().engine_state;
    assert_eq!(saved, Some(json!({ "writer": 3 })));
}

/// A take-over in flight (another process's transaction has moved the
/// lease to itself but not committed) holds back a write under the old
/// lease until it commits, and the write is then refused: a runner never
/// writes past the moment its lease was taken. `begin` starts the other
/// process's write transaction (`BEGIN IMMEDIATE` on SQLite).
pub async fn a_write_waits_for_a_take_over_in_flight_and_is_then_refused(url: &str, begin: &str) {
    use gridbot_store::sqlx;

    let store = gridbot_store::open(url).await.unwrap();
    let bot = running_bot(&*store, "alice", "BTCUSDT").await;
    let old = store.acquire_lease(bot, "process-a", 600_000).await.unwrap().unwrap();
    let other = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    let mut conn = other.acquire().await.unwrap();
    sqlx::query(begin).execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE runner_leases SET owner = 'process-b', epoch = epoch + 1 WHERE bot_id = $1")
        .bind(bot.0)
        .execute(&mut *conn)
        .await
        .unwrap();
    let writer = {
        let store = store.clone();
        let old = old.clone();
        let step = BotWrites {
            engine: Some(EngineSave {
                state: json!({ "stale": true }),
                fill_cursor: None,
            }),
            ..BotWrites::default()
        };
        tokio::spawn(async move { store.write_bot(&old, &step, 9).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !writer.is_finished(),
        "the write did not wait for the take-over in flight"
    );
    sqlx::query("COMMIT").execute(&mut *conn).await.unwrap();
    let result = writer.await.unwrap();
    assert!(matches!(result, Err(StoreError::LeaseLost { .. })), "{result:?}");
    assert_eq!(store.bot(bot).await.unwrap().unwrap().engine_state, None);
    drop(conn);
    other.close().await;
}
