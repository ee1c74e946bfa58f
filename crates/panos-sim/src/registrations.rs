//! Registered IP addresses and their tags (the User-ID "registered-ip" database): state of the
//! running device, per vsys, outside the configuration. Registrations take effect at once, need no
//! commit and survive commits; tags with a timeout disappear when it runs out.
//!
//! One update (the register and unregister lists of a uid-message) applies as a whole or not at
//! all: [`Registry::apply`] works on a copy, checks the limits on the result, and only then
//! replaces the state. Registering a tag an address already has refreshes its timeout and is
//! reported as `already exists, ignore`; unregistering one it lacks is reported as
//! `does not exist, ignore unreg` (the texts pan-os-python treats as success).
//!
//! This module must never parse XML or look at configuration.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The tags of one registered address: tag → expiry (`None`: never).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registered {
    pub tags: BTreeMap<String, Option<Instant>>,
    pub persistent: bool,
}

impl Registered {
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.contains_key(tag)
    }

    pub fn tag_names(&self) -> Vec<String> {
        self.tags.keys().cloned().collect()
    }
}

/// The registrations of one vsys, in address order (IPv4 before IPv6).
pub type VsysRegistrations = BTreeMap<IpAddr, Registered>;

/// Device-wide capacity of the registered-ip database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationLimits {
    pub max_tags_per_address: usize,
    pub max_registered_ips: usize,
}

impl Default for RegistrationLimits {
    /// The VM-Series mid tier: 32 tags per address, 300,000 addresses [doc].
    fn default() -> Self {
        RegistrationLimits {
            max_tags_per_address: 32,
            max_registered_ips: 300_000,
        }
    }
}

/// One change an update asks for, in message order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationChange {
    /// Add `tags` (name, timeout in seconds; 0 or `None` never expires) to `ip`.
    Register {
        ip: IpAddr,
        persistent: bool,
        tags: Vec<(String, Option<u32>)>,
    },
    /// Remove `tags` from `ip`; `None` removes all of them.
    Unregister {
        ip: IpAddr,
        tags: Option<Vec<String>>,
    },
}

/// Which list of the message a note or refusal belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Register,
    Unregister,
}

/// A per-address message in the answer (`<entry ip=… message=…/>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryMessage {
    pub list: ListKind,
    pub ip: String,
    pub message: String,
}

/// What an accepted update reported: benign notes (duplicates, absent tags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub notes: Vec<EntryMessage>,
}

/// Every vsys's registrations.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    by_vsys: BTreeMap<String, VsysRegistrations>,
}

impl Registry {
    pub fn vsys(&self, vsys: &str) -> Option<&VsysRegistrations> {
        self.by_vsys.get(vsys)
    }

    /// Registered addresses over all vsys (the device-wide count limits apply to).
    pub fn address_count(&self) -> usize {
        self.by_vsys.values().map(BTreeMap::len).sum()
    }

    /// Drops tags whose timeout has run out, and addresses left without tags.
    pub fn expire(&mut self, now: Instant) {
        for regs in self.by_vsys.values_mut() {
            for reg in regs.values_mut() {
                reg.tags.retain(|_, exp| exp.is_none_or(|e| e > now));
            }
            regs.retain(|_, reg| !reg.tags.is_empty());
        }
        self.by_vsys.retain(|_, regs| !regs.is_empty());
    }

    /// Applies one update to `vsys` as a whole: on `Err` nothing changed and the messages say
    /// which entries broke a limit.
    pub fn apply(
        &mut self,
        vsys: &str,
        changes: &[RegistrationChange],
        limits: RegistrationLimits,
        now: Instant,
    ) -> Result<Applied, Vec<EntryMessage>> {
        let mut regs = self.by_vsys.get(vsys).cloned().unwrap_or_default();
        let mut applied = Applied::default();
        for change in changes {
            match change {
                RegistrationChange::Register {
                    ip,
                    persistent,
                    tags,
                } => {
                    let reg = regs.entry(*ip).or_default();
                    reg.persistent = *persistent;
                    for (tag, timeout) in tags {
                        let expiry = timeout
                            .filter(|t| *t > 0)
                            .map(|t| now + Duration::from_secs(u64::from(t)));
                        if reg.tags.insert(tag.clone(), expiry).is_some() {
                            applied.notes.push(EntryMessage {
                                list: ListKind::Register,
                                ip: ip.to_string(),
                                message: format!("{tag} already exists, ignore"),
                            });
                        }
                    }
                }
                RegistrationChange::Unregister { ip, tags } => {
                    let note = |message: String| EntryMessage {
                        list: ListKind::Unregister,
                        ip: ip.to_string(),
                        message,
                    };
                    match (regs.get_mut(ip), tags) {
                        (None, None) => applied
                            .notes
                            .push(note(format!("{ip} does not exist, ignore unreg"))),
                        (None, Some(tags)) => applied.notes.extend(
                            tags.iter()
                                .map(|t| note(format!("{t} does not exist, ignore unreg"))),
                        ),
                        (Some(reg), None) => reg.tags.clear(),
                        (Some(reg), Some(tags)) => {
                            for t in tags {
                                if reg.tags.remove(t).is_none() {
                                    applied
                                        .notes
                                        .push(note(format!("{t} does not exist, ignore unreg")));
                                }
                            }
                        }
                    }
                    if regs.get(ip).is_some_and(|r| r.tags.is_empty()) {
                        regs.remove(ip);
                    }
                }
            }
        }
        let refusals = limit_breaches(&regs, changes, limits, self.others_count(vsys));
        if !refusals.is_empty() {
            return Err(refusals);
        }
        if regs.is_empty() {
            self.by_vsys.remove(vsys);
        } else {
            self.by_vsys.insert(vsys.to_string(), regs);
        }
        Ok(applied)
    }

    fn others_count(&self, vsys: &str) -> usize {
        self.by_vsys
            .iter()
            .filter(|(v, _)| v.as_str() != vsys)
            .map(|(_, r)| r.len())
            .sum()
    }

    /// Back to no registrations.
    pub fn clear(&mut self) {
        self.by_vsys.clear();
    }
}

/// Entries of the update that leave the result over a limit.
fn limit_breaches(
    result: &VsysRegistrations,
    changes: &[RegistrationChange],
    limits: RegistrationLimits,
    elsewhere: usize,
) -> Vec<EntryMessage> {
    let mut out = Vec::new();
    for change in changes {
        let RegistrationChange::Register { ip, .. } = change else {
            continue;
        };
        let count = result.get(ip).map_or(0, |r| r.tags.len());
        let text = ip.to_string();
        if count > limits.max_tags_per_address && !out.iter().any(|m: &EntryMessage| m.ip == text) {
            out.push(EntryMessage {
                list: ListKind::Register,
                ip: text,
                message: format!(
                    "Exceeded the maximum number of tags ({}) per IP address, {count} requested",
                    limits.max_tags_per_address
                ),
            });
        }
    }
    let total = elsewhere + result.len();
    if total > limits.max_registered_ips {
        let first_new = changes.iter().find_map(|c| match c {
            RegistrationChange::Register { ip, .. } => Some(ip.to_string()),
            RegistrationChange::Unregister { .. } => None,
        });
        out.push(EntryMessage {
            list: ListKind::Register,
            ip: first_new.unwrap_or_default(),
            message: format!(
                "Exceeded the maximum number of registered IP addresses ({}), {total} requested",
                limits.max_registered_ips
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("test ip")
    }

    fn register(addr: &str, tags: &[&str], timeout: Option<u32>) -> RegistrationChange {
        RegistrationChange::Register {
            ip: ip(addr),
            persistent: true,
            tags: tags.iter().map(|t| (t.to_string(), timeout)).collect(),
        }
    }

    #[test]
    fn duplicates_and_absent_tags_are_notes_not_failures() {
        let mut reg = Registry::default();
        let now = Instant::now();
        let limits = RegistrationLimits::default();
        reg.apply("vsys1", &[register("10.0.0.1", &["a"], None)], limits, now)
            .expect("accepted");
        let again = reg
            .apply(
                "vsys1",
                &[register("10.0.0.1", &["a", "b"], None)],
                limits,
                now,
            )
            .expect("accepted");
        assert_eq!(again.notes.len(), 1);
        assert_eq!(again.notes[0].message, "a already exists, ignore");
        let unreg = RegistrationChange::Unregister {
            ip: ip("10.0.0.1"),
            tags: Some(vec!["zz".into()]),
        };
        let r = reg.apply("vsys1", &[unreg], limits, now).expect("accepted");
        assert!(r.notes[0].message.ends_with("does not exist, ignore unreg"));
        assert_eq!(reg.vsys("vsys1").map(|v| v.len()), Some(1));
    }

    #[test]
    fn limits_refuse_the_whole_update() {
        let mut reg = Registry::default();
        let now = Instant::now();
        let limits = RegistrationLimits {
            max_tags_per_address: 2,
            max_registered_ips: 2,
        };
        let too_many_tags = [
            register("10.0.0.1", &["ok"], None),
            register("10.0.0.2", &["a", "b", "c"], None),
        ];
        assert!(reg.apply("vsys1", &too_many_tags, limits, now).is_err());
        assert!(reg.vsys("vsys1").is_none());
        reg.apply("vsys2", &[register("10.0.0.9", &["x"], None)], limits, now)
            .expect("fits");
        let too_many_ips = [
            register("10.0.0.1", &["a"], None),
            register("10.0.0.2", &["a"], None),
        ];
        assert!(reg.apply("vsys1", &too_many_ips, limits, now).is_err());
        assert_eq!(reg.address_count(), 1);
    }

    #[test]
    fn timeouts_expire_and_reregistering_refreshes_them() {
        let mut reg = Registry::default();
        let t0 = Instant::now();
        let limits = RegistrationLimits::default();
        reg.apply(
            "vsys1",
            &[register("10.0.0.1", &["a"], Some(60))],
            limits,
            t0,
        )
        .expect("accepted");
        let t1 = t0 + Duration::from_secs(50);
        reg.apply(
            "vsys1",
            &[register("10.0.0.1", &["a"], Some(60))],
            limits,
            t1,
        )
        .expect("accepted");
        reg.expire(t0 + Duration::from_secs(100));
        assert!(reg.vsys("vsys1").is_some());
        reg.expire(t1 + Duration::from_secs(60));
        assert!(reg.vsys("vsys1").is_none());
    }
}
