//! The master key and the encryption of users' exchange credentials.
//!
//! - The 32-byte master key comes from `GRIDBOT_SECRET_KEY` (64 hex digits)
//!   or, for the embedded default, from `<data dir>/secret.key`, generated
//!   on first start with mode 0600.
//! - Credentials are sealed with ChaCha20-Poly1305 under a key derived from
//!   the master key (`SHA-256("gridbot-credentials-v1" ‖ master)`), a random
//!   96-bit nonce per write, and the owner's user id as associated data, so
//!   a ciphertext copied to another user's row does not decrypt.
//! - Plain credentials never leave this process: [`ExchangeCredentials`]'s
//!   `Debug` prints no secret, and no route returns them.

use std::path::Path;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use gridbot_core::model::{CredentialsRecord, TimestampMs, UserId};

/// The environment variable holding the master key (64 hex digits).
pub const SECRET_KEY_ENV: &str = "GRIDBOT_SECRET_KEY";

/// Why the master key could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The variable or file is not 64 hex digits.
    #[error("{0} must be 64 hex digits (32 bytes)")]
    Malformed(String),
    /// The key file could not be read or written.
    #[error("cannot read or write the key file {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        message: String,
    },
}

fn parse_key(text: &str, source: &str) -> Result<[u8; 32], KeyError> {
    let bytes = hex::decode(text.trim()).map_err(|_| KeyError::Malformed(source.to_owned()))?;
    bytes.try_into().map_err(|_| KeyError::Malformed(source.to_owned()))
}

/// The master key: `env_value` when given, else the key file in `data_dir`
/// (created with a fresh random key when missing).
pub fn load_or_create_master_key(env_value: Option<&str>, data_dir: &Path) -> Result<[u8; 32], KeyError> {
    if let Some(v) = env_value.filter(|v| !v.trim().is_empty()) {
        return parse_key(v, SECRET_KEY_ENV);
    }
    let path = data_dir.join("secret.key");
    let io = |e: std::io::Error| KeyError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_key(&text, &path.display().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir).map_err(io)?;
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            write_private(&path, hex::encode(key).as_bytes()).map_err(io)?;
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// A user's plain exchange API credentials (in memory only).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ExchangeCredentials {
    /// API key.
    pub api_key: String,
    /// API secret.
    pub api_secret: String,
    /// API passphrase.
    pub passphrase: String,
    /// Demo-trading keys.
    #[serde(default)]
    pub demo: bool,
}

impl ExchangeCredentials {
    /// Credentials from their parts (`demo`: Bitget demo-trading keys).
    pub fn new(
        api_key: impl Into<String>,
        api_secret: impl Into<String>,
        passphrase: impl Into<String>,
        demo: bool,
    ) -> Self {
        ExchangeCredentials {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            passphrase: passphrase.into(),
            demo,
        }
    }
}

impl std::fmt::Debug for ExchangeCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeCredentials")
            .field("api_key", &"<redacted>")
            .field("demo", &self.demo)
            .finish_non_exhaustive()
    }
}

/// Why credentials could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CipherError {
    /// Wrong key, tampered data or a record of another user.
    #[error("stored credentials cannot be decrypted (was GRIDBOT_SECRET_KEY changed?)")]
    Decrypt,
    /// Encryption failed.
    #[error("credentials could not be encrypted")]
    Encrypt,
}

/// Seals and opens credentials.
#[derive(Clone)]
pub struct CredentialCipher {
    aead: ChaCha20Poly1305,
}

impl std::fmt::Debug for CredentialCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialCipher(..)")
    }
}

fn aad(user: UserId) -> [u8; 8] {
    user.0.to_be_bytes()
}

impl CredentialCipher {
    /// A cipher with a key derived from the master key.
    pub fn new(master_key: &[u8; 32]) -> Self {
        let mut h = Sha256::new();
        h.update(b"gridbot-credentials-v1");
        h.update(master_key);
        let key = h.finalize();
        CredentialCipher {
            aead: ChaCha20Poly1305::new(Key::from_slice(&key)),
        }
    }

    /// Seals `creds` for `user` into a store record.
    pub fn seal(
        &self,
        user: UserId,
        exchange: &str,
        creds: &ExchangeCredentials,
        now: TimestampMs,
    ) -> Result<CredentialsRecord, CipherError> {
        let plain = serde_json::to_vec(creds).map_err(|_| CipherError::Encrypt)?;
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .aead
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: &aad(user),
                },
            )
            .map_err(|_| CipherError::Encrypt)?;
        Ok(CredentialsRecord::new(
            user,
            exchange,
            ciphertext,
            nonce.to_vec(),
            creds.demo,
            now,
        ))
    }

    /// Opens a store record.
    pub fn open(&self, record: &CredentialsRecord) -> Result<ExchangeCredentials, CipherError> {
        if record.nonce.len() != 12 {
            return Err(CipherError::Decrypt);
        }
        let plain = self
            .aead
            .decrypt(
                Nonce::from_slice(&record.nonce),
                Payload {
                    msg: &record.ciphertext,
                    aad: &aad(record.user_id),
                },
            )
            .map_err(|_| CipherError::Decrypt)?;
        serde_json::from_slice(&plain).map_err(|_| CipherError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> ExchangeCredentials {
        ExchangeCredentials {
            api_key: "k-123".into(),
            api_secret: "s-456".into(),
            passphrase: "p-789".into(),
            demo: true,
        }
    }

    #[test]
    fn sealed_credentials_open_only_for_their_user_and_key() {
        let c = CredentialCipher::new(&[1; 32]);
        let rec = c.seal(UserId(5), "bitget", &creds(), 10).unwrap();
        assert!(!String::from_utf8_lossy(&rec.ciphertext).contains("s-456"));
        assert_eq!(c.open(&rec).unwrap(), creds());
        let mut moved = rec.clone();
        moved.user_id = UserId(6);
        assert!(c.open(&moved).is_err());
        assert!(CredentialCipher::new(&[2; 32]).open(&rec).is_err());
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let s = format!("{:?}", creds());
        assert!(!s.contains("k-123") && !s.contains("s-456") && !s.contains("p-789"));
    }

    #[test]
    fn master_key_is_generated_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create_master_key(None, dir.path()).unwrap();
        let b = load_or_create_master_key(None, dir.path()).unwrap();
        assert_eq!(a, b);
        let env = hex::encode([9u8; 32]);
        assert_eq!(load_or_create_master_key(Some(&env), dir.path()).unwrap(), [9u8; 32]);
        assert!(load_or_create_master_key(Some("abc"), dir.path()).is_err());
    }
}
