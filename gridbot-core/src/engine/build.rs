//! Builds and restores the engine of a bot from its kind.
//!
//! The runner saves `{"engine": <engine snapshot>, "last_candle_ts": ..}`
//! as the bot's engine state; [`restore_engine`] takes the inner snapshot.

use super::grid::GridEngine;
use super::trend::TrendEngine;
use super::BotEngine;
use crate::error::ValidationError;
use crate::model::{BotKind, Candle, Instrument, OrderOwner};

/// A fresh engine for a bot, validated against the instrument, making its
/// client ids for `owner` (a [`crate::model::BotId`] alone: no installation tag).
pub fn build_engine(
    owner: impl Into<OrderOwner>,
    kind: &BotKind,
    instrument: Instrument,
) -> Result<Box<dyn BotEngine>, ValidationError> {
    let owner = owner.into();
    match kind {
        BotKind::Trend(c) => Ok(Box::new(
            TrendEngine::new(owner.bot, c.clone(), instrument)?.with_id_tag(owner.tag),
        )),
        BotKind::Grid(c) => Ok(Box::new(
            GridEngine::new(owner.bot, c.clone(), instrument)?.with_id_tag(owner.tag),
        )),
    }
}

/// A fresh trend engine whose EMAs are warmed up with closed candles of its
/// interval (oldest first); other kinds are built as by [`build_engine`].
pub fn build_warmed_engine(
    owner: impl Into<OrderOwner>,
    kind: &BotKind,
    instrument: Instrument,
    history: &[Candle],
) -> Result<Box<dyn BotEngine>, ValidationError> {
    match kind {
        BotKind::Trend(c) => {
            let owner = owner.into();
            let mut e = TrendEngine::new(owner.bot, c.clone(), instrument)?.with_id_tag(owner.tag);
            e.warm_up(history);
            Ok(Box::new(e))
        }
        BotKind::Grid(_) => build_engine(owner, kind, instrument),
    }
}

/// An engine restored from its snapshot. A grid takes its controls
/// (stop-loss, take-profit, trigger) from the bot's stored settings `kind`,
/// which are the source of truth after an edit
/// ([`GridEngine::adopt_controls`]).
pub fn restore_engine(kind: &BotKind, snapshot: &serde_json::Value) -> Result<Box<dyn BotEngine>, ValidationError> {
    match kind {
        BotKind::Trend(_) => Ok(Box::new(TrendEngine::restore(snapshot)?)),
        BotKind::Grid(stored) => {
            // The stored config is the source of truth for the controls a
            // user may edit while the grid runs (see `engine::grid::controls`).
            let mut engine = GridEngine::restore(snapshot)?;
            engine.adopt_controls(stored);
            Ok(Box::new(engine))
        }
    }
}
