//! Orders, fills and equity snapshots: batched writes (one transaction per
//! batch, multi-row statements) and the per-bot reads.
//!
//! Each write is also a function inside a caller's transaction
//! (`write_orders`, `book_fills`, `write_equity`), which the single-purpose
//! methods and [`SqlStore::write_bot`] share. Booking applies the booking
//! rule ([`crate::booking`]) to every new fill.

use std::collections::{HashMap, HashSet};

use gridbot_core::model::{BotId, BotOrder, BotStatus, ClientOrderId, EquitySnapshot, Fill, FillRecord};
use gridbot_core::StoreError;
use sqlx::{Any, Transaction};

use super::codec::{bot_status, dec, int, liquidity_str, u64_col, EquityRow, FillRow, OrderRow};
use super::{db_err, Dialect, SqlStore};
use crate::batch::{dedupe_orders, group_fills_by_bot};
use crate::booking::{add_booked, check_new_fills, Booked};

/// Rows per multi-row statement (well under both databases' bind limits).
pub(super) const CHUNK: usize = 500;

const ORDER_COLS: &str = "client_id, bot_id, exchange_order_id, cell, side, price{t} AS price, qty{t} AS qty, \
     status, created_at, updated_at";
const ORDER_CASTS: [&str; 10] = ["", "", "", "", "", "{n}", "{n}", "", "", ""];

const FILL_COLS: &str = "bot_id, fill_id, order_id, client_id, symbol, side, price{t} AS price, qty{t} AS qty, \
     fee{t} AS fee, liquidity, realized_pnl{t} AS realized_pnl, is_liquidation{i} AS is_liquidation, ts";
const FILL_CASTS: [&str; 13] = ["", "", "", "", "", "", "{n}", "{n}", "{n}", "", "{n}", "", ""];

const EQUITY_CASTS: [&str; 4] = ["", "", "{n}", "{n}"];

pub(super) type Tx = Transaction<'static, Any>;

/// Placeholders for `rows` rows of `casts.len()` columns.
///
/// PostgreSQL: numbered, with their casts (`($1, $2{n}), ($3, $4{n})`).
/// SQLite: anonymous (`(?, ?), (?, ?)`), bound in order. SQLite finds a
/// numbered parameter's name by a linear scan of the statement's
/// parameter list, and the driver asks it for every parameter it binds,
/// so a batch of 100 fills (1,300 parameters) spent two thirds of its time
/// there; anonymous parameters have no name to look up.
pub(super) fn values(dialect: Dialect, rows: usize, casts: &[&str]) -> String {
    let mut out = String::with_capacity(rows * casts.len() * 6);
    let mut n = 0;
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for (c, cast) in casts.iter().enumerate() {
            n += 1;
            if c > 0 {
                out.push_str(", ");
            }
            push_param(&mut out, dialect, n, cast);
        }
        out.push(')');
    }
    out
}

/// `count` comma-separated placeholders numbered from `first` (anonymous
/// on SQLite, as [`values`]): for `IN (…)` lists. A statement using them
/// uses no other kind.
fn params(dialect: Dialect, first: usize, count: usize) -> String {
    let mut out = String::with_capacity(count * 6);
    for n in first..first + count {
        if n > first {
            out.push_str(", ");
        }
        push_param(&mut out, dialect, n, "");
    }
    out
}

/// Parameter `n` (1-based) with its cast marker.
fn push_param(out: &mut String, dialect: Dialect, n: usize, cast: &str) {
    match dialect {
        Dialect::Sqlite => out.push('?'),
        Dialect::Postgres => {
            out.push('$');
            out.push_str(&n.to_string());
            out.push_str(cast);
        }
    }
}

fn sorted(mut ids: Vec<BotId>) -> Vec<BotId> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn limit(n: usize) -> i64 {
    int(n)
}

impl SqlStore {
    /// Refuses a batch naming a bot that does not exist.
    async fn ensure_bots(&self, tx: &mut Tx, ids: Vec<BotId>) -> Result<(), StoreError> {
        for id in sorted(ids) {
            self.bot_status_in(tx, id, false).await?;
        }
        Ok(())
    }

    /// [`Self::ensure_bots`], holding the bots (see [`Self::bot_status_in`])
    /// in id order, a fixed order so two callers cannot deadlock.
    async fn lock_bots(&self, tx: &mut Tx, ids: Vec<BotId>) -> Result<(), StoreError> {
        for id in sorted(ids) {
            self.bot_status_in(tx, id, true).await?;
        }
        Ok(())
    }

    /// A bot's status inside `tx` ([`StoreError::NotFound`] when there is
    /// no such bot). With `hold` on PostgreSQL, locks the bot's row until
    /// `tx` ends (`FOR NO KEY UPDATE`, which leaves inserts referring to the
    /// bot free), so bookings and status changes of one bot run one after
    /// the other, each seeing what the previous wrote; SQLite's write lock
    /// already serialises every writer.
    pub(super) async fn bot_status_in(&self, tx: &mut Tx, id: BotId, hold: bool) -> Result<BotStatus, StoreError> {
        let sql = match (self.dialect, hold) {
            (Dialect::Postgres, true) => "SELECT status FROM bots WHERE id = $1 FOR NO KEY UPDATE",
            _ => "SELECT status FROM bots WHERE id = $1",
        };
        let found: Option<(String,)> = sqlx::query_as(sql)
            .bind(id.0)
            .fetch_optional(&mut **tx)
            .await
            .map_err(db_err)?;
        bot_status(&found.ok_or_else(|| StoreError::NotFound(format!("bot {id}")))?.0)
    }

    pub(crate) async fn upsert_orders(&self, orders: &[BotOrder]) -> Result<(), StoreError> {
        if orders.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        self.ensure_bots(&mut tx, orders.iter().map(|o| o.bot_id).collect())
            .await?;
        self.write_orders(&mut tx, orders).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Inserts or replaces `orders` by client id inside `tx` (their bots
    /// exist).
    pub(super) async fn write_orders(&self, tx: &mut Tx, orders: &[BotOrder]) -> Result<(), StoreError> {
        let orders = dedupe_orders(orders);
        for chunk in orders.chunks(CHUNK) {
            let sql = self.sql(&format!(
                "INSERT INTO bot_orders (client_id, bot_id, exchange_order_id, cell, side, price, qty, status, \
                 created_at, updated_at) VALUES {} ON CONFLICT (client_id) DO UPDATE SET bot_id = excluded.bot_id, \
                 exchange_order_id = excluded.exchange_order_id, cell = excluded.cell, side = excluded.side, \
                 price = excluded.price, qty = excluded.qty, status = excluded.status, \
                 created_at = excluded.created_at, updated_at = excluded.updated_at",
                values(self.dialect, chunk.len(), &ORDER_CASTS)
            ));
            let mut q = sqlx::query(&sql);
            for o in chunk {
                q = q
                    .bind(o.client_id.as_str())
                    .bind(o.bot_id.0)
                    .bind(o.exchange_order_id.as_deref())
                    .bind(o.cell.map(i64::from))
                    .bind(o.side.as_str())
                    .bind(o.price.map(|p| p.to_string()))
                    .bind(o.qty.to_string())
                    .bind(o.status.as_str())
                    .bind(o.created_at)
                    .bind(o.updated_at);
            }
            q.execute(&mut **tx).await.map_err(db_err)?;
        }
        Ok(())
    }

    pub(crate) async fn orders_for_bot(&self, bot_id: BotId, open_only: bool) -> Result<Vec<BotOrder>, StoreError> {
        let filter = if open_only {
            " AND status IN ('intended', 'open')"
        } else {
            ""
        };
        let rows: Vec<OrderRow> = sqlx::query_as(&self.sql(&format!(
            "SELECT {ORDER_COLS} FROM bot_orders WHERE bot_id = $1{filter} ORDER BY id"
        )))
        .bind(bot_id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.into_iter().map(OrderRow::into_order).collect()
    }

    pub(crate) async fn order_by_client_id(&self, client_id: &ClientOrderId) -> Result<Option<BotOrder>, StoreError> {
        let row: Option<OrderRow> =
            sqlx::query_as(&self.sql(&format!("SELECT {ORDER_COLS} FROM bot_orders WHERE client_id = $1")))
                .bind(client_id.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
        row.map(OrderRow::into_order).transpose()
    }

    pub(crate) async fn insert_fills(&self, fills: &[FillRecord]) -> Result<usize, StoreError> {
        if fills.is_empty() {
            return Ok(0);
        }
        let groups = group_fills_by_bot(fills);
        let mut tx = self.begin_write().await?;
        self.lock_bots(&mut tx, groups.iter().map(|(id, _)| *id).collect())
            .await?;
        let mut total = 0u64;
        for (bot_id, group) in &groups {
            total += self.book_fills(&mut tx, *bot_id, group).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(usize::try_from(total).unwrap_or(usize::MAX))
    }

    /// Books `fills` (one bot's, each fill id once: [`group_fills_by_bot`],
    /// [`crate::batch::dedupe_fills`]) inside `tx`, whose caller holds the
    /// bot ([`Self::lock_bots`]): inserts the new ones, refuses the call
    /// when one breaks the booking rule ([`crate::booking`]; the caller's
    /// transaction is then dropped, so nothing of it is written) and moves
    /// the bot's `fill_count`. Returns how many were new.
    ///
    /// Statements: one to read the batch's order records, one to read
    /// what the stored fills of the bot's own orders among them booked
    /// (skipped when there are none), one multi-row insert per
    /// [`CHUNK`] fills, one to count.
    pub(super) async fn book_fills(&self, tx: &mut Tx, bot_id: BotId, fills: &[&Fill]) -> Result<u64, StoreError> {
        if fills.is_empty() {
            return Ok(0);
        }
        let mut client_ids: Vec<&str> = fills.iter().map(|f| f.client_id.as_str()).collect();
        client_ids.sort_unstable();
        client_ids.dedup();
        let orders = self.orders_by_client_id(tx, &client_ids).await?;
        let own: Vec<&str> = client_ids
            .iter()
            .copied()
            .filter(|id| orders.get(*id).is_some_and(|o| o.bot_id == bot_id))
            .collect();
        let booked = self.booked(tx, bot_id, &own).await?;
        let inserted = self.insert_fill_rows(tx, bot_id, fills).await?;
        let new: Vec<&Fill> = fills
            .iter()
            .copied()
            .filter(|f| inserted.contains(f.id.as_str()))
            .collect();
        check_new_fills(bot_id, &new, |id| orders.get(id), booked)?;
        let count = u64::try_from(new.len()).unwrap_or(u64::MAX);
        if count > 0 {
            sqlx::query("UPDATE bots SET fill_count = fill_count + $1 WHERE id = $2")
                .bind(int(count))
                .bind(bot_id.0)
                .execute(&mut **tx)
                .await
                .map_err(db_err)?;
        }
        Ok(count)
    }

    /// The order records of `client_ids`, by client id.
    async fn orders_by_client_id(
        &self,
        tx: &mut Tx,
        client_ids: &[&str],
    ) -> Result<HashMap<String, BotOrder>, StoreError> {
        let mut out = HashMap::new();
        for chunk in client_ids.chunks(CHUNK) {
            let sql = self.sql(&format!(
                "SELECT {ORDER_COLS} FROM bot_orders WHERE client_id IN ({})",
                params(self.dialect, 1, chunk.len())
            ));
            let mut q = sqlx::query_as::<_, OrderRow>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(&mut **tx).await.map_err(db_err)? {
                let order = row.into_order()?;
                out.insert(order.client_id.as_str().to_owned(), order);
            }
        }
        Ok(out)
    }

    /// What the stored fills of `bot_id` booked of each of `client_ids`,
    /// summed exactly here (module docs of [`crate::booking`]).
    ///
    /// One index probe of `fills (bot_id, client_id)` per client id,
    /// whatever the planner's statistics say: PostgreSQL without fresh
    /// column statistics (autovacuum off, or lagging behind a burst of
    /// fills) planned `bot_id = $1 AND client_id IN (…)` as a scan of all
    /// the bot's fills, so each booking grew with the bot's history (300 ms
    /// at 40,000 fills). The per-id nested loop below (`OFFSET 0` keeps the
    /// subquery from being flattened into a join) cannot degrade that way;
    /// SQLite's planner already probes the two-column index for the `IN`
    /// list.
    async fn booked(&self, tx: &mut Tx, bot_id: BotId, client_ids: &[&str]) -> Result<Booked, StoreError> {
        let mut booked = Booked::new();
        for chunk in client_ids.chunks(CHUNK) {
            let n = chunk.len();
            let sql = match self.dialect {
                Dialect::Sqlite => format!(
                    "SELECT client_id, qty FROM fills WHERE client_id IN ({}) AND bot_id = ?",
                    params(self.dialect, 1, n)
                ),
                Dialect::Postgres => self.sql(&format!(
                    "SELECT c.id, f.qty{{t}} FROM (VALUES {}) AS c (id) CROSS JOIN LATERAL \
                     (SELECT qty FROM fills WHERE bot_id = ${} AND client_id = c.id OFFSET 0) AS f",
                    values(self.dialect, n, &["{t}"]),
                    n + 1
                )),
            };
            let mut q = sqlx::query_as::<_, (String, String)>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            for (client_id, qty) in q.bind(bot_id.0).fetch_all(&mut **tx).await.map_err(db_err)? {
                add_booked(&mut booked, &client_id, dec(&qty, "fills.qty")?)?;
            }
        }
        Ok(booked)
    }

    /// Inserts the fills whose id is new for the bot; returns their ids.
    async fn insert_fill_rows(
        &self,
        tx: &mut Tx,
        bot_id: BotId,
        fills: &[&Fill],
    ) -> Result<HashSet<String>, StoreError> {
        let mut inserted = HashSet::with_capacity(fills.len());
        for chunk in fills.chunks(CHUNK) {
            let sql = self.sql(&format!(
                "INSERT INTO fills (bot_id, fill_id, order_id, client_id, symbol, side, price, qty, fee, \
                 liquidity, realized_pnl, is_liquidation, ts) VALUES {} ON CONFLICT (bot_id, fill_id) DO NOTHING \
                 RETURNING fill_id",
                values(self.dialect, chunk.len(), &FILL_CASTS)
            ));
            let mut q = sqlx::query_as::<_, (String,)>(&sql);
            for f in chunk {
                q = q
                    .bind(bot_id.0)
                    .bind(f.id.as_str())
                    .bind(f.order_id.as_str())
                    .bind(f.client_id.as_str())
                    .bind(f.symbol.as_str())
                    .bind(f.side.as_str())
                    .bind(f.price.to_string())
                    .bind(f.qty.to_string())
                    .bind(f.fee.to_string())
                    .bind(liquidity_str(f.liquidity))
                    .bind(f.realized_pnl.to_string())
                    .bind(f.is_liquidation)
                    .bind(f.ts);
            }
            inserted.extend(
                q.fetch_all(&mut **tx)
                    .await
                    .map_err(db_err)?
                    .into_iter()
                    .map(|(id,)| id),
            );
        }
        Ok(inserted)
    }

    pub(crate) async fn fills_for_bot(&self, bot_id: BotId, max: usize) -> Result<Vec<FillRecord>, StoreError> {
        let rows: Vec<FillRow> = sqlx::query_as(&self.sql(&format!(
            "SELECT {FILL_COLS} FROM fills WHERE bot_id = $1 ORDER BY ts DESC, id DESC LIMIT $2"
        )))
        .bind(bot_id.0)
        .bind(limit(max))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.into_iter().rev().map(FillRow::into_fill).collect()
    }

    pub(crate) async fn fill_count(&self, bot_id: BotId) -> Result<u64, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT fill_count FROM bots WHERE id = $1")
            .bind(bot_id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map_or(Ok(0), |(n,)| u64_col(n, "bots.fill_count"))
    }

    pub(crate) async fn insert_equity_snapshots(&self, points: &[EquitySnapshot]) -> Result<(), StoreError> {
        if points.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        self.ensure_bots(&mut tx, points.iter().map(|p| p.bot_id).collect())
            .await?;
        self.write_equity(&mut tx, points).await?;
        tx.commit().await.map_err(db_err)
    }

    /// Appends `points` inside `tx` (their bots exist).
    pub(super) async fn write_equity(&self, tx: &mut Tx, points: &[EquitySnapshot]) -> Result<(), StoreError> {
        for chunk in points.chunks(CHUNK) {
            let sql = self.sql(&format!(
                "INSERT INTO equity_snapshots (bot_id, ts, equity, pnl) VALUES {}",
                values(self.dialect, chunk.len(), &EQUITY_CASTS)
            ));
            let mut q = sqlx::query(&sql);
            for p in chunk {
                q = q
                    .bind(p.bot_id.0)
                    .bind(p.ts)
                    .bind(p.equity.to_string())
                    .bind(p.pnl.to_string());
            }
            q.execute(&mut **tx).await.map_err(db_err)?;
        }
        Ok(())
    }

    pub(crate) async fn equity_curve(&self, bot_id: BotId, max: usize) -> Result<Vec<EquitySnapshot>, StoreError> {
        let rows: Vec<EquityRow> = sqlx::query_as(&self.sql(
            "SELECT bot_id, ts, equity{t} AS equity, pnl{t} AS pnl FROM equity_snapshots \
             WHERE bot_id = $1 ORDER BY ts DESC, id DESC LIMIT $2",
        ))
        .bind(bot_id.0)
        .bind(limit(max))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.into_iter().rev().map(EquityRow::into_snapshot).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_on_postgres_and_anonymous_on_sqlite() {
        assert_eq!(values(Dialect::Postgres, 2, &["", "{n}"]), "($1, $2{n}), ($3, $4{n})");
        assert_eq!(values(Dialect::Sqlite, 2, &["", "{n}"]), "(?, ?), (?, ?)");
        assert_eq!(params(Dialect::Postgres, 2, 3), "$2, $3, $4");
        assert_eq!(params(Dialect::Sqlite, 2, 3), "?, ?, ?");
    }
}
