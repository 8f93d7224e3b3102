//! [`PaperAccounts`]: every user trades on their own account of one paper
//! venue, opened on first use with a demo deposit.
//!
//! This is the [`ExchangeProvider`] the library facade (`gridbot::Gridbot`)
//! uses when trading on paper; it needs no HTTP layer. Account ids are
//! `user-{id}` ([`paper_account_id`]), stable across restarts, so a venue
//! restored from a snapshot gives every user back their account.
//!
//! ```
//! use std::sync::Arc;
//! use gridbot_core::ports::ExchangeProvider;
//! use gridbot_core::model::{Instrument, UserId};
//! use gridbot_core::paper::{PaperAccounts, PaperConfig, PaperExchange};
//! use gridbot_core::Decimal;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let venue = PaperExchange::with_instruments(PaperConfig::default(), [Instrument::btcusdt()]);
//! let accounts = PaperAccounts::new(venue.clone(), Decimal::from(10_000));
//! let alice = accounts.exchange_for(UserId(1)).await.unwrap();
//! assert_eq!(alice.balance().await.unwrap().equity, Decimal::from(10_000));
//! assert!(venue.account("user-1").is_some());
//! # });
//! ```

use std::sync::Arc;

use async_trait::async_trait;
use rust_decimal::Decimal;

use super::PaperExchange;
use crate::error::ExchangeError;
use crate::model::UserId;
use crate::ports::Exchange;
use crate::ports::ExchangeProvider;

/// The paper account id of a user (`user-{id}`), stable across restarts.
pub fn paper_account_id(user: UserId) -> String {
    format!("user-{}", user.0)
}

/// Every user on their own paper account of one venue (see the module docs).
#[derive(Clone)]
pub struct PaperAccounts {
    venue: PaperExchange,
    deposit: Decimal,
}

impl std::fmt::Debug for PaperAccounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaperAccounts").field("deposit", &self.deposit).finish()
    }
}

impl PaperAccounts {
    /// Accounts on `venue`, each opened with `deposit` USDT the first time
    /// its user trades.
    pub fn new(venue: PaperExchange, deposit: Decimal) -> Self {
        PaperAccounts { venue, deposit }
    }

    /// The venue the accounts live on.
    pub fn venue(&self) -> &PaperExchange {
        &self.venue
    }

    /// The deposit a new account starts with, USDT.
    pub fn deposit(&self) -> Decimal {
        self.deposit
    }
}

#[async_trait]
impl ExchangeProvider for PaperAccounts {
    async fn exchange_for(&self, user: UserId) -> Result<Arc<dyn Exchange>, ExchangeError> {
        // Idempotent: the deposit is paid the first time only.
        Ok(Arc::new(
            self.venue.open_account(&paper_account_id(user), self.deposit)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Instrument;
    use crate::paper::PaperConfig;

    #[tokio::test]
    async fn each_user_gets_one_account_funded_once() {
        let venue = PaperExchange::with_instruments(PaperConfig::default(), [Instrument::btcusdt()]);
        let accounts = PaperAccounts::new(venue.clone(), Decimal::from(500));
        let a = accounts.exchange_for(UserId(7)).await.unwrap();
        let again = accounts.exchange_for(UserId(7)).await.unwrap();
        let b = accounts.exchange_for(UserId(8)).await.unwrap();
        assert_eq!(a.balance().await.unwrap().equity, Decimal::from(500));
        assert_eq!(again.balance().await.unwrap().equity, Decimal::from(500));
        assert_eq!(b.balance().await.unwrap().equity, Decimal::from(500));
        let mut ids = venue.account_ids();
        ids.sort();
        assert_eq!(ids, vec!["user-7".to_owned(), "user-8".to_owned()]);
    }
}
