//! Saving and restoring a whole paper venue.
//!
//! A [`PaperSnapshot`] holds everything that decides the venue's future:
//! settings, instruments, last prices, and per account the wallet, each
//! symbol's leverage, position and margin, every order ever accepted (in
//! acceptance order) and every fill. Books, margin totals and indices are
//! rebuilt from the open orders on restore, so a restored venue continues
//! exactly as the original would (same fills, ids and events).

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::account::{AccountState, FillEpoch, OrderEntry, SymbolState};
use super::book::Slot;
use super::config::PaperConfig;
use super::fill_model::to_ticks;
use super::venue::{PaperExchange, PricePoint, VenueState};
use crate::error::ExchangeError;
use crate::model::{Fill, Instrument, NetPosition, Order, OrderKind, Symbol, TimestampMs};

/// A serialisable copy of a venue's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PaperSnapshot {
    /// Venue settings.
    pub config: PaperConfig,
    /// Listed instruments, by symbol.
    pub instruments: Vec<Instrument>,
    /// Last prices, by symbol.
    pub prices: Vec<PriceSnapshot>,
    /// The venue's time.
    pub now: TimestampMs,
    /// Accounts, by id.
    pub accounts: Vec<AccountSnapshot>,
    /// Where the market feeding the venue stood (see
    /// [`PaperExchange::set_feed_mark`]); absent in earlier snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feed: Option<serde_json::Value>,
}

impl PaperSnapshot {
    /// A venue with nothing in it yet.
    pub fn empty(config: PaperConfig) -> Self {
        PaperSnapshot {
            config,
            instruments: Vec::new(),
            prices: Vec::new(),
            now: 0,
            accounts: Vec::new(),
            feed: None,
        }
    }
}

impl AccountSnapshot {
    /// A new account holding its deposit.
    pub fn empty(id: String, deposited: Decimal) -> Self {
        AccountSnapshot {
            id,
            deposited,
            wallet: deposited,
            symbols: Vec::new(),
            orders: Vec::new(),
            fills: Vec::new(),
            epochs: Vec::new(),
        }
    }
}

/// A symbol's last price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PriceSnapshot {
    /// The contract.
    pub symbol: Symbol,
    /// Last price.
    pub price: Decimal,
    /// When it was seen.
    pub ts: TimestampMs,
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccountSnapshot {
    /// Account id.
    pub id: String,
    /// Initial deposit, USDT.
    pub deposited: Decimal,
    /// Wallet balance (deposit + realised PnL − fees), USDT.
    pub wallet: Decimal,
    /// Per-symbol leverage, position and margin, by symbol.
    pub symbols: Vec<SymbolSnapshot>,
    /// Every order accepted, oldest first.
    pub orders: Vec<Order>,
    /// Every fill, oldest first (the cursor is the position in this list).
    pub fills: Vec<Fill>,
    /// Restarts of the fill sequence (see [`PaperExchange::restore_for_restart`]),
    /// oldest first; absent in snapshots of earlier versions.
    #[serde(default)]
    pub epochs: Vec<EpochSnapshot>,
}

/// A restart of an account's fill sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EpochSnapshot {
    /// The restart's label (part of its fill ids and cursors).
    pub label: String,
    /// Position in the fill list of the restart's first fill.
    pub start: usize,
}

/// One symbol of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SymbolSnapshot {
    /// The contract.
    pub symbol: Symbol,
    /// Leverage.
    pub leverage: u32,
    /// Net position.
    pub position: NetPosition,
    /// Isolated margin of the position, USDT.
    pub margin: Decimal,
}

impl VenueState {
    /// Every last price, by symbol.
    pub(crate) fn price_snapshots(&self) -> Vec<PriceSnapshot> {
        let mut prices: Vec<PriceSnapshot> = self
            .prices
            .iter()
            .map(|(s, p)| PriceSnapshot {
                symbol: s.clone(),
                price: p.price,
                ts: p.ts,
            })
            .collect();
        prices.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        prices
    }

    /// Every instrument, by symbol.
    pub(crate) fn instrument_list(&self) -> Vec<Instrument> {
        let mut instruments: Vec<Instrument> = self.instruments.values().cloned().collect();
        instruments.sort_by(|a, b| a.symbol.cmp(&b.symbol));
        instruments
    }

    /// A copy of the whole state.
    pub(crate) fn snapshot_state(&self) -> PaperSnapshot {
        let accounts = self
            .accounts
            .values()
            .map(|a| AccountSnapshot {
                id: a.id.clone(),
                deposited: a.deposited,
                wallet: a.wallet,
                symbols: a.symbol_snapshots(),
                orders: a.orders.iter().map(|e| e.order.clone()).collect(),
                fills: a.fills.clone(),
                epochs: a
                    .epochs
                    .iter()
                    .map(|e| EpochSnapshot {
                        label: e.label.clone(),
                        start: e.start,
                    })
                    .collect(),
            })
            .collect();
        PaperSnapshot {
            config: self.config.clone(),
            instruments: self.instrument_list(),
            prices: self.price_snapshots(),
            now: self.now,
            accounts,
            feed: self.feed.clone(),
        }
    }
}

impl AccountState {
    /// Every symbol's leverage, position and margin, by symbol.
    pub(crate) fn symbol_snapshots(&self) -> Vec<SymbolSnapshot> {
        self.symbols
            .iter()
            .map(|(s, st)| SymbolSnapshot {
                symbol: s.clone(),
                leverage: st.leverage,
                position: st.position,
                margin: st.margin,
            })
            .collect()
    }
}

impl PaperExchange {
    /// A copy of the whole venue's state (on a durable venue, including
    /// changes not committed yet).
    pub fn snapshot(&self) -> PaperSnapshot {
        self.venue().lock().snapshot_state()
    }

    /// A new venue in the state of `snapshot`. Refuses a snapshot whose open
    /// orders name an unlisted symbol or lie off their tick.
    pub fn restore(snapshot: PaperSnapshot) -> Result<PaperExchange, ExchangeError> {
        Ok(PaperExchange::from_state(Self::restore_state(snapshot)?))
    }

    /// The state of `snapshot` (see [`PaperExchange::restore`]).
    pub(crate) fn restore_state(snapshot: PaperSnapshot) -> Result<VenueState, ExchangeError> {
        let instruments: HashMap<Symbol, Instrument> = snapshot
            .instruments
            .into_iter()
            .map(|i| (i.symbol.clone(), i))
            .collect();
        let prices = snapshot
            .prices
            .into_iter()
            .map(|p| {
                (
                    p.symbol,
                    PricePoint {
                        price: p.price,
                        ts: p.ts,
                    },
                )
            })
            .collect();
        let mut accounts = BTreeMap::new();
        for a in snapshot.accounts {
            let account = restore_account(a, &instruments, snapshot.config.event_buffer)?;
            accounts.insert(account.id.clone(), account);
        }
        Ok(VenueState {
            config: snapshot.config,
            instruments,
            prices,
            now: snapshot.now,
            accounts,
            feed: snapshot.feed,
            journal: None,
        })
    }
}

impl PaperExchange {
    /// Like [`PaperExchange::restore`], for a process that starts again from
    /// a snapshot that may be older than what it did before it stopped (a
    /// crash between two saves). The snapshot knows nothing of the fills
    /// made after it, but the bots that booked them do, with their fill ids
    /// and cursors. So every account starts a new stretch of its fill
    /// sequence, named `label`:
    /// - new fill ids are `{account}-{label}-f{n}`, never equal to an id of
    ///   the lost stretch (which had another label or none);
    /// - cursors are `{label}:{n}`; a cursor of an earlier stretch, or of a
    ///   stretch that was never saved, counts only the fills it shares with
    ///   today's sequence, so every fill made since the restart is returned
    ///   by `fills_since` and none is skipped.
    ///
    /// `label` must be new to the snapshot, non-empty and ASCII letters and
    /// digits only (for example the start time in milliseconds, `r{ms}`).
    /// Fills booked by bots after the snapshot stay booked: the paper wallet
    /// does not have them (see the facade's venue docs).
    pub fn restore_for_restart(snapshot: PaperSnapshot, label: &str) -> Result<PaperExchange, ExchangeError> {
        if label.is_empty() || !label.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ExchangeError::Rejected {
                code: "invalid_label".into(),
                message: format!("restart label must be non-empty ASCII letters and digits, got {label:?}"),
            });
        }
        if snapshot
            .accounts
            .iter()
            .any(|a| a.epochs.iter().any(|e| e.label == label))
        {
            return Err(ExchangeError::Rejected {
                code: "invalid_label".into(),
                message: format!("restart label {label:?} was used before; pick a new one"),
            });
        }
        let venue = PaperExchange::restore(snapshot)?;
        {
            let mut st = venue.venue().lock();
            for account in st.accounts.values_mut() {
                let start = account.fills.len();
                account.epochs.push(FillEpoch {
                    label: label.to_owned(),
                    start,
                });
            }
        }
        Ok(venue)
    }
}

fn restore_account(
    a: AccountSnapshot,
    instruments: &HashMap<Symbol, Instrument>,
    event_buffer: usize,
) -> Result<AccountState, ExchangeError> {
    let mut account = AccountState::new(a.id, a.deposited, event_buffer);
    account.wallet = a.wallet;
    for s in a.symbols {
        let inst = instruments
            .get(&s.symbol)
            .ok_or_else(|| ExchangeError::UnknownSymbol(s.symbol.to_string()))?;
        let mut st = SymbolState::new(s.leverage);
        st.position = s.position;
        st.margin = s.margin;
        st.refresh_liq(inst.maint_margin_rate);
        account.symbols.insert(s.symbol, st);
    }
    for (i, order) in a.orders.into_iter().enumerate() {
        let slot = Slot::try_from(i).map_err(|_| ExchangeError::Protocol("too many orders in snapshot".into()))?;
        let mut ticks = 0;
        if order.status.is_open() && order.kind == OrderKind::Limit {
            let inst = instruments
                .get(&order.symbol)
                .ok_or_else(|| ExchangeError::UnknownSymbol(order.symbol.to_string()))?;
            let price = order.price.unwrap_or_default();
            ticks = to_ticks(price, inst.tick_size).ok_or_else(|| {
                ExchangeError::Precision(format!(
                    "snapshot order {} price {price} is off the tick {}",
                    order.client_id, inst.tick_size
                ))
            })?;
            account.ensure_symbol(&order.symbol, inst.max_leverage.min(10));
            if let Some(st) = account.symbols.get_mut(&order.symbol) {
                st.book.insert(order.side, ticks, slot);
                if !order.reduce_only {
                    st.count_order(order.side, price, order.remaining_qty(), Decimal::ONE);
                }
            }
        }
        account.by_client.insert(order.client_id.clone(), slot);
        account.orders.push(OrderEntry { order, ticks });
    }
    account.fills = a.fills;
    account.epochs = a
        .epochs
        .into_iter()
        .map(|e| FillEpoch {
            label: e.label,
            start: e.start,
        })
        .collect();
    Ok(account)
}
