//! Complete, UTC-aligned candle history and fees in USDT, on both account
//! kinds against the fake:
//! - windows older than what `candles` keeps come from `history-candles`,
//!   every request within its row limit and the 90-day span;
//! - a recent window answered short is asked again from `history-candles`;
//! - daily candles open at 00:00 UTC (Bitget's plain `1D` opens at 16:00
//!   UTC), built from hours when the `utc` interval is refused;
//! - a gap Bitget cannot fill is an error naming it;
//! - a fee charged in BGB is booked in USDT at BGB's price; with no price the
//!   fill is refused with an error naming the fill and the coin.

mod support;

use gridbot_bitget::fake::{FakeBitget, FakeOptions};
use gridbot_bitget::http::client::now_ms;
use gridbot_bitget::{AccountKind, Environment};
use gridbot_core::model::{Candle, ClientOrderId, Interval, OrderRequest, Side};
use gridbot_core::ports::Exchange;
use gridbot_core::ExchangeError;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support::*;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const KINDS: [AccountKind; 2] = [AccountKind::Classic, AccountKind::Unified];

async fn fake_of(kind: AccountKind) -> FakeBitget {
    FakeBitget::start_with(FakeOptions {
        kind,
        environment: Environment::Live,
    })
    .await
    .unwrap()
}

/// Candles every `step` from `from`, `n` of them, volume = index.
fn series(from: i64, n: i64, step: i64) -> Vec<Candle> {
    (0..n)
        .map(|i| Candle {
            ts: from + i * step,
            open: dec!(100),
            high: dec!(100) + Decimal::from(i % 7),
            low: dec!(99),
            close: dec!(100.5),
            volume: Decimal::ONE,
        })
        .collect()
}

fn limits_of(kind: AccountKind) -> (&'static str, &'static str, usize) {
    match kind {
        AccountKind::Classic => ("/api/v2/mix/market/candles", "/api/v2/mix/market/history-candles", 200),
        AccountKind::Unified => ("/api/v3/market/candles", "/api/v3/market/history-candles", 100),
    }
}

fn param(query: &str, key: &str) -> i64 {
    query
        .split('&')
        .find_map(|p| p.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{key} in {query}"))
}

#[tokio::test]
async fn two_hundred_days_of_hours_are_complete_within_every_request_limit() {
    for kind in KINDS {
        let fake = fake_of(kind).await;
        let ex = exchange(&fake);
        let end = Interval::H1.floor(now_ms()) - HOUR;
        let start = end - 200 * DAY;
        fake.seed_candles("BTCUSDT", series(start, 200 * 24, HOUR));
        let got = ex.candles(&btc(), Interval::H1, start, end).await.unwrap();
        assert_eq!(got.len(), 200 * 24, "{kind}");
        assert!(got.windows(2).all(|w| w[1].ts == w[0].ts + HOUR), "{kind}");
        let (recent, history, history_rows) = limits_of(kind);
        let hist = fake.requests_to(history);
        assert!(!hist.is_empty(), "{kind}: old hours come from history-candles");
        for r in fake.requests_to(recent).iter().chain(&hist) {
            let limit = param(&r.query, "limit") as usize;
            let max = if r.path == history { history_rows } else { 1000 };
            assert!(limit <= max, "{kind}: {}", r.query);
            assert!(
                param(&r.query, "endTime") - param(&r.query, "startTime") <= 90 * DAY,
                "{kind}: {}",
                r.query
            );
        }
    }
}

#[tokio::test]
async fn a_recent_window_answered_short_is_asked_again_from_history() {
    for kind in KINDS {
        let fake = fake_of(kind).await;
        fake.set_recent_days(1);
        let ex = exchange(&fake);
        let end = Interval::M1.floor(now_ms()) - 60_000;
        let start = end - 3 * DAY;
        fake.seed_candles("BTCUSDT", series(start, 3 * 1440, 60_000));
        let got = ex.candles(&btc(), Interval::M1, start, end).await.unwrap();
        assert_eq!(got.len(), 3 * 1440, "{kind}");
        let (_, history, _) = limits_of(kind);
        assert!(!fake.requests_to(history).is_empty(), "{kind}");
    }
}

#[tokio::test]
async fn daily_candles_open_at_midnight_utc_not_bitgets_utc_plus_8() {
    for kind in KINDS {
        for refuse_utc in [false, true] {
            let fake = fake_of(kind).await;
            fake.refuse_utc_intervals(refuse_utc);
            let ex = exchange(&fake);
            let start = Interval::D1.floor(now_ms()) - 150 * DAY;
            fake.seed_candles("BTCUSDT", series(start - DAY, 42 * 24, HOUR));
            let got = ex.candles(&btc(), Interval::D1, start, start + 40 * DAY).await.unwrap();
            assert_eq!(got.len(), 40, "{kind} refuse_utc={refuse_utc}");
            assert!(
                got.iter().all(|c| c.ts % DAY == 0 && c.volume == dec!(24)),
                "{kind}: {:?}",
                got[0]
            );
            let (_, history, _) = limits_of(kind);
            let asked: Vec<String> = fake.requests_to(history).iter().map(|r| r.query.clone()).collect();
            if !refuse_utc || kind == AccountKind::Classic {
                assert!(
                    asked.iter().all(|q| q.contains("=1Dutc&")),
                    "{kind}: daily candles are asked as 1Dutc: {asked:?}"
                );
            } else {
                assert!(asked.iter().any(|q| q.contains("=1H&")), "{kind}: built from hours");
            }
            // What the plain granularity would have given: days opening at 16:00 UTC.
            let key = if kind == AccountKind::Classic {
                "granularity"
            } else {
                "interval"
            };
            let cat = if kind == AccountKind::Classic {
                "productType"
            } else {
                "category"
            };
            let url = format!(
                "{}{history}?{cat}=USDT-FUTURES&symbol=BTCUSDT&{key}=1D&startTime={start}&endTime={}&limit=10",
                fake.base_url(),
                start + 10 * DAY
            );
            let v: serde_json::Value = reqwest::get(url).await.unwrap().json().await.unwrap();
            let ts: i64 = v["data"][0][0].as_str().unwrap().parse().unwrap();
            assert_eq!(ts.rem_euclid(DAY), 16 * HOUR, "the fake models Bitget's UTC+8 days");
        }
    }
}

#[tokio::test]
async fn a_gap_bitget_cannot_fill_is_an_error_naming_it() {
    for kind in KINDS {
        let fake = fake_of(kind).await;
        let ex = exchange(&fake);
        let start = Interval::H1.floor(now_ms()) - 100 * DAY;
        let mut hours = series(start, 10 * 24, HOUR);
        hours.retain(|c| !(start + 50 * HOUR..start + 53 * HOUR).contains(&c.ts));
        fake.seed_candles("BTCUSDT", hours);
        let e = ex
            .candles(&btc(), Interval::H1, start, start + 10 * DAY)
            .await
            .unwrap_err();
        match e {
            ExchangeError::NotFound(m) => {
                assert!(
                    m.contains("3 closed intervals") && m.contains(&(start + 50 * HOUR).to_string()),
                    "{m}"
                )
            }
            other => panic!("{kind}: {other:?}"),
        }
        let h = ex
            .candle_history(&btc(), Interval::H1, start, start + 10 * DAY)
            .await
            .unwrap();
        assert_eq!(h.candles.len(), 10 * 24 - 3);
    }
}

#[tokio::test]
async fn bgb_fees_are_booked_in_usdt_at_bgbs_price_on_both_kinds() {
    for kind in KINDS {
        let fake = fake_of(kind).await;
        fake.pay_fees_in("BGB", Some(dec!(4)));
        let ex = exchange(&fake);
        ex.set_leverage(&btc(), 10).await.unwrap();
        let m = OrderRequest::market(ClientOrderId::new("bgb-1"), btc(), Side::Buy, dec!(0.01));
        ex.place_orders(&[m]).await.unwrap()[0].clone().unwrap();
        let page = ex.fills_since(&btc(), None).await.unwrap();
        // 30000 × 0.01 × 0.06 % = 0.18 USDT, charged as 0.045 BGB at 4 USDT.
        assert_eq!(page.fills[0].fee, dec!(0.18), "{kind}");
        fake.with_book(|b| {
            assert_eq!(b.fills[0].fee_coin, "BGB");
            assert_eq!(b.fills[0].fee_in_coin, dec!(0.045));
        });
    }
}

#[tokio::test]
async fn a_fee_in_a_coin_without_a_price_refuses_the_fill_naming_it() {
    for kind in KINDS {
        let fake = fake_of(kind).await;
        fake.pay_fees_in("XYZ", None);
        let ex = exchange(&fake);
        let m = OrderRequest::market(ClientOrderId::new("xyz-1"), btc(), Side::Buy, dec!(0.01));
        ex.place_orders(&[m]).await.unwrap()[0].clone().unwrap();
        let e = ex.fills_since(&btc(), None).await.unwrap_err();
        let id = fake.fill_ids()[0].clone();
        assert!(
            matches!(&e, ExchangeError::Protocol(m) if m.contains(&id) && m.contains("XYZ") && m.contains("USDT")),
            "{kind}: {e}"
        );
    }
}
