//! The private WebSocket client of either API: connects, logs in,
//! subscribes the account's order, fill and position topics (and the account
//! topic on v3), pings, and on any failure reconnects with backoff, logs in
//! and subscribes again. It hands what arrives to its owner as
//! [`PrivateEvent`]s and knows nothing about the `Exchange` port: the
//! execution layer turns pushes into events, de-duplicates and fills gaps
//! from REST after every [`PrivateEvent::Subscribed`].
//!
//! Subscriptions: v2 `orders`, `fill`, `positions` with `instType`
//! `USDT-FUTURES` and `instId` `default`; v3 `order`, `fill`, `position`,
//! `account` with `instType` `UTA`. The login is the same on both
//! (`timestamp + "GET" + "/user/verify"`, timestamp in seconds); a refused
//! login arrives as an `error` event (30005, 30011–30015) without the socket
//! being closed, so the client closes it and backs off.
//!
//! The task ends when the receiver is dropped.

use futures::StreamExt;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::common::credentials::Credentials;
use crate::common::signing::sign_ws_login;
use crate::config::WsConfig;
use crate::ws::connection::{connect, send_op, send_text, Backoff, WsStream};
use crate::ws::error::WsError;
use crate::ws::messages::{parse_incoming, Incoming, LoginArg, V2ChannelArg, V3TopicArg, WsApi};

/// What a private push is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateTopic {
    /// Order updates (v2 `orders`, v3 `order`).
    Orders,
    /// Executions (`fill`).
    Fills,
    /// Position updates (v2 `positions`, v3 `position`).
    Positions,
    /// Account balance (v3 `account`).
    Account,
}

impl PrivateTopic {
    fn of(name: &str) -> Option<Self> {
        match name {
            "orders" | "order" => Some(PrivateTopic::Orders),
            "fill" | "fast-fill" => Some(PrivateTopic::Fills),
            "positions" | "position" => Some(PrivateTopic::Positions),
            "account" => Some(PrivateTopic::Account),
            _ => None,
        }
    }
}

/// What the private client reports to its owner.
#[derive(Debug, Clone, PartialEq)]
pub enum PrivateEvent {
    /// Logged in and subscribed (after every reconnect too): events pushed
    /// while the socket was down must now be read from REST.
    Subscribed,
    /// Items pushed on one topic.
    Push {
        /// The topic.
        topic: PrivateTopic,
        /// The raw items (parsed by the owner with its API's models).
        data: Vec<Value>,
    },
    /// The session ended; the client reconnects after a backoff.
    Lost(WsError),
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct PrivateSocket {
    /// The private WebSocket URL of the API.
    pub url: String,
    /// Which dialect.
    pub api: WsApi,
    /// The keys (never logged).
    pub credentials: Option<Credentials>,
    /// Timings.
    pub ws: WsConfig,
    /// v2 `instType` (`USDT-FUTURES`).
    pub v2_inst_type: &'static str,
}

impl PrivateSocket {
    /// Starts the client on the current tokio runtime; events arrive on the
    /// returned receiver until it is dropped.
    pub fn spawn(self) -> Result<mpsc::UnboundedReceiver<PrivateEvent>, WsError> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| WsError::Connect {
            url: self.url.clone(),
            reason: "no tokio runtime to run the connection on".into(),
        })?;
        let (tx, rx) = mpsc::unbounded_channel();
        handle.spawn(run(self, tx));
        Ok(rx)
    }
}

async fn run(cfg: PrivateSocket, tx: mpsc::UnboundedSender<PrivateEvent>) {
    let mut backoff = Backoff::new(cfg.ws.reconnect_backoff, cfg.ws.reconnect_backoff_max);
    loop {
        let err = session(&cfg, &tx, &mut backoff).await;
        if tx.send(PrivateEvent::Lost(err)).is_err() {
            return;
        }
        tokio::time::sleep(backoff.next_delay()).await;
        if tx.is_closed() {
            return;
        }
    }
}

async fn login(ws: &mut WsStream, cfg: &PrivateSocket) -> Result<(), WsError> {
    let creds = cfg.credentials.as_ref().ok_or(WsError::NoCredentials)?;
    let ts = (crate::http::client::now_ms() / 1000).to_string();
    let arg = LoginArg {
        api_key: creds.api_key().to_owned(),
        passphrase: creds.passphrase().to_owned(),
        sign: sign_ws_login(creds.secret(), &ts),
        timestamp: ts,
    };
    send_op(ws, "login", std::slice::from_ref(&arg)).await?;
    let wait = async {
        while let Some(msg) = ws.next().await {
            let Ok(Message::Text(t)) = msg else { continue };
            if let Some(Incoming::Event { event, code, msg }) = parse_incoming(&t) {
                if event == "login" && (code == "0" || code.is_empty()) {
                    return Ok(());
                }
                if event == "error" || event == "login" {
                    return Err(WsError::LoginRefused { code, msg });
                }
            }
        }
        Err(WsError::Closed)
    };
    tokio::time::timeout(cfg.ws.login_timeout, wait)
        .await
        .map_err(|_| WsError::LoginTimeout)?
}

async fn subscribe(ws: &mut WsStream, cfg: &PrivateSocket) -> Result<(), WsError> {
    match cfg.api {
        WsApi::V2 => {
            let args: Vec<V2ChannelArg> = ["orders", "fill", "positions"]
                .iter()
                .map(|c| V2ChannelArg::new(cfg.v2_inst_type, c, "default"))
                .collect();
            send_op(ws, "subscribe", &args).await
        }
        WsApi::V3 => {
            let args: Vec<V3TopicArg> = ["order", "fill", "position", "account"]
                .iter()
                .map(|t| V3TopicArg::private(t))
                .collect();
            send_op(ws, "subscribe", &args).await
        }
    }
}

/// One connection's life; returns why it ended.
async fn session(cfg: &PrivateSocket, tx: &mpsc::UnboundedSender<PrivateEvent>, backoff: &mut Backoff) -> WsError {
    let mut ws = match connect(&cfg.url, cfg.ws.login_timeout).await {
        Ok(ws) => ws,
        Err(e) => return e,
    };
    if let Err(e) = login(&mut ws, cfg).await {
        let _ = ws.close(None).await;
        return e;
    }
    if let Err(e) = subscribe(&mut ws, cfg).await {
        return e;
    }
    if tx.send(PrivateEvent::Subscribed).is_err() {
        return WsError::Closed;
    }
    let mut ping = tokio::time::interval(cfg.ws.ping_interval);
    ping.tick().await;
    let mut last_rx = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = ping.tick() => {
                if tx.is_closed() {
                    let _ = ws.close(None).await;
                    return WsError::Closed;
                }
                if last_rx.elapsed() > cfg.ws.idle_timeout {
                    return WsError::Idle { idle_ms: cfg.ws.idle_timeout.as_millis() as u64 };
                }
                if let Err(e) = send_text(&mut ws, "ping".to_owned()).await { return e; }
            }
            msg = ws.next() => match msg {
                None => return WsError::Closed,
                Some(Err(e)) => return WsError::Read(e.to_string()),
                Some(Ok(Message::Text(t))) => {
                    last_rx = tokio::time::Instant::now();
                    backoff.reset();
                    match parse_incoming(&t) {
                        Some(Incoming::Push { arg, data, .. }) => {
                            let Some(topic) = PrivateTopic::of(arg.name()) else { continue };
                            if tx.send(PrivateEvent::Push { topic, data }).is_err() {
                                return WsError::Closed;
                            }
                        }
                        Some(Incoming::Event { event, code, msg }) if event == "error" => {
                            tracing::warn!(%code, %msg, "private WebSocket error event");
                        }
                        _ => {}
                    }
                }
                Some(Ok(Message::Close(_))) => return WsError::Closed,
                Some(Ok(_)) => { last_rx = tokio::time::Instant::now(); }
            },
        }
    }
}
