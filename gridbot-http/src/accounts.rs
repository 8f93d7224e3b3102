//! The [`Accounts`] port of the HTTP layer: which exchange account a user
//! trades on, and how new exchange credentials are verified; plus
//! [`PaperAccounts`], every user on the paper exchange with a demo deposit.
//!
//! `gridbot serve` picks the implementation: with the paper exchange every
//! user gets a paper account (10,000 USDT by default); with Bitget a user's
//! account is built from the credentials they saved.

use std::sync::Arc;

use async_trait::async_trait;
use rust_decimal::Decimal;

use gridbot_core::manager::ExchangeProvider;
use gridbot_core::model::{AccountBalance, TimestampMs, UserId};
use gridbot_core::paper::PaperExchange;
use gridbot_core::ports::Exchange;
use gridbot_core::ExchangeError;

use crate::secrets::ExchangeCredentials;

/// Users' exchange accounts (also the manager's [`ExchangeProvider`]).
#[async_trait]
pub trait Accounts: ExchangeProvider {
    /// Verifies credentials with a balance call and returns the balance.
    async fn verify_credentials(&self, creds: &ExchangeCredentials) -> Result<AccountBalance, ExchangeError>;

    /// Told after a user's credentials changed, so cached clients are rebuilt.
    async fn credentials_changed(&self, user: UserId);

    /// The exchange's own time when it keeps one (the paper venue's market
    /// time, [`PaperExchange::now`]); `None` means the server clock is the
    /// exchange's time (Bitget).
    fn exchange_now(&self) -> Option<TimestampMs> {
        None
    }
}

/// Checks exchange credentials with a balance call (Bitget in production).
#[async_trait]
pub trait CredentialVerifier: Send + Sync {
    /// The balance the credentials see, or why they were refused.
    async fn verify(&self, creds: &ExchangeCredentials) -> Result<AccountBalance, ExchangeError>;
}

pub use gridbot_core::paper::paper_account_id;

/// Every user trades on their own paper account, opened on first use with
/// `deposit` USDT ([`gridbot_core::paper::PaperAccounts`], which this wraps).
/// Saved credentials are verified by `verifier` (kept for when the server
/// switches to Bitget) but not used for trading.
pub struct PaperAccounts {
    paper: gridbot_core::paper::PaperAccounts,
    verifier: Arc<dyn CredentialVerifier>,
}

impl PaperAccounts {
    /// Paper accounts on `venue` with `deposit` USDT each.
    pub fn new(venue: Arc<PaperExchange>, deposit: Decimal, verifier: Arc<dyn CredentialVerifier>) -> Self {
        PaperAccounts {
            paper: gridbot_core::paper::PaperAccounts::new((*venue).clone(), deposit),
            verifier,
        }
    }
}

#[async_trait]
impl ExchangeProvider for PaperAccounts {
    async fn exchange_for(&self, user: UserId) -> Result<Arc<dyn Exchange>, ExchangeError> {
        self.paper.exchange_for(user).await
    }
}

#[async_trait]
impl Accounts for PaperAccounts {
    async fn verify_credentials(&self, creds: &ExchangeCredentials) -> Result<AccountBalance, ExchangeError> {
        self.verifier.verify(creds).await
    }

    async fn credentials_changed(&self, _user: UserId) {}

    fn exchange_now(&self) -> Option<TimestampMs> {
        Some(self.paper.venue().now())
    }
}
