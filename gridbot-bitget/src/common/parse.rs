//! Number parsing. Bitget sends numbers as strings and sometimes as JSON
//! numbers (`requestTime`, `leverage`, ...); empty strings mean "none".
//! Every deserializer here accepts both forms.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum Raw {
    Str(String),
    Num(serde_json::Number),
    Null(()),
}

fn raw_text(raw: Raw) -> Option<String> {
    match raw {
        Raw::Str(s) => {
            let t = s.trim();
            if t.is_empty() {
                None
            } else {
                Some(t.to_owned())
            }
        }
        Raw::Num(n) => Some(n.to_string()),
        Raw::Null(()) => None,
    }
}

/// Parses a decimal from text, accepting scientific notation.
pub fn decimal_from_str(s: &str) -> Option<Decimal> {
    let t = s.trim();
    Decimal::from_str(t).ok().or_else(|| Decimal::from_scientific(t).ok())
}

/// A decimal from a string or a number; missing or empty is zero.
pub fn de_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    Ok(de_opt_decimal(d)?.unwrap_or_default())
}

/// An optional decimal from a string or a number; empty or null is `None`.
pub fn de_opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    match raw_text(Raw::deserialize(d)?) {
        None => Ok(None),
        Some(t) => decimal_from_str(&t)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("not a decimal number: {t:?}"))),
    }
}

/// An integer from a string or a number; missing or empty is zero.
pub fn de_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    match raw_text(Raw::deserialize(d)?) {
        None => Ok(0),
        Some(t) => parse_i64(&t).ok_or_else(|| serde::de::Error::custom(format!("not an integer: {t:?}"))),
    }
}

/// A non-negative integer (leverage) from a string or a number; `"20.0"` is
/// accepted; missing or empty is zero.
pub fn de_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = de_i64(d)?;
    u32::try_from(v).map_err(|_| serde::de::Error::custom(format!("out of range: {v}")))
}

/// A string from a string or a number (ids are sometimes numbers); missing is empty.
pub fn de_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(raw_text(Raw::deserialize(d)?).unwrap_or_default())
}

fn parse_i64(t: &str) -> Option<i64> {
    t.parse::<i64>().ok().or_else(|| {
        let d = decimal_from_str(t)?;
        if d.fract().is_zero() {
            i64::try_from(d).ok()
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "de_decimal")]
        a: Decimal,
        #[serde(default, deserialize_with = "de_opt_decimal")]
        b: Option<Decimal>,
        #[serde(default, deserialize_with = "de_i64")]
        c: i64,
        #[serde(default, deserialize_with = "de_u32")]
        d: u32,
    }

    #[test]
    fn numbers_are_accepted_as_strings_or_numbers() {
        let t: T = serde_json::from_str(r#"{"a":"1.50","b":2.25,"c":"1700000000000","d":20}"#).unwrap();
        assert_eq!(
            (t.a, t.b, t.c, t.d),
            (dec!(1.50), Some(dec!(2.25)), 1_700_000_000_000, 20)
        );
        let t: T = serde_json::from_str(r#"{"a":0.1,"b":"","c":1700000000000,"d":"20.0"}"#).unwrap();
        assert_eq!((t.a, t.b, t.c, t.d), (dec!(0.1), None, 1_700_000_000_000, 20));
        let t: T = serde_json::from_str(r#"{"b":null}"#).unwrap();
        assert_eq!((t.a, t.b), (Decimal::ZERO, None));
        assert!(serde_json::from_str::<T>(r#"{"a":"abc"}"#).is_err());
        assert_eq!(decimal_from_str("1e-4"), Some(dec!(0.0001)));
    }
}
