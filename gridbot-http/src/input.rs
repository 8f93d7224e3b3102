//! Reading numbers from requests, strictly.
//!
//! A decimal field takes a JSON number (`12.5`) or a string of plain
//! decimal digits (`"12.5"`, `"-3"`): digits with at most one point, an
//! optional leading minus, at most [`MAX_DIGITS`] digits. Refused, naming
//! the field: exponents (`"100.5e2"`), separators (`"1_000"`, `"1,000"`),
//! a leading `+`, spaces, `NaN`. A JSON number is read through its shortest
//! exact decimal form (what the client wrote for any number of at most 15
//! significant digits), never through a rounded float.
//!
//! Bounds are the routes' ([`price`], [`positive_amount`]): a price above
//! [`MAX_PRICE`] (e.g. `9223372036854775808`) is refused with its field
//! named, before any arithmetic could overflow.
//!
//! The refusals are serde errors whose message is a key ([`DECIMAL_KEY`]);
//! [`crate::extract`] turns them into the envelope, in both languages.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, Deserializer, Visitor};

use crate::error::{ApiError, ApiResult};

/// Most digits a decimal input may have.
pub const MAX_DIGITS: usize = 24;
/// Highest price any route accepts (prices of every contract are far below).
pub const MAX_PRICE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);
/// Highest USDT amount any route accepts before its own rules apply.
pub const MAX_AMOUNT_INPUT: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

/// The serde error message of a malformed decimal (translated by
/// [`crate::extract`]).
pub const DECIMAL_KEY: &str = "gridbot:decimal";

/// Parses `text` as a plain decimal (see the module docs), or `None`.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let mut parts = digits.split('.');
    let int = parts.next()?;
    let frac = parts.next();
    if parts.next().is_some() || int.is_empty() || frac.is_some_and(str::is_empty) {
        return None;
    }
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int) || !frac.is_none_or(all_digits) {
        return None;
    }
    if int.len() + frac.map_or(0, str::len) > MAX_DIGITS {
        return None;
    }
    Decimal::from_str(text).ok()
}

struct DecimalVisitor;

impl<'de> Visitor<'de> for DecimalVisitor {
    type Value = Decimal;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(DECIMAL_KEY)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !v.is_finite() {
            return Err(E::custom(DECIMAL_KEY));
        }
        // `Display` of an f64 is its shortest exact form, never exponential.
        parse_decimal(&v.to_string()).ok_or_else(|| E::custom(DECIMAL_KEY))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Decimal, E> {
        parse_decimal(v).ok_or_else(|| E::custom(DECIMAL_KEY))
    }
}

/// `deserialize_with` for a required decimal.
pub fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    d.deserialize_any(DecimalVisitor)
}

struct OptionalDecimal;

impl<'de> Visitor<'de> for OptionalDecimal {
    type Value = Option<Decimal>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(DECIMAL_KEY)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        decimal(d).map(Some)
    }
}

/// `deserialize_with` for an optional decimal (`null` or absent = none; use
/// with `#[serde(default)]`).
pub fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    d.deserialize_option(OptionalDecimal)
}

/// `deserialize_with` for an optional decimal in a query string (an empty
/// value counts as absent).
pub fn query_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => parse_decimal(t).map(Some).ok_or_else(|| de::Error::custom(DECIMAL_KEY)),
    }
}

/// A price: greater than 0 and at most [`MAX_PRICE`].
pub fn price(field: &str, v: Decimal) -> ApiResult<Decimal> {
    if v <= Decimal::ZERO || v > MAX_PRICE {
        return Err(ApiError::validation(
            field,
            format!("must be a price greater than 0 and at most {MAX_PRICE}"),
            format!("0보다 크고 {MAX_PRICE} 이하인 가격이어야 합니다"),
        ));
    }
    Ok(v)
}

/// An optional price (see [`price`]).
pub fn opt_price(field: &str, v: Option<Decimal>) -> ApiResult<Option<Decimal>> {
    v.map(|p| price(field, p)).transpose()
}

/// A USDT amount: greater than 0 and at most [`MAX_AMOUNT_INPUT`] (the
/// manager applies the real bounds, naming them).
pub fn positive_amount(field: &str, v: Decimal) -> ApiResult<Decimal> {
    if v <= Decimal::ZERO || v > MAX_AMOUNT_INPUT {
        return Err(ApiError::validation(
            field,
            "must be an amount greater than 0",
            "0보다 큰 금액이어야 합니다",
        ));
    }
    Ok(v)
}

/// A percentage in (0, 100].
pub fn percent(field: &str, v: Decimal) -> ApiResult<Decimal> {
    if v <= Decimal::ZERO || v > Decimal::ONE_HUNDRED {
        return Err(ApiError::validation(
            field,
            format!("must be a percentage greater than 0 and at most 100, got {v}"),
            format!("0보다 크고 100 이하인 비율이어야 합니다 (입력: {v})"),
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(deserialize_with = "decimal")]
        amount: Decimal,
        #[serde(default, deserialize_with = "opt_decimal")]
        price: Option<Decimal>,
    }

    fn read(json: &str) -> Result<Body, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn plain_decimals_as_numbers_or_strings_are_read_exactly() {
        assert_eq!(read(r#"{"amount": 250.23}"#).unwrap().amount, dec!(250.23));
        assert_eq!(read(r#"{"amount": "250.23"}"#).unwrap().amount, dec!(250.23));
        assert_eq!(read(r#"{"amount": 500}"#).unwrap().amount, dec!(500));
        assert_eq!(read(r#"{"amount": 0.1}"#).unwrap().amount, dec!(0.1));
        assert_eq!(read(r#"{"amount": "-3"}"#).unwrap().amount, dec!(-3));
        let b = read(r#"{"amount": 1, "price": null}"#).unwrap();
        assert_eq!(b.price, None);
        assert_eq!(
            read(r#"{"amount": 1, "price": "0.30765"}"#).unwrap().price,
            Some(dec!(0.30765))
        );
    }

    #[test]
    fn separators_exponents_and_signs_are_refused() {
        for bad in [
            r#""1_000""#,
            r#""100.5e2""#,
            r#""1,000""#,
            r#""+5""#,
            r#"" 5""#,
            r#""NaN""#,
            r#""5.""#,
            r#""""#,
            r#"true"#,
        ] {
            let e = read(&format!(r#"{{"amount": {bad}}}"#)).unwrap_err();
            assert!(e.contains(DECIMAL_KEY), "{bad}: {e}");
        }
    }

    #[test]
    fn prices_beyond_the_bound_are_refused_naming_the_field() {
        let huge = read(r#"{"amount": 9223372036854775808}"#).unwrap().amount;
        let e = price("price_range_upper", huge).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("price_range_upper"));
        assert!(price("lower", dec!(0.30765)).is_ok());
        assert!(price("lower", dec!(0)).is_err());
    }
}
