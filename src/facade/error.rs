//! Why a [`crate::Gridbot`] could not be assembled.

use std::path::PathBuf;

use thiserror::Error;

/// A failure of [`crate::GridbotBuilder::build`]; each message says what
/// to change.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The store could not be opened, migrated or seeded.
    #[error("cannot open the store: {0}; check the database URL or path and that the server is reachable")]
    Store(#[from] gridbot_core::StoreError),
    /// The market could not be set up (unreadable candle file, unknown
    /// contract, exchange unreachable).
    #[error("cannot set up the market: {0}")]
    Market(#[from] gridbot_core::MarketDataError),
    /// The saved paper venue could not be read or restored.
    #[error("cannot restore the paper venue from {path}: {message}; move the file away to start with fresh accounts")]
    Venue {
        /// The snapshot file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The paper venue's journal could not be opened (store unreachable,
    /// unreadable entries).
    #[error("cannot open the paper venue's journal: {0}")]
    Journal(gridbot_core::paper::JournalError),
    /// The exchange refused part of the setup.
    #[error("exchange setup failed: {0}")]
    Exchange(#[from] gridbot_core::ExchangeError),
    /// The advisor could not be set up (for DeepSeek: a bad key or URL).
    #[error("cannot set up the advisor: {0}")]
    Advisor(String),
    /// Two settings do not fit together.
    #[error("invalid setup: {0}")]
    Config(String),
}
