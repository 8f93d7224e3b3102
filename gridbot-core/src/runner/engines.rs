//! Builds and restores the engine of a bot from its kind.
//!
//! The runner saves `{"engine": <engine snapshot>, "last_candle_ts": ..}`
//! as the bot's engine state; [`restore_engine`] takes the inner snapshot.

use crate::engine::grid::GridEngine;
use crate::engine::trend::TrendEngine;
use crate::engine::BotEngine;
use crate::error::ValidationError;
use crate::model::{BotId, BotKind, Candle, Instrument};

/// A fresh engine for a bot, validated against the instrument.
pub fn build_engine(bot: BotId, kind: &BotKind, instrument: Instrument) -> Result<Box<dyn BotEngine>, ValidationError> {
    match kind {
        BotKind::Trend(c) => Ok(Box::new(TrendEngine::new(bot, c.clone(), instrument)?)),
        BotKind::Grid(c) => grid_engine(bot, c, instrument),
    }
}

/// A fresh trend engine whose EMAs are warmed up with closed candles of its
/// interval (oldest first); other kinds are built as by [`build_engine`].
pub fn build_warmed_engine(
    bot: BotId,
    kind: &BotKind,
    instrument: Instrument,
    history: &[Candle],
) -> Result<Box<dyn BotEngine>, ValidationError> {
    match kind {
        BotKind::Trend(c) => {
            let mut e = TrendEngine::new(bot, c.clone(), instrument)?;
            e.warm_up(history);
            Ok(Box::new(e))
        }
        BotKind::Grid(_) => build_engine(bot, kind, instrument),
    }
}

/// An engine restored from its snapshot. A grid takes its controls
/// (stop-loss, take-profit, trigger) from the bot's stored settings `kind`,
/// which are the source of truth after an edit
/// ([`GridEngine::adopt_controls`]).
pub fn restore_engine(kind: &BotKind, snapshot: &serde_json::Value) -> Result<Box<dyn BotEngine>, ValidationError> {
    match kind {
        BotKind::Trend(_) => Ok(Box::new(TrendEngine::restore(snapshot)?)),
        BotKind::Grid(c) => grid_restore(snapshot, c),
    }
}

fn grid_engine(
    bot: BotId,
    config: &crate::grid::GridConfig,
    instrument: Instrument,
) -> Result<Box<dyn BotEngine>, ValidationError> {
    Ok(Box::new(GridEngine::new(bot, config.clone(), instrument)?))
}

fn grid_restore(
    snapshot: &serde_json::Value,
    stored: &crate::grid::GridConfig,
) -> Result<Box<dyn BotEngine>, ValidationError> {
    let mut engine = GridEngine::restore(snapshot)?;
    engine.adopt_controls(stored);
    Ok(Box::new(engine))
}
