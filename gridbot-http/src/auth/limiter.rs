//! Rate limits on login and registration, keyed by (user name, client IP)
//! and by client IP, with `governor`'s GCRA limiter.
//!
//! Login: a burst of 10 attempts, then one every 6 s, per (name, IP).
//! Registration: a burst of 5, then one every 12 s, per IP. Refusals answer
//! 429 with `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::error::ApiError;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// Login and registration limiters.
pub struct AuthLimiter {
    login: Keyed<(String, IpAddr)>,
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
            register: RateLimiter::keyed(quota(register_burst, Duration::from_secs(12))),
            clock: DefaultClock::default(),
        }
    }

    fn refused(&self, not_until: governor::NotUntil<governor::clock::QuantaInstant>, what: &str) -> ApiError {
        let wait = not_until.wait_time_from(self.clock.now());
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        ApiError::rate_limited(format!("too many {what} attempts; retry in {secs} s"), secs.max(1))
    }

    /// Counts a login attempt for (`username`, `ip`).
    pub fn check_login(&self, username: &str, ip: IpAddr) -> Result<(), ApiError> {
        if self.login.len() > 100_000 {
            self.login.retain_recent();
        }
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
}
