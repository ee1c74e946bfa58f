//! The public client: configuration ([`ClientBuilder`]), construction (with a key or by keygen),
//! and the handle every action module extends with its methods.
//!
//! Must never print the key (its `Debug` shows `<redacted>`), accept credentials in the URL, or
//! talk to a proxy: the management plane is reached directly.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;

use crate::envelope::Envelope;
use crate::error::Error;
use crate::key::ApiKey;
use crate::registered::DEFAULT_REGISTERED_IP_PAGE;
use crate::retry::RetryPolicy;
use crate::stats::{ClientStats, RequestKind};
use crate::tls::TlsOptions;
use crate::transport::{ApiRequest, Transport};
use crate::userid::DEFAULT_UID_ENTRIES_PER_MESSAGE;

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
    userid: UserIdSettings,
}

/// Batching of User-ID writes and paging of its reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UserIdSettings {
    /// Most register plus unregister entries in one uid-message.
    pub(crate) entries_per_message: usize,
    /// `limit` of each `show object registered-ip` page.
    pub(crate) page_size: usize,
}

impl Default for UserIdSettings {
    fn default() -> Self {
        Self {
            entries_per_message: DEFAULT_UID_ENTRIES_PER_MESSAGE,
            page_size: DEFAULT_REGISTERED_IP_PAGE,
        }
    }
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

    /// Most entries (register plus unregister) per User-ID message in
    /// [`Client::update_registrations`] (at least 1; default 1,000).
    #[must_use]
    pub fn uid_entries_per_message(mut self, n: usize) -> Self {
        self.userid.entries_per_message = n.max(1);
        self
    }

    /// Page size of [`Client::registered_ips`] (at least 1; default 500, as pan-os-python).
    #[must_use]
    pub fn registered_ip_page_size(mut self, n: usize) -> Self {
        self.userid.page_size = n.max(1);
        self
    }

    /// Builds the client with the key given to [`ClientBuilder::api_key`].
    pub fn build(self) -> Result<Client, Error> {
        let key = self.key.clone().ok_or_else(|| {
            Error::setup("no API key given; use api_key() or build_with_credentials()")
        })?;
        let transport = self.transport()?;
        Ok(Client::new(transport, key, self.retry, self.userid))
    }

    /// Generates a key from an administrator's credentials (`type=keygen`), then builds the
    /// client with it. Note: PAN-OS may end that user's other API sessions.
    pub async fn build_with_credentials(self, user: &str, password: &str) -> Result<Client, Error> {
        let transport = self.transport()?;
        let key = transport.keygen(user, password, &self.retry).await?;
        Ok(Client::new(transport, key, self.retry, self.userid))
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
        Ok(Transport::new(
            http,
            endpoint,
            self.max_in_flight,
            self.timeouts.request,
            self.job_poll_interval,
        ))
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

/// A PAN-OS XML API client. Cheap to clone; clones share connections, the in-flight limit and
/// the counters.
#[derive(Clone)]
pub struct Client {
    pub(crate) transport: Arc<Transport>,
    key: ApiKey,
    pub(crate) retry: RetryPolicy,
    pub(crate) userid: UserIdSettings,
    /// Panorama only: the managed firewall (serial) op and User-ID requests are proxied to.
    target: Option<Arc<str>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.transport.endpoint().as_str())
            .field("key", &self.key)
            .field("retry", &self.retry)
            .field("target", &self.target)
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
            userid: UserIdSettings::default(),
        }
    }

    fn new(transport: Transport, key: ApiKey, retry: RetryPolicy, userid: UserIdSettings) -> Self {
        Self {
            transport: Arc::new(transport),
            key,
            retry,
            userid,
            target: None,
        }
    }

    /// This Panorama client's view of one managed firewall: its op and User-ID requests carry
    /// `target=<serial>`, so Panorama answers them from that firewall (policy match, registered
    /// addresses, tag registrations). Config and commit requests are refused on it: they would
    /// reach Panorama's own configuration, not the firewall's.
    #[must_use]
    pub fn for_device(&self, serial: impl Into<String>) -> Self {
        Self {
            target: Some(Arc::from(serial.into())),
            ..self.clone()
        }
    }

    /// The managed firewall this client is proxied to, if any ([`Client::for_device`]).
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
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
    pub(crate) async fn send(&self, mut request: ApiRequest) -> Result<Envelope, Error> {
        if let Some(serial) = &self.target {
            if !matches!(request.kind, RequestKind::Op | RequestKind::UserId) {
                return Err(Error::Setup {
                    reason: format!(
                        "a {:?} request cannot be proxied to managed firewall {serial}: only op \
                         and User-ID requests take a target",
                        request.kind
                    ),
                });
            }
            request.params.push(("target", serial.to_string()));
        }
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
    fn build_without_key_is_a_setup_error() {
        assert!(matches!(
            Client::builder("https://fw").build(),
            Err(Error::Setup { .. })
        ));
    }

    #[tokio::test]
    async fn a_client_for_a_managed_firewall_refuses_config_and_commit_requests() {
        let panorama = Client::builder("http://127.0.0.1:1")
            .api_key(ApiKey::new("K"))
            .build()
            .expect("builds");
        let firewall = panorama.for_device("0079001");
        assert_eq!(firewall.target(), Some("0079001"));
        assert_eq!(panorama.target(), None);
        let refused = firewall
            .commit(&crate::CommitRequest::partial_for("palosync"))
            .await
            .expect_err("a commit through a target would commit Panorama");
        assert!(
            matches!(&refused, Error::Setup { reason } if reason.contains("0079001")),
            "{refused:?}"
        );
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
