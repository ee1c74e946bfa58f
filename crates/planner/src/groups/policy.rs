//! What group mode wants for each security group: its in-scope members, and for each service
//! the external sources its permissions allow, minus what an unmanaged rule above already
//! allows for the whole of every in-scope subnet of the group's VPC.
//!
//! The rules of a group depend on its permissions only, never on which members it has (beyond
//! having one): a source of a family no member has yet allows nothing, and keeping it means an
//! instance start or stop never rewrites a rule. Shadowing is decided per whole subnet for the
//! same reason: a member that appears later in an in-scope subnet is covered too. What the
//! static analysis cannot prove gets its rule, and so does a source of a family for which an
//! in-scope subnet has no CIDR in the read. The subnets are those of the topology read: for a
//! group key the inventory must read every subnet of the group's VPC (as a sync does), or a
//! subnet it left out counts as out of scope. Pure; never looks at owned rules.

use crate::desired::SkippedAllowance;
use crate::policy::Subject;
use crate::scope::{FirewallTargets, InScopeEni, RouteIndex, Verdict};
use crate::services::{ServiceMatch, service_for};
use crate::shadow::{StaticShadows, StaticVerdict};
use crate::sources::{ExternalSource, IpFamily, external_sources};
use ipnet::IpNet;
use model::{GroupId, Settings, Topology, VpcId};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The sources of one (group, service) rule and the permissions (indices into the group's
/// ingress) that back each.
pub(crate) type RuleSources = BTreeMap<ExternalSource, BTreeSet<u32>>;

/// What one security group needs in group mode.
#[derive(Debug, Default)]
pub(crate) struct GroupPolicy {
    /// Index into the topology's security groups.
    pub group: usize,
    /// In-scope members (indices into the in-scope interfaces).
    pub members: Vec<usize>,
    /// Every service the group's permissions allow from outside, before shadowing.
    pub rules: BTreeMap<ServiceMatch, RuleSources>,
    /// Sources left to an unmanaged rule, with its position, by service.
    pub shadowed: BTreeMap<ServiceMatch, BTreeMap<ExternalSource, usize>>,
}

impl GroupPolicy {
    /// A member and a permission yielding external sources: the group gets an address group.
    pub fn is_active(&self) -> bool {
        !self.members.is_empty() && !self.rules.is_empty()
    }

    /// The rules wanted: each service's sources minus the shadowed ones, in the order of the
    /// group's permissions (so the first permission's rule gets the first new name).
    pub fn wanted(&self) -> Vec<(ServiceMatch, RuleSources)> {
        let mut wanted: Vec<(ServiceMatch, RuleSources)> = self
            .rules
            .iter()
            .filter_map(|(service, sources)| {
                let shadowed = self.shadowed.get(service);
                let kept: RuleSources = sources
                    .iter()
                    .filter(|(s, _)| !shadowed.is_some_and(|m| m.contains_key(*s)))
                    .map(|(s, p)| (*s, p.clone()))
                    .collect();
                (!kept.is_empty()).then_some((*service, kept))
            })
            .collect();
        let first = |sources: &RuleSources| sources.values().flatten().min().copied();
        wanted.sort_by_key(|(service, sources)| (first(sources), *service));
        wanted
    }
}

/// The services palosync cannot use (see [`crate::desired::ServiceVeto`]).
pub(crate) type Veto<'v> = &'v dyn Fn(&ServiceMatch) -> Option<String>;

/// Every group with an in-scope member, by id, and the permissions that open nothing.
pub(crate) fn group_policies(
    topology: &Topology,
    settings: &Settings,
    enis: &[InScopeEni<'_>],
    veto: Veto<'_>,
) -> (BTreeMap<GroupId, GroupPolicy>, Vec<SkippedAllowance>) {
    let index: HashMap<&GroupId, usize> = topology
        .security_groups
        .iter()
        .enumerate()
        .map(|(i, g)| (&g.id, i))
        .collect();
    let mut policies: BTreeMap<GroupId, GroupPolicy> = BTreeMap::new();
    let mut skipped = Vec::new();
    let mut unknown: HashSet<&GroupId> = HashSet::new();
    for (e, member) in enis.iter().enumerate() {
        // A member is an address behind the firewall, not just an interface.
        if member.addresses().next().is_none() {
            continue;
        }
        for group_id in &member.eni.security_groups {
            let Some(&group) = index.get(group_id) else {
                if unknown.insert(group_id) {
                    skipped.push(SkippedAllowance {
                        group: group_id.clone(),
                        permission: String::new(),
                        network_interface: member.eni.id.clone(),
                        reason:
                            "the group is not in the topology read; its permissions are unknown"
                                .into(),
                    });
                }
                continue;
            };
            let policy = policies
                .entry(group_id.clone())
                .or_insert_with(|| GroupPolicy {
                    group,
                    ..GroupPolicy::default()
                });
            policy.members.push(e);
        }
    }
    for (group_id, policy) in &mut policies {
        let group = &topology.security_groups[policy.group];
        let first = enis[policy.members[0]].eni;
        let internal: Vec<IpNet> = topology
            .vpc(&first.vpc_id)
            .map(|v| v.cidr_blocks.as_slice())
            .unwrap_or_default()
            .iter()
            .map(IpNet::trunc)
            .chain(settings.internal_cidrs.iter().copied())
            .collect();
        for (p, permission) in group.ingress.iter().enumerate() {
            let skip = |reason: String| SkippedAllowance {
                group: group_id.clone(),
                permission: permission.protocol.to_string(),
                network_interface: first.id.clone(),
                reason,
            };
            let service = match service_for(&permission.protocol, settings.app_id) {
                Ok(service) => service,
                Err(error) => {
                    skipped.push(skip(error.to_string()));
                    continue;
                }
            };
            if let Some(reason) = veto(&service) {
                skipped.push(skip(reason));
                continue;
            }
            let (sources, missing) = external_sources(permission, topology, &internal);
            if let Some(list) = missing.first() {
                skipped.push(skip(format!(
                    "prefix list {list} is not in the topology read; its entries open nothing"
                )));
            }
            let permission = u32::try_from(p).expect("fewer than 2^32 permissions");
            for source in sources {
                policy
                    .rules
                    .entry(service)
                    .or_default()
                    .entry(source)
                    .or_default()
                    .insert(permission);
            }
        }
    }
    (policies, skipped)
}

/// The in-scope subnet networks of each VPC, by family. `None` for a family when a subnet in
/// scope for it has no CIDR of that family in the read (nothing can be proven there).
pub(crate) struct SubnetNets {
    by_vpc: HashMap<(VpcId, IpFamily), Option<Vec<IpNet>>>,
}

impl SubnetNets {
    pub fn new(topology: &Topology, settings: &Settings) -> Self {
        let routes = RouteIndex::new(topology);
        let firewall = FirewallTargets::new(topology, settings);
        let mut by_vpc: HashMap<(VpcId, IpFamily), Option<Vec<IpNet>>> = HashMap::new();
        for subnet in &topology.subnets {
            for family in [IpFamily::V4, IpFamily::V6] {
                let verdict = firewall.subnet_scope(&routes, subnet, family);
                let verdict = verdict.map_or(Verdict::NotThrough, |s| s.verdict);
                if verdict == Verdict::NotThrough {
                    continue;
                }
                // An undecided subnet may be in scope: like one without a CIDR, it proves nothing.
                let nets: Vec<IpNet> = match (verdict, family) {
                    (Verdict::Unknown, _) => Vec::new(),
                    (_, IpFamily::V4) => subnet.ipv4_cidr.iter().map(|n| IpNet::V4(*n)).collect(),
                    (_, IpFamily::V6) => subnet.ipv6_cidrs.iter().map(|n| IpNet::V6(*n)).collect(),
                };
                let entry = by_vpc
                    .entry((subnet.vpc_id.clone(), family))
                    .or_insert_with(|| Some(Vec::new()));
                match (nets.is_empty(), entry.as_mut()) {
                    (true, _) => *entry = None,
                    (false, Some(known)) => known.extend(nets),
                    (false, None) => {}
                }
            }
        }
        Self { by_vpc }
    }

    fn of(&self, vpc: &VpcId, family: IpFamily) -> Option<&[IpNet]> {
        self.by_vpc
            .get(&(vpc.clone(), family))
            .and_then(Option::as_deref)
            .filter(|nets| !nets.is_empty())
    }
}

/// Mark each (group, service, source) that an unmanaged rule above allows for every in-scope
/// subnet of the group's VPC in the source's family.
pub(crate) fn mark_shadowed(
    policy: &mut GroupPolicy,
    vpc: &VpcId,
    subnets: &SubnetNets,
    shadows: &StaticShadows,
) {
    for (service, sources) in &policy.rules {
        for source in sources.keys() {
            let Some(nets) = subnets.of(vpc, source.family) else {
                continue;
            };
            let mut first = None;
            let covered = nets.iter().all(|net| {
                match shadows.decide_subject(&Subject::towards(source.source, *net, service)) {
                    StaticVerdict::Covered { rule } => {
                        first.get_or_insert(rule);
                        true
                    }
                    StaticVerdict::NotCovered | StaticVerdict::Undecidable => false,
                }
            });
            if let (true, Some(rule)) = (covered, first) {
                policy
                    .shadowed
                    .entry(*service)
                    .or_default()
                    .insert(*source, rule);
            }
        }
    }
}
