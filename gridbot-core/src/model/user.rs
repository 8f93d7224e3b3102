//! Users, their exchange credentials (encrypted above the store), risk
//! settings and the audit log.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{BotId, TimestampMs, UserId};

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Unique login name.
    pub username: String,
    /// Password hash (PHC string); never the password.
    pub password_hash: String,
    /// Creation time.
    pub created_at: TimestampMs,
}

impl User {
    /// A user record.
    pub fn new(
        id: UserId,
        username: impl Into<String>,
        password_hash: impl Into<String>,
        created_at: TimestampMs,
    ) -> Self {
        User {
            id,
            username: username.into(),
            password_hash: password_hash.into(),
            created_at,
        }
    }
}

/// A user's exchange API credentials, as ciphertext. The store never sees
/// the plain key, secret or passphrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialsRecord {
    /// Owner.
    pub user_id: UserId,
    /// Exchange name, `bitget`.
    pub exchange: String,
    /// AEAD ciphertext of the credentials.
    pub ciphertext: Vec<u8>,
    /// AEAD nonce.
    pub nonce: Vec<u8>,
    /// Demo-trading keys.
    pub demo: bool,
    /// Last change.
    pub updated_at: TimestampMs,
}

impl CredentialsRecord {
    /// A credentials record.
    pub fn new(
        user_id: UserId,
        exchange: impl Into<String>,
        ciphertext: Vec<u8>,
        nonce: Vec<u8>,
        demo: bool,
        updated_at: TimestampMs,
    ) -> Self {
        CredentialsRecord {
            user_id,
            exchange: exchange.into(),
            ciphertext,
            nonce,
            demo,
            updated_at,
        }
    }
}

/// A user's risk limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RiskSettings {
    /// Owner.
    pub user_id: UserId,
    /// Daily loss limit in USDT (realised + unrealised since 00:00 UTC);
    /// `None` = no limit. When reached, the user's bots are paused.
    pub daily_loss_limit: Option<Decimal>,
    /// Highest leverage a bot may be created with.
    pub max_leverage: u32,
    /// Most bots with an open position at once.
    pub max_open_positions: u32,
    /// Whether pausing on the daily loss limit also closes positions.
    pub close_positions_on_pause: bool,
}

impl RiskSettings {
    /// The defaults: no daily loss limit, leverage up to 20, 5 open positions,
    /// positions kept on pause.
    pub fn default_for(user_id: UserId) -> Self {
        RiskSettings {
            user_id,
            daily_loss_limit: None,
            max_leverage: 20,
            max_open_positions: 5,
            close_positions_on_pause: false,
        }
    }
}

/// One entry of the audit / event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditEvent {
    /// Sequence number assigned by the store (0 before insert).
    pub id: i64,
    /// User concerned.
    pub user_id: Option<UserId>,
    /// Bot concerned.
    pub bot_id: Option<BotId>,
    /// Machine-readable kind (`bot.started`, `risk.daily_loss`, ...).
    pub kind: String,
    /// Human-readable message.
    pub message: String,
    /// Extra data.
    pub data: serde_json::Value,
    /// Time.
    pub ts: TimestampMs,
}

impl AuditEvent {
    /// An event to append.
    pub fn new(
        user_id: Option<UserId>,
        bot_id: Option<BotId>,
        kind: impl Into<String>,
        message: impl Into<String>,
        ts: TimestampMs,
    ) -> Self {
        AuditEvent {
            id: 0,
            user_id,
            bot_id,
            kind: kind.into(),
            message: message.into(),
            data: serde_json::Value::Null,
            ts,
        }
    }
}
