//! Body, query and path extractors whose refusals are the API's error
//! envelope, naming the field at fault in words a person can act on.
//!
//! Bodies and query strings are read with `serde_path_to_error`, so a bad
//! value is reported under its path (`amount`, `config.lower`); serde's own
//! wording (`invalid type: string "x", expected u32`, `missing field`) is
//! translated ([`data_error`]) and never reaches the client.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::i18n::Text;
use crate::input::DECIMAL_KEY;

/// A JSON body; malformed input answers 400 `validation` naming the field.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

fn is_json(parts: &axum::http::HeaderMap) -> bool {
    parts
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            let m = m.trim();
            m.eq_ignore_ascii_case("application/json") || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "validation",
                Text::new(
                    "send the body as JSON with Content-Type: application/json",
                    "요청 본문을 JSON으로 보내고 Content-Type: application/json을 지정하세요",
                ),
            )
            .with_field("body"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                Text::new("the request body is too large", "요청 본문이 너무 큽니다"),
            )
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Reads `bytes` as a `T`, refusing with the field at fault.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let not_json = || ApiError::validation("body", "is not valid JSON", "올바른 JSON이 아닙니다");
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(v) => v,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if matches!(
                inner.classify(),
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof
            ) {
                return Err(not_json());
            }
            let msg = inner.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg);
            return Err(data_error(&path, msg));
        }
    };
    de.end().map_err(|_| not_json())?;
    Ok(value)
}

/// Translates a serde data error at `path` (`.` for the root) into the
/// envelope: the field (a missing field names itself) and a sentence.
pub fn data_error(path: &str, msg: &str) -> ApiError {
    let at = |name: &str| -> String {
        match path {
            "." | "" => name.to_owned(),
            p => format!("{p}.{name}"),
        }
    };
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        return ApiError::validation(&at(name), "is required", "필수 항목입니다");
    }
    let field = match path {
        "." | "" => "body".to_owned(),
        p => p.to_owned(),
    };
    if msg.contains(DECIMAL_KEY) {
        return ApiError::validation(
            &field,
            "must be a decimal number such as 12.5 (digits and at most one point; no exponent, sign or separators)",
            "12.5처럼 숫자와 소수점 하나로 된 값이어야 합니다 (지수, 부호, 구분 기호 불가)",
        );
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let choices: Vec<&str> = rest
            .split("expected ")
            .nth(1)
            .unwrap_or("")
            .split(['`', ',', ' '])
            .filter(|w| !w.is_empty() && *w != "one" && *w != "of" && *w != "or")
            .collect();
        let list = choices.join(", ");
        return ApiError::validation(
            &field,
            format!("must be one of {list}"),
            format!("{list} 중 하나여야 합니다"),
        );
    }
    let expected = msg.rsplit("expected ").next().unwrap_or("");
    let (en, ko) = if ["u8", "u16", "u32", "u64", "i32", "i64", "usize", "integer"]
        .iter()
        .any(|t| expected.trim() == *t || expected.contains("integer"))
    {
        if msg.starts_with("invalid value") {
            (
                "must be a whole number in the allowed range",
                "허용 범위의 정수여야 합니다",
            )
        } else {
            ("must be a whole number", "정수여야 합니다")
        }
    } else if expected.contains("boolean") {
        ("must be true or false", "true 또는 false여야 합니다")
    } else if expected.contains("string") {
        ("must be text", "문자열이어야 합니다")
    } else if expected.contains("sequence") {
        ("must be a list", "목록이어야 합니다")
    } else if expected.contains("struct") || expected.contains("map") {
        ("must be an object", "객체여야 합니다")
    } else {
        ("has the wrong type or value", "형식이나 값이 올바르지 않습니다")
    };
    ApiError::validation(&field, en, ko)
}

/// Query parameters; malformed input answers 400 `validation` naming the
/// parameter.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize::<_, T>(de).map(ApiQuery).map_err(|e| {
            let path = e.path().to_string();
            data_error(&path, &e.into_inner().to_string())
        })
    }
}

/// A path id: a whole number ≥ 1; anything else answers 400 naming `id`.
#[derive(Debug, Clone, Copy)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync> FromRequestParts<S> for ApiPath<i64> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let refused = || ApiError::validation("id", "must be a whole number of 1 or more", "1 이상의 정수여야 합니다");
        let axum::extract::Path(raw) = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| refused())?;
        match raw.parse::<i64>() {
            Ok(id) if id >= 1 => Ok(ApiPath(id)),
            _ => Err(refused()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        grids: u32,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        #[serde(deserialize_with = "crate::input::decimal")]
        amount: rust_decimal::Decimal,
        config: Option<Inner>,
        on: Option<bool>,
    }

    fn refusal(json: &str) -> ApiError {
        parse_json::<Outer>(json.as_bytes()).unwrap_err()
    }

    #[test]
    fn refusals_name_the_field_in_plain_words() {
        let e = refusal(r#"{"amount": "1_000"}"#);
        assert_eq!(e.field.as_deref(), Some("amount"));
        assert!(
            e.text.en.starts_with("amount: must be a decimal number"),
            "{}",
            e.text.en
        );
        let e = refusal(r#"{"amount": 1, "config": {"grids": "x"}}"#);
        assert_eq!(e.field.as_deref(), Some("config.grids"));
        assert_eq!(e.text.en, "config.grids: must be a whole number");
        let e = refusal(r#"{"amount": 1, "config": {"grids": -1}}"#);
        assert_eq!(e.field.as_deref(), Some("config.grids"));
        let e = refusal(r#"{"amount": 1, "config": {}}"#);
        assert_eq!(e.field.as_deref(), Some("config.grids"));
        assert_eq!(e.text.en, "config.grids: is required");
        let e = refusal(r#"{}"#);
        assert_eq!(e.field.as_deref(), Some("amount"));
        let e = refusal(r#"{"amount": 1, "on": "yes"}"#);
        assert_eq!(e.text.en, "on: must be true or false");
        let e = refusal(r#"{"amount": 1,"#);
        assert_eq!(e.field.as_deref(), Some("body"));
        for e in [
            refusal(r#"{"amount": "1e3"}"#),
            refusal(r#"{"amount": 1, "config": {"grids": 1.5}}"#),
        ] {
            for text in [&e.text.en, &e.text.ko] {
                assert!(
                    !text.contains("expected") && !text.contains("..=") && !text.contains("line"),
                    "{text}"
                );
            }
        }
    }
}
