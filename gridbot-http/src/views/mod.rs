//! Response bodies. On the owner's routes (`SEED_API.md`) every body has
//! the owner's field names and JSON types; gridbot's own fields travel
//! beside them under gridbot's names, never instead of them.
//!
//! Conventions:
//! - the owner's money and percentages are JSON numbers rounded to cents
//!   ([`num2`]); prices are JSON numbers of the exact decimal ([`num`]);
//! - gridbot's exact figures are decimal strings (`allocation`, `total_pnl`
//!   inside `balance`, `config`, ...);
//! - the owner's times are ISO-8601 UTC strings ([`iso`]); gridbot's are
//!   milliseconds under names ending in `_ms`;
//! - the owner's `status` is coarse (`running` / `stopped` / `error`, plus
//!   `paused` for grid bots), gridbot's `state` is the exact life-cycle state
//!   ([`owner_status`]).

pub mod bot;
pub mod grid;
pub mod summary;
pub mod template;

pub use bot::{BotActions, BotView, PositionView, TrendView};
pub use grid::{GridBotView, GridPositionView};
pub use summary::{BalanceCheckView, LimitsView, SummaryView};
pub use template::TemplateView;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use gridbot_core::model::{BotStatus, TimestampMs};

/// A decimal as a JSON number, exact to what an `f64` shows (prices, sizes).
pub fn num(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Money or a percentage as the owner's JSON number: rounded to cents
/// (half away from zero).
pub fn num2(d: Decimal) -> f64 {
    num(d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
}

/// A time as ISO-8601 UTC with milliseconds: `2024-03-01T12:00:00.000Z`.
pub fn iso(ms: TimestampMs) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// The owner's coarse status of a bot: `created` and `stopped` are
/// `stopped`, `error` is `error`, every other state (starting, running,
/// paused, stopping: the bot holds its allocation) is `running`. With
/// `paused` (the owner's grid-bot status set), a paused bot is `paused`.
pub fn owner_status(status: BotStatus, paused: bool) -> &'static str {
    match status {
        BotStatus::Created | BotStatus::Stopped => "stopped",
        BotStatus::Error => "error",
        BotStatus::Paused if paused => "paused",
        _ => "running",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn times_are_iso_8601_utc() {
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(1_709_294_400_123), "2024-03-01T12:00:00.123Z");
        assert_eq!(iso(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn owner_numbers_are_cents_and_prices_exact() {
        assert_eq!(num2(dec!(250.235)), 250.24);
        assert_eq!(num2(dec!(-0.005)), -0.01);
        assert_eq!(num(dec!(0.30765)), 0.30765);
    }

    #[test]
    fn fine_states_map_onto_the_owners_statuses() {
        assert_eq!(owner_status(BotStatus::Created, false), "stopped");
        assert_eq!(owner_status(BotStatus::Stopping, false), "running");
        assert_eq!(owner_status(BotStatus::Paused, false), "running");
        assert_eq!(owner_status(BotStatus::Paused, true), "paused");
        assert_eq!(owner_status(BotStatus::Error, true), "error");
    }
}
