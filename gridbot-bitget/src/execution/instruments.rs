//! Contract rules and maintenance margin tiers, cached per client.
//!
//! The rules of every contract come in one request (v2 `contracts`, v3
//! `instruments`); the tiers come per symbol (v2 `query-position-lever`, v3
//! `position-tier`) and are read the first time a symbol's [`Instrument`] is
//! asked for. The instrument's `maint_margin_rate` is the first tier's rate
//! (see [`crate::http::records::ContractSpec::to_instrument`]); no rate is
//! ever assumed.

use std::collections::HashMap;
use std::sync::RwLock;

use gridbot_core::model::{Instrument, Symbol};
use gridbot_core::ExchangeError;
use serde::Serialize;

use super::BitgetExchange;
use crate::http::records::{ContractSpec, RiskTier};

/// The cached rules and tiers.
#[derive(Default)]
pub(crate) struct Cache {
    specs: RwLock<HashMap<Symbol, ContractSpec>>,
    tiers: RwLock<HashMap<Symbol, Vec<RiskTier>>>,
}

/// A contract's rules, its maintenance margin tiers and the instrument gridbot trades with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractDetails {
    /// The rules.
    pub spec: ContractSpec,
    /// The tiers, lowest first.
    pub tiers: Vec<RiskTier>,
    /// The instrument (rules + first tier's maintenance margin rate).
    pub instrument: Instrument,
}

impl BitgetExchange {
    /// Every USDT-M contract's rules (refreshes the cache).
    pub async fn contracts(&self) -> Result<Vec<ContractSpec>, ExchangeError> {
        let rest = self.public_rest().await?;
        let specs = crate::both!(rest, r => r.contracts().await)?;
        if let Ok(mut cache) = self.inner.cache.specs.write() {
            for s in &specs {
                cache.insert(s.symbol.clone(), s.clone());
            }
        }
        Ok(specs)
    }

    /// Symbols whose rules are cached (after [`BitgetExchange::contracts`]).
    pub fn cached_symbols(&self) -> Vec<Symbol> {
        let mut v: Vec<Symbol> = self
            .inner
            .cache
            .specs
            .read()
            .map(|c| c.keys().cloned().collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    async fn spec_of(&self, symbol: &Symbol) -> Result<ContractSpec, ExchangeError> {
        let cached = self.inner.cache.specs.read().ok().and_then(|c| c.get(symbol).cloned());
        if let Some(s) = cached {
            return Ok(s);
        }
        self.contracts()
            .await?
            .into_iter()
            .find(|s| &s.symbol == symbol)
            .ok_or_else(|| ExchangeError::UnknownSymbol(format!("{symbol} is not a Bitget USDT-M perpetual contract")))
    }

    /// The maintenance margin tiers of `symbol`, lowest first (cached).
    pub async fn tiers(&self, symbol: &Symbol) -> Result<Vec<RiskTier>, ExchangeError> {
        let cached = self.inner.cache.tiers.read().ok().and_then(|c| c.get(symbol).cloned());
        if let Some(t) = cached {
            return Ok(t);
        }
        let rest = self.public_rest().await?;
        let mut tiers = crate::both!(rest, r => r.tiers(symbol).await)?;
        tiers.sort_by_key(|t| t.tier);
        if tiers.is_empty() {
            return Err(ExchangeError::Protocol(format!(
                "Bitget listed no maintenance margin tiers for {symbol}"
            )));
        }
        if let Ok(mut c) = self.inner.cache.tiers.write() {
            c.insert(symbol.clone(), tiers.clone());
        }
        Ok(tiers)
    }

    /// The instrument of `symbol`: rules and the first tier's maintenance margin rate.
    pub(crate) async fn instrument_of(&self, symbol: &Symbol) -> Result<Instrument, ExchangeError> {
        let spec = self.spec_of(symbol).await?;
        let tiers = self.tiers(symbol).await?;
        spec.to_instrument(&tiers)
    }

    /// Rules, tiers and instrument of `symbol`.
    pub async fn contract_details(&self, symbol: &Symbol) -> Result<ContractDetails, ExchangeError> {
        let spec = self.spec_of(symbol).await?;
        let tiers = self.tiers(symbol).await?;
        let instrument = spec.to_instrument(&tiers)?;
        Ok(ContractDetails {
            spec,
            tiers,
            instrument,
        })
    }
}
