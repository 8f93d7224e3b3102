//! Settings of a paper venue.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How a paper venue fills and reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PaperConfig {
    /// Adverse slippage of market orders in basis points (1 bp = 0.01 %).
    pub slippage_bps: Decimal,
    /// Leverage of a symbol until `set_leverage` is called.
    pub default_leverage: u32,
    /// Most fills returned by one `fills_since` page.
    pub fills_page_size: usize,
    /// Buffered execution events per subscriber before a slow one lags.
    pub event_buffer: usize,
}

impl Default for PaperConfig {
    /// 2 bp slippage, 10x default leverage, pages of 500 fills, 4096 events.
    fn default() -> Self {
        PaperConfig {
            slippage_bps: Decimal::from(2),
            default_leverage: 10,
            fills_page_size: 500,
            event_buffer: 4096,
        }
    }
}

impl PaperConfig {
    /// The same config with another market-order slippage.
    pub fn with_slippage_bps(mut self, bps: Decimal) -> Self {
        self.slippage_bps = bps;
        self
    }

    /// The same config with another default leverage.
    pub fn with_default_leverage(mut self, leverage: u32) -> Self {
        self.default_leverage = leverage;
        self
    }

    /// The same config with another `fills_since` page size.
    pub fn with_fills_page_size(mut self, size: usize) -> Self {
        self.fills_page_size = size;
        self
    }
}
