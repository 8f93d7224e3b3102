//! The paper venue's journal ([`gridbot_core::ports::VenueLoad`]): the
//! rules every store applies before it writes, and the in-memory table.
//!
//! The SQL stores keep two tables per database (`paper_venues`: one row per
//! venue with its claim and checkpoint; `paper_venue_entries`: the entries
//! after the checkpoint) and check the same rules inside the transaction
//! that writes.

use std::collections::BTreeMap;

use gridbot_core::ports::{VenueClaim, VenueEntry, VenueLoad};
use gridbot_core::StoreError;

/// The error for an append under a claim that is no longer the latest.
pub(crate) fn fenced(claim: &VenueClaim) -> StoreError {
    StoreError::VenueFenced {
        venue: claim.venue.clone(),
        owner: claim.owner.clone(),
        epoch: claim.epoch,
    }
}

/// What a venue's journal holds before an append: the stored checkpoint's
/// sequence number and the highest one stored, entries and checkpoint
/// alike.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stored {
    pub checkpoint: Option<i64>,
    pub last: Option<i64>,
}

/// Checks an append before anything is written: entries strictly
/// ascending and above everything stored, and a checkpoint that neither
/// claims entries beyond the last one it could include nor goes back below
/// the stored checkpoint (whose entries are gone: restoring from an older
/// checkpoint would lose them). A checkpoint at the stored one's sequence
/// number replaces it (a writer retrying the same state).
pub(crate) fn check_append(
    claim: &VenueClaim,
    stored: Stored,
    entries: &[VenueEntry],
    checkpoint: Option<&VenueEntry>,
) -> Result<(), StoreError> {
    let last_seq = stored.last;
    let mut prev = last_seq;
    for e in entries {
        if prev.is_some_and(|p| e.seq <= p) {
            return Err(StoreError::Conflict(format!(
                "paper venue {}: journal entry {} is not above the last stored entry {}",
                claim.venue,
                e.seq,
                prev.unwrap_or_default()
            )));
        }
        prev = Some(e.seq);
    }
    if let Some(c) = checkpoint {
        if prev.is_some_and(|p| c.seq > p) || (prev.is_none() && c.seq > 0) {
            return Err(StoreError::Conflict(format!(
                "paper venue {}: checkpoint {} covers entries that were never written (last {})",
                claim.venue,
                c.seq,
                prev.map_or_else(|| "none".to_owned(), |p| p.to_string())
            )));
        }
        if let Some(s) = stored.checkpoint.filter(|s| c.seq < *s) {
            return Err(StoreError::Conflict(format!(
                "paper venue {}: checkpoint {} is below the stored checkpoint {s}, whose entries are gone",
                claim.venue, c.seq
            )));
        }
    }
    Ok(())
}

/// One venue's journal in memory.
#[derive(Debug, Default, Clone)]
pub(crate) struct VenueJournalRow {
    owner: String,
    epoch: i64,
    checkpoint: Option<VenueEntry>,
    entries: BTreeMap<i64, Vec<u8>>,
}

impl VenueJournalRow {
    /// Claims the venue for `owner` with a new epoch and returns what the
    /// journal holds.
    pub(crate) fn open(&mut self, venue: &str, owner: &str) -> VenueLoad {
        self.owner = owner.to_owned();
        self.epoch += 1;
        VenueLoad {
            claim: VenueClaim {
                venue: venue.to_owned(),
                owner: owner.to_owned(),
                epoch: self.epoch,
            },
            checkpoint: self.checkpoint.clone(),
            entries: self
                .entries
                .iter()
                .map(|(seq, body)| VenueEntry {
                    seq: *seq,
                    body: body.clone(),
                })
                .collect(),
        }
    }

    /// Appends under `claim` (see `Store::append_venue`).
    pub(crate) fn append(
        &mut self,
        claim: &VenueClaim,
        entries: &[VenueEntry],
        checkpoint: Option<&VenueEntry>,
    ) -> Result<(), StoreError> {
        if self.owner != claim.owner || self.epoch != claim.epoch {
            return Err(fenced(claim));
        }
        let stored_checkpoint = self.checkpoint.as_ref().map(|c| c.seq);
        let stored = Stored {
            checkpoint: stored_checkpoint,
            last: self.entries.keys().next_back().copied().max(stored_checkpoint),
        };
        check_append(claim, stored, entries, checkpoint)?;
        for e in entries {
            self.entries.insert(e.seq, e.body.clone());
        }
        if let Some(c) = checkpoint {
            self.entries.retain(|seq, _| *seq > c.seq);
            self.checkpoint = Some(c.clone());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64) -> VenueEntry {
        VenueEntry {
            seq,
            body: vec![seq as u8],
        }
    }

    #[test]
    fn entries_must_ascend_above_what_is_stored() {
        let claim = VenueClaim {
            venue: "v".into(),
            owner: "o".into(),
            epoch: 1,
        };
        let last = |l: i64| Stored {
            checkpoint: None,
            last: Some(l),
        };
        let none = Stored::default();
        assert!(check_append(&claim, none, &[entry(1), entry(2)], None).is_ok());
        assert!(check_append(&claim, last(2), &[entry(2)], None).is_err());
        assert!(check_append(&claim, none, &[entry(3), entry(3)], None).is_err());
        assert!(check_append(&claim, last(5), &[entry(6)], Some(&entry(6))).is_ok());
        assert!(check_append(&claim, last(5), &[entry(6)], Some(&entry(7))).is_err());
        assert!(check_append(&claim, none, &[], Some(&entry(1))).is_err());
        // A checkpoint never goes back below the stored one; the same
        // sequence number again is a retry and replaces it.
        let at = |c: i64, l: i64| Stored {
            checkpoint: Some(c),
            last: Some(l),
        };
        assert!(check_append(&claim, at(6, 8), &[entry(9)], Some(&entry(5))).is_err());
        assert!(check_append(&claim, at(6, 8), &[], Some(&entry(6))).is_ok());
        assert!(check_append(&claim, at(6, 8), &[entry(9)], Some(&entry(9))).is_ok());
    }

    #[test]
    fn a_later_claim_fences_the_earlier_one_and_a_checkpoint_drops_what_it_covers() {
        let mut row = VenueJournalRow::default();
        let first = row.open("v", "a").claim;
        row.append(&first, &[entry(1), entry(2)], None).unwrap();
        let second = row.open("v", "a");
        assert_eq!(second.entries.len(), 2);
        assert!(matches!(
            row.append(&first, &[entry(3)], None),
            Err(StoreError::VenueFenced { .. })
        ));
        row.append(&second.claim, &[entry(3)], Some(&entry(3))).unwrap();
        let third = row.open("v", "b");
        assert_eq!(third.checkpoint, Some(entry(3)));
        assert!(third.entries.is_empty());
        assert_eq!(third.claim.epoch, 3);
    }
}
