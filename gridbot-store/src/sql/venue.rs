//! The paper venue's journal ([`gridbot_core::ports::VenueLoad`]) in two
//! tables: `paper_venues` (per venue its claim — owner and fencing epoch —
//! and the latest checkpoint) and `paper_venue_entries` (the entries above
//! that checkpoint, primary key `(venue, seq)`).
//!
//! [`SqlStore::open_venue`] is one write transaction: an upsert that
//! creates the venue's row or moves its epoch on (and names the new
//! owner), returning the new epoch and the checkpoint, then the entries in
//! `seq` order.
//!
//! [`SqlStore::append_venue`] is one write transaction whose first
//! statement is the fence: the venue's row with the claim's owner and
//! epoch, else [`gridbot_core::StoreError::VenueFenced`] and nothing is
//! written. The same statement reads the highest stored sequence number
//! (checkpoint and entries alike), against which
//! [`crate::venue::check_append`] judges the append before anything is
//! written; then the entries go in as multi-row inserts (at most
//! [`CHUNK`] rows a statement) and a checkpoint replaces the stored one
//! and deletes the entries it covers.
//!
//! Concurrency:
//! - **SQLite**: both run under `BEGIN IMMEDIATE`, so they are serialised
//!   with every other writer, in this pool, another pool or another
//!   process on the same file.
//! - **PostgreSQL**: the venue's row serialises them. The open's upsert
//!   locks it (two first opens of one venue meet on its primary key, and
//!   the second moves the epoch the first made); the append reads it
//!   `FOR UPDATE`, so an open waits for an append in flight to commit (and
//!   then reads its entries), and an append that waited for an open
//!   re-reads the row and finds its epoch gone: fenced.
//!
//! # Durability on SQLite: `synchronous = NORMAL` for the journal
//!
//! On a SQLite file the journal runs on a pool of its own whose
//! connections commit with `synchronous = NORMAL` (everything else keeps
//! `FULL`). Decision, and why it keeps the venue exact:
//! - **kill -9**: a `NORMAL` commit in WAL mode has written its frames to
//!   the WAL file before it returns; the OS keeps them when the process
//!   dies, so the next open reads them (the crash test kills a writer
//!   mid-step and checks the journal).
//! - **power loss**: the database stays consistent (SQLite's guarantee for
//!   WAL with `NORMAL`), and what can be lost is a suffix of the WAL: the
//!   commits after the last `fsync`. The WAL is one ordered log for every
//!   table, and every `FULL` commit (a bot booking a fill, a status
//!   change, any other write of the store) and every checkpoint `fsync`s
//!   it — the journal's earlier frames included. The venue journals a fact
//!   before telling a trader, so whatever a trader durably wrote about a
//!   fill has the fill's journal entry durable before it: power loss rolls
//!   the venue and the bots back to the same moment together, and no fill
//!   is booked that the venue forgot, nor replayed under a new id. What it
//!   may take back is the venue's last steps that nothing durable followed
//!   (no bot booked them).
//! - **cost**: with `FULL`, the `fsync` of a step's frames is what a
//!   durable step spends most of its time on. `store/venue_journal_*` in
//!   `benches/store.rs`, 2-core VM shared with other builds (2026-12-06):
//!
//!   | step | `FULL` | `NORMAL` |
//!   |------|--------|----------|
//!   | 1,000 accounts' fills (0.5 MB), load 7–8 | 9.5 ms | 3.6 ms |
//!   | the same, load 11–12 (A/B back to back) | 7.0; 6.2 ms | 6.6; 3.7 ms |
//!   | one fill (677 bytes), load 11–12 | 1.9; 1.1 ms | 0.32; 0.31 ms |
//!
//!   Target: 5 ms a 1,000-account step. Under load 11–12 the `NORMAL`
//!   step stayed at 6.3–7.0 ms even with WAL checkpoints switched off, so
//!   there the rest is the machine (CPU and disk shared with the builds),
//!   not the sync setting or the checkpoint cadence: writing 512 KiB with
//!   `O_DSYNC` took 4–6 ms on that disk then. SQLite's automatic
//!   checkpoints (every 1,000 WAL pages, about 8 such steps) stay on.
//!
//! PostgreSQL commits with the server's settings (`synchronous_commit` on
//! by default: every commit is flushed).

use gridbot_core::ports::{VenueClaim, VenueEntry, VenueLoad};
use gridbot_core::StoreError;

use super::trading::{values, Tx, CHUNK};
use super::{db_err, Dialect, SqlStore};
use crate::venue::{check_append, fenced, Stored};

impl SqlStore {
    pub(crate) async fn open_venue(&self, venue: &str, owner: &str) -> Result<VenueLoad, StoreError> {
        let mut tx = self.begin_write_on(&self.venue_pool).await?;
        let (epoch, checkpoint_seq, checkpoint): (i64, Option<i64>, Option<Vec<u8>>) = sqlx::query_as(
            "INSERT INTO paper_venues (venue, owner, epoch) VALUES ($1, $2, 1) \
             ON CONFLICT (venue) DO UPDATE SET owner = excluded.owner, epoch = paper_venues.epoch + 1 \
             RETURNING epoch, checkpoint_seq, checkpoint",
        )
        .bind(venue)
        .bind(owner)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let checkpoint = match (checkpoint_seq, checkpoint) {
            (Some(seq), Some(body)) => Some(VenueEntry { seq, body }),
            (None, None) => None,
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "paper_venues row of venue {venue:?} has a checkpoint sequence number without a checkpoint \
                     or the other way round; restore the database from a backup"
                )))
            }
        };
        let rows: Vec<(i64, Vec<u8>)> =
            sqlx::query_as("SELECT seq, body FROM paper_venue_entries WHERE venue = $1 AND seq > $2 ORDER BY seq")
                .bind(venue)
                .bind(checkpoint_seq.unwrap_or(i64::MIN))
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(VenueLoad {
            claim: VenueClaim {
                venue: venue.to_owned(),
                owner: owner.to_owned(),
                epoch,
            },
            checkpoint,
            entries: rows.into_iter().map(|(seq, body)| VenueEntry { seq, body }).collect(),
        })
    }

    pub(crate) async fn append_venue(
        &self,
        claim: &VenueClaim,
        entries: &[VenueEntry],
        checkpoint: Option<VenueEntry>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write_on(&self.venue_pool).await?;
        let stored = self.fence_venue(&mut tx, claim).await?;
        check_append(claim, stored, entries, checkpoint.as_ref())?;
        for chunk in entries.chunks(CHUNK) {
            let sql = format!(
                "INSERT INTO paper_venue_entries (venue, seq, body) VALUES {}",
                values(self.dialect, chunk.len(), &["", "", ""])
            );
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q.bind(claim.venue.as_str()).bind(e.seq).bind(e.body.as_slice());
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        if let Some(c) = checkpoint {
            sqlx::query("UPDATE paper_venues SET checkpoint_seq = $1, checkpoint = $2 WHERE venue = $3")
                .bind(c.seq)
                .bind(c.body)
                .bind(claim.venue.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            sqlx::query("DELETE FROM paper_venue_entries WHERE venue = $1 AND seq <= $2")
                .bind(claim.venue.as_str())
                .bind(c.seq)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    /// The fence of an append (module docs): the venue's row under
    /// `claim`, held until `tx` ends, and what is stored for the venue
    /// (its checkpoint's and its highest sequence number);
    /// [`StoreError::VenueFenced`] when `claim` is no longer the latest.
    async fn fence_venue(&self, tx: &mut Tx, claim: &VenueClaim) -> Result<Stored, StoreError> {
        let lock = match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        };
        let row: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(&format!(
            "SELECT checkpoint_seq, (SELECT MAX(seq) FROM paper_venue_entries e WHERE e.venue = v.venue) \
             FROM paper_venues v WHERE venue = $1 AND owner = $2 AND epoch = $3{lock}"
        ))
        .bind(claim.venue.as_str())
        .bind(claim.owner.as_str())
        .bind(claim.epoch)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?;
        let (checkpoint_seq, max_entry) = row.ok_or_else(|| fenced(claim))?;
        Ok(Stored {
            checkpoint: checkpoint_seq,
            last: checkpoint_seq.max(max_entry),
        })
    }
}
