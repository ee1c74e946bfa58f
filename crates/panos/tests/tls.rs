//! Certificate trust against a simulator serving HTTPS: a self-signed certificate is accepted
//! through a CA file or a pinned fingerprint and rejected without either; a private CA works;
//! the insecure switch works and warns.

mod support;

use std::path::{Path, PathBuf};

use panos::{ApiKey, CertFingerprint, Client, Error, TlsOptions, TransportKind};
use panos_sim::TlsMode;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use support::*;

/// A fresh directory for this test's PEM files.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("panos-tls-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write(dir: &Path, name: &str, pem: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, pem).expect("write PEM");
    path
}

struct ServerCert {
    cert_pem: String,
    key_pem: String,
    der: Vec<u8>,
}

fn self_signed() -> ServerCert {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("self-signed cert");
    ServerCert {
        cert_pem: ck.cert.pem(),
        key_pem: ck.signing_key.serialize_pem(),
        der: ck.cert.der().to_vec(),
    }
}

/// A private CA and a leaf it issued for 127.0.0.1; returns (CA PEM, leaf).
fn private_ca_and_leaf() -> (String, ServerCert) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "palosync test CA");
    let ca_key = KeyPair::generate().expect("CA key");
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA cert");
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
        .expect("params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf cert");
    (
        ca_cert.pem(),
        ServerCert {
            cert_pem: leaf.pem(),
            key_pem: leaf_key.serialize_pem(),
            der: leaf.der().to_vec(),
        },
    )
}

async fn https_sim(dir: &Path, cert: &ServerCert) -> RunningSimulator {
    let mode = TlsMode::PemFiles {
        cert: write(dir, "server.pem", &cert.cert_pem),
        key: write(dir, "server.key", &cert.key_pem),
    };
    let sim = sim_builder()
        .tls(mode)
        .start()
        .await
        .expect("HTTPS simulator");
    assert!(sim.url().starts_with("https://"));
    sim
}

fn client_with(sim: &RunningSimulator, tls: TlsOptions) -> Client {
    builder_for(sim)
        .api_key(ApiKey::new(ADMIN_KEY))
        .tls(tls)
        .build()
        .expect("client builds")
}

fn trusting_ca_file(sim: &RunningSimulator, ca_file: PathBuf) -> Client {
    client_with(
        sim,
        TlsOptions::Verified {
            ca_file: Some(ca_file),
        },
    )
}

fn assert_tls_rejected(outcome: Result<panos::SystemInfo, Error>) {
    match outcome {
        Err(Error::Transport {
            kind: TransportKind::Tls,
            ..
        }) => {}
        other => panic!("expected a TLS error, got {other:?}"),
    }
}

#[tokio::test]
async fn self_signed_device_is_trusted_through_its_certificate_as_ca_file() {
    let dir = scratch_dir("ca-file");
    let cert = self_signed();
    let sim = https_sim(&dir, &cert).await;
    let ca_file = write(&dir, "trusted.pem", &cert.cert_pem);
    let client = trusting_ca_file(&sim, ca_file);
    client
        .system_info()
        .await
        .expect("verified against the CA file");
}

#[tokio::test]
async fn private_ca_issued_certificate_is_trusted_through_the_ca_file() {
    let dir = scratch_dir("private-ca");
    let (ca_pem, leaf) = private_ca_and_leaf();
    let sim = https_sim(&dir, &leaf).await;
    let ca_file = write(&dir, "ca.pem", &ca_pem);
    let client = trusting_ca_file(&sim, ca_file);
    client
        .system_info()
        .await
        .expect("verified against the private CA");

    let (other_ca, _) = private_ca_and_leaf();
    let wrong = write(&dir, "other-ca.pem", &other_ca);
    assert_tls_rejected(
        client_with(
            &sim,
            TlsOptions::Verified {
                ca_file: Some(wrong),
            },
        )
        .system_info()
        .await,
    );
}

#[tokio::test]
async fn self_signed_device_is_trusted_through_a_pinned_fingerprint() {
    let dir = scratch_dir("pinned");
    let cert = self_signed();
    let sim = https_sim(&dir, &cert).await;
    let pin = CertFingerprint::of_der(&cert.der);
    let parsed: CertFingerprint = pin.to_string().parse().expect("round trip");
    client_with(&sim, TlsOptions::Pinned(parsed))
        .system_info()
        .await
        .expect("pinned certificate accepted");

    let other = CertFingerprint::of_der(&self_signed().der);
    assert_tls_rejected(
        client_with(&sim, TlsOptions::Pinned(other))
            .system_info()
            .await,
    );
}

#[tokio::test]
async fn self_signed_device_is_rejected_without_ca_file_or_pin() {
    let dir = scratch_dir("rejected");
    let sim = https_sim(&dir, &self_signed()).await;
    assert_tls_rejected(client_with(&sim, TlsOptions::default()).system_info().await);
}

#[tokio::test]
async fn insecure_switch_connects_and_warns() {
    let dir = scratch_dir("insecure");
    let sim = https_sim(&dir, &self_signed()).await;
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .finish();
    let client =
        tracing::subscriber::with_default(subscriber, || client_with(&sim, TlsOptions::Insecure));
    client
        .system_info()
        .await
        .expect("insecure accepts any certificate");
    let text = logs.contents();
    assert!(text.contains("WARN"), "{text}");
    assert!(text.contains("verification is OFF"), "{text}");
}
