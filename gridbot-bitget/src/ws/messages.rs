//! WebSocket messages: requests (`subscribe`, `unsubscribe`, `login`) and
//! what the server sends (`pong`, events, pushes).

use serde::{Deserialize, Serialize};

use crate::common::parse::{de_i64, de_string};

/// One channel subscription.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChannelArg {
    /// `USDT-FUTURES` (or `SUSDT-FUTURES`).
    #[serde(default, deserialize_with = "de_string")]
    pub inst_type: String,
    /// `ticker`, `candle1m`, `orders`, `fill`, `positions`, ...
    #[serde(default, deserialize_with = "de_string")]
    pub channel: String,
    /// Symbol, or `default` for every symbol of a private channel.
    #[serde(default, deserialize_with = "de_string")]
    pub inst_id: String,
}

impl ChannelArg {
    /// A channel argument.
    pub fn new(inst_type: &str, channel: &str, inst_id: &str) -> Self {
        ChannelArg {
            inst_type: inst_type.to_owned(),
            channel: channel.to_owned(),
            inst_id: inst_id.to_owned(),
        }
    }
}

/// `{"op":"subscribe"|"unsubscribe","args":[..]}`.
#[derive(Debug, Clone, Serialize)]
pub struct OpRequest<'a, A: Serialize> {
    /// Operation.
    pub op: &'a str,
    /// Arguments.
    pub args: &'a [A],
}

/// The login argument.
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
    /// `{"action":..,"arg":..,"data":[..]}`.
    Push {
        /// `snapshot` or `update`.
        action: String,
        /// Which channel.
        arg: ChannelArg,
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
    arg: Option<ChannelArg>,
    #[serde(default)]
    data: Option<Vec<serde_json::Value>>,
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
    Some(Incoming::Push {
        action: raw.action,
        arg: raw.arg?,
        data: raw.data.unwrap_or_default(),
        ts: raw.ts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_are_recognised() {
        assert_eq!(parse_incoming("pong"), Some(Incoming::Pong));
        assert!(matches!(
            parse_incoming(r#"{"event":"login","code":0}"#),
            Some(Incoming::Event { event, code, .. }) if event == "login" && code == "0"
        ));
        let p = parse_incoming(
            r#"{"action":"snapshot","arg":{"instType":"USDT-FUTURES","channel":"ticker","instId":"BTCUSDT"},"data":[{"lastPr":"1"}],"ts":1}"#,
        );
        assert!(matches!(p, Some(Incoming::Push { arg, data, .. }) if arg.channel == "ticker" && data.len() == 1));
        assert_eq!(parse_incoming("{not json"), None);
    }
}
