//! Errors of the DeepSeek advisor. Each one makes the advisor fall back to
//! the backtest advisor's answer; the message becomes its `fallback_reason`.

use gridbot_core::error::ValidationError;
use thiserror::Error;

/// Why asking DeepSeek did not produce a recommendation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DeepSeekError {
    /// The advisor is misconfigured (missing key, bad timeout).
    #[error("DeepSeek is not configured: {0}")]
    Config(String),
    /// No answer within the timeout.
    #[error("DeepSeek did not answer in time: {0}")]
    Timeout(String),
    /// DeepSeek could not be reached.
    #[error("DeepSeek unreachable: {0}")]
    Connectivity(String),
    /// DeepSeek answered with an HTTP error (401 bad key, 402 no balance,
    /// 429 rate limit, 5xx server trouble).
    #[error("DeepSeek answered HTTP {status}: {message}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The start of the answer's body.
        message: String,
    },
    /// The answer was not the JSON asked for.
    #[error("DeepSeek answer malformed: {0}")]
    Malformed(String),
    /// A proposal broke a bound (grids, leverage, range around the price).
    #[error("DeepSeek proposal out of bounds: {0}")]
    OutOfBounds(ValidationError),
    /// A proposal failed its re-backtest (not viable).
    #[error("DeepSeek proposal rejected by its backtest: {0}")]
    NotViable(String),
}
