//! The [`Accounts`] port of the HTTP layer: which exchange account a user
//! trades on, and how new exchange credentials are verified.
//!
//! `gridbot serve` implements it: with the paper exchange every user gets a
//! paper account (10,000 USDT demo balance); with Bitget a user's account is
//! built from the credentials they saved (decrypted with the
//! [`crate::secrets::CredentialCipher`]).

use std::sync::Arc;

use async_trait::async_trait;

use gridbot_core::model::{AccountBalance, UserId};
use gridbot_core::ports::Exchange;
use gridbot_core::ExchangeError;

use crate::secrets::ExchangeCredentials;

/// Users' exchange accounts.
#[async_trait]
pub trait Accounts: Send + Sync {
    /// The exchange account `user` trades on. [`ExchangeError::Auth`] when
    /// the user must save credentials first.
    async fn exchange_for(&self, user: UserId) -> Result<Arc<dyn Exchange>, ExchangeError>;

    /// Verifies credentials with a balance call and returns the balance.
    async fn verify_credentials(&self, creds: &ExchangeCredentials) -> Result<AccountBalance, ExchangeError>;

    /// Told after a user's credentials changed, so cached clients are rebuilt.
    async fn credentials_changed(&self, user: UserId);
}
