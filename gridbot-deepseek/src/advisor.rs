//! [`DeepSeekAdvisor`]: DeepSeek proposes, the backtester decides.
//!
//! Per request:
//! 1. the fallback advisor (the backtest advisor) answers first: its
//!    analysis and picks go into the prompt and are the answer to fall back on;
//! 2. DeepSeek is asked ([`crate::prompt`]) with the client's timeout;
//! 3. the answer is parsed strictly ([`crate::response`]), every proposal is
//!    snapped inward to the tick and checked against [`ProposalBounds`];
//! 4. every proposal is re-backtested through [`Rebacktest`] — with the
//!    backtest advisor, the same walk-forward validation, safety test and
//!    forecast its own picks get (`expected_roi_7d_pct` and its range,
//!    `expected_roi_30d` from it, the in-sample `backtest_roi_pct`); the
//!    numbers shown are that validation's, the model's rationale is appended
//!    to the description;
//! 5. the three must be ordered by risk like the backtest advisor's picks
//!    ([`gridbot_core::advisor::check_order`]: no profile with a larger
//!    drawdown or leverage than a riskier one).
//!
//! Any failure in 2–5 (timeout, HTTP error, malformed answer, a bound
//! broken, a proposal not viable) returns the fallback's answer unchanged
//! but with `fallback_reason` saying what went wrong. All three proposals
//! must pass; a partly good answer is not mixed with backtest picks, so a
//! set is always wholly from one source. Errors of the fallback itself are
//! returned as they are.

use std::sync::Arc;

use async_trait::async_trait;
use gridbot_core::advisor::{check_order, GridProposal, ProposalBounds, Rebacktest};
use gridbot_core::error::AdvisorError;
use gridbot_core::model::Rounding;
use gridbot_core::ports::{Advisor, AdvisorRequest, Recommendation, RecommendationSet};

use crate::client::ChatClient;
use crate::error::DeepSeekError;
use crate::{prompt, response};

/// Name of this advisor in [`RecommendationSet::source`].
pub const SOURCE: &str = "deepseek";

/// An advisor that asks DeepSeek and re-backtests its proposals.
pub struct DeepSeekAdvisor {
    client: ChatClient,
    fallback: Arc<dyn Advisor>,
    rebacktest: Arc<dyn Rebacktest>,
    bounds: ProposalBounds,
}

impl DeepSeekAdvisor {
    /// Asks through `client`; `fallback` answers first and whenever DeepSeek
    /// fails; `rebacktest` turns proposals into recommendations. Default bounds.
    pub fn new(client: ChatClient, fallback: Arc<dyn Advisor>, rebacktest: Arc<dyn Rebacktest>) -> Self {
        DeepSeekAdvisor {
            client,
            fallback,
            rebacktest,
            bounds: ProposalBounds::default(),
        }
    }

    /// With other bounds.
    pub fn with_bounds(mut self, bounds: ProposalBounds) -> Self {
        self.bounds = bounds;
        self
    }

    /// Asks DeepSeek and re-backtests its three proposals.
    async fn ask(
        &self,
        request: &AdvisorRequest,
        base: &RecommendationSet,
    ) -> Result<Vec<Recommendation>, DeepSeekError> {
        let messages = prompt::build(&base.analysis, &base.recommendations, &self.bounds, &request.instrument);
        let content = self.client.complete(&messages).await?;
        let proposals = response::parse(&content)?;
        let price = base.analysis.current_price;
        let proposals: Vec<GridProposal> = proposals.into_iter().map(|p| snap(p, request)).collect();
        // Every bound first, so that a bad answer costs no backtest.
        for p in &proposals {
            self.bounds
                .check(p, price, &request.instrument)
                .map_err(DeepSeekError::OutOfBounds)?;
        }
        let mut out = Vec::with_capacity(proposals.len());
        for p in proposals {
            let mut rec = self
                .rebacktest
                .rebacktest(request, &p)
                .map_err(|e| DeepSeekError::NotViable(format!("{} setup: {e}", p.risk_level.as_str())))?;
            rec.name = format!("DeepSeek {}", p.risk_level.as_str());
            if !p.rationale.is_empty() {
                rec.description = format!("{} DeepSeek: {}", rec.description, p.rationale)
                    .trim()
                    .to_owned();
            }
            out.push(rec);
        }
        check_order(&out).map_err(DeepSeekError::NotViable)?;
        Ok(out)
    }
}

/// Snaps the range inward to the tick (lower up, upper down).
fn snap(mut p: GridProposal, request: &AdvisorRequest) -> GridProposal {
    p.lower = request.instrument.round_price(p.lower, Rounding::Up);
    p.upper = request.instrument.round_price(p.upper, Rounding::Down);
    p
}

#[async_trait]
impl Advisor for DeepSeekAdvisor {
    async fn recommend(&self, request: &AdvisorRequest) -> Result<RecommendationSet, AdvisorError> {
        let base = self.fallback.recommend(request).await?;
        match self.ask(request, &base).await {
            Ok(recommendations) => Ok(RecommendationSet::new(
                base.analysis,
                recommendations,
                SOURCE,
                request.now,
            )),
            Err(e) => {
                tracing::warn!(symbol = %request.symbol(), error = %e, "DeepSeek advisor failed; using the backtest advisor's picks");
                let mut set = base;
                set.fallback_reason = Some(format!("{e}; showing the backtest advisor's picks"));
                Ok(set)
            }
        }
    }
}
