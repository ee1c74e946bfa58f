//! What a rule's source or destination column matches, resolved from the device's address
//! objects and groups into exact sets of addresses.
//!
//! Resolution gives two sets: `sure`, what the column matches for certain, and `maybe`, what it
//! might match. They are equal when every member is readable: `any`, an address, a CIDR, an
//! `a-b` range, an address object (ip-netmask, ip-range, ip-wildcard) or a static address group
//! (nested, cycles refused). A member only the device can resolve (an FQDN object, a dynamic
//! group, an external dynamic list, a region, a shared object this vsys read does not hold, an
//! unreadable object) adds nothing to `sure` and everything to `maybe`: it can neither be
//! counted as covering nor as missing. Source: panos-xml-api.md section 4 (rule members and
//! address object shapes); PAN-OS ip-wildcard semantics (mask bit 1 = any value, IPv4 only).

use super::intervals::Intervals;
use crate::firewall::{AddressValue, DeviceObjects, ObservedAddress, ObservedAddressGroup};
use crate::sources::IpFamily;
use ipnet::IpNet;
use std::collections::HashMap;
use std::net::IpAddr;

const V4_MAX: u128 = u32::MAX as u128;
/// A wildcard with more free bits than this above its host part is not expanded.
const WILDCARD_MAX_FREE_BITS: u32 = 12;

/// A set of addresses of both families.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressSet {
    pub v4: Intervals,
    pub v6: Intervals,
}

impl AddressSet {
    pub fn all() -> Self {
        Self {
            v4: Intervals::span(0, V4_MAX),
            v6: Intervals::span(0, u128::MAX),
        }
    }

    pub fn family(&self, family: IpFamily) -> &Intervals {
        match family {
            IpFamily::V4 => &self.v4,
            IpFamily::V6 => &self.v6,
        }
    }

    pub fn union(&mut self, other: &AddressSet) {
        self.v4.union(&other.v4);
        self.v6.union(&other.v6);
    }

    fn net(net: IpNet) -> Self {
        let mut set = Self::default();
        match net {
            IpNet::V4(n) => set.v4.insert(
                u128::from(u32::from(n.network())),
                u128::from(u32::from(n.broadcast())),
            ),
            IpNet::V6(n) => set
                .v6
                .insert(u128::from(n.network()), u128::from(n.broadcast())),
        }
        set
    }

    fn range(from: IpAddr, to: IpAddr) -> Option<Self> {
        let mut set = Self::default();
        match (from, to) {
            (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => {
                set.v4
                    .insert(u128::from(u32::from(a)), u128::from(u32::from(b)));
            }
            (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => {
                set.v6.insert(u128::from(a), u128::from(b));
            }
            _ => return None,
        }
        Some(set)
    }
}

/// The addresses of one allowance's source network or destination, as one span of its family.
pub fn span_of_net(net: IpNet) -> (IpFamily, Intervals) {
    let set = AddressSet::net(net);
    match net {
        IpNet::V4(_) => (IpFamily::V4, set.v4),
        IpNet::V6(_) => (IpFamily::V6, set.v6),
    }
}

/// The whole of one family.
pub fn whole_family(family: IpFamily) -> Intervals {
    AddressSet::all().family(family).clone()
}

/// What a column matches for certain (`sure`) and at most (`maybe`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressMatch {
    pub sure: AddressSet,
    pub maybe: AddressSet,
}

impl AddressMatch {
    fn exact(set: AddressSet) -> Self {
        Self {
            sure: set.clone(),
            maybe: set,
        }
    }

    fn unknown() -> Self {
        Self {
            sure: AddressSet::default(),
            maybe: AddressSet::all(),
        }
    }

    fn union(&mut self, other: &AddressMatch) {
        self.sure.union(&other.sure);
        self.maybe.union(&other.maybe);
    }
}

/// Address objects and groups by name.
#[derive(Debug)]
pub struct AddressBook<'a> {
    addresses: HashMap<&'a str, &'a ObservedAddress>,
    groups: HashMap<&'a str, &'a ObservedAddressGroup>,
}

impl<'a> AddressBook<'a> {
    pub fn new(objects: &'a DeviceObjects) -> Self {
        Self {
            addresses: objects
                .addresses
                .iter()
                .map(|a| (a.name.as_str(), a))
                .collect(),
            groups: objects
                .address_groups
                .iter()
                .map(|g| (g.name.as_str(), g))
                .collect(),
        }
    }

    /// A rule's address column. An empty column is not something palosync can read: unknown.
    pub fn column(&self, members: &[String]) -> AddressMatch {
        if members.is_empty() {
            return AddressMatch::unknown();
        }
        let mut out = AddressMatch::default();
        for member in members {
            out.union(&self.member(member.trim(), &mut Vec::new()));
        }
        out
    }

    fn member(&self, name: &str, visiting: &mut Vec<&'a str>) -> AddressMatch {
        let named = self.addresses.contains_key(name) || self.groups.contains_key(name);
        if let Some(literal) = literal(name) {
            // A literal that is also an object's name is ambiguous: never decided.
            return if named {
                AddressMatch::unknown()
            } else {
                AddressMatch::exact(literal)
            };
        }
        if let Some(address) = self.addresses.get(name) {
            return value(&address.value).map_or_else(AddressMatch::unknown, AddressMatch::exact);
        }
        let Some(&group) = self.groups.get(name) else {
            return AddressMatch::unknown();
        };
        if group.dynamic_filter.is_some() || visiting.contains(&group.name.as_str()) {
            return AddressMatch::unknown();
        }
        visiting.push(group.name.as_str());
        let mut out = AddressMatch::default();
        for member in &group.static_members {
            out.union(&self.member(member.trim(), visiting));
        }
        visiting.pop();
        if group.static_members.is_empty() {
            return AddressMatch::unknown();
        }
        out
    }
}

/// `any`, an address, a CIDR or an `a-b` range written in a rule.
fn literal(member: &str) -> Option<AddressSet> {
    if member == "any" {
        return Some(AddressSet::all());
    }
    if let Ok(address) = member.parse::<IpAddr>() {
        return Some(AddressSet::net(IpNet::from(address)));
    }
    if let Ok(net) = member.parse::<IpNet>() {
        return Some(AddressSet::net(net));
    }
    let (from, to) = member.split_once('-')?;
    AddressSet::range(from.trim().parse().ok()?, to.trim().parse().ok()?)
}

/// An address object's value; `None` when only the device can resolve it.
fn value(value: &AddressValue) -> Option<AddressSet> {
    match value {
        AddressValue::IpNetmask(text) => {
            let text = text.trim();
            text.parse::<IpNet>()
                .ok()
                .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
                .map(AddressSet::net)
        }
        AddressValue::IpRange(text) => {
            let (from, to) = text.split_once('-')?;
            AddressSet::range(from.trim().parse().ok()?, to.trim().parse().ok()?)
        }
        AddressValue::IpWildcard(text) => wildcard(text),
        AddressValue::Fqdn(_) | AddressValue::Unreadable => None,
    }
}

/// `10.0.0.1/0.0.255.0`: the mask's 1 bits take any value. IPv4 only.
fn wildcard(text: &str) -> Option<AddressSet> {
    let (address, mask) = text.trim().split_once('/')?;
    let address = u32::from(address.parse::<std::net::Ipv4Addr>().ok()?);
    let mask = u32::from(mask.parse::<std::net::Ipv4Addr>().ok()?);
    let host_bits = mask.trailing_ones();
    let block = if host_bits == 32 {
        u32::MAX
    } else {
        (1u32 << host_bits) - 1
    };
    let free = mask & !block;
    if free.count_ones() > WILDCARD_MAX_FREE_BITS {
        return None;
    }
    let base = address & !mask;
    let mut set = AddressSet::default();
    // Every combination of the free bits above the host block (a subset walk of `free`).
    let mut combination = 0u32;
    loop {
        let lo = base | combination;
        set.v4.insert(u128::from(lo), u128::from(lo | block));
        if combination == free {
            break;
        }
        combination = (combination.wrapping_sub(free)) & free;
    }
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> u128 {
        u128::from(u32::from(text.parse::<std::net::Ipv4Addr>().unwrap()))
    }

    #[test]
    fn a_wildcard_expands_to_every_block_its_free_bits_allow() {
        let set = wildcard("10.1.0.7/0.0.3.0").unwrap();
        let spans: Vec<(u128, u128)> = set.v4.spans().to_vec();
        assert_eq!(
            spans,
            ["10.1.0.7", "10.1.1.7", "10.1.2.7", "10.1.3.7"]
                .iter()
                .map(|a| (v4(a), v4(a)))
                .collect::<Vec<_>>()
        );
        let cidr_like = wildcard("10.1.0.0/0.0.0.255").unwrap();
        assert_eq!(cidr_like.v4.spans(), &[(v4("10.1.0.0"), v4("10.1.0.255"))]);
        assert_eq!(wildcard("2001:db8::/::ff"), None);
    }

    #[test]
    fn fqdn_dynamic_and_unknown_names_are_never_sure() {
        let objects = DeviceObjects {
            addresses: vec![ObservedAddress {
                name: "vendor".into(),
                value: AddressValue::Fqdn("api.example.com".into()),
                tags: vec![],
            }],
            address_groups: vec![
                ObservedAddressGroup {
                    name: "tagged".into(),
                    static_members: vec![],
                    dynamic_filter: Some("'web'".into()),
                    tags: vec![],
                    description: String::new(),
                },
                ObservedAddressGroup {
                    name: "loop".into(),
                    static_members: vec!["loop".into(), "192.0.2.1".into()],
                    dynamic_filter: None,
                    tags: vec![],
                    description: String::new(),
                },
            ],
            ..DeviceObjects::default()
        };
        let book = AddressBook::new(&objects);
        for name in ["vendor", "tagged", "edl-bad-hosts"] {
            let column = book.column(&[name.to_owned()]);
            assert!(column.sure.v4.is_empty(), "{name}");
            assert_eq!(column.maybe, AddressSet::all(), "{name}");
        }
        let looped = book.column(&["loop".to_owned()]);
        assert_eq!(
            looped.sure.v4.spans(),
            &[(v4("192.0.2.1"), v4("192.0.2.1"))]
        );
        assert_eq!(looped.maybe, AddressSet::all());
    }
}
