//! The Panorama personality: Panorama's own configuration (device groups with pre- and
//! post-rulebases and objects, `shared`) lives in the usual store and commits as a firewall's
//! does, and changes no firewall. Each managed firewall is a whole simulated firewall
//! ([`SimState`]) of its own. A push (`commit-all` of shared policy to a device group) installs
//! the group's policy, from Panorama's *running* configuration, into each firewall's running
//! configuration under `/config/panorama`, where the firewall's policy match evaluates it
//! (pushed pre-rules, local rules, pushed post-rules). Op and User-ID requests with
//! `target=<serial>` are answered by that firewall.
//!
//! Layout pushed to a firewall (documented choice; a real firewall shows the pushed policy
//! through `show config pushed-shared-policy`): `/config/panorama/vsys/entry[@name='vsys1']`
//! holds `pre-rulebase` (shared pre-rules, then the group's), `post-rulebase` (the group's,
//! then shared) and the objects of shared and the group merged by name (the group's win).
//!
//! A firewall is *In Sync* when it holds what a push would install now: a commit to Panorama
//! that changes the group's policy makes every firewall of the group *Out of Sync* until the
//! next push reaches it. A push to a firewall fails (and leaves it as it was) when it is not
//! connected, when a pushed rule names a zone the firewall lacks (zones live in templates, so
//! Panorama itself never checks them), or when a fault says so.
//! This module must never parse HTTP or format anything but its own replies' bodies.

use std::collections::BTreeMap;

use crate::state::{FaultPlan, SimState};
use crate::xml::Element;

/// Object containers a push carries, in the order a firewall lists them.
const PUSHED_OBJECTS: &[&str] = &[
    "address",
    "address-group",
    "service",
    "service-group",
    "tag",
    "profile-group",
];

/// The vsys pushed policy lands in (single-vsys firewalls).
pub const PUSHED_VSYS: &str = "vsys1";

/// A firewall Panorama manages, as a test describes it.
#[derive(Debug, Clone)]
pub struct ManagedDevice {
    pub serial: String,
    pub device_group: String,
    pub hostname: Option<String>,
    /// The firewall's own starting configuration (default: the simulator's firewall default).
    pub config_xml: Option<String>,
    pub connected: bool,
}

impl ManagedDevice {
    pub fn new(serial: impl Into<String>, device_group: impl Into<String>) -> Self {
        Self {
            serial: serial.into(),
            device_group: device_group.into(),
            hostname: None,
            config_xml: None,
            connected: true,
        }
    }

    #[must_use]
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = Some(hostname.into());
        self
    }

    #[must_use]
    pub fn config_xml(mut self, xml: impl Into<String>) -> Self {
        self.config_xml = Some(xml.into());
        self
    }

    #[must_use]
    pub fn connected(mut self, connected: bool) -> Self {
        self.connected = connected;
        self
    }
}

/// One managed firewall in the simulator.
#[derive(Debug)]
pub struct Managed {
    pub serial: String,
    pub hostname: String,
    pub device_group: String,
    pub connected: bool,
    pub firewall: Box<SimState>,
    /// What the last push that took installed, to tell In Sync from Out of Sync.
    pushed: Option<Element>,
    /// A push reported OK that did not take (fault): out of sync until a good push.
    stale: bool,
    connected_at_start: bool,
}

impl Managed {
    pub fn new(device: &ManagedDevice, firewall: SimState) -> Self {
        Self {
            serial: device.serial.clone(),
            hostname: device
                .hostname
                .clone()
                .unwrap_or_else(|| format!("fw-{}", device.serial)),
            device_group: device.device_group.clone(),
            connected: device.connected,
            firewall: Box::new(firewall),
            pushed: None,
            stale: false,
            connected_at_start: device.connected,
        }
    }

    /// Whether the firewall holds what a push of its group would install now.
    pub fn in_sync(&self, panorama_running: &Element) -> bool {
        !self.stale
            && self.pushed.as_ref() == Some(&group_policy(panorama_running, &self.device_group))
    }
}

/// What Panorama manages.
#[derive(Debug, Default)]
pub struct PanoramaState {
    pub devices: Vec<Managed>,
}

/// One firewall's part of a push, as the CommitAll job reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePush {
    pub serial: String,
    pub device_name: String,
    pub ok: bool,
    pub errors: Vec<String>,
}

/// Whether Panorama's `root` has the device group `name`.
pub fn has_device_group(root: &Element, name: &str) -> bool {
    device_groups(root).is_some_and(|g| g.entry("entry", name).is_some())
}

fn device_groups(root: &Element) -> Option<&Element> {
    root.child("devices")?
        .children_named("entry")
        .next()?
        .child("device-group")
}

fn rules<'a>(holder: Option<&'a Element>, base: &str) -> Vec<&'a Element> {
    holder
        .and_then(|h| h.descend(&[base, "security", "rules"]))
        .map(|r| r.children_named("entry").collect())
        .unwrap_or_default()
}

/// The `<panorama>` element a push of `group` installs on a firewall, from Panorama's `root`.
pub fn group_policy(root: &Element, group: &str) -> Element {
    let shared = root.child("shared");
    let dg = device_groups(root).and_then(|g| g.entry("entry", group));
    let rulebase = |name: &str, rules: Vec<&Element>| {
        let mut list = Element::new("rules");
        for rule in rules {
            list.push(rule.clone());
        }
        Element::new(name).with_child(Element::new("security").with_child(list))
    };
    let mut pre = rules(shared, "pre-rulebase");
    pre.extend(rules(dg, "pre-rulebase"));
    let mut post = rules(dg, "post-rulebase");
    post.extend(rules(shared, "post-rulebase"));
    let mut vsys = Element::named("entry", PUSHED_VSYS)
        .with_child(rulebase("pre-rulebase", pre))
        .with_child(rulebase("post-rulebase", post));
    for list in PUSHED_OBJECTS {
        let mut by_name: BTreeMap<&str, &Element> = BTreeMap::new();
        let mut order: Vec<&str> = Vec::new();
        for holder in [shared, dg].into_iter().flatten() {
            for entry in holder
                .child(list)
                .into_iter()
                .flat_map(|l| l.children_named("entry"))
            {
                let Some(name) = entry.entry_name() else {
                    continue;
                };
                if by_name.insert(name, entry).is_none() {
                    order.push(name);
                }
            }
        }
        if order.is_empty() {
            continue;
        }
        let mut container = Element::new(*list);
        for name in order {
            container.push(by_name[name].clone());
        }
        vsys.push(container);
    }
    Element::new("panorama").with_child(Element::new("vsys").with_child(vsys))
}

/// Why `firewall` would refuse `policy`: pushed rules naming zones it lacks, in the grammar of
/// a firewall's commit errors.
fn refusals(firewall: &SimState, policy: &Element) -> Vec<String> {
    let root = &firewall.store.running;
    let zones = root
        .child("devices")
        .and_then(|d| d.children_named("entry").next())
        .and_then(|d| d.child("vsys"))
        .and_then(|v| v.entry("entry", PUSHED_VSYS))
        .and_then(|v| v.child("zone"));
    let has_zone = |z: &str| z == "any" || zones.is_some_and(|l| l.entry("entry", z).is_some());
    let holder = policy
        .descend(&["vsys"])
        .and_then(|v| v.entry("entry", PUSHED_VSYS));
    let mut lines = Vec::new();
    for base in ["pre-rulebase", "post-rulebase"] {
        for rule in rules(holder, base) {
            let name = rule.entry_name().unwrap_or_default();
            for field in ["from", "to"] {
                for zone in rule.members(field) {
                    if !has_zone(zone) {
                        lines.push(format!(
                            " vsys -> {PUSHED_VSYS} -> {base} -> security -> rules -> {name} -> {field} '{zone}' is not a valid reference"
                        ));
                    }
                }
            }
        }
    }
    lines
}

/// Takes one pending push fault of `serial` from `faults`.
fn take(faults: &mut BTreeMap<String, u32>, serial: &str) -> bool {
    match faults.get_mut(serial) {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    }
}

impl PanoramaState {
    pub fn device(&self, serial: &str) -> Option<&Managed> {
        self.devices.iter().find(|d| d.serial == serial)
    }

    pub fn device_mut(&mut self, serial: &str) -> Option<&mut Managed> {
        self.devices.iter_mut().find(|d| d.serial == serial)
    }

    /// Pushes `group` from Panorama's running `root` to its firewalls (only those of `only`,
    /// when given), and returns each one's part.
    pub fn push(
        &mut self,
        root: &Element,
        group: &str,
        only: &[String],
        faults: &mut FaultPlan,
    ) -> Vec<DevicePush> {
        let policy = group_policy(root, group);
        let mut results = Vec::new();
        for device in self
            .devices
            .iter_mut()
            .filter(|d| d.device_group == group)
            .filter(|d| only.is_empty() || only.contains(&d.serial))
        {
            let fail = |errors: Vec<String>| DevicePush {
                serial: device.serial.clone(),
                device_name: device.hostname.clone(),
                ok: false,
                errors,
            };
            if !device.connected {
                results.push(fail(vec![format!(
                    "device {} is not connected [panos-sim]",
                    device.serial
                )]));
                continue;
            }
            if take(&mut faults.fail_pushes, &device.serial) {
                results.push(fail(vec![
                    " Commit failed: injected push failure (panos-sim fault)".into(),
                ]));
                continue;
            }
            let refused = refusals(&device.firewall, &policy);
            if !refused.is_empty() {
                let mut errors = vec!["Validation Error:".to_owned()];
                errors.extend(refused);
                errors.push("Commit failed".into());
                results.push(fail(errors));
                continue;
            }
            if take(&mut faults.out_of_sync_pushes, &device.serial) {
                device.stale = true;
            } else {
                device.firewall.store.install_pushed(policy.clone());
                device.pushed = Some(policy.clone());
                device.stale = false;
            }
            results.push(DevicePush {
                serial: device.serial.clone(),
                device_name: device.hostname.clone(),
                ok: true,
                errors: Vec::new(),
            });
        }
        results
    }

    /// `show devicegroups`: every device group of `root` with its firewalls.
    pub fn show_devicegroups(&self, root: &Element) -> Element {
        let mut groups = Element::new("devicegroups");
        let names: Vec<String> = device_groups(root)
            .map(|g| {
                g.children_named("entry")
                    .filter_map(|e| e.entry_name().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        for name in names {
            let mut devices = Element::new("devices");
            for device in self.devices.iter().filter(|d| d.device_group == name) {
                let yes_no = |b: bool| if b { "yes" } else { "no" };
                let status = if device.in_sync(root) {
                    "In Sync"
                } else {
                    "Out of Sync"
                };
                devices.push(
                    Element::named("entry", device.serial.clone())
                        .with_child(Element::leaf("serial", device.serial.clone()))
                        .with_child(Element::leaf("connected", yes_no(device.connected)))
                        .with_child(Element::leaf("hostname", device.hostname.clone()))
                        .with_child(Element::leaf(
                            "sw-version",
                            device.firewall.settings.sw_version.clone(),
                        ))
                        .with_child(Element::leaf("shared-policy-status", status)),
                );
            }
            groups.push(Element::named("entry", name).with_child(devices));
        }
        groups
    }

    /// Back to the start: each firewall's own reset, nothing pushed, connected as built.
    pub fn reset(&mut self) {
        for device in &mut self.devices {
            device.firewall.reset();
            device.pushed = None;
            device.stale = false;
            device.connected = device.connected_at_start;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PANORAMA: &str = r#"<config><shared>
        <address><entry name="partner"><ip-netmask>198.51.100.0/24</ip-netmask></entry><entry name="dup"><ip-netmask>10.0.0.1</ip-netmask></entry></address>
        <pre-rulebase><security><rules><entry name="shared-first"><action>deny</action></entry></rules></security></pre-rulebase>
        <post-rulebase><security><rules><entry name="shared-last"><action>deny</action></entry></rules></security></post-rulebase>
      </shared><devices><entry name="localhost.localdomain"><device-group>
        <entry name="dg1">
          <address><entry name="dup"><ip-netmask>10.0.0.2</ip-netmask></entry></address>
          <pre-rulebase><security><rules><entry name="dg-pre"><from><member>untrust</member></from><action>allow</action></entry></rules></security></pre-rulebase>
          <post-rulebase><security><rules><entry name="dg-post"><action>deny</action></entry></rules></security></post-rulebase>
        </entry>
        <entry name="dg2"/>
      </device-group></entry></devices></config>"#;

    fn names(policy: &Element, base: &str) -> Vec<String> {
        let holder = policy
            .descend(&["vsys"])
            .and_then(|v| v.entry("entry", PUSHED_VSYS));
        rules(holder, base)
            .iter()
            .map(|r| r.entry_name().unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn shared_pre_rules_come_first_and_shared_post_rules_last() {
        let root = Element::parse(PANORAMA).expect("valid");
        let policy = group_policy(&root, "dg1");
        assert_eq!(names(&policy, "pre-rulebase"), ["shared-first", "dg-pre"]);
        assert_eq!(names(&policy, "post-rulebase"), ["dg-post", "shared-last"]);
        let addresses = policy
            .descend(&["vsys"])
            .and_then(|v| v.entry("entry", PUSHED_VSYS))
            .and_then(|v| v.child("address"))
            .expect("objects pushed");
        let dup = addresses.entry("entry", "dup").expect("dup");
        assert_eq!(
            dup.child_text("ip-netmask"),
            Some("10.0.0.2"),
            "the group's wins"
        );
        assert!(addresses.entry("entry", "partner").is_some());
        assert!(has_device_group(&root, "dg2"));
        assert!(!has_device_group(&root, "dg3"));
        assert_eq!(
            names(&group_policy(&root, "dg2"), "pre-rulebase"),
            ["shared-first"]
        );
    }
}
