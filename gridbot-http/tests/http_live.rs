//! The shared summary cache and the event stream: a change to a user's bots
//! shows in that user's next summary and on every stream of that user, and
//! on no other user's.

mod common;

use std::time::Duration;

use common::{spawn_with, Options, TestApp};
use gridbot_core::manager::BotEvent;
use gridbot_core::model::{BotId, BotStats, UserId};
use reqwest::{Method, StatusCode};
use rust_decimal_macros::dec;
use serde_json::{json, Value};

/// A cache that never expires on its own: whatever a test sees change, an
/// invalidation made change.
fn no_expiry() -> Options {
    Options {
        router: gridbot_http::RouterConfig::default().with_summary_max_age(Duration::from_secs(3600)),
        ..Options::default()
    }
}

async fn start_first_template(app: &TestApp, t: &str) -> i64 {
    let (_, templates) = app.get("/api/v1/multibot/templates", t).await;
    let id = templates[0]["id"].clone();
    let (s, v) = app
        .post("/api/v1/multibot/bots", t, json!({"template_id": id, "amount": "500"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().unwrap()
}

async fn user_id_of(app: &TestApp, name: &str) -> UserId {
    app.store.user_by_name(name).await.unwrap().unwrap().id
}

#[tokio::test]
async fn the_next_summary_after_any_bot_change_reflects_it() {
    let app = spawn_with(no_expiry()).await;
    let t = app.user("ann").await;
    let (_, s0) = app.get("/api/v1/multibot/summary", &t).await;
    assert_eq!(s0["total_bots"], 0);

    // Through the API: start, then stop.
    let bot = start_first_template(&app, &t).await;
    let (_, s1) = app.get("/api/v1/multibot/summary", &t).await;
    assert_eq!(s1["total_bots"], 1, "{s1}");
    assert_eq!(s1["running_bots"], 1, "{s1}");
    assert_eq!(s1["balance"]["used"], "500", "{s1}");
    let (s, _) = app
        .call(Method::DELETE, &format!("/api/v1/multibot/bots/{bot}"), Some(&t), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, s2) = app.get("/api/v1/multibot/summary", &t).await;
    assert_eq!(s2["running_bots"], 0, "{s2}");
    assert_eq!(s2["bots"].as_array().unwrap().len(), 0, "only active bots: {s2}");
    assert_eq!(s2["inactive_bots"][0]["status"], "stopped", "{s2}");

    // A runner's way: write the store, then publish. Without the event the
    // cached summary stands (the cache is real) ...
    let user = user_id_of(&app, "ann").await;
    let stats = |pnl| {
        let mut s = BotStats::default();
        s.realized_pnl = pnl;
        s.fills = 4;
        s
    };
    app.store
        .update_bot_stats(BotId(bot), &stats(dec!(12.5)), 1)
        .await
        .unwrap();
    let (_, s3) = app.get("/api/v1/multibot/summary", &t).await;
    assert_eq!(s3, s2, "no event, no invalidation, within the max age");
    // ... and with it the next summary has the new numbers.
    app.events.publish(BotEvent::StatsChanged {
        user_id: user,
        bot_id: BotId(bot),
        stats: stats(dec!(12.5)),
        ts: 1,
    });
    let (_, s4) = app.get("/api/v1/multibot/summary", &t).await;
    assert_eq!(s4["realized_pnl"], "12.5", "{s4}");
    assert_eq!(s4["inactive_bots"][0]["fills"], 4, "{s4}");
}

#[tokio::test]
async fn an_event_of_another_user_leaves_a_summary_cached_and_a_failed_write_still_invalidates() {
    let app = spawn_with(no_expiry()).await;
    let ta = app.user("ann").await;
    let tb = app.user("bob").await;
    let bot = start_first_template(&app, &ta).await;
    let (_, a1) = app.get("/api/v1/multibot/summary", &ta).await;
    let bob = user_id_of(&app, "bob").await;
    let mut nine = BotStats::default();
    nine.fills = 9;
    app.store.update_bot_stats(BotId(bot), &nine, 1).await.unwrap();
    app.events.publish(BotEvent::StatsChanged {
        user_id: bob,
        bot_id: BotId(bot),
        stats: BotStats::default(),
        ts: 1,
    });
    let (_, a2) = app.get("/api/v1/multibot/summary", &ta).await;
    assert_eq!(a1, a2, "bob's event must not invalidate ann's summary");
    // A refused write of ann's (stopping bob's bot id is a 404) still marks
    // her summary stale.
    let (s, _) = app
        .call(Method::DELETE, "/api/v1/multibot/bots/999999", Some(&ta), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, a3) = app.get("/api/v1/multibot/summary", &ta).await;
    assert_eq!(a3["bots"][0]["fills"], 9, "{a3}");
    let (_, b) = app.get("/api/v1/multibot/summary", &tb).await;
    assert_eq!(b["total_bots"], 0);
}

/// One open event stream, parsed into (event, data) pairs.
struct Sse {
    res: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn open(app: &TestApp, token: &str) -> Sse {
        let res = app
            .http
            .get(format!("{}/api/v1/stream?access_token={token}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        Sse {
            res,
            buf: String::new(),
        }
    }

    /// The next event within `wait`, or None.
    async fn next(&mut self, wait: Duration) -> Option<(String, Value)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut event = None;
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(e) = line.strip_prefix("event:") {
                        event = Some(e.trim().to_owned());
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push_str(d.strip_prefix(' ').unwrap_or(d));
                    }
                }
                if let Some(event) = event {
                    return Some((event, serde_json::from_str(&data).unwrap()));
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.res.chunk())
                .await
                .ok()?
                .unwrap()?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Events up to and including the first summary `until` accepts.
    async fn until(&mut self, until: impl Fn(&Value) -> bool) -> Vec<(String, Value)> {
        let mut seen = Vec::new();
        loop {
            let (event, data) = self
                .next(Duration::from_secs(15))
                .await
                .unwrap_or_else(|| panic!("no matching summary; saw {seen:?}"));
            let done = event == "summary" && until(&data);
            seen.push((event, data));
            if done {
                return seen;
            }
        }
    }
}

fn bot_status(summary: &Value, bot: i64) -> Option<&str> {
    ["bots", "inactive_bots"]
        .iter()
        .filter_map(|k| summary[*k].as_array())
        .flatten()
        .find(|b| b["id"] == bot)
        .and_then(|b| b["status"].as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_streams_of_a_user_get_the_same_updates_and_another_user_none() {
    let app = spawn_with(no_expiry()).await;
    let ta = app.user("ann").await;
    let tb = app.user("bob").await;
    let mut a1 = Sse::open(&app, &ta).await;
    let mut a2 = Sse::open(&app, &ta).await;
    let mut b = Sse::open(&app, &tb).await;
    for s in [&mut a1, &mut a2, &mut b] {
        let first = s.until(|_| true).await;
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].1["total_bots"], 0);
    }

    let bot = start_first_template(&app, &ta).await;
    let running = |s: &Value| bot_status(s, bot) == Some("running");
    let seen1 = a1.until(running).await;
    let seen2 = a2.until(running).await;
    let bot_events = |seen: &[(String, Value)]| -> Vec<Value> {
        seen.iter()
            .filter(|(e, _)| e == "bot")
            .map(|(_, d)| d.clone())
            .collect()
    };
    assert!(
        !bot_events(&seen1).is_empty(),
        "the start is forwarded as a bot event: {seen1:?}"
    );
    assert_eq!(bot_events(&seen1), bot_events(&seen2));
    assert_eq!(seen1.last(), seen2.last(), "both streams end on the same summary");

    let (s, _) = app
        .call(Method::DELETE, &format!("/api/v1/multibot/bots/{bot}"), Some(&ta), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let stopped = |s: &Value| bot_status(s, bot) == Some("stopped");
    let seen1 = a1.until(stopped).await;
    let seen2 = a2.until(stopped).await;
    assert_eq!(bot_events(&seen1), bot_events(&seen2));
    assert_eq!(seen1.last(), seen2.last());

    // Bob's stream saw none of it (his summary did not change, so it sends
    // nothing; any event it did send must not be Ann's).
    if let Some((event, data)) = b.next(Duration::from_millis(3500)).await {
        panic!("bob's stream got {event}: {data}");
    }
}
