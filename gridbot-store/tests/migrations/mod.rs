//! Migrations up → down → up on a populated database, for both SQL stores.

use gridbot_core::model::BotOrderStatus;
use gridbot_core::ports::VenueEntry;
use gridbot_store::migrate_status;

use crate::common::{d, fill, grid_bot, limits, order, Fixture};

/// Populates the store, reverts the newest migration (what it made goes,
/// the rest keep their data), applies it again over the data, reverts
/// everything (no table is left), migrates up again and uses the fresh
/// schema.
pub async fn round_trip_on_populated_database(fx: &Fixture) {
    let url = fx.url.as_deref().unwrap();
    let store = &fx.store;
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let bot = store
        .start_bot_guarded(&grid_bot(u.id, "BTCUSDT", d("100")), limits(5, "1000"), 1)
        .await
        .unwrap();
    store.insert_fills(&[fill(bot.id, "f1", 1)]).await.unwrap();
    store
        .upsert_orders(&[order(bot.id, "g1-0-0", BotOrderStatus::Open, 1)])
        .await
        .unwrap();
    assert!(store.acquire_lease(bot.id, "runner", 60_000).await.unwrap().is_some());
    assert!(!store.installation_tag().await.unwrap().is_none());
    let all_applied = migrate_status(url).await.unwrap();
    assert!(all_applied.len() >= 2 && all_applied.iter().all(|m| m.applied));

    let venue = store.open_venue("paper", "runner").await.unwrap().claim;
    let entry = VenueEntry {
        seq: 1,
        body: b"fill".to_vec(),
    };
    store
        .append_venue(&venue, std::slice::from_ref(&entry), None)
        .await
        .unwrap();

    // The newest migration (the paper venue's journal) goes alone.
    gridbot_store::migrate_down(url).await.unwrap();
    let status = migrate_status(url).await.unwrap();
    assert!(!status.last().unwrap().applied);
    assert!(status[..status.len() - 1].iter().all(|m| m.applied));
    assert!(
        store.open_venue("paper", "runner").await.is_err(),
        "venue tables reverted"
    );
    assert!(
        store.acquire_lease(bot.id, "runner", 60_000).await.unwrap().is_some(),
        "older tables keep their data"
    );
    gridbot_store::migrate_up(url).await.unwrap();
    let fresh = store.open_venue("paper", "runner").await.unwrap();
    assert_eq!((fresh.claim.epoch, fresh.entries.len()), (1, 0), "a fresh journal");
    store.append_venue(&fresh.claim, &[entry], None).await.unwrap();

    // Then the one before it too.
    gridbot_store::migrate_down(url).await.unwrap();
    gridbot_store::migrate_down(url).await.unwrap();
    let status = migrate_status(url).await.unwrap();
    assert!(status[status.len() - 2..].iter().all(|m| !m.applied));
    assert!(status[..status.len() - 2].iter().all(|m| m.applied));
    assert!(
        store.acquire_lease(bot.id, "runner", 60_000).await.is_err(),
        "lease epochs reverted"
    );
    assert!(store.installation_tag().await.is_err(), "installation table reverted");
    assert_eq!(
        store.fill_count(bot.id).await.unwrap(),
        1,
        "older tables keep their data"
    );

    gridbot_store::migrate_up(url).await.unwrap();
    assert!(
        store.acquire_lease(bot.id, "runner", 60_000).await.unwrap().is_some(),
        "the lease row survives its table's change"
    );
    assert!(!store.installation_tag().await.unwrap().is_none());
    gridbot_store::migrate_down(url).await.unwrap();

    gridbot_store::migrate_down_to(url, 0).await.unwrap();
    assert!(migrate_status(url).await.unwrap().iter().all(|m| !m.applied));
    assert!(store.user(u.id).await.is_err(), "every table reverted");

    gridbot_store::migrate_up(url).await.unwrap();
    assert!(migrate_status(url).await.unwrap().iter().all(|m| m.applied));
    assert_eq!(store.user(u.id).await.unwrap(), None, "fresh schema");
    let u2 = store.create_user("alice", "h", 0).await.unwrap();
    let b2 = store
        .start_bot_guarded(&grid_bot(u2.id, "BTCUSDT", d("100")), limits(5, "1000"), 2)
        .await
        .unwrap();
    assert_eq!(store.insert_fills(&[fill(b2.id, "f1", 1)]).await.unwrap(), 1);
    assert_eq!(
        store
            .acquire_lease(b2.id, "runner", 60_000)
            .await
            .unwrap()
            .map(|l| l.epoch),
        Some(1)
    );
    gridbot_store::migrate_up(url).await.unwrap();
}
