//! The conformance suite on [`gridbot_store::PostgresStore`] (a schema of
//! its own per test), plus migrations. Skips without a server unless `CI`
//! is set (see `common`).
#![cfg(feature = "postgres")]

mod common;
#[macro_use]
mod conformance;
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
