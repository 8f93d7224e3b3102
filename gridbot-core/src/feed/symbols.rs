//! The simulated market's default symbols: realistic starting prices,
//! volatilities and contract rules close to Bitget's USDT-M perpetuals
//! (tick, lot, minimum size, 5 USDT minimum value, 0.02 % / 0.06 % fees).

use rust_decimal::Decimal;

use crate::model::{Instrument, Symbol};

/// One simulated symbol: its rules and how its price behaves.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimSpec {
    /// Contract rules.
    pub instrument: Instrument,
    /// Price at the start of the generated history.
    pub start_price: Decimal,
    /// Annualised volatility of log returns in the normal regime (0.6 = 60 %).
    pub annual_vol: f64,
    /// Typical traded value per minute, USDT (for the volume column).
    pub minute_volume_usdt: f64,
}

impl SimSpec {
    /// A spec from its parts.
    pub fn new(instrument: Instrument, start_price: Decimal, annual_vol: f64, minute_volume_usdt: f64) -> Self {
        SimSpec {
            instrument,
            start_price,
            annual_vol,
            minute_volume_usdt,
        }
    }
}

/// (symbol, price, tick, lot = min qty, max leverage, mmr, volatility, USDT per minute)
type Row = (&'static str, Decimal, Decimal, Decimal, u32, Decimal, f64, f64);

fn rows() -> [Row; 7] {
    let d = Decimal::new;
    [
        (
            "BTCUSDT",
            d(95_000, 0),
            d(1, 1),
            d(1, 4),
            125,
            d(4, 3),
            0.55,
            3_000_000.0,
        ),
        (
            "ETHUSDT",
            d(3_300, 0),
            d(1, 2),
            d(1, 2),
            100,
            d(5, 3),
            0.70,
            1_500_000.0,
        ),
        ("SOLUSDT", d(180, 0), d(1, 3), d(1, 1), 75, d(1, 2), 0.90, 600_000.0),
        ("XRPUSDT", d(22, 1), d(1, 4), d(1, 0), 75, d(1, 2), 0.85, 500_000.0),
        ("DOGEUSDT", d(32, 2), d(1, 5), d(1, 0), 75, d(1, 2), 1.00, 400_000.0),
        ("BNBUSDT", d(650, 0), d(1, 2), d(1, 2), 75, d(1, 2), 0.50, 200_000.0),
        ("ADAUSDT", d(9, 1), d(1, 4), d(1, 0), 75, d(1, 2), 0.90, 200_000.0),
    ]
}

/// The default symbols: BTC, ETH, SOL, XRP, DOGE, BNB and ADA against USDT.
pub fn default_specs() -> Vec<SimSpec> {
    rows()
        .into_iter()
        .filter_map(|(name, price, tick, lot, lev, mmr, vol, per_min)| {
            let inst = Instrument::new(
                Symbol::new(name).ok()?,
                tick,
                lot,
                lot,
                Decimal::from(5),
                lev,
                Decimal::new(2, 4),
                Decimal::new(6, 4),
                mmr,
            )
            .ok()?;
            Some(SimSpec::new(inst, price, vol, per_min))
        })
        .collect()
}

/// The default rules of `symbol`, when it is one of the default symbols.
pub fn default_instrument(symbol: &Symbol) -> Option<Instrument> {
    default_specs()
        .into_iter()
        .map(|s| s.instrument)
        .find(|i| i.symbol == *symbol)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seven_default_symbols_have_valid_rules_and_prices_on_tick() {
        let specs = default_specs();
        let names: Vec<&str> = specs.iter().map(|s| s.instrument.symbol.as_str()).collect();
        assert_eq!(
            names,
            ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "BNBUSDT", "ADAUSDT"]
        );
        for s in &specs {
            assert!(s.instrument.is_on_tick(s.start_price), "{}", s.instrument.symbol);
        }
        assert_eq!(
            default_instrument(&Symbol::new("BTCUSDT").unwrap()).unwrap().tick_size,
            Decimal::new(1, 1)
        );
    }
}
