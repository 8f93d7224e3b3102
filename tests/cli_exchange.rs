//! `gridbot exchange` against a fake Bitget (`--base-url`), on a classic
//! and on a unified account, live and `--demo`: every subcommand, JSON
//! output, keys from the environment and never printed, `account` naming the
//! account kind and modes, and `candles --out` writing the CSV the
//! backtester reads (or refusing to write a gappy one).

use std::process::Output;

use gridbot_bitget::fake::{FakeBitget, FakeOptions, FAKE_API_KEY, FAKE_PASSPHRASE, FAKE_SECRET};
use gridbot_bitget::{AccountKind, Environment};
use gridbot_core::model::Candle;
use rust_decimal_macros::dec;
use serde_json::Value;

async fn fake_of(kind: AccountKind, environment: Environment) -> FakeBitget {
    FakeBitget::start_with(FakeOptions { kind, environment }).await.unwrap()
}

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

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// Runs every subcommand against `fake`, adding `--demo` for a demo fake.
async fn every_subcommand(fake: &FakeBitget) {
    let kind = fake.options().kind;
    let demo = fake.options().environment == Environment::Demo;
    let with = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
        if demo {
            v.insert(0, "--demo".into());
        }
        v
    };
    let go = |args: Vec<String>, keys: bool| async move {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        run(fake, &refs, keys).await
    };
    fake.with_book(|b| b.pos_mode = "hedge_mode".into());

    let a = json(&go(with(&["account", "--json"]), true).await);
    assert_eq!(a["kind"], kind.as_str(), "{kind}");
    assert_eq!(a["api"], kind.api_version());
    assert_eq!(a["environment"], if demo { "demo" } else { "live" });
    assert_eq!(a["modes"]["hold_mode"], "hedge_mode");
    assert_eq!(a["modes"]["margin_mode"], "crossed");
    assert_eq!(a["ready"], false);
    let table = go(with(&["account"]), true).await;
    let text = stdout(&table);
    assert!(
        text.contains("position mode  hedge_mode") && text.contains("margin mode    crossed (BTCUSDT)"),
        "{text}"
    );
    assert!(
        text.contains(if kind == AccountKind::Unified {
            "unified (UTA), API v3"
        } else {
            "classic, API v2"
        }),
        "{text}"
    );

    let b = json(&go(with(&["--json", "balance"]), true).await);
    assert_eq!(b["equity"], "100000");

    let c = go(with(&["contracts"]), false).await;
    assert!(
        stdout(&c).contains("BTCUSDT") && stdout(&c).contains("ETHUSDT"),
        "{}",
        stderr(&c)
    );
    let d = json(&go(with(&["contracts", "--symbol", "btcusdt", "--json"]), false).await);
    assert_eq!(d[0]["instrument"]["tick_size"], "0.1");
    assert_eq!(d[0]["instrument"]["maint_margin_rate"], "0.004");
    assert_eq!(d[0]["tiers"].as_array().unwrap().len(), 2);

    let place = [
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
    let o = json(&go(with(&place), true).await);
    assert_eq!(
        (o["client_id"].as_str(), o["status"].as_str()),
        (Some("op-1"), Some("open"))
    );
    fake.with_book(|b| {
        assert_eq!(b.leverage["BTCUSDT"], 5);
        assert_eq!(
            (b.pos_mode.as_str(), b.margin_of("BTCUSDT")),
            ("one_way_mode", "isolated")
        );
    });
    let a = json(&go(with(&["account", "--json"]), true).await);
    assert_eq!(a["ready"], true, "{kind}: {a}");
    // Running the same command again does not place a second order.
    json(&go(with(&place), true).await);
    assert_eq!(fake.orders_with_client_oid("op-1"), 1);
    let o = go(with(&["orders", "--symbol", "BTCUSDT"]), true).await;
    assert!(stdout(&o).contains("op-1"), "{}", stderr(&o));
    let o = go(with(&["cancel", "--symbol", "BTCUSDT", "--client-id", "op-1"]), true).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fake.open_orders("BTCUSDT"), 0);
    let o = go(with(&["cancel", "--symbol", "BTCUSDT", "--client-id", "op-1"]), true).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not found"), "{}", stderr(&o));
    let long = "x".repeat(33);
    let o = go(
        with(&[
            "place",
            "--symbol",
            "BTCUSDT",
            "--side",
            "buy",
            "--qty",
            "0.001",
            "--client-id",
            &long,
        ]),
        true,
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("32"), "{}", stderr(&o));

    let o = json(
        &go(
            with(&[
                "place",
                "--symbol",
                "BTCUSDT",
                "--side",
                "sell",
                "--qty",
                "0.002",
                "--client-id",
                "op-2",
                "--json",
            ]),
            true,
        )
        .await,
    );
    assert_eq!(o["client_id"], "op-2");
    let p = json(&go(with(&["positions", "--json"]), true).await);
    assert_eq!(
        p[0]["qty"], "-0.0020",
        "the position size as Bitget states it (at the lot decimals)"
    );
    let c = json(
        &go(
            with(&["close", "--symbol", "BTCUSDT", "--client-id", "op-close", "--json"]),
            true,
        )
        .await,
    );
    assert_eq!(
        (c["reduce_only"].as_bool(), c["side"].as_str()),
        (Some(true), Some("buy"))
    );
    assert!(fake
        .position_qty(&gridbot_core::model::Symbol::new("BTCUSDT").unwrap())
        .is_zero());
    let o = go(with(&["close", "--symbol", "BTCUSDT"]), true).await;
    assert!(stdout(&o).contains("no position"), "{}", stderr(&o));

    let o = go(
        with(&["place", "--symbol", "BTCUSDT", "--side", "up", "--qty", "1"]),
        true,
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    for out in [stdout(&table), stderr(&table)] {
        assert!(!out.contains(FAKE_SECRET) && !out.contains(FAKE_PASSPHRASE));
    }
    let signed: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.headers.contains_key("access-sign"))
        .collect();
    assert!(signed.iter().all(|r| r.headers["access-key"] == FAKE_API_KEY));
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.headers.contains_key("paptrading") == demo),
        "{kind}: the demo header on every request exactly when --demo"
    );
    assert!(fake
        .requests()
        .iter()
        .all(|r| !r.query.contains("SUSDT") && !r.body.contains("SUSDT")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subcommand_works_on_a_classic_account() {
    every_subcommand(&fake_of(AccountKind::Classic, Environment::Live).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subcommand_works_on_a_unified_account() {
    every_subcommand(&fake_of(AccountKind::Unified, Environment::Live).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subcommand_works_with_demo_on_both_account_kinds() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        every_subcommand(&fake_of(kind, Environment::Demo).await).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_keys_without_demo_are_refused_saying_so() {
    let fake = fake_of(AccountKind::Unified, Environment::Demo).await;
    let o = run(&fake, &["balance"], true).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("40099") && stderr(&o).contains("--demo"),
        "{}",
        stderr(&o)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_commands_without_keys_are_refused_naming_the_variables() {
    let fake = FakeBitget::start().await.unwrap();
    for cmd in ["positions", "account"] {
        let o = run(&fake, &[cmd], false).await;
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("GRIDBOT_BITGET_API_KEY"));
    }
    assert!(fake.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candles_out_writes_the_csv_the_backtester_reads_on_both_kinds() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        let fake = fake_of(kind, Environment::Live).await;
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
        let args = [
            "candles",
            "--symbol",
            "BTCUSDT",
            "--interval",
            "1m",
            "--days",
            "2",
            "--out",
            path.to_str().unwrap(),
        ];
        let o = run(&fake, &args, kind == AccountKind::Unified).await;
        assert!(o.status.success(), "{kind}: {}", stderr(&o));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("ts_ms,open,high,low,close,volume\n"));
        let parsed = gridbot_core::feed::read_candles(&path).unwrap();
        assert_eq!(parsed.len(), 2 * 1440, "{kind}");
        assert_eq!(
            (parsed[0].ts, parsed[0].high, parsed[0].close),
            (start, dec!(101.5), dec!(100.25))
        );
        let o = run(&fake, &["candles", "--symbol", "BTCUSDT", "--interval", "2m"], false).await;
        assert_eq!(o.status.code(), Some(2));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candles_with_a_gap_are_not_written_unless_allowed() {
    let fake = FakeBitget::start().await.unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let hour = 3_600_000i64;
    let end = now - now % hour;
    let start = end - 86_400_000;
    let mut hours: Vec<Candle> = (0..24)
        .map(|i| Candle {
            ts: start + i * hour,
            open: dec!(1),
            high: dec!(1),
            low: dec!(1),
            close: dec!(1),
            volume: dec!(1),
        })
        .collect();
    hours.remove(5);
    fake.seed_candles("BTCUSDT", hours);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gappy.csv");
    let p = path.to_str().unwrap();
    let args = ["candles", "--symbol", "BTCUSDT", "--interval", "1h", "--out", p];
    let o = run(&fake, &args, false).await;
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("1 closed interval ") && stderr(&o).contains("--allow-gaps"),
        "{}",
        stderr(&o)
    );
    assert!(!path.exists());
    let o = run(&fake, &[&args[..], &["--allow-gaps"]].concat(), false).await;
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning"));
    assert_eq!(gridbot_core::feed::read_candles(&path).unwrap().len(), 23);
}
