//! Users, credentials, risk settings and strategy templates.

use gridbot_core::model::{CredentialsRecord, RiskSettings, StrategyTemplate, TemplateId, TimestampMs, User, UserId};
use gridbot_core::StoreError;

use super::codec::{direction_str, int, CredentialsRow, RiskRow, TemplateRow};
use super::errors::{is_fk_violation, is_unique_violation};
use super::{db_err, SqlStore};

const TEMPLATE_COLS: &str = "id, name, symbol, description, strategy_type, direction, leverage, \
     stop_loss_percent{t} AS stop_loss_percent, take_profit_percent{t} AS take_profit_percent, \
     min_investment{t} AS min_investment, max_investment{t} AS max_investment, is_active{i} AS is_active, \
     is_featured{i} AS is_featured, \
     candle_interval, fast_period, slow_period";

fn user_missing(user_id: UserId) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |e| {
        if is_fk_violation(&e) {
            StoreError::NotFound(format!("user {user_id}"))
        } else {
            db_err(e)
        }
    }
}

impl SqlStore {
    pub(crate) async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        now: TimestampMs,
    ) -> Result<User, StoreError> {
        let (id,): (i64,) =
            sqlx::query_as("INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(username)
                .bind(password_hash)
                .bind(now)
                .fetch_one(&self.pool)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        StoreError::Conflict(format!("user name {username:?} is taken"))
                    } else {
                        db_err(e)
                    }
                })?;
        Ok(User::new(UserId(id), username, password_hash, now))
    }

    pub(crate) async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let row: Option<(i64, String, String, i64)> =
            sqlx::query_as("SELECT id, username, password_hash, created_at FROM users WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
        Ok(row.map(|(id, name, hash, at)| User::new(UserId(id), name, hash, at)))
    }

    pub(crate) async fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        let row: Option<(i64, String, String, i64)> =
            sqlx::query_as("SELECT id, username, password_hash, created_at FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
        Ok(row.map(|(id, name, hash, at)| User::new(UserId(id), name, hash, at)))
    }

    pub(crate) async fn put_credentials(&self, r: &CredentialsRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO exchange_credentials (user_id, exchange, ciphertext, nonce, demo, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (user_id) DO UPDATE SET exchange = excluded.exchange, ciphertext = excluded.ciphertext, \
             nonce = excluded.nonce, demo = excluded.demo, updated_at = excluded.updated_at",
        )
        .bind(r.user_id.0)
        .bind(r.exchange.as_str())
        .bind(r.ciphertext.clone())
        .bind(r.nonce.clone())
        .bind(r.demo)
        .bind(r.updated_at)
        .execute(&self.pool)
        .await
        .map_err(user_missing(r.user_id))?;
        Ok(())
    }

    pub(crate) async fn credentials(&self, user_id: UserId) -> Result<Option<CredentialsRecord>, StoreError> {
        let row: Option<CredentialsRow> = sqlx::query_as(&self.sql(
            "SELECT user_id, exchange, ciphertext, nonce, demo{i} AS demo, updated_at FROM exchange_credentials \
             WHERE user_id = $1",
        ))
        .bind(user_id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(row.map(CredentialsRow::into_record))
    }

    pub(crate) async fn delete_credentials(&self, user_id: UserId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM exchange_credentials WHERE user_id = $1")
            .bind(user_id.0)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn risk_settings(&self, user_id: UserId) -> Result<RiskSettings, StoreError> {
        let row: Option<RiskRow> = sqlx::query_as(&self.sql(
            "SELECT user_id, daily_loss_limit{t} AS daily_loss_limit, max_leverage, max_open_positions, \
             close_positions_on_pause{i} AS close_positions_on_pause FROM risk_settings WHERE user_id = $1",
        ))
        .bind(user_id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        match row {
            Some(r) => r.into_settings(),
            None => Ok(RiskSettings::default_for(user_id)),
        }
    }

    pub(crate) async fn put_risk_settings(&self, s: &RiskSettings) -> Result<(), StoreError> {
        sqlx::query(&self.sql(
            "INSERT INTO risk_settings (user_id, daily_loss_limit, max_leverage, max_open_positions, \
             close_positions_on_pause) VALUES ($1, $2{n}, $3, $4, $5) \
             ON CONFLICT (user_id) DO UPDATE SET daily_loss_limit = excluded.daily_loss_limit, \
             max_leverage = excluded.max_leverage, max_open_positions = excluded.max_open_positions, \
             close_positions_on_pause = excluded.close_positions_on_pause",
        ))
        .bind(s.user_id.0)
        .bind(s.daily_loss_limit.map(|d| d.to_string()))
        .bind(i64::from(s.max_leverage))
        .bind(i64::from(s.max_open_positions))
        .bind(s.close_positions_on_pause)
        .execute(&self.pool)
        .await
        .map_err(user_missing(s.user_id))?;
        Ok(())
    }

    pub(crate) async fn upsert_template(&self, t: &StrategyTemplate) -> Result<StrategyTemplate, StoreError> {
        let insert = t.id.0 == 0;
        let sql = if insert {
            "INSERT INTO strategy_templates (name, symbol, description, strategy_type, direction, leverage, \
             stop_loss_percent, take_profit_percent, min_investment, max_investment, is_active, is_featured, \
             candle_interval, fast_period, slow_period) \
             VALUES ($1, $2, $3, $4, $5, $6, $7{n}, $8{n}, $9{n}, $10{n}, $11, $12, $13, $14, $15) RETURNING id"
        } else {
            "UPDATE strategy_templates SET name = $1, symbol = $2, description = $3, strategy_type = $4, \
             direction = $5, leverage = $6, stop_loss_percent = $7{n}, take_profit_percent = $8{n}, \
             min_investment = $9{n}, max_investment = $10{n}, is_active = $11, is_featured = $12, \
             candle_interval = $13, fast_period = $14, slow_period = $15 WHERE id = $16 RETURNING id"
        };
        let sql = self.sql(sql);
        let mut q = sqlx::query_as::<_, (i64,)>(&sql)
            .bind(t.name.as_str())
            .bind(t.symbol.as_str())
            .bind(t.description.as_str())
            .bind(t.strategy_type.as_str())
            .bind(direction_str(t.direction))
            .bind(i64::from(t.leverage))
            .bind(t.stop_loss_percent.to_string())
            .bind(t.take_profit_percent.to_string())
            .bind(t.min_investment.to_string())
            .bind(t.max_investment.to_string())
            .bind(t.is_active)
            .bind(t.is_featured)
            .bind(t.interval.as_str())
            .bind(int(t.fast_period))
            .bind(int(t.slow_period));
        if !insert {
            q = q.bind(t.id.0);
        }
        let row = q.fetch_optional(&self.pool).await.map_err(db_err)?;
        let (id,) = row.ok_or_else(|| StoreError::NotFound(format!("template {}", t.id)))?;
        let mut saved = t.clone();
        saved.id = TemplateId(id);
        Ok(saved)
    }

    pub(crate) async fn templates(&self) -> Result<Vec<StrategyTemplate>, StoreError> {
        let rows: Vec<TemplateRow> =
            sqlx::query_as(&self.sql(&format!("SELECT {TEMPLATE_COLS} FROM strategy_templates ORDER BY id")))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        rows.into_iter().map(TemplateRow::into_template).collect()
    }

    pub(crate) async fn template(&self, id: TemplateId) -> Result<Option<StrategyTemplate>, StoreError> {
        let row: Option<TemplateRow> =
            sqlx::query_as(&self.sql(&format!("SELECT {TEMPLATE_COLS} FROM strategy_templates WHERE id = $1")))
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
        row.map(TemplateRow::into_template).transpose()
    }
}
