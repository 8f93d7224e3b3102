//! The durable paper venue: its journal entries, how they are made and
//! applied, and the writer that commits them (the rules are "Durability"
//! in the [`crate::paper`] module docs).
//!
//! An entry ([`VenueDelta`], JSON) holds *state*, never operations: the
//! venue's time and last prices, new or changed instruments, the feed's
//! mark, and per changed account its wallet, every symbol's leverage,
//! position and margin, the orders accepted or changed (by slot) and the
//! fills appended (from their sequence number on). Applying an entry sets
//! those values, so applying it twice, or over a checkpoint that already
//! holds it, gives the same state. A checkpoint is a whole
//! [`PaperSnapshot`].

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, watch, Notify};

use super::account::AccountState;
use super::config::PaperConfig;
use super::snapshot::{AccountSnapshot, PaperSnapshot, PriceSnapshot, SymbolSnapshot};
use super::venue::{PaperExchange, Venue, VenueState};
use crate::error::{ExchangeError, StoreError};
use crate::model::{ExecutionEvent, Fill, Instrument, Order, TimestampMs};
use crate::ports::{Store, VenueClaim, VenueEntry};

/// Entries between two checkpoints, at most.
pub const CHECKPOINT_ENTRIES: usize = 2_000;
/// Bytes of entries between two checkpoints, at most.
pub const CHECKPOINT_BYTES: usize = 16 << 20;

/// How a durable venue is opened (see [`PaperExchange::open_journaled`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JournalOptions {
    /// The venue's name in the store (one database can keep several).
    pub venue: String,
    /// The claiming process: its stable runner name.
    pub owner: String,
    /// A checkpoint is written after this many entries…
    pub checkpoint_entries: usize,
    /// …or this many bytes of entries, whichever comes first.
    pub checkpoint_bytes: usize,
}

impl JournalOptions {
    /// Venue `venue` claimed by `owner`, with the default checkpoint
    /// spacing ([`CHECKPOINT_ENTRIES`], [`CHECKPOINT_BYTES`]).
    pub fn new(venue: impl Into<String>, owner: impl Into<String>) -> Self {
        JournalOptions {
            venue: venue.into(),
            owner: owner.into(),
            checkpoint_entries: CHECKPOINT_ENTRIES,
            checkpoint_bytes: CHECKPOINT_BYTES,
        }
    }

    /// The same options with another checkpoint spacing (at least 1 entry).
    pub fn with_checkpoint_every(mut self, entries: usize, bytes: usize) -> Self {
        self.checkpoint_entries = entries.max(1);
        self.checkpoint_bytes = bytes.max(1);
        self
    }
}

/// Why a durable venue could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The store failed, or keeps no venue journal
    /// ([`StoreError::Unsupported`]).
    #[error("paper venue journal: {0}")]
    Store(#[from] StoreError),
    /// The journal holds something this venue cannot read.
    #[error("paper venue journal {venue} is unreadable at entry {seq}: {message}")]
    Corrupt {
        /// The venue.
        venue: String,
        /// The entry (or checkpoint) sequence number.
        seq: i64,
        /// What is wrong.
        message: String,
    },
}

/// What opening a durable venue found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JournalStart {
    /// The journal was empty: a new venue (its first checkpoint written).
    Fresh,
    /// The journal was empty and the given snapshot became its first
    /// checkpoint.
    Imported,
    /// The venue was restored from its checkpoint and `entries` entries.
    Restored {
        /// Entries applied after the checkpoint.
        entries: usize,
    },
}

/// The venue-wide journal bookkeeping (under the venue's lock).
#[derive(Debug)]
pub(crate) struct JournalBook {
    /// Changes made so far (each mutation counts one).
    pub gen: u64,
    /// The generation the last entry encoded.
    pub encoded_gen: u64,
    pub prices_dirty: bool,
    pub instruments_dirty: bool,
    pub feed_dirty: bool,
    /// Set when an append failed or was fenced: nothing changes any more.
    pub halted: Option<ExchangeError>,
    pub next_seq: i64,
    pub entries_since_checkpoint: usize,
    pub bytes_since_checkpoint: usize,
    pub checkpoint_entries: usize,
    pub checkpoint_bytes: usize,
}

/// Where the writer stands, as callers waiting for a commit see it.
#[derive(Debug, Clone, Default)]
pub(crate) struct CommitStatus {
    committed: u64,
    halted: Option<ExchangeError>,
}

/// The link between a durable venue, its callers and its writer.
#[derive(Debug)]
pub(crate) struct Commits {
    /// Wakes the writer: something changed (or the venue was dropped).
    pub wake: Notify,
    status: watch::Sender<CommitStatus>,
}

impl Commits {
    fn new() -> Arc<Self> {
        Arc::new(Commits {
            wake: Notify::new(),
            status: watch::Sender::new(CommitStatus::default()),
        })
    }

    /// Waits until generation `gen` is committed; the halt's error when
    /// the journal stopped before.
    pub(crate) async fn wait(&self, gen: u64) -> Result<(), ExchangeError> {
        let mut rx = self.status.subscribe();
        let seen = rx
            .wait_for(|s| s.committed >= gen || s.halted.is_some())
            .await
            .map(|s| (s.committed, s.halted.clone()));
        match seen {
            Ok((committed, _)) if committed >= gen => Ok(()),
            Ok((_, Some(e))) => Err(e),
            _ => Err(journal_failed("the journal writer stopped")),
        }
    }
}

fn journal_failed(why: impl std::fmt::Display) -> ExchangeError {
    ExchangeError::Rejected {
        code: "venue_journal_failed".into(),
        message: format!(
            "the paper venue's journal could not be written ({why}); the venue trades no more \
             until the process restarts from its last committed state"
        ),
    }
}

/// The error every trade gets once an append failed or was fenced.
fn halt_error(e: &StoreError) -> ExchangeError {
    match e {
        StoreError::VenueFenced { venue, owner, epoch } => ExchangeError::Rejected {
            code: "venue_fenced".into(),
            message: format!(
                "paper venue {venue} was opened by another process (this process's claim, {owner} epoch {epoch}, \
                 is fenced); it trades no more here"
            ),
        },
        other => journal_failed(other),
    }
}

/// One journal entry: the state that changed since the previous entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct VenueDelta {
    /// The venue's time.
    now: TimestampMs,
    /// Every last price, when one changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    prices: Vec<PriceSnapshot>,
    /// Every instrument, when one was listed or changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    instruments: Vec<Instrument>,
    /// The feed's mark, when it moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    feed: Option<serde_json::Value>,
    /// The accounts that changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    accounts: Vec<AccountDelta>,
}

/// One account's new state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AccountDelta {
    id: String,
    deposited: rust_decimal::Decimal,
    wallet: rust_decimal::Decimal,
    /// Every symbol's leverage, position and margin.
    symbols: Vec<SymbolSnapshot>,
    /// Orders accepted or changed, by slot, ascending.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    orders: Vec<OrderAt>,
    /// Sequence index of the first fill in `fills`.
    fills_from: usize,
    /// Fills appended since the previous entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    fills: Vec<Fill>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct OrderAt {
    slot: u32,
    order: Order,
}

/// One commit in the making.
struct Batch {
    gen: u64,
    entry: VenueEntry,
    checkpoint: Option<VenueEntry>,
    /// Per account: the fill count this entry makes durable.
    fills: Vec<(String, usize)>,
    /// Events held back until this commit, per account.
    events: Vec<(broadcast::Sender<ExecutionEvent>, Vec<ExecutionEvent>)>,
}

impl AccountState {
    /// The account's delta since the last entry (resets the tracking).
    fn take_delta(&mut self) -> Option<(AccountDelta, Vec<ExecutionEvent>)> {
        let j = self.journal.as_mut()?;
        if !j.dirty && j.held.is_empty() {
            return None;
        }
        j.dirty = false;
        let mut slots = std::mem::take(&mut j.changed);
        slots.sort_unstable();
        slots.dedup();
        let fills_from = j.encoded_fills.min(self.fills.len());
        j.encoded_fills = self.fills.len();
        let held = std::mem::take(&mut j.held);
        let delta = AccountDelta {
            id: self.id.clone(),
            deposited: self.deposited,
            wallet: self.wallet,
            symbols: self.symbol_snapshots(),
            orders: slots
                .into_iter()
                .filter_map(|slot| {
                    self.orders.get(slot as usize).map(|e| OrderAt {
                        slot,
                        order: e.order.clone(),
                    })
                })
                .collect(),
            fills_from,
            fills: self.fills[fills_from..].to_vec(),
        };
        Some((delta, held))
    }
}

impl VenueState {
    /// The next commit: what changed since the last entry, encoded, with
    /// a checkpoint when one is due; `None` when nothing changed.
    fn take_batch(&mut self) -> Result<Option<Batch>, String> {
        let Some(j) = self.journal.as_ref() else {
            return Ok(None);
        };
        if j.gen == j.encoded_gen {
            return Ok(None);
        }
        let (gen, prices_dirty, instruments_dirty, feed_dirty) =
            (j.gen, j.prices_dirty, j.instruments_dirty, j.feed_dirty);
        let mut delta = VenueDelta {
            now: self.now,
            ..VenueDelta::default()
        };
        if prices_dirty {
            delta.prices = self.price_snapshots();
        }
        if instruments_dirty {
            delta.instruments = self.instrument_list();
        }
        if feed_dirty {
            delta.feed = self.feed.clone();
        }
        let mut fills = Vec::new();
        let mut events = Vec::new();
        for account in self.accounts.values_mut() {
            if let Some((d, held)) = account.take_delta() {
                fills.push((d.id.clone(), d.fills_from + d.fills.len()));
                if !held.is_empty() {
                    events.push((account.events.clone(), held));
                }
                delta.accounts.push(d);
            }
        }
        let body = serde_json::to_vec(&delta).map_err(|e| e.to_string())?;
        let snapshot_due = {
            let Some(j) = self.journal.as_mut() else {
                return Ok(None);
            };
            j.encoded_gen = gen;
            j.prices_dirty = false;
            j.instruments_dirty = false;
            j.feed_dirty = false;
            j.entries_since_checkpoint += 1;
            j.bytes_since_checkpoint += body.len();
            j.entries_since_checkpoint >= j.checkpoint_entries || j.bytes_since_checkpoint >= j.checkpoint_bytes
        };
        let checkpoint = if snapshot_due {
            Some(serde_json::to_vec(&self.snapshot_state()).map_err(|e| e.to_string())?)
        } else {
            None
        };
        let Some(j) = self.journal.as_mut() else {
            return Ok(None);
        };
        let seq = j.next_seq;
        j.next_seq += 1;
        if checkpoint.is_some() {
            j.entries_since_checkpoint = 0;
            j.bytes_since_checkpoint = 0;
        }
        Ok(Some(Batch {
            gen,
            entry: VenueEntry { seq, body },
            checkpoint: checkpoint.map(|body| VenueEntry { seq, body }),
            fills,
            events,
        }))
    }
}

/// Applies one entry to a snapshot being restored (idempotent).
fn apply(
    snap: &mut PaperSnapshot,
    accounts: &mut BTreeMap<String, AccountSnapshot>,
    d: VenueDelta,
) -> Result<(), String> {
    snap.now = snap.now.max(d.now);
    if !d.prices.is_empty() {
        snap.prices = d.prices;
    }
    if !d.instruments.is_empty() {
        snap.instruments = d.instruments;
    }
    if d.feed.is_some() {
        snap.feed = d.feed;
    }
    for a in d.accounts {
        let acc = accounts
            .entry(a.id.clone())
            .or_insert_with(|| AccountSnapshot::empty(a.id.clone(), a.deposited));
        acc.deposited = a.deposited;
        acc.wallet = a.wallet;
        acc.symbols = a.symbols;
        for OrderAt { slot, order } in a.orders {
            let slot = slot as usize;
            match slot.cmp(&acc.orders.len()) {
                std::cmp::Ordering::Less => acc.orders[slot] = order,
                std::cmp::Ordering::Equal => acc.orders.push(order),
                std::cmp::Ordering::Greater => {
                    return Err(format!(
                        "account {}: order slot {slot} follows {} orders",
                        a.id,
                        acc.orders.len()
                    ))
                }
            }
        }
        if a.fills_from > acc.fills.len() {
            return Err(format!(
                "account {}: fills from {} follow {} fills",
                a.id,
                a.fills_from,
                acc.fills.len()
            ));
        }
        acc.fills.truncate(a.fills_from);
        acc.fills.extend(a.fills);
    }
    Ok(())
}

/// The state a journal holds: its checkpoint with its entries applied
/// (`None` when the journal is empty).
pub(crate) fn replay(
    venue: &str,
    config: &PaperConfig,
    checkpoint: Option<&VenueEntry>,
    entries: &[VenueEntry],
) -> Result<Option<PaperSnapshot>, JournalError> {
    let corrupt = |seq: i64, message: String| JournalError::Corrupt {
        venue: venue.to_owned(),
        seq,
        message,
    };
    let mut snap = match checkpoint {
        Some(c) => serde_json::from_slice::<PaperSnapshot>(&c.body).map_err(|e| corrupt(c.seq, e.to_string()))?,
        None if entries.is_empty() => return Ok(None),
        None => PaperSnapshot::empty(config.clone()),
    };
    let mut accounts: BTreeMap<String, AccountSnapshot> = std::mem::take(&mut snap.accounts)
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    for e in entries {
        let d: VenueDelta = serde_json::from_slice(&e.body).map_err(|err| corrupt(e.seq, err.to_string()))?;
        apply(&mut snap, &mut accounts, d).map_err(|m| corrupt(e.seq, m))?;
    }
    snap.accounts = accounts.into_values().collect();
    Ok(Some(snap))
}

impl PaperExchange {
    /// Opens the durable venue `options.venue` from `store`'s journal,
    /// claiming it for `options.owner` (which fences any earlier claim):
    /// the venue continues from exactly its last committed state. With an
    /// empty journal it starts as `import` (a snapshot carried over, e.g.
    /// from an older JSON file) or fresh with `instruments`, and writes that
    /// as its first checkpoint before returning. `config` is the venue's
    /// settings either way; `instruments` missing from the journal are
    /// listed.
    ///
    /// From then on a writer task (spawned here: call inside a tokio
    /// runtime) commits the venue's changes; see "Durability" in the
    /// [`crate::paper`] docs. A store that keeps no journal answers
    /// [`JournalError::Store`]`(`[`StoreError::Unsupported`]`)`.
    pub async fn open_journaled(
        store: Arc<dyn Store>,
        options: JournalOptions,
        config: PaperConfig,
        instruments: Vec<Instrument>,
        import: Option<PaperSnapshot>,
    ) -> Result<(PaperExchange, JournalStart), JournalError> {
        let load = store.open_venue(&options.venue, &options.owner).await?;
        let last_seq = load
            .entries
            .last()
            .map(|e| e.seq)
            .max(load.checkpoint.as_ref().map(|c| c.seq))
            .unwrap_or(0);
        let restored = replay(&options.venue, &config, load.checkpoint.as_ref(), &load.entries)?;
        let (snapshot, start) = match (restored, import) {
            (Some(s), _) => (
                s,
                JournalStart::Restored {
                    entries: load.entries.len(),
                },
            ),
            (None, Some(s)) => (s, JournalStart::Imported),
            (None, None) => (PaperSnapshot::empty(config.clone()), JournalStart::Fresh),
        };
        let mut snapshot = snapshot;
        snapshot.config = config;
        for i in instruments {
            if !snapshot.instruments.iter().any(|x| x.symbol == i.symbol) {
                snapshot.instruments.push(i);
            }
        }
        let seq_err = |message: String| JournalError::Corrupt {
            venue: options.venue.clone(),
            seq: last_seq,
            message,
        };
        let mut state = PaperExchange::restore_state(snapshot).map_err(|e| seq_err(e.to_string()))?;
        for account in state.accounts.values_mut() {
            account.start_journal();
        }
        state.journal = Some(JournalBook {
            gen: 0,
            encoded_gen: 0,
            prices_dirty: false,
            instruments_dirty: false,
            feed_dirty: false,
            halted: None,
            next_seq: last_seq + 1,
            entries_since_checkpoint: load.entries.len(),
            bytes_since_checkpoint: load.entries.iter().map(|e| e.body.len()).sum(),
            checkpoint_entries: options.checkpoint_entries.max(1),
            checkpoint_bytes: options.checkpoint_bytes.max(1),
        });
        if !matches!(start, JournalStart::Restored { .. }) {
            // The first checkpoint holds the settings and whatever was imported.
            let body = serde_json::to_vec(&state.snapshot_state()).map_err(|e| seq_err(e.to_string()))?;
            let seq = last_seq + 1;
            let entry = VenueEntry {
                seq,
                body: serde_json::to_vec(&VenueDelta {
                    now: state.now,
                    ..VenueDelta::default()
                })
                .map_err(|e| seq_err(e.to_string()))?,
            };
            store
                .append_venue(
                    &load.claim,
                    std::slice::from_ref(&entry),
                    Some(VenueEntry { seq, body }),
                )
                .await?;
            if let Some(j) = state.journal.as_mut() {
                j.next_seq = seq + 1;
                j.entries_since_checkpoint = 0;
                j.bytes_since_checkpoint = 0;
            }
        }
        let commits = Commits::new();
        let venue = Venue::with_commits(state, commits.clone());
        tokio::spawn(write_loop(Arc::downgrade(&venue), commits, store, load.claim));
        Ok((PaperExchange::from_venue(venue), start))
    }
}

/// The writer: commits whatever changed, one entry per round (group
/// commit: every change made while an append is in flight goes into the
/// next one), then lets the waiting callers and the held events go.
async fn write_loop(venue: Weak<Venue>, commits: Arc<Commits>, store: Arc<dyn Store>, claim: VenueClaim) {
    loop {
        commits.wake.notified().await;
        loop {
            let Some(strong) = venue.upgrade() else {
                return;
            };
            let batch = strong.lock().take_batch();
            drop(strong);
            let batch = match batch {
                Ok(Some(b)) => b,
                Ok(None) => break,
                Err(e) => {
                    halt(&venue, &commits, journal_failed(format!("entry not encoded: {e}")));
                    return;
                }
            };
            let appended = store
                .append_venue(&claim, std::slice::from_ref(&batch.entry), batch.checkpoint)
                .await;
            if let Err(e) = appended {
                tracing::error!(venue = %claim.venue, error = %e, "paper venue journal append failed; the venue stops trading");
                halt(&venue, &commits, halt_error(&e));
                return;
            }
            if let Some(strong) = venue.upgrade() {
                let mut st = strong.lock();
                for (id, n) in &batch.fills {
                    if let Some(j) = st.accounts.get_mut(id).and_then(|a| a.journal.as_mut()) {
                        j.committed_fills = j.committed_fills.max(*n);
                    }
                }
            }
            for (tx, events) in batch.events {
                for e in events {
                    // No receiver left: nobody to tell.
                    let _ = tx.send(e);
                }
            }
            commits.status.send_modify(|s| s.committed = s.committed.max(batch.gen));
        }
    }
}

fn halt(venue: &Weak<Venue>, commits: &Commits, err: ExchangeError) {
    if let Some(strong) = venue.upgrade() {
        if let Some(j) = strong.lock().journal.as_mut() {
            j.halted = Some(err.clone());
        }
    }
    commits.status.send_modify(|s| s.halted = Some(err));
}
