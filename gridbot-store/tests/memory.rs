//! The conformance suite on [`gridbot_store::MemoryStore`].

mod common;
#[macro_use]
mod conformance;

conformance_suite!(common::memory);

/// The memory store judges lease expiry by its own clock: a simulated
/// deployment's leases lapse in simulated time, never in real time.
#[tokio::test]
async fn leases_lapse_by_the_memory_stores_clock() {
    use std::sync::Arc;

    use gridbot_core::clock::ManualClock;
    use gridbot_core::ports::{BotWrites, Store};
    use gridbot_core::StoreError;
    use gridbot_store::MemoryStore;

    let clock = Arc::new(ManualClock::new(1_000_000));
    let store = MemoryStore::with_clock(clock.clone());
    let user = store.create_user("alice", "h", 0).await.unwrap();
    let bot = store
        .create_bot(&common::grid_bot(user.id, "BTCUSDT", common::d("100")), 0)
        .await
        .unwrap()
        .id;
    let a = store.acquire_lease(bot, "runner-a", 1_000).await.unwrap().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    clock.advance(999);
    assert_eq!(store.acquire_lease(bot, "runner-b", 1_000).await.unwrap(), None);
    assert!(store.write_bot(&a, &BotWrites::default(), 0).await.is_ok());
    clock.advance(1);
    assert!(matches!(
        store.write_bot(&a, &BotWrites::default(), 0).await,
        Err(StoreError::LeaseLost { .. })
    ));
    let b = store.acquire_lease(bot, "runner-b", 1_000).await.unwrap().unwrap();
    assert_eq!(b.epoch, a.epoch + 1);
}
