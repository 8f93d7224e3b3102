//! `gridbot exchange` against a fake Bitget (`--base-url`): every
//! subcommand, JSON output, keys from the environment and never printed,
//! and `candles --out` writing the CSV the backtester reads.

use std::process::Output;

use gridbot_bitget::fake::{FakeBitget, FAKE_API_KEY, FAKE_PASSPHRASE, FAKE_SECRET};
use gridbot_core::model::Candle;
use rust_decimal_macros::dec;

async fn run(fake: &FakeBitget, args: &[&str], keys: bool) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gridbot"));
    cmd.arg("exchange").arg("--base-url").arg(fake.base_url()).args(args);
    cmd.env_remove("GRIDBOT_BITGET_API_KEY")
        .env_remove("GRIDBOT_BITGET_API_SECRET")
        .env_remove("GRIDBOT_BITGET_PASSPHRASE");
    if keys {
        cmd.env("GRIDBOT_BITGET_API_KEY", FAKE_API_KEY)
            .env("GRIDBOT_BITGET_API_SECRET", FAKE_SECRET)
            .env("GRIDBOT_BITGET_PASSPHRASE", FAKE_PASSPHRASE);
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_prints_json_and_never_prints_the_keys() {
    let fake = FakeBitget::start().await.unwrap();
    let o = run(&fake, &["--json", "balance"], true).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["equity"], "100000");
    let table = run(&fake, &["balance"], true).await;
    assert!(stdout(&table).contains("equity"));
    for out in [stdout(&o), stderr(&o), stdout(&table), stderr(&table)] {
        assert!(!out.contains(FAKE_SECRET) && !out.contains(FAKE_PASSPHRASE));
    }
    let r = fake.requests_to("/api/v2/mix/account/accounts");
    assert!(r.iter().all(|r| r.headers["access-key"] == FAKE_API_KEY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_commands_without_keys_are_refused_naming_the_variables() {
    let fake = FakeBitget::start().await.unwrap();
    let o = run(&fake, &["positions"], false).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("GRIDBOT_BITGET_API_KEY"));
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contracts_are_public_and_listed_as_a_table_or_json() {
    let fake = FakeBitget::start().await.unwrap();
    let o = run(&fake, &["contracts"], false).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("BTCUSDT") && stdout(&o).contains("ETHUSDT"));
    let o = run(&fake, &["contracts", "--symbol", "btcusdt", "--json"], false).await;
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["tick_size"], "0.1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_list_and_cancel_an_order() {
    let fake = FakeBitget::start().await.unwrap();
    let args = [
        "place",
        "--symbol",
        "BTCUSDT",
        "--side",
        "buy",
        "--qty",
        "0.001",
        "--price",
        "29000",
        "--client-id",
        "op-1",
        "--leverage",
        "5",
        "--json",
    ];
    let o = run(&fake, &args, true).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (v["client_id"].as_str(), v["status"].as_str()),
        (Some("op-1"), Some("open"))
    );
    fake.with_book(|b| assert_eq!(b.leverage["BTCUSDT"], 5));
    // Running the same command again does not place a second order.
    let again = run(&fake, &args, true).await;
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(fake.orders_with_client_oid("op-1"), 1);
    let o = run(&fake, &["orders", "--symbol", "BTCUSDT"], true).await;
    assert!(stdout(&o).contains("op-1"));
    let o = run(&fake, &["cancel", "--symbol", "BTCUSDT", "--client-id", "op-1"], true).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fake.open_orders("BTCUSDT"), 0);
    let o = run(&fake, &["cancel", "--symbol", "BTCUSDT", "--client-id", "op-1"], true).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not found"), "{}", stderr(&o));
    let o = run(
        &fake,
        &["place", "--symbol", "BTCUSDT", "--side", "up", "--qty", "1"],
        true,
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    let o = run(&fake, &["positions", "--json"], true).await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).unwrap(),
        serde_json::json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_flag_sends_paptrading_and_the_demo_product_type() {
    let fake = FakeBitget::start().await.unwrap();
    let o = run(&fake, &["--demo", "balance"], true).await;
    assert!(o.status.success(), "{}", stderr(&o));
    let r = fake.requests_to("/api/v2/mix/account/accounts").pop().unwrap();
    assert_eq!(r.headers["paptrading"], "1");
    assert_eq!(r.query, "productType=SUSDT-FUTURES");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candles_out_writes_the_csv_the_backtester_reads() {
    let fake = FakeBitget::start().await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let end = now - now % 60_000;
    let start = end - 2 * 86_400_000;
    let candles: Vec<Candle> = (0..2 * 1440)
        .map(|i| Candle {
            ts: start + i * 60_000,
            open: dec!(100),
            high: dec!(101.5),
            low: dec!(99),
            close: dec!(100.25),
            volume: dec!(7),
        })
        .collect();
    fake.seed_candles("BTCUSDT", candles);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("btc.csv");
    let o = run(
        &fake,
        &[
            "candles",
            "--symbol",
            "BTCUSDT",
            "--interval",
            "1m",
            "--days",
            "2",
            "--out",
            path.to_str().unwrap(),
        ],
        false,
    )
    .await;
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("ts_ms,open,high,low,close,volume\n"));
    let parsed = gridbot_core::feed::read_candles(&path).unwrap();
    assert_eq!(parsed.len(), 2 * 1440);
    assert_eq!(
        (parsed[0].ts, parsed[0].high, parsed[0].close),
        (start, dec!(101.5), dec!(100.25))
    );
    let o = run(&fake, &["candles", "--symbol", "BTCUSDT", "--interval", "2m"], false).await;
    assert_eq!(o.status.code(), Some(2));
}
