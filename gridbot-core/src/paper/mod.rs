//! The paper exchange: a real matching engine for many accounts on one
//! shared price feed.
//!
//! A [`PaperExchange`] is the venue: instruments, the last price of each
//! symbol, settings ([`PaperConfig`]) and every account. Each
//! [`PaperAccount`] (from [`PaperExchange::open_account`]) is a cheap handle
//! that implements the [`crate::ports::Exchange`] port, so bots trade on paper
//! exactly as on a real exchange. The feed drives the venue:
//! [`PaperExchange::on_candle`] for closed candles and
//! [`PaperExchange::on_price`] for ticks. [`PaperExchange::snapshot`] and
//! [`PaperExchange::restore`] save and reload everything;
//! [`PaperExchange::open_journaled`] makes the venue durable in a store
//! (see "Durability").
//!
//! # Fill model
//!
//! These rules are what every paper fill and every backtest assumes
//! (the backtester uses the same functions, in [`fill_model`]).
//!
//! **The price walk.** Within a candle the price walks
//! open → low → high → close when close ≥ open, else open → high → low →
//! close. Before that it walks from the last known price to the open (a gap
//! between candles, or a jump between ticks, is walked like any other move).
//! A tick moves the price from the last price straight to the new one. The
//! points are stamped open time + 0 s, +20 s, +40 s and +59.999 s, and every
//! fill gets the time of the point that ends its segment.
//!
//! **Resting limit orders** fill completely, at their own limit price, as
//! maker (maker fee), when the walk touches them: a buy when the price is at
//! or below its limit, a sell when it is at or above. A jump past the limit
//! (a gap) still fills at the limit price, never at the better price beyond.
//! Along a walk, orders fill in the order the price reaches them (highest
//! buy first on the way down, lowest sell first on the way up, oldest first
//! within a price). There are no partial fills and no queue position: volume
//! is not modelled, a touch is enough.
//!
//! **Market orders** fill at once, completely, at the last price moved
//! against the taker by `slippage_bps` and snapped to the tick away from the
//! taker (buys up, sells down), paying the taker fee. With no last price yet
//! they are refused.
//!
//! **A limit order that crosses on placement** (a buy at or above the last
//! price, a sell at or below) fills at once as taker *at its own limit price*
//! (taker fee) — a conservative choice: no price improvement. A post-only
//! order that would cross is refused instead. IOC and FOK limit orders that
//! do not cross are cancelled unfilled (FOK = IOC, as fills are never
//! partial). With no last price yet nothing crosses: the order rests.
//!
//! **Reduce-only** orders are refused when the position is flat, on the same
//! side, or smaller than the order. If the position shrank before a resting
//! reduce-only order fills, it fills only what is left and the rest is
//! cancelled (or all of it, when the position is gone).
//!
//! # Margin (one-way positions, isolated margin, USDT)
//!
//! - Each symbol has a leverage (default [`PaperConfig::default_leverage`],
//!   changed with `set_leverage` while flat and without orders).
//! - Opening `q` at price `p` locks `q·p / leverage` as the position's
//!   margin; reducing releases margin pro rata; fees come from the wallet.
//! - Resting opening orders reserve `max(buy side, sell side) / leverage`,
//!   where a side's notional leaves out what would only close the opposite
//!   position.
//! - `used_margin` = positions' margin + orders' reserve; `equity` =
//!   wallet plus unrealised PnL; `available` = max(0, wallet − used_margin). An order
//!   whose new margin (and, for immediate fills, taker fee) exceeds
//!   `available` is refused with [`crate::ExchangeError::InsufficientBalance`].
//!
//! # Liquidation
//!
//! A position is liquidated when margin + unrealised PnL ≤ mmr × notional
//! (mmr = the instrument's maintenance margin rate), i.e. when the walk
//! reaches `(entry − margin/q) / (1 − mmr)` for a long of `q`, or
//! `(entry + margin/|q|) / (1 + mmr)` for a short. At that point (before any
//! order at the same price) every order on the symbol is cancelled and the
//! position is closed by a reduce-only market order (`liq-…` client id)
//! filled as taker at the liquidation price rounded to the tick against the
//! trader (longs down, shorts up), with `is_liquidation = true`. The fill's
//! fee is whatever margin is left after its realised loss, so the wallet
//! loses exactly the position's margin.
//!
//! # Rejections
//!
//! Unknown symbol, price or quantity off tick/lot, below the minimum quantity
//! or notional, insufficient margin, reduce-only that would increase or flip,
//! post-only that would cross — each a typed [`crate::ExchangeError`] naming
//! the value and the limit. A client order id already used returns the
//! existing order unchanged (idempotent placement); refused orders are not
//! remembered, so their id may be used again.
//!
//! # Events and fills
//!
//! Every accepted resting order, cancellation and fill sends events to the
//! account's `execution_events()` subscribers (a broadcast: each subscriber
//! gets every event). A subscriber that lags more than
//! [`PaperConfig::event_buffer`] events loses the oldest and receives
//! [`crate::model::ExecutionEvent::Gap`] in their place: it reconciles with
//! `fills_since`. A fill sends `Fill`, then `Order`, then `Position`. Fill
//! ids are `{account}-f{n}` where `n` is the account's fill sequence number;
//! the `fills_since` cursor is that number.
//!
//! # Durability
//!
//! A venue opened with [`PaperExchange::open_journaled`] keeps a journal in
//! the store ([`crate::ports::VenueLoad`]: a checkpoint plus entries,
//! claimed with a fencing epoch) and is as durable as an exchange: once it
//! told anyone that an order was accepted, cancelled or filled, that fact
//! survives kill -9 and power loss. Decisions:
//!
//! - **Entries are state deltas, never operations.** One entry is one
//!   commit: everything that changed since the previous one — the venue's
//!   time and every last price, new or changed instruments, the market
//!   feed's mark, and per changed account its deposit and wallet, every
//!   symbol's leverage, position and margin, the orders accepted or changed
//!   (by slot) and the fills appended (from their sequence number on). JSON.
//!   Applying an entry *sets* these values, so it is idempotent; nothing is
//!   re-executed on restore, and the fill model may change without
//!   invalidating a journal.
//! - **Restore** = the checkpoint ([`PaperSnapshot`]) plus the entries
//!   after it, in order; books, margin totals and indices are rebuilt from
//!   the open orders as for any snapshot. The restored venue equals the
//!   venue at its last commit: same orders, fills, wallets, positions, fill
//!   ids and sequence counters. The venue's settings ([`PaperConfig`]) are
//!   taken from the caller, not the journal.
//! - **Checkpoints**: a whole snapshot every
//!   [`JournalOptions::checkpoint_entries`] entries (default
//!   [`CHECKPOINT_ENTRIES`]) or [`JournalOptions::checkpoint_bytes`] bytes
//!   of entries (default [`CHECKPOINT_BYTES`]), written in the same append
//!   as the entry it covers (the store drops the covered entries). Opening
//!   an empty journal writes the first checkpoint at once.
//! - **Commit before telling.** No answer leaves a durable venue before the
//!   facts it shows are committed: every async [`crate::ports::Exchange`]
//!   method of a [`PaperAccount`] — `place_orders`, `cancel_*`,
//!   `set_leverage`, `close_position`, and the reads (`balance`,
//!   `position`, `open_orders`, `order`, `fills_since`) — waits until the
//!   commit that includes what it did or read. Fills made by a price step
//!   ([`PaperExchange::on_candle`], [`PaperExchange::on_price`]) are held
//!   back: their events wait in the account until the commit that includes
//!   them, and [`PaperAccount::fills`] shows only committed fills. The sync
//!   methods (`place_orders_sync`, `set_leverage_sync`, `balance_sync`,
//!   `position_sync`, [`PaperExchange::snapshot`]) do not wait; on a
//!   durable venue use the async ones (or [`PaperExchange::flush`]) before
//!   telling anyone.
//! - **Group commit.** One writer task per venue takes everything changed
//!   since its last entry, encodes it under the venue's lock and appends it
//!   in one `append_venue` call; callers wait on it. Whatever changes while
//!   an append is in flight goes into the next one, so a burst of bots'
//!   placements costs one transaction.
//! - **A failed or fenced append halts the venue.** When the store fails
//!   ([`crate::StoreError`], e.g. the database is down) or fences the
//!   append ([`crate::StoreError::VenueFenced`]: another process opened the
//!   venue), the venue stops: every order, cancel, leverage change, new
//!   account and price step is refused with
//!   [`crate::ExchangeError::Rejected`] code `venue_journal_failed` or
//!   `venue_fenced` naming the cause, and callers waiting for that commit
//!   get the same error. It never trades on with a state the journal does
//!   not hold; a restart continues from the last commit (what was lost was
//!   never told). [`PaperExchange::halted`] says why.
//! - **Fill ids never repeat**: they come from the journaled per-account
//!   fill sequence, and a fill that was not committed was never told, so
//!   the same fill made again after a restart reuses no id anyone saw.
//! - **The market's position** is journaled with the prices it published
//!   ([`PaperExchange::set_feed_mark`]): the simulated market resumes from
//!   it, never going back in time (see [`crate::feed::SimMarket::open`]).
//!   The replay market keeps no mark (it restarts from its file).
//! - A venue made with [`PaperExchange::new`] / `with_instruments` /
//!   `restore` keeps no journal and behaves as before, at the same speed
//!   (the tracking above is switched off).
//!
//! # Restarts from a snapshot
//!
//! [`PaperExchange::restore`] continues exactly where the snapshot left off
//! (same ids, same cursors): right when the snapshot is the venue's last
//! state, as a journal's is. A snapshot that may be older than what the
//! process did before it stopped (the JSON file earlier versions saved every
//! 30 s, imported once into the journal) is restored with
//! [`PaperExchange::restore_for_restart`] instead: each account starts a
//! new, labelled stretch of its fill sequence (ids `{account}-{label}-f{n}`,
//! cursors `{label}:{n}`), so no fill id of the lost stretch is reused and
//! no fill made after the restart hides behind a cursor from before it.
//! A journaled venue needs no labels: its restore is exact.

mod account;
pub mod accounts;
mod book;
mod config;
pub mod fill_model;
mod journal;
mod matching;
mod snapshot;
mod venue;

pub use accounts::{paper_account_id, PaperAccounts};
pub use book::{OrderBook, Slot};
pub use config::PaperConfig;
pub use journal::{JournalError, JournalOptions, JournalStart, CHECKPOINT_BYTES, CHECKPOINT_ENTRIES};
pub use snapshot::{AccountSnapshot, EpochSnapshot, PaperSnapshot, PriceSnapshot, SymbolSnapshot};
pub use venue::{PaperAccount, PaperExchange};
