//! Connecting, sending, and exponential backoff between attempts.

use std::time::Duration;

use futures::SinkExt;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::error::WsError;
use super::messages::OpRequest;

/// A WebSocket connection.
pub type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket to `url`.
pub async fn connect(url: &str, timeout: Duration) -> Result<WsStream, WsError> {
    match tokio::time::timeout(timeout, tokio_tungstenite::connect_async(url)).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(WsError::Connect {
            url: url.to_owned(),
            reason: e.to_string(),
        }),
        Err(_) => Err(WsError::ConnectTimeout { url: url.to_owned() }),
    }
}

/// Sends a text frame.
pub async fn send_text(ws: &mut WsStream, text: String) -> Result<(), WsError> {
    ws.send(Message::Text(text.into()))
        .await
        .map_err(|e| WsError::Send(e.to_string()))
}

/// Sends `{"op": op, "args": args}`.
pub async fn send_op<A: Serialize>(ws: &mut WsStream, op: &str, args: &[A]) -> Result<(), WsError> {
    let text = serde_json::to_string(&OpRequest { op, args }).map_err(|e| WsError::Encode(e.to_string()))?;
    send_text(ws, text).await
}

/// Doubling delays between `initial` and `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    /// A backoff starting at `initial`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            initial,
            max,
            next: initial,
        }
    }

    /// The delay to wait now; the following one doubles.
    pub fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    /// Back to the initial delay (after a healthy connection).
    pub fn reset(&mut self) {
        self.next = self.initial;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let v: Vec<u64> = (0..4).map(|_| b.next_delay().as_millis() as u64).collect();
        assert_eq!(v, vec![100, 200, 350, 350]);
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_millis(100));
    }
}
