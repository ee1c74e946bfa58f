//! The embeddable simulator: [`Simulator::builder`] configures one simulated firewall and
//! [`SimulatorBuilder::start`] serves it on a local port, returning a [`RunningSimulator`] handle
//! for URLs, keys, statistics, faults and in-process reads of the running/candidate config.
//!
//! This module must never bind anything but the address it is given (127.0.0.1:0 by default).

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::panorama::{Device, ManagedDevice, Panorama, Personality};
use crate::registrations::{RegistrationChange, RegistrationLimits};
use crate::server::{self, Shared};
use crate::state::{Admin, FaultPlan, Settings, SimState, Stats, new_api_key};
use crate::xml::{Element, XmlError};

/// The built-in starting configuration: vsys1, zones `trust`/`untrust`, profile group
/// `default`, and one deny-all rule `Clean up`.
pub const DEFAULT_CONFIG_XML: &str = include_str!("default-config.xml");

/// Why a simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("configuration is not valid XML: {0}")]
    ConfigXml(#[from] XmlError),
    #[error("configuration root must be <config> (or a show-config <response>), found <{0}>")]
    ConfigRoot(String),
    #[error("cannot read {path}: {source}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("starting registrations refused: {0}")]
    Registrations(String),
}

/// How the simulator speaks on the wire.
#[derive(Debug, Clone, Default)]
pub enum TlsMode {
    /// Plain HTTP.
    #[default]
    Plain,
    /// HTTPS with a freshly generated self-signed certificate for localhost/127.0.0.1.
    SelfSigned,
    /// HTTPS with a PEM certificate chain and private key from files.
    PemFiles { cert: PathBuf, key: PathBuf },
}

/// Entry point of the library API.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }
}

/// Configures one simulated firewall.
#[derive(Debug, Clone)]
pub struct SimulatorBuilder {
    listen: SocketAddr,
    api_key: Option<String>,
    admins: Vec<(String, String)>,
    config_xml: Option<String>,
    commit_delay: Duration,
    latency: Duration,
    sw_version: String,
    tls: TlsMode,
    registration_limits: RegistrationLimits,
    max_rules: Option<usize>,
    registrations: Vec<(String, IpAddr, Vec<String>)>,
    panorama: bool,
    managed_devices: Vec<ManagedDevice>,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        SimulatorBuilder {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            api_key: None,
            admins: Vec::new(),
            config_xml: None,
            commit_delay: Duration::from_millis(200),
            latency: Duration::ZERO,
            sw_version: "10.2.4".into(),
            tls: TlsMode::Plain,
            registration_limits: RegistrationLimits::default(),
            max_rules: None,
            registrations: Vec::new(),
            panorama: false,
            managed_devices: Vec::new(),
        }
    }
}

impl SimulatorBuilder {
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    /// The API key of the administrator `admin` (random if not given).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }
    /// Adds an administrator; keygen with these credentials returns its key. Naming `admin`
    /// gives the `admin` account a password.
    pub fn admin(mut self, name: impl Into<String>, password: impl Into<String>) -> Self {
        self.admins.push((name.into(), password.into()));
        self
    }
    /// Starting configuration: a `<config>` document, or `show config running` output.
    pub fn config_xml(mut self, xml: impl Into<String>) -> Self {
        self.config_xml = Some(xml.into());
        self
    }
    pub fn commit_delay(mut self, d: Duration) -> Self {
        self.commit_delay = d;
        self
    }
    pub fn latency(mut self, d: Duration) -> Self {
        self.latency = d;
        self
    }
    pub fn sw_version(mut self, v: impl Into<String>) -> Self {
        self.sw_version = v.into();
        self
    }
    pub fn tls(mut self, mode: TlsMode) -> Self {
        self.tls = mode;
        self
    }
    /// Most security rules a commit may leave (default: unlimited); a commit over it ends FAIL.
    pub fn max_rules(mut self, n: usize) -> Self {
        self.max_rules = Some(n);
        self
    }
    /// Most tags one registered address may carry (default 32).
    pub fn max_tags_per_address(mut self, n: usize) -> Self {
        self.registration_limits.max_tags_per_address = n;
        self
    }
    /// Most registered addresses, over all vsys (default 300,000).
    pub fn max_registered_ips(mut self, n: usize) -> Self {
        self.registration_limits.max_registered_ips = n;
        self
    }
    /// A starting registration of `tags` (no timeout) on `ip` in `vsys`; `reset()` restores it.
    pub fn registered_ip(mut self, vsys: &str, ip: IpAddr, tags: &[&str]) -> Self {
        self.registrations.push((
            vsys.to_string(),
            ip,
            tags.iter().map(|t| t.to_string()).collect(),
        ));
        self
    }

    /// Makes the simulator a Panorama (see [`crate::panorama`]): its default configuration
    /// holds a device group for every group a [`ManagedDevice`] names.
    pub fn panorama(mut self) -> Self {
        self.panorama = true;
        self
    }
    /// Adds a firewall the Panorama manages (repeatable; only with [`Self::panorama`]).
    pub fn managed_device(mut self, device: ManagedDevice) -> Self {
        self.managed_devices.push(device);
        self
    }

    fn starting_config(&self) -> Result<Element, SimError> {
        match (&self.config_xml, self.panorama) {
            (Some(xml), _) => parse_config(xml),
            (None, true) => Ok(crate::panorama::default_config(&self.managed_devices)),
            (None, false) => parse_config(DEFAULT_CONFIG_XML),
        }
    }

    /// One managed firewall's own state: its configuration, this builder's timing, version and
    /// limits, and the Panorama's administrators (Panorama's keys reach it through `target=`).
    fn device_state(&self, spec: &ManagedDevice, admins: &[Admin]) -> Result<SimState, SimError> {
        let config = parse_config(spec.config_xml.as_deref().unwrap_or(DEFAULT_CONFIG_XML))?;
        let settings = Settings {
            hostname: spec.hostname_or_default(),
            serial: spec.serial.clone(),
            ..self.settings("panos-sim", "007951000123456")
        };
        Ok(SimState::new(config, admins.to_vec(), settings))
    }

    fn settings(&self, hostname: &str, serial: &str) -> Settings {
        Settings {
            sw_version: self.sw_version.clone(),
            commit_delay: self.commit_delay,
            latency: self.latency,
            hostname: hostname.into(),
            serial: serial.into(),
            registration_limits: self.registration_limits,
            max_rules: self.max_rules,
        }
    }

    /// Builds the simulator state without serving it (for in-process use and benchmarks).
    pub fn build_state(&self) -> Result<SimState, SimError> {
        let config = self.starting_config()?;
        let admin_key = self.api_key.clone().unwrap_or_else(new_api_key);
        let admin_password = self
            .admins
            .iter()
            .find(|(n, _)| n == "admin")
            .map(|(_, p)| p.clone());
        let mut admins = vec![Admin {
            name: "admin".into(),
            password: admin_password,
            key: admin_key,
        }];
        for (name, password) in self.admins.iter().filter(|(n, _)| n != "admin") {
            admins.push(Admin {
                name: name.clone(),
                password: Some(password.clone()),
                key: new_api_key(),
            });
        }
        let settings = if self.panorama {
            self.settings("panorama-sim", "000710000000001")
        } else {
            self.settings("panos-sim", "007951000123456")
        };
        let mut devices = std::collections::BTreeMap::new();
        if self.panorama {
            for spec in &self.managed_devices {
                let device = Device::new(spec, self.device_state(spec, &admins)?);
                devices.insert(spec.serial.clone(), device);
            }
        }
        let mut state = SimState::new(config, admins, settings);
        if self.panorama {
            state.personality = Personality::Panorama(Panorama { devices });
        }
        let now = std::time::Instant::now();
        for (vsys, ip, tags) in &self.registrations {
            let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
            register(&mut state, vsys, *ip, &tags, None, now)
                .map_err(|m| SimError::Registrations(m.join("; ")))?;
        }
        state.keep_registrations_as_initial();
        Ok(state)
    }

    /// Binds, starts serving in the background, and returns the handle.
    pub async fn start(self) -> Result<RunningSimulator, SimError> {
        let state = self.build_state()?;
        let admin_key = state.admins[0].key.clone();
        let acceptor = tls_acceptor(&self.tls)?;
        let listener = TcpListener::bind(self.listen)
            .await
            .map_err(|source| SimError::Bind {
                addr: self.listen,
                source,
            })?;
        let addr = server::local_addr(&listener).map_err(|source| SimError::Bind {
            addr: self.listen,
            source,
        })?;
        let shared = Shared::new(state);
        let (tx, rx) = watch::channel(false);
        let scheme = if acceptor.is_some() { "https" } else { "http" };
        let task = tokio::spawn(server::serve(
            listener,
            acceptor,
            server::router(shared.clone()),
            rx,
        ));
        Ok(RunningSimulator {
            addr,
            scheme,
            admin_key,
            shared,
            shutdown: tx,
            task,
        })
    }
}

/// Applies one registration to the state, returning the refusal messages on failure.
fn register(
    state: &mut SimState,
    vsys: &str,
    ip: IpAddr,
    tags: &[&str],
    timeout: Option<u32>,
    now: Instant,
) -> Result<(), Vec<String>> {
    let change = RegistrationChange::Register {
        ip,
        persistent: true,
        tags: tags.iter().map(|t| (t.to_string(), timeout)).collect(),
    };
    let limits = state.settings.registration_limits;
    state
        .registrations
        .apply(vsys, &[change], limits, now)
        .map(|_| ())
        .map_err(|refused| refused.into_iter().map(|m| m.message).collect())
}

fn parse_config(xml: &str) -> Result<Element, SimError> {
    let root = Element::parse(xml)?;
    if root.name == "config" {
        return Ok(root);
    }
    if root.name == "response"
        && let Some(cfg) = root.descend(&["result", "config"])
    {
        return Ok(cfg.clone());
    }
    Err(SimError::ConfigRoot(root.name))
}

fn tls_acceptor(mode: &TlsMode) -> Result<Option<TlsAcceptor>, SimError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let (certs, key): (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) = match mode {
        TlsMode::Plain => return Ok(None),
        TlsMode::SelfSigned => {
            let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
            let ck = rcgen::generate_simple_self_signed(names)
                .map_err(|e| SimError::Tls(e.to_string()))?;
            let key = PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der());
            (vec![ck.cert.der().clone()], PrivateKeyDer::Pkcs8(key))
        }
        TlsMode::PemFiles { cert, key } => {
            let certs = CertificateDer::pem_file_iter(cert)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| SimError::Tls(format!("{}: {e}", cert.display())))?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| SimError::Tls(format!("{}: {e}", key.display())))?;
            (certs, key)
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SimError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| SimError::Tls(e.to_string()))?;
    Ok(Some(TlsAcceptor::from(Arc::new(config))))
}

/// A simulator serving in the background. Dropping it does not stop the server; call
/// [`RunningSimulator::shutdown`].
#[derive(Debug)]
pub struct RunningSimulator {
    addr: SocketAddr,
    scheme: &'static str,
    admin_key: String,
    pub(crate) shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RunningSimulator {
    /// `http://127.0.0.1:PORT` or `https://…` (no trailing slash; the API is at `/api/`).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The key of the administrator `admin`.
    pub fn api_key(&self) -> &str {
        &self.admin_key
    }
    /// The key keygen would hand out for `admin_name`.
    pub fn key_of(&self, admin_name: &str) -> Option<String> {
        self.shared
            .lock()
            .admins
            .iter()
            .find(|a| a.name == admin_name)
            .map(|a| a.key.clone())
    }
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats_snapshot()
    }
    /// Adds faults for the next requests/commits (same as `POST /_sim/faults`).
    pub fn inject_faults(&self, plan: FaultPlan) {
        server::apply_faults(&mut self.shared.lock(), plan);
    }
    /// Back to the starting configuration, no jobs/locks/faults/stats (`POST /_sim/reset`).
    pub fn reset(&self) {
        self.shared.lock().reset();
    }
    pub fn running_config_xml(&self) -> String {
        self.shared.lock().store.running.to_xml()
    }
    pub fn candidate_config_xml(&self) -> String {
        self.shared.lock().store.candidate().to_xml()
    }
    /// A copy of the running configuration tree.
    pub fn running_config(&self) -> Element {
        self.shared.lock().store.running.clone()
    }
    /// A copy of the candidate configuration tree.
    pub fn candidate_config(&self) -> Element {
        self.shared.lock().store.candidate().clone()
    }
    /// Running security rules of `vsys`, in order.
    pub fn running_rules(&self, vsys: &str) -> Vec<Element> {
        let cfg = self.running_config();
        crate::policy_match::rulebase(&cfg, vsys)
            .into_iter()
            .cloned()
            .collect()
    }
    /// Candidate security rules of `vsys`, in order.
    pub fn candidate_rules(&self, vsys: &str) -> Vec<Element> {
        let cfg = self.candidate_config();
        crate::policy_match::rulebase(&cfg, vsys)
            .into_iter()
            .cloned()
            .collect()
    }
    /// The registered addresses of `vsys` and their tags (expired tags already dropped), in
    /// address order.
    pub fn registered_ips(&self, vsys: &str) -> BTreeMap<IpAddr, Vec<String>> {
        self.shared.lock().registered_ips(vsys)
    }
    /// The registered addresses a running dynamic address group of `vsys` holds right now
    /// (`None` if there is no such dynamic group with a valid filter).
    pub fn dynamic_group_members(&self, vsys: &str, group: &str) -> Option<Vec<IpAddr>> {
        self.shared.lock().dynamic_group_members(vsys, group)
    }
    /// Registers `tags` on `ip` in `vsys` as a User-ID message would (limits apply, nothing
    /// changes on `Err`), e.g. another User-ID source changing the device behind a client's back.
    pub fn register_ip(
        &self,
        vsys: &str,
        ip: IpAddr,
        tags: &[&str],
        timeout: Option<u32>,
    ) -> Result<(), Vec<String>> {
        register(
            &mut self.shared.lock(),
            vsys,
            ip,
            tags,
            timeout,
            Instant::now(),
        )
    }
    /// Removes every tag of `ip` in `vsys` (nothing if it has none).
    pub fn unregister_ip(&self, vsys: &str, ip: IpAddr) {
        let mut st = self.shared.lock();
        let limits = st.settings.registration_limits;
        let change = RegistrationChange::Unregister { ip, tags: None };
        // An unregistration cannot breach a limit, so the update always applies.
        let _ = st
            .registrations
            .apply(vsys, &[change], limits, Instant::now());
    }
    /// The security rule capacity commits are checked against.
    pub fn max_rules(&self) -> Option<usize> {
        self.shared.lock().settings.max_rules
    }
    /// The registered-ip capacity User-ID messages are checked against.
    pub fn registration_limits(&self) -> RegistrationLimits {
        self.shared.lock().settings.registration_limits
    }
    /// Runs `f` with exclusive access to the simulator state (jobs advanced first).
    pub fn with_state<T>(&self, f: impl FnOnce(&mut SimState) -> T) -> T {
        f(&mut self.shared.lock())
    }
    /// Stops accepting connections and closes open ones.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}
