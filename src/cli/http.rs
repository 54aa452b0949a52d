//! A client for OpenAI-compatible chat-completions endpoints: timeouts,
//! retries with exponential backoff on 429, 5xx and connection errors, and
//! clear errors for an endpoint that is down or answers with garbage.

use rwd::vlm::prompt::{ChatRequest, Message};
use std::time::Duration;

pub struct ChatClient {
    /// e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000/v1`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub timeout: Duration,
    /// Extra attempts after the first.
    pub retries: u32,
    /// The first wait; doubled after each retry.
    pub backoff: Duration,
}

/// Why a request failed, after the retries.
#[derive(Debug)]
pub enum HttpError {
    /// Nothing listens there, or the name does not resolve.
    Unreachable { url: String, detail: String },
    TimedOut { url: String, after: Duration },
    /// A status that is not 2xx (after the retries, for 429/5xx).
    Status { url: String, status: u16, body: String },
    /// 2xx, but not a chat completion with a message.
    Garbage { url: String, detail: String, body: String },
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Unreachable { url, detail } => write!(f, "cannot reach the model endpoint {url}: {detail} (is the server running? set --base-url or RWD_BASE_URL)"),
            HttpError::TimedOut { url, after } => write!(f, "the model endpoint {url} did not answer within {} s (--timeout)", after.as_secs_f64()),
            HttpError::Status { url, status, body } => write!(f, "the model endpoint {url} answered HTTP {status}: {}", excerpt(body)),
            HttpError::Garbage { url, detail, body } => write!(f, "the model endpoint {url} answered something that is not a chat completion ({detail}): {}", excerpt(body)),
        }
    }
}

fn excerpt(body: &str) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &one_line[..i]),
        None => one_line,
    }
}

/// One attempt's failure: retry it or not.
enum Attempt {
    Retry(HttpError),
    Fatal(HttpError),
}

impl ChatClient {
    pub fn url(&self) -> String {
        format!("{}/chat/completions", self.base_url.trim_end_matches('/'))
    }

    /// Sends the conversation; returns the first choice's message text.
    /// `on_retry` hears about each failed attempt that will be retried.
    pub fn complete(&self, messages: &[Message], mut on_retry: impl FnMut(&HttpError, Duration)) -> Result<String, HttpError> {
        let body = serde_json::to_string(&ChatRequest { model: &self.model, messages, temperature: 0.0 })
            .map_err(|e| HttpError::Garbage { url: self.url(), detail: e.to_string(), body: String::new() })?;
        let mut wait = self.backoff;
        let mut attempt = 0;
        loop {
            match self.attempt(&body) {
                Ok(text) => return Ok(text),
                Err(Attempt::Fatal(e)) => return Err(e),
                Err(Attempt::Retry(e)) if attempt >= self.retries => return Err(e),
                Err(Attempt::Retry(e)) => {
                    on_retry(&e, wait);
                    std::thread::sleep(wait);
                    wait = wait.saturating_mul(2);
                    attempt += 1;
                }
            }
        }
    }

    fn attempt(&self, body: &str) -> Result<String, Attempt> {
        let url = self.url();
        let config = ureq::Agent::config_builder().timeout_global(Some(self.timeout)).http_status_as_error(false).build();
        let agent = ureq::Agent::new_with_config(config);
        let mut request = agent.post(&url).header("Content-Type", "application/json");
        if let Some(key) = &self.api_key {
            request = request.header("Authorization", &format!("Bearer {key}"));
        }
        let mut response = request.send(body).map_err(|e| self.classify(e))?;
        let status = response.status().as_u16();
        let text = response.body_mut().with_config().limit(64 * 1024 * 1024).read_to_string().map_err(|e| self.classify(e))?;
        if status == 429 || status >= 500 {
            return Err(Attempt::Retry(HttpError::Status { url, status, body: text }));
        }
        if !(200..300).contains(&status) {
            return Err(Attempt::Fatal(HttpError::Status { url, status, body: text }));
        }
        message_text(&text).map_err(|detail| Attempt::Fatal(HttpError::Garbage { url, detail, body: text }))
    }

    fn classify(&self, e: ureq::Error) -> Attempt {
        let url = self.url();
        match e {
            ureq::Error::Timeout(_) => Attempt::Retry(HttpError::TimedOut { url, after: self.timeout }),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut || io.kind() == std::io::ErrorKind::WouldBlock => {
                Attempt::Retry(HttpError::TimedOut { url, after: self.timeout })
            }
            ureq::Error::BadUri(detail) => Attempt::Fatal(HttpError::Unreachable { url, detail: format!("bad URL: {detail}") }),
            other => Attempt::Retry(HttpError::Unreachable { url, detail: other.to_string() }),
        }
    }
}

/// `choices[0].message.content` of a chat completion: a string, or a list
/// of parts whose `text`s are joined.
pub fn message_text(body: &str) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
    let content = v
        .get("choices")
        .and_then(|c| c.get(0))
        .and_then(|c| c.get("message"))
        .and_then(|m| m.get("content"))
        .ok_or("no `choices[0].message.content`")?;
    match content {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Array(parts) => Ok(parts.iter().filter_map(|p| p.get("text").and_then(|t| t.as_str())).collect::<Vec<_>>().join("")),
        serde_json::Value::Null => Err("the message has no content".into()),
        _ => Err("`content` is neither text nor a list of parts".into()),
    }
}
