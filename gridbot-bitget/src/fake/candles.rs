//! The fake's candle endpoints, with Bitget's limits (facts and sources in
//! `../shared/bitget/UTA.md` §2.15 and §7.1):
//!
//! - `candles` serves at most 1000 rows and only the last
//!   [`super::FakeBitget::set_recent_days`] days; `history-candles` serves
//!   closed candles of any age, at most 200 rows (v2) or 100 (v3). A larger
//!   `limit` is refused (40020).
//! - `endTime − startTime` may be at most 90 days (refused otherwise; v3
//!   with HTTP 400 code `00001` as measured live, v2 with 40017, the fake's
//!   choice).
//! - Bounds: v3 `candles` keeps `startTime < ts ≤ endTime`, v3
//!   `history-candles` `startTime ≤ ts < endTime` (measured live); v2 both
//!   inclusive (the fake's choice). Clients must not depend on either.
//! - `6H`, `12H`, `1D` open on the UTC+8 grid (the day at 16:00 UTC); the
//!   `6Hutc`, `12Hutc`, `1Dutc` variants on UTC. A unified fake can be told
//!   to refuse the `utc` variants (40020), as Bitget's v3 docs do not list them.
//! - Rows are built from the seeded candles by bucketing them on the grid.

use gridbot_core::model::Candle;

use super::book::{Book, Refusal};
use super::Knobs;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// One candle request as the fake reads it.
#[derive(Debug, Clone)]
pub struct CandleQuery {
    /// Contract.
    pub symbol: String,
    /// `granularity` (v2) / `interval` (v3).
    pub granularity: String,
    /// `startTime` (none: no lower bound).
    pub start: Option<i64>,
    /// `endTime` (none: now).
    pub end: Option<i64>,
    /// `limit` (none: 100).
    pub limit: Option<usize>,
    /// `history-candles` rather than `candles`.
    pub history: bool,
    /// The v3 endpoint rather than v2.
    pub v3: bool,
}

/// Length and grid offset of a granularity; `None` when Bitget does not know it.
fn grid(g: &str) -> Option<(i64, i64)> {
    let m = 60_000;
    Some(match g {
        "1m" => (m, 0),
        "3m" => (3 * m, 0),
        "5m" => (5 * m, 0),
        "15m" => (15 * m, 0),
        "30m" => (30 * m, 0),
        "1H" => (HOUR, 0),
        "4H" => (4 * HOUR, 0),
        "6H" => (6 * HOUR, 8 * HOUR),
        "12H" => (12 * HOUR, 8 * HOUR),
        "1D" => (DAY, 8 * HOUR),
        "6Hutc" => (6 * HOUR, 0),
        "12Hutc" => (12 * HOUR, 0),
        "1Dutc" => (DAY, 0),
        _ => return None,
    })
}

/// The rows a request gets, oldest first, or Bitget's refusal.
pub(crate) fn serve(book: &Book, knobs: &Knobs, q: &CandleQuery, now: i64) -> Result<Vec<Candle>, Refusal> {
    let bad_interval = || {
        if q.v3 {
            ("40020", format!("Parameter interval error: {}", q.granularity))
        } else {
            ("40017", format!("Parameter granularity error: {}", q.granularity))
        }
    };
    let (step, offset) = grid(&q.granularity).ok_or_else(bad_interval)?;
    if q.v3 && knobs.refuse_utc_v3 && q.granularity.ends_with("utc") {
        return Err(bad_interval());
    }
    let max = match (q.history, q.v3) {
        (false, _) => 1000,
        (true, false) => 200,
        (true, true) => 100,
    };
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > max {
        return Err(("40020", format!("Parameter limit error: {limit}, at most {max}")));
    }
    let end = q.end.unwrap_or(now);
    if let Some(start) = q.start {
        if end - start > 90 * DAY {
            return Err(if q.v3 {
                (
                    "00001",
                    "startTime and endTime interval cannot be greater than 90 days".to_owned(),
                )
            } else {
                (
                    "40017",
                    "Parameter error: the time range cannot exceed 90 days".to_owned(),
                )
            });
        }
    }
    let start = q.start.unwrap_or(end - 90 * DAY);
    let inside = |ts: i64| match (q.v3, q.history) {
        (true, false) => ts > start && ts <= end,
        (true, true) => ts >= start && ts < end,
        (false, _) => ts >= start && ts <= end,
    };
    let oldest_recent = now - knobs.recent_days * DAY;
    let rows = buckets(
        book.candles.get(&q.symbol).map(Vec::as_slice).unwrap_or_default(),
        step,
        offset,
    );
    Ok(rows
        .into_iter()
        .filter(|c| inside(c.ts))
        .filter(|c| {
            if q.history {
                c.ts + step <= now
            } else {
                c.ts >= oldest_recent
            }
        })
        .take(limit)
        .collect())
}

/// Seeded candles bucketed on the grid `(ts + offset) % step == 0`.
fn buckets(seeded: &[Candle], step: i64, offset: i64) -> Vec<Candle> {
    let mut out: Vec<Candle> = Vec::new();
    for c in seeded {
        let ts = (c.ts + offset).div_euclid(step) * step - offset;
        match out.last_mut() {
            Some(b) if b.ts == ts => {
                b.high = b.high.max(c.high);
                b.low = b.low.min(c.low);
                b.close = c.close;
                b.volume += c.volume;
            }
            _ => out.push(Candle { ts, ..*c }),
        }
    }
    out
}
