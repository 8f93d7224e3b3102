//! DeepSeekAdvisor against a local fake of the chat completions API
//! (axum on 127.0.0.1): good, malformed, out-of-bounds, not viable, slow and
//! failing answers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use gridbot_core::advisor::{GridProposal, Rebacktest};
use gridbot_core::analysis;
use gridbot_core::error::AdvisorError;
use gridbot_core::grid::{GridMode, Spacing};
use gridbot_core::model::{Candle, Instrument, Interval};
use gridbot_core::ports::{Advisor, AdvisorRequest, Recommendation, RecommendationSet, RiskLevel};
use gridbot_deepseek::{ApiKey, ChatClient, DeepSeekAdvisor, DeepSeekConfig};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};

const KEY: &str = "test-key-not-real";

#[derive(Clone, Copy)]
enum Behaviour {
    Good,
    Malformed,
    OutOfBounds,
    NotViable,
    Slow,
    ServerError,
}

struct Server {
    behaviour: Behaviour,
    seen: Mutex<Vec<(Option<String>, Value)>>,
}

fn proposals(grids: u32, leverage: u32) -> Value {
    json!({"recommendations": [
        {"risk_level": "conservative", "mode": "neutral", "spacing": "geometric",
         "lower": "90.04", "upper": 110, "grids": 20, "leverage": 1, "rationale": "wide and calm"},
        {"risk_level": "moderate", "mode": "neutral", "spacing": "arithmetic",
         "lower": "94", "upper": "106", "grids": 40, "leverage": 3, "rationale": "balanced"},
        {"risk_level": "aggressive", "mode": "long", "spacing": "arithmetic",
         "lower": "97", "upper": "104", "grids": grids, "leverage": leverage, "rationale": "tight"},
    ]})
}

fn completion(content: String) -> Value {
    json!({
        "id": "x", "object": "chat.completion", "model": "deepseek-chat",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]
    })
}

async fn chat(State(s): State<Arc<Server>>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    s.seen.lock().unwrap().push((auth, body));
    match s.behaviour {
        Behaviour::Good => Json(completion(proposals(80, 8).to_string())).into_response(),
        Behaviour::Malformed => Json(completion("I would buy the dip.".into())).into_response(),
        Behaviour::OutOfBounds => Json(completion(proposals(500, 8).to_string())).into_response(),
        Behaviour::NotViable => Json(completion(proposals(80, 15).to_string())).into_response(),
        Behaviour::Slow => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Json(completion(proposals(80, 8).to_string())).into_response()
        }
        Behaviour::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

async fn serve(behaviour: Behaviour) -> (String, Arc<Server>) {
    let state = Arc::new(Server {
        behaviour,
        seen: Mutex::default(),
    });
    let app = Router::new()
        .route("/chat/completions", post(chat))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), state)
}

/// 48 hourly candles swinging around 100.
fn request() -> AdvisorRequest {
    let candles: Vec<Candle> = (0..48)
        .map(|i| {
            let p = dec!(100) + Decimal::from([0, 1, 2, 1, 0, -1, -2, -1][i % 8]);
            Candle {
                ts: i as i64 * 3_600_000,
                open: p,
                high: p + dec!(0.5),
                low: p - dec!(0.5),
                close: p,
                volume: dec!(1),
            }
        })
        .collect();
    AdvisorRequest::new(Instrument::btcusdt(), Interval::H1, Arc::new(candles), 48 * 3_600_000)
}

/// The backtest advisor's stand-in: a fixed neutral pick per profile.
struct Fallback;

#[async_trait]
impl Advisor for Fallback {
    async fn recommend(&self, request: &AdvisorRequest) -> Result<RecommendationSet, AdvisorError> {
        let a = analysis::analyze_request(request)?;
        let recs = RiskLevel::ALL
            .iter()
            .map(|l| {
                let mut r = Recommendation::new(
                    "backtest pick",
                    *l,
                    GridMode::Neutral,
                    Spacing::Geometric,
                    dec!(92),
                    dec!(108),
                    30,
                    2,
                );
                r.backtest_roi_pct = dec!(1.5);
                r
            })
            .collect();
        Ok(RecommendationSet::new(a, recs, "backtest", request.now))
    }
}

/// The re-backtest stand-in: ROI = grids / 10, refuses leverage above 10.
#[derive(Default)]
struct Rebacktester {
    calls: AtomicUsize,
}

impl Rebacktest for Rebacktester {
    fn rebacktest(&self, _request: &AdvisorRequest, p: &GridProposal) -> Result<Recommendation, AdvisorError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if p.leverage > 10 {
            return Err(AdvisorError::NoViableGrid(format!(
                "liquidation inside the range at {}x",
                p.leverage
            )));
        }
        let mut r = Recommendation::new(
            "rebacktested",
            p.risk_level,
            p.mode,
            p.spacing,
            p.lower,
            p.upper,
            p.grids,
            p.leverage,
        );
        r.backtest_roi_pct = Decimal::from(p.grids) / dec!(10);
        r.description = "Backtested.".into();
        Ok(r)
    }
}

async fn run(behaviour: Behaviour) -> (RecommendationSet, Arc<Server>, Arc<Rebacktester>) {
    let (url, server) = serve(behaviour).await;
    let config = DeepSeekConfig::new(ApiKey::new(KEY).unwrap())
        .with_base_url(url)
        .with_timeout(Duration::from_millis(500));
    let rebacktest = Arc::new(Rebacktester::default());
    let advisor = DeepSeekAdvisor::new(ChatClient::new(config).unwrap(), Arc::new(Fallback), rebacktest.clone());
    let set = advisor.recommend(&request()).await.unwrap();
    (set, server, rebacktest)
}

fn assert_fell_back(set: &RecommendationSet, reason_contains: &str) {
    assert_eq!(set.source, "backtest");
    assert_eq!(set.recommendations.len(), 3);
    assert!(set.recommendations.iter().all(|r| r.name == "backtest pick"));
    let reason = set.fallback_reason.as_deref().unwrap_or_default();
    assert!(reason.contains(reason_contains), "{reason}");
    assert!(reason.contains("backtest advisor"), "{reason}");
    assert!(!reason.contains(KEY));
}

#[tokio::test]
async fn good_answers_are_shown_with_their_rebacktested_numbers() {
    let (set, server, rebacktest) = run(Behaviour::Good).await;
    assert_eq!(set.source, "deepseek");
    assert_eq!(set.fallback_reason, None);
    assert_eq!(rebacktest.calls.load(Ordering::SeqCst), 3);
    let levels: Vec<_> = set.recommendations.iter().map(|r| r.risk_level).collect();
    assert_eq!(levels, RiskLevel::ALL.to_vec());
    for r in &set.recommendations {
        assert_eq!(r.backtest_roi_pct, Decimal::from(r.grids) / dec!(10));
    }
    let c = &set.recommendations[0];
    assert_eq!((c.lower, c.upper), (dec!(90.1), dec!(110))); // snapped inward to the 0.1 tick
    assert!(c.description.contains("wide and calm"));

    let seen = server.seen.lock().unwrap();
    let (auth, body) = &seen[0];
    assert_eq!(auth.as_deref(), Some(format!("Bearer {KEY}").as_str()));
    assert_eq!(body["model"], "deepseek-chat");
    assert_eq!(body["response_format"]["type"], "json_object");
    let user = body["messages"][1]["content"].as_str().unwrap();
    let price = format!("\"current_price\":\"{}\"", set.analysis.current_price);
    assert!(
        user.contains("best_backtested_candidates") && user.contains(&price),
        "{user}"
    );
    assert!(body["messages"][0]["content"].as_str().unwrap().contains("JSON"));
}

#[tokio::test]
async fn malformed_answers_fall_back_to_the_backtest_picks() {
    let (set, _, rebacktest) = run(Behaviour::Malformed).await;
    assert_fell_back(&set, "malformed");
    assert_eq!(rebacktest.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn out_of_bounds_proposals_fall_back_before_any_backtest() {
    let (set, _, rebacktest) = run(Behaviour::OutOfBounds).await;
    assert_fell_back(&set, "out of bounds: grids");
    assert_eq!(rebacktest.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn proposals_that_fail_their_backtest_fall_back() {
    let (set, _, _) = run(Behaviour::NotViable).await;
    assert_fell_back(&set, "rejected by its backtest");
}

#[tokio::test]
async fn slow_answers_time_out_and_fall_back() {
    let started = std::time::Instant::now();
    let (set, _, _) = run(Behaviour::Slow).await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_fell_back(&set, "in time");
}

#[tokio::test]
async fn server_errors_fall_back_with_the_status() {
    let (set, _, _) = run(Behaviour::ServerError).await;
    assert_fell_back(&set, "HTTP 500");
}

#[tokio::test]
async fn an_unreachable_server_falls_back() {
    // A port nobody listens on: bind, learn it, close it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let config = DeepSeekConfig::new(ApiKey::new(KEY).unwrap())
        .with_base_url(url)
        .with_timeout(Duration::from_millis(500));
    let advisor = DeepSeekAdvisor::new(
        ChatClient::new(config).unwrap(),
        Arc::new(Fallback),
        Arc::new(Rebacktester::default()),
    );
    let set = advisor.recommend(&request()).await.unwrap();
    assert_fell_back(&set, "unreachable");
}
