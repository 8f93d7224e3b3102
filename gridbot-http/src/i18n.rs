//! The two languages a person reads the API in (English and Korean): how a
//! request chooses one, and the Korean forms of the text the server itself
//! writes (error messages, default template and bot names).
//!
//! Rules:
//! - A request's language is `?lang=ko|en` when the route reads it (only
//!   `/stream`, which browsers open without headers), else the first of
//!   `ko` / `en` in `Accept-Language` by its `q` weight, else English.
//! - Every message a 4xx answer carries exists in both languages
//!   ([`Text`]); no Rust or serde syntax (`2..=200`, `expected u32`) is ever
//!   part of one.
//! - Names the server generates (the default templates' names and
//!   descriptions, grid bots' `"BTC long grid"`) are shown in Korean by
//!   recognising their English pattern; names a person typed are shown as
//!   typed.

use axum::http::HeaderMap;

/// A language of the API's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Korean.
    Ko,
}

impl Lang {
    /// `en` or `ko`.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// `en`/`ko` (case-insensitive, region ignored: `ko-KR`), if one of them.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("ko") {
            Some(Lang::Ko)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language `Accept-Language` prefers (English when it names neither).
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        let Some(value) = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Lang::En;
        };
        let mut best: Option<(u16, Lang)> = None;
        for item in value.split(',') {
            let mut parts = item.split(';');
            let Some(lang) = parts.next().and_then(Lang::parse) else {
                continue;
            };
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .map_or(1000, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16);
            if q > 0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }

    /// The language of a request: `?lang=` in `query` (when given), else
    /// `Accept-Language`.
    pub fn from_request(headers: &HeaderMap, query: Option<&str>) -> Lang {
        query
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("lang=")))
            .and_then(Lang::parse)
            .unwrap_or_else(|| Lang::from_headers(headers))
    }
}

/// A sentence in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// English.
    pub en: String,
    /// Korean.
    pub ko: String,
}

impl Text {
    /// A sentence from its English and Korean forms.
    pub fn new(en: impl Into<String>, ko: impl Into<String>) -> Self {
        Text {
            en: en.into(),
            ko: ko.into(),
        }
    }

    /// The sentence in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ko => &self.ko,
        }
    }
}

/// A USDT amount as the owner's messages write it: `$1,234.50`.
pub fn dollars(amount: rust_decimal::Decimal) -> String {
    let cents = amount.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero);
    let text = format!("{cents:.2}");
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |d| ("-", d));
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "00"));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}${grouped}.{frac}")
}

/// The Korean word for a request field, for messages naming it.
pub fn field_ko(field: &str) -> &str {
    match field {
        "amount" => "금액",
        "percent" => "비율",
        "template_id" => "전략",
        "symbol" => "심볼",
        "timeframe" => "시간 단위",
        "lower" | "price_range_lower" => "하한가",
        "upper" | "price_range_upper" => "상한가",
        "grids" | "grid_count" => "그리드 수",
        "leverage" => "레버리지",
        "investment" | "investment_amount" => "투자금",
        "investment_ratio" => "투자 비율",
        "trigger_price" => "트리거 가격",
        "stop_loss" => "손절가",
        "take_profit" => "익절가",
        "stop_loss_percent" => "손절 비율",
        "take_profit_percent" => "익절 비율",
        "spacing" | "grid_type" => "간격 방식",
        "mode" => "모드",
        "username" => "사용자 이름",
        "password" => "비밀번호",
        "refresh_token" => "리프레시 토큰",
        "api_key" => "API 키",
        "api_secret" => "API 시크릿",
        "passphrase" => "패스프레이즈",
        "daily_loss_limit" => "일일 손실 한도",
        "max_leverage" => "최대 레버리지",
        "max_open_positions" => "최대 포지션 수",
        "status" => "상태",
        "days" => "기간",
        "id" | "path" => "경로",
        "body" => "요청 본문",
        "query" => "쿼리",
        other => other,
    }
}

/// The Korean name of a grid mode or trend direction word.
fn mode_ko(word: &str) -> Option<&'static str> {
    match word.to_ascii_lowercase().as_str() {
        "long" => Some("롱"),
        "short" => Some("숏"),
        "neutral" => Some("중립"),
        _ => None,
    }
}

/// A name the server generated, in `lang`: `"BTC Trend Long"` (default
/// templates) → `"BTC 추세 롱"`, `"BTC long grid"` (grid bots) → `"BTC 롱
/// 그리드"`. Any other name is returned as it is.
pub fn name(name: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return name.to_owned();
    }
    let words: Vec<&str> = name.split(' ').collect();
    match words.as_slice() {
        [base, "Trend", dir] => match mode_ko(dir) {
            Some(d) => format!("{base} 추세 {d}"),
            None => name.to_owned(),
        },
        [base, mode, "grid"] => match mode_ko(mode) {
            Some(m) => format!("{base} {m} 그리드"),
            None => name.to_owned(),
        },
        _ => name.to_owned(),
    }
}

/// A default template's description in Korean, recognised from the English
/// sentence [`gridbot_core::templates::default_templates`] writes; any other
/// description is returned as it is.
pub fn template_description(description: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return description.to_owned();
    }
    let long = description.starts_with("Buys when the 9 EMA crosses above the 21 EMA");
    let short = description.starts_with("Sells when the 9 EMA crosses below the 21 EMA");
    if !(long || short) {
        return description.to_owned();
    }
    // "..., {lev}x leverage, stop-loss {sl}% and take-profit {tp}% from the entry."
    let number_before = |marker: &str| -> Option<String> {
        let end = description.find(marker)?;
        let start = description[..end].rfind([' ', ','])? + 1;
        Some(description[start..end].to_owned())
    };
    let number_after = |marker: &str, until: char| -> Option<String> {
        let start = description.find(marker)? + marker.len();
        let end = start + description[start..].find(until)?;
        Some(description[start..end].to_owned())
    };
    let (Some(lev), Some(sl), Some(tp)) = (
        number_before("x leverage"),
        number_after("stop-loss ", '%'),
        number_after("take-profit ", '%'),
    ) else {
        return description.to_owned();
    };
    let verb = if long {
        "9 EMA가 21 EMA를 위로 돌파하면 매수하고"
    } else {
        "9 EMA가 21 EMA를 아래로 돌파하면 매도하고"
    };
    format!(
        "15분봉 종가 기준으로 {verb} 반대 교차에서 청산합니다. 레버리지 {lev}배, 진입가 대비 손절 {sl}% · 익절 {tp}%."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(axum::http::header::ACCEPT_LANGUAGE, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn accept_language_picks_the_heaviest_of_korean_and_english() {
        assert_eq!(Lang::from_headers(&headers("ko-KR,ko;q=0.9,en;q=0.8")), Lang::Ko);
        assert_eq!(Lang::from_headers(&headers("en-US,en;q=0.9,ko;q=0.8")), Lang::En);
        assert_eq!(Lang::from_headers(&headers("fr;q=1, ko;q=0.5")), Lang::Ko);
        assert_eq!(Lang::from_headers(&headers("fr")), Lang::En);
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::En);
        assert_eq!(Lang::from_request(&headers("en"), Some("x=1&lang=ko")), Lang::Ko);
    }

    #[test]
    fn dollars_have_cents_and_thousands_separators() {
        use rust_decimal_macros::dec;
        assert_eq!(dollars(dec!(9500)), "$9,500.00");
        assert_eq!(dollars(dec!(1234567.899)), "$1,234,567.89");
        assert_eq!(dollars(dec!(10)), "$10.00");
        assert_eq!(dollars(dec!(-5.5)), "-$5.50");
    }

    #[test]
    fn generated_names_are_translated_and_typed_names_kept() {
        assert_eq!(name("BTC Trend Long", Lang::Ko), "BTC 추세 롱");
        assert_eq!(name("DOGE neutral grid", Lang::Ko), "DOGE 중립 그리드");
        assert_eq!(name("my bot", Lang::Ko), "my bot");
        assert_eq!(name("BTC Trend Long", Lang::En), "BTC Trend Long");
    }

    #[test]
    fn default_template_descriptions_have_a_korean_form() {
        for t in gridbot_core::templates::default_templates() {
            let ko = template_description(&t.description, Lang::Ko);
            assert_ne!(ko, t.description, "{}", t.description);
            assert!(ko.contains(&format!("레버리지 {}배", t.leverage)), "{ko}");
            assert!(!ko.contains("EMA crosses"), "{ko}");
        }
        assert_eq!(template_description("custom", Lang::Ko), "custom");
    }
}
