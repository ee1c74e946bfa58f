//! Group mode's membership on the device: User-ID registrations read back and changed, and the
//! running config's dynamic address groups. None of it needs a commit: a registration takes
//! effect at once (PAN-OS 9.0+, see panos-xml-api.md §7a).
//!
//! Only palosync's tag namespace (`<managed_tag>.`) is ever kept from a read or unregistered: an
//! address's other tags belong to someone else (another User-ID source, an operator) and are
//! neither seen by the planner nor touched.

use super::{Device, Firewall, FirewallError, ManagedFailure};
use panos::{AddressGroup, ConfigEntry, RegisteredIpFilter};
use planner::{
    ObservedRegistrations, RegisteredAddress, Registration, RegistrationChanges, RegistrationRead,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// What one run changed in the registrations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RegistrationReport {
    /// Address-tag pairs registered and unregistered.
    pub registered: usize,
    pub unregistered: usize,
    /// User-ID messages sent.
    pub messages: usize,
    /// Behind Panorama: firewalls whose registrations could not be read or changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<ManagedFailure>,
}

/// Which part of the changes to make: members are registered before the rules that use them
/// are committed, and unregistered only once the commit (and push) landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationStep {
    Register,
    Unregister,
    Both,
}

impl RegistrationStep {
    /// The part of `changes` this step makes: (register, unregister).
    pub(super) fn of(self, changes: &RegistrationChanges) -> (&[Registration], &[Registration]) {
        match self {
            Self::Register => (&changes.register, &[]),
            Self::Unregister => (&[], &changes.unregister),
            Self::Both => (&changes.register, &changes.unregister),
        }
    }
}

impl Firewall {
    /// The registrations `read` asks for, each address's tags narrowed to `prefix`; behind
    /// Panorama, what every firewall of the device group holds (see [`super::panorama`]).
    pub async fn read_registrations(
        &self,
        read: &RegistrationRead,
        prefix: &str,
    ) -> Result<ObservedRegistrations, FirewallError> {
        match &self.device {
            Device::Standalone => {
                self.read_registrations_with(&self.client, read, prefix)
                    .await
            }
            Device::Panorama(panorama) => {
                self.read_registrations_on_firewalls(panorama, read, prefix)
                    .await
            }
        }
    }

    /// As [`Firewall::read_registrations`], from the device `client` talks to. Addresses read
    /// by address or tag are read concurrently; `All` pages through every registration.
    pub(super) async fn read_registrations_with(
        &self,
        client: &panos::Client,
        read: &RegistrationRead,
        prefix: &str,
    ) -> Result<ObservedRegistrations, FirewallError> {
        let filters: Vec<RegisteredIpFilter> = match read {
            RegistrationRead::Nothing => Vec::new(),
            RegistrationRead::All => vec![RegisteredIpFilter::All],
            RegistrationRead::Some { addresses, tags } => addresses
                .iter()
                .map(|a| RegisteredIpFilter::Address(*a))
                .chain(tags.iter().map(|t| RegisteredIpFilter::Tag(t.clone())))
                .collect(),
        };
        let reads = filters
            .into_iter()
            .map(|filter| client.registered_ips(&self.vsys, filter));
        let pages = futures::future::try_join_all(reads)
            .await
            .map_err(FirewallError::Read)?;
        let mut by_address: BTreeMap<IpAddr, Vec<String>> = BTreeMap::new();
        for entry in pages.into_iter().flatten() {
            let tags = by_address.entry(entry.address).or_default();
            for tag in entry.tags.into_iter().filter(|t| t.starts_with(prefix)) {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
        }
        Ok(ObservedRegistrations {
            read: read.clone(),
            entries: by_address
                .into_iter()
                .filter(|(_, tags)| !tags.is_empty())
                .map(|(address, mut tags)| {
                    tags.sort();
                    RegisteredAddress { address, tags }
                })
                .collect(),
        })
    }

    /// Make `step` of the changes, in as few User-ID messages as the client packs them. A
    /// standalone firewall gets `planned`; behind Panorama each firewall gets what
    /// `per_firewall` plans from the registrations it was read to hold, so each converges
    /// from its own state.
    pub async fn update_registrations(
        &self,
        step: RegistrationStep,
        planned: &RegistrationChanges,
        per_firewall: &(dyn Fn(&ObservedRegistrations) -> RegistrationChanges + Sync),
        timeout: Option<u32>,
    ) -> Result<RegistrationReport, FirewallError> {
        match &self.device {
            Device::Standalone => {
                let (register, unregister) = step.of(planned);
                let messages = self
                    .send_registrations(&self.client, register, unregister, timeout)
                    .await?;
                let count = |list: &[Registration]| list.iter().map(|r| r.tags.len()).sum();
                Ok(RegistrationReport {
                    registered: count(register),
                    unregistered: count(unregister),
                    messages,
                    failed: Vec::new(),
                })
            }
            Device::Panorama(panorama) => Ok(self
                .update_registrations_on_firewalls(panorama, step, per_firewall, timeout)
                .await),
        }
    }

    /// Sends `register` and `unregister` to the device `client` talks to; returns the number
    /// of messages (0 when there is nothing to send).
    pub(super) async fn send_registrations(
        &self,
        client: &panos::Client,
        register: &[Registration],
        unregister: &[Registration],
        timeout: Option<u32>,
    ) -> Result<usize, FirewallError> {
        if register.is_empty() && unregister.is_empty() {
            return Ok(0);
        }
        // An unregister entry without tags removes every tag of the address, other sources'
        // included: never send one.
        let pairs = |list: &[Registration]| -> Vec<(IpAddr, Vec<String>)> {
            list.iter()
                .filter(|r| !r.tags.is_empty())
                .map(|r| (r.address, r.tags.clone()))
                .collect()
        };
        client
            .update_registrations(&self.vsys, &pairs(register), &pairs(unregister), timeout)
            .await
            .map_err(FirewallError::Registration)
    }

    /// palosync's dynamic address groups in the running config: remembered from this process's
    /// last committed full reconcile (a warm Lambda keeps it across invocations), else read.
    /// A remembered list goes stale only if someone deletes palosync's objects by hand, which
    /// breaks every member until the next sync repairs it; the fast path is no worse for it.
    pub async fn member_groups(
        &self,
        prefix: &str,
        managed_tag: &str,
    ) -> Result<Vec<String>, FirewallError> {
        if let Some(known) = self.remembered_member_groups() {
            return Ok(known);
        }
        let read = self.running_member_groups(prefix, managed_tag).await?;
        self.remember_member_groups(Some(read.clone()));
        Ok(read)
    }

    fn remembered_member_groups(&self) -> Option<Vec<String>> {
        self.member_groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Remember (or, with `None`, forget) what the running config holds.
    pub fn remember_member_groups(&self, groups: Option<Vec<String>>) {
        *self
            .member_groups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = groups;
    }

    /// Names of the dynamic address groups in the running config whose names start with
    /// `prefix` (palosync's, when they also carry the managed tag).
    pub async fn running_member_groups(
        &self,
        prefix: &str,
        managed_tag: &str,
    ) -> Result<Vec<String>, FirewallError> {
        let container = AddressGroup::container(&self.location);
        let node = self
            .client
            .show(&container)
            .await
            .map_err(FirewallError::Read)?;
        let Some(node) = node else {
            return Ok(Vec::new());
        };
        node.children_named("entry")
            .map(AddressGroup::from_entry)
            .filter_map(|group| match group {
                Ok(g)
                    if g.name.starts_with(prefix)
                        && g.dynamic_filter.is_some()
                        && g.tags.iter().any(|t| t == managed_tag) =>
                {
                    Some(Ok(g.name))
                }
                Ok(_) => None,
                Err(e) => Some(Err(FirewallError::Read(e))),
            })
            .collect()
    }
}
