//! Runner leases and fenced writes: the rules every store applies alike
//! (the SQL store states the lease rules in one statement each,
//! `sql/runner.rs`; [`crate::MemoryStore`] calls [`take`] and [`holds`]).
//!
//! - A lease lasts `ttl_ms` of the *store's* clock (1 ms to
//!   [`MAX_LEASE_TTL_MS`]), never the caller's.
//! - Epochs ([`Lease`]): a new lease row starts at 1; renewing a live lease
//!   by its owner keeps the epoch; taking it from another owner, or again
//!   after it lapsed (expired or released), adds one. A live lease of
//!   another owner is not taken.
//! - Releasing keeps the row and its epoch and sets it lapsed
//!   ([`RELEASED_AT`]), so the next taker — the same owner too — gets a new
//!   epoch.
//! - A write under a lease is applied only while the lease row has the
//!   lease's owner and epoch and has not expired, and touches only the
//!   lease's bot ([`check_own_rows`]).

use gridbot_core::model::{BotId, TimestampMs};
use gridbot_core::ports::{BotWrites, Lease};
use gridbot_core::StoreError;

/// The expiry a released lease is given: long past.
pub(crate) const RELEASED_AT: TimestampMs = 0;

/// The longest lease a store grants (366 days), so an expiry never
/// overflows.
pub(crate) const MAX_LEASE_TTL_MS: i64 = 366 * 24 * 60 * 60 * 1000;

/// Refuses a lease time outside 1 ms ..= [`MAX_LEASE_TTL_MS`] (a lease born
/// expired would hold nothing).
pub(crate) fn check_ttl(bot: BotId, ttl_ms: i64) -> Result<(), StoreError> {
    if (1..=MAX_LEASE_TTL_MS).contains(&ttl_ms) {
        return Ok(());
    }
    Err(StoreError::Conflict(format!(
        "lease on bot {bot}: ttl_ms must be 1 to {MAX_LEASE_TTL_MS} ms, got {ttl_ms}"
    )))
}

/// A lease as a store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LeaseRow {
    /// The holder.
    pub owner: String,
    /// Until when it holds, on the store's clock.
    pub expires_at: TimestampMs,
    /// The fencing epoch.
    pub epoch: i64,
}

/// The lease row after `owner` asks for the lease at `now` for `ttl_ms`
/// (`row` is the current one), or `None` when another owner holds a live
/// lease (the row stays).
pub(crate) fn take(row: Option<&LeaseRow>, owner: &str, now: TimestampMs, ttl_ms: i64) -> Option<LeaseRow> {
    let expires_at = now.saturating_add(ttl_ms);
    let epoch = match row {
        None => 1,
        Some(r) if r.expires_at <= now => r.epoch.saturating_add(1),
        Some(r) if r.owner == owner => r.epoch,
        Some(_) => return None,
    };
    Some(LeaseRow {
        owner: owner.to_owned(),
        expires_at,
        epoch,
    })
}

/// True while `row` is `lease` (same owner and epoch) and live at `now`.
pub(crate) fn holds(row: Option<&LeaseRow>, lease: &Lease, now: TimestampMs) -> bool {
    row.is_some_and(|r| r.owner == lease.owner && r.epoch == lease.epoch && r.expires_at > now)
}

/// The refusal of a write whose lease no longer holds its bot.
pub(crate) fn lease_lost(lease: &Lease) -> StoreError {
    StoreError::LeaseLost {
        bot: lease.bot_id,
        owner: lease.owner.clone(),
        epoch: lease.epoch,
    }
}

/// Refuses writes under `lease` that name another bot's orders or equity
/// points: a lease fences exactly one bot's rows.
pub(crate) fn check_own_rows(lease: &Lease, writes: &BotWrites) -> Result<(), StoreError> {
    let bot = lease.bot_id;
    let foreign = writes
        .orders
        .iter()
        .map(|o| (o.bot_id, "an order"))
        .chain(writes.equity.iter().map(|p| (p.bot_id, "an equity point")))
        .find(|(id, _)| *id != bot);
    match foreign {
        None => Ok(()),
        Some((other, what)) => Err(StoreError::Conflict(format!(
            "a write under the lease of bot {bot} carries {what} of bot {other}; a runner writes only its own \
             bot's rows"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(owner: &str, expires_at: i64, epoch: i64) -> LeaseRow {
        LeaseRow {
            owner: owner.into(),
            expires_at,
            epoch,
        }
    }

    #[test]
    fn renewal_keeps_the_epoch_and_every_other_take_moves_it() {
        assert_eq!(take(None, "a", 0, 10), Some(row("a", 10, 1)));
        let live = row("a", 10, 4);
        assert_eq!(take(Some(&live), "a", 5, 10), Some(row("a", 15, 4)), "renewal");
        assert_eq!(take(Some(&live), "b", 5, 10), None, "live lease of another");
        assert_eq!(
            take(Some(&live), "b", 10, 10),
            Some(row("b", 20, 5)),
            "expired: taken over"
        );
        assert_eq!(
            take(Some(&live), "a", 10, 10),
            Some(row("a", 20, 5)),
            "expired: taken again"
        );
        let released = row("a", RELEASED_AT, 4);
        assert_eq!(take(Some(&released), "a", 1, 10), Some(row("a", 11, 5)), "released");
    }

    #[test]
    fn a_lease_holds_only_with_its_owner_and_epoch_until_expiry() {
        let lease = Lease {
            bot_id: BotId(1),
            owner: "a".into(),
            epoch: 2,
        };
        assert!(holds(Some(&row("a", 10, 2)), &lease, 9));
        assert!(!holds(Some(&row("a", 10, 2)), &lease, 10));
        assert!(!holds(Some(&row("a", 10, 3)), &lease, 9));
        assert!(!holds(Some(&row("b", 10, 2)), &lease, 9));
        assert!(!holds(None, &lease, 0));
    }

    #[test]
    fn lease_times_out_of_range_are_refused() {
        assert!(check_ttl(BotId(1), 0).is_err());
        assert!(check_ttl(BotId(1), MAX_LEASE_TTL_MS + 1).is_err());
        assert!(check_ttl(BotId(1), 1).is_ok());
    }
}
