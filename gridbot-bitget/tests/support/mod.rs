//! Shared setup of the integration tests: a fake Bitget and clients on it.
#![allow(dead_code)]

use gridbot_bitget::fake::FakeBitget;
use gridbot_bitget::{BitgetConfig, BitgetExchange};
use gridbot_core::model::{ClientOrderId, OrderRequest, Side, Symbol};
use rust_decimal::Decimal;

pub fn btc() -> Symbol {
    Symbol::new("BTCUSDT").unwrap()
}

pub async fn fake() -> FakeBitget {
    FakeBitget::start().await.unwrap()
}

pub fn exchange(fake: &FakeBitget) -> BitgetExchange {
    BitgetExchange::new(fake.config()).unwrap()
}

pub fn exchange_with(config: BitgetConfig) -> BitgetExchange {
    BitgetExchange::new(config).unwrap()
}

pub fn limit(id: &str, side: Side, price: Decimal, qty: Decimal) -> OrderRequest {
    OrderRequest::limit(ClientOrderId::new(id), btc(), side, price, qty)
}

/// Waits until `cond` holds (at most `secs` seconds).
pub async fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    cond()
}
