//! What palosync writes to (`PANOS_TARGET`): one firewall (`PANOS_URL`, the default), a
//! fleet of standalone firewalls that share one key, admin, zones and TLS trust, listed
//! (`PANOS_URLS`) or discovered from EC2 on every run (`PANOS_FLEET_TAG`, `PANOS_FLEET_ASG`),
//! or one device group of a Panorama at `PANOS_URL` (`PANORAMA_DEVICE_GROUP`,
//! `PANORAMA_RULEBASE`).
//!
//! Every combination that cannot mean one thing is refused here, naming the variables, so
//! nothing downstream has to guess which firewall a setting was meant for.

use super::{ConfigError, RawSettings, required};
use aws::{FleetQuery, FleetSelector};
use panos::RulebaseSide;

/// The validated `PANOS_TARGET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One standalone firewall at this URL.
    Firewall { url: String },
    /// Several standalone firewalls, each reconciled and committed on its own.
    Fleet(Fleet),
    /// One device group of the Panorama at this URL, pushed to its firewalls.
    Panorama {
        url: String,
        device_group: String,
        rulebase: RulebaseSide,
    },
}

/// Where a fleet's firewalls come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fleet {
    /// `PANOS_URLS`: fixed, in the order given.
    Urls(Vec<String>),
    /// `PANOS_FLEET_TAG` or `PANOS_FLEET_ASG`: the running instances, read on every run.
    Discovered(FleetQuery),
}

/// Settings that only mean something for a fleet.
const FLEET_ONLY: [&str; 4] = [
    "PANOS_URLS",
    "PANOS_FLEET_TAG",
    "PANOS_FLEET_ASG",
    "PANOS_FLEET_MGMT_DEVICE_INDEX",
];

pub(super) fn target(raw: &RawSettings) -> Result<Target, ConfigError> {
    let kind = raw
        .panos_target
        .as_deref()
        .map(|t| t.trim().to_ascii_lowercase());
    match kind.as_deref() {
        None | Some("firewall") | Some("fleet") => {
            if let Some((variable, value)) = panorama_settings(raw).into_iter().next() {
                return Err(ConfigError::Invalid {
                    variable,
                    value: value.to_owned(),
                    why: "a Panorama setting, but PANOS_TARGET is not panorama".into(),
                });
            }
        }
        Some(_) => {}
    }
    match kind.as_deref() {
        None | Some("firewall") => {
            if let Some((variable, value)) = fleet_settings(raw).into_iter().next() {
                return Err(ConfigError::Invalid {
                    variable,
                    value: value.to_owned(),
                    why: "a fleet setting, but PANOS_TARGET is firewall (the default): set \
                          PANOS_TARGET=fleet, or PANOS_URL alone for one firewall"
                        .into(),
                });
            }
            Ok(Target::Firewall {
                url: firewall_url(
                    &raw.panos_url,
                    "PANOS_URL",
                    "the firewall's management address (pa_ip)",
                )?,
            })
        }
        Some("fleet") => fleet(raw).map(Target::Fleet),
        Some("panorama") => panorama(raw),
        Some(_) => Err(ConfigError::Invalid {
            variable: "PANOS_TARGET",
            value: raw.panos_target.clone().unwrap_or_default(),
            why: "expected firewall (the default), fleet or panorama".into(),
        }),
    }
}

fn panorama_settings(raw: &RawSettings) -> Vec<(&'static str, &str)> {
    [
        ("PANORAMA_DEVICE_GROUP", &raw.panorama_device_group),
        ("PANORAMA_RULEBASE", &raw.panorama_rulebase),
    ]
    .into_iter()
    .filter_map(|(variable, value)| value.as_deref().map(|v| (variable, v)))
    .collect()
}

fn panorama(raw: &RawSettings) -> Result<Target, ConfigError> {
    if let Some((variable, value)) = fleet_settings(raw).into_iter().next() {
        return Err(ConfigError::Invalid {
            variable,
            value: value.to_owned(),
            why: "a fleet setting, but PANOS_TARGET is panorama: Panorama pushes to the device \
                  group's firewalls itself"
                .into(),
        });
    }
    let url = firewall_url(&raw.panos_url, "PANOS_URL", "Panorama's management address")?;
    let device_group = required(
        &raw.panorama_device_group,
        "PANORAMA_DEVICE_GROUP",
        "the device group whose rulebase palosync keeps and pushes",
    )?
    .to_owned();
    let rulebase = match raw
        .panorama_rulebase
        .as_deref()
        .map(|r| r.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("pre") => RulebaseSide::Pre,
        Some("post") => RulebaseSide::Post,
        Some(_) => {
            return Err(ConfigError::Invalid {
                variable: "PANORAMA_RULEBASE",
                value: raw.panorama_rulebase.clone().unwrap_or_default(),
                why: "expected pre (the default: before the firewalls' local rules) or post".into(),
            });
        }
    };
    Ok(Target::Panorama {
        url,
        device_group,
        rulebase,
    })
}

fn fleet_settings(raw: &RawSettings) -> Vec<(&'static str, &str)> {
    let values = [
        &raw.panos_urls,
        &raw.panos_fleet_tag,
        &raw.panos_fleet_asg,
        &raw.panos_fleet_mgmt_device_index,
    ];
    FLEET_ONLY
        .into_iter()
        .zip(values)
        .filter_map(|(variable, value)| value.as_deref().map(|v| (variable, v)))
        .collect()
}

fn fleet(raw: &RawSettings) -> Result<Fleet, ConfigError> {
    if raw.panos_url.is_some() {
        return Err(ConfigError::Conflict {
            first: "PANOS_URL",
            second: "PANOS_TARGET=fleet",
            why: "PANOS_URL names one firewall; a fleet's come from PANOS_URLS, PANOS_FLEET_TAG \
                  or PANOS_FLEET_ASG",
        });
    }
    if raw.panos_cert_fingerprint.is_some() {
        return Err(ConfigError::Conflict {
            first: "PANOS_CERT_FINGERPRINT",
            second: "PANOS_TARGET=fleet",
            why: "a fingerprint pins one device's certificate and every firewall of a fleet has \
                  its own: trust the CA that signed them with PANOS_CA_FILE",
        });
    }
    let sources: Vec<&'static str> = fleet_settings(raw)
        .into_iter()
        .map(|(variable, _)| variable)
        .filter(|variable| *variable != "PANOS_FLEET_MGMT_DEVICE_INDEX")
        .collect();
    match sources.as_slice() {
        [] => Err(ConfigError::Missing {
            variable: "PANOS_URLS",
            why: "a fleet's firewalls are listed (PANOS_URLS) or discovered from EC2 by tag \
                  (PANOS_FLEET_TAG=Key=Value) or Auto Scaling group (PANOS_FLEET_ASG)",
        }),
        ["PANOS_URLS"] => {
            if raw.panos_fleet_mgmt_device_index.is_some() {
                return Err(ConfigError::Conflict {
                    first: "PANOS_FLEET_MGMT_DEVICE_INDEX",
                    second: "PANOS_URLS",
                    why: "the management interface is looked up only for discovered firewalls",
                });
            }
            urls(raw).map(Fleet::Urls)
        }
        [source] => {
            let selector = if *source == "PANOS_FLEET_TAG" {
                tag(raw.panos_fleet_tag.as_deref().unwrap_or_default())?
            } else {
                FleetSelector::AutoScalingGroup(
                    required(&raw.panos_fleet_asg, "PANOS_FLEET_ASG", "the group's name")?
                        .to_owned(),
                )
            };
            Ok(Fleet::Discovered(FleetQuery {
                selector,
                device_index: device_index(&raw.panos_fleet_mgmt_device_index)?,
            }))
        }
        [first, second, ..] => Err(ConfigError::Conflict {
            first,
            second,
            why: "a fleet's firewalls come from exactly one of PANOS_URLS, PANOS_FLEET_TAG and \
                  PANOS_FLEET_ASG",
        }),
    }
}

fn urls(raw: &RawSettings) -> Result<Vec<String>, ConfigError> {
    let listed = raw.panos_urls.as_deref().unwrap_or_default();
    let mut urls: Vec<String> = Vec::new();
    for item in listed.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let url = firewall_url(
            &Some(item.to_owned()),
            "PANOS_URLS",
            "the fleet's management addresses, comma-separated",
        )?;
        if urls.contains(&url) {
            return Err(ConfigError::Invalid {
                variable: "PANOS_URLS",
                value: listed.to_owned(),
                why: format!("{url} is listed twice: each firewall would be written twice"),
            });
        }
        urls.push(url);
    }
    if urls.is_empty() {
        return Err(ConfigError::Invalid {
            variable: "PANOS_URLS",
            value: listed.to_owned(),
            why: "expected at least one firewall URL".into(),
        });
    }
    Ok(urls)
}

fn tag(text: &str) -> Result<FleetSelector, ConfigError> {
    let invalid = |why: &str| ConfigError::Invalid {
        variable: "PANOS_FLEET_TAG",
        value: text.to_owned(),
        why: why.to_owned(),
    };
    let (key, value) = text.split_once('=').ok_or_else(|| {
        invalid("expected Key=Value (the tag every firewall of the fleet carries)")
    })?;
    let (key, value) = (key.trim(), value.trim());
    if key.is_empty() {
        return Err(invalid("the tag key is empty"));
    }
    Ok(FleetSelector::Tag {
        key: key.to_owned(),
        value: value.to_owned(),
    })
}

fn device_index(value: &Option<String>) -> Result<i32, ConfigError> {
    let Some(text) = value else {
        return Ok(0);
    };
    text.trim()
        .parse::<u8>()
        .map(i32::from)
        .map_err(|err| ConfigError::Invalid {
            variable: "PANOS_FLEET_MGMT_DEVICE_INDEX",
            value: text.clone(),
            why: format!(
                "expected the management interface's device index, 0 or 1 on a VM-Series ({err})"
            ),
        })
}

/// A management URL: `https://host[:port]`; a bare host means HTTPS, `http://` only when
/// written so (the simulator).
pub(super) fn firewall_url(
    value: &Option<String>,
    variable: &'static str,
    why: &'static str,
) -> Result<String, ConfigError> {
    let url = required(value, variable, why)?;
    let invalid = |why: &str| ConfigError::Invalid {
        variable,
        value: url.to_owned(),
        why: why.to_owned(),
    };
    // A bare host or address (the original's pa_ip) means HTTPS; plain HTTP only when written.
    let url = if url.contains("://") {
        url.to_owned()
    } else {
        format!("https://{url}")
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| invalid("the scheme must be https:// (or http:// for the simulator)"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(invalid("no host"));
    }
    if rest.contains(['?', '#', '@']) {
        return Err(invalid(
            "only scheme, host and port are allowed (no credentials, query or path)",
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}
