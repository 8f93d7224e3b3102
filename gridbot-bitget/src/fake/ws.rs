//! The fake's WebSockets in both dialects: `/v2/ws/public` and
//! `/v3/ws/public` (ticker and 1-minute candle pushes for subscribed
//! symbols: v2 channels `ticker`/`candle1m` by `instId`; v3 topics
//! `ticker`/`kline` by `symbol` or `instId`, `instType` lower case) and
//! `/v2/ws/private` and `/v3/ws/private` (login with signature check, then
//! v2 `orders`, `fill`, `positions` or v3 `order`, `fill`, `position`,
//! `account` pushes; v3 private `instType` must be upper-case `UTA`, else
//! 30001). A login on the path of the other account kind is refused (30005,
//! the fake's choice). All answer `ping` with `pong` and close on demand; the
//! private ones can duplicate, reorder and periodically drop (see
//! [`super::faults::Faults`]).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Value};

use super::{lock, now_ms, Shared, FAKE_API_KEY, FAKE_PASSPHRASE, FAKE_SECRET};
use crate::common::signing::sign_ws_login;

/// Largest clock difference accepted on a login timestamp, seconds.
const MAX_LOGIN_SKEW_S: i64 = 30;

pub(crate) async fn public_ws_v2(ws: WebSocketUpgrade, State(shared): State<Arc<Shared>>) -> Response {
    ws.on_upgrade(move |socket| public_session(socket, shared, false))
}

pub(crate) async fn public_ws_v3(ws: WebSocketUpgrade, State(shared): State<Arc<Shared>>) -> Response {
    ws.on_upgrade(move |socket| public_session(socket, shared, true))
}

pub(crate) async fn private_ws_v2(ws: WebSocketUpgrade, State(shared): State<Arc<Shared>>) -> Response {
    ws.on_upgrade(move |socket| private_session(socket, shared, false))
}

pub(crate) async fn private_ws_v3(ws: WebSocketUpgrade, State(shared): State<Arc<Shared>>) -> Response {
    ws.on_upgrade(move |socket| private_session(socket, shared, true))
}

async fn send(socket: &mut WebSocket, text: String) -> bool {
    socket.send(Message::Text(text.into())).await.is_ok()
}

fn args_of(v: &Value) -> Vec<Value> {
    v.get("args").and_then(Value::as_array).cloned().unwrap_or_default()
}

/// (channel or topic, symbol) of an argument.
fn arg_key(a: &Value) -> (String, String) {
    let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let name = if s("channel").is_empty() {
        s("topic")
    } else {
        s("channel")
    };
    let sym = if s("instId").is_empty() {
        s("symbol")
    } else {
        s("instId")
    };
    (name, sym)
}

/// The `30001` refusal of an argument, when its `instType` breaks v3's case rules.
fn v3_case_error(a: &Value, private: bool) -> Option<String> {
    let it = a.get("instType").and_then(Value::as_str).unwrap_or("");
    let ok = if private { it == "UTA" } else { it == "usdt-futures" };
    (!ok).then(|| {
        json!({"event": "error", "code": 30001, "msg": format!("instType:{it} doesn't exist"), "arg": a}).to_string()
    })
}

async fn public_session(mut socket: WebSocket, shared: Arc<Shared>, v3: bool) {
    let conn = shared.next_conn.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    {
        let mut st = lock(&shared.stats);
        st.public_connects += 1;
        if v3 {
            st.v3_public_connects += 1;
        }
        st.public_channels.insert(conn, 0);
    }
    let mut subs: HashSet<(String, String)> = HashSet::new();
    let mut rx = shared.public_tx.subscribe();
    let mut drop_rx = shared.drop_public.subscribe();
    loop {
        tokio::select! {
            msg = socket.recv() => {
                let Some(Ok(Message::Text(t))) = msg else {
                    if matches!(msg, Some(Ok(_))) { continue; }
                    break;
                };
                if t.as_str() == "ping" {
                    lock(&shared.stats).pings += 1;
                    if !send(&mut socket, "pong".into()).await { break; }
                    continue;
                }
                let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else { continue };
                let op = v.get("op").and_then(Value::as_str).unwrap_or("").to_owned();
                for a in args_of(&v) {
                    let key = arg_key(&a);
                    if let Some(err) = v3.then(|| v3_case_error(&a, false)).flatten() {
                        if !send(&mut socket, err).await { break; }
                        continue;
                    }
                    match op.as_str() {
                        "subscribe" => {
                            subs.insert(key);
                            lock(&shared.stats).public_subscribe_args += 1;
                            if !send(&mut socket, json!({"event": "subscribe", "arg": a}).to_string()).await { break; }
                        }
                        "unsubscribe" => {
                            subs.remove(&key);
                            lock(&shared.stats).public_unsubscribe_args += 1;
                            if !send(&mut socket, json!({"event": "unsubscribe", "arg": a}).to_string()).await { break; }
                        }
                        _ => {}
                    }
                }
                lock(&shared.stats).public_channels.insert(conn, subs.len());
            }
            ev = rx.recv() => match ev {
                Ok((is_v3, symbol, channel, text)) => {
                    if is_v3 == v3 && subs.contains(&(channel.to_owned(), symbol)) && !send(&mut socket, text).await { break; }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            },
            _ = drop_rx.changed() => break,
        }
    }
    lock(&shared.stats).public_channels.remove(&conn);
    let _ = socket.send(Message::Close(None)).await;
}

fn login_ok(v: &Value) -> bool {
    let Some(a) = args_of(v).into_iter().next() else {
        return false;
    };
    let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let ts = s("timestamp");
    let Ok(secs) = ts.parse::<i64>() else { return false };
    s("apiKey") == FAKE_API_KEY
        && s("passphrase") == FAKE_PASSPHRASE
        && (now_ms() / 1000 - secs).abs() <= MAX_LOGIN_SKEW_S
        && s("sign") == sign_ws_login(FAKE_SECRET, &ts)
}

async fn private_session(mut socket: WebSocket, shared: Arc<Shared>, v3: bool) {
    {
        let mut st = lock(&shared.stats);
        st.private_connects += 1;
        if v3 {
            st.v3_private_connects += 1;
        }
    }
    let right_path = v3 == (shared.options.kind == crate::common::account::AccountKind::Unified);
    // Login first.
    let logged_in = loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), socket.recv()).await;
        let Ok(Some(Ok(Message::Text(t)))) = msg else {
            break false;
        };
        if t.as_str() == "ping" {
            if !send(&mut socket, "pong".into()).await {
                break false;
            }
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else {
            continue;
        };
        if v.get("op").and_then(Value::as_str) != Some("login") {
            let _ = send(
                &mut socket,
                json!({"event": "error", "code": "30004", "msg": "User needs to log in"}).to_string(),
            )
            .await;
            continue;
        }
        if shared.faults.take_login_failure() || !login_ok(&v) {
            lock(&shared.stats).login_failures += 1;
            let _ = send(
                &mut socket,
                json!({"event": "error", "code": "30015", "msg": "Invalid sign"}).to_string(),
            )
            .await;
            break false;
        }
        if !right_path {
            lock(&shared.stats).login_failures += 1;
            let _ = send(
                &mut socket,
                json!({"event": "error", "code": "30005", "msg": "Login failed: this key's account uses the other API"}).to_string(),
            )
            .await;
            break false;
        }
        lock(&shared.stats).logins += 1;
        let ack = if v3 {
            json!({"event": "login", "code": 0, "msg": ""})
        } else {
            json!({"event": "login", "code": "0", "msg": ""})
        };
        break send(&mut socket, ack.to_string()).await;
    };
    if !logged_in {
        let _ = socket.send(Message::Close(None)).await;
        return;
    }
    let mut channels: HashSet<String> = HashSet::new();
    let mut rx = shared.private_tx.subscribe();
    let mut drop_rx = shared.drop_private.subscribe();
    let (_, _, drop_every) = shared.faults.event_mode();
    let drop_at = tokio::time::sleep(drop_every.unwrap_or(Duration::from_secs(86_400)));
    tokio::pin!(drop_at);
    let mut held: Option<String> = None;
    let mut flush = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            msg = socket.recv() => {
                let Some(Ok(Message::Text(t))) = msg else {
                    if matches!(msg, Some(Ok(_))) { continue; }
                    break;
                };
                if t.as_str() == "ping" {
                    lock(&shared.stats).pings += 1;
                    if !send(&mut socket, "pong".into()).await { break; }
                    continue;
                }
                let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else { continue };
                if v.get("op").and_then(Value::as_str) == Some("subscribe") {
                    for a in args_of(&v) {
                        if let Some(err) = v3.then(|| v3_case_error(&a, true)).flatten() {
                            if !send(&mut socket, err).await { break; }
                            continue;
                        }
                        channels.insert(arg_key(&a).0);
                        if !send(&mut socket, json!({"event": "subscribe", "arg": a}).to_string()).await { break; }
                    }
                }
            }
            ev = rx.recv() => match ev {
                Ok((channel, text)) => {
                    if !channels.contains(channel) { continue; }
                    let (dup, reorder, _) = shared.faults.event_mode();
                    let mut out = Vec::new();
                    if reorder {
                        match held.take() {
                            None => held = Some(text),
                            Some(h) => { out.push(text); out.push(h); }
                        }
                    } else {
                        out.push(text);
                    }
                    let mut alive = true;
                    for t in out {
                        alive &= send(&mut socket, t.clone()).await;
                        if dup { alive &= send(&mut socket, t).await; }
                    }
                    if !alive { break; }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => break,
            },
            _ = flush.tick() => {
                if let Some(h) = held.take() {
                    if !send(&mut socket, h).await { break; }
                }
            }
            _ = drop_rx.changed() => break,
            _ = &mut drop_at => break,
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}
