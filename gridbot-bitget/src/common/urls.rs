//! Where Bitget lives: the REST base URL and the WebSocket endpoints of both
//! APIs (classic v2 and unified v3), live or demo.
//!
//! Demo trading is Bitget's scheme A: a demo API key, the same REST host
//! with the header `paptrading: 1`, the normal product type (`USDT-FUTURES`,
//! plain symbols) and the WebSocket host `wspap.bitget.com`. A custom base
//! URL (a fake server in tests) derives its WebSocket URLs from the base:
//! `http://h:p` → `ws://h:p/v2/ws/public`, `ws://h:p/v3/ws/private`, ...

/// Live REST host.
pub const LIVE_REST: &str = "https://api.bitget.com";
/// Live WebSocket host.
pub const LIVE_WS_HOST: &str = "wss://ws.bitget.com";
/// Demo WebSocket host.
pub const DEMO_WS_HOST: &str = "wss://wspap.bitget.com";

/// Live trading or demo trading on Bitget's own servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Environment {
    /// Real money.
    #[default]
    Live,
    /// Demo trading: a demo API key, header `paptrading: 1` on every REST
    /// request, the demo WebSocket host; same product type and symbols.
    Demo,
}

/// The WebSocket endpoints of one API version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsUrls {
    /// Public (market data) WebSocket.
    pub public: String,
    /// Private (account) WebSocket.
    pub private: String,
}

impl WsUrls {
    fn under(host: &str, version: &str) -> Self {
        WsUrls {
            public: format!("{host}/{version}/ws/public"),
            private: format!("{host}/{version}/ws/private"),
        }
    }
}

/// The endpoints the adapter talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// REST base, without a trailing slash (both APIs share it).
    pub rest: String,
    /// Classic (v2) WebSockets.
    pub ws_v2: WsUrls,
    /// Unified (v3) WebSockets.
    pub ws_v3: WsUrls,
}

impl Endpoints {
    /// Bitget's own endpoints for `env`.
    pub fn for_environment(env: Environment) -> Self {
        let host = match env {
            Environment::Live => LIVE_WS_HOST,
            Environment::Demo => DEMO_WS_HOST,
        };
        Endpoints {
            rest: LIVE_REST.to_owned(),
            ws_v2: WsUrls::under(host, "v2"),
            ws_v3: WsUrls::under(host, "v3"),
        }
    }

    /// Endpoints under a custom base URL (`http(s)://host:port`): REST at the
    /// base, WebSockets at `/v2/ws/...` and `/v3/ws/...` with the scheme
    /// switched to `ws(s)`.
    pub fn from_base_url(base: &str) -> Self {
        let rest = base.trim_end_matches('/').to_owned();
        let ws_base = if let Some(r) = rest.strip_prefix("https://") {
            format!("wss://{r}")
        } else if let Some(r) = rest.strip_prefix("http://") {
            format!("ws://{r}")
        } else {
            rest.clone()
        };
        Endpoints {
            ws_v2: WsUrls::under(&ws_base, "v2"),
            ws_v3: WsUrls::under(&ws_base, "v3"),
            rest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_derives_websocket_urls_of_both_apis() {
        let e = Endpoints::from_base_url("http://127.0.0.1:9000/");
        assert_eq!(e.rest, "http://127.0.0.1:9000");
        assert_eq!(e.ws_v2.public, "ws://127.0.0.1:9000/v2/ws/public");
        assert_eq!(e.ws_v2.private, "ws://127.0.0.1:9000/v2/ws/private");
        assert_eq!(e.ws_v3.private, "ws://127.0.0.1:9000/v3/ws/private");
    }

    #[test]
    fn demo_uses_the_live_rest_host_and_the_demo_websocket_host() {
        let d = Endpoints::for_environment(Environment::Demo);
        assert_eq!(d.rest, LIVE_REST);
        assert_eq!(d.ws_v2.public, "wss://wspap.bitget.com/v2/ws/public");
        assert_eq!(d.ws_v3.private, "wss://wspap.bitget.com/v3/ws/private");
        let l = Endpoints::for_environment(Environment::Live);
        assert_eq!(l.ws_v3.public, "wss://ws.bitget.com/v3/ws/public");
    }
}
