//! Candle files: `ts_ms,open,high,low,close,volume`, one candle a line,
//! oldest first (the format of `shared/data`).
//!
//! Rules: an optional header line (any first line that does not start with a
//! digit); blank lines are skipped; columns past the sixth are ignored;
//! timestamps must strictly increase but may jump (gaps are allowed and left
//! as they are); zero volume is allowed; every candle must satisfy
//! [`Candle::validate`]. A row that breaks a rule is an error naming the file,
//! the line number and the problem.

use std::path::Path;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::MarketDataError;
use crate::model::Candle;

/// Reads and parses a candle file.
pub fn read_candles(path: &Path) -> Result<Vec<Candle>, MarketDataError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| MarketDataError::NoData(format!("cannot read candle file {}: {e}", path.display())))?;
    parse_candles(&text, &path.display().to_string())
}

/// Parses candle rows; `source` names the input in error messages.
pub fn parse_candles(text: &str, source: &str) -> Result<Vec<Candle>, MarketDataError> {
    let mut out: Vec<Candle> = Vec::with_capacity(text.len() / 48);
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let n = i + 1;
        if line.is_empty() || (i == 0 && !line.starts_with(|c: char| c.is_ascii_digit())) {
            continue;
        }
        let candle = parse_row(line).map_err(|e| MarketDataError::Malformed(format!("{source} line {n}: {e}")))?;
        if let Some(prev) = out.last() {
            if candle.ts <= prev.ts {
                return Err(MarketDataError::Malformed(format!(
                    "{source} line {n}: timestamp {} is not after the previous row's {}; rows must be oldest first without duplicates",
                    candle.ts, prev.ts
                )));
            }
        }
        out.push(candle);
    }
    Ok(out)
}

fn parse_row(line: &str) -> Result<Candle, String> {
    let mut fields = line.split(',').map(str::trim);
    let mut next = |name: &str| {
        fields
            .next()
            .filter(|f| !f.is_empty())
            .ok_or_else(|| format!("missing column {name}; expected ts_ms,open,high,low,close,volume"))
    };
    let ts_raw = next("ts_ms")?;
    let ts = ts_raw
        .parse::<i64>()
        .map_err(|_| format!("ts_ms must be whole milliseconds, got {ts_raw:?}"))?;
    let mut dec = |name: &str| -> Result<Decimal, String> {
        let raw = next(name)?;
        Decimal::from_str(raw)
            .or_else(|_| Decimal::from_scientific(raw))
            .map_err(|_| format!("{name} must be a decimal number, got {raw:?}"))
    };
    let candle = Candle {
        ts,
        open: dec("open")?,
        high: dec("high")?,
        low: dec("low")?,
        close: dec("close")?,
        volume: dec("volume")?,
    };
    candle.validate().map_err(|e| e.to_string())?;
    Ok(candle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rows_parse_with_header_gaps_and_zero_volume() {
        let text = "ts_ms,open,high,low,close,volume\n60000,10,11,9,10.5,0\n\n240000,20,21,19,20,3\n";
        let c = parse_candles(text, "t.csv").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].volume, dec!(0));
        assert_eq!(c[1].ts, 240_000);
    }

    #[test]
    fn malformed_rows_are_errors_naming_the_line() {
        let bad = [
            ("ts,o,h,l,c,v\n60000,10,11,9,10\n", "line 2", "volume"),
            ("60000,10,11,9,10,1\n60000,10,11,9,10,1\n", "line 2", "not after"),
            ("60000,10,9,9,10,1\n", "line 1", "high/low"),
            (
                "abc,10,11,9,10,1\n60000,x,11,9,10,1\n",
                "line 2",
                "open must be a decimal",
            ),
            ("60000.5,10,11,9,10,1\n", "line 1", "ts_ms"),
        ];
        for (text, line, what) in bad {
            let err = parse_candles(text, "f.csv").unwrap_err().to_string();
            assert!(
                err.contains(line) && err.contains(what) && err.contains("f.csv"),
                "{err}"
            );
        }
    }
}
