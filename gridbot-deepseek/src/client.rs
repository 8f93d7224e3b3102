//! A minimal client for DeepSeek's OpenAI-compatible chat completions in
//! JSON mode (`response_format: {"type": "json_object"}`).
//!
//! One request, no retries (the caller falls back instead), a hard timeout.
//! The key travels only in the `Authorization` header and never appears in
//! an error message.

use serde::{Deserialize, Serialize};

use crate::config::DeepSeekConfig;
use crate::error::DeepSeekError;

/// Longest part of an error body quoted in a [`DeepSeekError::Http`].
const MAX_ERROR_BODY: usize = 200;

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl ChatMessage {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage {
            role: "system".into(),
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage {
            role: "user".into(),
            content: content.into(),
        }
    }
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    response_format: ResponseFormat,
    temperature: f64,
    max_tokens: u32,
    stream: bool,
}

#[derive(Serialize)]
struct ResponseFormat {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct AnswerMessage {
    #[serde(default)]
    content: Option<String>,
}

/// Sends chat completions to DeepSeek.
#[derive(Debug, Clone)]
pub struct ChatClient {
    http: reqwest::Client,
    config: DeepSeekConfig,
}

impl ChatClient {
    /// A client with the config's timeout.
    pub fn new(config: DeepSeekConfig) -> Result<Self, DeepSeekError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(|e| DeepSeekError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(ChatClient { http, config })
    }

    /// The settings.
    pub fn config(&self) -> &DeepSeekConfig {
        &self.config
    }

    /// Sends `messages` and returns the first choice's content, which JSON
    /// mode makes a JSON document (checked by the caller).
    pub async fn complete(&self, messages: &[ChatMessage]) -> Result<String, DeepSeekError> {
        let body = ChatRequest {
            model: &self.config.model,
            messages,
            response_format: ResponseFormat { kind: "json_object" },
            temperature: 0.2,
            max_tokens: 2048,
            stream: false,
        };
        let response = self
            .http
            .post(self.config.endpoint())
            .bearer_auth(self.config.api_key.expose())
            .json(&body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let text = response.text().await.map_err(transport_error)?;
        if !status.is_success() {
            return Err(DeepSeekError::Http {
                status: status.as_u16(),
                message: snippet(&text),
            });
        }
        let parsed: ChatResponse = serde_json::from_str(&text)
            .map_err(|e| DeepSeekError::Malformed(format!("not a chat completion ({e}): {}", snippet(&text))))?;
        let choice = parsed
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| DeepSeekError::Malformed("the answer has no choices".into()))?;
        if choice.finish_reason.as_deref() == Some("length") {
            return Err(DeepSeekError::Malformed("the answer was cut off (max tokens)".into()));
        }
        choice
            .message
            .content
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| DeepSeekError::Malformed("the answer is empty".into()))
    }
}

/// Maps a transport failure (the request never got a complete answer).
fn transport_error(e: reqwest::Error) -> DeepSeekError {
    // Without the URL: it is public, but keeps messages short.
    let e = e.without_url();
    if e.is_timeout() {
        DeepSeekError::Timeout(e.to_string())
    } else {
        DeepSeekError::Connectivity(e.to_string())
    }
}

/// The first [`MAX_ERROR_BODY`] characters of `text`, on one line.
fn snippet(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one_line.chars().take(MAX_ERROR_BODY).collect();
    if one_line.chars().count() > MAX_ERROR_BODY {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_quoted_short_and_on_one_line() {
        assert_eq!(snippet("a\n  b"), "a b");
        let long = "x".repeat(500);
        assert_eq!(snippet(&long).chars().count(), MAX_ERROR_BODY + 1);
    }
}
