//! The conformance suite on [`gridbot_store::PostgresStore`] (a schema of
//! its own per test), plus migrations. Skips without a server unless `CI`
//! is set (see `common`).
#![cfg(feature = "postgres")]

mod common;
#[macro_use]
mod conformance;
mod fenced;
mod migrations;
mod race;
mod schema;

conformance_suite!(common::postgres);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_go_up_down_and_up_again_on_a_populated_database() {
    if let Some(fx) = common::postgres().await {
        migrations::round_trip_on_populated_database(&fx).await;
        fx.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stores_money_as_numeric() {
    if let Some(fx) = common::postgres().await {
        let store = gridbot_store::PostgresStore::connect(fx.url.as_deref().unwrap())
            .await
            .unwrap();
        let (ty,): (String,) = sqlx::query_as(
            "SELECT data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'fills' AND column_name = 'price'",
        )
        .fetch_one(store.sql().pool())
        .await
        .unwrap();
        assert_eq!(ty, "numeric");
        store.sql().close().await;
        fx.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_guarded_starts_never_break_the_rules_on_postgres() {
    if let Some(fx) = common::postgres().await {
        let url = fx.url.clone().unwrap();
        let stores = vec![fx.store.clone(), gridbot_store::open(&url).await.unwrap()];
        for round in 0..3 {
            let user = fx.store.create_user(&format!("racer{round}"), "h", 0).await.unwrap();
            race::fifty_concurrent_starts(&stores, user.id).await;
        }
        drop(stores);
        fx.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_refuses_two_active_bots_of_a_user_on_one_symbol() {
    if let Some(fx) = common::postgres().await {
        let store = gridbot_store::PostgresStore::open(fx.url.as_deref().unwrap())
            .await
            .unwrap();
        schema::database_refuses_two_active_bots_of_a_user_on_one_symbol(&store, store.sql().pool()).await;
        schema::a_corrupt_amount_is_reported_not_guessed(&store, store.sql().pool(), true).await;
        store.sql().close().await;
        fx.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_test_schemas_are_swept_and_fresh_ones_kept() {
    use common::pg;
    let Some(mine) = pg::PgSchema::create().await else {
        return;
    };
    let mut conn = pg::connect_or_skip(mine.base()).await.unwrap();
    let (now,): (i64,) = sqlx::query_as("SELECT floor(extract(epoch FROM now()))::int8")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let stale = format!("t_{}_{:016x}", now - pg::STALE_AFTER_SECS - 60, now);
    let recent = format!("t_{}_{:016x}", now - pg::STALE_AFTER_SECS + 600, now);
    let other = format!("t_keep_{now}");
    for name in [&stale, &recent, &other] {
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    // (Another test process's sweep may drop the stale one first.)
    let dropped = pg::sweep_stale_schemas(&mut conn).await;
    assert!(!dropped.contains(&recent) && !dropped.contains(&other), "{dropped:?}");
    assert!(
        !dropped.iter().any(|n| n == mine.name()),
        "a running test's schema is kept"
    );
    let exists =
        |name: String| sqlx::query_as::<_, (i64,)>("SELECT count(*) FROM pg_namespace WHERE nspname = $1").bind(name);
    assert_eq!(exists(stale).fetch_one(&mut conn).await.unwrap().0, 0);
    for name in [recent, other] {
        assert_eq!(exists(name.clone()).fetch_one(&mut conn).await.unwrap().0, 1);
        sqlx::query(&format!("DROP SCHEMA {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    mine.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_schema_is_dropped_when_its_fixture_is_dropped_unfinished() {
    let Some(fx) = common::postgres().await else {
        return;
    };
    fx.store.create_user("alice", "h", 0).await.unwrap();
    let url = fx.url.clone().unwrap();
    let name = url.rsplit("search_path%3D").next().unwrap().to_owned();
    let mut conn = common::pg::connect_or_skip(&common::pg::base_url()).await.unwrap();
    let count =
        |name: String| sqlx::query_as::<_, (i64,)>("SELECT count(*) FROM pg_namespace WHERE nspname = $1").bind(name);
    assert_eq!(count(name.clone()).fetch_one(&mut conn).await.unwrap().0, 1);
    drop(fx); // as when the test panics
    assert_eq!(count(name).fetch_one(&mut conn).await.unwrap().0, 0);
}

#[test]
fn only_names_of_the_test_shape_are_dated() {
    use common::pg::created_at;
    assert_eq!(created_at("t_1700000000_00112233aabbccdd"), Some(1_700_000_000));
    assert_eq!(
        created_at("t_00112233aabbccdd"),
        None,
        "older undated names are left alone"
    );
    assert_eq!(created_at("t_keep_1700000000"), None);
    assert_eq!(created_at("t_1700000000_0011"), None);
    assert_eq!(created_at("public"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installation_tag_is_shared_by_handles_on_one_postgres_database() {
    if let Some(fx) = common::postgres().await {
        fenced::the_installation_tag_is_shared_by_handles_on_one_database(fx.url.as_deref().unwrap()).await;
        fx.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_take_over_through_another_handle_fences_the_first_on_postgres() {
    if let Some(fx) = common::postgres().await {
        fenced::a_take_over_through_another_handle_fences_the_first(fx.url.as_deref().unwrap()).await;
        fx.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_waits_for_a_take_over_in_flight_and_is_then_refused_on_postgres() {
    if let Some(fx) = common::postgres().await {
        fenced::a_write_waits_for_a_take_over_in_flight_and_is_then_refused(fx.url.as_deref().unwrap(), "BEGIN").await;
        fx.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_claimed_through_another_handle_fences_the_first_on_postgres() {
    if let Some(fx) = common::postgres().await {
        fenced::a_venue_claimed_through_another_handle_fences_the_first(fx.url.as_deref().unwrap()).await;
        fx.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_venue_append_waits_for_a_claim_in_flight_and_is_then_fenced_on_postgres() {
    if let Some(fx) = common::postgres().await {
        fenced::a_venue_append_waits_for_a_claim_in_flight_and_is_then_fenced(fx.url.as_deref().unwrap(), "BEGIN")
            .await;
        fx.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_venue_claims_and_appends_keep_the_journal_whole_on_postgres() {
    if let Some(fx) = common::postgres().await {
        fenced::racing_venue_claims_and_appends_keep_the_journal_whole(fx.url.as_deref().unwrap()).await;
        fx.finish().await;
    }
}
