//! XPaths into the PAN-OS configuration tree, and the locations palosync manages rules in.
//!
//! An [`XPath`] is built step by step: element steps are `&'static str` chosen by code, and every
//! name that comes from input (rule, vsys, device group) goes through [`xpath_literal`]. This
//! module must never paste a name into a path unquoted.

use std::fmt;

/// An absolute XPath into the configuration, e.g.
/// `/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct XPath(String);

impl XPath {
    /// `/config`.
    pub fn config() -> Self {
        Self("/config".to_owned())
    }

    /// Appends an element step chosen by code, e.g. `rulebase`.
    #[must_use]
    pub fn child(mut self, step: &'static str) -> Self {
        debug_assert!(
            !step.is_empty()
                && step
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "xpath steps are fixed element names"
        );
        self.0.push('/');
        self.0.push_str(step);
        self
    }

    /// Appends `/entry[@name=<literal>]` for an entry named by input.
    #[must_use]
    pub fn entry(mut self, name: &str) -> Self {
        self.0.push_str("/entry[@name=");
        self.0.push_str(&xpath_literal(name));
        self.0.push(']');
        self
    }

    /// Appends `/<step>/member[text()=<literal>]` to address one member of a list.
    #[must_use]
    pub fn member(mut self, list: &'static str, value: &str) -> Self {
        self = self.child(list);
        self.0.push_str("/member[text()=");
        self.0.push_str(&xpath_literal(value));
        self.0.push(']');
        self
    }

    /// The path as sent in the `xpath` parameter.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for XPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Quotes `value` as an XPath 1.0 string literal: `'v'`, or `"v"` when it holds `'`, or
/// `concat('a',"'",'b')` when it holds both quote kinds (as pan-os-python does).
pub fn xpath_literal(value: &str) -> String {
    if !value.contains('\'') {
        return format!("'{value}'");
    }
    if !value.contains('"') {
        return format!("\"{value}\"");
    }
    let parts: Vec<String> = value.split('\'').map(|p| format!("'{p}'")).collect();
    format!("concat({})", parts.join(",\"'\","))
}

/// Pre- or post-rulebase on Panorama.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RulebaseSide {
    /// Evaluated before the firewall's local rules.
    Pre,
    /// Evaluated after the firewall's local rules.
    Post,
}

/// Where rules and objects live: a firewall vsys, a Panorama device group, or Panorama shared.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Location {
    /// Firewall virtual system (`vsys1` on single-vsys devices).
    Vsys {
        /// vsys name.
        vsys: String,
    },
    /// Panorama device group, pre or post rulebase.
    DeviceGroup {
        /// Device group name.
        device_group: String,
        /// Which rulebase.
        side: RulebaseSide,
    },
    /// Panorama shared, pre or post rulebase.
    PanoramaShared {
        /// Which rulebase.
        side: RulebaseSide,
    },
}

/// Kinds of objects with their own container under a location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// `address`
    Address,
    /// `address-group`
    AddressGroup,
    /// `service`
    Service,
    /// `service-group`
    ServiceGroup,
    /// `tag`
    Tag,
}

impl ObjectKind {
    fn step(self) -> &'static str {
        match self {
            Self::Address => "address",
            Self::AddressGroup => "address-group",
            Self::Service => "service",
            Self::ServiceGroup => "service-group",
            Self::Tag => "tag",
        }
    }
}

impl Location {
    /// A firewall vsys.
    pub fn vsys(vsys: impl Into<String>) -> Self {
        Self::Vsys { vsys: vsys.into() }
    }

    /// A Panorama device group's pre- or post-rulebase.
    pub fn panorama_device_group(device_group: impl Into<String>, side: RulebaseSide) -> Self {
        Self::DeviceGroup {
            device_group: device_group.into(),
            side,
        }
    }

    /// Panorama shared pre- or post-rulebase.
    pub fn panorama_shared(side: RulebaseSide) -> Self {
        Self::PanoramaShared { side }
    }

    /// The container of this location's objects and rulebases.
    pub fn base(&self) -> XPath {
        let device = XPath::config()
            .child("devices")
            .entry("localhost.localdomain");
        match self {
            Self::Vsys { vsys } => device.child("vsys").entry(vsys),
            Self::DeviceGroup { device_group, .. } => {
                device.child("device-group").entry(device_group)
            }
            Self::PanoramaShared { .. } => XPath::config().child("shared"),
        }
    }

    /// The security rules container (`…/rulebase/security/rules` or `…/pre-rulebase/…`).
    pub fn security_rules(&self) -> XPath {
        let rulebase = match self {
            Self::Vsys { .. } => "rulebase",
            Self::DeviceGroup { side, .. } | Self::PanoramaShared { side } => match side {
                RulebaseSide::Pre => "pre-rulebase",
                RulebaseSide::Post => "post-rulebase",
            },
        };
        self.base().child(rulebase).child("security").child("rules")
    }

    /// One security rule.
    pub fn security_rule(&self, name: &str) -> XPath {
        self.security_rules().entry(name)
    }

    /// The container of one object kind.
    pub fn objects(&self, kind: ObjectKind) -> XPath {
        self.base().child(kind.step())
    }

    /// The `vsys` parameter for op commands scoped to this location, if any.
    pub fn vsys_name(&self) -> Option<&str> {
        match self {
            Self::Vsys { vsys } => Some(vsys),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: &str =
        "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']";

    #[test]
    fn literals_use_the_right_quotes() {
        assert_eq!(xpath_literal("web"), "'web'");
        assert_eq!(xpath_literal("bob's rule"), "\"bob's rule\"");
        assert_eq!(xpath_literal(r#"a'b"c"#), r#"concat('a',"'",'b"c')"#);
        assert_eq!(xpath_literal(r#"'x""#), r#"concat('',"'",'x"')"#);
        assert_eq!(xpath_literal(""), "''");
    }

    #[test]
    fn vsys_paths_match_the_reference() {
        let loc = Location::vsys("vsys1");
        assert_eq!(loc.base().as_str(), V);
        assert_eq!(
            loc.security_rule("allow-web").as_str(),
            format!("{V}/rulebase/security/rules/entry[@name='allow-web']")
        );
        assert_eq!(
            loc.objects(ObjectKind::Service).as_str(),
            format!("{V}/service")
        );
        assert_eq!(loc.vsys_name(), Some("vsys1"));
    }

    #[test]
    fn panorama_paths_match_the_reference() {
        let dg = Location::panorama_device_group("dg1", RulebaseSide::Pre);
        assert_eq!(
            dg.security_rules().as_str(),
            "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='dg1']/pre-rulebase/security/rules"
        );
        let shared = Location::panorama_shared(RulebaseSide::Post);
        assert_eq!(
            shared.security_rules().as_str(),
            "/config/shared/post-rulebase/security/rules"
        );
        assert_eq!(
            shared.objects(ObjectKind::Tag).as_str(),
            "/config/shared/tag"
        );
        assert_eq!(shared.vsys_name(), None);
    }

    #[test]
    fn hostile_names_stay_inside_their_literal() {
        let path = Location::vsys("vsys1").security_rule("x'] | /config/shared[@a='");
        assert!(
            path.as_str()
                .ends_with(r#"/entry[@name="x'] | /config/shared[@a='"]"#)
        );
        let member = XPath::config().member("tag", "t'1");
        assert_eq!(member.as_str(), r#"/config/tag/member[text()="t'1"]"#);
    }
}
