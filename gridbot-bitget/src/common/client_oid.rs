//! The one rule for client order ids sent to Bitget.
//!
//! Unified (v3) accounts accept `clientOid` matching
//! `^[\.A-Z\:/a-z0-9_-]{1,32}$` on REST and `^[0-9A-Za-z_:#\-+\s]{1,32}$` on
//! the WebSocket; classic (v2) accepts at least 50 characters. gridbot sends
//! only ids both APIs and both transports accept: 1 to
//! [`MAX_CLIENT_OID_LEN`] characters of `A-Z a-z 0-9 _ : -`. The adapter does
//! not assume anything else about an id's shape (who made it, what it
//! encodes); ids are made by gridbot-core.

use gridbot_core::model::ClientOrderId;
use gridbot_core::ExchangeError;

/// Longest `clientOid` Bitget accepts on unified accounts.
pub const MAX_CLIENT_OID_LEN: usize = 32;

/// The characters allowed, as users read them.
pub const ALLOWED_CHARACTERS: &str = "A-Z a-z 0-9 _ : -";

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-')
}

/// Checks an id against the rule; the error names the id and the limit.
pub fn check_client_oid(id: &ClientOrderId) -> Result<(), ExchangeError> {
    let s = id.as_str();
    let n = s.chars().count();
    if n == 0 {
        return Err(ExchangeError::InvalidOrder(
            "client order id is empty; Bitget needs 1 to 32 characters".into(),
        ));
    }
    if n > MAX_CLIENT_OID_LEN {
        return Err(ExchangeError::InvalidOrder(format!(
            "client order id {s:?} has {n} characters; Bitget accepts at most {MAX_CLIENT_OID_LEN}"
        )));
    }
    if let Some(bad) = s.chars().find(|c| !allowed(*c)) {
        return Err(ExchangeError::InvalidOrder(format!(
            "client order id {s:?} contains {bad:?}; Bitget accepts only {ALLOWED_CHARACTERS}"
        )));
    }
    Ok(())
}

/// True when `id` satisfies the rule (an id that does not can never exist on Bitget).
pub fn is_valid_client_oid(id: &ClientOrderId) -> bool {
    check_client_oid(id).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_over_32_characters_or_outside_the_set_are_refused_naming_id_and_limit() {
        assert!(check_client_oid(&ClientOrderId::new("g12-40-7")).is_ok());
        assert!(check_client_oid(&ClientOrderId::new("a".repeat(32))).is_ok());
        assert!(check_client_oid(&ClientOrderId::new("in:st_a-1")).is_ok());
        let long = "a".repeat(33);
        let e = check_client_oid(&ClientOrderId::new(long.clone())).unwrap_err();
        assert!(e.to_string().contains(&long) && e.to_string().contains("32"), "{e}");
        let e = check_client_oid(&ClientOrderId::new("g1 2")).unwrap_err();
        assert!(e.to_string().contains("g1 2") && e.to_string().contains("A-Z"), "{e}");
        assert!(check_client_oid(&ClientOrderId::new("a/b")).is_err());
        assert!(check_client_oid(&ClientOrderId::new("a.b")).is_err());
        assert!(check_client_oid(&ClientOrderId::new("")).is_err());
        assert!(!is_valid_client_oid(&ClientOrderId::new("é")));
    }
}
