//! Snapshot files: a topology saved as JSON, and [`SnapshotInventory`], which answers from one.
//!
//! For offline runs, tests, the demo and bug reports. The snapshot is answered with the very
//! same scope closure as the live inventory (the closure's queries are filters over the saved
//! lists here), so a key resolves to the same topology from a snapshot as from AWS at the time
//! the snapshot was taken. Nothing here touches the network.

use crate::closure;
use crate::error::InventoryError;
use crate::inventory::Inventory;
use crate::source::{
    Coverage, EniQuery, GroupQuery, InstanceQuery, RouteTableQuery, ScopeOptions, TopologySource,
    VpcQuery,
};
use model::{
    Instance, InstanceId, ManagedPrefixList, NetworkInterface, PrefixListId, ReadTargets,
    ReconcileKey, RouteTable, SecurityGroup, Subnet, Topology, Vpc, VpcEndpoint, VpcId,
};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The snapshot format version this build writes and reads.
pub const SNAPSHOT_VERSION: u32 = 1;

/// A snapshot file: `model::Topology`'s fields at the top level, plus where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Always [`SNAPSHOT_VERSION`] for files this build writes; absent reads as 1.
    #[serde(default = "first_version")]
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The firewall the snapshot was taken for; scopes resolve against it unless overridden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firewall_instance_id: Option<InstanceId>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_route_targets: Vec<String>,
    #[serde(flatten)]
    pub topology: Topology,
}

fn first_version() -> u32 {
    1
}

#[derive(Deserialize)]
struct VersionOnly {
    version: Option<u32>,
}

impl Snapshot {
    pub fn new(topology: Topology, region: Option<String>, scope: &ScopeOptions) -> Self {
        Self {
            version: SNAPSHOT_VERSION,
            region,
            firewall_instance_id: scope.firewall_instance_id.clone(),
            extra_route_targets: scope.extra_route_targets.clone(),
            topology,
        }
    }

    /// Parse a snapshot, refusing other versions with a message that says so. A file without
    /// `version` (a bare serialized `model::Topology`) is read as version 1.
    pub fn from_json(json: &str) -> Result<Self, InventoryError> {
        let probe: VersionOnly =
            serde_json::from_str(json).map_err(InventoryError::SnapshotFormat)?;
        match probe.version {
            // A bare `model::Topology` (no version field) is read as version 1.
            Some(SNAPSHOT_VERSION) | None => {
                serde_json::from_str(json).map_err(InventoryError::SnapshotFormat)
            }
            Some(found) => Err(InventoryError::SnapshotVersion {
                found,
                supported: SNAPSHOT_VERSION,
            }),
        }
    }

    pub fn to_json_pretty(&self) -> String {
        // A derived Serialize over strings, numbers and ids cannot fail.
        serde_json::to_string_pretty(self).expect("snapshot types serialize infallibly")
    }

    pub fn scope(&self) -> ScopeOptions {
        ScopeOptions {
            firewall_instance_id: self.firewall_instance_id.clone(),
            extra_route_targets: self.extra_route_targets.clone(),
        }
    }
}

/// Answers `topology_for` from a snapshot.
#[derive(Debug, Clone)]
pub struct SnapshotInventory {
    source: SnapshotSource,
    scope: ScopeOptions,
}

impl SnapshotInventory {
    /// Scope options come from the snapshot; replace them with [`Self::with_scope`].
    pub fn from_snapshot(snapshot: Snapshot) -> Self {
        let scope = snapshot.scope();
        Self {
            source: SnapshotSource {
                topology: snapshot.topology,
            },
            scope,
        }
    }

    pub fn from_json(json: &str) -> Result<Self, InventoryError> {
        Snapshot::from_json(json).map(Self::from_snapshot)
    }

    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, InventoryError> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path).map_err(|source| InventoryError::SnapshotIo {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&json)
    }

    pub fn with_scope(mut self, scope: ScopeOptions) -> Self {
        self.scope = scope;
        self
    }
}

impl Inventory for SnapshotInventory {
    async fn topology_for_targets(
        &self,
        keys: &[ReconcileKey],
        targets: &ReadTargets,
    ) -> Result<Topology, InventoryError> {
        closure::resolve(
            &self.source,
            keys,
            targets,
            &self.scope,
            Coverage::FirewallVpcs,
        )
        .await
    }
}

#[derive(Debug, Clone)]
struct SnapshotSource {
    topology: Topology,
}

fn select<T: Clone>(items: &[T], keep: impl Fn(&T) -> bool) -> Result<Vec<T>, InventoryError> {
    Ok(items.iter().filter(|item| keep(item)).cloned().collect())
}

impl TopologySource for SnapshotSource {
    async fn vpcs(&self, query: VpcQuery<'_>) -> Result<Vec<Vpc>, InventoryError> {
        select(&self.topology.vpcs, |vpc| match query {
            VpcQuery::All => true,
            VpcQuery::Ids(ids) => ids.contains(&vpc.id),
        })
    }

    async fn subnets_in(&self, vpcs: &[VpcId]) -> Result<Vec<Subnet>, InventoryError> {
        select(&self.topology.subnets, |s| vpcs.contains(&s.vpc_id))
    }

    async fn route_tables(
        &self,
        query: RouteTableQuery<'_>,
    ) -> Result<Vec<RouteTable>, InventoryError> {
        select(&self.topology.route_tables, |table| match query {
            RouteTableQuery::All => true,
            RouteTableQuery::Ids(ids) => ids.contains(&table.id),
            RouteTableQuery::Associations(ids) => {
                table.associations.iter().any(|a| ids.contains(&a.id))
            }
            RouteTableQuery::Vpcs(ids) => ids.contains(&table.vpc_id),
        })
    }

    async fn instances(&self, query: InstanceQuery<'_>) -> Result<Vec<Instance>, InventoryError> {
        select(&self.topology.instances, |instance| match query {
            InstanceQuery::Ids(ids) => ids.contains(&instance.id),
            InstanceQuery::Vpcs(ids) => instance.vpc_id.as_ref().is_some_and(|v| ids.contains(v)),
        })
    }

    async fn network_interfaces(
        &self,
        query: EniQuery<'_>,
    ) -> Result<Vec<NetworkInterface>, InventoryError> {
        select(&self.topology.network_interfaces, |eni| match query {
            EniQuery::Ids(ids) => ids.contains(&eni.id),
            EniQuery::Instances(ids) => eni.attached_instance().is_some_and(|i| ids.contains(i)),
            EniQuery::Groups(ids) => eni.security_groups.iter().any(|g| ids.contains(g)),
            EniQuery::Attachments(ids) => eni
                .attachment
                .as_ref()
                .and_then(|a| a.attachment_id.as_ref())
                .is_some_and(|a| ids.contains(a)),
            EniQuery::Vpcs(ids) => ids.contains(&eni.vpc_id),
            EniQuery::PrivateIpv4(addresses) => {
                eni.private_ipv4.iter().any(|a| addresses.contains(a))
            }
        })
    }

    async fn security_groups(
        &self,
        query: GroupQuery<'_>,
    ) -> Result<Vec<SecurityGroup>, InventoryError> {
        select(&self.topology.security_groups, |group| match query {
            GroupQuery::All => true,
            GroupQuery::Ids(ids) => ids.contains(&group.id),
        })
    }

    async fn gwlb_endpoints(&self, vpcs: &[VpcId]) -> Result<Vec<VpcEndpoint>, InventoryError> {
        select(&self.topology.vpc_endpoints, |e| vpcs.contains(&e.vpc_id))
    }

    async fn prefix_lists(
        &self,
        ids: &[PrefixListId],
    ) -> Result<Vec<ManagedPrefixList>, InventoryError> {
        select(&self.topology.prefix_lists, |list| ids.contains(&list.id))
    }
}
