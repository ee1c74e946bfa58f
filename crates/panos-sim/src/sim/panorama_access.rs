//! The Panorama side of the embeddable simulator: Panorama's starting configuration, and the
//! [`RunningSimulator`] accessors tests use to look at (and disconnect) managed firewalls.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Instant;

use super::RunningSimulator;
use crate::panorama::{ManagedDevice, PUSHED_VSYS};
use crate::state::SimState;
use crate::xml::Element;

/// Panorama's starting configuration: the administrators, `shared`, and an empty device group
/// (pre- and post-rulebase) for every group a managed firewall names.
pub(super) fn default_panorama_config(devices: &[ManagedDevice]) -> String {
    let mut groups: Vec<&str> = Vec::new();
    for device in devices {
        if !groups.contains(&device.device_group.as_str()) {
            groups.push(&device.device_group);
        }
    }
    let entries: String = groups
        .iter()
        .map(|g| {
            format!(
                "<entry name=\"{}\"><pre-rulebase><security><rules/></security></pre-rulebase><post-rulebase><security><rules/></security></post-rulebase></entry>",
                crate::xml::escape(g)
            )
        })
        .collect();
    format!(
        "<config version=\"11.1.0\"><mgt-config><users><entry name=\"admin\"><permissions><role-based><superuser>yes</superuser></role-based></permissions></entry></users></mgt-config><shared/><devices><entry name=\"localhost.localdomain\"><device-group>{entries}</device-group></entry></devices></config>"
    )
}

impl RunningSimulator {
    /// Whether this is the Panorama personality.
    pub fn is_panorama(&self) -> bool {
        self.shared.lock().panorama.is_some()
    }
    /// The serials of the firewalls this Panorama manages (empty on a firewall).
    pub fn managed_devices(&self) -> Vec<String> {
        self.shared
            .lock()
            .panorama
            .as_ref()
            .map(|p| p.devices.iter().map(|d| d.serial.clone()).collect())
            .unwrap_or_default()
    }
    /// Runs `f` on the managed firewall `serial` (its jobs advanced first).
    pub fn with_device<T>(&self, serial: &str, f: impl FnOnce(&mut SimState) -> T) -> Option<T> {
        let mut st = self.shared.lock();
        let device = st.panorama.as_mut()?.device_mut(serial)?;
        device.firewall.advance(Instant::now());
        Some(f(&mut device.firewall))
    }
    /// A managed firewall's rulebase in evaluation order: pushed pre-rules, local, post-rules.
    pub fn device_running_rules(&self, serial: &str) -> Vec<Element> {
        self.with_device(serial, |fw| {
            crate::policy_match::rulebase(&fw.store.running, PUSHED_VSYS)
                .into_iter()
                .cloned()
                .collect()
        })
        .unwrap_or_default()
    }
    /// A managed firewall's registered addresses and their tags.
    pub fn device_registered_ips(&self, serial: &str) -> Option<BTreeMap<IpAddr, Vec<String>>> {
        self.with_device(serial, |fw| {
            fw.registrations
                .vsys(PUSHED_VSYS)
                .map(|regs| {
                    regs.iter()
                        .map(|(ip, reg)| (*ip, reg.tag_names()))
                        .collect()
                })
                .unwrap_or_default()
        })
    }
    /// Connects or disconnects a managed firewall from Panorama.
    pub fn set_device_connected(&self, serial: &str, connected: bool) {
        let mut st = self.shared.lock();
        if let Some(device) = st.panorama.as_mut().and_then(|p| p.device_mut(serial)) {
            device.connected = connected;
        }
    }
}
