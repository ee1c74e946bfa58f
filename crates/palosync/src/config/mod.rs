//! Configuration in two stages, as ripgrep does it: [`RawSettings`] collects strings from flags,
//! the environment and a TOML file; [`Config::validate`] checks every value once and produces
//! the typed [`Config`] that nothing downstream second-guesses or re-reads.
//!
//! Errors name the environment variable and what is wrong with it, because that is what an
//! operator reading a failed Lambda's log can fix.

mod accounts;
mod raw;
mod target;

pub use accounts::{DEFAULT_MEMBER_ROLE, ServedAccount};
pub use raw::{RawSettings, VARIABLES};
pub use target::{Fleet, Target};

use ipnet::IpNet;
use model::settings::MAX_PANOS_NAME;
use model::{InstanceId, PolicyMode, Settings, SettingsError};
use std::fmt;
use std::path::PathBuf;

/// The validated configuration of one palosync run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// One firewall, or a fleet (`PANOS_TARGET`).
    pub target: Target,
    /// What every firewall of the target shares: key, admin, vsys, TLS trust.
    pub firewall: FirewallConfig,
    pub policy: Settings,
    /// Plan and report, change nothing.
    pub dry_run: bool,
    /// The deployment's own region and account: events for others are skipped (`None`
    /// accepts any), unless `accounts` lists them.
    pub region: Option<String>,
    pub account: Option<String>,
    /// The accounts and regions served (`PALOSYNC_ACCOUNTS`); empty: only the own ones.
    pub accounts: Vec<ServedAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirewallConfig {
    pub api_key: ApiKeySource,
    /// The administrator the key belongs to; commits are partial, scoped to it.
    pub admin: Option<String>,
    /// Commit everyone's pending changes (explicit opt-in only).
    pub full_commit: bool,
    pub vsys: String,
    pub tls: TlsChoice,
    /// The device's security-rule capacity (`PANOS_MAX_RULES`); `None`: derived from
    /// `show system info` where the model says it (see [`crate::capacity`]).
    pub max_rules: Option<usize>,
}

/// Where the API key comes from. The inline key never appears in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub enum ApiKeySource {
    Inline(String),
    SecretsManager(String),
    SsmParameter(String),
}

impl fmt::Debug for ApiKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiKeySource::Inline(_) => f.write_str("Inline(<redacted>)"),
            ApiKeySource::SecretsManager(id) => write!(f, "SecretsManager({id:?})"),
            ApiKeySource::SsmParameter(name) => write!(f, "SsmParameter({name:?})"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsChoice {
    /// The system's roots, plus a private CA when given.
    Verified { ca_file: Option<PathBuf> },
    /// Trust exactly the certificate with this SHA-256 fingerprint (lowercase hex, no colons).
    Pinned { sha256: String },
    /// No verification at all; logged as a warning on every run.
    Insecure,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{variable} is required: {why}")]
    Missing {
        variable: &'static str,
        why: &'static str,
    },
    #[error("{variable}={value:?} is invalid: {why}")]
    Invalid {
        variable: &'static str,
        value: String,
        why: String,
    },
    #[error("{first} and {second} are both set: {why}")]
    Conflict {
        first: &'static str,
        second: &'static str,
        why: &'static str,
    },
    #[error(transparent)]
    Policy(#[from] SettingsError),
}

/// What a command does, which decides the settings it asks for (docs/configuration.md has the
/// table): no command asks for a setting it does not use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Reads the firewall and never writes or commits (`plan`, `--dry-run`): no `PANOS_ADMIN`.
    ReadOnly,
    /// Writes and commits (`sync`, `handle`, the Lambda, `check`, which verifies the admin).
    Write,
}

/// The settings `palosync snapshot` reads: which instance is the firewall and what else counts
/// as a route through it. Nothing of PAN-OS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotConfig {
    pub firewall_instance_id: InstanceId,
    pub extra_route_targets: Vec<String>,
}

impl SnapshotConfig {
    pub fn validate(raw: &RawSettings) -> Result<Self, ConfigError> {
        let id = required(
            &raw.firewall_instance_id,
            "FIREWALL_INSTANCE_ID",
            "the VM-Series instance id (igwId): routes to it decide what is behind the firewall",
        )?;
        if !InstanceId::looks_like(id) {
            return Err(ConfigError::Invalid {
                variable: "FIREWALL_INSTANCE_ID",
                value: id.to_owned(),
                why: "not an instance id (i-…)".into(),
            });
        }
        Ok(Self {
            firewall_instance_id: InstanceId::new(id),
            extra_route_targets: list(&raw.firewall_route_targets),
        })
    }
}

impl Config {
    /// Every account and region served, in configuration order; empty when only the own.
    pub fn served(&self) -> Vec<model::AccountRegion> {
        self.accounts
            .iter()
            .flat_map(ServedAccount::served)
            .collect()
    }

    /// What the AWS inventory needs to know of the policy to decide scope.
    pub fn scope_options(&self) -> aws::ScopeOptions {
        aws::ScopeOptions {
            firewall_instance_id: Some(self.policy.firewall_instance_id.clone()),
            extra_route_targets: self.policy.extra_route_targets.clone(),
        }
    }

    /// Every setting a writing command needs.
    pub fn validate(raw: &RawSettings) -> Result<Config, ConfigError> {
        Self::validate_for(raw, Needs::Write)
    }

    pub fn validate_for(raw: &RawSettings, needs: Needs) -> Result<Config, ConfigError> {
        let policy = Settings::new(
            required(
                &raw.firewall_instance_id,
                "FIREWALL_INSTANCE_ID",
                "the VM-Series instance id (igwId)",
            )?,
            required(
                &raw.panos_bottom_rule,
                "PANOS_BOTTOM_RULE",
                "managed rules go directly above this rule",
            )?,
            required(
                &raw.panos_untrust_zone,
                "PANOS_UNTRUST_ZONE",
                "the source zone of managed rules",
            )?,
            required(
                &raw.panos_trust_zone,
                "PANOS_TRUST_ZONE",
                "the destination zone of managed rules",
            )?,
        )?
        .with_profile_group(raw.panos_profile_group.as_deref())?
        .with_managed_tag(raw.panos_managed_tag.as_deref().unwrap_or("palosync"))?
        .with_app_id(flag(&raw.panos_app_id, "PANOS_APP_ID", true)?)
        .with_internal_cidrs(cidrs(&raw.internal_cidrs, "INTERNAL_CIDRS")?)
        .with_extra_route_targets(list(&raw.firewall_route_targets))?
        .with_gwlb_services(list(&raw.palosync_gwlb_services))?
        .with_mode(mode(&raw.palosync_mode)?)
        .with_registration_timeout(number(&raw.palosync_tag_timeout, "PALOSYNC_TAG_TIMEOUT")?)?;
        if policy.mode == PolicyMode::Groups {
            // A dynamic address group is named `<tag>.<sg-id>`; sg ids are at most 20 characters.
            let longest = policy.member_tag("sg-0123456789abcdef0").len();
            if longest > MAX_PANOS_NAME {
                return Err(ConfigError::Invalid {
                    variable: "PANOS_MANAGED_TAG",
                    value: policy.managed_tag.clone(),
                    why: format!(
                        "in group mode address groups are named <tag>.<group-id>, which must fit \
                         the firewall's {MAX_PANOS_NAME} characters: use at most {} characters",
                        MAX_PANOS_NAME - (longest - policy.managed_tag.len())
                    ),
                });
            }
        }

        let target = target::target(raw)?;
        let firewall = FirewallConfig {
            api_key: api_key_source(raw)?,
            admin: raw.panos_admin.as_ref().map(|a| a.trim().to_owned()),
            full_commit: flag(&raw.panos_full_commit, "PANOS_FULL_COMMIT", false)?,
            vsys: vsys(&raw.panos_vsys)?,
            tls: tls_choice(raw)?,
            max_rules: number(&raw.panos_max_rules, "PANOS_MAX_RULES")?
                .map(|n: u32| n as usize)
                .filter(|n| *n > 0),
        };
        if needs == Needs::Write && firewall.admin.is_none() && !firewall.full_commit {
            return Err(ConfigError::Missing {
                variable: "PANOS_ADMIN",
                why: "commits are scoped to palosync's own administrator so other admins' \
                      pending edits are never pushed (or set PANOS_FULL_COMMIT=true explicitly)",
            });
        }

        Ok(Config {
            target,
            firewall,
            policy,
            dry_run: flag(&raw.dry_run, "DRY_RUN", false)?,
            region: raw.aws_region.clone(),
            account: raw.aws_account_id.clone(),
            accounts: accounts::served_accounts(
                raw.palosync_accounts.as_deref(),
                raw.palosync_member_role.as_deref(),
                raw.aws_account_id.as_deref().map(str::trim),
            )?,
        })
    }
}

fn required<'a>(
    value: &'a Option<String>,
    variable: &'static str,
    why: &'static str,
) -> Result<&'a str, ConfigError> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(ConfigError::Missing { variable, why })
}

fn flag(
    value: &Option<String>,
    variable: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid {
            variable,
            value: value.clone(),
            why: "expected true or false".into(),
        }),
    }
}

fn mode(value: &Option<String>) -> Result<PolicyMode, ConfigError> {
    let Some(value) = value else {
        return Ok(PolicyMode::Addresses);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "addresses" | "address" => Ok(PolicyMode::Addresses),
        "groups" | "group" => Ok(PolicyMode::Groups),
        _ => Err(ConfigError::Invalid {
            variable: "PALOSYNC_MODE",
            value: value.clone(),
            why: "expected addresses (one rule per address and service) or groups (one rule per \
                  security-group permission, members through dynamic address groups)"
                .into(),
        }),
    }
}

fn number(value: &Option<String>, variable: &'static str) -> Result<Option<u32>, ConfigError> {
    value
        .as_deref()
        .map(|v| {
            v.trim().parse::<u32>().map_err(|err| ConfigError::Invalid {
                variable,
                value: v.to_owned(),
                why: format!("expected a whole number ({err})"),
            })
        })
        .transpose()
}

fn list(value: &Option<String>) -> Vec<String> {
    value
        .iter()
        .flat_map(|v| v.split([',', ' ', '\n']))
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

fn cidrs(value: &Option<String>, variable: &'static str) -> Result<Vec<IpNet>, ConfigError> {
    list(value)
        .into_iter()
        .map(|item| {
            item.parse::<IpNet>().map_err(|err| ConfigError::Invalid {
                variable,
                value: item.clone(),
                why: format!("not a CIDR block ({err})"),
            })
        })
        .collect()
}

fn api_key_source(raw: &RawSettings) -> Result<ApiKeySource, ConfigError> {
    let sources = [
        ("PANOS_API_KEY", &raw.panos_api_key),
        ("PANOS_API_KEY_SECRET_ID", &raw.panos_api_key_secret_id),
        ("PANOS_API_KEY_PARAMETER", &raw.panos_api_key_parameter),
    ];
    let set: Vec<(&'static str, &String)> = sources
        .iter()
        .filter_map(|(variable, value)| value.as_ref().map(|v| (*variable, v)))
        .collect();
    match set.as_slice() {
        [] => Err(ConfigError::Missing {
            variable: "PANOS_API_KEY_SECRET_ID",
            why: "the API key comes from a Secrets Manager secret, an SSM SecureString \
                  (PANOS_API_KEY_PARAMETER) or PANOS_API_KEY",
        }),
        [(variable, value)] => {
            let value = value.trim().to_owned();
            Ok(match *variable {
                "PANOS_API_KEY" => ApiKeySource::Inline(value),
                "PANOS_API_KEY_SECRET_ID" => ApiKeySource::SecretsManager(value),
                _ => ApiKeySource::SsmParameter(value),
            })
        }
        [(first, _), (second, _), ..] => Err(ConfigError::Conflict {
            first,
            second,
            why: "give the API key one way only",
        }),
    }
}

fn vsys(value: &Option<String>) -> Result<String, ConfigError> {
    let vsys = value.as_deref().map(str::trim).unwrap_or("vsys1");
    let valid = vsys
        .strip_prefix("vsys")
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    if !valid {
        return Err(ConfigError::Invalid {
            variable: "PANOS_VSYS",
            value: vsys.to_owned(),
            why: "expected vsys1, vsys2, …".into(),
        });
    }
    Ok(vsys.to_owned())
}

fn tls_choice(raw: &RawSettings) -> Result<TlsChoice, ConfigError> {
    let insecure = flag(&raw.panos_insecure_tls, "PANOS_INSECURE_TLS", false)?;
    let fingerprint = raw
        .panos_cert_fingerprint
        .as_deref()
        .map(|f| f.trim().replace(':', "").to_ascii_lowercase());
    match (insecure, fingerprint, &raw.panos_ca_file) {
        (true, Some(_), _) => Err(ConfigError::Conflict {
            first: "PANOS_INSECURE_TLS",
            second: "PANOS_CERT_FINGERPRINT",
            why: "pinning a certificate and turning verification off contradict each other",
        }),
        (true, None, Some(_)) => Err(ConfigError::Conflict {
            first: "PANOS_INSECURE_TLS",
            second: "PANOS_CA_FILE",
            why: "a CA file and turning verification off contradict each other",
        }),
        (true, None, None) => Ok(TlsChoice::Insecure),
        (false, Some(sha256), _) => {
            if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(ConfigError::Invalid {
                    variable: "PANOS_CERT_FINGERPRINT",
                    value: sha256,
                    why: "expected the certificate's SHA-256 as 64 hex digits".into(),
                });
            }
            Ok(TlsChoice::Pinned { sha256 })
        }
        (false, None, ca_file) => Ok(TlsChoice::Verified {
            ca_file: ca_file.as_ref().map(PathBuf::from),
        }),
    }
}

#[cfg(test)]
mod target_tests;
#[cfg(test)]
mod tests;
