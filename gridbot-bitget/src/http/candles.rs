//! Complete, UTC-aligned candle history from Bitget, the same way on both
//! APIs.
//!
//! Bitget serves candles from two endpoints: `candles` (recent only: about a
//! month of 1m–30m, two months of 1H, ...; up to 1000 rows) and
//! `history-candles` (everything closed; 200 rows on v2, 100 on v3). Every
//! request may span at most 90 days. The plan:
//!
//! - The range is cut into windows that each fit the endpoint's row limit
//!   (two rows spare) and the 90-day span. Windows newer than
//!   [`recent_depth_ms`] ask `candles`, older ones `history-candles`.
//! - Each request asks one interval wider than the window (`startTime` one
//!   interval early) and keeps only the rows inside it, so the answer is
//!   right whichever bound Bitget treats as inclusive (the two endpoints
//!   differ).
//! - Every row must open on the UTC grid of the interval (`ts % interval ==
//!   0`); `6H`, `12H`, `1D` are asked as `6Hutc`, `12Hutc`, `1Dutc`. When
//!   Bitget refuses a `utc` granularity or answers off the grid, those
//!   intervals are built from complete 1H candles instead.
//! - A recent window that comes back short is asked again from
//!   `history-candles`. Candles still missing after that are reported as
//!   [`CandleGap`]s: the caller decides (the `MarketData` port refuses
//!   gappy history with an error naming the gap).

use std::future::Future;

use gridbot_core::model::{Candle, Interval, TimestampMs};
use gridbot_core::ExchangeError;

use crate::common::enums::granularity;
use crate::common::parse::decimal_from_str;

/// Longest span one candle request may cover.
pub const MAX_SPAN_MS: i64 = 90 * DAY_MS;
/// A candle that closed less than this long ago may still be missing from
/// Bitget's answer; it is not counted as a gap.
pub const PUBLISH_LAG_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;

/// Which candle endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandleSource {
    /// `candles`: recent rows, up to [`CandleLimits::recent_rows`].
    Recent,
    /// `history-candles`: closed rows of any age, up to [`CandleLimits::history_rows`].
    History,
}

/// Row limits of one API's candle endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandleLimits {
    /// Most rows `candles` returns.
    pub recent_rows: usize,
    /// Most rows `history-candles` returns.
    pub history_rows: usize,
}

impl CandleLimits {
    /// Classic v2: 1000 recent, 200 history.
    pub const V2: CandleLimits = CandleLimits {
        recent_rows: 1000,
        history_rows: 200,
    };
    /// Unified v3: 1000 recent, 100 history.
    pub const V3: CandleLimits = CandleLimits {
        recent_rows: 1000,
        history_rows: 100,
    };

    fn rows(self, source: CandleSource) -> usize {
        match source {
            CandleSource::Recent => self.recent_rows,
            CandleSource::History => self.history_rows,
        }
    }
}

/// How far back `candles` is trusted to serve an interval: the smaller of
/// Bitget's documented look-back and what ccxt measured (30 days up to 30m,
/// 60 days of 1H, 240 of 4H, 360 of 6H, 720 of 12H; 1D only 90 days, as
/// measured on v3). Older windows go to `history-candles`.
pub fn recent_depth_ms(interval: Interval) -> i64 {
    let days = match interval {
        Interval::M1 | Interval::M3 | Interval::M5 | Interval::M15 | Interval::M30 => 30,
        Interval::H1 => 60,
        Interval::H4 => 240,
        Interval::H6 => 360,
        Interval::H12 => 720,
        Interval::D1 => 90,
    };
    days * DAY_MS
}

/// One candle request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandleRequest {
    /// Which endpoint.
    pub source: CandleSource,
    /// `granularity` / `interval` value.
    pub granularity: &'static str,
    /// `startTime`.
    pub start_time: TimestampMs,
    /// `endTime`.
    pub end_time: TimestampMs,
    /// `limit`.
    pub limit: usize,
}

impl CandleRequest {
    /// The endpoint path: `{prefix}candles` or `{prefix}history-candles`.
    pub fn path(&self, prefix: &str) -> String {
        match self.source {
            CandleSource::Recent => format!("{prefix}candles"),
            CandleSource::History => format!("{prefix}history-candles"),
        }
    }

    /// The query parameters besides the symbol's: the granularity under
    /// `key` (v2 `granularity`, v3 `interval`), the bounds and the limit.
    pub fn params(&self, key: &'static str) -> [(&'static str, String); 4] {
        [
            (key, self.granularity.to_owned()),
            ("startTime", self.start_time.to_string()),
            ("endTime", self.end_time.to_string()),
            ("limit", self.limit.to_string()),
        ]
    }
}

/// Parses every row of a candle answer.
pub fn parse_candle_rows(rows: &[Vec<serde_json::Value>]) -> Result<Vec<Candle>, ExchangeError> {
    rows.iter().map(|r| parse_candle_row(r)).collect()
}

/// Candles that should exist but Bitget did not return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandleGap {
    /// Open time of the first missing candle.
    pub from: TimestampMs,
    /// Open time of the last missing candle.
    pub to: TimestampMs,
    /// How many are missing.
    pub missing: usize,
}

/// Candles (oldest first) and the gaps Bitget could not fill.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CandleHistory {
    /// The candles, oldest first, one per open time.
    pub candles: Vec<Candle>,
    /// Closed candles inside the range that Bitget did not have.
    pub gaps: Vec<CandleGap>,
}

impl CandleHistory {
    /// A user-facing description of the gaps, `None` when there are none.
    pub fn gap_report(&self, interval: Interval) -> Option<String> {
        if self.gaps.is_empty() {
            return None;
        }
        let total: usize = self.gaps.iter().map(|g| g.missing).sum();
        let first = self.gaps.iter().take(3).map(|g| {
            if g.missing == 1 {
                format!("{}", g.from)
            } else {
                format!("{}..={} ({})", g.from, g.to, g.missing)
            }
        });
        Some(format!(
            "Bitget has no {interval} candles for {total} closed interval{} in the range (open times in ms: {}{})",
            if total == 1 { "" } else { "s" },
            first.collect::<Vec<_>>().join(", "),
            if self.gaps.len() > 3 { ", ..." } else { "" }
        ))
    }
}

/// Parses a candle row `[ts, open, high, low, close, baseVolume, ...]`
/// (strings or numbers, at least 6 fields).
pub fn parse_candle_row(row: &[serde_json::Value]) -> Result<Candle, ExchangeError> {
    if row.len() < 6 {
        return Err(ExchangeError::Protocol(format!(
            "candle row has {} fields, expected at least 6",
            row.len()
        )));
    }
    let text = |i: usize| -> Option<String> {
        match row.get(i)? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let dec = |i: usize| {
        text(i)
            .and_then(|t| decimal_from_str(&t))
            .ok_or_else(|| ExchangeError::Protocol(format!("candle row field {i} is not a number: {row:?}")))
    };
    let ts: TimestampMs = text(0)
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| ExchangeError::Protocol(format!("candle row time is not an integer: {row:?}")))?;
    Ok(Candle {
        ts,
        open: dec(1)?,
        high: dec(2)?,
        low: dec(3)?,
        close: dec(4)?,
        volume: dec(5)?,
    })
}

/// Windows `[start, end)` of at most `rows` candles and the 90-day span
/// (counting the one spare interval asked before each window).
fn windows(start: TimestampMs, end: TimestampMs, step: i64, rows: usize) -> Vec<(TimestampMs, TimestampMs)> {
    let by_rows = (rows.saturating_sub(2).max(1)) as i64;
    let by_span = (MAX_SPAN_MS / step - 1).max(1);
    let per = by_rows.min(by_span) * step;
    let mut out = Vec::new();
    let mut from = start;
    while from < end {
        let to = (from + per).min(end);
        out.push((from, to));
        from = to;
    }
    out
}

/// Is this error Bitget refusing the granularity itself?
fn granularity_refused(e: &ExchangeError) -> bool {
    match e {
        ExchangeError::Rejected { code, message } => {
            let m = message.to_ascii_lowercase();
            matches!(code.as_str(), "40020" | "40017" | "400172" | "25200" | "40034")
                || m.contains("granularity")
                || m.contains("interval")
        }
        _ => false,
    }
}

enum Native {
    Done(CandleHistory),
    /// The granularity was refused or answered off the UTC grid.
    Unusable(String),
}

/// Reads candles of `interval` with open time in `[start, end)` through
/// `fetch` (one call per [`CandleRequest`]), as the module docs describe.
pub async fn fetch_history<F, Fut>(
    interval: Interval,
    start: TimestampMs,
    end: TimestampMs,
    now: TimestampMs,
    limits: CandleLimits,
    mut fetch: F,
) -> Result<CandleHistory, ExchangeError>
where
    F: FnMut(CandleRequest) -> Fut,
    Fut: Future<Output = Result<Vec<Candle>, ExchangeError>>,
{
    match native(interval, start, end, now, limits, &mut fetch).await? {
        Native::Done(h) => Ok(h),
        Native::Unusable(why) if matches!(interval, Interval::H6 | Interval::H12 | Interval::D1) => {
            tracing::info!(%interval, reason = %why, "building UTC {interval} candles from 1H candles");
            let from = interval.floor(start);
            match native(Interval::H1, from, end, now, limits, &mut fetch).await? {
                Native::Done(hours) => Ok(aggregate(&hours, interval, start, end, now)),
                Native::Unusable(why) => Err(ExchangeError::Protocol(why)),
            }
        }
        Native::Unusable(why) => Err(ExchangeError::Protocol(why)),
    }
}

async fn native<F, Fut>(
    interval: Interval,
    start: TimestampMs,
    end: TimestampMs,
    now: TimestampMs,
    limits: CandleLimits,
    fetch: &mut F,
) -> Result<Native, ExchangeError>
where
    F: FnMut(CandleRequest) -> Fut,
    Fut: Future<Output = Result<Vec<Candle>, ExchangeError>>,
{
    let step = interval.millis();
    let gran = granularity(interval);
    let first = ceil_to(start, step);
    // Windows newer than the recent depth (one interval of margin) use `candles`.
    let recent_from = interval.floor(now - recent_depth_ms(interval)) + step;
    let last_closed_open = interval.floor(now - PUBLISH_LAG_MS) - step;
    let mut out: Vec<Candle> = Vec::new();
    let mut plan: Vec<(CandleSource, TimestampMs, TimestampMs)> = Vec::new();
    if first < end {
        let split = recent_from.clamp(first, end);
        for (a, b) in windows(first, split, step, limits.history_rows) {
            plan.push((CandleSource::History, a, b));
        }
        for (a, b) in windows(split, end, step, limits.recent_rows) {
            plan.push((CandleSource::Recent, a, b));
        }
    }
    for (source, a, b) in plan {
        let rows = match ask(fetch, source, gran, a, b, step, limits).await {
            Ok(r) => r,
            Err(e) if granularity_refused(&e) => return Ok(Native::Unusable(format!("{gran} refused: {e}"))),
            Err(e) => return Err(e),
        };
        if let Some(bad) = rows.iter().find(|c| c.ts.rem_euclid(step) != 0) {
            return Ok(Native::Unusable(format!(
                "Bitget returned a {gran} candle opening at {} ms, which is not on the UTC {interval} grid",
                bad.ts
            )));
        }
        let expected = count_closed(a, b, step, last_closed_open);
        if source == CandleSource::Recent && rows.iter().filter(|c| c.ts <= last_closed_open).count() < expected {
            // Older than `candles` keeps: ask `history-candles` for the window.
            for (ha, hb) in windows(a, b.min(last_closed_open + step), step, limits.history_rows) {
                let more = ask(fetch, CandleSource::History, gran, ha, hb, step, limits).await?;
                if let Some(bad) = more.iter().find(|c| c.ts.rem_euclid(step) != 0) {
                    return Ok(Native::Unusable(format!(
                        "Bitget returned a {gran} candle opening at {} ms, off the UTC {interval} grid",
                        bad.ts
                    )));
                }
                out.extend(more);
            }
        }
        out.extend(rows);
    }
    out.sort_by_key(|c| c.ts);
    out.dedup_by_key(|c| c.ts);
    let gaps = find_gaps(&out, first, end, step, last_closed_open);
    Ok(Native::Done(CandleHistory { candles: out, gaps }))
}

async fn ask<F, Fut>(
    fetch: &mut F,
    source: CandleSource,
    gran: &'static str,
    a: TimestampMs,
    b: TimestampMs,
    step: i64,
    limits: CandleLimits,
) -> Result<Vec<Candle>, ExchangeError>
where
    F: FnMut(CandleRequest) -> Fut,
    Fut: Future<Output = Result<Vec<Candle>, ExchangeError>>,
{
    let rows = fetch(CandleRequest {
        source,
        granularity: gran,
        start_time: a - step,
        end_time: b,
        limit: limits.rows(source),
    })
    .await?;
    Ok(rows.into_iter().filter(|c| c.ts >= a && c.ts < b).collect())
}

fn ceil_to(ts: TimestampMs, step: i64) -> TimestampMs {
    let r = ts.rem_euclid(step);
    if r == 0 {
        ts
    } else {
        ts - r + step
    }
}

fn count_closed(a: TimestampMs, b: TimestampMs, step: i64, last_closed_open: TimestampMs) -> usize {
    let hi = b.min(last_closed_open + step);
    if hi <= a {
        0
    } else {
        ((hi - a + step - 1) / step) as usize
    }
}

/// Closed candles in `[first, end)` missing from `have` (sorted, aligned).
fn find_gaps(
    have: &[Candle],
    first: TimestampMs,
    end: TimestampMs,
    step: i64,
    last_closed_open: TimestampMs,
) -> Vec<CandleGap> {
    let mut gaps = Vec::new();
    let mut i = 0;
    let mut ts = first;
    let mut open: Option<CandleGap> = None;
    while ts < end && ts <= last_closed_open {
        while i < have.len() && have[i].ts < ts {
            i += 1;
        }
        let present = i < have.len() && have[i].ts == ts;
        match (&mut open, present) {
            (Some(g), false) => {
                g.to = ts;
                g.missing += 1;
            }
            (None, false) => {
                open = Some(CandleGap {
                    from: ts,
                    to: ts,
                    missing: 1,
                })
            }
            (Some(_), true) => gaps.extend(open.take()),
            (None, true) => {}
        }
        ts += step;
    }
    gaps.extend(open);
    gaps
}

/// `interval` candles built from complete groups of 1H candles.
fn aggregate(
    hours: &CandleHistory,
    interval: Interval,
    start: TimestampMs,
    end: TimestampMs,
    now: TimestampMs,
) -> CandleHistory {
    let step = interval.millis();
    let per = (step / Interval::H1.millis()) as usize;
    let mut candles: Vec<Candle> = Vec::new();
    let mut group: Vec<&Candle> = Vec::new();
    let flush = |group: &mut Vec<&Candle>, candles: &mut Vec<Candle>| {
        if group.len() == per {
            if let (Some(f), Some(l)) = (group.first(), group.last()) {
                candles.push(Candle {
                    ts: interval.floor(f.ts),
                    open: f.open,
                    high: group.iter().map(|c| c.high).max().unwrap_or(f.high),
                    low: group.iter().map(|c| c.low).min().unwrap_or(f.low),
                    close: l.close,
                    volume: group.iter().map(|c| c.volume).sum(),
                });
            }
        }
        group.clear();
    };
    for c in &hours.candles {
        if group
            .first()
            .is_some_and(|g| interval.floor(g.ts) != interval.floor(c.ts))
        {
            flush(&mut group, &mut candles);
        }
        group.push(c);
    }
    flush(&mut group, &mut candles);
    candles.retain(|c| c.ts >= start && c.ts < end);
    let first = ceil_to(start, step);
    let gaps = find_gaps(&candles, first, end, step, interval.floor(now - PUBLISH_LAG_MS) - step);
    CandleHistory { candles, gaps }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;
    use std::sync::Mutex;

    fn c(ts: i64) -> Candle {
        Candle {
            ts,
            open: dec!(1),
            high: dec!(2),
            low: dec!(0.5),
            close: dec!(1.5),
            volume: dec!(1),
        }
    }

    #[test]
    fn windows_respect_rows_and_the_ninety_day_span() {
        let step = Interval::D1.millis();
        let w = windows(0, 365 * step, step, 1000);
        assert!(w.iter().all(|(a, b)| b - a + step <= MAX_SPAN_MS));
        assert_eq!(w.first().map(|x| x.0), Some(0));
        assert_eq!(w.last().map(|x| x.1), Some(365 * step));
        let m = Interval::M1.millis();
        let w = windows(0, 1000 * m, m, 200);
        assert!(w.iter().all(|(a, b)| (b - a) / m <= 198));
    }

    #[tokio::test]
    async fn old_windows_use_history_and_short_recent_windows_are_asked_again() {
        let step = Interval::M1.millis();
        let now = 100 * DAY_MS;
        let start = now - 40 * DAY_MS;
        let end = now - 10 * DAY_MS;
        let asked = Mutex::new(Vec::new());
        let h = fetch_history(Interval::M1, start, end, now, CandleLimits::V3, |r: CandleRequest| {
            asked.lock().unwrap().push(r.clone());
            async move {
                // `candles` has only the last 20 days; history everything.
                let from = match r.source {
                    CandleSource::Recent => now - 20 * DAY_MS,
                    CandleSource::History => 0,
                };
                Ok((r.start_time..=r.end_time)
                    .step_by(step as usize)
                    .filter(|t| *t >= from && *t < now)
                    .take(r.limit)
                    .map(c)
                    .collect())
            }
        })
        .await
        .unwrap();
        assert!(h.gaps.is_empty(), "{:?}", h.gaps);
        assert_eq!(h.candles.len() as i64, 30 * DAY_MS / step);
        let asked = asked.into_inner().unwrap();
        assert!(asked
            .iter()
            .all(|r| r.limit <= 1000 && r.end_time - r.start_time <= MAX_SPAN_MS));
        assert!(asked.iter().any(|r| r.source == CandleSource::History));
        assert!(asked
            .iter()
            .filter(|r| r.source == CandleSource::History)
            .all(|r| r.limit == 100));
    }

    #[tokio::test]
    async fn a_hole_bitget_cannot_fill_is_reported_as_a_gap() {
        let step = Interval::H1.millis();
        let now = 10 * DAY_MS;
        let h = fetch_history(
            Interval::H1,
            0,
            48 * step,
            now,
            CandleLimits::V2,
            |r: CandleRequest| async move {
                Ok((r.start_time.max(0)..r.end_time)
                    .step_by(step as usize)
                    .filter(|t| !(10 * step..13 * step).contains(t))
                    .map(c)
                    .collect())
            },
        )
        .await
        .unwrap();
        assert_eq!(
            h.gaps,
            vec![CandleGap {
                from: 10 * step,
                to: 12 * step,
                missing: 3
            }]
        );
        assert!(h.gap_report(Interval::H1).unwrap().contains("3 closed intervals"));
    }

    #[tokio::test]
    async fn off_grid_daily_rows_are_rebuilt_from_hours_on_the_utc_grid() {
        let hour = Interval::H1.millis();
        let day = Interval::D1.millis();
        let now = 5 * day + 3 * hour;
        let h = fetch_history(
            Interval::D1,
            0,
            4 * day,
            now,
            CandleLimits::V2,
            |r: CandleRequest| async move {
                if r.granularity == "1Dutc" {
                    // A server that answers on the UTC+8 grid (16:00 UTC).
                    return Ok(vec![c(16 * hour)]);
                }
                Ok((r.start_time.max(0)..r.end_time)
                    .step_by(hour as usize)
                    .map(|t| Candle {
                        volume: Decimal::ONE,
                        high: Decimal::from(t / hour),
                        ..c(t)
                    })
                    .collect())
            },
        )
        .await
        .unwrap();
        assert_eq!(
            h.candles.iter().map(|c| c.ts).collect::<Vec<_>>(),
            vec![0, day, 2 * day, 3 * day]
        );
        assert_eq!(h.candles[1].volume, dec!(24));
        assert_eq!(h.candles[1].high, Decimal::from(47));
        assert!(h.gaps.is_empty());
    }
}
