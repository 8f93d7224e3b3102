//! `gridbot plan` end to end: the built binary, its JSON shape, its errors
//! and exit codes.

use std::process::{Command, Output};

fn gridbot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridbot"))
        .args(args)
        .output()
        .expect("the gridbot binary runs")
}

const README: [&str; 13] = [
    "plan",
    "--lower",
    "25000",
    "--upper",
    "35000",
    "--grids",
    "20",
    "--investment",
    "1000",
    "--leverage",
    "3",
    "--price",
    "30000",
];

#[test]
fn the_readme_command_prints_a_table_and_succeeds() {
    let out = gridbot(&README);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("BTCUSDT"), "{stdout}");
    assert!(stdout.contains("quantity per grid"), "{stdout}");
    assert!(stdout.contains("0.005 BTC"), "{stdout}");
    assert!(stdout.contains("18699.8"), "{stdout}");
}

#[test]
fn json_output_has_exactly_the_documented_shape_with_decimals_as_strings() {
    let mut args = README.to_vec();
    args.push("--json");
    let out = gridbot(&args);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    let mut want = vec![
        "symbol",
        "spacing",
        "mode",
        "start_price",
        "levels",
        "qty_per_grid",
        "initial_orders",
        "required_margin",
        "profit_per_grid_pct",
        "profit_per_grid_quote",
        "liquidation_price",
        "viable",
        "errors",
        "warnings",
    ];
    want.sort_unstable();
    assert_eq!(sorted, want);

    assert_eq!(v["symbol"], "BTCUSDT");
    assert_eq!(v["spacing"], "arithmetic");
    assert_eq!(v["mode"], "long");
    assert_eq!(v["start_price"], "30000");
    let levels = v["levels"].as_array().unwrap();
    assert_eq!(levels.len(), 21);
    assert_eq!(levels[0], "25000");
    assert_eq!(levels[20], "35000");
    assert_eq!(v["qty_per_grid"], "0.005");
    let orders = v["initial_orders"].as_array().unwrap();
    assert_eq!(orders.len(), 21);
    assert_eq!(
        orders[0],
        serde_json::json!({"side": "buy", "kind": "market", "price": "30000", "qty": "0.05"})
    );
    assert_eq!(
        orders[1],
        serde_json::json!({"side": "buy", "kind": "limit", "price": "25000", "qty": "0.005"})
    );
    // 2975/3 + 1.5 = 993.1666…, rounded up to 8 places.
    assert_eq!(v["required_margin"], "993.16666667");
    assert_eq!(
        v["profit_per_grid_pct"],
        serde_json::json!({"min": "1.409", "max": "1.9596"})
    );
    assert_eq!(
        v["profit_per_grid_quote"],
        serde_json::json!({"min": "2.4305", "max": "2.4495"})
    );
    assert_eq!(v["liquidation_price"], "18699.8");
    assert_eq!(v["viable"], true);
    assert_eq!(v["errors"], serde_json::json!([]));
    assert_eq!(v["warnings"], serde_json::json!([]));
}

#[test]
fn invalid_input_exits_non_zero_naming_the_field() {
    let mut args = README.to_vec();
    args[2] = "-5";
    args.push("--json");
    let out = gridbot(&args);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid --lower: must be greater than 0"), "{stderr}");
    assert!(out.stdout.is_empty());

    let out = gridbot(&[
        "plan",
        "--lower",
        "abc",
        "--upper",
        "2",
        "--grids",
        "2",
        "--investment",
        "1",
        "--price",
        "1",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("'--lower"));

    let mut args = README.to_vec();
    args.extend(["--mmr", "2"]);
    let out = gridbot(&args);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid --mmr: must be in [0, 1)"));
}

#[test]
fn a_non_viable_plan_prints_its_errors_and_exits_non_zero() {
    let mut args = README.to_vec();
    args[10] = "20"; // leverage 20: liquidation inside the range
    args.push("--json");
    let out = gridbot(&args);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the plan is still printed");
    assert_eq!(v["viable"], false);
    assert_eq!(v["errors"][0]["code"], "liquidation_in_range");
    assert_eq!(v["errors"][0]["liquidation_price"], "27245.9");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("inside the range"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not viable"), "{stderr}");
    assert!(stderr.contains("liquidation"), "{stderr}");
}

#[test]
fn a_default_symbol_is_planned_with_its_own_tick_and_lot() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gridbot"))
        .args([
            "plan",
            "--symbol",
            "XRPUSDT",
            "--lower",
            "0.5",
            "--upper",
            "0.7",
            "--grids",
            "10",
            "--investment",
            "500",
            "--leverage",
            "2",
            "--price",
            "0.6",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let levels: Vec<f64> = v["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(levels.len(), 11);
    let near = |x: f64| levels.iter().any(|l| (l - x).abs() < 1e-9);
    assert!(near(0.52) && near(0.58), "XRP's tick, not BTC's 0.1: {levels:?}");
    let unknown = std::process::Command::new(env!("CARGO_BIN_EXE_gridbot"))
        .args([
            "plan",
            "--symbol",
            "FOOUSDT",
            "--lower",
            "1",
            "--upper",
            "2",
            "--grids",
            "10",
            "--investment",
            "500",
            "--price",
            "1.5",
        ])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("--from-bitget"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_bitget_plans_with_the_contracts_own_rules() {
    use gridbot_bitget::fake::book::FakeContract;
    use rust_decimal_macros::dec;
    let fake = gridbot_bitget::fake::FakeBitget::start().await.unwrap();
    fake.with_book(|b| {
        b.contracts.insert(
            "PEPEUSDT".into(),
            FakeContract {
                symbol: "PEPEUSDT".into(),
                price_place: 9,
                volume_place: 0,
                size_multiplier: dec!(100),
                min_trade_num: dec!(100),
                min_trade_usdt: dec!(5),
                max_lever: 50,
                maker_fee: dec!(0.0002),
                taker_fee: dec!(0.0006),
                tiers: gridbot_bitget::fake::tiers(dec!(0.01), 50),
            },
        )
    });
    let url = fake.base_url();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_gridbot"))
            .args([
                "plan",
                "--symbol",
                "PEPEUSDT",
                "--from-bitget",
                "--bitget-url",
                &url,
                "--lower",
                "0.00001",
                "--upper",
                "0.000012",
                "--grids",
                "10",
                "--investment",
                "500",
                "--leverage",
                "2",
                "--price",
                "0.000011",
                "--json",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let q: rust_decimal::Decimal = v["qty_per_grid"].as_str().unwrap().parse().unwrap();
    assert!(
        q > dec!(0) && (q % dec!(100)).is_zero(),
        "a multiple of the contract's lot: {q}"
    );
}
