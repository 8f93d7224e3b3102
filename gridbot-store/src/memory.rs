//! [`MemoryStore`]: everything in one mutex-guarded state, for tests,
//! examples and throw-away runs. Nothing survives the process.
//!
//! Each call takes the lock once, validates the whole request and only then
//! changes the state, so every call is atomic and guarded starts are
//! serialised exactly like the SQL stores' transactions. Orderings match the
//! SQL stores: ids are positive and grow; orders keep the position of their first
//! insert; fills and equity points sort by `(ts, insertion)`.
//!
//! Lease expiry is judged by the store's clock ([`MemoryStore::with_clock`];
//! the system clock by default), as the SQL stores judge it by the
//! database's, so a simulated-time deployment expires leases in simulated
//! time.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use gridbot_core::clock::{Clock, SystemClock};
use gridbot_core::model::{
    AuditEvent, Bot, BotId, BotKind, BotOrder, BotOrderStatus, BotOverview, BotSource, BotStats, BotStatus,
    ClientOrderId, CredentialsRecord, EquitySnapshot, Fill, FillRecord, IdTag, NewBot, RiskSettings, StrategyTemplate,
    TemplateId, TimestampMs, User, UserId, UserSummary,
};
use gridbot_core::ports::{BotLimits, BotWrites, BotWritten, Lease, Store};
use gridbot_core::StoreError;

use crate::batch::{dedupe_fills, dedupe_orders, group_fills_by_bot};
use crate::booking::{check_new_fills, Booked};
use crate::fence::{self, check_own_rows, check_ttl, lease_lost, LeaseRow, RELEASED_AT};
use crate::guard::{
    check_start, check_status_change, config_change_allowed, delete_allowed, transition_allowed, Holder,
};

#[derive(Debug, Default)]
struct State {
    users: BTreeMap<i64, User>,
    credentials: HashMap<i64, CredentialsRecord>,
    risk: HashMap<i64, RiskSettings>,
    templates: BTreeMap<i64, StrategyTemplate>,
    bots: BTreeMap<i64, Bot>,
    fill_counts: HashMap<i64, u64>,
    /// Client id → (insertion sequence, order).
    orders: HashMap<String, (u64, BotOrder)>,
    /// Bot → (insertion sequence, fill).
    fills: HashMap<i64, Vec<(u64, FillRecord)>>,
    fill_keys: HashSet<(i64, String)>,
    /// Bot → client id → quantity its stored fills booked.
    booked: HashMap<i64, Booked>,
    equity: HashMap<i64, Vec<(u64, EquitySnapshot)>>,
    cache: HashMap<String, (serde_json::Value, TimestampMs)>,
    events: Vec<AuditEvent>,
    leases: HashMap<i64, LeaseRow>,
    installation: Option<IdTag>,
    venues: HashMap<String, crate::venue::VenueJournalRow>,
    seq: u64,
    last_id: i64,
}

impl State {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Ids shared by every table (they only need to be unique per table).
    fn next_id(&mut self) -> i64 {
        self.last_id += 1;
        self.last_id
    }

    fn require_user(&self, id: UserId) -> Result<(), StoreError> {
        if self.users.contains_key(&id.0) {
            Ok(())
        } else {
            Err(StoreError::NotFound(format!("user {id}")))
        }
    }

    fn require_bots(&self, ids: impl IntoIterator<Item = BotId>) -> Result<(), StoreError> {
        for id in ids {
            if !self.bots.contains_key(&id.0) {
                return Err(StoreError::NotFound(format!("bot {id}")));
            }
        }
        Ok(())
    }

    fn check_new_bot(&self, bot: &NewBot) -> Result<(), StoreError> {
        self.require_user(bot.user_id)?;
        if let BotSource::Template(id) = bot.source {
            if !self.templates.contains_key(&id.0) {
                return Err(StoreError::NotFound(format!("template {id}")));
            }
        }
        Ok(())
    }

    fn holders(&self, user_id: UserId, except: Option<BotId>) -> Vec<Holder> {
        self.bots
            .values()
            .filter(|b| b.user_id == user_id && Some(b.id) != except && b.status.holds_allocation())
            .map(|b| Holder {
                symbol: b.symbol.as_str().to_owned(),
                allocation: b.allocation,
            })
            .collect()
    }

    fn insert_bot(&mut self, bot: &NewBot, status: BotStatus, now: TimestampMs) -> Bot {
        let id = BotId(self.next_id());
        let mut saved = Bot::new(
            id,
            bot.user_id,
            bot.name.as_str(),
            bot.kind.clone(),
            bot.allocation,
            bot.source,
            now,
        );
        saved.status = status;
        saved.started_at = status.holds_allocation().then_some(now);
        self.bots.insert(id.0, saved.clone());
        saved
    }

    fn bot_mut(&mut self, id: BotId) -> Result<&mut Bot, StoreError> {
        self.bots
            .get_mut(&id.0)
            .ok_or_else(|| StoreError::NotFound(format!("bot {id}")))
    }

    fn bot(&self, id: BotId) -> Result<&Bot, StoreError> {
        self.bots
            .get(&id.0)
            .ok_or_else(|| StoreError::NotFound(format!("bot {id}")))
    }

    /// Inserts or replaces orders by client id (their bots exist).
    fn put_orders(&mut self, orders: &[&BotOrder]) {
        for o in orders {
            let seq = match self.orders.get(o.client_id.as_str()) {
                Some((seq, _)) => *seq,
                None => self.next_seq(),
            };
            self.orders.insert(o.client_id.as_str().to_owned(), (seq, (*o).clone()));
        }
    }

    /// Those of `fills` (one bot's, each id once) not booked yet.
    fn new_fills<'a>(&self, bot: BotId, fills: &[&'a Fill]) -> Vec<&'a Fill> {
        fills
            .iter()
            .copied()
            .filter(|f| !self.fill_keys.contains(&(bot.0, f.id.clone())))
            .collect()
    }

    /// Applies the booking rule to `bot`'s new fills, finding orders in
    /// `pending` (the call's own orders, not written yet) before the
    /// stored ones.
    fn check_booking(&self, bot: BotId, new: &[&Fill], pending: &HashMap<&str, &BotOrder>) -> Result<(), StoreError> {
        let stored = self.booked.get(&bot.0);
        let booked: Booked = new
            .iter()
            .filter_map(|f| {
                let id = f.client_id.as_str();
                stored.and_then(|b| b.get(id)).map(|q| (id.to_owned(), *q))
            })
            .collect();
        let order_of = |id: &str| pending.get(id).copied().or_else(|| self.orders.get(id).map(|(_, o)| o));
        check_new_fills(bot, new, order_of, booked)
    }

    /// Books `bot`'s new fills (checked by [`State::check_booking`]).
    fn book(&mut self, bot: BotId, new: &[&Fill]) {
        for f in new {
            self.fill_keys.insert((bot.0, f.id.clone()));
            let seq = self.next_seq();
            let record = FillRecord {
                bot_id: bot,
                fill: (*f).clone(),
            };
            self.fills.entry(bot.0).or_default().push((seq, record));
            *self.fill_counts.entry(bot.0).or_default() += 1;
            let booked = self
                .booked
                .entry(bot.0)
                .or_default()
                .entry(f.client_id.as_str().to_owned())
                .or_default();
            // Checked for fills of known orders; others cannot matter beyond the range.
            *booked = booked.saturating_add(f.qty);
        }
    }

    fn put_equity(&mut self, points: &[EquitySnapshot]) {
        for p in points {
            let seq = self.next_seq();
            self.equity.entry(p.bot_id.0).or_default().push((seq, p.clone()));
        }
    }

    /// Sets a bot's status and message, stamping `stopped_at` on `Stopped`
    /// (the caller checked the move).
    fn put_status(
        &mut self,
        id: BotId,
        status: BotStatus,
        message: Option<String>,
        now: TimestampMs,
    ) -> Result<(), StoreError> {
        let b = self.bot_mut(id)?;
        b.status = status;
        b.error_message = message;
        b.updated_at = now;
        if status == BotStatus::Stopped {
            b.stopped_at = Some(now);
        }
        Ok(())
    }

    fn put_stats(&mut self, id: BotId, stats: &BotStats, now: TimestampMs) -> Result<(), StoreError> {
        let b = self.bot_mut(id)?;
        b.stats = stats.clone();
        b.updated_at = now;
        Ok(())
    }

    fn put_engine(
        &mut self,
        id: BotId,
        state: &serde_json::Value,
        fill_cursor: Option<String>,
        now: TimestampMs,
    ) -> Result<(), StoreError> {
        let b = self.bot_mut(id)?;
        b.engine_state = Some(state.clone());
        b.fill_cursor = fill_cursor;
        b.updated_at = now;
        Ok(())
    }

    fn open_orders(&self, bot_id: BotId) -> u64 {
        let open =
            |o: &BotOrder| o.bot_id == bot_id && matches!(o.status, BotOrderStatus::Intended | BotOrderStatus::Open);
        self.orders.values().filter(|(_, o)| open(o)).count() as u64
    }
}

/// The newest `limit` of `items` (sorted by `key`), oldest first.
fn newest<T: Clone, K: Ord>(items: &[(u64, T)], limit: usize, key: impl Fn(&(u64, T)) -> K) -> Vec<T> {
    let mut sorted: Vec<&(u64, T)> = items.iter().collect();
    sorted.sort_by_key(|x| key(x));
    let skip = sorted.len().saturating_sub(limit);
    sorted.into_iter().skip(skip).map(|(_, v)| v.clone()).collect()
}

/// The in-memory store.
pub struct MemoryStore {
    state: Mutex<State>,
    clock: Arc<dyn Clock>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::with_clock(Arc::new(SystemClock))
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("state", &self.state)
            .field("now_ms", &self.clock.now_ms())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store on the system clock.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// An empty store whose clock — what lease expiry is judged by — is
    /// `clock` (a simulated deployment passes its simulated clock).
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        MemoryStore {
            state: Mutex::new(State::default()),
            clock,
        }
    }

    /// The same store with its installation tag fixed to `tag` instead of a
    /// random one (simulations that compare client ids across runs).
    pub fn with_installation_tag(self, tag: IdTag) -> Self {
        if let Ok(mut st) = self.state.lock() {
            st.installation = Some(tag);
        }
        self
    }

    fn lock(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.state.lock().map_err(|_| {
            StoreError::Database(
                "the in-memory store was poisoned by a panic in another task; restart the process (its data is lost)"
                    .into(),
            )
        })
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn create_user(&self, username: &str, password_hash: &str, now: TimestampMs) -> Result<User, StoreError> {
        let mut s = self.lock()?;
        if s.users.values().any(|u| u.username == username) {
            return Err(StoreError::Conflict(format!("user name {username:?} is taken")));
        }
        let user = User::new(UserId(s.next_id()), username, password_hash, now);
        s.users.insert(user.id.0, user.clone());
        Ok(user)
    }

    async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.lock()?.users.get(&id.0).cloned())
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>, StoreError> {
        Ok(self.lock()?.users.values().find(|u| u.username == username).cloned())
    }

    async fn put_credentials(&self, record: &CredentialsRecord) -> Result<(), StoreError> {
        let mut s = self.lock()?;
        s.require_user(record.user_id)?;
        s.credentials.insert(record.user_id.0, record.clone());
        Ok(())
    }

    async fn credentials(&self, user_id: UserId) -> Result<Option<CredentialsRecord>, StoreError> {
        Ok(self.lock()?.credentials.get(&user_id.0).cloned())
    }

    async fn delete_credentials(&self, user_id: UserId) -> Result<(), StoreError> {
        self.lock()?.credentials.remove(&user_id.0);
        Ok(())
    }

    async fn risk_settings(&self, user_id: UserId) -> Result<RiskSettings, StoreError> {
        Ok(self
            .lock()?
            .risk
            .get(&user_id.0)
            .cloned()
            .unwrap_or_else(|| RiskSettings::default_for(user_id)))
    }

    async fn put_risk_settings(&self, settings: &RiskSettings) -> Result<(), StoreError> {
        let mut s = self.lock()?;
        s.require_user(settings.user_id)?;
        s.risk.insert(settings.user_id.0, settings.clone());
        Ok(())
    }

    async fn upsert_template(&self, template: &StrategyTemplate) -> Result<StrategyTemplate, StoreError> {
        let mut s = self.lock()?;
        let mut saved = template.clone();
        if template.id.0 == 0 {
            saved.id = TemplateId(s.next_id());
        } else if !s.templates.contains_key(&template.id.0) {
            return Err(StoreError::NotFound(format!("template {}", template.id)));
        }
        s.templates.insert(saved.id.0, saved.clone());
        Ok(saved)
    }

    async fn templates(&self) -> Result<Vec<StrategyTemplate>, StoreError> {
        Ok(self.lock()?.templates.values().cloned().collect())
    }

    async fn template(&self, id: TemplateId) -> Result<Option<StrategyTemplate>, StoreError> {
        Ok(self.lock()?.templates.get(&id.0).cloned())
    }

    async fn create_bot(&self, bot: &NewBot, now: TimestampMs) -> Result<Bot, StoreError> {
        let mut s = self.lock()?;
        s.check_new_bot(bot)?;
        Ok(s.insert_bot(bot, BotStatus::Created, now))
    }

    async fn start_bot_guarded(&self, bot: &NewBot, limits: BotLimits, now: TimestampMs) -> Result<Bot, StoreError> {
        let mut s = self.lock()?;
        s.check_new_bot(bot)?;
        check_start(
            &s.holders(bot.user_id, None),
            bot.kind.symbol().as_str(),
            bot.allocation,
            limits,
        )?;
        Ok(s.insert_bot(bot, BotStatus::Starting, now))
    }

    async fn activate_bot_guarded(&self, id: BotId, limits: BotLimits, now: TimestampMs) -> Result<Bot, StoreError> {
        let mut s = self.lock()?;
        let bot = s.bot_mut(id)?.clone();
        if bot.status.holds_allocation() {
            return Err(StoreError::Conflict(format!(
                "bot {id} is already {}; only a created or stopped bot can be started",
                bot.status.as_str()
            )));
        }
        check_start(
            &s.holders(bot.user_id, Some(id)),
            bot.symbol.as_str(),
            bot.allocation,
            limits,
        )?;
        let b = s.bot_mut(id)?;
        b.status = BotStatus::Starting;
        b.started_at = Some(now);
        b.updated_at = now;
        b.stopped_at = None;
        b.error_message = None;
        Ok(b.clone())
    }

    async fn bot(&self, id: BotId) -> Result<Option<Bot>, StoreError> {
        Ok(self.lock()?.bots.get(&id.0).cloned())
    }

    async fn bots_for_user(&self, user_id: UserId, status: Option<BotStatus>) -> Result<Vec<Bot>, StoreError> {
        let s = self.lock()?;
        Ok(s.bots
            .values()
            .rev()
            .filter(|b| b.user_id == user_id && status.is_none_or(|st| b.status == st))
            .cloned()
            .collect())
    }

    async fn user_summary(&self, user_id: UserId) -> Result<UserSummary, StoreError> {
        let s = self.lock()?;
        let bots = s
            .bots
            .values()
            .rev()
            .filter(|b| b.user_id == user_id)
            .map(|b| {
                let fills = s.fill_counts.get(&b.id.0).copied().unwrap_or(0);
                BotOverview::new(b.clone(), fills, s.open_orders(b.id))
            })
            .collect();
        Ok(UserSummary::from_bots(user_id, bots))
    }

    async fn bots_with_status(&self, statuses: &[BotStatus]) -> Result<Vec<Bot>, StoreError> {
        let s = self.lock()?;
        Ok(s.bots
            .values()
            .filter(|b| statuses.contains(&b.status))
            .cloned()
            .collect())
    }

    async fn set_bot_status(
        &self,
        id: BotId,
        status: BotStatus,
        error: Option<String>,
        now: TimestampMs,
    ) -> Result<(), StoreError> {
        let mut s = self.lock()?;
        transition_allowed(id, s.bot(id)?.status, status)?;
        s.put_status(id, status, error, now)
    }

    async fn delete_created_bot(&self, id: BotId) -> Result<(), StoreError> {
        let mut s = self.lock()?;
        let status = s.bot_mut(id)?.status;
        delete_allowed(id, status)?;
        s.bots.remove(&id.0);
        s.leases.remove(&id.0);
        Ok(())
    }

    async fn update_bot_config(&self, id: BotId, kind: &BotKind, now: TimestampMs) -> Result<(), StoreError> {
        let mut s = self.lock()?;
        let b = s.bot_mut(id)?;
        config_change_allowed(id, &b.kind, kind)?;
        b.kind = kind.clone();
        b.updated_at = now;
        Ok(())
    }

    async fn update_bot_stats(&self, id: BotId, stats: &BotStats, now: TimestampMs) -> Result<(), StoreError> {
        self.lock()?.put_stats(id, stats, now)
    }

    async fn save_engine_state(
        &self,
        id: BotId,
        state: &serde_json::Value,
        fill_cursor: Option<String>,
        now: TimestampMs,
    ) -> Result<(), StoreError> {
        self.lock()?.put_engine(id, state, fill_cursor, now)
    }

    async fn upsert_orders(&self, orders: &[BotOrder]) -> Result<(), StoreError> {
        let mut s = self.lock()?;
        s.require_bots(orders.iter().map(|o| o.bot_id))?;
        s.put_orders(&dedupe_orders(orders));
        Ok(())
    }

    async fn orders_for_bot(&self, bot_id: BotId, open_only: bool) -> Result<Vec<BotOrder>, StoreError> {
        let s = self.lock()?;
        let mut out: Vec<&(u64, BotOrder)> = s
            .orders
            .values()
            .filter(|(_, o)| {
                o.bot_id == bot_id
                    && (!open_only || matches!(o.status, BotOrderStatus::Intended | BotOrderStatus::Open))
            })
            .collect();
        out.sort_by_key(|(seq, _)| *seq);
        Ok(out.into_iter().map(|(_, o)| o.clone()).collect())
    }

    async fn order_by_client_id(&self, client_id: &ClientOrderId) -> Result<Option<BotOrder>, StoreError> {
        Ok(self.lock()?.orders.get(client_id.as_str()).map(|(_, o)| o.clone()))
    }

    async fn insert_fills(&self, fills: &[FillRecord]) -> Result<usize, StoreError> {
        let mut s = self.lock()?;
        let groups = group_fills_by_bot(fills);
        s.require_bots(groups.iter().map(|(id, _)| *id))?;
        let mut new = Vec::with_capacity(groups.len());
        for (bot_id, group) in &groups {
            let fresh = s.new_fills(*bot_id, group);
            s.check_booking(*bot_id, &fresh, &HashMap::new())?;
            new.push((*bot_id, fresh));
        }
        let mut total = 0;
        for (bot_id, fresh) in new {
            s.book(bot_id, &fresh);
            total += fresh.len();
        }
        Ok(total)
    }

    async fn fills_for_bot(&self, bot_id: BotId, limit: usize) -> Result<Vec<FillRecord>, StoreError> {
        let s = self.lock()?;
        let fills = s.fills.get(&bot_id.0).map(Vec::as_slice).unwrap_or_default();
        Ok(newest(fills, limit, |(seq, f)| (f.fill.ts, *seq)))
    }

    async fn fill_count(&self, bot_id: BotId) -> Result<u64, StoreError> {
        Ok(self.lock()?.fill_counts.get(&bot_id.0).copied().unwrap_or(0))
    }

    async fn insert_equity_snapshots(&self, points: &[EquitySnapshot]) -> Result<(), StoreError> {
        let mut s = self.lock()?;
        s.require_bots(points.iter().map(|p| p.bot_id))?;
        s.put_equity(points);
        Ok(())
    }

    async fn equity_curve(&self, bot_id: BotId, limit: usize) -> Result<Vec<EquitySnapshot>, StoreError> {
        let s = self.lock()?;
        let points = s.equity.get(&bot_id.0).map(Vec::as_slice).unwrap_or_default();
        Ok(newest(points, limit, |(seq, p)| (p.ts, *seq)))
    }

    async fn cache_get(&self, key: &str, now: TimestampMs) -> Result<Option<serde_json::Value>, StoreError> {
        let s = self.lock()?;
        Ok(s.cache.get(key).filter(|(_, exp)| *exp > now).map(|(v, _)| v.clone()))
    }

    async fn cache_put(&self, key: &str, value: &serde_json::Value, expires_at: TimestampMs) -> Result<(), StoreError> {
        self.lock()?.cache.insert(key.to_owned(), (value.clone(), expires_at));
        Ok(())
    }

    async fn append_event(&self, event: &AuditEvent) -> Result<i64, StoreError> {
        let mut s = self.lock()?;
        let mut e = event.clone();
        e.id = s.next_id();
        let id = e.id;
        s.events.push(e);
        Ok(id)
    }

    async fn events_for_user(&self, user_id: UserId, limit: usize) -> Result<Vec<AuditEvent>, StoreError> {
        let s = self.lock()?;
        Ok(s.events
            .iter()
            .rev()
            .filter(|e| e.user_id == Some(user_id))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn installation_tag(&self) -> Result<IdTag, StoreError> {
        Ok(*self.lock()?.installation.get_or_insert_with(IdTag::random))
    }

    async fn acquire_lease(&self, bot_id: BotId, owner: &str, ttl_ms: i64) -> Result<Option<Lease>, StoreError> {
        check_ttl(bot_id, ttl_ms)?;
        let now = self.clock.now_ms();
        let mut s = self.lock()?;
        s.require_bots([bot_id])?;
        let Some(row) = fence::take(s.leases.get(&bot_id.0), owner, now, ttl_ms) else {
            return Ok(None);
        };
        let epoch = row.epoch;
        s.leases.insert(bot_id.0, row);
        Ok(Some(Lease {
            bot_id,
            owner: owner.to_owned(),
            epoch,
        }))
    }

    async fn open_venue(&self, venue: &str, owner: &str) -> Result<gridbot_core::ports::VenueLoad, StoreError> {
        Ok(self
            .lock()?
            .venues
            .entry(venue.to_owned())
            .or_default()
            .open(venue, owner))
    }

    async fn append_venue(
        &self,
        claim: &gridbot_core::ports::VenueClaim,
        entries: &[gridbot_core::ports::VenueEntry],
        checkpoint: Option<gridbot_core::ports::VenueEntry>,
    ) -> Result<(), StoreError> {
        let mut s = self.lock()?;
        match s.venues.get_mut(&claim.venue) {
            Some(row) => row.append(claim, entries, checkpoint.as_ref()),
            None => Err(crate::venue::fenced(claim)),
        }
    }

    async fn release_lease(&self, lease: &Lease) -> Result<(), StoreError> {
        let mut s = self.lock()?;
        if let Some(row) = s.leases.get_mut(&lease.bot_id.0) {
            if row.owner == lease.owner && row.epoch == lease.epoch {
                row.expires_at = RELEASED_AT;
            }
        }
        Ok(())
    }

    async fn write_bot(&self, lease: &Lease, writes: &BotWrites, now: TimestampMs) -> Result<BotWritten, StoreError> {
        check_own_rows(lease, writes)?;
        let bot = lease.bot_id;
        let clock_now = self.clock.now_ms();
        let mut s = self.lock()?;
        if !fence::holds(s.leases.get(&bot.0), lease, clock_now) {
            return Err(lease_lost(lease));
        }
        let current = s.bot(bot)?.status;
        // Check everything first (in the SQL stores' order), then write.
        let orders = dedupe_orders(&writes.orders);
        let pending: HashMap<&str, &BotOrder> = orders.iter().map(|o| (o.client_id.as_str(), *o)).collect();
        let fills = dedupe_fills(&writes.fills);
        let new = s.new_fills(bot, &fills);
        s.check_booking(bot, &new, &pending)?;
        if let Some(change) = &writes.status {
            check_status_change(bot, current, change)?;
        }
        s.put_orders(&orders);
        s.book(bot, &new);
        if let Some(engine) = &writes.engine {
            s.put_engine(bot, &engine.state, engine.fill_cursor.clone(), now)?;
        }
        if let Some(stats) = &writes.stats {
            s.put_stats(bot, stats, now)?;
        }
        s.put_equity(&writes.equity);
        if let Some(change) = &writes.status {
            s.put_status(bot, change.to, change.message.clone(), now)?;
        }
        let mut written = BotWritten::default();
        written.new_fills = new.len();
        Ok(written)
    }
}
