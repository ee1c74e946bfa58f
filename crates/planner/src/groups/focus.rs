//! Group mode's reading of the scope: which groups a reconcile decides, and how far, and which
//! addresses' registrations it decides.
//!
//! Addresses are claimed as in address mode ([`crate::focus::resolve`], without owned rules)
//! plus, from the registrations read, every address carrying the member tag of a keyed
//! instance or group (so a terminated instance's addresses are still found). An address is
//! *read* when the read is whole, when an interface in the topology holds it, when the
//! inventory reported it absent, or when it carries a keyed instance's tag (an instance key
//! reads every interface of the instance). Anything else is unknown and never unregistered
//! ("a partial view is not the world"). Pure; never decides what is desired.

use crate::firewall::ObservedRegistrations;
use crate::focus::{Focus, Scope, resolve};
use crate::scope::{IncompleteEni, all_addresses};
use model::{GroupId, ReconcileKey, Settings, Topology, VpcId};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

/// How far a reconcile decides one group's address group and rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// A member came or went (instance, interface, attachment keys, and a keyed group's
    /// members' other groups): create the policy of a group that has none yet, nothing else.
    FirstMember,
    /// Routes changed (route table, association, VPC keys): bring the rules of every group of
    /// that VPC that has members up to date (which subnets are in scope decides shadowing);
    /// never remove a memberless group.
    Refresh,
    /// The group itself (group and prefix-list keys, `Everything`): exactly what is desired,
    /// including removing the policy of a group without members.
    Full,
}

/// The resolved scope of one group-mode reconcile.
#[derive(Debug)]
pub(crate) struct GroupFocus {
    pub addresses: Focus,
    /// Addresses claimed through their registered tags, with the first key claiming each.
    tagged: HashMap<IpAddr, usize>,
    /// Addresses known through a keyed instance's tag: their instance was read whole.
    read_by_tag: HashSet<IpAddr>,
    /// Addresses whose interface was read (or reported absent).
    read: HashSet<IpAddr>,
    incomplete: HashSet<IpAddr>,
    groups: BTreeMap<GroupId, (Level, usize)>,
}

impl GroupFocus {
    pub fn resolve(
        scope: &Scope,
        topology: &Topology,
        settings: &Settings,
        registrations: &ObservedRegistrations,
        incomplete: &[IncompleteEni<'_>],
    ) -> Self {
        let addresses = resolve(scope, topology, &[]);
        let mut focus = Self {
            tagged: HashMap::new(),
            read_by_tag: HashSet::new(),
            read: topology
                .network_interfaces
                .iter()
                .flat_map(all_addresses)
                .chain(topology.absent_addresses.iter().copied())
                .collect(),
            incomplete: incomplete
                .iter()
                .flat_map(|i| all_addresses(i.eni))
                .collect(),
            groups: BTreeMap::new(),
            addresses,
        };
        for (key_index, (key, _)) in scope.keys.iter().enumerate() {
            let (tag, whole) = match key {
                ReconcileKey::Instance(id) => (settings.member_tag(id.as_str()), true),
                ReconcileKey::SecurityGroup(id) => (settings.member_tag(id.as_str()), false),
                _ => continue,
            };
            for entry in registrations
                .entries
                .iter()
                .filter(|e| e.tags.contains(&tag))
            {
                focus.tagged.entry(entry.address).or_insert(key_index);
                if whole {
                    focus.read_by_tag.insert(entry.address);
                }
            }
        }
        focus.resolve_groups(scope, topology);
        focus
    }

    fn resolve_groups(&mut self, scope: &Scope, topology: &Topology) {
        // The strongest level wins; the earliest key involved is the cause.
        let raise = |groups: &mut BTreeMap<GroupId, (Level, usize)>, id: &GroupId, level, key| {
            let entry = groups.entry(id.clone()).or_insert((level, key));
            entry.0 = entry.0.max(level);
            entry.1 = entry.1.min(key);
        };
        for eni in &topology.network_interfaces {
            let keys: Vec<usize> = all_addresses(eni)
                .flat_map(|a| self.addresses.keys_on(&a).collect::<Vec<_>>())
                .collect();
            for key in keys {
                let level = match scope.keys.get(key).map(|(k, _)| k) {
                    Some(
                        ReconcileKey::RouteTable(_)
                        | ReconcileKey::RouteTableAssociation(_)
                        | ReconcileKey::Vpc(_),
                    ) => Level::Refresh,
                    _ => Level::FirstMember,
                };
                for group in &eni.security_groups {
                    raise(&mut self.groups, group, level, key);
                }
            }
        }
        for (key_index, (key, _)) in scope.keys.iter().enumerate() {
            if let Some(vpc) = routed_vpc(key, topology) {
                // Which subnets are in scope decides shadowing for every group of the VPC.
                let held = topology
                    .network_interfaces
                    .iter()
                    .filter(|n| &n.vpc_id == vpc)
                    .flat_map(|n| n.security_groups.iter());
                let own = topology
                    .security_groups
                    .iter()
                    .filter(|g| g.vpc_id.as_ref() == Some(vpc))
                    .map(|g| &g.id);
                for group in held.chain(own) {
                    raise(&mut self.groups, group, Level::Refresh, key_index);
                }
            }
            match key {
                ReconcileKey::SecurityGroup(id) => {
                    raise(&mut self.groups, id, Level::Full, key_index)
                }
                ReconcileKey::PrefixList(list) => {
                    let referencing = topology.security_groups.iter().filter(|g| {
                        g.ingress
                            .iter()
                            .any(|p| p.prefix_lists.iter().any(|r| &r.id == list))
                    });
                    for group in referencing {
                        raise(&mut self.groups, &group.id, Level::Full, key_index);
                    }
                }
                _ => {}
            }
        }
    }

    pub fn is_everything(&self) -> bool {
        self.addresses.is_everything()
    }

    /// The key index that decides everything, if any.
    fn everything_key(&self) -> Option<usize> {
        let claim = self.addresses.everything_claim()?;
        Some(self.addresses.claims[claim].key)
    }

    /// How far this reconcile decides `group`, and the key that causes it.
    pub fn level(&self, group: &GroupId) -> Option<(Level, usize)> {
        match self.everything_key() {
            Some(key) => Some((Level::Full, key)),
            None => self.groups.get(group).copied(),
        }
    }

    /// The first key claiming `address`, if any.
    pub fn claim(&self, address: &IpAddr) -> Option<usize> {
        let by_interface = self.addresses.keys_on(address).next();
        let by_tag = self.tagged.get(address).copied();
        match (by_interface, by_tag) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether this reconcile decides the registrations of `address`: claimed and read.
    pub fn decides(&self, address: &IpAddr) -> bool {
        if self.incomplete.contains(address) || self.claim(address).is_none() {
            return false;
        }
        self.is_everything() || self.read.contains(address) || self.read_by_tag.contains(address)
    }

    /// Claimed addresses whose state this read does not cover (the inventory should read
    /// them: see [`crate::read_targets`]).
    pub fn unread(&self) -> Vec<IpAddr> {
        let mut unread: Vec<IpAddr> = self
            .tagged
            .keys()
            .filter(|a| !self.decides(a) && !self.incomplete.contains(a))
            .copied()
            .collect();
        unread.sort_unstable();
        unread
    }
}

/// The VPC whose routes a route-table, association or VPC key is about.
fn routed_vpc<'t>(key: &ReconcileKey, topology: &'t Topology) -> Option<&'t VpcId> {
    let tables = &topology.route_tables;
    match key {
        ReconcileKey::RouteTable(id) => tables.iter().find(|t| &t.id == id).map(|t| &t.vpc_id),
        ReconcileKey::RouteTableAssociation(id) => tables
            .iter()
            .find(|t| t.associations.iter().any(|a| &a.id == id))
            .map(|t| &t.vpc_id),
        ReconcileKey::Vpc(id) => topology.vpc(id).map(|v| &v.id),
        _ => None,
    }
}
