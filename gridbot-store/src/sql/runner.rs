//! Runner leases, fenced bot writes and the installation tag.
//!
//! Leases follow [`crate::fence`]'s rules, each in one statement, with
//! expiry judged by the database's clock (`{now}`, [`Dialect::now_ms`]):
//! - take or renew: insert, or on conflict take the row over when it is
//!   ours or lapsed, keeping the epoch only when it was ours and live —
//!   `RETURNING epoch`, nothing when another owner's live lease stays;
//! - release: lapse the row (`expires_at = 0`) when it still has the
//!   lease's owner and epoch; the epoch stays for the next taker to move.
//!
//! [`SqlStore::write_bot`] is one write transaction:
//! 1. the lease check: the lease row with the lease's owner and epoch, not
//!    expired by the database's clock, else [`StoreError::LeaseLost`].
//!    PostgreSQL reads it `FOR SHARE`: a take-over (an update of that row)
//!    waits until this transaction ends, and a write that begins after a
//!    take-over committed sees the new epoch. SQLite's `BEGIN IMMEDIATE`
//!    already keeps every other writer out until the commit;
//! 2. the bot's row (its status), locked on PostgreSQL like
//!    [`SqlStore::insert_fills`] does, so bookings and status changes of
//!    one bot run one at a time;
//! 3. the writes, in [`BotWrites`]' order, through the same code as the
//!    single-purpose methods; any refusal drops the transaction.

use gridbot_core::model::{BotId, IdTag, TimestampMs};
use gridbot_core::ports::{BotWrites, BotWritten, Lease};
use gridbot_core::StoreError;

use super::errors::is_fk_violation;
use super::trading::Tx;
use super::{db_err, Dialect, SqlStore};
use crate::batch::dedupe_fills;
use crate::fence::{check_own_rows, check_ttl, lease_lost, RELEASED_AT};
use crate::guard::check_status_change;

impl SqlStore {
    pub(crate) async fn acquire_lease(
        &self,
        bot_id: BotId,
        owner: &str,
        ttl_ms: i64,
    ) -> Result<Option<Lease>, StoreError> {
        check_ttl(bot_id, ttl_ms)?;
        let row: Option<(i64,)> = sqlx::query_as(&self.sql(
            "INSERT INTO runner_leases (bot_id, owner, expires_at, epoch) VALUES ($1, $2, {now} + $3, 1) \
             ON CONFLICT (bot_id) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at, \
             epoch = CASE WHEN runner_leases.owner = excluded.owner AND runner_leases.expires_at > {now} \
             THEN runner_leases.epoch ELSE runner_leases.epoch + 1 END \
             WHERE runner_leases.owner = excluded.owner OR runner_leases.expires_at <= {now} \
             RETURNING epoch",
        ))
        .bind(bot_id.0)
        .bind(owner)
        .bind(ttl_ms)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| {
            if is_fk_violation(&e) {
                StoreError::NotFound(format!("bot {bot_id}"))
            } else {
                db_err(e)
            }
        })?;
        Ok(row.map(|(epoch,)| Lease {
            bot_id,
            owner: owner.to_owned(),
            epoch,
        }))
    }

    pub(crate) async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError> {
        sqlx::query("UPDATE runner_leases SET expires_at = $1 WHERE bot_id = $2 AND owner = $3 AND epoch = $4")
            .bind(RELEASED_AT)
            .bind(lease.bot_id.0)
            .bind(lease.owner.as_str())
            .bind(lease.epoch)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Refuses with [`StoreError::LeaseLost`] unless `lease` holds its bot
    /// (module docs: how the check keeps take-overs out until `tx` ends).
    async fn check_lease(&self, tx: &mut Tx, lease: &Lease) -> Result<(), StoreError> {
        let lock = match self.dialect {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR SHARE",
        };
        let held: Option<(i64,)> = sqlx::query_as(&self.sql(&format!(
            "SELECT epoch FROM runner_leases \
             WHERE bot_id = $1 AND owner = $2 AND epoch = $3 AND expires_at > {{now}}{lock}"
        )))
        .bind(lease.bot_id.0)
        .bind(lease.owner.as_str())
        .bind(lease.epoch)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db_err)?;
        held.map(|_| ()).ok_or_else(|| lease_lost(lease))
    }

    pub(crate) async fn write_bot(
        &self,
        lease: &Lease,
        writes: &BotWrites,
        now: TimestampMs,
    ) -> Result<BotWritten, StoreError> {
        check_own_rows(lease, writes)?;
        let bot = lease.bot_id;
        let mut tx = self.begin_write().await?;
        self.check_lease(&mut tx, lease).await?;
        let status = self.bot_status_in(&mut tx, bot, true).await?;
        if !writes.orders.is_empty() {
            self.write_orders(&mut tx, &writes.orders).await?;
        }
        let new_fills = self.book_fills(&mut tx, bot, &dedupe_fills(&writes.fills)).await?;
        if let Some(engine) = &writes.engine {
            self.write_engine(&mut *tx, bot, &engine.state, engine.fill_cursor.clone(), now)
                .await?;
        }
        if let Some(stats) = &writes.stats {
            self.write_stats(&mut *tx, bot, stats, now).await?;
        }
        if !writes.equity.is_empty() {
            self.write_equity(&mut tx, &writes.equity).await?;
        }
        if let Some(change) = &writes.status {
            check_status_change(bot, status, change)?;
            // The row is held since step 2, so the update cannot be refused now.
            if !self
                .write_status(&mut *tx, bot, change.to, change.message.clone(), now)
                .await?
            {
                return Err(StoreError::Conflict(format!(
                    "bot {bot} changed status while being set to {}; read it again and retry",
                    change.to.as_str()
                )));
            }
        }
        tx.commit().await.map_err(db_err)?;
        let mut written = BotWritten::default();
        written.new_fills = usize::try_from(new_fills).unwrap_or(usize::MAX);
        Ok(written)
    }

    /// The installation tag: read; when there is none yet, inserted if
    /// still absent (two processes asking first at once both end up with
    /// the one that got in) and read again.
    pub(crate) async fn installation_tag(&self) -> Result<IdTag, StoreError> {
        if let Some(tag) = self.stored_tag().await? {
            return Ok(tag);
        }
        sqlx::query(
            &self.sql(
                "INSERT INTO installation (id, tag, created_at) VALUES (1, $1, {now}) ON CONFLICT (id) DO NOTHING",
            ),
        )
        .bind(IdTag::random().as_str())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        self.stored_tag().await?.ok_or_else(|| {
            StoreError::Database("the installation tag was written but cannot be read back; retry".into())
        })
    }

    async fn stored_tag(&self) -> Result<Option<IdTag>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT tag FROM installation WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        let Some((tag,)) = row else { return Ok(None) };
        match IdTag::new(&tag) {
            Ok(t) if !t.is_none() => Ok(Some(t)),
            _ => Err(StoreError::Corrupt(format!(
                "installation.tag is {tag:?}, not {} letters A-Z; restore it from a backup (client order ids \
                 depend on it)",
                IdTag::LEN
            ))),
        }
    }
}
