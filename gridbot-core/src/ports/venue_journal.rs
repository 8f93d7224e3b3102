//! The paper venue's journal: how a paper exchange survives kill -9.
//!
//! A paper venue (`crate::paper`) is an exchange that lives in this
//! process's memory. To be as durable as a real exchange, every fact it
//! tells a trader (an order accepted or cancelled, a fill, the market's
//! time and prices) is first committed to its journal, kept by the
//! [`crate::ports::Store`] in the venue's own tables of the same database
//! as the bots.
//!
//! The journal is a checkpoint plus the entries written after it:
//! - an entry ([`VenueEntry`]) is one commit of the venue: everything that
//!   changed since the previous entry, in the venue's own encoding (the
//!   store keeps the bytes and never looks inside);
//! - entries carry strictly increasing sequence numbers;
//! - from time to time the venue writes a checkpoint (its whole state, with
//!   the sequence number of the last entry it covers); the store then drops
//!   the entries the checkpoint covers, in the same transaction.
//!
//! Reopening reads the checkpoint and the entries after it, in order: the
//! venue applies them and continues from exactly its last committed state.
//!
//! # One writer
//!
//! A venue has one writer at a time, fenced like a bot's lease: each
//! [`crate::ports::Store::open_venue`] claims the venue with a new epoch
//! ([`VenueClaim`]), and an append made under an older claim fails with
//! [`crate::StoreError::VenueFenced`] and writes nothing. A process that
//! restarts claims its venue again; a second process opening the same
//! venue fences the first (whose venue then refuses to trade rather than
//! diverge).

/// A process's claim on a venue's journal; appends are accepted only under
/// the latest claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueClaim {
    /// The venue's name (one database can keep several venues).
    pub venue: String,
    /// The claiming process (its stable runner name).
    pub owner: String,
    /// The fencing epoch: one more than the previous claim's.
    pub epoch: i64,
}

/// One journal entry or checkpoint: a sequence number and the venue's
/// bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueEntry {
    /// Strictly increasing within a venue; a checkpoint carries the
    /// sequence number of the last entry it includes.
    pub seq: i64,
    /// The venue's own encoding.
    pub body: Vec<u8>,
}

/// What [`crate::ports::Store::open_venue`] finds: the new claim, the
/// latest checkpoint and the entries after it, by sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueLoad {
    /// The claim to append under.
    pub claim: VenueClaim,
    /// The latest checkpoint, if one was written.
    pub checkpoint: Option<VenueEntry>,
    /// Entries with a sequence number above the checkpoint's, ascending.
    pub entries: Vec<VenueEntry>,
}
