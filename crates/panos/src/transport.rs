//! The HTTP side: building the client, sending one API request (always POST, form-encoded, key in
//! the `X-PAN-KEY` header), limiting requests in flight, timeouts, retries and counters.
//!
//! Must never put the key in a URL, a log line or an error, never log request parameters (they
//! hold passwords and whole rules), and never retry a non-idempotent request.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Url;
use reqwest::header::{HeaderValue, InvalidHeaderValue};
use tokio::sync::Semaphore;

use crate::envelope::Envelope;
use crate::error::{Error, TransportKind, classify_error_reply};
use crate::key::ApiKey;
use crate::retry::{Idempotency, RetryPolicy};
use crate::stats::{ClientStats, RequestKind, StatsCounters};
use crate::tls::TlsOptions;

/// Default number of requests in flight (Palo Alto's guidance for the management plane).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 5;

/// Connect and per-request timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP + TLS connect.
    pub connect: Duration,
    /// One request, from connect to the end of the body.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(60),
        }
    }
}

/// Configures a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    url: String,
    key: Option<ApiKey>,
    tls: TlsOptions,
    timeouts: Timeouts,
    max_in_flight: usize,
    retry: RetryPolicy,
    job_poll_interval: Duration,
}

impl ClientBuilder {
    /// The API key.
    #[must_use]
    pub fn api_key(mut self, key: ApiKey) -> Self {
        self.key = Some(key);
        self
    }

    /// Certificate trust (default: verified against public roots).
    #[must_use]
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = tls;
        self
    }

    /// Connect and request timeouts.
    #[must_use]
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Requests in flight at once (at least 1; default 5).
    #[must_use]
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Retry policy for reads and idempotent writes.
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Interval between job polls (default 2 s, as pango advises).
    #[must_use]
    pub fn job_poll_interval(mut self, interval: Duration) -> Self {
        self.job_poll_interval = interval;
        self
    }

    /// Builds the client with the key given to [`ClientBuilder::api_key`].
    pub fn build(self) -> Result<Client, Error> {
        let key = self.key.clone().ok_or_else(|| {
            Error::setup("no API key given; use api_key() or build_with_credentials()")
        })?;
        let transport = self.transport()?;
        Ok(Client::new(transport, key, self.retry))
    }

    /// Generates a key from an administrator's credentials (`type=keygen`), then builds the
    /// client with it. Note: PAN-OS may end that user's other API sessions.
    pub async fn build_with_credentials(self, user: &str, password: &str) -> Result<Client, Error> {
        let transport = self.transport()?;
        let key = transport.keygen(user, password, &self.retry).await?;
        Ok(Client::new(transport, key, self.retry))
    }

    fn transport(&self) -> Result<Transport, Error> {
        let endpoint = api_endpoint(&self.url)?;
        let mut http = reqwest::Client::builder()
            .connect_timeout(self.timeouts.connect)
            .timeout(self.timeouts.request)
            .no_proxy()
            .user_agent(concat!("palosync-panos/", env!("CARGO_PKG_VERSION")));
        if endpoint.scheme() == "https" {
            http = http.use_preconfigured_tls(self.tls.client_config()?);
        }
        let http = http
            .build()
            .map_err(|e| Error::setup(format!("HTTP client: {e}")))?;
        Ok(Transport {
            http,
            endpoint,
            in_flight: Semaphore::new(self.max_in_flight),
            stats: StatsCounters::default(),
            request_timeout: self.timeouts.request,
            job_poll_interval: self.job_poll_interval,
        })
    }
}

/// `https://host[:port]` (scheme optional, `http://` only when written) → `…/api/`.
fn api_endpoint(url: &str) -> Result<Url, Error> {
    let url = url.trim();
    let with_scheme = if url.contains("://") {
        url.to_owned()
    } else {
        format!("https://{url}")
    };
    let mut parsed =
        Url::parse(&with_scheme).map_err(|e| Error::setup(format!("invalid device URL: {e}")))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(Error::setup(
            "device URL must be https:// (or http:// for a simulator)",
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::setup("device URL must not carry credentials"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::setup(
            "device URL must not carry a query or fragment",
        ));
    }
    let path = parsed.path().trim_end_matches('/').to_owned();
    let path = if path.ends_with("/api") {
        format!("{path}/")
    } else {
        format!("{path}/api/")
    };
    parsed.set_path(&path);
    Ok(parsed)
}

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
    async fn keygen(
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

/// A PAN-OS XML API client. Cheap to clone; clones share connections, the in-flight limit and
/// the counters.
#[derive(Clone)]
pub struct Client {
    pub(crate) transport: Arc<Transport>,
    key: ApiKey,
    pub(crate) retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.transport.endpoint.as_str())
            .field("key", &self.key)
            .field("retry", &self.retry)
            .finish()
    }
}

impl Client {
    /// Starts configuring a client for `url` (`https://host[:port]`; `/api/` is appended).
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            url: url.into(),
            key: None,
            tls: TlsOptions::default(),
            timeouts: Timeouts::default(),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            retry: RetryPolicy::default(),
            job_poll_interval: Duration::from_secs(2),
        }
    }

    fn new(transport: Transport, key: ApiKey, retry: RetryPolicy) -> Self {
        Self {
            transport: Arc::new(transport),
            key,
            retry,
        }
    }

    /// The same client with another retry policy (e.g. a tighter deadline for one operation).
    #[must_use]
    pub fn with_retry(&self, retry: RetryPolicy) -> Self {
        Self {
            retry,
            ..self.clone()
        }
    }

    /// The key in use (redacted in `Debug`/`Display`).
    pub fn api_key(&self) -> &ApiKey {
        &self.key
    }

    /// Generates a key for other credentials through this client's connection settings.
    pub async fn keygen(&self, user: &str, password: &str) -> Result<ApiKey, Error> {
        self.transport.keygen(user, password, &self.retry).await
    }

    /// Round trips so far, by kind.
    pub fn stats(&self) -> ClientStats {
        self.transport.stats()
    }

    /// Sends a request and returns the reply envelope (success or a non-transient error reply).
    pub(crate) async fn send(&self, request: ApiRequest) -> Result<Envelope, Error> {
        self.transport
            .execute(&request, Some(&self.key), &self.retry)
            .await
            .map_err(|e| e.scrubbed(self.key.expose()))
    }

    /// Sends a request and requires a success reply.
    pub(crate) async fn send_ok(&self, request: ApiRequest) -> Result<Envelope, Error> {
        let reply = self.send(request).await?;
        reply
            .into_success()
            .map_err(|e| e.scrubbed(self.key.expose()))
    }

    /// Scrubs the key out of an error built from a reply.
    pub(crate) fn scrub(&self, error: Error) -> Error {
        error.scrubbed(self.key.expose())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_gets_api_path_and_https_by_default() {
        let ep = |u| api_endpoint(u).map(|u| u.to_string());
        assert_eq!(ep("fw.example").expect("ok"), "https://fw.example/api/");
        assert_eq!(ep("https://fw:8443").expect("ok"), "https://fw:8443/api/");
        assert_eq!(ep("https://fw/api").expect("ok"), "https://fw/api/");
        assert_eq!(
            ep("http://127.0.0.1:9/api/").expect("ok"),
            "http://127.0.0.1:9/api/"
        );
        assert!(ep("ftp://fw").is_err());
        assert!(ep("https://admin:pw@fw").is_err());
        assert!(ep("https://fw/api/?key=x").is_err());
    }

    #[test]
    fn setup_errors_never_echo_credentials_in_the_url() {
        let err = api_endpoint("https://admin:hunter2@fw").expect_err("refused");
        assert!(!err.to_string().contains("hunter2"));
    }

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

    #[test]
    fn build_without_key_is_a_setup_error() {
        assert!(matches!(
            Client::builder("https://fw").build(),
            Err(Error::Setup { .. })
        ));
    }

    #[test]
    fn client_debug_never_shows_the_key() {
        let client = Client::builder("http://127.0.0.1:1")
            .api_key(ApiKey::new("SECRETKEY123"))
            .build()
            .expect("builds");
        let debug = format!("{client:?}");
        assert!(!debug.contains("SECRETKEY123"), "{debug}");
        assert!(debug.contains("<redacted>"));
    }
}
