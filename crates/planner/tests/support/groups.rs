//! Group mode test helpers: a two-server web group and readable views of a plan.

use super::*;
use planner::testing::InMemoryFirewall;
use planner::{Operation, Plan};

pub const WEB: &str = "sg-0web";
pub const WEB_TAG: &str = "palosync.sg-0web";

pub fn web() -> Net {
    Net::new()
        .server("i-0a1", "10.0.1.10", &[WEB])
        .server("i-0b2", "10.0.1.20", &[WEB])
        .group(
            WEB,
            vec![
                allow(tcp(22, 22), &["203.0.113.7/32"]),
                allow(tcp(8080, 8080), &["198.51.100.0/24"]),
                allow(tcp(80, 80), &["0.0.0.0/0"]),
            ],
        )
}

/// A member's address and its two tags (its instance's and the web group's).
pub fn member(address: &str, instance: &str) -> (String, Vec<String>) {
    (
        address.to_owned(),
        vec![format!("palosync.{instance}"), WEB_TAG.to_owned()],
    )
}

/// A created rule: name, sources, destinations, applications.
pub type Created = (String, Vec<String>, Vec<String>, Vec<String>);

pub fn created(plan: &Plan) -> Vec<Created> {
    plan.operations
        .iter()
        .filter_map(|op| match op {
            Operation::CreateRule { rule, .. } => Some((
                rule.name.clone(),
                rule.sources.clone(),
                rule.destinations.clone(),
                rule.applications.clone(),
            )),
            _ => None,
        })
        .collect()
}

pub fn count(plan: &Plan, kind: fn(&Operation) -> bool) -> usize {
    plan.operations.iter().filter(|op| kind(op)).count()
}

pub fn is_create(op: &Operation) -> bool {
    matches!(op, Operation::CreateRule { .. })
}

pub fn synced(topology: &Topology) -> InMemoryFirewall {
    let mut firewall = empty_firewall();
    converge_all(&mut firewall, topology, &group_settings(), &sync());
    firewall
}
