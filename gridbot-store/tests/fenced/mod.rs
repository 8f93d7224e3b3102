//! What needs two handles on one database (two pools stand for two
//! processes): the installation tag they share, a take-over through the
//! other handle fencing the first, and the same for the paper venue's
//! journal.

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

/// The paper venue's journal claimed through handle B fences handle A's
/// claim: A's append writes nothing, B reads everything A committed and
/// goes on; a third handle opened later sees B's journal.
pub async fn a_venue_claimed_through_another_handle_fences_the_first(url: &str) {
    use gridbot_core::ports::VenueEntry;

    let entry = |seq: i64, who: &str| VenueEntry {
        seq,
        body: format!("{who}:{seq}").into_bytes(),
    };
    let a: Arc<dyn Store> = gridbot_store::open(url).await.unwrap();
    let b: Arc<dyn Store> = gridbot_store::open(url).await.unwrap();
    let la = a.open_venue("paper", "process-a").await.unwrap();
    a.append_venue(&la.claim, &[entry(1, "a"), entry(2, "a")], None)
        .await
        .unwrap();
    let lb = b.open_venue("paper", "process-b").await.unwrap();
    assert_eq!(lb.claim.epoch, la.claim.epoch + 1);
    assert_eq!(lb.entries, vec![entry(1, "a"), entry(2, "a")]);
    assert!(matches!(
        a.append_venue(&la.claim, &[entry(3, "a")], Some(entry(3, "a"))).await,
        Err(StoreError::VenueFenced { .. })
    ));
    b.append_venue(&lb.claim, &[entry(3, "b")], None).await.unwrap();
    let c: Arc<dyn Store> = gridbot_store::open(url).await.unwrap();
    let lc = c.open_venue("paper", "process-c").await.unwrap();
    assert_eq!(lc.entries, vec![entry(1, "a"), entry(2, "a"), entry(3, "b")]);
    assert_eq!(lc.checkpoint, None);
}

/// A claim in flight (another process's transaction has moved the venue's
/// epoch but not committed) holds back an append under the old claim
/// until it commits, and the append is then fenced: a venue never writes
/// past the moment it was claimed away. `begin` starts the other
/// process's write transaction (`BEGIN IMMEDIATE` on SQLite).
pub async fn a_venue_append_waits_for_a_claim_in_flight_and_is_then_fenced(url: &str, begin: &str) {
    use gridbot_core::ports::VenueEntry;
    use gridbot_store::sqlx;

    let store = gridbot_store::open(url).await.unwrap();
    let old = store.open_venue("paper", "process-a").await.unwrap().claim;
    let other = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    let mut conn = other.acquire().await.unwrap();
    sqlx::query(begin).execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE paper_venues SET owner = 'process-b', epoch = epoch + 1 WHERE venue = 'paper'")
        .execute(&mut *conn)
        .await
        .unwrap();
    let writer = {
        let store = store.clone();
        let old = old.clone();
        tokio::spawn(async move {
            let e = VenueEntry {
                seq: 1,
                body: b"stale".to_vec(),
            };
            store.append_venue(&old, &[e], None).await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!writer.is_finished(), "the append did not wait for the claim in flight");
    sqlx::query("COMMIT").execute(&mut *conn).await.unwrap();
    let result = writer.await.unwrap();
    assert!(matches!(result, Err(StoreError::VenueFenced { .. })), "{result:?}");
    drop(conn);
    other.close().await;
    let now = store.open_venue("paper", "process-c").await.unwrap();
    assert_eq!(now.claim.epoch, old.epoch + 2);
    assert!(now.entries.is_empty(), "the fenced append wrote nothing");
}

/// Eight writers on two handles race for one venue: each claims it, then
/// appends the entries after what its claim read until it is fenced, and
/// claims again. Every claim gets its own epoch; no append is refused as
/// out of order (a claim reads every entry committed before it, and no
/// append under an older claim commits after it); the journal holds
/// exactly the appends that succeeded, their epochs never going back
/// along the sequence numbers.
pub async fn racing_venue_claims_and_appends_keep_the_journal_whole(url: &str) {
    use gridbot_core::ports::VenueEntry;

    let handles: Vec<Arc<dyn Store>> = vec![
        gridbot_store::open(url).await.unwrap(),
        gridbot_store::open(url).await.unwrap(),
    ];
    let mut tasks = Vec::new();
    for w in 0..8usize {
        let store = handles[w % 2].clone();
        tasks.push(tokio::spawn(async move {
            let owner = format!("writer-{w}");
            let (mut epochs, mut written) = (Vec::new(), Vec::new());
            for _ in 0..6 {
                let load = store.open_venue("paper", &owner).await.unwrap();
                epochs.push(load.claim.epoch);
                let first = load.entries.last().map_or(1, |e| e.seq + 1);
                for next in first..first + 5 {
                    let e = VenueEntry {
                        seq: next,
                        body: format!("{}:{}", load.claim.epoch, next).into_bytes(),
                    };
                    match store.append_venue(&load.claim, &[e], None).await {
                        Ok(()) => written.push((next, load.claim.epoch)),
                        Err(StoreError::VenueFenced { .. }) => break,
                        Err(other) => panic!("{owner} epoch {}: {other}", load.claim.epoch),
                    }
                }
            }
            (epochs, written)
        }));
    }
    let (mut epochs, mut written) = (Vec::new(), Vec::new());
    for t in tasks {
        let (e, w) = t.await.unwrap();
        epochs.extend(e);
        written.extend(w);
    }
    epochs.sort_unstable();
    assert_eq!(epochs, (1..=48).collect::<Vec<i64>>(), "one epoch per claim");
    written.sort_unstable();
    let journal: Vec<(i64, i64)> = handles[0]
        .open_venue("paper", "reader")
        .await
        .unwrap()
        .entries
        .iter()
        .map(|e| {
            let body = String::from_utf8(e.body.clone()).unwrap();
            let (epoch, seq) = body.split_once(':').unwrap();
            assert_eq!(seq.parse::<i64>().unwrap(), e.seq);
            (e.seq, epoch.parse().unwrap())
        })
        .collect();
    assert_eq!(journal, written, "the journal holds exactly the appends that succeeded");
    assert!(!journal.is_empty());
    assert!(
        journal.windows(2).all(|w| w[0].1 <= w[1].1 && w[1].0 == w[0].0 + 1),
        "contiguous, epochs never go back: {journal:?}"
    );
}
