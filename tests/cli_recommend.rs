//! `gridbot recommend` end to end: the binary on a small generated candle
//! file (and on ../shared/data when present).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Two days of 5-minute candles swinging ±2 % around 30000 every 6 hours.
fn small_csv(dir: &Path) -> PathBuf {
    let mut text = String::from("ts_ms,open,high,low,close,volume\n");
    let mut prev = 30000.0f64;
    for i in 0..576i64 {
        let close = (30000.0 * (1.0 + 0.02 * (i as f64 * std::f64::consts::TAU / 72.0).sin()) * 10.0).round() / 10.0;
        let (hi, lo) = (prev.max(close) + 15.0, prev.min(close) - 15.0);
        text.push_str(&format!(
            "{},{prev:.1},{hi:.1},{lo:.1},{close:.1},1.5\n",
            1_700_000_000_000 + i * 300_000
        ));
        prev = close;
    }
    let path = dir.join("candles.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn gridbot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridbot"))
        .args(args)
        .env_remove("GRIDBOT_DEEPSEEK_API_KEY")
        .env_remove("GRIDBOT_DEEPSEEK_BASE_URL")
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Checks the JSON shape and the rules every recommendation obeys.
fn check_recommendations(v: &Value) {
    let analysis = &v["analysis"];
    assert!(analysis["current_price"].is_string(), "decimals are strings");
    assert!(["up", "down", "sideways"].contains(&analysis["trend"].as_str().unwrap()));
    let recs = v["recommendations"].as_array().unwrap();
    assert!(!recs.is_empty() && recs.len() <= 3);
    for r in recs {
        for key in [
            "lower",
            "upper",
            "expected_roi_30d",
            "expected_roi_7d_pct",
            "expected_roi_7d_low_pct",
            "expected_roi_7d_high_pct",
            "backtest_roi_pct",
            "apr_pct",
            "max_drawdown_pct",
            "min_investment",
            "backtest_days",
        ] {
            assert!(r[key].is_string(), "{key} is a decimal string: {r}");
        }
        let d = |k: &str| r[k].as_str().unwrap().parse::<f64>().unwrap();
        assert!(d("lower") < d("upper"));
        let grids = r["grids"].as_u64().unwrap();
        assert!((10..=100).contains(&grids));
        if let Some(liq) = r["liquidation_price"].as_str() {
            let liq: f64 = liq.parse().unwrap();
            assert!(
                liq < d("lower") || liq > d("upper"),
                "liquidation {liq} inside the range"
            );
        }
        assert!(r["roi_curve"].as_array().unwrap().len() <= 500);
        assert!(!r["description"].as_str().unwrap().is_empty());
    }
}

#[test]
fn json_output_has_the_analysis_and_up_to_three_backtested_picks() {
    let dir = tempfile::tempdir().unwrap();
    let csv = small_csv(dir.path());
    let v = json(&gridbot(&[
        "recommend",
        "--symbol",
        "BTCUSDT",
        "--candles",
        csv.to_str().unwrap(),
        "--json",
    ]));
    check_recommendations(&v);
    assert_eq!(v["source"], "backtest");
    assert!(v["fallback_reason"].is_null());
}

#[test]
fn the_table_shows_the_analysis_and_one_row_per_profile() {
    let dir = tempfile::tempdir().unwrap();
    let csv = small_csv(dir.path());
    let out = gridbot(&["recommend", "--symbol", "btcusdt", "--candles", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Market analysis for BTCUSDT"), "{text}");
    assert!(text.contains("trend") && text.contains("volatility") && text.contains("support"));
    assert!(text.contains("exp 7d %") && text.contains("backtest %") && text.contains("liquidation"));
}

#[test]
fn evaluate_prints_the_walk_forward_table_for_a_candle_file() {
    // 43 days of 5-minute candles: 35 days of history leave one weekly step.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("ts_ms,open,high,low,close,volume\n");
    let mut prev = 30000.0f64;
    for i in 0..43 * 288i64 {
        let close = (30000.0 * (1.0 + 0.03 * (i as f64 * std::f64::consts::TAU / 288.0).sin()) * 10.0).round() / 10.0;
        let (hi, lo) = (prev.max(close) + 15.0, prev.min(close) - 15.0);
        text.push_str(&format!(
            "{},{prev:.1},{hi:.1},{lo:.1},{close:.1},1.5\n",
            1_700_000_000_000 + i * 300_000
        ));
        prev = close;
    }
    let path = dir.path().join("binance_BTCUSDT_5m.csv");
    std::fs::write(&path, text).unwrap();
    let out = gridbot(&["recommend", "--evaluate", path.to_str().unwrap(), "--weeks", "3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("1 weekly steps"), "{text}");
    for profile in ["conservative", "moderate", "aggressive"] {
        assert!(text.contains(profile), "{text}");
    }
    assert!(text.contains("expected 7d") && text.contains("liquidated"), "{text}");
    let v = json(&gridbot(&[
        "recommend",
        "--evaluate",
        path.to_str().unwrap(),
        "--weeks",
        "1",
        "--json",
    ]));
    assert_eq!(v["weeks"], 1);
    assert_eq!(v["profiles"].as_array().unwrap().len(), 3);
}

#[test]
fn deepseek_without_a_key_is_refused_with_the_variable_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let csv = small_csv(dir.path());
    let out = gridbot(&[
        "recommend",
        "--symbol",
        "BTCUSDT",
        "--candles",
        csv.to_str().unwrap(),
        "--advisor",
        "deepseek",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GRIDBOT_DEEPSEEK_API_KEY"));
}

#[test]
fn an_unreachable_deepseek_falls_back_to_the_backtest_picks_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let csv = small_csv(dir.path());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = Command::new(env!("CARGO_BIN_EXE_gridbot"))
        .args([
            "recommend",
            "--symbol",
            "BTCUSDT",
            "--candles",
            csv.to_str().unwrap(),
            "--advisor",
            "deepseek",
            "--json",
        ])
        .env("GRIDBOT_DEEPSEEK_API_KEY", "test-key-not-real")
        .env("GRIDBOT_DEEPSEEK_BASE_URL", &url)
        .env("GRIDBOT_DEEPSEEK_TIMEOUT_SECS", "2")
        .output()
        .unwrap();
    let v = json(&out);
    check_recommendations(&v);
    assert_eq!(v["source"], "backtest");
    assert!(v["fallback_reason"].as_str().unwrap().contains("DeepSeek unreachable"));
}

#[test]
fn a_missing_candle_file_is_an_input_error() {
    let out = gridbot(&[
        "recommend",
        "--symbol",
        "BTCUSDT",
        "--candles",
        "/nonexistent/candles.csv",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/candles.csv"));
}

#[test]
fn real_btc_minutes_give_viable_recommendations() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/binance_BTCUSDT_1m.csv");
    if !Path::new(path).exists() {
        eprintln!("skipping: {path} not found");
        return;
    }
    // The file up to 2021-05-10 00:00 UTC (its last week is calm); the
    // copy lives in a temp dir only.
    let text = std::fs::read_to_string(path).unwrap();
    let upto: Vec<&str> = text
        .lines()
        .take_while(|l| {
            l.split(',')
                .next()
                .and_then(|t| t.parse::<i64>().ok())
                .is_none_or(|t| t < 1_620_604_800_000)
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("btc.csv");
    std::fs::write(&csv, upto.join("\n")).unwrap();
    let v = json(&gridbot(&[
        "recommend",
        "--symbol",
        "BTCUSDT",
        "--candles",
        csv.to_str().unwrap(),
        "--json",
    ]));
    check_recommendations(&v);
    assert_eq!(v["recommendations"].as_array().unwrap().len(), 3);
    assert!(v["analysis"]["candles"].as_u64().unwrap() > 20_000);
}

#[test]
fn a_crash_week_without_a_viable_grid_is_reported_with_the_reasons() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/binance_BTCUSDT_1m.csv");
    if !Path::new(path).exists() {
        eprintln!("skipping: {path} not found");
        return;
    }
    let out = gridbot(&["recommend", "--symbol", "BTCUSDT", "--candles", path]);
    if out.status.success() {
        // Should the rules ever admit a grid in that week, it must be viable.
        check_recommendations(&json(&gridbot(&[
            "recommend",
            "--symbol",
            "BTCUSDT",
            "--candles",
            path,
            "--json",
        ])));
    } else {
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("no viable grid") && err.contains("drawdown_over_limit"),
            "{err}"
        );
    }
}
