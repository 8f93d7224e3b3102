//! Strict parsing of DeepSeek's answer into [`GridProposal`]s.
//!
//! Accepted: one JSON object with only the key `recommendations`, an array
//! of exactly three objects, one per risk level, each with exactly the keys
//! `risk_level`, `mode`, `spacing`, `lower`, `upper`, `grids`, `leverage`
//! and optionally `rationale`. Prices may be strings or numbers and must be
//! positive; grids and leverage must be integers. Anything else is refused
//! as malformed. Bounds are checked afterwards, against the market
//! ([`gridbot_core::advisor::ProposalBounds`]).

use std::str::FromStr;

use gridbot_core::advisor::GridProposal;
use gridbot_core::grid::{GridMode, Spacing};
use gridbot_core::ports::RiskLevel;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use crate::error::DeepSeekError;

/// Longest rationale kept, in characters (the rest is cut).
pub const MAX_RATIONALE: usize = 300;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    recommendations: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    risk_level: RiskLevel,
    mode: GridMode,
    spacing: Spacing,
    #[serde(deserialize_with = "price")]
    lower: Decimal,
    #[serde(deserialize_with = "price")]
    upper: Decimal,
    grids: u32,
    leverage: u32,
    #[serde(default)]
    rationale: String,
}

/// Parses the answer's content into three proposals, conservative first.
pub fn parse(content: &str) -> Result<Vec<GridProposal>, DeepSeekError> {
    let answer: Answer = serde_json::from_str(content.trim()).map_err(|e| DeepSeekError::Malformed(e.to_string()))?;
    if answer.recommendations.len() != RiskLevel::ALL.len() {
        return Err(DeepSeekError::Malformed(format!(
            "expected 3 recommendations, got {}",
            answer.recommendations.len()
        )));
    }
    let mut out = Vec::with_capacity(3);
    for level in RiskLevel::ALL {
        let mut matching = answer.recommendations.iter().filter(|i| i.risk_level == level);
        let (Some(item), None) = (matching.next(), matching.next()) else {
            return Err(DeepSeekError::Malformed(format!(
                "expected exactly one {} recommendation",
                level.as_str()
            )));
        };
        out.push(GridProposal {
            risk_level: level,
            mode: item.mode,
            spacing: item.spacing,
            lower: item.lower,
            upper: item.upper,
            grids: item.grids,
            leverage: item.leverage,
            rationale: item.rationale.trim().chars().take(MAX_RATIONALE).collect(),
        });
    }
    Ok(out)
}

/// A positive decimal given as a string or a JSON number.
fn price<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    use serde::de::Error;
    let v = serde_json::Value::deserialize(d)?;
    let text = match &v {
        serde_json::Value::String(s) => s.trim().to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        other => {
            return Err(D::Error::custom(format!(
                "a price must be a string or a number, got {other}"
            )))
        }
    };
    let value = Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map_err(|_| D::Error::custom(format!("not a price: {text:?}")))?;
    if value <= Decimal::ZERO {
        return Err(D::Error::custom(format!("a price must be positive, got {value}")));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn item(level: &str, lower: &str) -> String {
        format!(
            r#"{{"risk_level":"{level}","mode":"neutral","spacing":"geometric","lower":{lower},"upper":"110","grids":20,"leverage":2,"rationale":"why"}}"#
        )
    }

    fn answer(items: &[String]) -> String {
        format!(r#"{{"recommendations":[{}]}}"#, items.join(","))
    }

    #[test]
    fn three_well_formed_proposals_parse_in_profile_order() {
        let text = answer(&[
            item("aggressive", "\"95\""),
            item("conservative", "90"),
            item("moderate", "92.5"),
        ]);
        let p = parse(&text).unwrap();
        assert_eq!(
            p.iter().map(|x| x.risk_level).collect::<Vec<_>>(),
            RiskLevel::ALL.to_vec()
        );
        assert_eq!((p[0].lower, p[1].lower, p[2].lower), (dec!(90), dec!(92.5), dec!(95)));
        assert_eq!(p[0].upper, dec!(110));
        assert_eq!(p[0].rationale, "why");
    }

    #[test]
    fn anything_but_the_exact_shape_is_malformed() {
        let ok = [
            item("conservative", "90"),
            item("moderate", "90"),
            item("aggressive", "90"),
        ];
        let cases = [
            "not json".to_owned(),
            "[]".to_owned(),
            answer(&ok[..2]),
            answer(&[ok[0].clone(), ok[0].clone(), ok[2].clone()]),
            answer(&[item("conservative", "-1"), ok[1].clone(), ok[2].clone()]),
            answer(&[item("conservative", "\"abc\""), ok[1].clone(), ok[2].clone()]),
            answer(&[
                ok[0].replace("\"grids\":20", "\"grids\":20.5"),
                ok[1].clone(),
                ok[2].clone(),
            ]),
            answer(&[
                ok[0].replace("\"mode\":\"neutral\"", "\"mode\":\"sideways\""),
                ok[1].clone(),
                ok[2].clone(),
            ]),
            answer(&[
                ok[0].replace("\"leverage\":2", "\"leverage\":2,\"expected_roi\":50"),
                ok[1].clone(),
                ok[2].clone(),
            ]),
            answer(&ok).replace("{\"recommendations\"", "{\"note\":\"x\",\"recommendations\""),
        ];
        for text in cases {
            assert!(
                matches!(parse(&text), Err(DeepSeekError::Malformed(_))),
                "accepted: {text}"
            );
        }
    }

    #[test]
    fn long_rationales_are_cut() {
        let long = "x".repeat(1000);
        let items = ["conservative", "moderate", "aggressive"].map(|l| item(l, "90").replace("why", &long));
        let p = parse(&answer(&items)).unwrap();
        assert_eq!(p[0].rationale.chars().count(), MAX_RATIONALE);
    }
}
