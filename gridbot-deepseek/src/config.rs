//! Settings of the DeepSeek client, and the API key that never shows.

use std::fmt;
use std::time::Duration;

use crate::error::DeepSeekError;

/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "GRIDBOT_DEEPSEEK_API_KEY";
/// Environment variable overriding the base URL.
pub const ENV_BASE_URL: &str = "GRIDBOT_DEEPSEEK_BASE_URL";
/// Environment variable overriding the model.
pub const ENV_MODEL: &str = "GRIDBOT_DEEPSEEK_MODEL";
/// Environment variable overriding the timeout, whole seconds.
pub const ENV_TIMEOUT_SECS: &str = "GRIDBOT_DEEPSEEK_TIMEOUT_SECS";

/// DeepSeek's API root.
pub const DEFAULT_BASE_URL: &str = "https://api.deepseek.com";
/// DeepSeek's general chat model.
pub const DEFAULT_MODEL: &str = "deepseek-chat";
/// How long one chat completion may take, end to end.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// An API key. Its `Debug` prints `ApiKey(<redacted>)` and it has no
/// `Display`, so it cannot end up in a log line by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key; refuses an empty or blank one.
    pub fn new(key: impl Into<String>) -> Result<Self, DeepSeekError> {
        let key = key.into().trim().to_owned();
        if key.is_empty() {
            return Err(DeepSeekError::Config(format!("{ENV_API_KEY} is empty")));
        }
        Ok(ApiKey(key))
    }

    /// The secret, for the Authorization header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Where and how to ask DeepSeek.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeepSeekConfig {
    /// API root without the `/chat/completions` path, e.g. `https://api.deepseek.com`.
    pub base_url: String,
    /// Chat model name.
    pub model: String,
    /// The API key.
    pub api_key: ApiKey,
    /// Limit for one completion (connect, send, answer).
    pub timeout: Duration,
}

impl DeepSeekConfig {
    /// Defaults (DeepSeek's URL, `deepseek-chat`, 30 s) with the given key.
    pub fn new(api_key: ApiKey) -> Self {
        DeepSeekConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            model: DEFAULT_MODEL.to_owned(),
            api_key,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// With another base URL (a proxy, or a local fake in tests).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// With another model.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.model = model.into();
        self
    }

    /// With another timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// From the process environment: the key from [`ENV_API_KEY`]
    /// (required); base URL, model and timeout from [`ENV_BASE_URL`],
    /// [`ENV_MODEL`] and [`ENV_TIMEOUT_SECS`] when set.
    pub fn from_env() -> Result<Self, DeepSeekError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`DeepSeekConfig::from_env`], reading variables through `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, DeepSeekError> {
        let key = lookup(ENV_API_KEY)
            .ok_or_else(|| DeepSeekError::Config(format!("set {ENV_API_KEY} to use the DeepSeek advisor")))?;
        let mut cfg = DeepSeekConfig::new(ApiKey::new(key)?);
        if let Some(url) = lookup(ENV_BASE_URL).filter(|u| !u.trim().is_empty()) {
            cfg.base_url = url.trim().to_owned();
        }
        if let Some(model) = lookup(ENV_MODEL).filter(|m| !m.trim().is_empty()) {
            cfg.model = model.trim().to_owned();
        }
        if let Some(secs) = lookup(ENV_TIMEOUT_SECS) {
            let secs: u64 = secs
                .trim()
                .parse()
                .ok()
                .filter(|s| (1..=600).contains(s))
                .ok_or_else(|| {
                    DeepSeekError::Config(format!("{ENV_TIMEOUT_SECS} must be 1 to 600 seconds, got {secs:?}"))
                })?;
            cfg.timeout = Duration::from_secs(secs);
        }
        Ok(cfg)
    }

    /// The chat completions endpoint.
    pub fn endpoint(&self) -> String {
        format!("{}/chat/completions", self.base_url.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let cfg = DeepSeekConfig::new(ApiKey::new("sk-very-secret").unwrap());
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("sk-very-secret"), "{dbg}");
        assert!(dbg.contains("<redacted>"));
    }

    #[test]
    fn settings_come_from_the_environment_and_the_key_is_required() {
        let env = |k: &str| match k {
            ENV_API_KEY => Some("k".to_owned()),
            ENV_BASE_URL => Some("http://127.0.0.1:9/".to_owned()),
            ENV_TIMEOUT_SECS => Some("5".to_owned()),
            _ => None,
        };
        let cfg = DeepSeekConfig::from_lookup(env).unwrap();
        assert_eq!(cfg.endpoint(), "http://127.0.0.1:9/chat/completions");
        assert_eq!(cfg.model, DEFAULT_MODEL);
        assert_eq!(cfg.timeout, Duration::from_secs(5));
        let err = DeepSeekConfig::from_lookup(|_| None).unwrap_err();
        assert!(err.to_string().contains(ENV_API_KEY));
        assert!(DeepSeekConfig::from_lookup(|k| (k == ENV_API_KEY).then(|| "  ".to_owned())).is_err());
        let bad_timeout = |k: &str| match k {
            ENV_API_KEY => Some("k".to_owned()),
            ENV_TIMEOUT_SECS => Some("0".to_owned()),
            _ => None,
        };
        assert!(DeepSeekConfig::from_lookup(bad_timeout).is_err());
    }
}
