//! The Panorama personality: which firewalls a simulated Panorama manages, in which device
//! group, whether each is connected, and each firewall's own complete state (a [`SimState`] of
//! its own: configuration store, jobs, User-ID registrations).
//!
//! A Panorama is a [`SimState`] like a firewall (its store holds device groups under
//! `/config/devices/entry[@name='localhost.localdomain']/device-group` and `/config/shared`,
//! committed by the same commit path); what makes it a Panorama is
//! [`Personality::Panorama`] holding the managed devices. Everything that differs — the push
//! ([`crate::push`], [`crate::commit_all`]), `show devicegroups` ([`crate::devicegroups`]) and
//! `target=` proxying ([`crate::api`]) — asks this one seam, never a flag threaded elsewhere.
//!
//! Device-group membership is fixed by the builder ([`ManagedDevice`]); the Panorama
//! configuration's `device-group/entry/devices` list is written from it at start and is not
//! read back. Device groups do not nest (no parent device groups).
//!
//! This module must never parse requests or render responses.

use std::collections::BTreeMap;

use crate::state::SimState;
use crate::xml::Element;

/// A firewall a simulated Panorama manages (builder input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedDevice {
    pub serial: String,
    pub device_group: String,
    pub hostname: Option<String>,
    /// The firewall's own starting configuration (default: [`crate::DEFAULT_CONFIG_XML`]).
    pub config_xml: Option<String>,
    pub connected: bool,
}

impl ManagedDevice {
    pub fn new(serial: impl Into<String>, device_group: impl Into<String>) -> ManagedDevice {
        ManagedDevice {
            serial: serial.into(),
            device_group: device_group.into(),
            hostname: None,
            config_xml: None,
            connected: true,
        }
    }
    /// The firewall's hostname (default `fw-<serial>`); the push job's `devicename`.
    pub fn hostname(mut self, hostname: impl Into<String>) -> Self {
        self.hostname = Some(hostname.into());
        self
    }
    /// The firewall's starting configuration: a `<config>` document or `show config running`.
    pub fn config_xml(mut self, xml: impl Into<String>) -> Self {
        self.config_xml = Some(xml.into());
        self
    }
    /// Whether the firewall starts connected to Panorama (default true).
    pub fn connected(mut self, connected: bool) -> Self {
        self.connected = connected;
        self
    }
    pub fn hostname_or_default(&self) -> String {
        self.hostname
            .clone()
            .unwrap_or_else(|| format!("fw-{}", self.serial))
    }
}

/// Whether a simulator is a firewall or a Panorama.
#[derive(Debug, Default)]
pub enum Personality {
    #[default]
    Firewall,
    Panorama(Panorama),
}

/// The managed firewalls of a Panorama, by serial.
#[derive(Debug, Default)]
pub struct Panorama {
    pub devices: BTreeMap<String, Device>,
}

/// One managed firewall as Panorama sees it, with the firewall's own state.
#[derive(Debug)]
pub struct Device {
    pub serial: String,
    pub hostname: String,
    pub device_group: String,
    pub connected: bool,
    /// Set by an `out_of_sync_pushes` fault: the last push reported OK but did not apply, so
    /// Panorama shows the device `Out of Sync` until a push applies.
    pub forced_out_of_sync: bool,
    /// The firewall itself.
    pub state: SimState,
    initially_connected: bool,
}

impl Device {
    pub fn new(spec: &ManagedDevice, state: SimState) -> Device {
        Device {
            serial: spec.serial.clone(),
            hostname: spec.hostname_or_default(),
            device_group: spec.device_group.clone(),
            connected: spec.connected,
            forced_out_of_sync: false,
            state,
            initially_connected: spec.connected,
        }
    }

    /// Back to the device's starting configuration, registrations and connection.
    pub fn reset(&mut self) {
        self.state.reset();
        self.connected = self.initially_connected;
        self.forced_out_of_sync = false;
    }

    /// The policy the device holds from Panorama (`/config/panorama` of its running config).
    pub fn pushed(&self) -> Option<&Element> {
        self.state.store.running.child("panorama")
    }
}

impl Panorama {
    /// Device groups named by managed devices, in name order.
    pub fn device_groups(&self) -> Vec<&str> {
        let mut groups: Vec<&str> = self
            .devices
            .values()
            .map(|d| d.device_group.as_str())
            .collect();
        groups.sort_unstable();
        groups.dedup();
        groups
    }

    /// Serials of the devices in `device_group`, in serial order.
    pub fn members(&self, device_group: &str) -> Vec<&str> {
        self.devices
            .values()
            .filter(|d| d.device_group == device_group)
            .map(|d| d.serial.as_str())
            .collect()
    }
}

/// Panorama's built-in starting configuration for `devices`: the `admin` superuser, an empty
/// `/config/shared` (with empty pre/post rulebases), one device group per group the devices
/// name (its `devices` list and empty pre/post security rulebases), and the managed devices
/// under `mgt-config/devices`.
pub fn default_config(devices: &[ManagedDevice]) -> Element {
    let rulebases = || {
        ["pre-rulebase", "post-rulebase"].map(|base| {
            Element::new(base)
                .with_child(Element::new("security").with_child(Element::new("rules")))
        })
    };
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for d in devices {
        groups
            .entry(d.device_group.as_str())
            .or_default()
            .push(d.serial.as_str());
    }
    let mut device_group = Element::new("device-group");
    for (name, serials) in &groups {
        let mut members = Element::new("devices");
        for s in serials {
            members.push(Element::named("entry", *s));
        }
        let mut entry = Element::named("entry", *name).with_child(members);
        for rb in rulebases() {
            entry.push(rb);
        }
        device_group.push(entry);
    }
    let mut mgt_devices = Element::new("devices");
    for d in devices {
        mgt_devices.push(Element::named("entry", d.serial.clone()));
    }
    let admin = Element::named("entry", "admin").with_child(
        Element::new("permissions")
            .with_child(Element::new("role-based").with_child(Element::leaf("superuser", "yes"))),
    );
    let mut shared = Element::new("shared");
    for list in [
        "address",
        "address-group",
        "service",
        "service-group",
        "tag",
    ] {
        shared.push(Element::new(list));
    }
    for rb in rulebases() {
        shared.push(rb);
    }
    let localhost = Element::named("entry", "localhost.localdomain")
        .with_child(Element::new("deviceconfig").with_child(
            Element::new("system").with_child(Element::leaf("hostname", "panorama-sim")),
        ))
        .with_child(device_group);
    Element::new("config")
        .with_attr("version", "10.2.0")
        .with_child(
            Element::new("mgt-config")
                .with_child(Element::new("users").with_child(admin))
                .with_child(mgt_devices),
        )
        .with_child(shared)
        .with_child(Element::new("devices").with_child(localhost))
}
