//! External sources: which sources of a security-group permission reach an interface through
//! the firewall.
//!
//! A source is external when it is a CIDR, or an entry of a referenced prefix list, not inside
//! any block of the interface's VPC or `INTERNAL_CIDRS`. Group references are never external.
//! A source carries its IP family so it pairs only with destinations of that family: `0.0.0.0/0`
//! is `any` for IPv4 destinations only, `::/0` for IPv6 only. This module must never turn a
//! source of one family into an allowance for the other.

use ipnet::IpNet;
use model::{IngressPermission, PrefixListId, Topology};
use serde::Serialize;
use std::fmt;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum IpFamily {
    V4,
    V6,
}

impl IpFamily {
    pub fn of(address: &IpAddr) -> Self {
        match address {
            IpAddr::V4(_) => IpFamily::V4,
            IpAddr::V6(_) => IpFamily::V6,
        }
    }

    pub fn of_net(net: &IpNet) -> Self {
        match net {
            IpNet::V4(_) => IpFamily::V4,
            IpNet::V6(_) => IpFamily::V6,
        }
    }
}

/// The source column of a managed rule: `any` (the whole family of the rule's destinations) or
/// one CIDR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Source {
    Any,
    Net(IpNet),
}

impl Source {
    pub fn member(&self) -> String {
        match self {
            Source::Any => "any".to_owned(),
            Source::Net(net) => net.to_string(),
        }
    }

    /// Read a rule's source member: `any`, a CIDR, or a bare address (a host). Address objects
    /// and ranges are not ours and give `None`.
    pub fn parse_member(member: &str) -> Option<Self> {
        let member = member.trim();
        if member == "any" {
            return Some(Source::Any);
        }
        if let Ok(net) = member.parse::<IpNet>() {
            return Some(Source::Net(net.trunc()));
        }
        member
            .parse::<IpAddr>()
            .ok()
            .map(|address| Source::Net(IpNet::from(address)))
    }

    /// A single host address, when the source is exactly one.
    pub fn host(&self) -> Option<IpAddr> {
        match self {
            Source::Net(net) if net.prefix_len() == net.max_prefix_len() => Some(net.addr()),
            _ => None,
        }
    }

    /// Whether this source can send to `destination` at all.
    pub fn pairs_with(&self, destination: &IpAddr) -> bool {
        match self {
            Source::Any => true,
            Source::Net(net) => IpFamily::of_net(net) == IpFamily::of(destination),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.member())
    }
}

/// A source that reaches the VPC through the firewall, with its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExternalSource {
    pub source: Source,
    pub family: IpFamily,
}

impl ExternalSource {
    pub fn pairs_with(&self, destination: &IpAddr) -> bool {
        self.family == IpFamily::of(destination)
    }

    /// The member a group-mode rule writes for this source. A group-mode rule's destination
    /// (an address group) may hold both families, so a default route keeps its family:
    /// `0.0.0.0/0` or `::/0`, never `any` (see [`group_members`]).
    pub fn member(&self) -> String {
        match (self.source, self.family) {
            (Source::Any, IpFamily::V4) => "0.0.0.0/0".to_owned(),
            (Source::Any, IpFamily::V6) => "::/0".to_owned(),
            (Source::Net(net), _) => net.to_string(),
        }
    }

    /// Read a group-mode rule's source member back: `any` is both families' default routes, a
    /// CIDR or host keeps its family, a `/0` is that family's `any`. Names are not ours.
    pub fn parse_member(member: &str) -> Option<Vec<ExternalSource>> {
        let any = |family| ExternalSource {
            source: Source::Any,
            family,
        };
        match Source::parse_member(member)? {
            Source::Any => Some(vec![any(IpFamily::V4), any(IpFamily::V6)]),
            Source::Net(net) if net.prefix_len() == 0 => Some(vec![any(IpFamily::of_net(&net))]),
            Source::Net(net) => Some(vec![ExternalSource {
                source: Source::Net(net),
                family: IpFamily::of_net(&net),
            }]),
        }
    }
}

/// The source column of a group-mode rule: each source's [`ExternalSource::member`], except
/// that both default routes together are written once as `any`. Sorted, so stable.
pub fn group_members(sources: &std::collections::BTreeSet<ExternalSource>) -> Vec<String> {
    let any_v4 = sources.contains(&ExternalSource {
        source: Source::Any,
        family: IpFamily::V4,
    });
    let any_v6 = sources.contains(&ExternalSource {
        source: Source::Any,
        family: IpFamily::V6,
    });
    let both = any_v4 && any_v6;
    let mut members: Vec<String> = Vec::with_capacity(sources.len());
    if both {
        members.push("any".to_owned());
    }
    members.extend(
        sources
            .iter()
            .filter(|s| !(both && s.source == Source::Any))
            .map(ExternalSource::member),
    );
    members
}

/// Classify one CIDR: `None` when it is inside an internal block.
pub fn classify(net: IpNet, internal: &[IpNet]) -> Option<ExternalSource> {
    let net = net.trunc();
    if internal.iter().any(|block| block.contains(&net)) {
        return None;
    }
    let source = if net.prefix_len() == 0 {
        Source::Any
    } else {
        Source::Net(net)
    };
    Some(ExternalSource {
        source,
        family: IpFamily::of_net(&net),
    })
}

/// Every external source of `permission`, in a stable order, without duplicates. Prefix lists
/// missing from the topology are returned in the error list: their entries are unknown, so they
/// open nothing.
pub fn external_sources(
    permission: &IngressPermission,
    topology: &Topology,
    internal: &[IpNet],
) -> (Vec<ExternalSource>, Vec<PrefixListId>) {
    let mut sources = Vec::new();
    let mut missing = Vec::new();
    let v4 = permission.ipv4_ranges.iter().map(|r| IpNet::V4(r.cidr));
    let v6 = permission.ipv6_ranges.iter().map(|r| IpNet::V6(r.cidr));
    sources.extend(v4.chain(v6).filter_map(|net| classify(net, internal)));
    for reference in &permission.prefix_lists {
        match topology.prefix_list(&reference.id) {
            Some(list) => sources.extend(
                list.entries
                    .iter()
                    .filter_map(|entry| classify(entry.cidr, internal)),
            ),
            None => missing.push(reference.id.clone()),
        }
    }
    sources.sort_unstable();
    sources.dedup();
    (sources, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(text: &str) -> IpNet {
        text.parse().unwrap()
    }

    #[test]
    fn inside_vpc_or_internal_cidrs_is_not_external() {
        let internal = [
            net("10.0.0.0/16"),
            net("100.64.0.0/16"),
            net("172.16.0.0/12"),
        ];
        assert_eq!(classify(net("10.0.3.0/24"), &internal), None);
        assert_eq!(classify(net("100.64.1.1/32"), &internal), None);
        assert_eq!(classify(net("172.20.0.0/16"), &internal), None);
        // Overlapping but wider than the VPC: traffic from outside it comes through the firewall.
        assert!(classify(net("10.0.0.0/8"), &internal).is_some());
    }

    #[test]
    fn default_routes_become_any_of_their_family() {
        let v4 = classify(net("0.0.0.0/0"), &[]).unwrap();
        assert_eq!((v4.source, v4.family), (Source::Any, IpFamily::V4));
        let v6 = classify(net("::/0"), &[]).unwrap();
        assert_eq!((v6.source, v6.family), (Source::Any, IpFamily::V6));
        assert!(!v6.pairs_with(&"10.0.0.5".parse().unwrap()));
        assert!(v6.pairs_with(&"2001:db8::5".parse().unwrap()));
    }

    #[test]
    fn group_mode_sources_keep_their_family_and_only_both_defaults_are_any() {
        let v4 = classify(net("0.0.0.0/0"), &[]).unwrap();
        let v6 = classify(net("::/0"), &[]).unwrap();
        let host = classify(net("203.0.113.7/32"), &[]).unwrap();
        let only_v4: std::collections::BTreeSet<_> = [v4, host].into_iter().collect();
        assert_eq!(group_members(&only_v4), ["0.0.0.0/0", "203.0.113.7/32"]);
        let both: std::collections::BTreeSet<_> = [v4, v6, host].into_iter().collect();
        assert_eq!(group_members(&both), ["any", "203.0.113.7/32"]);
        let read: std::collections::BTreeSet<_> = group_members(&both)
            .iter()
            .flat_map(|m| ExternalSource::parse_member(m).unwrap())
            .collect();
        assert_eq!(read, both);
        assert_eq!(ExternalSource::parse_member("::/0"), Some(vec![v6]));
    }

    #[test]
    fn members_parse_as_cidrs_hosts_or_any() {
        assert_eq!(Source::parse_member("any"), Some(Source::Any));
        assert_eq!(
            Source::parse_member("203.0.113.7"),
            Some(Source::Net(net("203.0.113.7/32")))
        );
        assert_eq!(
            Source::parse_member("203.0.113.7/32").and_then(|s| s.host()),
            Some("203.0.113.7".parse().unwrap())
        );
        assert_eq!(Source::parse_member("web-servers"), None);
    }
}
