//! `panos-sim`: serve a simulated PAN-OS firewall (or Panorama) XML API until interrupted.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Parser;
use panos_sim::{ManagedDevice, Simulator, TlsMode};

/// A PAN-OS XML API simulator (firewall) for tests, benchmarks, demos and dry runs.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Address to listen on, e.g. 127.0.0.1:8443 (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// API key of the administrator `admin`.
    #[arg(long, env = "PANOS_SIM_API_KEY")]
    api_key: String,
    /// Another administrator, NAME:PASSWORD; its key is obtained through keygen. Repeatable.
    #[arg(long = "admin", value_name = "NAME:PASSWORD")]
    admins: Vec<String>,
    /// Starting configuration: a PAN-OS <config> file (as `show config running` prints it).
    #[arg(long)]
    config: Option<PathBuf>,
    /// How long a commit job runs, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    commit_ms: u64,
    /// Extra delay added to every API response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// PAN-OS version to report (also selects version-specific shapes).
    #[arg(long, default_value = "10.2.4")]
    sw_version: String,
    /// PEM certificate chain for HTTPS (with --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS (with --tls-cert).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Most security rules a commit may leave; a commit over it fails (default: unlimited).
    #[arg(long)]
    max_rules: Option<usize>,
    /// Most tags one registered (User-ID) address may carry.
    #[arg(long, default_value_t = 32)]
    max_tags_per_address: usize,
    /// Most registered (User-ID) addresses, over all vsys.
    #[arg(long, default_value_t = 300_000)]
    max_registered_ips: usize,
    /// Be a Panorama (device groups, commit-all pushes, `target=` proxying) instead of a
    /// firewall.
    #[arg(long)]
    panorama: bool,
    /// A firewall the Panorama manages, SERIAL:DEVICE_GROUP[:HOSTNAME]. Repeatable; needs
    /// --panorama.
    #[arg(
        long = "managed-device",
        value_name = "SERIAL:DG[:HOSTNAME]",
        requires = "panorama"
    )]
    managed_devices: Vec<String>,
    /// Serve HTTPS with a generated self-signed certificate.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    tls_self_signed: bool,
}

/// `SERIAL:DG[:HOSTNAME]`.
fn managed_device(spec: &str) -> anyhow::Result<ManagedDevice> {
    let mut parts = spec.splitn(3, ':');
    let (Some(serial), Some(dg)) = (parts.next(), parts.next()) else {
        bail!("--managed-device expects SERIAL:DG[:HOSTNAME], got {spec:?}");
    };
    if serial.is_empty() || dg.is_empty() {
        bail!("--managed-device expects SERIAL:DG[:HOSTNAME], got {spec:?}");
    }
    let device = ManagedDevice::new(serial, dg);
    Ok(match parts.next().filter(|h| !h.is_empty()) {
        Some(hostname) => device.hostname(hostname),
        None => device,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut builder = Simulator::builder()
        .listen(args.listen)
        .api_key(args.api_key)
        .commit_delay(Duration::from_millis(args.commit_ms))
        .latency(Duration::from_millis(args.latency_ms))
        .sw_version(args.sw_version)
        .max_tags_per_address(args.max_tags_per_address)
        .max_registered_ips(args.max_registered_ips);
    if let Some(n) = args.max_rules {
        builder = builder.max_rules(n);
    }
    for spec in &args.admins {
        let Some((name, password)) = spec.split_once(':') else {
            bail!("--admin expects NAME:PASSWORD, got {spec:?}");
        };
        builder = builder.admin(name, password);
    }
    if args.panorama {
        builder = builder.panorama();
    }
    for spec in &args.managed_devices {
        builder = builder.managed_device(managed_device(spec)?);
    }
    if let Some(path) = &args.config {
        let xml =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        builder = builder.config_xml(xml);
    }
    builder = builder.tls(match (args.tls_cert, args.tls_key, args.tls_self_signed) {
        (Some(cert), Some(key), _) => TlsMode::PemFiles { cert, key },
        (_, _, true) => TlsMode::SelfSigned,
        _ => TlsMode::Plain,
    });
    let sim = builder.start().await?;
    println!("panos-sim listening on {}", sim.url());
    std::io::stdout().flush()?;
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}
