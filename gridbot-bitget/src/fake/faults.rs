//! Faults the fake injects on demand: HTTP 5xx, 429, timeouts (before or
//! after the request took effect), malformed JSON, login failures, dropped
//! sockets, duplicated and out-of-order events.
//!
//! Scripted faults ([`Faults::inject`]) hit the next matching request;
//! random faults ([`Faults::set_random`]) hit each request with a given
//! probability, drawn from a seeded generator so runs repeat.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

/// One HTTP fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 503 with an HTML body; the request did nothing.
    ServerError,
    /// HTTP 429; the request did nothing.
    RateLimited,
    /// No answer within the client's timeout; the request did nothing.
    TimeoutBefore,
    /// The request took effect, then no answer within the client's timeout.
    TimeoutAfter,
    /// HTTP 200 with a truncated JSON body; the request did nothing.
    MalformedJson,
}

#[derive(Debug)]
struct Inner {
    queue: VecDeque<(String, Fault)>,
    rate: f64,
    kinds: Vec<Fault>,
    rng: u64,
    timeout_delay: Duration,
    login_failures: u32,
    duplicate_events: bool,
    out_of_order_events: bool,
    drop_private_every: Option<Duration>,
    injected: u64,
}

/// The fault switchboard of a fake server.
#[derive(Debug)]
pub struct Faults {
    inner: Mutex<Inner>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            inner: Mutex::new(Inner {
                queue: VecDeque::new(),
                rate: 0.0,
                kinds: Vec::new(),
                rng: 0x9E37_79B9_7F4A_7C15,
                timeout_delay: Duration::from_millis(1500),
                login_failures: 0,
                duplicate_events: false,
                out_of_order_events: false,
                drop_private_every: None,
                injected: 0,
            }),
        }
    }
}

impl Faults {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        match self.inner.lock() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// The next request whose path ends with `path` (any request for `""`) gets `fault`.
    pub fn inject(&self, path: &str, fault: Fault) {
        self.with(|i| i.queue.push_back((path.to_owned(), fault)));
    }

    /// Every request fails with probability `rate`, with a kind drawn from `kinds`.
    pub fn set_random(&self, rate: f64, kinds: &[Fault], seed: u64) {
        self.with(|i| {
            i.rate = rate;
            i.kinds = kinds.to_vec();
            i.rng = seed | 1;
        });
    }

    /// How long a timeout fault holds the answer back.
    pub fn set_timeout_delay(&self, d: Duration) {
        self.with(|i| i.timeout_delay = d);
    }

    /// The hold-back of timeout faults.
    pub fn timeout_delay(&self) -> Duration {
        self.with(|i| i.timeout_delay)
    }

    /// The next `n` WebSocket logins are refused (code 30015).
    pub fn fail_logins(&self, n: u32) {
        self.with(|i| i.login_failures = n);
    }

    /// Every private event is sent twice.
    pub fn duplicate_events(&self, on: bool) {
        self.with(|i| i.duplicate_events = on);
    }

    /// Private events are sent in swapped pairs.
    pub fn out_of_order_events(&self, on: bool) {
        self.with(|i| i.out_of_order_events = on);
    }

    /// Private sockets are closed by the server this often.
    pub fn drop_private_every(&self, every: Option<Duration>) {
        self.with(|i| i.drop_private_every = every);
    }

    /// HTTP faults injected so far.
    pub fn injected(&self) -> u64 {
        self.with(|i| i.injected)
    }

    pub(crate) fn take_login_failure(&self) -> bool {
        self.with(|i| {
            if i.login_failures > 0 {
                i.login_failures -= 1;
                true
            } else {
                false
            }
        })
    }

    pub(crate) fn event_mode(&self) -> (bool, bool, Option<Duration>) {
        self.with(|i| (i.duplicate_events, i.out_of_order_events, i.drop_private_every))
    }

    /// The fault for a request to `path`, if any.
    pub(crate) fn next_for(&self, path: &str) -> Option<Fault> {
        self.with(|i| {
            let hit = if let Some(pos) = i
                .queue
                .iter()
                .position(|(p, _)| p.is_empty() || path.ends_with(p.as_str()))
            {
                i.queue.remove(pos).map(|(_, f)| f)
            } else if i.rate > 0.0 && !i.kinds.is_empty() {
                // xorshift64*
                i.rng ^= i.rng >> 12;
                i.rng ^= i.rng << 25;
                i.rng ^= i.rng >> 27;
                let r = i.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
                let u = (r >> 11) as f64 / (1u64 << 53) as f64;
                if u < i.rate {
                    let k = (r % i.kinds.len() as u64) as usize;
                    i.kinds.get(k).copied()
                } else {
                    None
                }
            } else {
                None
            };
            if hit.is_some() {
                i.injected += 1;
            }
            hit
        })
    }
}
