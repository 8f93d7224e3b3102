//! Verified modes before trading: what [`gridbot_core::ports::Exchange::set_leverage`]
//! does on Bitget.
//!
//! gridbot trades one-way position mode and isolated margin (its
//! liquidation estimates assume isolated margin; hedge mode refuses its
//! orders). Before a bot trades a symbol:
//!
//! 1. read the modes (classic: `GET /api/v2/mix/account/account`; unified:
//!    `GET /api/v3/account/settings`, falling back to the position's
//!    `holdMode`/`marginMode` where the settings do not say);
//! 2. switch what is wrong when Bitget allows it (it refuses while
//!    positions or orders exist);
//! 3. set the leverage (unified: `set-leverage` with `marginMode=isolated`,
//!    which is how a unified account selects isolated margin; if Bitget
//!    insists on a side, once per side);
//! 4. read the modes again; anything still wrong fails the call with
//!    [`ExchangeError::Rejected`] (code `position-mode` or `margin-mode`)
//!    whose message says what the user must change on Bitget. The runner
//!    turns that into the bot's `error` status: a bot never trades on an
//!    account it cannot verify.

use gridbot_core::model::Symbol;
use gridbot_core::ExchangeError;

use super::{BitgetExchange, Rest};
use crate::http::client::ApiFailure;
use crate::http::records::{failure_message, HoldMode, MarginMode};
use crate::http::v2::ClassicRest;
use crate::http::v3::UnifiedRest;

fn hold_refused(detail: &str) -> ExchangeError {
    ExchangeError::Rejected {
        code: "position-mode".into(),
        message: format!(
            "the Bitget account is not in one-way position mode and could not be switched ({detail}); gridbot trades \
one-way mode only: close every USDT-M position and cancel every USDT-M order, or set Position mode to One-way in \
Bitget's futures settings, then start the bot again"
        ),
    }
}

fn margin_refused(symbol: &Symbol, detail: &str) -> ExchangeError {
    ExchangeError::Rejected {
        code: "margin-mode".into(),
        message: format!(
            "Bitget keeps {symbol} in cross margin and could not switch it to isolated ({detail}); gridbot trades isolated \
margin only: close the {symbol} position and cancel its orders, or set {symbol} to Isolated margin in Bitget's \
futures settings, then start the bot again"
        ),
    }
}

/// A refusal Bitget may change its mind about later is passed on as is
/// (the runner retries transient errors); a refusal is explained.
fn explain(f: ApiFailure, refusal: impl FnOnce(&str) -> ExchangeError) -> ExchangeError {
    if f.error.is_transient() || matches!(f.error, ExchangeError::Auth(_)) {
        return f.error;
    }
    let detail = match &f.code {
        Some(c) => format!("Bitget code {c}: {}", failure_message(&f)),
        None => f.error.to_string(),
    };
    refusal(&detail)
}

/// Does this refusal say the parameters were wrong (so another spelling may pass)?
fn param_refusal(f: &ApiFailure) -> bool {
    matches!(
        f.code.as_deref(),
        Some("40017" | "40019" | "40020" | "40034" | "400172" | "25200")
    )
}

impl BitgetExchange {
    /// Prepares `symbol`: one-way, isolated, `leverage`; verified (module docs).
    pub(crate) async fn prepare_symbol(&self, symbol: &Symbol, leverage: u32) -> Result<(), ExchangeError> {
        let inst = self.instrument_of(symbol).await?;
        if leverage == 0 || leverage > inst.max_leverage {
            return Err(ExchangeError::InvalidOrder(format!(
                "leverage {leverage} is outside 1..={} for {symbol}",
                inst.max_leverage
            )));
        }
        self.track(symbol);
        let switched_one_way = match self.rest().await? {
            Rest::Classic(r) => prepare_classic(&r, symbol, leverage).await?,
            Rest::Unified(r) => prepare_unified(&r, symbol, leverage).await?,
        };
        let after = self.modes(symbol).await?;
        let one_way = match after.hold_mode {
            Some(m) => m == HoldMode::OneWay,
            // Unified settings may not report the mode; a switch Bitget accepted does.
            None => switched_one_way,
        };
        if !one_way {
            return Err(hold_refused(&format!(
                "it reports {}",
                after.hold_mode.map(|m| m.as_str()).unwrap_or("no position mode")
            )));
        }
        if after.margin_mode == Some(MarginMode::Crossed) {
            return Err(margin_refused(symbol, "it reports crossed"));
        }
        Ok(())
    }
}

/// Returns true when Bitget accepted a switch to one-way mode.
async fn prepare_classic(r: &ClassicRest, symbol: &Symbol, leverage: u32) -> Result<bool, ExchangeError> {
    let modes = r.modes(symbol).await?;
    let mut switched = false;
    if modes.hold_mode != Some(HoldMode::OneWay) {
        r.set_hold_mode(HoldMode::OneWay)
            .await
            .map_err(|f| explain(f, hold_refused))?;
        switched = true;
    }
    if modes.margin_mode != Some(MarginMode::Isolated) {
        r.set_margin_mode(symbol, MarginMode::Isolated)
            .await
            .map_err(|f| explain(f, |d| margin_refused(symbol, d)))?;
    }
    r.set_leverage(symbol, leverage).await.map_err(|f| f.error)?;
    Ok(switched)
}

/// Returns true when Bitget accepted a switch to one-way mode.
async fn prepare_unified(r: &UnifiedRest, symbol: &Symbol, leverage: u32) -> Result<bool, ExchangeError> {
    let settings = r.settings().await?;
    if settings.account_level.eq_ignore_ascii_case("delta") {
        return Err(margin_refused(
            symbol,
            "the unified account is in delta-neutral mode, which allows cross margin only; set the account mode to \
Basic or Advanced",
        ));
    }
    let switched = match settings.hold() {
        Some(HoldMode::OneWay) => false,
        Some(HoldMode::Hedge) => {
            r.set_hold_mode(HoldMode::OneWay)
                .await
                .map_err(|f| explain(f, hold_refused))?;
            true
        }
        None => {
            // The settings do not say (one live report): switching is
            // harmless when it works; when refused, the positions say.
            match r.set_hold_mode(HoldMode::OneWay).await {
                Ok(()) => true,
                Err(f) if f.error.is_transient() => return Err(f.error),
                Err(f) => {
                    let records = r.position_records(None).await?;
                    let hedged = records
                        .iter()
                        .any(|p| HoldMode::parse(&p.hold_mode) != Some(HoldMode::OneWay));
                    if records.is_empty() || hedged {
                        return Err(explain(f, hold_refused));
                    }
                    true
                }
            }
        }
    };
    match r.set_leverage(symbol, leverage, None).await {
        Ok(()) => Ok(switched),
        Err(f) if param_refusal(&f) => {
            // Isolated leverage may have to be set per side.
            for side in ["long", "short"] {
                r.set_leverage(symbol, leverage, Some(side))
                    .await
                    .map_err(|f| explain(f, |d| margin_refused(symbol, d)))?;
            }
            Ok(switched)
        }
        Err(f) => Err(explain(f, |d| margin_refused(symbol, d))),
    }
}
