//! Several accounts' and regions' reads as the one topology the planner decides from.
//!
//! Merging is only safe when nothing is ambiguous, so it checks first: an id read in two
//! places, or a private address held in two places (overlapping VPCs behind one firewall,
//! which cannot tell them apart), fails both places for this run instead of mixing them.
//! Absence is the other danger: "not found" in one account says nothing about another. An
//! absent id stays absent only when the place it was asked of as a key says so, or when every
//! served place was asked and none has it; otherwise it is unknown, and the planner keeps what
//! it allows.

use model::{AccountRegion, ReconcileKey, Topology};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;
use std::net::IpAddr;

/// One place's answer to what it was asked.
#[derive(Debug)]
pub(crate) struct Answer {
    pub place: AccountRegion,
    pub keys: Vec<ReconcileKey>,
    pub topology: Topology,
}

/// Two places that hold the same thing: neither can be reconciled this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conflict {
    pub places: [AccountRegion; 2],
    pub what: String,
}

/// The places whose reads cannot be merged with another's, and why. The same object in two
/// reads (a VPC shared through RAM, an AWS-managed prefix list such as S3's, which has one id
/// in every account of a region) is one object; one id with different content is a conflict.
pub(crate) fn conflicts(answers: &[Answer]) -> Vec<Conflict> {
    conflicts_among(&answers.iter().collect::<Vec<_>>())
}

/// As [`conflicts`], over borrowed answers (a place may answer twice: its keys, then a check).
pub(crate) fn conflicts_among(answers: &[&Answer]) -> Vec<Conflict> {
    let mut found = Vec::new();
    let t = |i: usize| &answers[i].topology;
    let n = answers.len();
    same_or_conflict(
        answers,
        &mut found,
        (0..n).flat_map(|i| t(i).vpcs.iter().map(move |x| (i, x.id.as_str(), x))),
    );
    same_or_conflict(
        answers,
        &mut found,
        (0..n).flat_map(|i| t(i).subnets.iter().map(move |x| (i, x.id.as_str(), x))),
    );
    same_or_conflict(
        answers,
        &mut found,
        (0..n).flat_map(|i| t(i).route_tables.iter().map(move |x| (i, x.id.as_str(), x))),
    );
    same_or_conflict(
        answers,
        &mut found,
        (0..n).flat_map(|i| t(i).instances.iter().map(move |x| (i, x.id.as_str(), x))),
    );
    same_or_conflict(
        answers,
        &mut found,
        (0..n).flat_map(|i| {
            t(i).network_interfaces
                .iter()
                .map(move |x| (i, x.id.as_str(), x))
        }),
    );
    same_or_conflict(
        answers,
        &mut found,
        (0..n).flat_map(|i| {
            t(i).security_groups
                .iter()
                .map(move |x| (i, x.id.as_str(), x))
        }),
    );
    same_or_conflict(
        answers,
        &mut found,
        (0..n).flat_map(|i| t(i).prefix_lists.iter().map(move |x| (i, x.id.as_str(), x))),
    );
    same_or_conflict(
        answers,
        &mut found,
        (0..n).flat_map(|i| {
            t(i).vpc_endpoints
                .iter()
                .map(move |x| (i, x.id.as_str(), x))
        }),
    );
    // One address on two interfaces: overlapping address space behind one firewall.
    let mut holders: HashMap<IpAddr, (usize, &str)> = HashMap::new();
    for (index, answer) in answers.iter().enumerate() {
        for eni in &answer.topology.network_interfaces {
            for address in planner::scope::all_addresses(eni) {
                match holders.get(&address) {
                    Some(&(other, holder))
                        if holder != eni.id.as_str() && answers[other].place != answer.place =>
                    {
                        found.push(Conflict {
                            places: [answers[other].place.clone(), answer.place.clone()],
                            what: format!("address {address} ({holder} and {})", eni.id),
                        })
                    }
                    Some(_) => {}
                    None => {
                        holders.insert(address, (index, eni.id.as_str()));
                    }
                }
            }
        }
    }
    found
}

fn same_or_conflict<'a, T: PartialEq + 'a>(
    answers: &[&Answer],
    found: &mut Vec<Conflict>,
    items: impl Iterator<Item = (usize, &'a str, &'a T)>,
) {
    let mut seen: HashMap<&str, (usize, &T)> = HashMap::new();
    for (index, id, item) in items {
        match seen.get(id) {
            Some(&(other, known)) if known != item => found.push(Conflict {
                places: [answers[other].place.clone(), answers[index].place.clone()],
                what: format!("{id} (read differently in each)"),
            }),
            Some(_) => {}
            None => {
                seen.insert(id, (index, item));
            }
        }
    }
}

/// The union of `answers` (already free of conflicts). `every_place_asked`: every served
/// place was asked the same targets and answered, so "absent everywhere" means gone.
pub(crate) fn merge(answers: Vec<Answer>, every_place_asked: bool) -> Topology {
    let mut merged = Topology::default();
    let mut absent = Absences::default();
    let places = answers
        .iter()
        .map(|a| &a.place)
        .collect::<BTreeSet<_>>()
        .len();
    for answer in answers {
        let keys = KeyIds::of(&answer.keys);
        let t = answer.topology;
        absent.note(&answer.place, &t, &keys);
        // Conflicts were checked: an id seen again is the same object.
        add_new(&mut merged.vpcs, t.vpcs, |x| x.id.to_string());
        add_new(&mut merged.subnets, t.subnets, |x| x.id.to_string());
        add_new(&mut merged.route_tables, t.route_tables, |x| {
            x.id.to_string()
        });
        add_new(&mut merged.instances, t.instances, |x| x.id.to_string());
        add_new(&mut merged.network_interfaces, t.network_interfaces, |x| {
            x.id.to_string()
        });
        add_new(&mut merged.security_groups, t.security_groups, |x| {
            x.id.to_string()
        });
        add_new(&mut merged.prefix_lists, t.prefix_lists, |x| {
            x.id.to_string()
        });
        add_new(&mut merged.vpc_endpoints, t.vpc_endpoints, |x| x.id.clone());
        // A route names an endpoint of its own VPC, read in the route's own place: that
        // place's word on it is final.
        for id in t.absent_vpc_endpoints {
            if !merged.absent_vpc_endpoints.contains(&id) {
                merged.absent_vpc_endpoints.push(id);
            }
        }
    }
    let everywhere = |count: usize| every_place_asked && count == places;
    let present_instances: BTreeSet<_> = merged.instances.iter().map(|i| i.id.clone()).collect();
    let present_groups: BTreeSet<_> = merged
        .security_groups
        .iter()
        .map(|g| g.id.clone())
        .collect();
    let present_enis: BTreeSet<_> = merged
        .network_interfaces
        .iter()
        .map(|n| n.id.clone())
        .collect();
    let present_addresses: BTreeSet<IpAddr> = merged
        .network_interfaces
        .iter()
        .flat_map(planner::scope::all_addresses)
        .collect();
    merged.absent_instances = absent.instances.kept(&present_instances, everywhere);
    merged.absent_security_groups = absent.groups.kept(&present_groups, everywhere);
    merged.absent_network_interfaces = absent.enis.kept(&present_enis, everywhere);
    merged.absent_addresses = absent.addresses.kept(&present_addresses, everywhere);
    let present_endpoints: BTreeSet<String> =
        merged.vpc_endpoints.iter().map(|e| e.id.clone()).collect();
    merged
        .absent_vpc_endpoints
        .retain(|id| !present_endpoints.contains(id));
    sort(&mut merged);
    merged
}

fn add_new<T>(into: &mut Vec<T>, items: Vec<T>, id: impl Fn(&T) -> String) {
    let mut known: BTreeSet<String> = into.iter().map(&id).collect();
    for item in items {
        if known.insert(id(&item)) {
            into.push(item);
        }
    }
}

/// The keys of `answer` whose ids its place reported absent: ids another place may hold.
pub(crate) fn absent_keys(answer: &Answer) -> Vec<ReconcileKey> {
    let t = &answer.topology;
    answer
        .keys
        .iter()
        .filter(|key| match key {
            ReconcileKey::Instance(id) => t.absent_instances.contains(id),
            ReconcileKey::SecurityGroup(id) => t.absent_security_groups.contains(id),
            ReconcileKey::NetworkInterface(id) => t.absent_network_interfaces.contains(id),
            _ => false,
        })
        .cloned()
        .collect()
}

/// Take back the absence of `keys`' ids: they could not be confirmed everywhere.
pub(crate) fn forget_absent(topology: &mut Topology, keys: &[ReconcileKey]) {
    for key in keys {
        match key {
            ReconcileKey::Instance(id) => topology.absent_instances.retain(|a| a != id),
            ReconcileKey::SecurityGroup(id) => topology.absent_security_groups.retain(|a| a != id),
            ReconcileKey::NetworkInterface(id) => {
                topology.absent_network_interfaces.retain(|a| a != id)
            }
            _ => {}
        }
    }
}

/// The ids a place was asked about as keys: its own word on them is final.
#[derive(Default)]
struct KeyIds {
    instances: BTreeSet<model::InstanceId>,
    groups: BTreeSet<model::GroupId>,
    enis: BTreeSet<model::EniId>,
}

impl KeyIds {
    fn of(keys: &[ReconcileKey]) -> Self {
        let mut ids = Self::default();
        for key in keys {
            match key {
                ReconcileKey::Instance(id) => {
                    ids.instances.insert(id.clone());
                }
                ReconcileKey::SecurityGroup(id) => {
                    ids.groups.insert(id.clone());
                }
                ReconcileKey::NetworkInterface(id) => {
                    ids.enis.insert(id.clone());
                }
                _ => {}
            }
        }
        ids
    }
}

/// For each absent id: which places said so, and whether one said so of its own key.
struct Tally<T> {
    seen: BTreeMap<T, (BTreeSet<AccountRegion>, bool)>,
}

impl<T> Default for Tally<T> {
    fn default() -> Self {
        Self {
            seen: BTreeMap::new(),
        }
    }
}

impl<T: Ord + Clone + Hash> Tally<T> {
    fn add(&mut self, id: &T, place: &AccountRegion, own_key: bool) {
        let entry = self.seen.entry(id.clone()).or_default();
        entry.0.insert(place.clone());
        entry.1 |= own_key;
    }

    fn kept(self, present: &BTreeSet<T>, everywhere: impl Fn(usize) -> bool) -> Vec<T> {
        self.seen
            .into_iter()
            .filter(|(id, (places, own_key))| {
                !present.contains(id) && (*own_key || everywhere(places.len()))
            })
            .map(|(id, _)| id)
            .collect()
    }
}

#[derive(Default)]
struct Absences {
    instances: Tally<model::InstanceId>,
    groups: Tally<model::GroupId>,
    enis: Tally<model::EniId>,
    addresses: Tally<IpAddr>,
}

impl Absences {
    fn note(&mut self, place: &AccountRegion, t: &Topology, keys: &KeyIds) {
        for id in &t.absent_instances {
            self.instances.add(id, place, keys.instances.contains(id));
        }
        for id in &t.absent_security_groups {
            self.groups.add(id, place, keys.groups.contains(id));
        }
        for id in &t.absent_network_interfaces {
            self.enis.add(id, place, keys.enis.contains(id));
        }
        for address in &t.absent_addresses {
            self.addresses.add(address, place, false);
        }
    }
}

/// The inventories' canonical order (lists sorted by id), kept across places.
fn sort(t: &mut Topology) {
    t.vpcs.sort_by(|a, b| a.id.cmp(&b.id));
    t.subnets.sort_by(|a, b| a.id.cmp(&b.id));
    t.route_tables.sort_by(|a, b| a.id.cmp(&b.id));
    t.instances.sort_by(|a, b| a.id.cmp(&b.id));
    t.network_interfaces.sort_by(|a, b| a.id.cmp(&b.id));
    t.security_groups.sort_by(|a, b| a.id.cmp(&b.id));
    t.prefix_lists.sort_by(|a, b| a.id.cmp(&b.id));
    t.vpc_endpoints.sort_by(|a, b| a.id.cmp(&b.id));
    t.absent_vpc_endpoints.sort();
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Instance, InstanceState, NetworkInterface};

    fn at(region: &str) -> AccountRegion {
        AccountRegion::new("111111111111", region)
    }

    fn eni(id: &str, address: &str) -> NetworkInterface {
        NetworkInterface {
            id: id.into(),
            vpc_id: "vpc-1".into(),
            subnet_id: "subnet-1".into(),
            attachment: None,
            private_ipv4: vec![address.parse().unwrap()],
            ipv6: vec![],
            security_groups: vec![],
        }
    }

    fn answer(region: &str, keys: Vec<ReconcileKey>, topology: Topology) -> Answer {
        Answer {
            place: at(region),
            keys,
            topology,
        }
    }

    #[test]
    fn one_address_on_interfaces_of_two_places_conflicts_and_the_same_object_does_not() {
        let a = Topology {
            network_interfaces: vec![eni("eni-a", "10.0.0.5")],
            ..Topology::default()
        };
        let b = Topology {
            network_interfaces: vec![eni("eni-b", "10.0.0.5")],
            ..Topology::default()
        };
        let found = conflicts(&[answer("r-1", vec![], a.clone()), answer("r-2", vec![], b)]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].what.contains("10.0.0.5"), "{found:?}");
        // A VPC shared through RAM reads the same in both places: one object.
        assert!(
            conflicts(&[answer("r-1", vec![], a.clone()), answer("r-2", vec![], a)]).is_empty()
        );
    }

    #[test]
    fn an_id_read_differently_in_two_places_conflicts() {
        let instance = |state| Topology {
            instances: vec![Instance {
                id: "i-1".into(),
                state,
                vpc_id: None,
            }],
            ..Topology::default()
        };
        let found = conflicts(&[
            answer("r-1", vec![], instance(InstanceState::Running)),
            answer("r-2", vec![], instance(InstanceState::Stopped)),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
    }

    #[test]
    fn absence_is_kept_only_from_the_keys_own_place_or_from_every_place() {
        let gone = |absent: &str| Topology {
            absent_instances: vec![absent.into()],
            absent_addresses: vec!["10.0.0.9".parse().unwrap()],
            ..Topology::default()
        };
        let key = ReconcileKey::Instance("i-1".into());
        // Its own place says it is gone: gone. A target absent in one of two places: unknown.
        let merged = merge(
            vec![
                answer("r-1", vec![key.clone()], gone("i-1")),
                answer("r-2", vec![], Topology::default()),
            ],
            true,
        );
        assert_eq!(merged.absent_instances, vec![model::InstanceId::new("i-1")]);
        assert!(merged.absent_addresses.is_empty());
        // Absent where it was only a target, present elsewhere: not absent.
        let present = Topology {
            instances: vec![Instance {
                id: "i-2".into(),
                state: InstanceState::Running,
                vpc_id: None,
            }],
            ..Topology::default()
        };
        let merged = merge(
            vec![
                answer("r-1", vec![], gone("i-2")),
                answer("r-2", vec![], present),
            ],
            true,
        );
        assert!(merged.absent_instances.is_empty());
        // Every place asked, none has it: gone; not every place asked: unknown.
        let both = || {
            vec![
                answer("r-1", vec![], gone("i-3")),
                answer("r-2", vec![], gone("i-3")),
            ]
        };
        let merged = merge(both(), true);
        assert_eq!(merged.absent_instances, vec![model::InstanceId::new("i-3")]);
        assert_eq!(merged.absent_addresses.len(), 1);
        assert!(merge(both(), false).absent_addresses.is_empty());
    }
}
