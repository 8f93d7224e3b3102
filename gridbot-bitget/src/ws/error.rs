//! Why a WebSocket session ended. Every variant leads to a reconnect with
//! backoff; the message says what a user could check.

use thiserror::Error;

/// A WebSocket failure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WsError {
    /// The connection could not be opened.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// Where.
        url: String,
        /// What the transport said.
        reason: String,
    },
    /// Opening the connection took longer than the login timeout.
    #[error("connecting to {url} timed out")]
    ConnectTimeout {
        /// Where.
        url: String,
    },
    /// A frame could not be sent.
    #[error("send failed: {0}")]
    Send(String),
    /// A frame could not be read.
    #[error("read failed: {0}")]
    Read(String),
    /// The server closed the connection.
    #[error("closed by the server")]
    Closed,
    /// Nothing arrived (not even `pong`) for too long.
    #[error("no message within {idle_ms} ms")]
    Idle {
        /// The idle timeout.
        idle_ms: u64,
    },
    /// The private login was refused (30005, 30011–30015: key, passphrase,
    /// timestamp or signature).
    #[error("login refused (code {code}): {msg}; check the API key, secret, passphrase and the clock")]
    LoginRefused {
        /// Bitget's code.
        code: String,
        /// Bitget's message.
        msg: String,
    },
    /// No answer to the login in time.
    #[error("no login answer in time")]
    LoginTimeout,
    /// The private WebSocket needs keys and none are configured.
    #[error("no API credentials configured: the private WebSocket needs them")]
    NoCredentials,
    /// A request could not be encoded.
    #[error("cannot encode a request: {0}")]
    Encode(String),
}
