//! Builds and restores the engine of a bot from its kind.
//!
//! The runner saves `{"engine": <engine snapshot>, "last_candle_ts": ..}`
//! as the bot's engine state; [`restore_engine`] takes the inner snapshot.

use crate::engine::trend::TrendEngine;
use crate::engine::BotEngine;
use crate::error::ValidationError;
use crate::model::{BotId, BotKind, Instrument};

/// A fresh engine for a bot, validated against the instrument.
pub fn build_engine(bot: BotId, kind: &BotKind, instrument: Instrument) -> Result<Box<dyn BotEngine>, ValidationError> {
    match kind {
        BotKind::Trend(c) => Ok(Box::new(TrendEngine::new(bot, c.clone(), instrument)?)),
        BotKind::Grid(c) => grid_engine(bot, c, instrument),
    }
}

/// An engine restored from its snapshot.
pub fn restore_engine(kind: &BotKind, snapshot: &serde_json::Value) -> Result<Box<dyn BotEngine>, ValidationError> {
    match kind {
        BotKind::Trend(_) => Ok(Box::new(TrendEngine::restore(snapshot)?)),
        BotKind::Grid(_) => grid_restore(snapshot),
    }
}

fn grid_engine(
    _bot: BotId,
    _config: &crate::grid::GridConfig,
    _instrument: Instrument,
) -> Result<Box<dyn BotEngine>, ValidationError> {
    Err(ValidationError::new(
        "kind",
        "grid bots are not available in this build yet",
    ))
}

fn grid_restore(_snapshot: &serde_json::Value) -> Result<Box<dyn BotEngine>, ValidationError> {
    Err(ValidationError::new(
        "kind",
        "grid bots are not available in this build yet",
    ))
}
