//! Rate limits on login and registration, keyed by (user name, client IP)
//! and by client IP, with `governor`'s GCRA limiter.
//!
//! Login: a burst of 10 attempts, then one every 6 s, per (name, IP); and,
//! against password spraying (a few passwords tried across many names), a
//! burst of 30 attempts, then one every 2 s, per IP whatever the names.
//! Registration: a burst of 5, then one every 12 s, per IP. Refusals answer
//! 429 with `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::error::ApiError;
use crate::i18n::Text;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// Login and registration limiters.
pub struct AuthLimiter {
    login: Keyed<(String, IpAddr)>,
    login_ip: Keyed<IpAddr>,
    register: Keyed<IpAddr>,
    clock: DefaultClock,
}

impl std::fmt::Debug for AuthLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthLimiter(..)")
    }
}

fn quota(burst: u32, every: Duration) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(every)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

/// Login attempts per IP, across names, before the limit (spraying).
pub const LOGIN_IP_BURST: u32 = 30;

impl Default for AuthLimiter {
    fn default() -> Self {
        AuthLimiter::new(10, 5)
    }
}

impl AuthLimiter {
    /// Limiters allowing bursts of `login_burst` logins and `register_burst`
    /// registrations.
    pub fn new(login_burst: u32, register_burst: u32) -> Self {
        AuthLimiter {
            login: RateLimiter::keyed(quota(login_burst, Duration::from_secs(6))),
            login_ip: RateLimiter::keyed(quota(LOGIN_IP_BURST, Duration::from_secs(2))),
            register: RateLimiter::keyed(quota(register_burst, Duration::from_secs(12))),
            clock: DefaultClock::default(),
        }
    }

    /// With another per-IP login burst (across user names).
    pub fn with_login_ip_burst(mut self, burst: u32) -> Self {
        self.login_ip = RateLimiter::keyed(quota(burst, Duration::from_secs(2)));
        self
    }

    fn refused(&self, not_until: governor::NotUntil<governor::clock::QuantaInstant>, what: &str) -> ApiError {
        let wait = not_until.wait_time_from(self.clock.now());
        let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let what_ko = if what == "login" { "로그인" } else { "가입" };
        ApiError::rate_limited(
            Text::new(
                format!("too many {what} attempts; retry in {secs} s"),
                format!("{what_ko} 시도가 너무 많습니다. {secs}초 후 다시 시도하세요"),
            ),
            secs,
        )
    }

    /// Counts a login attempt for (`username`, `ip`).
    pub fn check_login(&self, username: &str, ip: IpAddr) -> Result<(), ApiError> {
        if self.login.len() > 100_000 {
            self.login.retain_recent();
        }
        if self.login_ip.len() > 100_000 {
            self.login_ip.retain_recent();
        }
        self.login_ip.check_key(&ip).map_err(|n| self.refused(n, "login"))?;
        self.login
            .check_key(&(username.to_ascii_lowercase(), ip))
            .map_err(|n| self.refused(n, "login"))
    }

    /// Counts a registration from `ip`.
    pub fn check_register(&self, ip: IpAddr) -> Result<(), ApiError> {
        if self.register.len() > 100_000 {
            self.register.retain_recent();
        }
        self.register
            .check_key(&ip)
            .map_err(|n| self.refused(n, "registration"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn login_attempts_past_the_burst_are_refused_per_name_and_ip() {
        let l = AuthLimiter::new(3, 1);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for _ in 0..3 {
            l.check_login("ann", ip).unwrap();
        }
        let e = l.check_login("ann", ip).unwrap_err();
        assert_eq!(e.status.as_u16(), 429);
        l.check_login("bob", ip).unwrap();
        l.check_login("ann", IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))).unwrap();
    }

    #[test]
    fn one_address_spraying_many_names_is_refused_past_its_own_burst() {
        let l = AuthLimiter::new(3, 1).with_login_ip_burst(5);
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        for i in 0..5 {
            l.check_login(&format!("user{i}"), ip).unwrap();
        }
        let e = l.check_login("user99", ip).unwrap_err();
        assert_eq!(e.status.as_u16(), 429);
        l.check_login("user99", IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)))
            .unwrap();
    }
}
