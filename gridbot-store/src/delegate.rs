//! `impl Store` for the SQL store's public wrappers ([`crate::SqliteStore`],
//! [`crate::PostgresStore`]): every method forwards to the shared
//! [`crate::sql::SqlStore`].

/// Implements `Store` for `$ty` by forwarding to its `SqlStore` field `$f`.
macro_rules! delegate_store {
    ($ty:ty, $f:ident) => {
        #[async_trait::async_trait]
        impl gridbot_core::ports::Store for $ty {
            async fn create_user(
                &self,
                username: &str,
                password_hash: &str,
                now: TimestampMs,
            ) -> Result<User, StoreError> {
                self.$f.create_user(username, password_hash, now).await
            }
            async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
                self.$f.user(id).await
            }
            async fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
                self.$f.user_by_name(username).await
            }
            async fn put_credentials(&self, record: &CredentialsRecord) -> Result<(), StoreError> {
                self.$f.put_credentials(record).await
            }
            async fn credentials(&self, user_id: UserId) -> Result<Option<CredentialsRecord>, StoreError> {
                self.$f.credentials(user_id).await
            }
            async fn delete_credentials(&self, user_id: UserId) -> Result<(), StoreError> {
                self.$f.delete_credentials(user_id).await
            }
            async fn risk_settings(&self, user_id: UserId) -> Result<RiskSettings, StoreError> {
                self.$f.risk_settings(user_id).await
            }
            async fn put_risk_settings(&self, settings: &RiskSettings) -> Result<(), StoreError> {
                self.$f.put_risk_settings(settings).await
            }
            async fn upsert_template(&self, template: &StrategyTemplate) -> Result<StrategyTemplate, StoreError> {
                self.$f.upsert_template(template).await
            }
            async fn templates(&self) -> Result<Vec<StrategyTemplate>, StoreError> {
                self.$f.templates().await
            }
            async fn template(&self, id: TemplateId) -> Result<Option<StrategyTemplate>, StoreError> {
                self.$f.template(id).await
            }
            async fn create_bot(&self, bot: &NewBot, now: TimestampMs) -> Result<Bot, StoreError> {
                self.$f.create_bot(bot, now).await
            }
            async fn start_bot_guarded(
                &self,
                bot: &NewBot,
                limits: BotLimits,
                now: TimestampMs,
            ) -> Result<Bot, StoreError> {
                self.$f.start_bot_guarded(bot, limits, now).await
            }
            async fn activate_bot_guarded(
                &self,
                id: BotId,
                limits: BotLimits,
                now: TimestampMs,
            ) -> Result<Bot, StoreError> {
                self.$f.activate_bot_guarded(id, limits, now).await
            }
            async fn bot(&self, id: BotId) -> Result<Option<Bot>, StoreError> {
                self.$f.bot(id).await
            }
            async fn bots_for_user(&self, user_id: UserId, status: Option<BotStatus>) -> Result<Vec<Bot>, StoreError> {
                self.$f.bots_for_user(user_id, status).await
            }
            async fn user_summary(&self, user_id: UserId) -> Result<UserSummary, StoreError> {
                self.$f.user_summary(user_id).await
            }
            async fn bots_with_status(&self, statuses: &[BotStatus]) -> Result<Vec<Bot>, StoreError> {
                self.$f.bots_with_status(statuses).await
            }
            async fn set_bot_status(
                &self,
                id: BotId,
                status: BotStatus,
                error: Option<String>,
                now: TimestampMs,
            ) -> Result<(), StoreError> {
                self.$f.set_bot_status(id, status, error, now).await
            }
            async fn update_bot_stats(&self, id: BotId, stats: &BotStats, now: TimestampMs) -> Result<(), StoreError> {
                self.$f.update_bot_stats(id, stats, now).await
            }
            async fn save_engine_state(
                &self,
                id: BotId,
                state: &serde_json::Value,
                fill_cursor: Option<String>,
                now: TimestampMs,
            ) -> Result<(), StoreError> {
                self.$f.save_engine_state(id, state, fill_cursor, now).await
            }
            async fn delete_created_bot(&self, id: BotId) -> Result<(), StoreError> {
                self.$f.delete_created_bot(id).await
            }
            async fn update_bot_config(
                &self,
                id: BotId,
                kind: &gridbot_core::model::BotKind,
                now: TimestampMs,
            ) -> Result<(), StoreError> {
                self.$f.update_bot_config(id, kind, now).await
            }
            async fn upsert_orders(&self, orders: &[BotOrder]) -> Result<(), StoreError> {
                self.$f.upsert_orders(orders).await
            }
            async fn orders_for_bot(&self, bot_id: BotId, open_only: bool) -> Result<Vec<BotOrder>, StoreError> {
                self.$f.orders_for_bot(bot_id, open_only).await
            }
            async fn order_by_client_id(&self, client_id: &ClientOrderId) -> Result<Option<BotOrder>, StoreError> {
                self.$f.order_by_client_id(client_id).await
            }
            async fn insert_fills(&self, fills: &[FillRecord]) -> Result<usize, StoreError> {
                self.$f.insert_fills(fills).await
            }
            async fn fills_for_bot(&self, bot_id: BotId, limit: usize) -> Result<Vec<FillRecord>, StoreError> {
                self.$f.fills_for_bot(bot_id, limit).await
            }
            async fn fill_count(&self, bot_id: BotId) -> Result<u64, StoreError> {
                self.$f.fill_count(bot_id).await
            }
            async fn insert_equity_snapshots(&self, points: &[EquitySnapshot]) -> Result<(), StoreError> {
                self.$f.insert_equity_snapshots(points).await
            }
            async fn equity_curve(&self, bot_id: BotId, limit: usize) -> Result<Vec<EquitySnapshot>, StoreError> {
                self.$f.equity_curve(bot_id, limit).await
            }
            async fn cache_get(&self, key: &str, now: TimestampMs) -> Result<Option<serde_json::Value>, StoreError> {
                self.$f.cache_get(key, now).await
            }
            async fn cache_put(
                &self,
                key: &str,
                value: &serde_json::Value,
                expires_at: TimestampMs,
            ) -> Result<(), StoreError> {
                self.$f.cache_put(key, value, expires_at).await
            }
            async fn append_event(&self, event: &AuditEvent) -> Result<i64, StoreError> {
                self.$f.append_event(event).await
            }
            async fn events_for_user(&self, user_id: UserId, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
                self.$f.events_for_user(user_id, limit).await
            }
            async fn installation_tag(&self) -> Result<IdTag, StoreError> {
                self.$f.installation_tag().await
            }
            async fn acquire_lease(
                &self,
                bot_id: BotId,
                owner: &str,
                ttl_ms: i64,
            ) -> Result<Option<Lease>, StoreError> {
                self.$f.acquire_lease(bot_id, owner, ttl_ms).await
            }
            async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError> {
                self.$f.release_lease(lease).await
            }
            async fn write_bot(
                &self,
                lease: &Lease,
                writes: &BotWrites,
                now: TimestampMs,
            ) -> Result<BotWritten, StoreError> {
                self.$f.write_bot(lease, writes, now).await
            }
            async fn open_venue(&self, venue: &str, owner: &str) -> Result<gridbot_core::ports::VenueLoad, StoreError> {
                self.$f.open_venue(venue, owner).await
            }
            async fn append_venue(
                &self,
                claim: &gridbot_core::ports::VenueClaim,
                entries: &[gridbot_core::ports::VenueEntry],
                checkpoint: Option<gridbot_core::ports::VenueEntry>,
            ) -> Result<(), StoreError> {
                self.$f.append_venue(claim, entries, checkpoint).await
            }
        }
    };
}

pub(crate) use delegate_store;
