//! What the schema itself enforces, below the store's own checks.

use gridbot_core::ports::Store;
use gridbot_store::sqlx::AnyPool;

fn insert_bot(user: i64, status: &str) -> String {
    format!(
        "INSERT INTO bots (user_id, name, kind, symbol, status, config, allocation, source, stats, created_at, \
         updated_at) VALUES ({user}, 'raw', 'grid', 'BTCUSDT', '{status}', '{{}}', '10', 'manual', '{{}}', 0, 0)"
    )
}

/// The partial unique index refuses a second bot holding the same symbol
/// for a user, even from a writer that skips the guarded start, and lets
/// any number of created or stopped ones through.
pub async fn database_refuses_two_active_bots_of_a_user_on_one_symbol(store: &dyn Store, pool: &AnyPool) {
    let u = store.create_user("alice", "h", 0).await.unwrap().id.0;
    for status in ["created", "stopped", "stopped", "running"] {
        gridbot_store::sqlx::query(&insert_bot(u, status))
            .execute(pool)
            .await
            .unwrap();
    }
    let second = gridbot_store::sqlx::query(&insert_bot(u, "paused")).execute(pool).await;
    let err = second.unwrap_err();
    let db = err.as_database_error().expect("a database error");
    assert_eq!(db.kind(), gridbot_store::sqlx::error::ErrorKind::UniqueViolation);
}

/// Money columns refuse to hold a non-number where the database can tell
/// (PostgreSQL NUMERIC); SQLite stores the text and the store reports it
/// as corrupt on read instead of guessing.
pub async fn a_corrupt_amount_is_reported_not_guessed(store: &dyn Store, pool: &AnyPool, numeric_column: bool) {
    let u = store.create_user("bob", "h", 0).await.unwrap().id.0;
    let sql = insert_bot(u, "created").replace("'10'", "'ten'");
    let inserted = gridbot_store::sqlx::query(&sql).execute(pool).await;
    if numeric_column {
        assert!(inserted.is_err());
        return;
    }
    inserted.unwrap();
    let bots = store.bots_for_user(gridbot_core::model::UserId(u), None).await;
    assert!(matches!(bots, Err(gridbot_core::StoreError::Corrupt(_))), "{bots:?}");
}
