//! The conformance suite on [`gridbot_store::SqliteStore`] (a temporary
//! file each), plus what only a SQL store has: migrations.
#![cfg(feature = "sqlite")]

mod common;
#[macro_use]
mod conformance;
mod fenced;
mod migrations;
mod race;
mod schema;

conformance_suite!(common::sqlite);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_go_up_down_and_up_again_on_a_populated_database() {
    let fx = common::sqlite().await.unwrap();
    migrations::round_trip_on_populated_database(&fx).await;
    fx.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_path_opens_a_sqlite_file_and_creates_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/gridbot.db");
    let store = gridbot_store::open(path.to_str().unwrap()).await.unwrap();
    store.create_user("alice", "h", 0).await.unwrap();
    drop(store);
    assert!(path.exists());
    let again = gridbot_store::open(path.to_str().unwrap()).await.unwrap();
    assert!(
        again.user_by_name("alice").await.unwrap().is_some(),
        "data survives reopening"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_and_full_sync_but_normal_for_the_venue_journal() {
    let fx = common::sqlite().await.unwrap();
    let store = gridbot_store::SqliteStore::open(fx.url.as_deref().unwrap())
        .await
        .unwrap();
    let pool = store.sql().pool();
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode").fetch_one(pool).await.unwrap();
    let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys").fetch_one(pool).await.unwrap();
    let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous").fetch_one(pool).await.unwrap();
    assert_eq!((mode.as_str(), fk, sync), ("wal", 1, 2));
    // The paper venue's journal: its own connections, NORMAL (sql/venue.rs).
    let venue = store.sql().venue_pool();
    let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode").fetch_one(venue).await.unwrap();
    let (fk,): (i64,) = sqlx::query_as("PRAGMA foreign_keys").fetch_one(venue).await.unwrap();
    let (sync,): (i64,) = sqlx::query_as("PRAGMA synchronous").fetch_one(venue).await.unwrap();
    assert_eq!((mode.as_str(), fk, sync), ("wal", 1, 1));
    let (ty,): (String,) = sqlx::query_as("SELECT type FROM pragma_table_info('bots') WHERE name = 'allocation'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(ty, "TEXT", "money is never REAL");
    fx.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_guarded_starts_never_break_the_rules_on_a_sqlite_file() {
    let fx = common::sqlite().await.unwrap();
    let url = fx.url.clone().unwrap();
    // A second and third pool on the same file stand for other processes.
    let stores = vec![
        fx.store.clone(),
        gridbot_store::open(&url).await.unwrap(),
        gridbot_store::open(&url).await.unwrap(),
    ];
    for round in 0..3 {
        let user = fx.store.create_user(&format!("racer{round}"), "h", 0).await.unwrap();
        race::fifty_concurrent_starts(&stores, user.id).await;
    }
    drop(stores);
    fx.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_refuses_two_active_bots_of_a_user_on_one_symbol() {
    let fx = common::sqlite().await.unwrap();
    let store = gridbot_store::SqliteStore::open(fx.url.as_deref().unwrap())
        .await
        .unwrap();
    schema::database_refuses_two_active_bots_of_a_user_on_one_symbol(&store, store.sql().pool()).await;
    schema::a_corrupt_amount_is_reported_not_guessed(&store, store.sql().pool(), false).await;
    fx.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installation_tag_is_shared_by_handles_on_one_sqlite_file() {
    let fx = common::sqlite().await.unwrap();
    fenced::the_installation_tag_is_shared_by_handles_on_one_database(fx.url.as_deref().unwrap()).await;
    fx.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_take_over_through_another_handle_fences_the_first_on_a_sqlite_file() {
    let fx = common::sqlite().await.unwrap();
    fenced::a_take_over_through_another_handle_fences_the_first(fx.url.as_deref().unwrap()).await;
    fx.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_waits_for_a_take_over_in_flight_and_is_then_refused_on_a_sqlite_file() {
    let fx = common::sqlite().await.unwrap();
    fenced::a_write_waits_for_a_take_over_in_flight_and_is_then_refused(fx.url.as_deref().unwrap(), "BEGIN IMMEDIATE")
        .await;
    fx.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_claimed_through_another_handle_fences_the_first_on_a_sqlite_file() {
    let fx = common::sqlite().await.unwrap();
    fenced::a_venue_claimed_through_another_handle_fences_the_first(fx.url.as_deref().unwrap()).await;
    fx.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_append_waits_for_a_claim_in_flight_and_is_then_fenced_on_a_sqlite_file() {
    let fx = common::sqlite().await.unwrap();
    fenced::a_venue_append_waits_for_a_claim_in_flight_and_is_then_fenced(
        fx.url.as_deref().unwrap(),
        "BEGIN IMMEDIATE",
    )
    .await;
    fx.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_venue_claims_and_appends_keep_the_journal_whole_on_a_sqlite_file() {
    let fx = common::sqlite().await.unwrap();
    fenced::racing_venue_claims_and_appends_keep_the_journal_whole(fx.url.as_deref().unwrap()).await;
    fx.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_venue_journal_survives_closing_and_reopening_the_sqlite_file() {
    use gridbot_core::ports::{Store, VenueEntry};

    let dir = tempfile::tempdir().unwrap();
    let url = common::sqlite_url(&dir, "venue.db");
    let entry = |seq: i64| VenueEntry {
        seq,
        body: format!("fill {seq}\0\u{ff}").into_bytes(),
    };
    let store = gridbot_store::SqliteStore::open(&url).await.unwrap();
    let claim = store.open_venue("paper", "runner").await.unwrap().claim;
    store.append_venue(&claim, &[entry(1), entry(2)], None).await.unwrap();
    store
        .append_venue(&claim, &[entry(3), entry(4)], Some(entry(3)))
        .await
        .unwrap();
    store.append_venue(&claim, &[entry(5)], None).await.unwrap();
    store.sql().close().await;
    drop(store);

    let again = gridbot_store::SqliteStore::open(&url).await.unwrap();
    let load = again.open_venue("paper", "runner").await.unwrap();
    assert_eq!(load.claim.epoch, claim.epoch + 1);
    assert_eq!(load.checkpoint, Some(entry(3)));
    assert_eq!(load.entries, vec![entry(4), entry(5)]);
    assert!(matches!(
        again.append_venue(&claim, &[entry(6)], None).await,
        Err(gridbot_core::StoreError::VenueFenced { .. })
    ));
    again.sql().close().await;
}
