//! Panorama harness: a simulated Panorama managing firewalls, driven through `api::handle`
//! with a controllable clock, with helpers for device-group writes, commits, pushes and
//! `target=` requests.

use std::time::Duration;

use panos_sim::panorama::{Device, Personality};
use panos_sim::{Element, ManagedDevice, Simulator};

use super::{Fw, lines};

pub const DG_PREFIX: &str =
    "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='";
pub const COMMIT: Duration = Duration::from_millis(1000);

pub fn dg(name: &str) -> String {
    format!("{DG_PREFIX}{name}']")
}

pub fn dg_rules(name: &str, base: &str) -> String {
    format!("{}/{base}/security/rules", dg(name))
}

/// A Panorama with `devices` (commit duration 1 s, so a device finishes 0.5 s after a push).
pub fn panorama(devices: &[ManagedDevice]) -> Fw {
    let mut builder = Simulator::builder().panorama();
    for d in devices {
        builder = builder.managed_device(d.clone());
    }
    Fw::with(builder)
}

/// The default firewall config with one more zone in vsys1.
pub fn config_with_zone(zone: &str) -> String {
    panos_sim::DEFAULT_CONFIG_XML.replace(
        "<zone>",
        &format!("<zone><entry name=\"{zone}\"><network><layer3/></network></entry>"),
    )
}

/// A universal allow rule between two zones for `dst`, on service `svc`.
pub fn rule(name: &str, from: &str, to: &str, dst: &str, svc: &str) -> String {
    format!(
        "<entry name=\"{name}\"><from><member>{from}</member></from><to><member>{to}</member></to>\
         <source><member>any</member></source><destination><member>{dst}</member></destination>\
         <application><member>any</member></application><service><member>{svc}</member></service>\
         <action>allow</action></entry>"
    )
}

impl Fw {
    pub fn device(&self, serial: &str) -> &Device {
        match &self.state.personality {
            Personality::Panorama(p) => &p.devices[serial],
            Personality::Firewall => panic!("not a Panorama"),
        }
    }

    pub fn device_mut(&mut self, serial: &str) -> &mut Device {
        match &mut self.state.personality {
            Personality::Panorama(p) => p.devices.get_mut(serial).expect("managed device"),
            Personality::Firewall => panic!("not a Panorama"),
        }
    }

    /// Names of the device's effective rules (pushed pre, local, pushed post).
    pub fn device_rule_names(&mut self, serial: &str) -> Vec<String> {
        self.state.advance(self.now);
        panos_sim::policy_match::rulebase(&self.device(serial).state.store.running, "vsys1")
            .iter()
            .filter_map(|r| r.entry_name().map(str::to_string))
            .collect()
    }

    /// A Panorama commit, run to the end; returns the finished job.
    pub fn commit_panorama(&mut self) -> Element {
        let r = self.call(&[("type", "commit"), ("cmd", "<commit />")]);
        let id = job_id(&r);
        self.advance(COMMIT);
        self.job(&id)
    }

    /// `commit-all` of `dg` (optionally narrowed to `serials`); returns the job id.
    pub fn push(&mut self, dg: &str, serials: &[&str]) -> String {
        let r = self.call(&[
            ("type", "commit"),
            ("action", "all"),
            ("cmd", &commit_all_cmd(dg, serials)),
        ]);
        job_id(&r)
    }

    /// A push run until every device finished; returns the job.
    pub fn push_to_end(&mut self, dg: &str) -> Element {
        let id = self.push(dg, &[]);
        self.advance(COMMIT + COMMIT / 2);
        self.job(&id)
    }

    pub fn job(&mut self, id: &str) -> Element {
        let r = self.op(&format!("<show><jobs><id>{id}</id></jobs></show>"));
        r.descend(&["result", "job"]).cloned().expect("job exists")
    }

    /// An op command answered by the managed firewall `serial`.
    pub fn target_op(&mut self, serial: &str, cmd: &str) -> Element {
        self.call(&[("type", "op"), ("cmd", cmd), ("target", serial)])
    }

    /// The rule names a `test security-policy-match` through `target=serial` hits.
    pub fn target_match(
        &mut self,
        serial: &str,
        from: &str,
        to: &str,
        dst: &str,
        port: u16,
    ) -> Vec<String> {
        let cmd = format!(
            "<test><security-policy-match><from>{from}</from><to>{to}</to><source>10.9.9.9</source>\
             <destination>{dst}</destination><protocol>6</protocol><destination-port>{port}</destination-port>\
             </security-policy-match></test>"
        );
        let r = self.target_op(serial, &cmd);
        assert_eq!(r.attr("status"), Some("success"), "{}", lines(&r));
        super::result_rule_names(&r)
    }

    /// `shared-policy-status` of each device of `dg` in `show devicegroups`.
    pub fn sync_statuses(&mut self, dg: &str) -> Vec<(String, String)> {
        let r = self.op("<show><devicegroups/></show>");
        let group = r
            .descend(&["result", "devicegroups"])
            .and_then(|g| g.entry("entry", dg))
            .cloned()
            .expect("device group listed");
        group
            .child("devices")
            .map(|d| {
                d.children_named("entry")
                    .map(|e| {
                        (
                            e.entry_name().unwrap_or_default().to_string(),
                            e.child_text("shared-policy-status")
                                .unwrap_or_default()
                                .to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn commit_all_cmd(dg: &str, serials: &[&str]) -> String {
    let devices = if serials.is_empty() {
        String::new()
    } else {
        let entries: String = serials
            .iter()
            .map(|s| format!("<entry name=\"{s}\"/>"))
            .collect();
        format!("<devices>{entries}</devices>")
    };
    format!(
        "<commit-all><shared-policy><device-group><entry name=\"{dg}\">{devices}</entry>\
         </device-group><description>push</description></shared-policy></commit-all>"
    )
}

pub fn job_id(resp: &Element) -> String {
    resp.descend(&["result", "job"])
        .map(|j| j.text.clone())
        .unwrap_or_else(|| panic!("no job in {}", resp.to_xml()))
}

/// `(serial, result, status)` of each device entry of a push job.
pub fn device_results(job: &Element) -> Vec<(String, String, String)> {
    job.child("devices")
        .map(|d| {
            d.children_named("entry")
                .map(|e| {
                    let t = |n: &str| e.child_text(n).unwrap_or_default().to_string();
                    (t("serial-no"), t("result"), t("status"))
                })
                .collect()
        })
        .unwrap_or_default()
}
