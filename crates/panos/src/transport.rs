//! The HTTP side: sending one API request (always POST, form-encoded, key in
//! the `X-PAN-KEY` header), limiting requests in flight, timeouts, retries and counters.
//!
//! Must never put the key in a URL, a log line or an error, never log request parameters (they
//! hold passwords and whole rules), and never retry a non-idempotent request.

use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::header::{HeaderValue, InvalidHeaderValue};
use tokio::sync::Semaphore;

use crate::envelope::Envelope;
use crate::error::{Error, TransportKind, classify_error_reply};
use crate::key::ApiKey;
use crate::retry::{Idempotency, RetryPolicy};
use crate::stats::{ClientStats, RequestKind, StatsCounters};

/// One API request: its kind (for counters), form parameters, and whether it may be repeated.
#[derive(Debug)]
pub(crate) struct ApiRequest {
    pub kind: RequestKind,
    pub params: Vec<(&'static str, String)>,
    pub idempotency: Idempotency,
}

/// The connection-level state shared by all clones of a [`Client`].
#[derive(Debug)]
pub(crate) struct Transport {
    http: reqwest::Client,
    endpoint: Url,
    in_flight: Semaphore,
    stats: StatsCounters,
    request_timeout: Duration,
    pub(crate) job_poll_interval: Duration,
}

impl Transport {
    pub(crate) fn new(
        http: reqwest::Client,
        endpoint: Url,
        max_in_flight: usize,
        request_timeout: Duration,
        job_poll_interval: Duration,
    ) -> Self {
        Self {
            http,
            endpoint,
            in_flight: Semaphore::new(max_in_flight),
            stats: StatsCounters::default(),
            request_timeout,
            job_poll_interval,
        }
    }

    pub(crate) fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    pub(crate) async fn keygen(
        &self,
        user: &str,
        password: &str,
        retry: &RetryPolicy,
    ) -> Result<ApiKey, Error> {
        let request = ApiRequest {
            kind: RequestKind::Keygen,
            params: vec![
                ("type", "keygen".to_owned()),
                ("user", user.to_owned()),
                ("password", password.to_owned()),
            ],
            idempotency: Idempotency::Idempotent,
        };
        let reply = self
            .execute(&request, None, retry)
            .await
            .and_then(Envelope::into_success)
            .map_err(|e| e.scrubbed(password))?;
        reply
            .result()
            .and_then(|r| r.child_text("key"))
            .filter(|k| !k.is_empty())
            .map(ApiKey::new)
            .ok_or_else(|| Error::malformed("keygen reply has no result/key"))
    }

    /// Sends `request`, retrying transient failures as `retry` allows. An error *reply* that is
    /// not transient is returned as `Ok(envelope)` for the caller to interpret.
    pub(crate) async fn execute(
        &self,
        request: &ApiRequest,
        key: Option<&ApiKey>,
        retry: &RetryPolicy,
    ) -> Result<Envelope, Error> {
        let deadline = Instant::now() + retry.max_elapsed;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let outcome = self.attempt(request, key, deadline, attempts > 1).await;
            let transient = match &outcome {
                Ok(reply) => !reply.success && reply.to_error().is_transient(),
                Err(error) => error.is_transient(),
            };
            let wait = retry.next_wait(attempts, deadline, request.idempotency, transient);
            match wait {
                Some(wait) if transient => {
                    tracing::debug!(kind = ?request.kind, attempts, ?wait, "transient PAN-OS failure, retrying");
                    tokio::time::sleep(wait).await;
                }
                _ => return outcome,
            }
        }
    }

    async fn attempt(
        &self,
        request: &ApiRequest,
        key: Option<&ApiKey>,
        deadline: Instant,
        is_retry: bool,
    ) -> Result<Envelope, Error> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let deadline_error = || Error::Transport {
            kind: TransportKind::Timeout,
            message: "deadline reached before the request could be sent".to_owned(),
            source: None,
        };
        if remaining.is_zero() {
            return Err(deadline_error());
        }
        let _permit = tokio::time::timeout(remaining, self.in_flight.acquire())
            .await
            .map_err(|_| deadline_error())?
            .map_err(|_| Error::setup("request limiter closed"))?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(deadline_error());
        }
        self.stats.record(request.kind, is_retry);
        let mut http = self
            .http
            .post(self.endpoint.clone())
            .form(&request.params)
            .timeout(self.request_timeout.min(remaining));
        if let Some(key) = key {
            http = http.header(
                "X-PAN-KEY",
                key_header(key).map_err(|_| {
                    Error::setup("the API key holds characters not allowed in an HTTP header")
                })?,
            );
        }
        let response = http.send().await.map_err(transport_error)?;
        let status = response.status();
        let body = response.text().await.map_err(transport_error)?;
        tracing::debug!(kind = ?request.kind, status = status.as_u16(), is_retry, "PAN-OS reply");
        interpret_http(status.as_u16(), &body)
    }

    pub(crate) fn stats(&self) -> ClientStats {
        self.stats.snapshot()
    }
}

fn key_header(key: &ApiKey) -> Result<HeaderValue, InvalidHeaderValue> {
    let mut value = HeaderValue::from_str(key.expose())?;
    value.set_sensitive(true);
    Ok(value)
}

/// Maps the HTTP status and body of one reply to an envelope or an error.
fn interpret_http(status: u16, body: &str) -> Result<Envelope, Error> {
    let envelope = Envelope::parse(body);
    match status {
        200..=299 => envelope,
        403 => Err(Error::Authentication {
            message: envelope
                .ok()
                .map(|e| e.lines().join("; "))
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "Forbidden".to_owned()),
        }),
        400 => match envelope {
            Ok(reply) => Err(classify_error_reply(
                reply.code.or(Some(400)),
                reply.lines(),
            )),
            Err(_) => Err(Error::HttpStatus {
                status,
                lines: Vec::new(),
            }),
        },
        _ => Err(Error::HttpStatus {
            status,
            lines: envelope.map(|e| e.lines()).unwrap_or_default(),
        }),
    }
}

fn transport_error(error: reqwest::Error) -> Error {
    let kind = if is_tls_failure(&error) {
        TransportKind::Tls
    } else if error.is_timeout() {
        TransportKind::Timeout
    } else if error.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Other
    };
    Error::Transport {
        kind,
        message: error_chain_text(&error),
        source: Some(Box::new(error)),
    }
}

fn is_tls_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if e.is::<rustls::Error>() {
            return true;
        }
        // io::Error::source() skips the error it wraps, and hyper nests io::Errors.
        current = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    false
}

/// `outer: cause: cause` — reads as a causal story in one line.
fn error_chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error.source();
    while let Some(e) = current {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        current = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_statuses_map_to_typed_errors() {
        let forbidden = "<response status = 'error' code = '403'><result><msg>Invalid Credential</msg></result></response>";
        match interpret_http(403, forbidden) {
            Err(Error::Authentication { message }) => assert_eq!(message, "Invalid Credential"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            interpret_http(403, ""),
            Err(Error::Authentication { .. })
        ));
        let bad = "<response status = 'error' code = '400'><result><msg>Illegal value</msg></result></response>";
        assert!(matches!(
            interpret_http(400, bad),
            Err(Error::Api {
                code: Some(400),
                ..
            })
        ));
        let server = interpret_http(503, "<html/>").expect_err("5xx");
        assert!(server.is_transient());
        assert!(matches!(
            interpret_http(200, "<html>captive portal</html>"),
            Err(Error::MalformedResponse { .. })
        ));
        assert!(interpret_http(200, r#"<response status="success"/>"#).is_ok());
    }
}
