//! Manager rules at their boundaries, with mocks of every port.
//!
//! The mock store delegates to a small in-test book that applies the
//! guarded-start rule documented on [`crate::ports::Store`], so the tests
//! show how the manager's checks and the store's refusals fit together.

use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::clock::ManualClock;
use crate::error::StoreError;
use crate::model::{AccountBalance, Instrument, RiskSettings, Symbol, TrendDirection};
use crate::ports::mocks::{MockExchange, MockExchangeProvider, MockStore};
use crate::runner::MockBotLauncher;

const USER: UserId = UserId(1);

#[derive(Default)]
struct Book {
    bots: Mutex<Vec<Bot>>,
    templates: Vec<StrategyTemplate>,
    risk: Mutex<Option<RiskSettings>>,
}

impl Book {
    fn guarded(&self, new: &NewBot, limits: BotLimits) -> Result<Bot, StoreError> {
        let mut bots = self.bots.lock().unwrap();
        let mine: Vec<&Bot> = bots
            .iter()
            .filter(|b| b.user_id == new.user_id && b.status.holds_allocation())
            .collect();
        if mine.len() as u32 >= limits.max_active_bots {
            return Err(StoreError::BotLimitReached {
                active: mine.len() as u32,
                max: limits.max_active_bots,
            });
        }
        if mine.iter().any(|b| &b.symbol == new.kind.symbol()) {
            return Err(StoreError::SymbolBusy {
                symbol: new.kind.symbol().to_string(),
            });
        }
        let used: Decimal = mine.iter().map(|b| b.allocation).sum();
        if used + new.allocation > limits.total_balance {
            return Err(StoreError::InsufficientBalance {
                available: limits.total_balance - used,
                requested: new.allocation,
            });
        }
        let id = BotId(bots.len() as i64 + 1);
        let mut b = Bot::new(
            id,
            new.user_id,
            new.name.clone(),
            new.kind.clone(),
            new.allocation,
            new.source,
            0,
        );
        b.status = BotStatus::Starting;
        bots.push(b.clone());
        Ok(b)
    }

    fn set_status(&self, id: BotId, status: BotStatus) {
        for b in self.bots.lock().unwrap().iter_mut().filter(|b| b.id == id) {
            b.status = status;
        }
    }
}

fn template(symbol: &str, id: i64) -> StrategyTemplate {
    let mut t = StrategyTemplate::ema_crossover(
        format!("{symbol} long"),
        Symbol::new(symbol).unwrap(),
        "test",
        TrendDirection::Long,
        3,
        dec!(2),
        dec!(4),
        dec!(10),
        dec!(100000),
        crate::model::Interval::M15,
        9,
        21,
    );
    t.id = TemplateId(id);
    t
}

const SYMBOLS: [&str; 7] = [
    "BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "BNBUSDT", "ADAUSDT",
];

fn book() -> Arc<Book> {
    Arc::new(Book {
        templates: SYMBOLS
            .iter()
            .enumerate()
            .map(|(i, s)| template(s, i as i64 + 1))
            .collect(),
        ..Book::default()
    })
}

fn store(book: &Arc<Book>) -> MockStore {
    let mut s = MockStore::new();
    let b = book.clone();
    s.expect_template()
        .returning(move |id| Ok(b.templates.iter().find(|t| t.id == id).cloned()));
    let b = book.clone();
    s.expect_templates().returning(move || Ok(b.templates.clone()));
    let b = book.clone();
    s.expect_bots_for_user().returning(move |u, st| {
        let mut v: Vec<Bot> = b
            .bots
            .lock()
            .unwrap()
            .iter()
            .filter(|x| x.user_id == u && st.is_none_or(|s| s == x.status))
            .cloned()
            .collect();
        v.reverse();
        Ok(v)
    });
    let b = book.clone();
    s.expect_bot()
        .returning(move |id| Ok(b.bots.lock().unwrap().iter().find(|x| x.id == id).cloned()));
    let b = book.clone();
    s.expect_start_bot_guarded().returning(move |n, l, _| b.guarded(n, l));
    let b = book.clone();
    s.expect_set_bot_status().returning(move |id, st, _, _| {
        b.set_status(id, st);
        Ok(())
    });
    let b = book.clone();
    s.expect_risk_settings().returning(move |u| {
        Ok(b.risk
            .lock()
            .unwrap()
            .clone()
            .unwrap_or_else(|| RiskSettings::default_for(u)))
    });
    s.expect_append_event().returning(|_| Ok(1));
    s.expect_orders_for_bot().returning(|_, _| Ok(Vec::new()));
    s
}

fn exchange(equity: Decimal) -> MockExchange {
    let mut e = MockExchange::new();
    e.expect_balance()
        .returning(move || Ok(AccountBalance::new(equity, equity, Decimal::ZERO)));
    e.expect_instrument().returning(|s| {
        Ok(Instrument::new(
            s.clone(),
            dec!(0.01),
            dec!(0.001),
            dec!(0.001),
            dec!(5),
            100,
            dec!(0.0002),
            dec!(0.0006),
            dec!(0.005),
        )
        .unwrap())
    });
    e
}

fn launcher() -> MockBotLauncher {
    let mut l = MockBotLauncher::new();
    l.expect_launch().returning(|_| Ok(()));
    l
}

fn manager_with(store: MockStore, equity: Decimal, launcher: MockBotLauncher) -> MultiBotManager {
    let ex: Arc<dyn Exchange> = Arc::new(exchange(equity));
    MultiBotManager::new(
        Arc::new(store),
        Arc::new(SharedExchange(ex)),
        Arc::new(launcher),
        Arc::new(ManualClock::new(1_700_000_000_000)),
        EventBus::new(),
    )
}

fn manager(book: &Arc<Book>, equity: Decimal) -> MultiBotManager {
    manager_with(store(book), equity, launcher())
}

fn amount(a: Decimal) -> Investment {
    Investment::Amount(a)
}

#[tokio::test]
async fn start_passes_when_used_plus_amount_equals_total_and_one_cent_more_is_refused() {
    let b = book();
    let m = manager(&b, dec!(1000));
    m.start_from_template(USER, TemplateId(1), amount(dec!(600)))
        .await
        .unwrap();
    let err = m
        .start_from_template(USER, TemplateId(2), amount(dec!(400.01)))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ManagerError::InsufficientBalance {
            available: dec!(400),
            requested: dec!(400.01)
        }
    );
    assert_eq!(
        err.to_string(),
        "insufficient balance: 400.00 USDT available, 400.01 requested"
    );
    let bot = m
        .start_from_template(USER, TemplateId(2), amount(dec!(400)))
        .await
        .unwrap();
    assert_eq!(bot.allocation, dec!(400));
    let check = m.balance_check(USER, amount(dec!(0.01))).await.unwrap();
    assert!(!check.allowed);
    assert_eq!((check.used_amount, check.available), (dec!(1000), dec!(0)));
}

#[tokio::test]
async fn the_fifth_bot_passes_and_the_sixth_is_refused() {
    let b = book();
    let m = manager(&b, dec!(100000));
    for id in 1..=5 {
        m.start_from_template(USER, TemplateId(id), amount(dec!(100)))
            .await
            .unwrap();
    }
    let err = m
        .start_from_template(USER, TemplateId(6), amount(dec!(100)))
        .await
        .unwrap_err();
    assert_eq!(err, ManagerError::BotLimitReached { active: 5, max: 5 });
    assert_eq!(err.http_status(), 409);
}

#[tokio::test]
async fn a_second_bot_on_the_same_symbol_is_refused() {
    let b = book();
    let m = manager(&b, dec!(10000));
    m.start_from_template(USER, TemplateId(1), amount(dec!(100)))
        .await
        .unwrap();
    let err = m
        .start_from_template(USER, TemplateId(1), amount(dec!(100)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "symbol_busy");
    assert!(err.to_string().contains("BTCUSDT"));
}

#[tokio::test]
async fn a_stopped_bot_frees_its_symbol_and_allocation() {
    let b = book();
    let mut l = launcher();
    let stopped = b.clone();
    l.expect_stop().times(1).returning(move |bot| {
        stopped.set_status(bot.id, BotStatus::Stopped);
        Ok(())
    });
    let m = manager_with(store(&b), dec!(1000), l);
    let first = m
        .start_from_template(USER, TemplateId(1), amount(dec!(1000)))
        .await
        .unwrap();
    assert_eq!(
        m.start_from_template(USER, TemplateId(1), amount(dec!(10)))
            .await
            .unwrap_err()
            .kind(),
        "symbol_busy"
    );
    let after = m.stop_bot(USER, first.id).await.unwrap();
    assert_eq!(after.status, BotStatus::Stopped);
    let again = m
        .start_from_template(USER, TemplateId(1), amount(dec!(1000)))
        .await
        .unwrap();
    assert_eq!(again.status, BotStatus::Starting);
    let s = m.summary(USER).await.unwrap();
    assert_eq!(
        (s.used_amount, s.available_amount, s.active_bot_count),
        (dec!(1000), dec!(0), 1)
    );
    assert_eq!(s.bots.len(), 2);
    assert_eq!(s.bots[0].bot.id, again.id, "newest first");
}

#[tokio::test]
async fn amounts_outside_ten_to_one_hundred_thousand_are_refused_after_rounding_to_cents() {
    let b = book();
    let m = manager(&b, dec!(1000000));
    let err = m
        .start_from_template(USER, TemplateId(1), amount(dec!(9.999)))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ManagerError::AmountOutOfRange {
            amount: dec!(9.99),
            min: dec!(10),
            max: dec!(100000)
        }
    );
    let err = m
        .start_from_template(USER, TemplateId(1), amount(dec!(100000.01)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "amount_out_of_range");
    let bot = m
        .start_from_template(USER, TemplateId(1), amount(dec!(10.009)))
        .await
        .unwrap();
    assert_eq!(bot.allocation, dec!(10.00));
    m.start_from_template(USER, TemplateId(2), amount(dec!(100000)))
        .await
        .unwrap();
}

#[tokio::test]
async fn amounts_must_be_within_the_templates_own_bounds() {
    let mut b = book();
    {
        let t = &mut Arc::get_mut(&mut b).unwrap().templates[0];
        t.min_investment = dec!(50);
        t.max_investment = dec!(500);
    }
    let m = manager(&b, dec!(10000));
    let err = m
        .start_from_template(USER, TemplateId(1), amount(dec!(49.99)))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ManagerError::AmountOutOfRange {
            amount: dec!(49.99),
            min: dec!(50),
            max: dec!(500)
        }
    );
    assert_eq!(
        m.start_from_template(USER, TemplateId(1), amount(dec!(500.01)))
            .await
            .unwrap_err()
            .kind(),
        "amount_out_of_range"
    );
    m.start_from_template(USER, TemplateId(1), amount(dec!(500)))
        .await
        .unwrap();
}

#[tokio::test]
async fn missing_or_inactive_templates_are_refused_before_anything_is_written() {
    let mut b = book();
    Arc::get_mut(&mut b).unwrap().templates[0].is_active = false;
    let mut s = store(&b);
    s.checkpoint();
    let bb = b.clone();
    s.expect_template()
        .returning(move |id| Ok(bb.templates.iter().find(|t| t.id == id).cloned()));
    s.expect_start_bot_guarded().never();
    let m = manager_with(s, dec!(1000), MockBotLauncher::new());
    let err = m
        .start_from_template(USER, TemplateId(99), amount(dec!(100)))
        .await
        .unwrap_err();
    assert_eq!((err.kind(), err.http_status()), ("template_not_found", 404));
    let err = m
        .start_from_template(USER, TemplateId(1), amount(dec!(100)))
        .await
        .unwrap_err();
    assert_eq!((err.kind(), err.http_status()), ("template_inactive", 400));
}

#[tokio::test]
async fn leverage_above_the_users_cap_is_refused_at_create() {
    let b = book();
    *b.risk.lock().unwrap() = Some({
        let mut r = RiskSettings::default_for(USER);
        r.max_leverage = 2;
        r
    });
    let m = manager(&b, dec!(1000));
    let err = m
        .start_from_template(USER, TemplateId(1), amount(dec!(100)))
        .await
        .unwrap_err();
    assert_eq!(err, ManagerError::LeverageAboveCap { leverage: 3, cap: 2 });
    assert!(b.bots.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_percentage_amount_is_a_share_of_the_available_balance() {
    let b = book();
    let m = manager(&b, dec!(1000));
    m.start_from_template(USER, TemplateId(1), amount(dec!(400)))
        .await
        .unwrap();
    let bot = m
        .start_from_template(USER, TemplateId(2), Investment::PercentOfAvailable(dec!(50)))
        .await
        .unwrap();
    assert_eq!(bot.allocation, dec!(300));
}

#[tokio::test]
async fn a_runner_that_cannot_start_leaves_the_bot_in_error_with_the_message() {
    let b = book();
    let mut l = MockBotLauncher::new();
    l.expect_launch().returning(|_| {
        Err(crate::runner::RunnerError::Exchange(crate::error::ExchangeError::Auth(
            "bad key".into(),
        )))
    });
    let m = manager_with(store(&b), dec!(1000), l);
    let mut events = m.subscribe();
    let err = m
        .start_from_template(USER, TemplateId(1), amount(dec!(100)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "exchange");
    assert_eq!(b.bots.lock().unwrap()[0].status, BotStatus::Error);
    let first = events.try_recv().unwrap().unwrap();
    assert!(matches!(
        first,
        BotEvent::StatusChanged {
            status: BotStatus::Starting,
            ..
        }
    ));
    let second = events.try_recv().unwrap().unwrap();
    assert!(matches!(
        second,
        BotEvent::StatusChanged {
            status: BotStatus::Error,
            ..
        }
    ));
}

#[tokio::test]
async fn stopping_someone_elses_bot_is_refused_and_stopping_a_stopped_bot_answers_it() {
    let b = book();
    let m = manager(&b, dec!(1000));
    let bot = m
        .start_from_template(USER, TemplateId(1), amount(dec!(100)))
        .await
        .unwrap();
    assert_eq!(
        m.stop_bot(UserId(2), bot.id).await.unwrap_err(),
        ManagerError::BotNotFound(bot.id)
    );
    // A stop of a stopped bot (one that waited for another stop) answers
    // the stopped bot; nothing is sent to the runners again.
    b.set_status(bot.id, BotStatus::Stopped);
    let again = m.stop_bot(USER, bot.id).await.unwrap();
    assert_eq!(again.status, BotStatus::Stopped);
}

#[tokio::test]
async fn list_filters_by_status_newest_first_and_detail_shows_win_rate_and_position() {
    let b = book();
    let m = manager(&b, dec!(1000));
    let first = m
        .start_from_template(USER, TemplateId(1), amount(dec!(100)))
        .await
        .unwrap();
    let second = m
        .start_from_template(USER, TemplateId(2), amount(dec!(100)))
        .await
        .unwrap();
    b.set_status(first.id, BotStatus::Running);
    let all = m.list_bots(USER, None).await.unwrap();
    assert_eq!(all.iter().map(|x| x.id).collect::<Vec<_>>(), vec![second.id, first.id]);
    let running = m.list_bots(USER, Some(BotStatus::Running)).await.unwrap();
    assert_eq!(running.len(), 1);
    {
        let mut bots = b.bots.lock().unwrap();
        let s = &mut bots[0].stats;
        s.round_trips = 4;
        s.wins = 3;
        s.position_qty = dec!(0.5);
        s.entry_price = dec!(100);
        s.realized_pnl = dec!(12);
        s.fees = dec!(2);
    }
    let d = m.bot_detail(USER, first.id).await.unwrap();
    assert_eq!(d.win_rate_pct, dec!(75));
    assert_eq!(d.position.unwrap().qty, dec!(0.5));
    assert_eq!((d.total_pnl, d.roi_pct), (dec!(10), dec!(10)));
    let s = m.summary(USER).await.unwrap();
    assert_eq!(
        (s.total_pnl, s.total_pnl_percent, s.max_bot_count),
        (dec!(10), dec!(5), 5)
    );
}

#[tokio::test]
async fn templates_are_listed_active_first_then_featured() {
    let mut b = book();
    {
        let t = &mut Arc::get_mut(&mut b).unwrap().templates;
        t[0].is_active = false;
        t[3].is_featured = true;
    }
    let m = manager(&b, dec!(1000));
    let list = m.templates().await.unwrap();
    assert_eq!(list[0].id, TemplateId(4));
    assert_eq!(list.last().unwrap().id, TemplateId(1));
}

#[tokio::test]
async fn a_user_without_an_exchange_account_is_told_to_add_one() {
    let b = book();
    let mut p = MockExchangeProvider::new();
    p.expect_exchange_for()
        .returning(|u| ExchangeMap::new().exchange_for_blocking(u));
    let m = MultiBotManager::new(
        Arc::new(store(&b)),
        Arc::new(p),
        Arc::new(MockBotLauncher::new()),
        Arc::new(ManualClock::new(0)),
        EventBus::new(),
    );
    let err = m
        .start_from_template(USER, TemplateId(1), amount(dec!(100)))
        .await
        .unwrap_err();
    assert_eq!((err.kind(), err.http_status()), ("exchange", 502));
    assert!(err.to_string().contains("add API credentials"), "{err}");
}
