//! WebSocket messages of both dialects: requests (`subscribe`,
//! `unsubscribe`, `login`) and what the server sends (`pong`, events,
//! pushes).
//!
//! v2 arguments name a `channel` and an `instId` under `instType`
//! `USDT-FUTURES`; v3 arguments name a `topic` under `instType` `UTA`
//! (private, upper case) or `usdt-futures` (public, lower case). Sources
//! disagree on the key of a v3 public symbol (`symbol` in Bitget's docs and
//! one live client, `instId` in Bitget.Net), so v3 public arguments carry
//! both and pushes are routed by whichever the server echoes.

use serde::{Deserialize, Serialize};

use crate::common::parse::{de_i64, de_string};

/// Which WebSocket dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WsApi {
    /// Classic `/v2/ws/...`.
    V2,
    /// Unified `/v3/ws/...`.
    V3,
}

/// A v2 channel subscription.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct V2ChannelArg {
    /// `USDT-FUTURES`.
    pub inst_type: String,
    /// `ticker`, `candle1m`, `orders`, `fill`, `positions`, ...
    pub channel: String,
    /// Symbol, or `default` for every symbol of a private channel.
    pub inst_id: String,
}

impl V2ChannelArg {
    /// A channel argument.
    pub fn new(inst_type: &str, channel: &str, inst_id: &str) -> Self {
        V2ChannelArg {
            inst_type: inst_type.to_owned(),
            channel: channel.to_owned(),
            inst_id: inst_id.to_owned(),
        }
    }
}

/// A v3 topic subscription.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct V3TopicArg {
    /// `UTA` (private) or `usdt-futures` (public).
    pub inst_type: String,
    /// `order`, `fill`, `position`, `account`, `ticker`, `kline`, ...
    pub topic: String,
    /// Symbol of a public topic.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub symbol: String,
    /// The same symbol under the key Bitget.Net uses.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub inst_id: String,
    /// Candle interval of `kline`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub interval: String,
}

impl V3TopicArg {
    /// A private topic (`instType` `UTA`).
    pub fn private(topic: &str) -> Self {
        V3TopicArg {
            inst_type: "UTA".to_owned(),
            topic: topic.to_owned(),
            symbol: String::new(),
            inst_id: String::new(),
            interval: String::new(),
        }
    }

    /// A public topic of `symbol` (`instType` lower case).
    pub fn public(inst_type: &str, topic: &str, symbol: &str, interval: &str) -> Self {
        V3TopicArg {
            inst_type: inst_type.to_owned(),
            topic: topic.to_owned(),
            symbol: symbol.to_owned(),
            inst_id: symbol.to_owned(),
            interval: interval.to_owned(),
        }
    }
}

/// `{"op":"subscribe"|"unsubscribe"|"login","args":[..]}`.
#[derive(Debug, Clone, Serialize)]
pub struct OpRequest<'a, A: Serialize> {
    /// Operation.
    pub op: &'a str,
    /// Arguments.
    pub args: &'a [A],
}

/// The login argument (same on v2 and v3).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginArg {
    /// API key.
    pub api_key: String,
    /// Passphrase.
    pub passphrase: String,
    /// Seconds since the epoch, as text.
    pub timestamp: String,
    /// `base64(HMAC(timestamp + "GET" + "/user/verify"))`.
    pub sign: String,
}

/// The `arg` of a push or event, in either dialect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushArg {
    /// `instType`.
    #[serde(default, deserialize_with = "de_string")]
    pub inst_type: String,
    /// v2 channel.
    #[serde(default, deserialize_with = "de_string")]
    pub channel: String,
    /// v3 topic.
    #[serde(default, deserialize_with = "de_string")]
    pub topic: String,
    /// v2 (and Bitget.Net's v3) symbol key.
    #[serde(default, deserialize_with = "de_string")]
    pub inst_id: String,
    /// v3 symbol key.
    #[serde(default, deserialize_with = "de_string")]
    pub symbol: String,
    /// v3 candle interval.
    #[serde(default, deserialize_with = "de_string")]
    pub interval: String,
}

impl PushArg {
    /// The channel (v2) or topic (v3).
    pub fn name(&self) -> &str {
        if self.channel.is_empty() {
            &self.topic
        } else {
            &self.channel
        }
    }

    /// The symbol, from `instId` or `symbol`.
    pub fn instrument(&self) -> &str {
        if self.inst_id.is_empty() {
            &self.symbol
        } else {
            &self.inst_id
        }
    }
}

/// A message from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// Answer to `ping`.
    Pong,
    /// `{"event":..,"code":..,"msg":..}`: login, subscribe, error.
    Event {
        /// `login`, `subscribe`, `unsubscribe`, `error`.
        event: String,
        /// `0` on success; 30001–30016 on errors.
        code: String,
        /// Message.
        msg: String,
    },
    /// `{"action":..,"arg":..,"data":[..]}` (a `data` object is one item).
    Push {
        /// `snapshot` or `update`.
        action: String,
        /// Which channel or topic.
        arg: PushArg,
        /// Items.
        data: Vec<serde_json::Value>,
        /// Server time.
        ts: i64,
    },
}

#[derive(Deserialize)]
struct Raw {
    #[serde(default, deserialize_with = "de_string")]
    event: String,
    #[serde(default, deserialize_with = "de_string")]
    code: String,
    #[serde(default, deserialize_with = "de_string")]
    msg: String,
    #[serde(default, deserialize_with = "de_string")]
    action: String,
    #[serde(default)]
    arg: Option<PushArg>,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "de_i64")]
    ts: i64,
}

/// Parses a text frame. `None` for text this client does not understand.
pub fn parse_incoming(text: &str) -> Option<Incoming> {
    if text.trim() == "pong" {
        return Some(Incoming::Pong);
    }
    let raw: Raw = serde_json::from_str(text).ok()?;
    if !raw.event.is_empty() {
        return Some(Incoming::Event {
            event: raw.event,
            code: raw.code,
            msg: raw.msg,
        });
    }
    let data = match raw.data {
        Some(serde_json::Value::Array(items)) => items,
        Some(serde_json::Value::Null) | None => Vec::new(),
        Some(one) => vec![one],
    };
    Some(Incoming::Push {
        action: raw.action,
        arg: raw.arg?,
        data,
        ts: raw.ts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_of_both_dialects_are_recognised() {
        assert_eq!(parse_incoming("pong"), Some(Incoming::Pong));
        assert!(matches!(
            parse_incoming(r#"{"event":"login","code":0}"#),
            Some(Incoming::Event { event, code, .. }) if event == "login" && code == "0"
        ));
        let p = parse_incoming(
            r#"{"action":"snapshot","arg":{"instType":"USDT-FUTURES","channel":"ticker","instId":"BTCUSDT"},"data":[{"lastPr":"1"}],"ts":1}"#,
        );
        assert!(
            matches!(p, Some(Incoming::Push { arg, data, .. }) if arg.name() == "ticker" && arg.instrument() == "BTCUSDT" && data.len() == 1)
        );
        let p = parse_incoming(
            r#"{"action":"update","arg":{"instType":"UTA","topic":"fast-fill","symbol":"default"},"data":{"execId":"1"},"ts":1}"#,
        );
        assert!(matches!(p, Some(Incoming::Push { arg, data, .. }) if arg.name() == "fast-fill" && data.len() == 1));
        assert_eq!(parse_incoming("{not json"), None);
    }

    #[test]
    fn v3_arguments_are_spelled_with_topic_and_case_rules() {
        let a = serde_json::to_value(V3TopicArg::private("order")).unwrap();
        assert_eq!(a, serde_json::json!({"instType": "UTA", "topic": "order"}));
        let a = serde_json::to_value(V3TopicArg::public("usdt-futures", "kline", "BTCUSDT", "1m")).unwrap();
        assert_eq!(
            a,
            serde_json::json!({"instType": "usdt-futures", "topic": "kline", "symbol": "BTCUSDT", "instId": "BTCUSDT", "interval": "1m"})
        );
    }
}
