//! What a fake plays (account kind, environment), the behaviours tests
//! switch, and its WebSocket counters.

use std::collections::HashMap;

use crate::common::account::AccountKind;
use crate::common::urls::Environment;

/// Which account and environment a fake plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FakeOptions {
    /// Classic (v2) or unified (v3).
    pub kind: AccountKind,
    /// Live or demo keys.
    pub environment: Environment,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            kind: AccountKind::Classic,
            environment: Environment::Live,
        }
    }
}

/// Behaviours tests switch on and off.
#[derive(Debug, Clone)]
pub(crate) struct Knobs {
    /// Days `candles` serves.
    pub(crate) recent_days: i64,
    /// v3 refuses the `utc` intervals (40020).
    pub(crate) refuse_utc_v3: bool,
    /// v3 refuses `marginMode` in batch items.
    pub(crate) refuse_batch_margin_mode: bool,
    /// v3 `account/settings` reports `holdMode`.
    pub(crate) settings_report_hold_mode: bool,
    /// v2 `orders-pending` without `status` lists `live` orders only.
    pub(crate) pending_live_only: bool,
}

impl Default for Knobs {
    fn default() -> Self {
        Knobs {
            recent_days: 30,
            refuse_utc_v3: false,
            refuse_batch_margin_mode: false,
            settings_report_hold_mode: true,
            pending_live_only: true,
        }
    }
}

/// WebSocket counters.
#[derive(Debug, Clone, Default)]
pub struct WsStats {
    /// Public connections opened.
    pub public_connects: u64,
    /// Private connections opened.
    pub private_connects: u64,
    /// Private connections opened on the v3 path.
    pub v3_private_connects: u64,
    /// Public connections opened on the v3 path.
    pub v3_public_connects: u64,
    /// Successful logins.
    pub logins: u64,
    /// Refused logins.
    pub login_failures: u64,
    /// Channels currently subscribed per open public connection.
    pub public_channels: HashMap<u64, usize>,
    /// Subscribe requests received on public connections.
    pub public_subscribe_args: u64,
    /// Unsubscribe requests received on public connections.
    pub public_unsubscribe_args: u64,
    /// Pings answered.
    pub pings: u64,
}
