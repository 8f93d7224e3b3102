//! # gridbot-store
//!
//! Implementations of [`gridbot_core::ports::Store`]: `MemoryStore`,
//! `SqliteStore` (the embedded default) and `PostgresStore`, with reversible
//! migrations.
#![warn(missing_docs)]
