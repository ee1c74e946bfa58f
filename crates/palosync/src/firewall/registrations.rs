//! Group mode's membership on the device: User-ID registrations read back and changed, and the
//! running config's dynamic address groups. None of it needs a commit: a registration takes
//! effect at once (PAN-OS 9.0+, see panos-xml-api.md §7a).
//!
//! Only palosync's tag namespace (`<managed_tag>.`) is ever kept from a read or unregistered: an
//! address's other tags belong to someone else (another User-ID source, an operator) and are
//! neither seen by the planner nor touched.

use super::{Firewall, FirewallError};
use panos::{AddressGroup, ConfigEntry, RegisteredIpFilter};
use planner::{ObservedRegistrations, RegisteredAddress, Registration, RegistrationRead};
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
}

impl Firewall {
    /// The registrations `read` asks for, each address's tags narrowed to `prefix`. Addresses
    /// read by address or tag are read concurrently; `All` pages through every registration.
    pub async fn read_registrations(
        &self,
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
            .map(|filter| self.client.registered_ips(&self.vsys, filter));
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

    /// Register and unregister, in as few User-ID messages as the client packs them.
    pub async fn update_registrations(
        &self,
        register: &[Registration],
        unregister: &[Registration],
        timeout: Option<u32>,
    ) -> Result<RegistrationReport, FirewallError> {
        if register.is_empty() && unregister.is_empty() {
            return Ok(RegistrationReport::default());
        }
        // An unregister entry without tags removes every tag of the address, other sources'
        // included: never send one.
        let pairs = |list: &[Registration]| -> Vec<(IpAddr, Vec<String>)> {
            list.iter()
                .filter(|r| !r.tags.is_empty())
                .map(|r| (r.address, r.tags.clone()))
                .collect()
        };
        let messages = self
            .client
            .update_registrations(&self.vsys, &pairs(register), &pairs(unregister), timeout)
            .await
            .map_err(FirewallError::Registration)?;
        let count = |list: &[Registration]| list.iter().map(|r| r.tags.len()).sum();
        Ok(RegistrationReport {
            registered: count(register),
            unregistered: count(unregister),
            messages,
        })
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
