//! The Gateway Load Balancer endpoints a read needs: those its route tables name.
//!
//! A route to a GWLB endpoint may lead to the firewall; which endpoint services do is the
//! planner's decision (`PALOSYNC_GWLB_SERVICES`), so the read carries every endpoint its routes
//! name, with its service, whatever the settings.

use crate::error::InventoryError;
use crate::normalize;
use crate::source::TopologySource;
use model::{RouteTable, RouteTableId, VpcEndpoint, VpcId};
use std::collections::{BTreeMap, BTreeSet};

/// The Gateway Load Balancer endpoints that the tables' routes name, read by VPC in one
/// batched query, and the named ones AWS no longer knows (deleted: their routes lead nowhere).
/// No query when no route names one.
pub(super) async fn read_gwlb_endpoints<S: TopologySource>(
    source: &S,
    tables: &BTreeMap<RouteTableId, RouteTable>,
) -> Result<(Vec<VpcEndpoint>, Vec<String>), InventoryError> {
    let mut named: BTreeSet<&str> = BTreeSet::new();
    let mut vpcs: Vec<VpcId> = Vec::new();
    for table in tables.values() {
        let before = named.len();
        named.extend(
            table
                .routes
                .iter()
                .flat_map(normalize::gwlb_endpoint_targets),
        );
        if named.len() > before && !vpcs.contains(&table.vpc_id) {
            vpcs.push(table.vpc_id.clone());
        }
    }
    if named.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let endpoints = source.gwlb_endpoints(&vpcs).await?;
    let absent = named
        .iter()
        .filter(|id| !endpoints.iter().any(|e| e.id == **id))
        .map(|id| (*id).to_owned())
        .collect();
    Ok((endpoints, absent))
}
