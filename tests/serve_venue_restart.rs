//! The durable paper venue through the real binary: `gridbot serve`
//! (SQLite, paper exchange, simulated market at 60×) trades a narrow grid,
//! is killed with SIGKILL, and starts again on the same data folder. Every
//! fill the exchange view showed before the kill is still there with the
//! same id and contents, no fill id repeats, and the market's time did not
//! go back. (A bigger torture test of the same promise runs elsewhere.)

mod serve_harness;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use serve_harness::{log_tail, Api, Db, Serve, ServeConfig};

/// The exchange's own view: `(now_ms, fills)`.
async fn exchange(api: &Api) -> (i64, Vec<Value>) {
    let v = api.get("/api/v1/account/exchange?fills_limit=5000").await;
    let now = v["now_ms"].as_i64().unwrap_or_else(|| panic!("no now_ms: {v}"));
    (now, v["fills"].as_array().cloned().unwrap_or_default())
}

fn by_id(fills: &[Value]) -> HashMap<String, Value> {
    let map: HashMap<String, Value> = fills
        .iter()
        .map(|f| (f["fill_id"].as_str().unwrap().to_owned(), f.clone()))
        .collect();
    assert_eq!(map.len(), fills.len(), "no fill id repeats: {fills:?}");
    map
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fills_survive_kill_9_with_their_ids_and_the_market_never_goes_back() {
    let _turn = serve_harness::SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cfg = ServeConfig::sim(&Db::Sqlite, &data);
    let mut first = Serve::start(&cfg).await;
    let api = Api::login(&first.base, &data).await;
    let price = api
        .symbols()
        .await
        .into_iter()
        .find(|x| x.0 == "BTCUSDT")
        .map(|x| x.1)
        .expect("BTCUSDT served");
    // The owner's create shape (numbers), then the owner's start route.
    let lower = (price * Decimal::new(996, 3)).round();
    let upper = (price * Decimal::new(1004, 3)).round();
    let (s, grid) = api
        .try_post(
            "/api/v1/grid-bot/create",
            &json!({
                "symbol": "BTCUSDT", "grid_type": "arithmetic",
                "price_range_lower": lower.to_f64(),
                "price_range_upper": upper.to_f64(),
                "grid_count": 12, "leverage": 2, "investment_ratio": 20
            }),
        )
        .await
        .unwrap();
    assert_eq!(s, StatusCode::CREATED, "{grid}");
    let id = grid["id"].as_i64().unwrap();
    let (s, v) = api
        .try_post(&format!("/api/v1/grid-bot/{id}/start"), &Value::Null)
        .await
        .unwrap();
    assert_eq!(s, StatusCode::OK, "{v}");
    // Trade until the exchange shows a few fills.
    let deadline = Instant::now() + Duration::from_secs(240);
    let (before_now, before) = loop {
        let (now, fills) = exchange(&api).await;
        if fills.len() >= 4 {
            break (now, fills);
        }
        assert!(Instant::now() < deadline, "no fills in time:\n{}", log_tail(&data, 40));
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let seen = by_id(&before);
    // kill -9: no shutdown, no last save.
    first.kill9();

    let second = Serve::start(&cfg).await;
    let api = Api::login(&second.base, &data).await;
    let (after_now, after) = exchange(&api).await;
    assert!(
        after_now >= before_now,
        "market time went back: {after_now} < {before_now}"
    );
    let kept = by_id(&after);
    for (fill_id, f) in &seen {
        assert_eq!(
            kept.get(fill_id),
            Some(f),
            "fill {fill_id} shown before the kill is kept as it was"
        );
    }
    // It trades on: new fills get new ids, the old ones stay.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (now, fills) = exchange(&api).await;
        assert!(now >= after_now);
        let all = by_id(&fills);
        for (fill_id, f) in &seen {
            assert_eq!(all.get(fill_id), Some(f));
        }
        if all.len() > kept.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no fill after the restart:\n{}",
            log_tail(&data, 40)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let text = std::fs::read_to_string(data.join("serve.log")).unwrap_or_default();
    assert!(text.contains("restored from the store's journal"), "{text}");
    assert!(!text.contains("panicked"), "{text}");
    drop(second);
}
