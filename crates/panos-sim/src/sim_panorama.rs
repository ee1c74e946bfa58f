//! In-process reads and controls of a running Panorama simulator's managed firewalls, for
//! tests: which devices it manages, each device's state, effective rulebase, policy match,
//! registered IPs and dynamic groups, its sync status, and connecting/disconnecting it.
//!
//! On a firewall simulator every device accessor answers "no such device" (`None`, empty).
//! This module must never change Panorama's configuration.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::panorama::{Device, Personality};
use crate::policy_match::{MatchQuery, RuleHit, evaluate_with_registrations, rulebase};
use crate::push::PUSH_VSYS;
use crate::sim::RunningSimulator;
use crate::state::SimState;
use crate::xml::Element;

impl RunningSimulator {
    pub fn is_panorama(&self) -> bool {
        self.shared.lock().is_panorama()
    }

    /// Serials of the managed firewalls, in order.
    pub fn managed_devices(&self) -> Vec<String> {
        match &self.shared.lock().personality {
            Personality::Panorama(p) => p.devices.keys().cloned().collect(),
            Personality::Firewall => Vec::new(),
        }
    }

    fn with_managed<T>(
        &self,
        serial: &str,
        f: impl FnOnce(&mut Device, &Element) -> T,
    ) -> Option<T> {
        let mut st = self.shared.lock();
        let SimState {
            personality, store, ..
        } = &mut *st;
        match personality {
            Personality::Panorama(p) => p.devices.get_mut(serial).map(|d| f(d, &store.running)),
            Personality::Firewall => None,
        }
    }

    /// Runs `f` with exclusive access to the managed firewall `serial`'s own state (its jobs
    /// advanced first); `None` if there is no such device.
    pub fn with_device<T>(&self, serial: &str, f: impl FnOnce(&mut SimState) -> T) -> Option<T> {
        self.with_managed(serial, |d, _| f(&mut d.state))
    }

    /// The device's effective security rulebase in evaluation order: pushed pre-rules, its
    /// local rules, pushed post-rules (empty if there is no such device).
    pub fn device_running_rules(&self, serial: &str) -> Vec<Element> {
        self.with_device(serial, |fw| {
            rulebase(&fw.store.running, PUSH_VSYS)
                .into_iter()
                .cloned()
                .collect()
        })
        .unwrap_or_default()
    }

    /// `test security-policy-match` on the device, as `target=SERIAL` would answer it.
    pub fn device_policy_match(&self, serial: &str, query: &MatchQuery) -> Vec<RuleHit> {
        self.with_device(serial, |fw| {
            evaluate_with_registrations(
                &fw.store.running,
                PUSH_VSYS,
                query,
                fw.registrations.vsys(PUSH_VSYS),
            )
            .unwrap_or_default()
        })
        .unwrap_or_default()
    }

    /// The device's registered addresses in vsys1 and their tags.
    pub fn device_registered_ips(&self, serial: &str) -> BTreeMap<IpAddr, Vec<String>> {
        self.with_device(serial, |fw| fw.registered_ips(PUSH_VSYS))
            .unwrap_or_default()
    }

    /// The registered addresses the device's dynamic address group `group` (local or pushed)
    /// holds right now.
    pub fn device_dynamic_group_members(&self, serial: &str, group: &str) -> Option<Vec<IpAddr>> {
        self.with_device(serial, |fw| fw.dynamic_group_members(PUSH_VSYS, group))
            .flatten()
    }

    /// The device's running configuration (local and pushed).
    pub fn device_running_config(&self, serial: &str) -> Option<Element> {
        self.with_device(serial, |fw| fw.store.running.clone())
    }

    /// `In Sync` / `Out of Sync`, as `show devicegroups` reports the device.
    pub fn device_sync_status(&self, serial: &str) -> Option<&'static str> {
        self.with_managed(serial, |d, root| crate::devicegroups::sync_status(root, d))
    }

    /// Connects or disconnects a managed firewall (a disconnected one fails pushes and
    /// `target=` requests). Returns whether the device exists.
    pub fn set_device_connected(&self, serial: &str, connected: bool) -> bool {
        self.with_managed(serial, |d, _| d.connected = connected)
            .is_some()
    }
}
