//! How the client trusts the device's certificate: verified (public roots or a private CA
//! file), pinned by SHA-256 fingerprint (the safe answer for self-signed VM-Series certs), or
//! explicitly insecure (logged as a warning).
//!
//! Builds a rustls configuration with the `ring` provider. It must never turn verification off
//! unless the caller chose [`TlsOptions::Insecure`].

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::error::Error;

/// Environment variable naming a PEM file of CA certificates to trust instead of public roots.
pub const ENV_CA_FILE: &str = "PANOS_CA_FILE";
/// Environment variable holding the device certificate's SHA-256 fingerprint (hex, `:` allowed).
pub const ENV_PIN_SHA256: &str = "PANOS_TLS_PIN_SHA256";
/// Environment variable that turns verification off when `true`/`1`/`yes`.
pub const ENV_INSECURE: &str = "PANOS_INSECURE_TLS";

/// SHA-256 of a DER certificate.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertFingerprint(pub [u8; 32]);

impl CertFingerprint {
    /// Fingerprint of a DER-encoded certificate.
    pub fn of_der(der: &[u8]) -> Self {
        Self(Sha256::digest(der).into())
    }
}

impl fmt::Display for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertFingerprint({self})")
    }
}

impl FromStr for CertFingerprint {
    type Err = Error;

    /// Accepts 64 hex digits, optionally separated by `:` (as `openssl x509 -fingerprint` prints).
    fn from_str(s: &str) -> Result<Self, Error> {
        let hex: Vec<u8> = s.trim().bytes().filter(|b| *b != b':').collect();
        if hex.len() != 64 {
            return Err(Error::setup(
                "a SHA-256 fingerprint has 64 hex digits (colons allowed)",
            ));
        }
        let mut out = [0u8; 32];
        for (slot, pair) in out.iter_mut().zip(hex.chunks(2)) {
            let digits = std::str::from_utf8(pair).map_err(|_| Error::setup("non-hex digit"))?;
            *slot = u8::from_str_radix(digits, 16)
                .map_err(|_| Error::setup("fingerprint holds a non-hex digit"))?;
        }
        Ok(Self(out))
    }
}

/// How to trust the device certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsOptions {
    /// Verify chain and hostname: against public roots, or only against the CAs in `ca_file`.
    Verified {
        /// PEM file of CA certificates (a private CA).
        ca_file: Option<PathBuf>,
    },
    /// Accept exactly the certificate with this SHA-256 (chain and hostname not checked;
    /// the handshake signature still is, so a copied certificate without its key fails).
    Pinned(CertFingerprint),
    /// No verification at all. Logged as a warning when the client is built.
    Insecure,
}

impl Default for TlsOptions {
    fn default() -> Self {
        Self::Verified { ca_file: None }
    }
}

impl TlsOptions {
    /// Reads [`ENV_CA_FILE`], [`ENV_PIN_SHA256`] and [`ENV_INSECURE`] through `lookup`
    /// (e.g. `|k| std::env::var(k).ok()`). At most one of them may be set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let set = |name| lookup(name).filter(|v| !v.trim().is_empty());
        let ca_file = set(ENV_CA_FILE);
        let pin = set(ENV_PIN_SHA256);
        let insecure = match set(ENV_INSECURE).map(|v| v.trim().to_ascii_lowercase()) {
            None => false,
            Some(v) if matches!(v.as_str(), "true" | "1" | "yes") => true,
            Some(v) if matches!(v.as_str(), "false" | "0" | "no") => false,
            Some(_) => {
                return Err(Error::setup(format!(
                    "{ENV_INSECURE} must be true or false"
                )));
            }
        };
        match (ca_file, pin, insecure) {
            (None, None, false) => Ok(Self::default()),
            (Some(ca), None, false) => Ok(Self::Verified {
                ca_file: Some(PathBuf::from(ca)),
            }),
            (None, Some(pin), false) => Ok(Self::Pinned(pin.parse()?)),
            (None, None, true) => Ok(Self::Insecure),
            _ => Err(Error::setup(format!(
                "set only one of {ENV_CA_FILE}, {ENV_PIN_SHA256}, {ENV_INSECURE}"
            ))),
        }
    }

    /// [`TlsOptions::from_lookup`] over the process environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// The rustls client configuration for these options.
    pub(crate) fn client_config(&self) -> Result<rustls::ClientConfig, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::setup(format!("TLS protocol versions: {e}")))?;
        let config = match self {
            Self::Verified { ca_file } => {
                let mut roots = rustls::RootCertStore::empty();
                match ca_file {
                    None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
                    Some(path) => {
                        let certs = CertificateDer::pem_file_iter(path)
                            .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
                            .map_err(|e| {
                                Error::setup(format!("reading CA file {}: {e}", path.display()))
                            })?;
                        let (added, _ignored) = roots.add_parsable_certificates(certs);
                        if added == 0 {
                            return Err(Error::setup(format!(
                                "CA file {} holds no usable certificate",
                                path.display()
                            )));
                        }
                    }
                }
                builder.with_root_certificates(roots).with_no_client_auth()
            }
            Self::Pinned(fingerprint) => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(FingerprintVerifier {
                    expected: Some(*fingerprint),
                    algorithms: provider.signature_verification_algorithms,
                }))
                .with_no_client_auth(),
            Self::Insecure => {
                tracing::warn!(
                    "TLS certificate verification is OFF for the PAN-OS client; \
                     prefer a CA file or a pinned SHA-256 fingerprint"
                );
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(FingerprintVerifier {
                        expected: None,
                        algorithms: provider.signature_verification_algorithms,
                    }))
                    .with_no_client_auth()
            }
        };
        Ok(config)
    }
}

/// Accepts the end-entity certificate whose SHA-256 is `expected` (any, when `None`: insecure).
/// Handshake signatures are always verified with the provider's algorithms.
#[derive(Debug)]
struct FingerprintVerifier {
    expected: Option<CertFingerprint>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for FingerprintVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.expected {
            None => Ok(ServerCertVerified::assertion()),
            Some(expected) if CertFingerprint::of_der(end_entity.as_ref()) == expected => {
                Ok(ServerCertVerified::assertion())
            }
            Some(_) => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_with_or_without_colons() {
        let plain = "ab".repeat(32);
        let colons = vec!["AB"; 32].join(":");
        let a: CertFingerprint = plain.parse().expect("plain hex");
        let b: CertFingerprint = colons.parse().expect("colon hex");
        assert_eq!(a, b);
        assert_eq!(a.to_string(), colons);
        assert!("abcd".parse::<CertFingerprint>().is_err());
        assert!("zz".repeat(32).parse::<CertFingerprint>().is_err());
    }

    #[test]
    fn environment_selects_one_mode() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert_eq!(
            TlsOptions::from_lookup(env(&[])).expect("ok"),
            TlsOptions::default()
        );
        assert_eq!(
            TlsOptions::from_lookup(env(&[(ENV_CA_FILE, "/etc/ca.pem")])).expect("ok"),
            TlsOptions::Verified {
                ca_file: Some("/etc/ca.pem".into())
            }
        );
        assert_eq!(
            TlsOptions::from_lookup(env(&[(ENV_INSECURE, "true")])).expect("ok"),
            TlsOptions::Insecure
        );
        assert_eq!(
            TlsOptions::from_lookup(env(&[(ENV_INSECURE, "false")])).expect("ok"),
            TlsOptions::default()
        );
        assert!(matches!(
            TlsOptions::from_lookup(env(&[(ENV_PIN_SHA256, "00")])),
            Err(Error::Setup { .. })
        ));
        assert!(
            TlsOptions::from_lookup(env(&[(ENV_CA_FILE, "/x"), (ENV_INSECURE, "1")])).is_err(),
            "conflicting choices are refused, not silently resolved"
        );
    }

    #[test]
    fn unreadable_ca_file_is_a_setup_error() {
        let options = TlsOptions::Verified {
            ca_file: Some("/nonexistent/ca.pem".into()),
        };
        assert!(matches!(options.client_config(), Err(Error::Setup { .. })));
    }
}
