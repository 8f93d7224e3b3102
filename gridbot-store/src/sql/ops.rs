//! Advisor cache and audit log.

use gridbot_core::model::{AuditEvent, TimestampMs, UserId};
use gridbot_core::StoreError;

use super::codec::{int, json, to_json, EventRow};
use super::{db_err, SqlStore};

impl SqlStore {
    pub(crate) async fn cache_get(&self, key: &str, now: TimestampMs) -> Result<Option<serde_json::Value>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(
            &self.sql("SELECT value{t} AS value FROM advisor_cache WHERE cache_key = $1 AND expires_at > $2"),
        )
        .bind(key)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.map(|(v,): (String,)| json(v.as_str(), "advisor_cache.value"))
            .transpose()
    }

    pub(crate) async fn cache_put(
        &self,
        key: &str,
        value: &serde_json::Value,
        expires_at: TimestampMs,
    ) -> Result<(), StoreError> {
        sqlx::query(&self.sql(
            "INSERT INTO advisor_cache (cache_key, value, expires_at) VALUES ($1, $2{j}, $3) \
             ON CONFLICT (cache_key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
        ))
        .bind(key)
        .bind(to_json(value, "advisor answer")?)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    pub(crate) async fn append_event(&self, e: &AuditEvent) -> Result<i64, StoreError> {
        let (id,): (i64,) = sqlx::query_as(&self.sql(
            "INSERT INTO audit_events (user_id, bot_id, kind, message, data, ts) \
             VALUES ($1, $2, $3, $4, $5{j}, $6) RETURNING id",
        ))
        .bind(e.user_id.map(|u| u.0))
        .bind(e.bot_id.map(|b| b.0))
        .bind(e.kind.as_str())
        .bind(e.message.as_str())
        .bind(to_json(&e.data, "event data")?)
        .bind(e.ts)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(id)
    }

    pub(crate) async fn events_for_user(&self, user_id: UserId, max: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let rows: Vec<EventRow> = sqlx::query_as(&self.sql(
            "SELECT id, user_id, bot_id, kind, message, data{t} AS data, ts FROM audit_events \
             WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
        ))
        .bind(user_id.0)
        .bind(int(max))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.into_iter().map(EventRow::into_event).collect()
    }
}
