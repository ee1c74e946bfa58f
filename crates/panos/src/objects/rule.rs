//! Security rule entries (`…/rulebase/security/rules/entry`).

use super::{ConfigEntry, EntryWriter, entry_name, text_of, unmodelled_children, yes_no};
use crate::error::Error;
use crate::xml::XmlNode;
use crate::xpath::{Location, XPath};

/// What a rule does with matching traffic.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RuleAction {
    /// `allow`
    Allow,
    /// `deny`
    Deny,
    /// `drop`
    Drop,
    /// `reset-client`
    ResetClient,
    /// `reset-server`
    ResetServer,
    /// `reset-both`
    ResetBoth,
    /// A keyword this crate does not know, kept as written.
    Other(String),
}

impl RuleAction {
    /// The PAN-OS keyword.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Allow => "allow",
            Self::Deny => "deny",
            Self::Drop => "drop",
            Self::ResetClient => "reset-client",
            Self::ResetServer => "reset-server",
            Self::ResetBoth => "reset-both",
            Self::Other(s) => s,
        }
    }

    /// Reads a PAN-OS keyword.
    pub fn from_keyword(keyword: &str) -> Self {
        match keyword.trim() {
            "allow" => Self::Allow,
            "deny" => Self::Deny,
            "drop" => Self::Drop,
            "reset-client" => Self::ResetClient,
            "reset-server" => Self::ResetServer,
            "reset-both" => Self::ResetBoth,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Whether matching traffic passes.
    pub fn allows(&self) -> bool {
        *self == Self::Allow
    }
}

/// `rule-type`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RuleType {
    /// `universal` (the default when absent)
    Universal,
    /// `intrazone`
    Intrazone,
    /// `interzone`
    Interzone,
    /// A keyword this crate does not know.
    Other(String),
}

impl RuleType {
    pub fn as_str(&self) -> &str {
        match self {
            Self::Universal => "universal",
            Self::Intrazone => "intrazone",
            Self::Interzone => "interzone",
            Self::Other(s) => s,
        }
    }

    fn from_keyword(keyword: &str) -> Self {
        match keyword {
            "universal" => Self::Universal,
            "intrazone" => Self::Intrazone,
            "interzone" => Self::Interzone,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// `profile-setting`: a profile group, or individual profiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileSetting {
    /// `<group><member>g</member></group>`
    Group(Vec<String>),
    /// `<profiles><virus><member>default</member></virus>…</profiles>`: (profile type, members).
    Profiles(Vec<(String, Vec<String>)>),
    /// Any other shape, kept verbatim.
    Other(XmlNode),
}

impl ProfileSetting {
    fn from_node(node: &XmlNode) -> Self {
        if let Some(group) = node.child("group") {
            return Self::Group(group.member_texts());
        }
        if let Some(profiles) = node.child("profiles") {
            return Self::Profiles(
                profiles
                    .children
                    .iter()
                    .map(|p| (p.name.clone(), p.member_texts()))
                    .collect(),
            );
        }
        Self::Other(node.without_dirty_marks())
    }

    fn to_node(&self) -> XmlNode {
        match self {
            Self::Group(groups) => {
                XmlNode::new("profile-setting").with_child(XmlNode::member_list("group", groups))
            }
            Self::Profiles(profiles) => {
                let mut container = XmlNode::new("profiles");
                for (kind, members) in profiles {
                    container
                        .children
                        .push(XmlNode::member_list(kind.clone(), members));
                }
                XmlNode::new("profile-setting").with_child(container)
            }
            Self::Other(node) => node.clone(),
        }
    }
}

/// A security rule. Member lists are empty when the element is absent; `Option` fields are
/// `None` when absent (PAN-OS does not fill in defaults).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityRule {
    /// Rule name (unique in the rulebase).
    pub name: String,
    /// Device-assigned uuid (9.0+); sent back on `edit` when known.
    pub uuid: Option<String>,
    /// Source zones.
    pub from: Vec<String>,
    /// Destination zones.
    pub to: Vec<String>,
    /// Source addresses (`any`, IPs, CIDRs, ranges, objects).
    pub source: Vec<String>,
    /// Destination addresses.
    pub destination: Vec<String>,
    /// Source users.
    pub source_user: Vec<String>,
    /// URL categories.
    pub category: Vec<String>,
    /// App-IDs.
    pub application: Vec<String>,
    /// Services (`any`, `application-default`, objects).
    pub service: Vec<String>,
    /// Source HIP profiles (10.0+).
    pub source_hip: Vec<String>,
    /// Destination HIP profiles (10.0+).
    pub destination_hip: Vec<String>,
    /// Negate the source match.
    pub negate_source: Option<bool>,
    /// Negate the destination match.
    pub negate_destination: Option<bool>,
    /// Allow, deny, …
    pub action: Option<RuleAction>,
    /// Send ICMP unreachable on deny.
    pub icmp_unreachable: Option<bool>,
    /// Log at session start.
    pub log_start: Option<bool>,
    /// Log at session end.
    pub log_end: Option<bool>,
    /// Disabled rules are skipped by policy evaluation.
    pub disabled: Option<bool>,
    /// Free text, at most 1024 characters.
    pub description: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Group tag (9.0+).
    pub group_tag: Option<String>,
    /// Schedule object.
    pub schedule: Option<String>,
    /// Log forwarding profile.
    pub log_setting: Option<String>,
    /// universal / intrazone / interzone.
    pub rule_type: Option<RuleType>,
    /// Security profiles.
    pub profile_setting: Option<ProfileSetting>,
    /// Children this crate does not model (`target`, `option`, `hip-profiles`, …), verbatim.
    pub other: Vec<XmlNode>,
}

const MODELLED: [&str; 24] = [
    "from",
    "to",
    "source",
    "destination",
    "source-user",
    "category",
    "application",
    "service",
    "source-hip",
    "destination-hip",
    "negate-source",
    "negate-destination",
    "action",
    "icmp-unreachable",
    "log-start",
    "log-end",
    "disabled",
    "description",
    "tag",
    "group-tag",
    "schedule",
    "log-setting",
    "rule-type",
    "profile-setting",
];

impl SecurityRule {
    /// Whether the rule is disabled (absent means enabled).
    pub fn is_disabled(&self) -> bool {
        self.disabled == Some(true)
    }
}

impl ConfigEntry for SecurityRule {
    fn container(location: &Location) -> XPath {
        location.security_rules()
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn to_entry(&self) -> XmlNode {
        let mut w = EntryWriter::new(&self.name);
        if let Some(uuid) = &self.uuid {
            w.0.attributes.push(("uuid".to_owned(), uuid.clone()));
        }
        w.members("to", &self.to);
        w.members("from", &self.from);
        w.members("source", &self.source);
        w.members("destination", &self.destination);
        w.members("source-user", &self.source_user);
        w.members("category", &self.category);
        w.members("application", &self.application);
        w.members("service", &self.service);
        w.members("source-hip", &self.source_hip);
        w.members("destination-hip", &self.destination_hip);
        w.yes_no("negate-source", self.negate_source);
        w.yes_no("negate-destination", self.negate_destination);
        w.text("action", self.action.as_ref().map(RuleAction::as_str));
        w.yes_no("icmp-unreachable", self.icmp_unreachable);
        w.yes_no("log-start", self.log_start);
        w.yes_no("log-end", self.log_end);
        w.yes_no("disabled", self.disabled);
        w.text("description", self.description.as_deref());
        w.members("tag", &self.tags);
        w.text("group-tag", self.group_tag.as_deref());
        w.text("schedule", self.schedule.as_deref());
        w.text("log-setting", self.log_setting.as_deref());
        w.text("rule-type", self.rule_type.as_ref().map(RuleType::as_str));
        if let Some(profiles) = &self.profile_setting {
            w.node(profiles.to_node());
        }
        w.finish(&self.other)
    }

    fn from_entry(entry: &XmlNode) -> Result<Self, Error> {
        Ok(Self {
            name: entry_name(entry)?,
            uuid: entry.attr("uuid").map(str::to_owned),
            from: entry.members_of("from"),
            to: entry.members_of("to"),
            source: entry.members_of("source"),
            destination: entry.members_of("destination"),
            source_user: entry.members_of("source-user"),
            category: entry.members_of("category"),
            application: entry.members_of("application"),
            service: entry.members_of("service"),
            source_hip: entry.members_of("source-hip"),
            destination_hip: entry.members_of("destination-hip"),
            negate_source: yes_no(entry, "negate-source")?,
            negate_destination: yes_no(entry, "negate-destination")?,
            action: entry.child_text("action").map(RuleAction::from_keyword),
            icmp_unreachable: yes_no(entry, "icmp-unreachable")?,
            log_start: yes_no(entry, "log-start")?,
            log_end: yes_no(entry, "log-end")?,
            disabled: yes_no(entry, "disabled")?,
            description: text_of(entry, "description"),
            tags: entry.members_of("tag"),
            group_tag: text_of(entry, "group-tag"),
            schedule: text_of(entry, "schedule"),
            log_setting: text_of(entry, "log-setting"),
            rule_type: entry.child_text("rule-type").map(RuleType::from_keyword),
            profile_setting: entry
                .child("profile-setting")
                .map(ProfileSetting::from_node),
            other: unmodelled_children(entry, &MODELLED),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's 10.x rule entry, with candidate dirty marks as a device shows them.
    const DEVICE_RULE: &str = r#"<entry name="allow-web" uuid="1b2c3d4e-0000-4000-8000-000000000001" admin="admin" dirtyId="14" time="2019/06/27 07:51:28">
  <to><member>untrust</member></to>
  <from><member admin="admin" dirtyId="14">trust</member></from>
  <source><member>10.0.0.0/8</member></source>
  <destination><member>any</member></destination>
  <source-user><member>any</member></source-user>
  <category><member>any</member></category>
  <application><member>web-browsing</member></application>
  <service><member>application-default</member></service>
  <source-hip><member>any</member></source-hip>
  <destination-hip><member>any</member></destination-hip>
  <action>allow</action>
  <icmp-unreachable>no</icmp-unreachable> <log-start>no</log-start> <log-end>yes</log-end>
  <negate-source>no</negate-source> <negate-destination>no</negate-destination>
  <tag><member>t1</member></tag> <group-tag>t1</group-tag>
  <description>text</description> <disabled>no</disabled> <schedule>s</schedule>
  <profile-setting><group><member>default</member></group></profile-setting>
  <log-setting>fwd-profile</log-setting>
  <rule-type>universal</rule-type>
  <option><disable-server-response-inspection>no</disable-server-response-inspection></option>
  <target><devices><entry name="0079"/></devices><negate>no</negate></target>
</entry>"#;

    #[test]
    fn parses_every_field_of_the_reference_entry() {
        let node = XmlNode::parse(DEVICE_RULE).expect("valid XML");
        let rule = SecurityRule::from_entry(&node).expect("parses");
        assert_eq!(rule.name, "allow-web");
        assert_eq!(
            rule.uuid.as_deref(),
            Some("1b2c3d4e-0000-4000-8000-000000000001")
        );
        assert_eq!(rule.from, vec!["trust"]);
        assert_eq!(rule.to, vec!["untrust"]);
        assert_eq!(rule.source, vec!["10.0.0.0/8"]);
        assert_eq!(rule.application, vec!["web-browsing"]);
        assert_eq!(rule.service, vec!["application-default"]);
        assert_eq!(rule.action, Some(RuleAction::Allow));
        assert_eq!(rule.log_end, Some(true));
        assert_eq!(rule.disabled, Some(false));
        assert!(!rule.is_disabled());
        assert_eq!(rule.tags, vec!["t1"]);
        assert_eq!(rule.group_tag.as_deref(), Some("t1"));
        assert_eq!(rule.log_setting.as_deref(), Some("fwd-profile"));
        assert_eq!(rule.rule_type, Some(RuleType::Universal));
        assert_eq!(
            rule.profile_setting,
            Some(ProfileSetting::Group(vec!["default".into()]))
        );
        let kept: Vec<&str> = rule.other.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(kept, vec!["option", "target"]);
    }

    #[test]
    fn written_entry_drops_dirty_marks_and_keeps_unmodelled_children() {
        let node = XmlNode::parse(DEVICE_RULE).expect("valid XML");
        let rule = SecurityRule::from_entry(&node).expect("parses");
        let xml = rule.to_entry().to_xml();
        assert!(!xml.contains("dirtyId"), "{xml}");
        assert!(!xml.contains("admin="), "{xml}");
        assert!(xml.contains("<target><devices><entry name=\"0079\"/></devices>"));
        let again =
            SecurityRule::from_entry(&XmlNode::parse(&xml).expect("own output")).expect("parses");
        assert_eq!(again, rule);
    }

    #[test]
    fn absent_fields_stay_absent() {
        let node = XmlNode::parse(r#"<entry name="bare"/>"#).expect("valid");
        let rule = SecurityRule::from_entry(&node).expect("parses");
        assert_eq!(
            rule,
            SecurityRule {
                name: "bare".into(),
                ..SecurityRule::default()
            }
        );
        assert_eq!(rule.to_entry().to_xml(), r#"<entry name="bare"/>"#);
    }

    #[test]
    fn individual_profiles_and_unknown_actions_round_trip() {
        let xml = r#"<entry name="p"><action>quarantine</action><profile-setting><profiles><virus><member>default</member></virus><spyware><member>strict</member></spyware></profiles></profile-setting></entry>"#;
        let rule = SecurityRule::from_entry(&XmlNode::parse(xml).expect("valid")).expect("parses");
        assert_eq!(rule.action, Some(RuleAction::Other("quarantine".into())));
        assert_eq!(
            rule.profile_setting,
            Some(ProfileSetting::Profiles(vec![
                ("virus".into(), vec!["default".into()]),
                ("spyware".into(), vec!["strict".into()]),
            ]))
        );
        assert_eq!(rule.to_entry().to_xml(), xml);
    }

    #[test]
    fn rejects_nameless_entries_and_bad_booleans() {
        let nameless = XmlNode::parse("<entry><action>allow</action></entry>").expect("valid");
        assert!(SecurityRule::from_entry(&nameless).is_err());
        let bad =
            XmlNode::parse(r#"<entry name="x"><disabled>maybe</disabled></entry>"#).expect("valid");
        assert!(SecurityRule::from_entry(&bad).is_err());
    }
}
