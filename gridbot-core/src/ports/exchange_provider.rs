//! Which exchange account a user trades on.
//!
//! Every user may have their own account (a paper account, or Bitget with
//! their keys). The manager and the runners ask an [`ExchangeProvider`] for
//! the user's [`Exchange`] each time they need it, so a user who changes
//! credentials gets the new account on the next start.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;

use super::Exchange;
use crate::error::ExchangeError;
use crate::model::UserId;

/// Gives the exchange account of a user.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ExchangeProvider: Send + Sync {
    /// The user's account; [`ExchangeError::Auth`] when the user has none.
    async fn exchange_for(&self, user: UserId) -> Result<Arc<dyn Exchange>, ExchangeError>;
}

/// Every user trades on the same account (single-user setups, tests).
#[derive(Clone)]
pub struct SharedExchange(pub Arc<dyn Exchange>);

#[async_trait]
impl ExchangeProvider for SharedExchange {
    async fn exchange_for(&self, _user: UserId) -> Result<Arc<dyn Exchange>, ExchangeError> {
        Ok(self.0.clone())
    }
}

/// A fixed map from user to account (paper accounts per user, tests).
#[derive(Default)]
pub struct ExchangeMap {
    accounts: RwLock<HashMap<UserId, Arc<dyn Exchange>>>,
}

impl ExchangeMap {
    /// An empty map.
    pub fn new() -> Self {
        ExchangeMap::default()
    }

    /// Sets (replaces) a user's account.
    pub fn insert(&self, user: UserId, exchange: Arc<dyn Exchange>) {
        if let Ok(mut m) = self.accounts.write() {
            m.insert(user, exchange);
        }
    }
}

#[async_trait]
impl ExchangeProvider for ExchangeMap {
    async fn exchange_for(&self, user: UserId) -> Result<Arc<dyn Exchange>, ExchangeError> {
        self.exchange_for_blocking(user)
    }
}

impl ExchangeMap {
    /// The user's account, without awaiting (the map is in memory).
    pub fn exchange_for_blocking(&self, user: UserId) -> Result<Arc<dyn Exchange>, ExchangeError> {
        let found = self.accounts.read().ok().and_then(|m| m.get(&user).cloned());
        found.ok_or_else(|| {
            ExchangeError::Auth(format!(
                "user {user} has no exchange account; add API credentials or enable paper trading"
            ))
        })
    }
}
