//! Guarded starts racing from two processes on one SQLite file still keep
//! the rules: the test re-executes its binary twice (with
//! `GRIDBOT_STORE_RACE_CHILD` set, the same test function runs 25 starts
//! at once and prints one line per outcome), then checks the database.
#![cfg(feature = "sqlite")]

mod common;

use std::process::Stdio;

use gridbot_core::model::UserId;
use gridbot_core::StoreError;
use rust_decimal::Decimal;

use common::{d, grid_bot, limits, rerun_test, runtime};

const CHILD_DB: &str = "GRIDBOT_STORE_RACE_CHILD";
const CHILD_USER: &str = "GRIDBOT_STORE_RACE_USER";
const CHILD_OFFSET: &str = "GRIDBOT_STORE_RACE_OFFSET";
const SYMBOLS: [&str; 7] = [
    "BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "BNBUSDT", "ADAUSDT",
];

/// One process's share of the race: 25 concurrent starts.
fn race_in_child(url: &str, user: UserId, offset: usize) {
    runtime().block_on(async {
        let store = gridbot_store::open(url).await.unwrap();
        let tasks: Vec<_> = (offset..offset + 25)
            .map(|i| {
                let store = store.clone();
                let bot = grid_bot(
                    user,
                    SYMBOLS[(i * 3) % SYMBOLS.len()],
                    Decimal::from(40 + (i * 53) % 450),
                );
                tokio::spawn(async move { store.start_bot_guarded(&bot, limits(5, "1000"), i as i64).await })
            })
            .collect();
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => println!("outcome started"),
                Err(
                    StoreError::BotLimitReached { .. }
                    | StoreError::SymbolBusy { .. }
                    | StoreError::InsufficientBalance { .. },
                ) => println!("outcome refused"),
                Err(e) => println!("outcome error {e}"),
            }
        }
    });
}

#[test]
fn guarded_starts_from_two_processes_on_one_sqlite_file_keep_the_rules() {
    if let (Ok(url), Ok(user), Ok(offset)) = (
        std::env::var(CHILD_DB),
        std::env::var(CHILD_USER),
        std::env::var(CHILD_OFFSET),
    ) {
        race_in_child(&url, UserId(user.parse().unwrap()), offset.parse().unwrap());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = common::sqlite_url(&dir, "race.db");
    let rt = runtime();
    let user = rt.block_on(async {
        let store = gridbot_store::open(&url).await.unwrap();
        store.create_user("racer", "h", 0).await.unwrap().id
    });
    let children: Vec<_> = [0usize, 25]
        .into_iter()
        .map(|offset| {
            rerun_test("guarded_starts_from_two_processes_on_one_sqlite_file_keep_the_rules")
                .env(CHILD_DB, &url)
                .env(CHILD_USER, user.0.to_string())
                .env(CHILD_OFFSET, offset.to_string())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut started = 0;
    let mut outcomes = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            // The harness prints `test <name> ... ` on the same line as the first outcome.
            let Some((_, outcome)) = line.split_once("outcome ") else {
                continue;
            };
            outcomes += 1;
            assert!(outcome == "started" || outcome == "refused", "{outcome}");
            started += usize::from(outcome == "started");
        }
    }
    assert_eq!(outcomes, 50);
    rt.block_on(async {
        let store = gridbot_store::open(&url).await.unwrap();
        let bots = store.bots_for_user(user, None).await.unwrap();
        assert_eq!(bots.len(), started);
        assert!((1..=5).contains(&started), "{started} bots started");
        let mut symbols: Vec<_> = bots.iter().map(|b| b.symbol.clone()).collect();
        symbols.sort();
        symbols.dedup();
        assert_eq!(symbols.len(), bots.len(), "a symbol started twice");
        let used: Decimal = bots.iter().map(|b| b.allocation).sum();
        assert!(used <= d("1000"), "allocations {used} above the balance");
    });
}
