//! Market data for the facade: the simulated market, a candle replay, Bitget,
//! or a source of the user's own, and how each drives the paper venue.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use gridbot_core::clock::Clock;
use gridbot_core::feed::{ReplayConfig, ReplayMarket, SimConfig, SimMarket};
use gridbot_core::model::{Instrument, MarketEvent, Symbol};
use gridbot_core::paper::PaperExchange;
use gridbot_core::ports::MarketData;
use tokio::task::JoinHandle;

use super::error::BuildError;

/// Where prices come from (see [`crate::GridbotBuilder`]).
#[derive(Clone)]
pub(crate) enum MarketChoice {
    Sim(SimConfig),
    Replay {
        path: PathBuf,
        config: ReplayConfig,
    },
    #[cfg(feature = "bitget")]
    Bitget {
        config: gridbot_bitget::BitgetConfig,
        symbols: Vec<Symbol>,
    },
    Custom {
        source: Arc<dyn MarketData>,
        instruments: Vec<Instrument>,
    },
}

/// An opened market: the source, its instruments, and how it runs.
pub(crate) struct Market {
    pub(crate) source: Arc<dyn MarketData>,
    pub(crate) instruments: Vec<Instrument>,
    pub(crate) driver: Driver,
}

/// How the market moves and feeds the paper venue.
#[derive(Clone)]
pub(crate) enum Driver {
    /// The simulated market walks the venue itself.
    Sim(SimMarket),
    /// The replay walks the venue itself.
    Replay(ReplayMarket),
    /// An outside feed: a task per symbol passes its prices to the venue.
    External,
}

impl MarketChoice {
    /// Opens the market on `clock`; the simulated market resumes where a
    /// durable `venue` says it stood ([`SimMarket::open`]).
    pub(crate) async fn open(self, clock: Arc<dyn Clock>, venue: Option<&PaperExchange>) -> Result<Market, BuildError> {
        match self {
            MarketChoice::Sim(config) => {
                let sim = SimMarket::open(config, clock, venue)?;
                Ok(Market {
                    instruments: sim.hub().instruments(),
                    source: Arc::new(sim.clone()),
                    driver: Driver::Sim(sim),
                })
            }
            MarketChoice::Replay { path, config } => {
                let replay = ReplayMarket::from_csv(&path, config, clock)?;
                Ok(Market {
                    instruments: replay.hub().instruments(),
                    source: Arc::new(replay.clone()),
                    driver: Driver::Replay(replay),
                })
            }
            #[cfg(feature = "bitget")]
            MarketChoice::Bitget { config, symbols } => {
                let md = gridbot_bitget::BitgetMarketData::new(config)?;
                let mut instruments = Vec::with_capacity(symbols.len());
                for s in &symbols {
                    instruments.push(md.instrument(s).await?);
                }
                Ok(Market {
                    source: Arc::new(md),
                    instruments,
                    driver: Driver::External,
                })
            }
            MarketChoice::Custom { source, instruments } => Ok(Market {
                source,
                instruments,
                driver: Driver::External,
            }),
        }
    }
}

impl Driver {
    /// Attaches the venue (when trading on paper); starts the feed task
    /// when `run` (a stepped market is left to the caller).
    pub(crate) fn start(
        &self,
        venue: Option<&PaperExchange>,
        source: &Arc<dyn MarketData>,
        symbols: &[Symbol],
        run: bool,
    ) -> Result<Vec<JoinHandle<()>>, BuildError> {
        match self {
            Driver::Sim(sim) => {
                if let Some(v) = venue {
                    sim.attach_venue(v.clone())?;
                }
                Ok(if run { vec![sim.spawn()] } else { Vec::new() })
            }
            Driver::Replay(replay) => {
                if let Some(v) = venue {
                    replay.attach_venue(v.clone())?;
                }
                Ok(if run { vec![replay.spawn()] } else { Vec::new() })
            }
            Driver::External => Ok(match venue {
                Some(v) => drive_venue(v.clone(), source.clone(), symbols.to_vec()),
                None => Vec::new(),
            }),
        }
    }
}

/// Feeds the venue from the market: ticks move prices (and fill orders);
/// a closed candle is walked only when no tick of it was seen (candle-only
/// sources).
fn drive_venue(venue: PaperExchange, market: Arc<dyn MarketData>, symbols: Vec<Symbol>) -> Vec<JoinHandle<()>> {
    symbols
        .into_iter()
        .map(|symbol| {
            let venue = venue.clone();
            let market = market.clone();
            tokio::spawn(async move {
                use futures::StreamExt;
                loop {
                    let mut sub = match market.subscribe(&symbol).await {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::warn!(%symbol, error = %e, "paper venue cannot subscribe; retrying");
                            tokio::time::sleep(Duration::from_secs(5)).await;
                            continue;
                        }
                    };
                    let mut ticked = false;
                    while let Some(ev) = sub.next().await {
                        let result = match &ev {
                            MarketEvent::Tick(t) => {
                                ticked = true;
                                venue.on_price(&t.symbol, t.price, t.ts)
                            }
                            MarketEvent::Candle { symbol, candle } => {
                                let r = if ticked {
                                    Ok(())
                                } else {
                                    venue.on_candle(symbol, candle)
                                };
                                ticked = false;
                                r
                            }
                            _ => Ok(()),
                        };
                        if let Err(e) = result {
                            tracing::warn!(%symbol, error = %e, "paper venue refused a market event");
                        }
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            })
        })
        .collect()
}
