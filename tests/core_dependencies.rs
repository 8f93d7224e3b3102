//! `gridbot-core` must build with no HTTP client, no socket library and no
//! database driver: it is the pure domain that adapters plug into. This test
//! asks cargo for the crate's normal (non-dev) dependency tree with default
//! features and fails if any networking or database crate appears.
//!
//! The root `gridbot` crate without its default features (paper exchange,
//! simulated market, in-memory store) must not pull in an HTTP client, the
//! web server or a database driver either: an embedder pays only for the
//! features they turn on.

use std::process::Command;

/// Crates that mean network or database I/O.
const FORBIDDEN: &[&str] = &[
    "reqwest",
    "hyper",
    "h2",
    "mio",
    "socket2",
    "tungstenite",
    "tokio-tungstenite",
    "axum",
    "sqlx",
    "sqlx-core",
    "libsqlite3-sys",
    "rusqlite",
    "tokio-postgres",
    "postgres",
    "rustls",
    "native-tls",
    "openssl",
];

/// What the root crate without default features must not pull in.
const FORBIDDEN_IN_BARE_FACADE: &[&str] = &[
    "reqwest",
    "hyper",
    "h2",
    "tungstenite",
    "tokio-tungstenite",
    "axum",
    "libsqlite3-sys",
    "sqlx-sqlite",
    "sqlx-postgres",
    "gridbot-bitget",
    "gridbot-deepseek",
    "gridbot-http",
];

/// The crate names in `package`'s normal dependency tree.
fn dependency_names(package: &str, extra: &[&str]) -> (Vec<String>, String) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none", "--offline"])
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout).into_owned();
    let crates = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    (crates, tree)
}

#[test]
fn gridbot_core_pulls_in_no_http_socket_or_database_crate() {
    let (crates, tree) = dependency_names("gridbot-core", &[]);
    assert!(
        crates.iter().any(|c| c == "rust_decimal"),
        "unexpected cargo tree output:\n{tree}"
    );
    let bad: Vec<&&str> = FORBIDDEN.iter().filter(|f| crates.iter().any(|c| c == **f)).collect();
    assert!(bad.is_empty(), "gridbot-core depends on I/O crates {bad:?}:\n{tree}");
}

#[test]
fn the_facade_without_default_features_pulls_in_no_http_client_server_or_database_driver() {
    let (crates, tree) = dependency_names("gridbot", &["--no-default-features"]);
    assert!(
        crates.iter().any(|c| c == "gridbot-core"),
        "unexpected cargo tree output:\n{tree}"
    );
    let bad: Vec<&&str> = FORBIDDEN_IN_BARE_FACADE
        .iter()
        .filter(|f| crates.iter().any(|c| c == **f))
        .collect();
    assert!(bad.is_empty(), "gridbot without features depends on {bad:?}:\n{tree}");
    let (full, _) = dependency_names("gridbot", &[]);
    for needed in ["gridbot-bitget", "gridbot-http", "gridbot-deepseek", "libsqlite3-sys"] {
        assert!(full.iter().any(|c| c == needed), "default features bring {needed}");
    }
}
