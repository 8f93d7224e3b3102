//! Bots: creation, the guarded start, status changes, stats and the
//! summary query.

use gridbot_core::model::{
    Bot, BotId, BotKind, BotOverview, BotStats, BotStatus, NewBot, TimestampMs, UserId, UserSummary,
};
use gridbot_core::ports::BotLimits;
use gridbot_core::StoreError;
use sqlx::{Any, Executor, Transaction};

use super::codec::{bot_status, dec, int, source_cols, to_json, u64_col, BotOverviewRow, BotRow};
use super::errors::is_unique_violation;
use super::{db_err, SqlStore};
use crate::guard::{check_start, config_change_allowed, delete_allowed, transition_allowed, Holder};

/// A bot's columns, in [`BotRow`]'s shape.
const BOT_COLS: &str = "id, user_id, name, status, config{t} AS config, allocation{t} AS allocation, source, \
     template_id, stats{t} AS stats, error_message, engine_state{t} AS engine_state, fill_cursor, created_at, \
     updated_at, started_at, stopped_at";

/// The statuses that hold nothing, as an SQL list (kept equal to
/// `BotStatus::holds_allocation` by a test, and to the partial index).
pub(crate) const NON_HOLDING_SQL: &str = "('created', 'stopped')";

type Tx = Transaction<'static, Any>;

fn symbol_busy(symbol: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::SymbolBusy {
                symbol: symbol.to_owned(),
            }
        } else {
            db_err(e)
        }
    }
}

impl SqlStore {
    async fn bot_in(&self, tx: &mut Tx, id: BotId) -> Result<Bot, StoreError> {
        let row: Option<BotRow> = sqlx::query_as(&self.sql(&format!("SELECT {BOT_COLS} FROM bots WHERE id = $1")))
            .bind(id.0)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?;
        row.ok_or_else(|| StoreError::NotFound(format!("bot {id}")))?.into_bot()
    }

    /// The user's bots that hold an allocation, other than `except`.
    async fn holders(&self, tx: &mut Tx, user_id: UserId, except: Option<BotId>) -> Result<Vec<Holder>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(&self.sql(&format!(
            "SELECT symbol, allocation{{t}} AS allocation FROM bots \
             WHERE user_id = $1 AND id <> $2 AND status NOT IN {NON_HOLDING_SQL}"
        )))
        .bind(user_id.0)
        .bind(except.map_or(0, |b| b.0))
        .fetch_all(&mut **tx)
        .await
        .map_err(db_err)?;
        rows.into_iter()
            .map(|(symbol, a)| {
                Ok(Holder {
                    symbol,
                    allocation: dec(&a, "bots.allocation")?,
                })
            })
            .collect()
    }

    async fn check_template(&self, tx: &mut Tx, bot: &NewBot) -> Result<(), StoreError> {
        if let (_, Some(id)) = source_cols(bot.source) {
            let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM strategy_templates WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?;
            if found.is_none() {
                return Err(StoreError::NotFound(format!("template {id}")));
            }
        }
        Ok(())
    }

    async fn insert_bot(
        &self,
        tx: &mut Tx,
        bot: &NewBot,
        status: BotStatus,
        now: TimestampMs,
    ) -> Result<Bot, StoreError> {
        let (source, template_id) = source_cols(bot.source);
        let started_at = status.holds_allocation().then_some(now);
        let symbol = bot.kind.symbol().as_str();
        let (id,): (i64,) = sqlx::query_as(&self.sql(
            "INSERT INTO bots (user_id, name, kind, symbol, status, config, allocation, source, template_id, \
             stats, created_at, updated_at, started_at) \
             VALUES ($1, $2, $3, $4, $5, $6{j}, $7{n}, $8, $9, $10{j}, $11, $11, $12) RETURNING id",
        ))
        .bind(bot.user_id.0)
        .bind(bot.name.as_str())
        .bind(bot.kind.name())
        .bind(symbol)
        .bind(status.as_str())
        .bind(to_json(&bot.kind, "bot config")?)
        .bind(bot.allocation.to_string())
        .bind(source)
        .bind(template_id)
        .bind(to_json(&BotStats::default(), "bot stats")?)
        .bind(now)
        .bind(started_at)
        .fetch_one(&mut **tx)
        .await
        .map_err(symbol_busy(symbol))?;
        let mut saved = Bot::new(
            BotId(id),
            bot.user_id,
            bot.name.as_str(),
            bot.kind.clone(),
            bot.allocation,
            bot.source,
            now,
        );
        saved.status = status;
        saved.started_at = started_at;
        Ok(saved)
    }

    pub(crate) async fn create_bot(&self, bot: &NewBot, now: TimestampMs) -> Result<Bot, StoreError> {
        let mut tx = self.begin_write().await?;
        self.lock_user(&mut tx, bot.user_id).await?;
        self.check_template(&mut tx, bot).await?;
        let saved = self.insert_bot(&mut tx, bot, BotStatus::Created, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(saved)
    }

    pub(crate) async fn start_bot_guarded(
        &self,
        bot: &NewBot,
        limits: BotLimits,
        now: TimestampMs,
    ) -> Result<Bot, StoreError> {
        let mut tx = self.begin_write().await?;
        self.lock_user(&mut tx, bot.user_id).await?;
        self.check_template(&mut tx, bot).await?;
        let holders = self.holders(&mut tx, bot.user_id, None).await?;
        check_start(&holders, bot.kind.symbol().as_str(), bot.allocation, limits)?;
        let saved = self.insert_bot(&mut tx, bot, BotStatus::Starting, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(saved)
    }

    pub(crate) async fn activate_bot_guarded(
        &self,
        id: BotId,
        limits: BotLimits,
        now: TimestampMs,
    ) -> Result<Bot, StoreError> {
        let mut tx = self.begin_write().await?;
        let user_id = self.bot_in(&mut tx, id).await?.user_id;
        self.lock_user(&mut tx, user_id).await?;
        // Read again under the user's lock: a concurrent activation of the
        // same bot has committed by now.
        let bot = self.bot_in(&mut tx, id).await?;
        if bot.status.holds_allocation() {
            return Err(StoreError::Conflict(format!(
                "bot {id} is already {}; only a created or stopped bot can be started",
                bot.status.as_str()
            )));
        }
        let holders = self.holders(&mut tx, user_id, Some(id)).await?;
        check_start(&holders, bot.symbol.as_str(), bot.allocation, limits)?;
        sqlx::query(
            "UPDATE bots SET status = $1, started_at = $2, updated_at = $2, stopped_at = NULL, error_message = NULL \
             WHERE id = $3",
        )
        .bind(BotStatus::Starting.as_str())
        .bind(now)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(symbol_busy(bot.symbol.as_str()))?;
        let started = self.bot_in(&mut tx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(started)
    }

    pub(crate) async fn bot(&self, id: BotId) -> Result<Option<Bot>, StoreError> {
        let row: Option<BotRow> = sqlx::query_as(&self.sql(&format!("SELECT {BOT_COLS} FROM bots WHERE id = $1")))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(BotRow::into_bot).transpose()
    }

    pub(crate) async fn bots_for_user(
        &self,
        user_id: UserId,
        status: Option<BotStatus>,
    ) -> Result<Vec<Bot>, StoreError> {
        let rows: Vec<BotRow> = match status {
            Some(st) => {
                sqlx::query_as(&self.sql(&format!(
                    "SELECT {BOT_COLS} FROM bots WHERE user_id = $1 AND status = $2 ORDER BY id DESC"
                )))
                .bind(user_id.0)
                .bind(st.as_str())
                .fetch_all(&self.pool)
                .await
            }
            None => {
                sqlx::query_as(&self.sql(&format!(
                    "SELECT {BOT_COLS} FROM bots WHERE user_id = $1 ORDER BY id DESC"
                )))
                .bind(user_id.0)
                .fetch_all(&self.pool)
                .await
            }
        }
        .map_err(db_err)?;
        rows.into_iter().map(BotRow::into_bot).collect()
    }

    pub(crate) async fn user_summary(&self, user_id: UserId) -> Result<UserSummary, StoreError> {
        let rows: Vec<BotOverviewRow> = sqlx::query_as(&self.sql(&format!(
            "SELECT {BOT_COLS}, fill_count, \
             (SELECT COUNT(*) FROM bot_orders o WHERE o.bot_id = b.id AND o.status IN ('intended', 'open')) \
             AS open_orders FROM bots b WHERE user_id = $1 ORDER BY id DESC"
        )))
        .bind(user_id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let bots = rows
            .into_iter()
            .map(|r| {
                Ok(BotOverview::new(
                    r.bot.into_bot()?,
                    u64_col(r.fill_count, "bots.fill_count")?,
                    u64_col(r.open_orders, "open order count")?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(UserSummary::from_bots(user_id, bots))
    }

    pub(crate) async fn bots_with_status(&self, statuses: &[BotStatus]) -> Result<Vec<Bot>, StoreError> {
        if statuses.is_empty() {
            return Ok(Vec::new());
        }
        let list = (1..=statuses.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = self.sql(&format!(
            "SELECT {BOT_COLS} FROM bots WHERE status IN ({list}) ORDER BY id"
        ));
        let mut q = sqlx::query_as::<_, BotRow>(&sql);
        for st in statuses {
            q = q.bind(st.as_str());
        }
        let rows = q.fetch_all(&self.pool).await.map_err(db_err)?;
        rows.into_iter().map(BotRow::into_bot).collect()
    }

    /// Deletes a `created` bot (and any lease or audit trail naming it
    /// stays: audit events keep the id as history). One conditional DELETE,
    /// so a bot started concurrently is never deleted; a refused or missing
    /// bot is then explained.
    pub(crate) async fn delete_created_bot(&self, id: BotId) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM runner_leases WHERE bot_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let done = sqlx::query("DELETE FROM bots WHERE id = $1 AND status = 'created'")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        if done.rows_affected() == 1 {
            tx.commit().await.map_err(db_err)?;
            return Ok(());
        }
        let current: Option<(String,)> = sqlx::query_as("SELECT status FROM bots WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let current = bot_status(&current.ok_or_else(|| StoreError::NotFound(format!("bot {id}")))?.0)?;
        delete_allowed(id, current)?;
        Err(StoreError::Conflict(format!(
            "bot {id} changed while being deleted; read it again"
        )))
    }

    /// Replaces a bot's settings, keeping its symbol and kind.
    pub(crate) async fn update_bot_config(
        &self,
        id: BotId,
        kind: &BotKind,
        now: TimestampMs,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let current = self.bot_in(&mut tx, id).await?;
        config_change_allowed(id, &current.kind, kind)?;
        sqlx::query(&self.sql("UPDATE bots SET config = $1{j}, updated_at = $2 WHERE id = $3"))
            .bind(to_json(kind, "bot config")?)
            .bind(now)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(())
    }

    /// One conditional UPDATE, so the transition rule is checked against the
    /// row as it is when written (a concurrent stop cannot be overwritten
    /// by a stale "running"); a refused or missing bot is then explained.
    pub(crate) async fn set_bot_status(
        &self,
        id: BotId,
        status: BotStatus,
        error: Option<String>,
        now: TimestampMs,
    ) -> Result<(), StoreError> {
        if self.write_status(&self.pool, id, status, error, now).await? {
            return Ok(());
        }
        let current: Option<(String,)> = sqlx::query_as("SELECT status FROM bots WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        let current = bot_status(&current.ok_or_else(|| StoreError::NotFound(format!("bot {id}")))?.0)?;
        transition_allowed(id, current, status)?;
        Err(StoreError::Conflict(format!(
            "bot {id} changed status while being set to {}; read it again and retry",
            status.as_str()
        )))
    }

    /// Sets a bot's status and message (stamping `stopped_at` on
    /// `stopped`) unless the bot holds nothing and `status` would make it
    /// hold an allocation ([`transition_allowed`]); false when nothing was
    /// written (that refusal, or no such bot).
    pub(super) async fn write_status<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        id: BotId,
        status: BotStatus,
        message: Option<String>,
        now: TimestampMs,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "UPDATE bots SET status = $1, error_message = $2, updated_at = $3, \
             stopped_at = CASE WHEN $1 = 'stopped' THEN $3 ELSE stopped_at END \
             WHERE id = $4 AND (status NOT IN {NON_HOLDING_SQL} OR $5 = 0)"
        ))
        .bind(status.as_str())
        .bind(message)
        .bind(now)
        .bind(id.0)
        .bind(i64::from(status.holds_allocation()))
        .execute(ex)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    pub(crate) async fn update_bot_stats(&self, id: BotId, s: &BotStats, now: TimestampMs) -> Result<(), StoreError> {
        self.write_stats(&self.pool, id, s, now).await
    }

    /// Saves a bot's running totals (the stats document and its columns).
    pub(super) async fn write_stats<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        id: BotId,
        s: &BotStats,
        now: TimestampMs,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(&self.sql(
            "UPDATE bots SET realized_pnl = $1{n}, unrealized_pnl = $2{n}, grid_profit = $3{n}, fees = $4{n}, \
             total_pnl = $5{n}, round_trips = $6, stats = $7{j}, updated_at = $8 WHERE id = $9",
        ))
        .bind(s.realized_pnl.to_string())
        .bind(s.unrealized_pnl.to_string())
        .bind(s.grid_profit.to_string())
        .bind(s.fees.to_string())
        .bind(s.total_pnl().to_string())
        .bind(int(s.round_trips))
        .bind(to_json(s, "bot stats")?)
        .bind(now)
        .bind(id.0)
        .execute(ex)
        .await
        .map_err(db_err)?;
        found(done.rows_affected(), id)
    }

    pub(crate) async fn save_engine_state(
        &self,
        id: BotId,
        state: &serde_json::Value,
        fill_cursor: Option<String>,
        now: TimestampMs,
    ) -> Result<(), StoreError> {
        self.write_engine(&self.pool, id, state, fill_cursor, now).await
    }

    /// Saves a bot's engine state and fill cursor together.
    pub(super) async fn write_engine<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        id: BotId,
        state: &serde_json::Value,
        fill_cursor: Option<String>,
        now: TimestampMs,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            &self.sql("UPDATE bots SET engine_state = $1{j}, fill_cursor = $2, updated_at = $3 WHERE id = $4"),
        )
        .bind(to_json(state, "engine state")?)
        .bind(fill_cursor)
        .bind(now)
        .bind(id.0)
        .execute(ex)
        .await
        .map_err(db_err)?;
        found(done.rows_affected(), id)
    }
}

fn found(rows: u64, id: BotId) -> Result<(), StoreError> {
    if rows == 0 {
        Err(StoreError::NotFound(format!("bot {id}")))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_list_of_non_holding_statuses_matches_holds_allocation() {
        for st in BotStatus::ALL {
            let listed = NON_HOLDING_SQL.contains(&format!("'{}'", st.as_str()));
            assert_eq!(listed, !st.holds_allocation(), "{st:?}");
        }
    }
}
