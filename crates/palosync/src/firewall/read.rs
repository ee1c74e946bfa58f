//! Reading the device whole, once per run: the vsys's rulebases (security and every other),
//! service and address objects, address and service groups, and tags, one `get` per container,
//! all at once.
//!
//! Why whole: the planner decides deletes and shadowing from what is here, so what is absent
//! from this read must be absent on the device (a narrowed read would make "not seen" look like
//! "not there"). Scope: the configured vsys, or behind Panorama the device group (both of its
//! rulebases: the other one's rules may refer to the group's objects too). palosync never reads `/config/shared`: it creates
//! and references only vsys objects, and a vsys object cannot be referenced from shared (PAN-OS
//! resolves names from the vsys outwards, never inwards), so no shared entry can block one of
//! palosync's deletes. Operators' rules that use shared objects are read as their names.
//!
//! References from rulebases other than security (nat, pbf, application-override, decryption,
//! qos, tunnel-inspect, sdwan, dos, network-packet-broker, authentication, and any a later
//! PAN-OS adds) are collected generically: every text of every descendant of every rule, as a
//! device's reference check counts any member or element text equal to an object's name
//! (PAN-OS API guide §2 code 10, `… cannot be deleted because of references from:` with paths
//! such as `vsys -> vsys1 -> rulebase -> nat -> rules -> n1 -> service`). Over-collecting
//! (a zone name, `any`) costs nothing: a reference only matters when it names an object
//! palosync would delete, and then keeping the object is the safe side.

use super::mapping;
use super::{FirewallError, FirewallState};
use panos::{
    AddressGroup, AddressObject, ConfigEntry, Location, RulebaseSide, SecurityRule, ServiceGroup,
    ServiceObject, Tag, XmlNode,
};
use planner::{DeviceObjects, ObjectReference, ObservedRegistrations};
use std::collections::BTreeSet;

/// Reads every container palosync plans from, concurrently (six requests; the client keeps at
/// most five in flight).
pub(super) async fn read_state(
    client: &panos::Client,
    location: &Location,
    managed_tag: &str,
) -> Result<FirewallState, FirewallError> {
    let (own_step, other_step) = rulebase_steps(location);
    let own_xpath = location.base().child(own_step);
    let other_xpath = other_step.map(|step| location.base().child(step));
    let read_other = async {
        match &other_xpath {
            Some(xpath) => client.get(xpath).await,
            None => Ok(None),
        }
    };
    let (rulebase, other, services, tags, addresses, address_groups, service_groups) =
        tokio::try_join!(
            client.get(&own_xpath),
            read_other,
            client.list::<ServiceObject>(location),
            client.list::<Tag>(location),
            client.list::<AddressObject>(location),
            client.list::<AddressGroup>(location),
            client.list::<ServiceGroup>(location),
        )
        .map_err(FirewallError::Read)?;
    let rulebase = rulebase.unwrap_or_else(|| XmlNode::new("rulebase"));
    let rules = security_rules(&rulebase)?;
    let objects = DeviceObjects {
        registrations: ObservedRegistrations::default(),
        addresses: addresses.iter().map(mapping::observed_address).collect(),
        address_groups: address_groups
            .iter()
            .map(mapping::observed_address_group)
            .collect(),
        service_groups: service_groups
            .iter()
            .map(mapping::observed_service_group)
            .collect(),
        unreadable_services: services
            .iter()
            .filter(|s| mapping::observed_service(s).is_none())
            .map(mapping::unreadable_service)
            .collect(),
        references: references_outside_security(&rulebase)
            .into_iter()
            .chain(
                other
                    .iter()
                    .flat_map(|other| references_anywhere(other, other_step.unwrap_or_default())),
            )
            .collect(),
    };
    Ok(FirewallState {
        rules: rules.iter().map(mapping::observed_rule).collect(),
        services: services
            .iter()
            .filter_map(mapping::observed_service)
            .collect(),
        objects,
        managed_tag_exists: tags.iter().any(|t| t.name == managed_tag),
    })
}

/// The rulebase palosync writes in, and behind Panorama the device group's other one (pre or
/// post), whose rules may refer to the group's objects too.
fn rulebase_steps(location: &Location) -> (&'static str, Option<&'static str>) {
    match location {
        Location::Vsys { .. } => ("rulebase", None),
        Location::DeviceGroup { side, .. } | Location::PanoramaShared { side } => match side {
            RulebaseSide::Pre => ("pre-rulebase", Some("post-rulebase")),
            RulebaseSide::Post => ("post-rulebase", Some("pre-rulebase")),
        },
    }
}

/// Every text of every rule of every rulebase in `rulebase` (security included), as a
/// reference from `<name> <rulebase> rule <rule>`.
fn references_anywhere(rulebase: &XmlNode, name: &str) -> Vec<ObjectReference> {
    let mut references = Vec::new();
    for base in &rulebase.children {
        let Some(rules) = base.child("rules") else {
            continue;
        };
        for rule in rules.children_named("entry") {
            let from = format!(
                "{name} {} rule {}",
                base.name,
                rule.attr("name").unwrap_or("?")
            );
            let mut texts = Vec::new();
            descendant_texts(rule, &mut texts);
            texts.sort();
            texts.dedup();
            references.extend(texts.into_iter().map(|object| ObjectReference {
                object,
                from: from.clone(),
            }));
        }
    }
    references
}

/// `rulebase/security/rules/entry`, in evaluation order.
fn security_rules(rulebase: &XmlNode) -> Result<Vec<SecurityRule>, FirewallError> {
    let Some(rules) = rulebase.path(&["security", "rules"]) else {
        return Ok(Vec::new());
    };
    rules
        .children_named("entry")
        .map(SecurityRule::from_entry)
        .collect::<Result<_, _>>()
        .map_err(FirewallError::Read)
}

/// Every text inside every rule of every rulebase except security, as a reference from
/// `<rulebase> rule <name>`; each (object, rule) once, in device order.
pub(super) fn references_outside_security(rulebase: &XmlNode) -> Vec<ObjectReference> {
    let mut seen = BTreeSet::new();
    let mut references = Vec::new();
    for base in rulebase.children.iter().filter(|b| b.name != "security") {
        let Some(rules) = base.child("rules") else {
            continue;
        };
        for rule in rules.children_named("entry") {
            let from = format!("{} rule {}", base.name, rule.attr("name").unwrap_or("?"));
            let mut texts = Vec::new();
            descendant_texts(rule, &mut texts);
            for object in texts {
                if seen.insert((object.clone(), from.clone())) {
                    references.push(ObjectReference {
                        object,
                        from: from.clone(),
                    });
                }
            }
        }
    }
    references
}

fn descendant_texts(node: &XmlNode, into: &mut Vec<String>) {
    for child in &node.children {
        let text = child.trimmed_text();
        if !text.is_empty() {
            into.push(text.to_owned());
        }
        descendant_texts(child, into);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_other_rulebase_refers_to_what_its_rules_name() {
        let rulebase = XmlNode::parse(
            r#"<rulebase>
              <security><rules><entry name="s1"><service><member>tcp_22</member></service></entry></rules></security>
              <nat><rules><entry name="n1"><service>tcp_8080</service>
                <destination-translation><translated-address>web-host</translated-address></destination-translation>
                <source><member>ops-net</member></source></entry></rules></nat>
              <pbf><rules><entry name="p1"><service><member>tcp_8080</member></service></entry></rules></pbf>
              <network-packet-broker><rules><entry name="b1"><source><member>lab</member></source></entry></rules></network-packet-broker>
              <qos/>
            </rulebase>"#,
        )
        .expect("valid");
        let refs: Vec<(String, String)> = references_outside_security(&rulebase)
            .into_iter()
            .map(|r| (r.object, r.from))
            .collect();
        for expected in [
            ("tcp_8080", "nat rule n1"),
            ("web-host", "nat rule n1"),
            ("ops-net", "nat rule n1"),
            ("tcp_8080", "pbf rule p1"),
            ("lab", "network-packet-broker rule b1"),
        ] {
            assert!(
                refs.contains(&(expected.0.to_owned(), expected.1.to_owned())),
                "{expected:?} in {refs:?}"
            );
        }
        assert!(
            refs.iter().all(|(object, _)| object != "tcp_22"),
            "security rules are read as rules, not as references: {refs:?}"
        );
        assert_eq!(refs.iter().filter(|(o, _)| o == "tcp_8080").count(), 2);
    }

    #[test]
    fn the_security_rulebase_reads_in_order_and_an_absent_one_is_empty() {
        let rulebase = XmlNode::parse(
            r#"<rulebase><security><rules><entry name="a"><action>allow</action></entry><entry name="b"/></rules></security></rulebase>"#,
        )
        .expect("valid");
        let names: Vec<String> = security_rules(&rulebase)
            .expect("parses")
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert!(
            security_rules(&XmlNode::new("rulebase"))
                .expect("empty")
                .is_empty()
        );
    }
}
