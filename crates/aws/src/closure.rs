//! Scope closure: from reconcile keys to the complete topology the planner needs for them.
//!
//! This is the one place that decides *what* to read; [`TopologySource`] implementations (the
//! SDK, a snapshot) only answer batched queries. Both inventories therefore return the same
//! topology for the same keys and the same AWS state. The closure reads by id lists and VPC
//! filters, never per instance, so the number of queries depends on the kinds of keys, not on
//! how many resources they cover.
//!
//! It must never guess: a key it cannot resolve (an association or attachment that no longer
//! exists) widens the scope to everything instead of shrinking it to nothing.

mod endpoints;

use crate::error::InventoryError;
use crate::normalize;
use crate::source::{
    Coverage, EniQuery, GroupQuery, InstanceQuery, RouteTableQuery, ScopeOptions, TopologySource,
    VpcQuery,
};
use model::{
    AssociationId, AttachmentId, EniId, GroupId, InstanceId, ManagedPrefixList, NetworkInterface,
    PrefixListId, ReadTargets, ReconcileKey, RouteTable, RouteTableId, SecurityGroup, Subnet,
    Topology, Vpc, VpcId,
};
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

/// The keys sorted by kind.
#[derive(Debug, Default)]
struct Wanted {
    everything: bool,
    instances: BTreeSet<InstanceId>,
    enis: BTreeSet<EniId>,
    attachments: BTreeSet<AttachmentId>,
    groups: BTreeSet<GroupId>,
    route_tables: BTreeSet<RouteTableId>,
    associations: BTreeSet<AssociationId>,
    vpcs: BTreeSet<VpcId>,
    prefix_lists: BTreeSet<PrefixListId>,
}

impl Wanted {
    fn from_keys(keys: &[ReconcileKey]) -> Self {
        let mut wanted = Wanted::default();
        for key in keys {
            match key {
                ReconcileKey::Instance(id) => _ = wanted.instances.insert(id.clone()),
                ReconcileKey::NetworkInterface(id) => _ = wanted.enis.insert(id.clone()),
                ReconcileKey::Attachment(id) => _ = wanted.attachments.insert(id.clone()),
                ReconcileKey::SecurityGroup(id) => _ = wanted.groups.insert(id.clone()),
                ReconcileKey::RouteTable(id) => _ = wanted.route_tables.insert(id.clone()),
                ReconcileKey::RouteTableAssociation(id) => {
                    _ = wanted.associations.insert(id.clone())
                }
                ReconcileKey::Vpc(id) => _ = wanted.vpcs.insert(id.clone()),
                ReconcileKey::PrefixList(id) => _ = wanted.prefix_lists.insert(id.clone()),
                ReconcileKey::Everything => wanted.everything = true,
            }
        }
        wanted
    }
}

/// What has been read so far, by id.
#[derive(Debug, Default)]
struct Found {
    enis: BTreeMap<EniId, NetworkInterface>,
    instances: BTreeMap<InstanceId, model::Instance>,
    groups: BTreeMap<GroupId, SecurityGroup>,
    route_tables: BTreeMap<RouteTableId, RouteTable>,
    /// Every route table of the region was read (for `Everything`); no need to read again.
    all_route_tables: bool,
}

impl Found {
    fn add_enis(&mut self, enis: Vec<NetworkInterface>) {
        for eni in enis {
            self.enis.insert(eni.id.clone(), eni);
        }
    }
}

/// Resolve `keys` into a topology by querying `source`.
pub(crate) async fn resolve<S: TopologySource>(
    source: &S,
    keys: &[ReconcileKey],
    targets: &ReadTargets,
    options: &ScopeOptions,
    coverage: Coverage,
) -> Result<Topology, InventoryError> {
    let mut wanted = Wanted::from_keys(keys);
    if keys.is_empty() {
        return Ok(Topology::default());
    }
    let mut found = Found::default();
    let firewall = options.firewall_instance_id.as_ref();

    // The firewall's interfaces always come along: routes name them as targets.
    let mut by_instance: Vec<InstanceId> = wanted.instances.iter().cloned().collect();
    by_instance.extend(firewall.cloned());
    // Instances that managed rules in scope name: all their interfaces, like an instance key.
    by_instance.extend(targets.instances.iter().cloned());
    by_instance.sort();
    by_instance.dedup();
    if !by_instance.is_empty() {
        let enis = source
            .network_interfaces(EniQuery::Instances(&by_instance))
            .await?;
        found.add_enis(enis);
    }
    let firewall_enis: BTreeSet<EniId> = found
        .enis
        .values()
        .filter(|eni| firewall.is_some() && eni.attached_instance() == firewall)
        .map(|eni| eni.id.clone())
        .collect();

    widen_unresolvable_keys(source, &mut wanted, &mut found).await?;
    let whole_vpcs = whole_vpcs(
        source,
        &wanted,
        &mut found,
        options,
        &firewall_enis,
        coverage,
    )
    .await?;
    let whole: Vec<VpcId> = whole_vpcs.iter().cloned().collect();

    let groups_with_prefix_lists = read_key_groups(source, &wanted, &mut found).await?;
    let mut eni_groups: Vec<GroupId> = wanted.groups.iter().cloned().collect();
    eni_groups.extend(groups_with_prefix_lists);
    eni_groups.sort();
    eni_groups.dedup();
    if !eni_groups.is_empty() {
        found.add_enis(
            source
                .network_interfaces(EniQuery::Groups(&eni_groups))
                .await?,
        );
    }
    let mut by_id: BTreeSet<EniId> = wanted.enis.clone();
    by_id.extend(targets.network_interfaces.iter().cloned());
    if !by_id.is_empty() {
        let ids: Vec<EniId> = by_id.into_iter().collect();
        found.add_enis(source.network_interfaces(EniQuery::Ids(&ids)).await?);
    }
    let by_address: Vec<Ipv4Addr> = targets
        .addresses
        .iter()
        .filter_map(|a| match a {
            IpAddr::V4(v4) => Some(*v4),
            IpAddr::V6(_) => None,
        })
        .collect();
    if !by_address.is_empty() {
        found.add_enis(
            source
                .network_interfaces(EniQuery::PrivateIpv4(&by_address))
                .await?,
        );
    }
    if !whole.is_empty() {
        found.add_enis(source.network_interfaces(EniQuery::Vpcs(&whole)).await?);
    }

    read_instances(source, &wanted, &mut found, firewall, &whole_vpcs).await?;
    read_scope_groups(source, &mut found, &firewall_enis).await?;
    let prefix_lists = read_prefix_lists(source, &wanted, &found).await?;
    let (vpcs, subnets) =
        read_vpcs(source, &wanted, &mut found, &firewall_enis, &whole_vpcs).await?;
    let (vpc_endpoints, absent_vpc_endpoints) =
        endpoints::read_gwlb_endpoints(source, &found.route_tables).await?;

    let absent_instances = wanted
        .instances
        .iter()
        .chain(&targets.instances)
        .filter(|id| !found.instances.contains_key(*id))
        .cloned()
        .collect();
    let absent_security_groups = wanted
        .groups
        .iter()
        .filter(|id| !found.groups.contains_key(*id))
        .cloned()
        .collect();
    let absent_network_interfaces = targets
        .network_interfaces
        .iter()
        .filter(|id| !found.enis.contains_key(*id))
        .cloned()
        .collect();
    let absent_addresses = by_address
        .iter()
        .filter(|a| !found.enis.values().any(|n| n.private_ipv4.contains(a)))
        .map(|a| IpAddr::V4(*a))
        .collect();
    let mut topology = Topology {
        vpcs,
        subnets,
        route_tables: found.route_tables.into_values().collect(),
        instances: found.instances.into_values().collect(),
        network_interfaces: found.enis.into_values().collect(),
        security_groups: found.groups.into_values().collect(),
        prefix_lists,
        vpc_endpoints,
        absent_vpc_endpoints,
        absent_instances,
        absent_security_groups,
        absent_network_interfaces,
        absent_addresses,
    };
    normalize::complete_route_targets(&mut topology);
    normalize::sort(&mut topology);
    Ok(topology)
}

/// Associations and attachments known only by an id that may be gone: resolve them, or widen
/// to everything (a detach or disassociation leaves nothing to look the id up by).
async fn widen_unresolvable_keys<S: TopologySource>(
    source: &S,
    wanted: &mut Wanted,
    found: &mut Found,
) -> Result<(), InventoryError> {
    if !wanted.associations.is_empty() {
        let ids: Vec<AssociationId> = wanted.associations.iter().cloned().collect();
        let tables = source
            .route_tables(RouteTableQuery::Associations(&ids))
            .await?;
        let resolved = ids.iter().all(|id| {
            tables
                .iter()
                .any(|t| t.associations.iter().any(|a| &a.id == id))
        });
        wanted.everything |= !resolved;
        for table in tables {
            wanted.vpcs.insert(table.vpc_id.clone());
            found.route_tables.insert(table.id.clone(), table);
        }
    }
    if !wanted.attachments.is_empty() {
        let ids: Vec<AttachmentId> = wanted.attachments.iter().cloned().collect();
        let enis = source
            .network_interfaces(EniQuery::Attachments(&ids))
            .await?;
        let resolved = ids.iter().all(|id| {
            enis.iter().any(|eni| {
                eni.attachment
                    .as_ref()
                    .is_some_and(|a| a.attachment_id.as_ref() == Some(id))
            })
        });
        wanted.everything |= !resolved;
        found.add_enis(enis);
    }
    if !wanted.route_tables.is_empty() {
        let ids: Vec<RouteTableId> = wanted.route_tables.iter().cloned().collect();
        for table in source.route_tables(RouteTableQuery::Ids(&ids)).await? {
            wanted.vpcs.insert(table.vpc_id.clone());
            found.route_tables.insert(table.id.clone(), table);
        }
    }
    Ok(())
}

/// The VPCs read whole: named by a key, holding a named route table or association, or covered
/// by `Everything`.
async fn whole_vpcs<S: TopologySource>(
    source: &S,
    wanted: &Wanted,
    found: &mut Found,
    options: &ScopeOptions,
    firewall_enis: &BTreeSet<EniId>,
    coverage: Coverage,
) -> Result<BTreeSet<VpcId>, InventoryError> {
    let mut whole = wanted.vpcs.clone();
    if !wanted.everything {
        return Ok(whole);
    }
    let tables = source.route_tables(RouteTableQuery::All).await?;
    found.all_route_tables = true;
    // A route to a Gateway Load Balancer endpoint may lead to the firewall: which endpoint
    // services do is the planner's to decide (PALOSYNC_GWLB_SERVICES), so such VPCs are read.
    let through_firewall = |table: &RouteTable| {
        table.routes.iter().any(|route| {
            normalize::targets_firewall(&route.targets, options, firewall_enis)
                || normalize::gwlb_endpoint_targets(route).next().is_some()
        })
    };
    for table in &tables {
        let covered = match (coverage, &options.firewall_instance_id) {
            (Coverage::AllVpcs, _) | (Coverage::FirewallVpcs, None) => true,
            (Coverage::FirewallVpcs, Some(_)) => through_firewall(table),
        };
        if covered {
            whole.insert(table.vpc_id.clone());
        }
    }
    for eni in firewall_enis.iter().filter_map(|id| found.enis.get(id)) {
        whole.insert(eni.vpc_id.clone());
    }
    if coverage == Coverage::AllVpcs {
        // A VPC always has a main table, but read the VPC list too in case a source lacks one.
        for vpc in source.vpcs(VpcQuery::All).await? {
            whole.insert(vpc.id);
        }
    }
    for table in tables {
        found.route_tables.insert(table.id.clone(), table);
    }
    Ok(whole)
}

/// Groups named by keys (or, for prefix-list keys, every group referencing the lists). Returns
/// the ids of the groups that reference a wanted prefix list.
async fn read_key_groups<S: TopologySource>(
    source: &S,
    wanted: &Wanted,
    found: &mut Found,
) -> Result<Vec<GroupId>, InventoryError> {
    let mut referencing = Vec::new();
    if !wanted.prefix_lists.is_empty() {
        // No reliable server-side filter for "references this prefix list" (moto has none),
        // so read the account's groups once and select here.
        for group in source.security_groups(GroupQuery::All).await? {
            let references = group.ingress.iter().any(|permission| {
                permission
                    .prefix_lists
                    .iter()
                    .any(|reference| wanted.prefix_lists.contains(&reference.id))
            });
            if references {
                referencing.push(group.id.clone());
            }
            if references || wanted.groups.contains(&group.id) {
                found.groups.insert(group.id.clone(), group);
            }
        }
    } else if !wanted.groups.is_empty() {
        let ids: Vec<GroupId> = wanted.groups.iter().cloned().collect();
        for group in source.security_groups(GroupQuery::Ids(&ids)).await? {
            found.groups.insert(group.id.clone(), group);
        }
    }
    Ok(referencing)
}

/// The wanted instances, the firewall, and every instance an interface in scope is attached to.
async fn read_instances<S: TopologySource>(
    source: &S,
    wanted: &Wanted,
    found: &mut Found,
    firewall: Option<&InstanceId>,
    whole_vpcs: &BTreeSet<VpcId>,
) -> Result<(), InventoryError> {
    if !whole_vpcs.is_empty() {
        let whole: Vec<VpcId> = whole_vpcs.iter().cloned().collect();
        for instance in source.instances(InstanceQuery::Vpcs(&whole)).await? {
            found.instances.insert(instance.id.clone(), instance);
        }
    }
    let mut ids: BTreeSet<InstanceId> = wanted.instances.clone();
    ids.extend(firewall.cloned());
    ids.extend(
        found
            .enis
            .values()
            .filter_map(|eni| eni.attached_instance().cloned()),
    );
    let missing: Vec<InstanceId> = ids
        .into_iter()
        .filter(|id| !found.instances.contains_key(id))
        .collect();
    if !missing.is_empty() {
        for instance in source.instances(InstanceQuery::Ids(&missing)).await? {
            found.instances.insert(instance.id.clone(), instance);
        }
    }
    Ok(())
}

/// Every group on an interface in scope (not the firewall's own: they are never destinations).
async fn read_scope_groups<S: TopologySource>(
    source: &S,
    found: &mut Found,
    firewall_enis: &BTreeSet<EniId>,
) -> Result<(), InventoryError> {
    let missing: BTreeSet<GroupId> = found
        .enis
        .values()
        .filter(|eni| !firewall_enis.contains(&eni.id))
        .flat_map(|eni| eni.security_groups.iter())
        .filter(|id| !found.groups.contains_key(*id))
        .cloned()
        .collect();
    if !missing.is_empty() {
        let ids: Vec<GroupId> = missing.into_iter().collect();
        for group in source.security_groups(GroupQuery::Ids(&ids)).await? {
            found.groups.insert(group.id.clone(), group);
        }
    }
    Ok(())
}

/// The prefix lists the groups reference, and those named by keys, with their entries.
async fn read_prefix_lists<S: TopologySource>(
    source: &S,
    wanted: &Wanted,
    found: &Found,
) -> Result<Vec<ManagedPrefixList>, InventoryError> {
    let mut ids: BTreeSet<PrefixListId> = wanted.prefix_lists.clone();
    for group in found.groups.values() {
        for permission in &group.ingress {
            ids.extend(permission.prefix_lists.iter().map(|r| r.id.clone()));
        }
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<PrefixListId> = ids.into_iter().collect();
    source.prefix_lists(&ids).await
}

/// The VPCs involved (whole ones and those of the interfaces and instances in scope), all their
/// route tables, and the subnets in scope: every subnet of a whole VPC, else the interfaces'.
async fn read_vpcs<S: TopologySource>(
    source: &S,
    wanted: &Wanted,
    found: &mut Found,
    firewall_enis: &BTreeSet<EniId>,
    whole_vpcs: &BTreeSet<VpcId>,
) -> Result<(Vec<Vpc>, Vec<Subnet>), InventoryError> {
    let scope_enis = || {
        found
            .enis
            .values()
            .filter(|eni| !firewall_enis.contains(&eni.id))
    };
    let mut ids: BTreeSet<VpcId> = whole_vpcs.clone();
    ids.extend(scope_enis().map(|eni| eni.vpc_id.clone()));
    ids.extend(
        wanted
            .instances
            .iter()
            .filter_map(|id| found.instances.get(id))
            .filter_map(|instance| instance.vpc_id.clone()),
    );
    if ids.is_empty() {
        found.route_tables.clear();
        return Ok((Vec::new(), Vec::new()));
    }
    let used_subnets: BTreeSet<_> = scope_enis().map(|eni| eni.subnet_id.clone()).collect();
    let ids: Vec<VpcId> = ids.into_iter().collect();
    let vpcs = source.vpcs(VpcQuery::Ids(&ids)).await?;
    if found.all_route_tables {
        // Every table of the region is already here; keep those of the VPCs involved.
        found
            .route_tables
            .retain(|_, table| ids.contains(&table.vpc_id));
    } else {
        // Tables read by id or association are a subset of their VPC's tables: read them all.
        found.route_tables.clear();
        for table in source.route_tables(RouteTableQuery::Vpcs(&ids)).await? {
            found.route_tables.insert(table.id.clone(), table);
        }
    }
    let subnets = source
        .subnets_in(&ids)
        .await?
        .into_iter()
        .filter(|s| whole_vpcs.contains(&s.vpc_id) || used_subnets.contains(&s.id))
        .collect();
    Ok((vpcs, subnets))
}
