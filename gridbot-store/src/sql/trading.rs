//! Orders, fills and equity snapshots: batched writes (one transaction per
//! batch, multi-row statements) and the per-bot reads.

use gridbot_core::model::{BotId, BotOrder, ClientOrderId, EquitySnapshot, FillRecord};
use gridbot_core::StoreError;
use sqlx::{Any, Transaction};

use super::codec::{int, liquidity_str, u64_col, EquityRow, FillRow, OrderRow};
use super::{db_err, Dialect, SqlStore};
use crate::batch::{dedupe_orders, group_fills_by_bot};

/// Rows per multi-row statement (well under both databases' bind limits).
const CHUNK: usize = 500;

const ORDER_COLS: &str = "client_id, bot_id, exchange_order_id, cell, side, price{t} AS price, qty{t} AS qty, \
     status, created_at, updated_at";
const ORDER_CASTS: [&str; 10] = ["", "", "", "", "", "{n}", "{n}", "", "", ""];

const FILL_COLS: &str = "bot_id, fill_id, order_id, client_id, symbol, side, price{t} AS price, qty{t} AS qty, \
     fee{t} AS fee, liquidity, realized_pnl{t} AS realized_pnl, is_liquidation{i} AS is_liquidation, ts";
const FILL_CASTS: [&str; 13] = ["", "", "", "", "", "", "{n}", "{n}", "{n}", "", "{n}", "", ""];

const EQUITY_CASTS: [&str; 4] = ["", "", "{n}", "{n}"];

type Tx = Transaction<'static, Any>;

/// Placeholders for `rows` rows of `casts.len()` columns.
///
/// PostgreSQL: numbered, with their casts (`($1, $2{n}), ($3, $4{n})`).
/// SQLite: anonymous (`(?, ?), (?, ?)`), bound in order. SQLite finds a
/// numbered parameter's name by a linear scan of the statement's
/// parameter list, and the driver asks it for every parameter it binds,
/// so a batch of 100 fills (1,300 parameters) spent two thirds of its time
/// there; anonymous parameters have no name to look up.
fn values(dialect: Dialect, rows: usize, casts: &[&str]) -> String {
    let mut out = String::with_capacity(rows * casts.len() * 6);
    let mut n = 0;
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for (c, cast) in casts.iter().enumerate() {
            n += 1;
            if c > 0 {
                out.push_str(", ");
            }
            match dialect {
                Dialect::Sqlite => out.push('?'),
                Dialect::Postgres => {
                    out.push('$');
                    out.push_str(&n.to_string());
                    out.push_str(cast);
                }
            }
        }
        out.push(')');
    }
    out
}

fn limit(n: usize) -> i64 {
    int(n)
}

impl SqlStore {
    /// Refuses a batch naming a bot that does not exist.
    async fn ensure_bots(&self, tx: &mut Tx, mut ids: Vec<BotId>) -> Result<(), StoreError> {
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let found: Option<(i64,)> = sqlx::query_as("SELECT id FROM bots WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db_err)?;
            if found.is_none() {
                return Err(StoreError::NotFound(format!("bot {id}")));
            }
        }
        Ok(())
    }

    pub(crate) async fn upsert_orders(&self, orders: &[BotOrder]) -> Result<(), StoreError> {
        if orders.is_empty() {
            return Ok(());
        }
        let orders = dedupe_orders(orders);
        let mut tx = self.begin_write().await?;
        self.ensure_bots(&mut tx, orders.iter().map(|o| o.bot_id).collect())
            .await?;
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
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
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
        self.ensure_bots(&mut tx, groups.iter().map(|(id, _)| *id).collect())
            .await?;
        let mut total = 0u64;
        for (bot_id, group) in &groups {
            let mut new = 0u64;
            for chunk in group.chunks(CHUNK) {
                let sql = self.sql(&format!(
                    "INSERT INTO fills (bot_id, fill_id, order_id, client_id, symbol, side, price, qty, fee, \
                     liquidity, realized_pnl, is_liquidation, ts) VALUES {} ON CONFLICT (bot_id, fill_id) DO NOTHING",
                    values(self.dialect, chunk.len(), &FILL_CASTS)
                ));
                let mut q = sqlx::query(&sql);
                for r in chunk {
                    let f = &r.fill;
                    q = q
                        .bind(r.bot_id.0)
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
                new += q.execute(&mut *tx).await.map_err(db_err)?.rows_affected();
            }
            if new > 0 {
                sqlx::query("UPDATE bots SET fill_count = fill_count + $1 WHERE id = $2")
                    .bind(int(new))
                    .bind(bot_id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            total += new;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(usize::try_from(total).unwrap_or(usize::MAX))
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
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)
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
    }
}
