//! The part of the rulebase one reconcile may touch, and the cause of each change.
//!
//! Each reconcile key claims destination addresses: an instance claims its interfaces'
//! addresses (and those of rules named after it or describing it, so rules outlive nothing);
//! a group claims the addresses of interfaces holding it (and of rules named after it) but only
//! the allowances it backs; a route table, association or VPC claims the interfaces behind it; a
//! prefix list acts as the groups that reference it; `Everything` claims all. Managed
//! allowances to a claimed address that are no longer desired are removed, missing ones the
//! claim admits are added, and everything else is left as it is. A key that cannot be resolved
//! from the topology read widens to everything, with a note.

use crate::coverage::OwnedRule;
use crate::desired::Backer;
use crate::explanation::described_targets;
use crate::ownership::NamedAfter;
use crate::scope::{RouteIndex, all_addresses};
use model::{GroupId, InstanceId, NetworkInterface, Provenance, ReconcileKey, Topology};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

/// What to reconcile and why: keys in the order their events came, each with its provenance.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub keys: Vec<(ReconcileKey, Provenance)>,
}

impl Scope {
    pub fn new(keys: Vec<(ReconcileKey, Provenance)>) -> Self {
        Self { keys }
    }

    /// A full sync.
    pub fn everything(provenance: Provenance) -> Self {
        Self::new(vec![(ReconcileKey::Everything, provenance)])
    }

    pub fn single(key: ReconcileKey, provenance: Provenance) -> Self {
        Self::new(vec![(key, provenance)])
    }
}

/// Which missing allowances a claim may add.
#[derive(Debug, Clone)]
pub enum Admit {
    All,
    BackedBy(GroupId),
}

/// How rules created under a claim are named.
#[derive(Debug, Clone)]
pub enum Naming {
    Instance(InstanceId),
    /// After this group, or (`None`) after the smallest group backing the rule.
    Group(Option<GroupId>),
}

#[derive(Debug, Clone)]
pub struct Claim {
    /// Index of the key in the scope: earlier keys win when naming.
    pub key: usize,
    pub admit: Admit,
    pub naming: Naming,
}

impl Claim {
    fn admits(&self, backers: &[Backer], topology: &Topology) -> bool {
        match &self.admit {
            Admit::All => true,
            Admit::BackedBy(group) => backers.iter().any(|b| b.group_id(topology) == group),
        }
    }

    pub fn owner_for(&self, backers: &[Backer], topology: &Topology) -> Option<NamedAfter> {
        match &self.naming {
            Naming::Instance(id) => Some(NamedAfter::Instance(id.clone())),
            Naming::Group(Some(group)) => Some(NamedAfter::Group(group.clone())),
            Naming::Group(None) => backers
                .iter()
                .map(|b| b.group_id(topology))
                .min()
                .map(|g| NamedAfter::Group(g.clone())),
        }
    }
}

/// The resolved scope of one reconcile.
#[derive(Debug, Default)]
pub struct Focus {
    pub claims: Vec<Claim>,
    everything: Option<usize>,
    addresses: HashMap<IpAddr, Vec<usize>>,
    pub notes: Vec<String>,
}

impl Focus {
    pub fn is_everything(&self) -> bool {
        self.everything.is_some()
    }

    pub fn contains(&self, address: &IpAddr) -> bool {
        self.everything.is_some() || self.addresses.contains_key(address)
    }

    /// The claim of the `Everything` key, if the scope has one (or widened to it).
    pub fn everything_claim(&self) -> Option<usize> {
        self.everything
    }

    /// The scope keys (indices) claiming `address`, in key order.
    pub fn keys_on(&self, address: &IpAddr) -> impl Iterator<Item = usize> + '_ {
        self.claims_on(address).map(|claim| self.claims[claim].key)
    }

    /// The earliest claim on `address`, whatever it admits: the cause of removals.
    pub fn first_claim(&self, address: &IpAddr) -> Option<usize> {
        self.claims_on(address).next()
    }

    /// The earliest claim on `address` that admits an allowance with these backers.
    pub fn admitting(
        &self,
        address: &IpAddr,
        backers: &[Backer],
        topology: &Topology,
    ) -> Option<usize> {
        self.claims_on(address)
            .find(|&claim| self.claims[claim].admits(backers, topology))
    }

    /// Claim indices on `address` in key order (claims are numbered in key order), without
    /// allocating: this runs once per desired allowance.
    fn claims_on(&self, address: &IpAddr) -> impl Iterator<Item = usize> + '_ {
        let listed = self.addresses.get(address).map_or(&[][..], Vec::as_slice);
        let everything = self.everything;
        let before = listed
            .iter()
            .copied()
            .filter(move |&c| everything.is_none_or(|e| c < e));
        let after = listed
            .iter()
            .copied()
            .filter(move |&c| everything.is_some_and(|e| c > e));
        before.chain(everything).chain(after)
    }

    /// Whether an owned rule is in scope: any readable destination claimed, or a full sync.
    pub fn covers_rule(&self, rule: &OwnedRule<'_>) -> bool {
        self.everything.is_some() || rule.destinations.iter().any(|d| self.contains(d))
    }
}

impl Focus {
    /// An owned rule in scope that someone else edited (content palosync cannot read back as
    /// its own) is replaced, not just deleted (issue 12, item 8): every allowance desired for
    /// what it served, its destinations and the instances and interfaces its description
    /// names, is admitted whatever group backs it, so the same run recreates all of them. The
    /// claim takes the cause of the earliest claim on the rule and names new rules after the
    /// rule's own owner.
    pub fn widen_for_foreign_edits(&mut self, owned: &[OwnedRule<'_>], topology: &Topology) {
        if self.is_everything() {
            return;
        }
        let edited: Vec<&OwnedRule<'_>> = owned
            .iter()
            .filter(|r| r.tuples.is_none() && self.covers_rule(r))
            .collect();
        for rule in edited {
            let Some(first) = rule.destinations.iter().find_map(|d| self.first_claim(d)) else {
                continue;
            };
            let key = self.claims[first].key;
            let naming = match &rule.name.owner {
                NamedAfter::Instance(id) => Naming::Instance(id.clone()),
                NamedAfter::Group(id) => Naming::Group(Some(id.clone())),
            };
            self.claims.push(Claim {
                key,
                admit: Admit::All,
                naming,
            });
            let claim = self.claims.len() - 1;
            let described: HashSet<&str> = described_targets(&rule.rule.description).collect();
            let served = topology
                .network_interfaces
                .iter()
                .filter(|n| {
                    described.contains(n.id.as_str())
                        || n.attached_instance()
                            .is_some_and(|i| described.contains(i.as_str()))
                })
                .flat_map(all_addresses);
            let addresses: Vec<IpAddr> = rule.destinations.iter().copied().chain(served).collect();
            for address in addresses {
                let claims = self.addresses.entry(address).or_default();
                if !claims.contains(&claim) {
                    claims.push(claim);
                }
            }
        }
    }
}

/// Whether `key`, resolved against `topology`, claims everything: `Everything` itself, or a
/// key naming what the read does not hold (a detached attachment, a replaced association, a
/// deleted table), which widens. A reader merging several accounts' reads replaces such a key
/// by the whole of its own account's read, so one account's widening never claims another's
/// rules.
pub fn claims_everything(key: &ReconcileKey, topology: &Topology) -> bool {
    match key {
        ReconcileKey::Everything => true,
        ReconcileKey::Attachment(id) => !topology
            .network_interfaces
            .iter()
            .any(|n| n.attachment.as_ref().and_then(|a| a.attachment_id.as_ref()) == Some(id)),
        ReconcileKey::RouteTable(id) => !topology.route_tables.iter().any(|t| &t.id == id),
        ReconcileKey::RouteTableAssociation(id) => !topology
            .route_tables
            .iter()
            .any(|t| t.associations.iter().any(|a| &a.id == id)),
        ReconcileKey::Instance(_)
        | ReconcileKey::NetworkInterface(_)
        | ReconcileKey::SecurityGroup(_)
        | ReconcileKey::Vpc(_)
        | ReconcileKey::PrefixList(_) => false,
    }
}

/// Resolve every key of `scope` against the topology read and the owned rules.
pub fn resolve(scope: &Scope, topology: &Topology, owned: &[OwnedRule<'_>]) -> Focus {
    let routes = RouteIndex::new(topology);
    let mut builder = FocusBuilder {
        focus: Focus::default(),
        topology,
        owned,
        by_target: None,
    };
    for (key_index, (key, _)) in scope.keys.iter().enumerate() {
        builder.key(key_index, key, &routes);
    }
    builder.focus
}

struct FocusBuilder<'f, 'a> {
    focus: Focus,
    topology: &'f Topology,
    owned: &'f [OwnedRule<'a>],
    /// Owned rules by the ids they are named after or describe as targets, built on first use.
    by_target: Option<HashMap<&'f str, Vec<usize>>>,
}

impl<'f> FocusBuilder<'f, '_> {
    fn key(&mut self, key_index: usize, key: &ReconcileKey, routes: &RouteIndex<'_>) {
        let topology = self.topology;
        let interfaces = &topology.network_interfaces;
        match key {
            ReconcileKey::Instance(id) => {
                let claim = self.claim(key_index, Admit::All, Naming::Instance(id.clone()));
                let enis = interfaces
                    .iter()
                    .filter(|n| n.attached_instance() == Some(id));
                self.claim_enis(claim, enis);
                self.claim_rules_about(claim, id.as_str());
            }
            ReconcileKey::NetworkInterface(id) => match topology.network_interface(id) {
                Some(eni) => self.interface(key_index, eni),
                None => {
                    let claim = self.claim(key_index, Admit::All, Naming::Group(None));
                    self.claim_rules_about(claim, id.as_str());
                }
            },
            ReconcileKey::Attachment(id) => {
                let attached = interfaces.iter().find(|n| {
                    n.attachment.as_ref().and_then(|a| a.attachment_id.as_ref()) == Some(id)
                });
                match attached {
                    Some(eni) => self.interface(key_index, eni),
                    None => self.widen(key_index, format!("attachment {id}")),
                }
            }
            ReconcileKey::SecurityGroup(id) => self.group(key_index, id),
            ReconcileKey::RouteTable(id) => {
                match topology.route_tables.iter().find(|t| &t.id == id) {
                    Some(table) => {
                        let claim = self.claim(key_index, Admit::All, Naming::Group(None));
                        // An internet gateway's edge table routes traffic to any subnet.
                        let edge = table.associations.iter().any(|a| a.gateway_id.is_some());
                        let enis = interfaces.iter().filter(|n| {
                            table.is_associated_with(&n.subnet_id)
                                || (edge && n.vpc_id == table.vpc_id)
                                || (table.is_main()
                                    && n.vpc_id == table.vpc_id
                                    && !routes.has_explicit(&n.subnet_id))
                        });
                        self.claim_enis(claim, enis);
                    }
                    None => self.widen(key_index, format!("route table {id}")),
                }
            }
            ReconcileKey::RouteTableAssociation(id) => {
                let found = topology
                    .route_tables
                    .iter()
                    .find_map(|t| t.associations.iter().find(|a| &a.id == id).map(|a| (t, a)));
                match found {
                    Some((table, association)) if association.main => self.key(
                        key_index,
                        &ReconcileKey::RouteTable(table.id.clone()),
                        routes,
                    ),
                    Some((table, association)) => {
                        let claim = self.claim(key_index, Admit::All, Naming::Group(None));
                        let subnet = association.subnet_id.as_ref();
                        let edge = association.gateway_id.is_some();
                        let enis = interfaces.iter().filter(|n| {
                            Some(&n.subnet_id) == subnet || (edge && n.vpc_id == table.vpc_id)
                        });
                        self.claim_enis(claim, enis);
                    }
                    None => self.widen(key_index, format!("route table association {id}")),
                }
            }
            ReconcileKey::Vpc(id) => {
                let claim = self.claim(key_index, Admit::All, Naming::Group(None));
                self.claim_enis(claim, interfaces.iter().filter(|n| &n.vpc_id == id));
            }
            ReconcileKey::PrefixList(id) => {
                let referencing = topology.security_groups.iter().filter(|g| {
                    g.ingress
                        .iter()
                        .any(|p| p.prefix_lists.iter().any(|r| &r.id == id))
                });
                for group in referencing {
                    self.group(key_index, &group.id);
                }
            }
            ReconcileKey::Everything => {
                let claim = self.claim(key_index, Admit::All, Naming::Group(None));
                self.focus.everything.get_or_insert(claim);
            }
        }
    }

    fn interface(&mut self, key_index: usize, eni: &NetworkInterface) {
        let naming = match eni.attached_instance() {
            Some(instance) => Naming::Instance(instance.clone()),
            None => Naming::Group(None),
        };
        let claim = self.claim(key_index, Admit::All, naming);
        self.claim_enis(claim, std::iter::once(eni));
        self.claim_rules_about(claim, eni.id.as_str());
    }

    fn group(&mut self, key_index: usize, id: &GroupId) {
        let naming = Naming::Group(Some(id.clone()));
        let claim = self.claim(key_index, Admit::BackedBy(id.clone()), naming);
        let enis = self.topology.network_interfaces.iter();
        self.claim_enis(claim, enis.filter(|n| n.security_groups.contains(id)));
        let named: Vec<IpAddr> = self
            .owned
            .iter()
            .filter(|r| matches!(&r.name.owner, NamedAfter::Group(g) if g == id))
            .flat_map(|r| r.destinations.iter().copied())
            .collect();
        self.claim_addresses(claim, named);
    }

    fn widen(&mut self, key_index: usize, what: String) {
        self.focus.notes.push(format!(
            "{what} is not in the topology read; reconciling everything"
        ));
        self.key(
            key_index,
            &ReconcileKey::Everything,
            &RouteIndex::new(self.topology),
        );
    }

    fn claim(&mut self, key: usize, admit: Admit, naming: Naming) -> usize {
        self.focus.claims.push(Claim { key, admit, naming });
        self.focus.claims.len() - 1
    }

    fn claim_enis<'n>(&mut self, claim: usize, enis: impl Iterator<Item = &'n NetworkInterface>) {
        let addresses: Vec<IpAddr> = enis.flat_map(all_addresses).collect();
        self.claim_addresses(claim, addresses);
    }

    fn claim_addresses(&mut self, claim: usize, addresses: impl IntoIterator<Item = IpAddr>) {
        for address in addresses {
            let claims = self.focus.addresses.entry(address).or_default();
            if claims.last() != Some(&claim) && !claims.contains(&claim) {
                claims.push(claim);
            }
        }
    }

    /// Claim the destinations of owned rules named after `id` or describing it as a target.
    fn claim_rules_about(&mut self, claim: usize, id: &str) {
        let owned = self.owned;
        let index = self.by_target.get_or_insert_with(|| {
            let mut index: HashMap<&'f str, Vec<usize>> = HashMap::new();
            for (i, rule) in owned.iter().enumerate() {
                let mut ids: HashSet<&str> = described_targets(&rule.rule.description).collect();
                ids.insert(rule.name.owner.id());
                for id in ids {
                    index.entry(id).or_default().push(i);
                }
            }
            index
        });
        let addresses: Vec<IpAddr> = index
            .get(id)
            .into_iter()
            .flatten()
            .flat_map(|&i| owned[i].destinations.iter().copied())
            .collect();
        self.claim_addresses(claim, addresses);
    }
}
