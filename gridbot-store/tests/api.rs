//! The public surface: stores are shareable across threads, and errors are
//! standard errors that say what to do.

use std::sync::Arc;

use gridbot_store::{MemoryStore, Store, StoreError};

/// Compiles only for types that can be shared between threads.
fn send_sync<T: Send + Sync + 'static>() {}

#[test]
fn every_store_is_send_and_sync() {
    send_sync::<MemoryStore>();
    send_sync::<Arc<dyn Store>>();
    #[cfg(feature = "sqlite")]
    send_sync::<gridbot_store::SqliteStore>();
    #[cfg(feature = "postgres")]
    send_sync::<gridbot_store::PostgresStore>();
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    send_sync::<gridbot_store::sql::SqlStore>();
}

fn as_std_error(e: &StoreError) -> &dyn std::error::Error {
    e
}

#[tokio::test]
async fn an_unknown_url_is_a_standard_error_listing_the_accepted_forms() {
    let err = gridbot_store::open("mysql://u@h/db").await.err().expect("refused");
    let msg = as_std_error(&err).to_string();
    assert!(msg.contains("use `memory`") && msg.contains("postgres://"), "{msg}");
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn a_sqlite_file_that_cannot_be_opened_says_what_to_check() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}?mode=rw", dir.path().join("absent.db").display());
    let err = gridbot_store::open(&missing).await.err().expect("refused");
    assert!(err.to_string().contains("check the path"), "{err}");
}
