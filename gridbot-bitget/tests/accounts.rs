//! Which API a key speaks, demo trading, and verified modes before trading:
//! - the account kind is detected from the key (v3 probe: success unified,
//!   40084 classic, anything else refused, never guessed), and the fake
//!   refuses the other kind's private calls (40085 / 40084);
//! - demo trading is scheme A only: a demo fake wants `paptrading: 1`, a
//!   live fake refuses it, and the header with an `S` product is 40099;
//! - `set_leverage` verifies one-way position mode and isolated margin,
//!   switches them when Bitget allows, and otherwise fails saying what to
//!   change on Bitget; nothing is placed on an account it cannot verify.

mod support;

use gridbot_bitget::fake::{FakeBitget, FakeOptions};
use gridbot_bitget::{AccountKind, AccountMode, Environment};
use gridbot_core::model::{ClientOrderId, OrderRequest, Side};
use gridbot_core::ports::Exchange;
use gridbot_core::ExchangeError;
use rust_decimal_macros::dec;
use serde_json::json;
use support::*;

async fn fake_of(kind: AccountKind, environment: Environment) -> FakeBitget {
    FakeBitget::start_with(FakeOptions { kind, environment }).await.unwrap()
}

#[tokio::test]
async fn the_account_kind_is_detected_once_from_the_v3_probe() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        let fake = fake_of(kind, Environment::Live).await;
        let ex = exchange(&fake);
        assert_eq!(ex.account_kind().await.unwrap(), kind);
        ex.balance().await.unwrap();
        ex.position(&btc()).await.unwrap();
        let probes = fake.requests_to("/api/v3/account/assets");
        let api_prefix = match kind {
            AccountKind::Classic => "/api/v2/",
            AccountKind::Unified => "/api/v3/",
        };
        // Classic: one refused probe, then v2 only. Unified: the probe and
        // the balance read the same endpoint.
        let expected_probes = if kind == AccountKind::Classic { 1 } else { 2 };
        assert_eq!(probes.len(), expected_probes, "{kind}");
        let private: Vec<_> = fake
            .requests()
            .into_iter()
            .filter(|r| r.headers.contains_key("access-sign") && r.path != "/api/v3/account/assets")
            .collect();
        assert!(!private.is_empty());
        assert!(private.iter().all(|r| r.path.starts_with(api_prefix)), "{kind}");
    }
}

#[tokio::test]
async fn the_fake_refuses_the_other_kinds_private_calls_with_bitgets_codes() {
    let uta = FakeBitget::unified().await.unwrap();
    let forced_classic = exchange_with(uta.config().with_account(AccountMode::Classic));
    let e = forced_classic.balance().await.unwrap_err();
    assert!(
        matches!(&e, ExchangeError::Auth(m) if m.contains("40085") && m.contains("unified")),
        "{e}"
    );
    let classic = FakeBitget::start().await.unwrap();
    let forced_unified = exchange_with(classic.config().with_account(AccountMode::Unified));
    let e = forced_unified.balance().await.unwrap_err();
    assert!(
        matches!(&e, ExchangeError::Auth(m) if m.contains("40084") && m.contains("classic")),
        "{e}"
    );
}

#[tokio::test]
async fn an_inconclusive_probe_refuses_instead_of_guessing_and_is_tried_again() {
    let fake = FakeBitget::start().await.unwrap();
    let ex = exchange(&fake);
    for _ in 0..4 {
        fake.faults().inject(
            "/api/v3/account/assets",
            gridbot_bitget::fake::faults::Fault::ServerError,
        );
    }
    let e = ex.balance().await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    assert_eq!(ex.known_kind(), None, "a failed probe is not remembered");
    assert!(
        fake.requests_to("/api/v2/mix/account/accounts").is_empty(),
        "nothing routed by guess"
    );
    assert!(ex.balance().await.is_ok());
    assert_eq!(ex.known_kind(), Some(AccountKind::Classic));
    // A key Bitget refuses outright: the refusal, not a guess.
    let mut cfg = fake.config();
    cfg.credentials = Some(gridbot_bitget::Credentials::new("bg_unknown", "x", "y"));
    let e = exchange_with(cfg).balance().await.unwrap_err();
    assert!(matches!(&e, ExchangeError::Auth(m) if m.contains("40006")), "{e}");
}

#[tokio::test]
async fn demo_trading_works_on_both_kinds_with_the_header_and_normal_products() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        let fake = fake_of(kind, Environment::Demo).await;
        let ex = exchange(&fake);
        assert_eq!(ex.name(), "bitget-demo");
        assert_eq!(ex.account_kind().await.unwrap(), kind);
        ex.set_leverage(&btc(), 5).await.unwrap();
        let o = ex
            .place_orders(&[limit("demo-1", Side::Buy, dec!(29000), dec!(0.001))])
            .await
            .unwrap();
        assert!(o[0].is_ok(), "{kind}: {:?}", o[0]);
        let reqs = fake.requests();
        assert!(
            reqs.iter()
                .all(|r| r.headers.get("paptrading").map(String::as_str) == Some("1")),
            "{kind}"
        );
        assert!(
            reqs.iter()
                .all(|r| !r.query.contains("SUSDT") && !r.body.contains("SUSDT")),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn mixing_the_demo_schemes_or_environments_is_answered_40099() {
    let demo = fake_of(AccountKind::Classic, Environment::Demo).await;
    // A demo key without demo mode (no header).
    let mut cfg = demo.config();
    cfg.environment = Environment::Live;
    let e = exchange_with(cfg).balance().await.unwrap_err();
    assert!(
        matches!(&e, ExchangeError::Auth(m) if m.contains("40099") && m.contains("demo")),
        "{e}"
    );
    // A live key in demo mode.
    let live = FakeBitget::start().await.unwrap();
    let e = exchange_with(live.config().demo_mode()).balance().await.unwrap_err();
    assert!(matches!(&e, ExchangeError::Auth(m) if m.contains("40099")), "{e}");
    // The header together with an S-prefixed product (scheme B): refused
    // even on a public route.
    let r = reqwest::Client::new()
        .get(format!(
            "{}/api/v2/mix/market/contracts?productType=SUSDT-FUTURES",
            demo.base_url()
        ))
        .header("paptrading", "1")
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(r["code"], json!("40099"));
}

#[tokio::test]
async fn modes_are_switched_and_verified_before_trading_on_both_kinds() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        let fake = fake_of(kind, Environment::Live).await;
        fake.with_book(|b| b.pos_mode = "hedge_mode".into());
        let ex = exchange(&fake);
        let before = ex.account_info(&btc()).await.unwrap();
        assert_eq!(before.kind, kind);
        assert!(!before.ready);
        ex.set_leverage(&btc(), 6).await.unwrap();
        fake.with_book(|b| {
            assert_eq!(b.pos_mode, "one_way_mode", "{kind}");
            assert_eq!(b.margin_of("BTCUSDT"), "isolated", "{kind}");
            assert_eq!(b.leverage["BTCUSDT"], 6, "{kind}");
        });
        let after = ex.account_info(&btc()).await.unwrap();
        assert!(after.ready, "{kind}: {after:?}");
        // Preparing again with orders resting changes nothing and succeeds.
        ex.place_orders(&[limit("m-1", Side::Buy, dec!(29000), dec!(0.001))])
            .await
            .unwrap()[0]
            .clone()
            .unwrap();
        ex.set_leverage(&btc(), 6).await.unwrap();
    }
}

#[tokio::test]
async fn a_hedge_mode_account_that_cannot_switch_is_refused_with_what_to_change() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        let fake = fake_of(kind, Environment::Live).await;
        let ex = exchange(&fake);
        // A position opened elsewhere, then the account put in hedge mode.
        ex.place_orders(&[OrderRequest::market(
            ClientOrderId::new("x-1"),
            btc(),
            Side::Buy,
            dec!(0.01),
        )])
        .await
        .unwrap();
        fake.with_book(|b| b.pos_mode = "hedge_mode".into());
        let e = ex.set_leverage(&btc(), 5).await.unwrap_err();
        match &e {
            ExchangeError::Rejected { code, message } => {
                assert_eq!(code, "position-mode", "{kind}");
                assert!(
                    message.contains("One-way") && message.contains("close every USDT-M position"),
                    "{message}"
                );
            }
            other => panic!("{kind}: {other:?}"),
        }
        fake.with_book(|b| assert_eq!(b.pos_mode, "hedge_mode"));
    }
}

#[tokio::test]
async fn a_busy_cross_margin_symbol_is_refused_with_what_to_change() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        let fake = fake_of(kind, Environment::Live).await;
        // A cross-margin position opened outside gridbot.
        fake.with_book(|b| {
            b.margin_mode.insert("BTCUSDT".into(), "crossed".into());
            b.positions.insert(
                "BTCUSDT".into(),
                gridbot_bitget::fake::book::FakePosition {
                    qty: dec!(0.01),
                    entry: dec!(30000),
                },
            );
        });
        let ex = exchange(&fake);
        let e = ex.set_leverage(&btc(), 5).await.unwrap_err();
        match &e {
            ExchangeError::Rejected { code, message } => {
                assert_eq!(code, "margin-mode", "{kind}");
                assert!(message.contains("BTCUSDT") && message.contains("Isolated"), "{message}");
            }
            other => panic!("{kind}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_delta_neutral_unified_account_is_refused_and_a_missing_hold_mode_is_handled() {
    let fake = FakeBitget::unified().await.unwrap();
    fake.with_book(|b| b.account_level = "delta".into());
    let e = exchange(&fake).set_leverage(&btc(), 5).await.unwrap_err();
    assert!(
        matches!(&e, ExchangeError::Rejected { message, .. } if message.contains("delta-neutral")),
        "{e}"
    );

    let fake = FakeBitget::unified().await.unwrap();
    fake.hide_hold_mode_in_settings(true);
    fake.with_book(|b| b.pos_mode = "hedge_mode".into());
    let ex = exchange(&fake);
    ex.set_leverage(&btc(), 5).await.unwrap();
    fake.with_book(|b| assert_eq!(b.pos_mode, "one_way_mode"));
    assert_eq!(fake.requests_to("set-hold-mode").len(), 1);
}

#[tokio::test]
async fn client_ids_bitget_would_refuse_are_refused_before_sending() {
    for kind in [AccountKind::Classic, AccountKind::Unified] {
        let fake = fake_of(kind, Environment::Live).await;
        let ex = exchange(&fake);
        let long = "x".repeat(33);
        let r = ex
            .place_orders(&[
                limit(&long, Side::Buy, dec!(29000), dec!(0.001)),
                limit("ok-1", Side::Buy, dec!(29000), dec!(0.001)),
                limit("bad id", Side::Buy, dec!(29000), dec!(0.001)),
            ])
            .await
            .unwrap();
        assert!(
            matches!(&r[0], Err(ExchangeError::InvalidOrder(m)) if m.contains(&long) && m.contains("32")),
            "{:?}",
            r[0]
        );
        assert!(r[1].is_ok());
        assert!(matches!(&r[2], Err(ExchangeError::InvalidOrder(m)) if m.contains("bad id")));
        assert_eq!(fake.orders().len(), 1, "{kind}: only the valid order reached Bitget");
    }
}
