//! `gridbot-core` must build with no HTTP client, no socket library and no
//! database driver: it is the pure domain that adapters plug into. This test
//! asks cargo for the crate's normal (non-dev) dependency tree with default
//! features and fails if any networking or database crate appears.

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

#[test]
fn gridbot_core_pulls_in_no_http_socket_or_database_crate() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            "gridbot-core",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    let crates: Vec<&str> = tree.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(
        crates.contains(&"rust_decimal"),
        "unexpected cargo tree output:\n{tree}"
    );
    let bad: Vec<&&str> = FORBIDDEN.iter().filter(|f| crates.contains(f)).collect();
    assert!(bad.is_empty(), "gridbot-core depends on I/O crates {bad:?}:\n{tree}");
}
