//! Panorama's view of its managed firewalls: `show devicegroups` and `show devices all|connected`.
//!
//! Shapes [dev: demisto/content `Packs/PAN-OS/Integrations/Panorama/test_data/
//! show_device_groups.xml` and `panorama_show_devices_all.xml`; code: pan-os-python
//! `Panorama.refresh_devices` reads `result/devicegroups/entry/devices/entry[@name=SERIAL]`
//! and its `shared-policy-status` (or `vsys/entry/shared-policy-status`), and
//! `result/devices/entry` with `serial`, `connected`, `hostname`, `ip-address`,
//! `ipv6-address`, `sw-version`, `app-version`, `multi-vsys`, `vsys/entry/display-name`]:
//! ```xml
//! <result><devicegroups><entry name="DG"><devices><entry name="SERIAL">
//!   <serial>SERIAL</serial><connected>yes</connected><unsupported-version>no</unsupported-version>
//!   <deactivated>no</deactivated><last-commit-all-state-sp>commit succeeded</last-commit-all-state-sp>
//!   <shared-policy-status>In Sync</shared-policy-status><hostname>fw1</hostname>
//!   <ip-address>127.0.0.1</ip-address><ipv6-address>unknown</ipv6-address><family>vm</family>
//!   <model>PA-VM</model><sw-version>10.2.4</sw-version><app-version>…</app-version>
//!   <multi-vsys>no</multi-vsys><vsys/></entry></devices></entry></devicegroups></result>
//! ```
//! A device is `In Sync` when the policy it holds equals what Panorama's running configuration
//! would push to it now, `Out of Sync` otherwise (never pushed, Panorama changed since, a failed
//! push, or an `out_of_sync_pushes` fault) [? the rule; the texts are the device's].
//!
//! This module must never change state.

use crate::failure::{ApiFailure, code};
use crate::panorama::{Device, Panorama, Personality};
use crate::push::pushed_config;
use crate::response::{self, Reply};
use crate::state::SimState;
use crate::xml::Element;

fn panorama<'a>(state: &'a SimState, words: &str) -> Result<&'a Panorama, ApiFailure> {
    match &state.personality {
        Personality::Panorama(p) => Ok(p),
        Personality::Firewall => Err(ApiFailure::new(
            code::INVALID_COMMAND,
            format!(" {words} is unexpected"),
        )),
    }
}

/// `In Sync` or `Out of Sync` for `device` against Panorama's running configuration `root`.
pub fn sync_status(root: &Element, device: &Device) -> &'static str {
    let wanted = pushed_config(root, &device.device_group, &device.serial);
    if !device.forced_out_of_sync && wanted.is_some() && wanted.as_ref() == device.pushed() {
        "In Sync"
    } else {
        "Out of Sync"
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The fields both commands print for one device.
fn device_entry(device: &Device, sync: Option<&str>) -> Element {
    let s = &device.state.settings;
    let mut e = Element::named("entry", device.serial.clone())
        .with_child(Element::leaf("serial", device.serial.clone()))
        .with_child(Element::leaf("connected", yes_no(device.connected)))
        .with_child(Element::leaf("unsupported-version", "no"))
        .with_child(Element::leaf("deactivated", "no"));
    if let Some(status) = sync {
        e.push(Element::leaf("shared-policy-status", status));
    }
    let vsys1 = Element::named("entry", "vsys1")
        .with_child(Element::leaf("display-name", "vsys1"))
        .with_child(Element::leaf("shared-policy-status", sync.unwrap_or("")));
    e.with_child(Element::leaf("hostname", device.hostname.clone()))
        .with_child(Element::leaf("ip-address", "127.0.0.1"))
        .with_child(Element::leaf("ipv6-address", "unknown"))
        .with_child(Element::leaf("family", "vm"))
        .with_child(Element::leaf("model", "PA-VM"))
        .with_child(Element::leaf("sw-version", s.sw_version.clone()))
        .with_child(Element::leaf("app-version", "8799-8509"))
        .with_child(Element::leaf("multi-vsys", "no"))
        .with_child(Element::new("vsys").with_child(vsys1))
}

/// `show devicegroups`: every device group of the running configuration with its devices.
pub fn show_devicegroups(state: &SimState) -> Result<Reply, ApiFailure> {
    let p = panorama(state, "show -> devicegroups")?;
    let root = &state.store.running;
    let mut names: Vec<String> = root
        .child("devices")
        .and_then(|d| d.children_named("entry").next())
        .and_then(|d| d.child("device-group"))
        .map(|g| {
            g.children_named("entry")
                .filter_map(|e| e.entry_name())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    for dg in p.device_groups() {
        if !names.iter().any(|n| n == dg) {
            names.push(dg.to_string());
        }
    }
    let mut groups = Element::new("devicegroups");
    for name in names {
        let mut devices = Element::new("devices");
        for serial in p.members(&name) {
            let device = &p.devices[serial];
            devices.push(device_entry(device, Some(sync_status(root, device))));
        }
        groups.push(Element::named("entry", name).with_child(devices));
    }
    Ok(Reply::ok(response::op_result(&groups)))
}

/// `show devices all` / `show devices connected`.
pub fn show_devices(state: &SimState, only_connected: bool) -> Result<Reply, ApiFailure> {
    let p = panorama(state, "show -> devices")?;
    let mut devices = Element::new("devices");
    for device in p.devices.values() {
        if only_connected && !device.connected {
            continue;
        }
        devices.push(device_entry(device, None));
    }
    Ok(Reply::ok(response::op_result(&devices)))
}
