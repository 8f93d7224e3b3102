//! Where Bitget lives: REST base URL and WebSocket endpoints, live or demo.
//!
//! Demo trading uses the same REST host with the header `paptrading: 1`,
//! product type `SUSDT-FUTURES` and margin coin `SUSDT`, and the WebSocket
//! host `wspap.bitget.com`. A custom base URL (a fake server in tests) derives
//! its WebSocket URLs from the base: `http://h:p` → `ws://h:p/v2/ws/public`.

use super::enums::ProductType;

/// Live REST host.
pub const LIVE_REST: &str = "https://api.bitget.com";
/// Live public WebSocket.
pub const LIVE_WS_PUBLIC: &str = "wss://ws.bitget.com/v2/ws/public";
/// Live private WebSocket.
pub const LIVE_WS_PRIVATE: &str = "wss://ws.bitget.com/v2/ws/private";
/// Demo public WebSocket.
pub const DEMO_WS_PUBLIC: &str = "wss://wspap.bitget.com/v2/ws/public";
/// Demo private WebSocket.
pub const DEMO_WS_PRIVATE: &str = "wss://wspap.bitget.com/v2/ws/private";

/// Live trading or demo (paper) trading on Bitget's own servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Environment {
    /// Real money: `USDT-FUTURES`.
    #[default]
    Live,
    /// Demo trading: `SUSDT-FUTURES`, header `paptrading: 1`.
    Demo,
}

impl Environment {
    /// The product type traded in this environment.
    pub fn product_type(self) -> ProductType {
        match self {
            Environment::Live => ProductType::UsdtFutures,
            Environment::Demo => ProductType::SusdtFutures,
        }
    }
}

/// The three endpoints the adapter talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// REST base, without a trailing slash.
    pub rest: String,
    /// Public WebSocket URL.
    pub ws_public: String,
    /// Private WebSocket URL.
    pub ws_private: String,
}

impl Endpoints {
    /// Bitget's own endpoints for `env`.
    pub fn for_environment(env: Environment) -> Self {
        match env {
            Environment::Live => Endpoints {
                rest: LIVE_REST.to_owned(),
                ws_public: LIVE_WS_PUBLIC.to_owned(),
                ws_private: LIVE_WS_PRIVATE.to_owned(),
            },
            Environment::Demo => Endpoints {
                rest: LIVE_REST.to_owned(),
                ws_public: DEMO_WS_PUBLIC.to_owned(),
                ws_private: DEMO_WS_PRIVATE.to_owned(),
            },
        }
    }

    /// Endpoints under a custom base URL (`http(s)://host:port`): REST at the
    /// base, WebSockets at `/v2/ws/public` and `/v2/ws/private` with the
    /// scheme switched to `ws(s)`.
    pub fn from_base_url(base: &str) -> Self {
        let rest = base.trim_end_matches('/').to_owned();
        let ws_base = if let Some(rest) = rest.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = rest.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            rest.clone()
        };
        Endpoints {
            ws_public: format!("{ws_base}/v2/ws/public"),
            ws_private: format!("{ws_base}/v2/ws/private"),
            rest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_derives_websocket_urls() {
        let e = Endpoints::from_base_url("http://127.0.0.1:9000/");
        assert_eq!(e.rest, "http://127.0.0.1:9000");
        assert_eq!(e.ws_public, "ws://127.0.0.1:9000/v2/ws/public");
        assert_eq!(e.ws_private, "ws://127.0.0.1:9000/v2/ws/private");
        let d = Endpoints::for_environment(Environment::Demo);
        assert!(d.ws_public.contains("wspap"));
        assert_eq!(Environment::Demo.product_type().margin_coin(), "SUSDT");
    }
}
