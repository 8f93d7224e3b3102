//! `gridbot backtest` end to end: the binary on a small generated candle
//! file (and on ../shared/data when present).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// One day of minutes zig-zagging between 29700 and 30300 (a 60-minute cycle).
fn small_csv(dir: &Path) -> PathBuf {
    let mut text = String::from("ts_ms,open,high,low,close,volume\n");
    let mut prev = 30000.0f64;
    for i in 0..1440i64 {
        let phase = (i % 60) as f64 / 60.0;
        let close = if phase < 0.5 {
            29700.0 + 1200.0 * phase
        } else {
            30300.0 - 1200.0 * (phase - 0.5)
        };
        let (hi, lo) = (prev.max(close) + 5.0, prev.min(close) - 5.0);
        text.push_str(&format!(
            "{},{prev:.1},{hi:.1},{lo:.1},{close:.1},2\n",
            1_700_000_000_000 + i * 60_000
        ));
        prev = close;
    }
    let path = dir.join("candles.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn gridbot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridbot")).args(args).output().unwrap()
}

fn grid_args(csv: &str) -> Vec<String> {
    [
        "backtest",
        "--lower",
        "29600",
        "--upper",
        "30400",
        "--grids",
        "10",
        "--mode",
        "neutral",
        "--investment",
        "1000",
        "--leverage",
        "2",
        "--candles",
        csv,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

#[test]
fn json_output_carries_the_report_fields_with_decimals_as_strings() {
    let dir = tempfile::tempdir().unwrap();
    let csv = small_csv(dir.path());
    let mut args = grid_args(csv.to_str().unwrap());
    args.push("--json".into());
    let out = gridbot(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "days",
        "roi_pct",
        "apr_pct",
        "max_drawdown_pct",
        "final_equity",
        "fees",
        "investment",
    ] {
        assert!(v[key].is_string(), "{key}: {}", v[key]);
    }
    assert_eq!(v["candles"], 1440);
    assert_eq!(v["days"].as_str().unwrap().parse::<f64>().unwrap(), 1.0);
    assert!(
        v["round_trips"].as_u64().unwrap() > 0,
        "a zig-zag through the range trades"
    );
    assert_eq!(v["liquidated"], false);
    assert_eq!(v["symbol"], "BTCUSDT");
    assert!(v["equity_curve"].as_array().unwrap().len() <= 500);
    assert!(v["plan_errors"].as_array().unwrap().is_empty());
}

#[test]
fn the_table_shows_roi_drawdown_and_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let csv = small_csv(dir.path());
    let args = grid_args(csv.to_str().unwrap());
    let out = gridbot(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for label in ["ROI", "APR", "max drawdown", "round trips", "liquidation price"] {
        assert!(text.contains(label), "{label} missing in\n{text}");
    }
}

#[test]
fn invalid_flags_exit_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let csv = small_csv(dir.path());
    let mut args = grid_args(csv.to_str().unwrap());
    let i = args.iter().position(|a| a == "1000").unwrap();
    args[i] = "0".into();
    let out = gridbot(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--investment"));
}

#[test]
fn a_liquidation_inside_the_range_is_warned_and_backtested_to_the_liquidation() {
    let dir = tempfile::tempdir().unwrap();
    let csv = small_csv(dir.path());
    let mut args = grid_args(csv.to_str().unwrap());
    let lev = args.iter().position(|a| a == "2").unwrap();
    args[lev] = "100".into();
    let mode = args.iter().position(|a| a == "neutral").unwrap();
    args[mode] = "long".into();
    args.push("--json".into());
    let out = gridbot(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: estimated liquidation price"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["liquidated"], true);
    assert_eq!(v["plan_errors"][0]["code"], "liquidation_in_range");
}

#[test]
fn a_grid_the_engine_refuses_exits_2_with_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let csv = small_csv(dir.path());
    let out = gridbot(&[
        "backtest",
        "--lower",
        "29990",
        "--upper",
        "30010",
        "--grids",
        "100",
        "--investment",
        "1000",
        "--candles",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("profit per grid"));
}

#[test]
fn the_last_week_of_real_btc_minutes_backtests() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/binance_BTCUSDT_1m.csv");
    if !Path::new(path).exists() {
        eprintln!("skipping: {path} not found");
        return;
    }
    let out = gridbot(&[
        "backtest",
        "--lower",
        "30000",
        "--upper",
        "50000",
        "--grids",
        "50",
        "--spacing",
        "geometric",
        "--mode",
        "neutral",
        "--investment",
        "1000",
        "--leverage",
        "1",
        "--candles",
        path,
        "--days",
        "7",
        "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["candles"], 10_080);
    assert!(v["round_trips"].as_u64().unwrap() > 0);
}
