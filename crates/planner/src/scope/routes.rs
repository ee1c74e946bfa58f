//! The one decision of whether a subnet's traffic of one IP family passes the firewall, and
//! the sentence that says why (the planner and `explain` print the same one).
//!
//! Two paths lead through it:
//! - **the subnet's default route**: its effective route table (explicit, else main) sends
//!   `0.0.0.0/0` or `::/0` to the firewall instance, one of its interfaces, a configured extra
//!   target, or a Gateway Load Balancer endpoint of a configured service (`vpce-…` of a
//!   `vpce-svc-…` in `gwlb_services`);
//! - **ingress routing**: the route table associated with the VPC's internet gateway (an edge
//!   association) sends the subnet's block to one of those targets. The most specific route
//!   whose destination contains the subnet's block decides, as AWS routes; each family apart.
//!
//! A route to a `vpce-…` the topology does not hold (not read, not known to be deleted) makes
//! the answer unknown when GWLB services are configured: the caller keeps the interface
//! `incomplete`, never silently in or out.

use crate::sources::IpFamily;
use ipnet::IpNet;
use model::{
    EniId, InstanceId, Route, RouteDestination, RouteTable, Settings, Subnet, SubnetId, Topology,
    VpcId,
};
use std::collections::{HashMap, HashSet};

/// Route tables indexed the way scope resolution asks for them.
#[derive(Debug)]
pub struct RouteIndex<'a> {
    explicit: HashMap<&'a SubnetId, &'a RouteTable>,
    main: HashMap<&'a VpcId, &'a RouteTable>,
    /// Tables associated with an internet gateway, with the gateway's id, per VPC.
    edges: HashMap<&'a VpcId, Vec<(&'a str, &'a RouteTable)>>,
}

impl<'a> RouteIndex<'a> {
    pub fn new(topology: &'a Topology) -> Self {
        let mut explicit = HashMap::new();
        let mut main = HashMap::new();
        let mut edges: HashMap<&VpcId, Vec<_>> = HashMap::new();
        for table in &topology.route_tables {
            for association in &table.associations {
                if let Some(subnet) = &association.subnet_id {
                    explicit.insert(subnet, table);
                }
                if let Some(gateway) = association.gateway_id.as_deref()
                    && gateway.starts_with("igw-")
                {
                    edges
                        .entry(&table.vpc_id)
                        .or_default()
                        .push((gateway, table));
                }
            }
            if table.is_main() {
                main.insert(&table.vpc_id, table);
            }
        }
        Self {
            explicit,
            main,
            edges,
        }
    }

    /// The explicitly associated table, else the VPC's main table.
    pub fn effective(&self, subnet: &SubnetId, vpc: &VpcId) -> Option<&'a RouteTable> {
        self.explicit
            .get(subnet)
            .or_else(|| self.main.get(vpc))
            .copied()
    }

    /// Whether `subnet` has its own association (and so ignores the main table).
    pub fn has_explicit(&self, subnet: &SubnetId) -> bool {
        self.explicit.contains_key(subnet)
    }

    /// The VPC's internet gateway edge tables, with the gateway id.
    pub fn edges(&self, vpc: &VpcId) -> &[(&'a str, &'a RouteTable)] {
        self.edges.get(vpc).map_or(&[], Vec::as_slice)
    }
}

/// Whether one family of a subnet passes the firewall, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyScope {
    pub verdict: Verdict,
    /// One line for `explain`, e.g. `rtb-1 (associated): default route to i-fw, through the
    /// firewall`.
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Through,
    NotThrough,
    /// The topology read cannot say (a route names an endpoint it lacks).
    Unknown,
}

/// Where one route leads, as far as the firewall is concerned.
enum Leads<'r> {
    Firewall(&'r str),
    Elsewhere,
    Unknown(&'r str),
}

/// What "through the firewall" means for route targets.
#[derive(Debug)]
pub struct FirewallTargets<'a> {
    instance: &'a InstanceId,
    /// The firewall's interfaces and the configured extra targets.
    ids: HashSet<&'a str>,
    /// Every endpoint read, and whether its service is a configured one.
    endpoints: HashMap<&'a str, bool>,
    absent_endpoints: HashSet<&'a str>,
    gwlb: bool,
}

impl<'a> FirewallTargets<'a> {
    pub fn new(topology: &'a Topology, settings: &'a Settings) -> Self {
        let firewall_enis = topology
            .network_interfaces
            .iter()
            .filter(|n| n.attached_instance() == Some(&settings.firewall_instance_id))
            .map(|n| n.id.as_str());
        let extra = settings.extra_route_targets.iter().map(String::as_str);
        let endpoints = topology.vpc_endpoints.iter().map(|e| {
            let ours = e
                .service_id()
                .is_some_and(|s| settings.gwlb_services.iter().any(|g| g == s));
            (e.id.as_str(), ours)
        });
        Self {
            instance: &settings.firewall_instance_id,
            ids: firewall_enis.chain(extra).collect(),
            endpoints: endpoints.collect(),
            absent_endpoints: topology
                .absent_vpc_endpoints
                .iter()
                .map(String::as_str)
                .collect(),
            gwlb: !settings.gwlb_services.is_empty(),
        }
    }

    pub(crate) fn is_firewall_eni(&self, eni: &EniId) -> bool {
        self.ids.contains(eni.as_str())
    }

    /// A blackhole route to the firewall (it is stopped) still counts: keeping its rules avoids
    /// deleting and recreating every rule across a firewall restart, and rules on a stopped
    /// firewall allow nothing.
    fn leads<'r>(&self, route: &'r Route) -> Leads<'r> {
        let targets = &route.targets;
        if let Some(instance) = targets.instance_id.as_ref().filter(|i| *i == self.instance) {
            return Leads::Firewall(instance.as_str());
        }
        if let Some(id) = targets.ids().find(|id| self.ids.contains(id)) {
            return Leads::Firewall(id);
        }
        if self.gwlb {
            for id in targets.ids().filter(|id| id.starts_with("vpce-")) {
                match self.endpoints.get(id) {
                    Some(true) => return Leads::Firewall(id),
                    Some(false) => {}
                    None if self.absent_endpoints.contains(id) => {}
                    None => return Leads::Unknown(id),
                }
            }
        }
        Leads::Elsewhere
    }

    /// Whether `subnet`'s traffic of `family` passes the firewall: by its effective table's
    /// default route, else by the internet gateway's edge table. `None` when no table applies.
    pub fn subnet_scope(
        &self,
        routes: &RouteIndex<'a>,
        subnet: &Subnet,
        family: IpFamily,
    ) -> Option<FamilyScope> {
        let table = routes.effective(&subnet.id, &subnet.vpc_id)?;
        let how = if routes.has_explicit(&subnet.id) {
            "associated"
        } else {
            "main"
        };
        let default = default_route(table, family);
        let (verdict, said) = match default.map(|r| (r, self.leads(r))) {
            None => (Verdict::NotThrough, "default route none".to_owned()),
            Some((r, Leads::Firewall(_))) => (Verdict::Through, describe_default(r)),
            Some((r, Leads::Elsewhere)) => (Verdict::NotThrough, describe_default(r)),
            Some((r, Leads::Unknown(id))) => (
                Verdict::Unknown,
                format!(
                    "{}, endpoint {id} is not in the topology read",
                    describe_default(r)
                ),
            ),
        };
        let by_default = FamilyScope {
            verdict,
            why: format!("{} ({how}): {said}, {}", table.id, verdict_text(verdict)),
        };
        if verdict == Verdict::Through {
            return Some(by_default);
        }
        // The edge tables speak only when they send the subnet through, or cannot say.
        Some(self.ingress(routes, subnet, family).unwrap_or(by_default))
    }

    /// The internet gateway edge tables' say on `subnet`'s blocks of `family`: through (every
    /// block's most specific edge route leads to the firewall), unknown (one names an endpoint
    /// the read lacks, or only some blocks go through), or `None` (no edge route sends them to
    /// the firewall).
    fn ingress(
        &self,
        routes: &RouteIndex<'a>,
        subnet: &Subnet,
        family: IpFamily,
    ) -> Option<FamilyScope> {
        let blocks: Vec<IpNet> = match family {
            IpFamily::V4 => subnet.ipv4_cidr.iter().map(|n| IpNet::V4(*n)).collect(),
            IpFamily::V6 => subnet.ipv6_cidrs.iter().map(|n| IpNet::V6(*n)).collect(),
        };
        let mut unknown = None;
        for (gateway, table) in routes.edges(&subnet.vpc_id) {
            let mut through = Vec::new();
            for block in &blocks {
                let Some(route) = most_specific(table, block) else {
                    continue;
                };
                let RouteDestination::Cidr(destination) = route.destination else {
                    continue;
                };
                let sends = |target: &str| {
                    format!(
                        "internet gateway {gateway} edge table {} sends {destination} to {target}",
                        table.id
                    )
                };
                match self.leads(route) {
                    Leads::Firewall(target) => through.push(sends(target)),
                    Leads::Elsewhere => {}
                    Leads::Unknown(id) => {
                        unknown.get_or_insert(format!(
                            "{}, an endpoint not in the topology read",
                            sends(id)
                        ));
                    }
                }
            }
            if !through.is_empty() && through.len() == blocks.len() {
                return Some(FamilyScope {
                    verdict: Verdict::Through,
                    why: format!("{}, through the firewall", through.join("; ")),
                });
            }
            if !through.is_empty() {
                unknown.get_or_insert(format!(
                    "{}, but not every block of subnet {} goes that way",
                    through.join("; "),
                    subnet.id
                ));
            }
        }
        unknown.map(|why| FamilyScope {
            verdict: Verdict::Unknown,
            why,
        })
    }
}

/// `family`'s default route in `table`, if it has one.
fn default_route(table: &RouteTable, family: IpFamily) -> Option<&Route> {
    table.routes.iter().find(|route| match &route.destination {
        RouteDestination::Cidr(net) => net.prefix_len() == 0 && IpFamily::of_net(net) == family,
        _ => false,
    })
}

/// The route of `table` with the longest destination that contains all of `block`.
fn most_specific<'t>(table: &'t RouteTable, block: &IpNet) -> Option<&'t Route> {
    table
        .routes
        .iter()
        .filter(|route| match &route.destination {
            RouteDestination::Cidr(net) => net.contains(block),
            _ => false,
        })
        .max_by_key(|route| match &route.destination {
            RouteDestination::Cidr(net) => net.prefix_len(),
            _ => 0,
        })
}

fn describe_default(route: &Route) -> String {
    let target = route
        .targets
        .instance_id
        .as_ref()
        .map(InstanceId::as_str)
        .or_else(|| route.targets.ids().next())
        .unwrap_or("?");
    format!("default route to {target}")
}

fn verdict_text(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Through => "through the firewall",
        Verdict::NotThrough => "not through the firewall",
        Verdict::Unknown => "undecided",
    }
}
