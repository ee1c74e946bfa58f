//! A typed, safe client for the PAN-OS XML API: the only way palosync talks to a firewall or
//! Panorama.
//!
//! - **Transport** ([`Client::builder`]): async, always POST form-encoded, the key in the
//!   `X-PAN-KEY` header (never in a URL, a log line, `Debug` output or an error), keygen from
//!   user/password ([`ClientBuilder::build_with_credentials`]). TLS verified by default, a private
//!   CA file, SHA-256 pinning, or an explicit insecure switch ([`TlsOptions`]). Connect/request
//!   timeouts ([`Timeouts`]), at most 5 requests in flight by default.
//! - **Locations** ([`Location`]): a firewall vsys, a Panorama device group's pre/post rulebase,
//!   or Panorama shared; xpaths quote names correctly ([`xpath_literal`]).
//! - **Config** ([`Client::get`], [`Client::show`], [`Client::set`], [`Client::edit`],
//!   [`Client::delete`], [`Client::rename`], [`Client::move_entry`], [`Client::multi_config`]) and
//!   typed entries ([`SecurityRule`], [`ServiceObject`], [`AddressObject`], [`Tag`]) through
//!   [`Client::list`], [`Client::get_entry`], [`Client::create`], [`Client::replace`], ….
//! - **Operations**: [`Client::system_info`], [`Client::policy_match`], [`Client::commit`],
//!   [`Client::wait_for_job`], [`Client::commit_and_wait`], [`Client::pending_changes`],
//!   [`Client::admins_with_pending_changes`], [`Client::revert_admin_changes`], locks (acquiring
//!   one names the key's user: [`Acquired`]).
//! - **Panorama**: [`Client::push`] (`commit-all` to a device group), [`Client::wait_for_push`]
//!   (until every firewall's result is in), [`Client::device_groups`] (connection and
//!   shared-policy sync per firewall), and [`Client::for_device`] (op and User-ID requests
//!   proxied to one managed firewall with `target=<serial>`).
//! - **User-ID** (group mode): [`Client::user_id`], [`Client::update_registrations`] (packed into
//!   as few messages as allowed), [`Client::registered_ips`] (paged to the end),
//!   [`Client::dynamic_group_members`]; dynamic groups are [`AddressGroup`]s with a filter.
//! - **Errors**: one enum, [`Error`]; retries with backoff and jitter ([`RetryPolicy`]) only for
//!   reads and idempotent writes, only on transient causes, bounded by a deadline.
//! - **Counters**: [`Client::stats`] counts round trips by [`RequestKind`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), panos::Error> {
//! use std::time::Duration;
//! use panos::{ApiKey, Client, CommitRequest, Location, TlsOptions};
//!
//! let client = Client::builder("https://fw.example:443")
//!     .api_key(ApiKey::new("LUFRPT1…"))
//!     .tls(TlsOptions::Pinned("AB:CD:…".parse()?))
//!     .build()?;
//! let vsys1 = Location::vsys("vsys1");
//! for rule in client.security_rules(&vsys1).await? {
//!     println!("{} {:?}", rule.name, rule.action);
//! }
//! client
//!     .commit_and_wait(&CommitRequest::partial_for("palosync"), Duration::from_secs(600))
//!     .await?;
//! # Ok(()) }
//! ```

mod admins;
mod client;
mod commit;
mod config;
mod envelope;
mod error;
mod key;
mod locks;
mod multi;
mod objects;
mod op;
mod panorama;
mod policy_match;
mod registered;
mod retry;
mod stats;
mod tls;
mod transport;
mod userid;
mod xml;
mod xpath;

pub use client::{Client, ClientBuilder, DEFAULT_MAX_IN_FLIGHT, Timeouts};
pub use commit::{
    CommitOutcome, CommitRequest, CommitScope, CommitStarted, Job, JobId, JobOutcome, JobResult,
    JobStatus,
};
pub use config::{Deleted, Position};
pub use error::{Error, LockKind, TransportKind};
pub use key::ApiKey;
pub use locks::{Acquired, LockInfo, LockScope, Released};
pub use multi::{ActionResult, ConfigAction, MultiConfigResult};
pub use objects::{
    AddressGroup, AddressObject, AddressValue, ConfigEntry, ProfileSetting, RuleAction, RuleType,
    SecurityRule, ServiceGroup, ServiceObject, ServicePorts, ServiceProtocol, Tag,
};
pub use op::{SoftwareVersion, SystemInfo};
pub use panorama::{DeviceGroupDevices, DevicePush, ManagedFirewall, PolicySync, PushRequest};
pub use policy_match::{PolicyMatch, PolicyMatchQuery};
pub use registered::{DEFAULT_REGISTERED_IP_PAGE, RegisteredIp, RegisteredIpFilter};
pub use retry::RetryPolicy;
pub use stats::{ClientStats, RequestKind};
pub use tls::{CertFingerprint, ENV_CA_FILE, ENV_INSECURE, ENV_PIN_SHA256, TlsOptions};
pub use userid::{DEFAULT_UID_ENTRIES_PER_MESSAGE, UidEntry, UidEntryMessage, UidMessage, UidTag};
pub use xml::{XmlError, XmlNode};
pub use xpath::{Location, ObjectKind, RulebaseSide, XPath, xpath_literal};
