//! API credentials. The secret and passphrase never appear in `Debug`
//! output, logs or error messages.

use std::fmt;

/// Environment variable holding the API key.
pub const ENV_API_KEY: &str = "GRIDBOT_BITGET_API_KEY";
/// Environment variable holding the API secret.
pub const ENV_API_SECRET: &str = "GRIDBOT_BITGET_API_SECRET";
/// Environment variable holding the API passphrase.
pub const ENV_PASSPHRASE: &str = "GRIDBOT_BITGET_PASSPHRASE";

/// A Bitget API key, its secret and its passphrase.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    api_key: String,
    secret: String,
    passphrase: String,
}

impl Credentials {
    /// Credentials from their three parts.
    pub fn new(api_key: impl Into<String>, secret: impl Into<String>, passphrase: impl Into<String>) -> Self {
        Credentials {
            api_key: api_key.into(),
            secret: secret.into(),
            passphrase: passphrase.into(),
        }
    }

    /// Reads `GRIDBOT_BITGET_API_KEY`, `GRIDBOT_BITGET_API_SECRET` and
    /// `GRIDBOT_BITGET_PASSPHRASE`. `None` when any is missing or empty.
    pub fn from_env() -> Option<Self> {
        let get = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Some(Credentials::new(
            get(ENV_API_KEY)?,
            get(ENV_API_SECRET)?,
            get(ENV_PASSPHRASE)?,
        ))
    }

    /// The API key (sent in clear as `ACCESS-KEY`).
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The secret used to sign requests.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// The passphrase chosen when the key was created.
    pub fn passphrase(&self) -> &str {
        &self.passphrase
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key_hint: String = self.api_key.chars().take(4).collect();
        f.debug_struct("Credentials")
            .field("api_key", &format_args!("{key_hint}…"))
            .field("secret", &"<redacted>")
            .field("passphrase", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_secret_or_passphrase() {
        let c = Credentials::new("bg_abcdef123", "topsecretvalue", "mypassphrase");
        let s = format!("{c:?}");
        assert!(!s.contains("topsecretvalue"));
        assert!(!s.contains("mypassphrase"));
        assert!(!s.contains("bg_abcdef123"));
        assert!(s.contains("redacted"));
    }
}
