//! Users, credentials, risk settings, templates, cache, audit log, a lease race.

use std::sync::Arc;

use gridbot_core::model::{
    AuditEvent, BotId, CredentialsRecord, Interval, RiskSettings, StrategyTemplate, TemplateId, TrendDirection, UserId,
};
use gridbot_core::ports::Store;
use gridbot_core::StoreError;
use serde_json::json;

use crate::common::{d, grid_bot, sym};

pub async fn users_are_unique_by_name_and_found_by_id_and_name(store: Arc<dyn Store>) {
    let alice = store.create_user("alice", "hash-a", 1_000).await.unwrap();
    assert_eq!(alice.username, "alice");
    assert_eq!(alice.created_at, 1_000);
    let bob = store.create_user("bob", "hash-b", 2_000).await.unwrap();
    assert_ne!(alice.id, bob.id);
    assert!(matches!(
        store.create_user("alice", "other", 3_000).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.user(alice.id).await.unwrap(), Some(alice.clone()));
    assert_eq!(store.user_by_name("bob").await.unwrap(), Some(bob));
    assert_eq!(store.user_by_name("carol").await.unwrap(), None);
    assert_eq!(store.user(UserId(999_999)).await.unwrap(), None);
}

pub async fn credentials_are_ciphertext_replaced_read_and_deleted(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    assert_eq!(store.credentials(u.id).await.unwrap(), None);
    let first = CredentialsRecord::new(u.id, "bitget", vec![0, 1, 2, 255], vec![9; 12], true, 10);
    store.put_credentials(&first).await.unwrap();
    assert_eq!(store.credentials(u.id).await.unwrap(), Some(first));
    let second = CredentialsRecord::new(u.id, "bitget", vec![7; 64], vec![8; 12], false, 20);
    store.put_credentials(&second).await.unwrap();
    assert_eq!(store.credentials(u.id).await.unwrap(), Some(second));
    store.delete_credentials(u.id).await.unwrap();
    assert_eq!(store.credentials(u.id).await.unwrap(), None);
    store.delete_credentials(u.id).await.unwrap();
    let orphan = CredentialsRecord::new(UserId(999_999), "bitget", vec![1], vec![2], false, 0);
    assert!(matches!(
        store.put_credentials(&orphan).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn risk_settings_default_until_saved(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    assert_eq!(
        store.risk_settings(u.id).await.unwrap(),
        RiskSettings::default_for(u.id)
    );
    let mut s = RiskSettings::default_for(u.id);
    s.daily_loss_limit = Some(d("250.75"));
    s.max_leverage = 10;
    s.max_open_positions = 3;
    s.close_positions_on_pause = true;
    store.put_risk_settings(&s).await.unwrap();
    assert_eq!(store.risk_settings(u.id).await.unwrap(), s);
    s.daily_loss_limit = None;
    store.put_risk_settings(&s).await.unwrap();
    assert_eq!(store.risk_settings(u.id).await.unwrap(), s);
    let orphan = RiskSettings::default_for(UserId(999_999));
    assert!(matches!(
        store.put_risk_settings(&orphan).await,
        Err(StoreError::NotFound(_))
    ));
}

pub fn template(name: &str, symbol: &str) -> StrategyTemplate {
    StrategyTemplate::ema_crossover(
        name,
        sym(symbol),
        "EMA 9/21 crossover",
        TrendDirection::Long,
        5,
        d("2.5"),
        d("5"),
        d("10"),
        d("1000"),
        Interval::M15,
        9,
        21,
    )
}

pub async fn templates_are_inserted_replaced_and_listed_by_id(store: Arc<dyn Store>) {
    let a = store.upsert_template(&template("BTC trend", "BTCUSDT")).await.unwrap();
    assert_ne!(a.id, TemplateId(0));
    let mut b = template("ETH trend", "ETHUSDT");
    b.is_featured = true;
    b.is_active = false;
    b.direction = TrendDirection::Short;
    let b = store.upsert_template(&b).await.unwrap();
    assert_eq!(store.templates().await.unwrap(), vec![a.clone(), b.clone()]);
    let mut a2 = a.clone();
    a2.description = "tighter stop".into();
    a2.stop_loss_percent = d("1.25");
    assert_eq!(store.upsert_template(&a2).await.unwrap(), a2);
    assert_eq!(store.template(a.id).await.unwrap(), Some(a2));
    assert_eq!(store.template(TemplateId(999_999)).await.unwrap(), None);
    let mut ghost = template("ghost", "BTCUSDT");
    ghost.id = TemplateId(999_999);
    assert!(matches!(
        store.upsert_template(&ghost).await,
        Err(StoreError::NotFound(_))
    ));
}

pub async fn advisor_cache_answers_until_expiry(store: Arc<dyn Store>) {
    let v = json!({"picks": [{"lower": "90.5", "grids": 20}], "note": "ok"});
    assert_eq!(store.cache_get("BTCUSDT:1h", 0).await.unwrap(), None);
    store.cache_put("BTCUSDT:1h", &v, 1_000).await.unwrap();
    assert_eq!(store.cache_get("BTCUSDT:1h", 999).await.unwrap(), Some(v.clone()));
    assert_eq!(store.cache_get("BTCUSDT:1h", 1_000).await.unwrap(), None);
    let v2 = json!({"picks": []});
    store.cache_put("BTCUSDT:1h", &v2, 5_000).await.unwrap();
    assert_eq!(store.cache_get("BTCUSDT:1h", 1_000).await.unwrap(), Some(v2));
}

pub async fn audit_events_come_back_newest_first_per_user(store: Arc<dyn Store>) {
    let a = store.create_user("alice", "h", 0).await.unwrap();
    let b = store.create_user("bob", "h", 0).await.unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut e = AuditEvent::new(Some(a.id), Some(BotId(7)), "bot.started", format!("start {i}"), i);
        e.data = json!({"i": i});
        ids.push(store.append_event(&e).await.unwrap());
    }
    store
        .append_event(&AuditEvent::new(Some(b.id), None, "risk.daily_loss", "paused", 9))
        .await
        .unwrap();
    store
        .append_event(&AuditEvent::new(None, None, "system", "started", 9))
        .await
        .unwrap();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids grow: {ids:?}");
    let got = store.events_for_user(a.id, 3).await.unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].message, "start 4");
    assert_eq!(got[0].id, ids[4]);
    assert_eq!(got[0].data, json!({"i": 4}));
    assert_eq!(got[0].bot_id, Some(BotId(7)));
    assert_eq!(got[2].message, "start 2");
    assert_eq!(store.events_for_user(b.id, 10).await.unwrap().len(), 1);
}

pub async fn one_of_many_racing_runners_gets_a_free_lease(store: Arc<dyn Store>) {
    let u = store.create_user("alice", "h", 0).await.unwrap();
    let bot = store.create_bot(&grid_bot(u.id, "BTCUSDT", d("100")), 0).await.unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.acquire_lease(bot.id, &format!("runner-{i}"), 30_000).await })
        })
        .collect();
    let mut winners = Vec::new();
    for t in tasks {
        if let Some(lease) = t.await.unwrap().unwrap() {
            winners.push(lease);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(winners[0].epoch, 1, "a new lease row starts at epoch 1");
}
