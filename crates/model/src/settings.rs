//! The operator's policy settings, validated: where managed rules go and what they carry.
//!
//! Connection details (URL, key, TLS) belong to the binary's configuration; this struct holds
//! only what decides the *content* of the rulebase, so the planner can be tested with it alone.
//! Build it with [`Settings::new`] plus the `with_*` methods: every value is checked once here
//! and trusted downstream.

use crate::ids::InstanceId;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// PAN-OS refuses object names longer than this.
pub const MAX_PANOS_NAME: usize = 63;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// The VM-Series instance (`igwId` in the original). Routes to it or its ENIs mark a subnet
    /// as behind the firewall; its own ENIs are never destinations.
    pub firewall_instance_id: InstanceId,
    /// Extra route targets that also mean "through the firewall": ENI ids, GWLB endpoint ids.
    pub extra_route_targets: Vec<String>,
    /// Gateway Load Balancer endpoint services (`vpce-svc-…`) whose endpoints lead to the
    /// firewall (`PALOSYNC_GWLB_SERVICES`): a route to any endpoint of one of them means
    /// "through the firewall".
    #[serde(default)]
    pub gwlb_services: Vec<String>,
    /// Managed rules sit directly above this rule (`pa_bottom_rule`).
    pub bottom_rule: String,
    /// Source zone of managed rules (`pa_zone_untrust`).
    pub untrust_zone: String,
    /// Destination zone of managed rules (`pa_zone_trust`).
    pub trust_zone: String,
    /// Security profile group set on managed rules (`pa_sgp`); none when empty.
    pub profile_group: Option<String>,
    /// Tag on every managed rule and service object.
    pub managed_tag: String,
    /// Map well-known ports to App-IDs with `application-default`, as the original did.
    pub app_id: bool,
    /// CIDRs treated as inside, besides the VPC's own blocks (peered VPCs, on-premises).
    pub internal_cidrs: Vec<IpNet>,
    /// How the policy is shaped on the device (`PALOSYNC_MODE`).
    #[serde(default)]
    pub mode: PolicyMode,
    /// Group mode: the User-ID timeout of every registered tag, in seconds
    /// (`PALOSYNC_TAG_TIMEOUT`); `None` never expires. When set, every run refreshes the
    /// registrations it wants, so a palosync that stopped running fails closed.
    #[serde(default)]
    pub registration_timeout: Option<u32>,
}

/// The two shapes of the same policy (see DESIGN.md, "Two modes of the same policy").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyMode {
    /// One rule per destination address and application/service (the original's model).
    #[default]
    Addresses,
    /// One rule per security-group permission, destination a dynamic address group whose
    /// members are registered through the User-ID API.
    Groups,
}

impl PolicyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyMode::Addresses => "addresses",
            PolicyMode::Groups => "groups",
        }
    }
}

/// User-ID limit on a tag timeout: 30 days.
pub const MAX_REGISTRATION_TIMEOUT: u32 = 2_592_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{setting} must not be empty")]
    Empty { setting: &'static str },
    #[error("{setting} {value:?} is longer than the firewall's {MAX_PANOS_NAME} characters")]
    TooLong {
        setting: &'static str,
        value: String,
    },
    #[error("{setting} {value} is over the limit of {limit}")]
    OutOfRange {
        setting: &'static str,
        value: String,
        limit: String,
    },
    #[error(
        "{setting} {value:?} is not an endpoint service id (vpce-svc-…) nor a service name \
         (com.amazonaws.vpce.<region>.vpce-svc-…)"
    )]
    NotAnEndpointService {
        setting: &'static str,
        value: String,
    },
    #[error("{setting} {value:?} is not an instance id (i-…)")]
    NotAnInstanceId {
        setting: &'static str,
        value: String,
    },
}

impl Settings {
    /// Settings with the required values and the documented defaults for the rest
    /// (managed tag `palosync`, App-IDs on, no profile group, no extra targets).
    pub fn new(
        firewall_instance_id: &str,
        bottom_rule: &str,
        untrust_zone: &str,
        trust_zone: &str,
    ) -> Result<Self, SettingsError> {
        if !InstanceId::looks_like(firewall_instance_id) {
            return Err(SettingsError::NotAnInstanceId {
                setting: "FIREWALL_INSTANCE_ID",
                value: firewall_instance_id.to_owned(),
            });
        }
        Ok(Self {
            firewall_instance_id: InstanceId::new(firewall_instance_id),
            extra_route_targets: Vec::new(),
            gwlb_services: Vec::new(),
            bottom_rule: panos_name("PANOS_BOTTOM_RULE", bottom_rule)?,
            untrust_zone: panos_name("PANOS_UNTRUST_ZONE", untrust_zone)?,
            trust_zone: panos_name("PANOS_TRUST_ZONE", trust_zone)?,
            profile_group: None,
            managed_tag: "palosync".to_owned(),
            app_id: true,
            internal_cidrs: Vec::new(),
            mode: PolicyMode::Addresses,
            registration_timeout: None,
        })
    }

    pub fn with_profile_group(mut self, group: Option<&str>) -> Result<Self, SettingsError> {
        self.profile_group = match group.map(str::trim) {
            None | Some("") => None,
            Some(name) => Some(panos_name("PANOS_PROFILE_GROUP", name)?),
        };
        Ok(self)
    }

    pub fn with_managed_tag(mut self, tag: &str) -> Result<Self, SettingsError> {
        // PAN-OS tag names are limited to 127 characters, but they also prefix our service
        // objects' descriptions; the object-name limit keeps both safe.
        self.managed_tag = panos_name("PANOS_MANAGED_TAG", tag)?;
        Ok(self)
    }

    pub fn with_app_id(mut self, enabled: bool) -> Self {
        self.app_id = enabled;
        self
    }

    pub fn with_internal_cidrs(mut self, cidrs: Vec<IpNet>) -> Self {
        self.internal_cidrs = cidrs.into_iter().map(|c| c.trunc()).collect();
        self
    }

    pub fn with_mode(mut self, mode: PolicyMode) -> Self {
        self.mode = mode;
        self
    }

    /// `None` or `Some(0)`: registrations never expire.
    pub fn with_registration_timeout(
        mut self,
        seconds: Option<u32>,
    ) -> Result<Self, SettingsError> {
        self.registration_timeout = match seconds {
            None | Some(0) => None,
            Some(s) if s > MAX_REGISTRATION_TIMEOUT => {
                return Err(SettingsError::OutOfRange {
                    setting: "PALOSYNC_TAG_TIMEOUT",
                    value: s.to_string(),
                    limit: MAX_REGISTRATION_TIMEOUT.to_string(),
                });
            }
            Some(s) => Some(s),
        };
        Ok(self)
    }

    /// The registered tag (and the dynamic address group's name and filter tag) for a
    /// security group or instance id: `<managed_tag>.<id>`, in palosync's namespace.
    pub fn member_tag(&self, id: &str) -> String {
        format!("{}{id}", self.member_tag_prefix())
    }

    /// Every tag palosync registers starts with this; nothing else is ever unregistered.
    pub fn member_tag_prefix(&self) -> String {
        format!("{}.", self.managed_tag)
    }

    pub fn with_extra_route_targets(mut self, targets: Vec<String>) -> Result<Self, SettingsError> {
        for target in &targets {
            if target.trim().is_empty() {
                return Err(SettingsError::Empty {
                    setting: "FIREWALL_ROUTE_TARGETS",
                });
            }
        }
        self.extra_route_targets = targets.into_iter().map(|t| t.trim().to_owned()).collect();
        Ok(self)
    }

    /// Endpoint service ids (`vpce-svc-…`) or full service names, kept as ids, each once.
    pub fn with_gwlb_services(mut self, services: Vec<String>) -> Result<Self, SettingsError> {
        let mut ids: Vec<String> = Vec::with_capacity(services.len());
        for service in &services {
            let id = crate::endpoint::service_id(service).ok_or_else(|| {
                SettingsError::NotAnEndpointService {
                    setting: "PALOSYNC_GWLB_SERVICES",
                    value: service.clone(),
                }
            })?;
            if !ids.iter().any(|known| known == id) {
                ids.push(id.to_owned());
            }
        }
        self.gwlb_services = ids;
        Ok(self)
    }
}

fn panos_name(setting: &'static str, value: &str) -> Result<String, SettingsError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(SettingsError::Empty { setting });
    }
    if value.chars().count() > MAX_PANOS_NAME {
        return Err(SettingsError::TooLong {
            setting,
            value: value.to_owned(),
        });
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_design() {
        let s = Settings::new("i-0fw", "Clean up", "untrust", "trust").unwrap();
        assert_eq!(s.managed_tag, "palosync");
        assert!(s.app_id);
        assert_eq!(s.profile_group, None);
    }

    #[test]
    fn errors_name_the_setting() {
        let err = Settings::new("fw", "Clean up", "untrust", "trust").unwrap_err();
        assert_eq!(
            err.to_string(),
            "FIREWALL_INSTANCE_ID \"fw\" is not an instance id (i-…)"
        );
        let err = Settings::new("i-1", " ", "untrust", "trust").unwrap_err();
        assert_eq!(err.to_string(), "PANOS_BOTTOM_RULE must not be empty");
        let long = "x".repeat(64);
        assert!(matches!(
            Settings::new("i-1", &long, "u", "t"),
            Err(SettingsError::TooLong { .. })
        ));
    }

    #[test]
    fn gwlb_services_are_kept_as_ids_once() {
        let s = Settings::new("i-1", "b", "u", "t")
            .unwrap()
            .with_gwlb_services(vec![
                "vpce-svc-0abc".into(),
                "com.amazonaws.vpce.us-east-1.vpce-svc-0abc".into(),
                "vpce-svc-0def".into(),
            ])
            .unwrap();
        assert_eq!(s.gwlb_services, ["vpce-svc-0abc", "vpce-svc-0def"]);
        let err = Settings::new("i-1", "b", "u", "t")
            .unwrap()
            .with_gwlb_services(vec!["vpce-0abc".into()])
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("PALOSYNC_GWLB_SERVICES \"vpce-0abc\"")
        );
    }

    #[test]
    fn empty_profile_group_means_none() {
        let s = Settings::new("i-1", "b", "u", "t")
            .unwrap()
            .with_profile_group(Some(""))
            .unwrap();
        assert_eq!(s.profile_group, None);
    }
}
