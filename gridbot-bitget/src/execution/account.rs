//! Which API this account speaks, found out once and never guessed, and
//! what the account says about itself (for `gridbot exchange account`).
//!
//! Detection (`AccountMode::Detect`, the default): `GET /api/v3/account/assets`
//! with the keys. Success → unified; 40084 → classic; 25245 (read as
//! "classic" by one client, undocumented) → confirmed with a classic call
//! (success → classic, 40085 → unified); anything else → the call that
//! needed the kind fails, naming what Bitget answered. A transient failure
//! is not remembered: the next call probes again. Public calls without keys
//! use the classic v2 public endpoints, which serve every user.

use gridbot_core::model::Symbol;
use gridbot_core::ExchangeError;
use serde::Serialize;

use super::BitgetExchange;
use crate::common::account::{AccountKind, AccountMode, CLASSIC_ON_V3, MAYBE_CLASSIC_ON_V3, UNIFIED_ON_V2};
use crate::common::urls::Environment;
use crate::http::records::{AccountModes, HoldMode, MarginMode};
use crate::http::v2::ClassicRest;
use crate::http::v3::UnifiedRest;

/// The API client of the account's kind.
#[derive(Debug, Clone)]
pub(crate) enum Rest {
    /// Classic v2.
    Classic(ClassicRest),
    /// Unified v3.
    Unified(UnifiedRest),
}

impl Rest {
    fn of(kind: AccountKind, ex: &BitgetExchange) -> Self {
        match kind {
            AccountKind::Classic => Rest::Classic(ClassicRest::new(ex.client().clone())),
            AccountKind::Unified => Rest::Unified(UnifiedRest::new(ex.client().clone())),
        }
    }

    /// The kind this client speaks.
    pub(crate) fn kind(&self) -> AccountKind {
        match self {
            Rest::Classic(_) => AccountKind::Classic,
            Rest::Unified(_) => AccountKind::Unified,
        }
    }
}

/// What `gridbot exchange account` prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountInfo {
    /// `live` or `demo`.
    pub environment: &'static str,
    /// Classic or unified.
    pub kind: AccountKind,
    /// `v2` or `v3`.
    pub api: &'static str,
    /// The modes (position mode account-wide, margin mode of `symbol`).
    pub modes: AccountModes,
    /// True when the account is one-way and the symbol isolated, as gridbot trades.
    pub ready: bool,
}

impl BitgetExchange {
    /// The account kind: configured, or detected once as the module docs say.
    pub async fn account_kind(&self) -> Result<AccountKind, ExchangeError> {
        self.inner.kind.get_or_try_init(|| self.detect()).await.copied()
    }

    async fn detect(&self) -> Result<AccountKind, ExchangeError> {
        let cfg = self.client().config();
        match cfg.account {
            AccountMode::Classic => return Ok(AccountKind::Classic),
            AccountMode::Unified => return Ok(AccountKind::Unified),
            _ => {}
        }
        if cfg.credentials.is_none() {
            return Err(ExchangeError::Auth(
                "no API credentials configured: set GRIDBOT_BITGET_API_KEY, GRIDBOT_BITGET_API_SECRET and GRIDBOT_BITGET_PASSPHRASE".into(),
            ));
        }
        let refuse = |what: String| {
            ExchangeError::Rejected {
                code: "account-kind".into(),
                message: format!(
                    "cannot tell whether this Bitget key belongs to a classic or a unified (UTA) account: {what}; \
gridbot does not guess. Check the key, its passphrase and its read permission, and that demo keys are used with demo mode"
                ),
            }
        };
        let probe = UnifiedRest::new(self.client().clone()).assets().await;
        let kind = match probe {
            Ok(_) => AccountKind::Unified,
            Err(f) if f.code.as_deref() == Some(CLASSIC_ON_V3) => AccountKind::Classic,
            Err(f) if f.code.as_deref() == Some(MAYBE_CLASSIC_ON_V3) => {
                let confirm = self
                    .client()
                    .get_detailed::<serde_json::Value>(
                        "/api/v2/mix/account/accounts",
                        &[("productType", cfg.product_type().as_str().to_owned())],
                        true,
                    )
                    .await;
                match confirm {
                    Ok(_) => AccountKind::Classic,
                    Err(c) if c.code.as_deref() == Some(UNIFIED_ON_V2) => AccountKind::Unified,
                    Err(c) if c.error.is_transient() => return Err(c.error),
                    Err(c) => {
                        return Err(refuse(format!(
                            "the unified API answered {}, the classic API {}",
                            f.error, c.error
                        )))
                    }
                }
            }
            // A transient failure is tried again on the next call; a refused
            // key, signature or clock is the user's to fix, said as Bitget said it.
            Err(f) if f.error.is_transient() || matches!(f.error, ExchangeError::Auth(_)) => return Err(f.error),
            Err(f) => return Err(refuse(format!("GET /api/v3/account/assets answered {}", f.error))),
        };
        tracing::info!(kind = %kind, "Bitget account kind detected");
        Ok(kind)
    }

    /// The API client of this account (detecting the kind on first use).
    pub(crate) async fn rest(&self) -> Result<Rest, ExchangeError> {
        Ok(Rest::of(self.account_kind().await?, self))
    }

    /// The API client for public calls: the account's when there are keys,
    /// else the configured kind, else classic v2.
    pub(crate) async fn public_rest(&self) -> Result<Rest, ExchangeError> {
        if let Some(k) = self.known_kind() {
            return Ok(Rest::of(k, self));
        }
        let cfg = self.client().config();
        match (cfg.account, cfg.credentials.is_some()) {
            (AccountMode::Unified, _) => Ok(Rest::of(AccountKind::Unified, self)),
            (AccountMode::Detect, true) => self.rest().await,
            _ => Ok(Rest::of(AccountKind::Classic, self)),
        }
    }

    /// The account's modes; the margin mode is the one of `symbol`.
    pub async fn modes(&self, symbol: &Symbol) -> Result<AccountModes, ExchangeError> {
        match self.rest().await? {
            Rest::Classic(r) => r.modes(symbol).await,
            Rest::Unified(r) => {
                let s = r.settings().await?;
                let cfg = s.symbol_config(symbol);
                let mut margin_mode = cfg.and_then(|c| MarginMode::parse(&c.margin_mode));
                let mut hold_mode = s.hold();
                if margin_mode.is_none() || hold_mode.is_none() {
                    // Not listed: the position (if any) says.
                    let records = r.position_records(Some(symbol)).await?;
                    if let Some(p) = records.iter().find(|p| p.symbol == symbol.as_str()) {
                        margin_mode = margin_mode.or_else(|| MarginMode::parse(&p.margin_mode));
                        hold_mode = hold_mode.or_else(|| HoldMode::parse(&p.hold_mode));
                    }
                }
                Ok(AccountModes {
                    kind: AccountKind::Unified,
                    hold_mode,
                    margin_mode,
                    symbol: Some(symbol.clone()),
                    leverage: cfg.map(|c| c.leverage).filter(|l| *l > 0),
                    level: Some(s.account_level.clone()).filter(|l| !l.is_empty()),
                })
            }
        }
    }

    /// Environment, account kind, API and modes (margin mode of `symbol`).
    pub async fn account_info(&self, symbol: &Symbol) -> Result<AccountInfo, ExchangeError> {
        let modes = self.modes(symbol).await?;
        let kind = modes.kind;
        Ok(AccountInfo {
            environment: match self.client().config().environment {
                Environment::Demo => "demo",
                _ => "live",
            },
            kind,
            api: kind.api_version(),
            ready: modes.hold_mode == Some(HoldMode::OneWay) && modes.margin_mode == Some(MarginMode::Isolated),
            modes,
        })
    }
}
