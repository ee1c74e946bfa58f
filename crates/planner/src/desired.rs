//! Desired allowances: every (external source, destination address, service) that an in-scope
//! interface's security groups allow, with the group permissions that back each one.
//!
//! A permission that cannot be expressed without widening (an unknown protocol, a lone ICMP
//! type, a service name taken by someone else's object) is skipped with a reason, never
//! approximated. This module computes; it never looks at the firewall's rules.

use crate::scope::InScopeEni;
use crate::services::{ServiceMatch, service_for};
use crate::sources::{ExternalSource, Source, external_sources};
use ipnet::IpNet;
use model::{EniId, GroupId, PrefixListId, Settings, Topology, VpcId};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

/// One allowance a managed rule may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Allowance {
    pub source: Source,
    pub destination: IpAddr,
    pub service: ServiceMatch,
}

impl std::fmt::Display for Allowance {
    /// `198.51.100.0/24 -> 10.0.10.25 any/tcp_8443`, as `explain` and the report print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} -> {} {}",
            self.source, self.destination, self.service
        )
    }
}

/// A destination address and service: the unit one managed rule covers.
pub type Slot = (IpAddr, ServiceMatch);

/// A group permission that allows an allowance: indices into the topology's groups and that
/// group's ingress list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Backer {
    pub group: u32,
    pub permission: u32,
}

impl Backer {
    pub fn group_id<'t>(&self, topology: &'t Topology) -> &'t GroupId {
        &topology.security_groups[self.group as usize].id
    }

    /// `sg-1 tcp/22`: the group and the permission in words.
    pub fn describe(&self, topology: &Topology) -> String {
        let group = &topology.security_groups[self.group as usize];
        let permission = &group.ingress[self.permission as usize];
        format!("{} {}", group.id, permission.protocol)
    }
}

/// A permission, or a whole group, that opens nothing, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SkippedAllowance {
    pub group: GroupId,
    /// The permission in words (`tcp/22`, `protocol 253`), empty for a whole group.
    pub permission: String,
    pub network_interface: EniId,
    pub reason: String,
}

/// The desired allowances of some destinations, by slot.
#[derive(Debug, Default)]
pub struct Desired {
    pub slots: HashMap<Slot, BTreeMap<Source, Vec<Backer>>>,
    pub skipped: Vec<SkippedAllowance>,
}

impl Desired {
    pub fn contains(&self, slot: &Slot, source: &Source) -> bool {
        self.slots.get(slot).is_some_and(|s| s.contains_key(source))
    }

    pub fn backers(&self, slot: &Slot, source: &Source) -> &[Backer] {
        self.slots
            .get(slot)
            .and_then(|s| s.get(source))
            .map_or(&[], Vec::as_slice)
    }
}

/// The services palosync cannot use: names held by objects that are not ours and differ.
pub type ServiceVeto<'v> = &'v dyn Fn(&ServiceMatch) -> Option<String>;

/// What one permission gives in one VPC, computed once and shared by every interface: its
/// service, its external sources, and the referenced prefix lists the topology lacks.
type PermissionYield = Result<(ServiceMatch, Vec<ExternalSource>, Vec<PrefixListId>), String>;

/// The desired allowances of `enis` (every address of an in-scope family).
pub fn desired_for<'a>(
    topology: &'a Topology,
    settings: &Settings,
    enis: impl IntoIterator<Item = &'a InScopeEni<'a>>,
    veto: ServiceVeto<'_>,
) -> Desired {
    let groups: HashMap<&GroupId, u32> = topology
        .security_groups
        .iter()
        .enumerate()
        .map(|(i, g)| (&g.id, index(i)))
        .collect();
    let mut internal: HashMap<&VpcId, Vec<IpNet>> = HashMap::new();
    let mut yields: HashMap<(u32, u32, &VpcId), PermissionYield> = HashMap::new();
    let mut reported: HashSet<(&GroupId, u32, &EniId)> = HashSet::new();
    let mut desired = Desired::default();
    for in_scope in enis {
        let eni = in_scope.eni;
        let blocks = internal.entry(&eni.vpc_id).or_insert_with(|| {
            let vpc = topology.vpc(&eni.vpc_id).map(|v| v.cidr_blocks.as_slice());
            let own = vpc.unwrap_or_default().iter().map(IpNet::trunc);
            own.chain(settings.internal_cidrs.iter().copied()).collect()
        });
        for group_id in &eni.security_groups {
            let Some(&group) = groups.get(group_id) else {
                if reported.insert((group_id, u32::MAX, &eni.id)) {
                    desired.skipped.push(SkippedAllowance {
                        group: group_id.clone(),
                        permission: String::new(),
                        network_interface: eni.id.clone(),
                        reason:
                            "the group is not in the topology read; its permissions are unknown"
                                .into(),
                    });
                }
                continue;
            };
            let permissions = &topology.security_groups[group as usize].ingress;
            for (p, permission) in permissions.iter().enumerate() {
                let backer = Backer {
                    group,
                    permission: index(p),
                };
                let produced = yields
                    .entry((group, backer.permission, &eni.vpc_id))
                    .or_insert_with(|| {
                        let service = service_for(&permission.protocol, settings.app_id)
                            .map_err(|e| e.to_string())?;
                        if let Some(reason) = veto(&service) {
                            return Err(reason);
                        }
                        let (sources, missing) = external_sources(permission, topology, blocks);
                        Ok((service, sources, missing))
                    });
                let (service, sources, missing) = match produced {
                    Ok(ok) => ok,
                    Err(reason) => {
                        if reported.insert((group_id, backer.permission, &eni.id)) {
                            desired.skipped.push(SkippedAllowance {
                                group: group_id.clone(),
                                permission: permission.protocol.to_string(),
                                network_interface: eni.id.clone(),
                                reason: reason.clone(),
                            });
                        }
                        continue;
                    }
                };
                if let Some(list) = missing.first()
                    && reported.insert((group_id, backer.permission, &eni.id))
                {
                    desired.skipped.push(SkippedAllowance {
                        group: group_id.clone(),
                        permission: permission.protocol.to_string(),
                        network_interface: eni.id.clone(),
                        reason: format!(
                            "prefix list {list} is not in the topology read; its entries open nothing"
                        ),
                    });
                }
                for destination in in_scope.addresses() {
                    let paired = sources.iter().filter(|s| s.pairs_with(&destination));
                    for external in paired {
                        let backers = desired
                            .slots
                            .entry((destination, *service))
                            .or_default()
                            .entry(external.source)
                            .or_default();
                        if !backers.contains(&backer) {
                            backers.push(backer);
                        }
                    }
                }
            }
        }
    }
    desired
}

fn index(i: usize) -> u32 {
    u32::try_from(i).expect("fewer than 2^32 groups and permissions fit in memory")
}
