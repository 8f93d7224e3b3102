//! A build without one of the databases refuses its URLs with an error
//! that names the feature to enable (and never panics); the in-memory
//! store is always there.

use gridbot_store::DbUrl;

/// The error `open(url)` gives, or `None` when it opened.
async fn open_error(url: &str) -> Option<String> {
    gridbot_store::open(url).await.err().map(|e| e.to_string())
}

#[tokio::test]
async fn the_memory_store_is_in_every_build() {
    assert_eq!(open_error("memory").await, None);
    assert_eq!(DbUrl::parse("memory").unwrap().feature(), None);
}

#[test]
fn each_database_url_names_the_feature_that_builds_its_store() {
    assert_eq!(DbUrl::parse("sqlite::memory:").unwrap().feature(), Some("sqlite"));
    assert_eq!(DbUrl::parse("postgres://u@h/db").unwrap().feature(), Some("postgres"));
}

#[cfg(not(feature = "postgres"))]
#[tokio::test]
async fn a_postgres_url_asks_for_the_postgres_feature_when_it_is_left_out() {
    let err = open_error("postgres://u@127.0.0.1:9/db").await.expect("refused");
    assert!(err.contains("enable the `postgres` feature of gridbot-store"), "{err}");
    let err = gridbot_store::migrate_up("postgres://u@127.0.0.1:9/db")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("`postgres` feature"), "{err}");
}

#[cfg(not(feature = "sqlite"))]
#[tokio::test]
async fn a_sqlite_url_asks_for_the_sqlite_feature_when_it_is_left_out() {
    let err = open_error("sqlite::memory:").await.expect("refused");
    assert!(err.contains("enable the `sqlite` feature of gridbot-store"), "{err}");
    let err = open_error("gridbot.db").await.expect("refused");
    assert!(err.contains("`sqlite` feature"), "{err}");
}

#[cfg(feature = "sqlite")]
#[tokio::test]
async fn an_in_memory_sqlite_url_opens_when_sqlite_is_built() {
    assert_eq!(open_error("sqlite::memory:").await, None);
}
