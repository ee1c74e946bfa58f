//! The one question the rest of palosync asks about AWS: what does the world look like for
//! these keys, right now?

use crate::error::InventoryError;
use model::{ReadTargets, ReconcileKey, Topology};
use std::future::Future;

/// What a read for the keys alone asks for beyond them: nothing.
static NO_TARGETS: ReadTargets = ReadTargets {
    addresses: Vec::new(),
    network_interfaces: Vec::new(),
    instances: Vec::new(),
};

/// A source of current AWS state. Both implementations answer with the same scope semantics
/// (see the crate docs); resources that no longer exist come back in `absent_*`, not as errors.
pub trait Inventory {
    /// The complete topology the planner needs to reconcile `keys`. Empty keys, empty topology.
    fn topology_for(
        &self,
        keys: &[ReconcileKey],
    ) -> impl Future<Output = Result<Topology, InventoryError>> + Send {
        self.topology_for_targets(keys, &NO_TARGETS)
    }

    /// As [`Inventory::topology_for`], and also whatever managed rules in scope point at
    /// (`targets`, from `planner::read_targets`): the interfaces holding those addresses, the
    /// named interfaces and instances, with everything around them that the keys' read holds.
    /// Targets asked for and not found come back in `absent_network_interfaces`,
    /// `absent_addresses` (IPv4 addresses: EC2 filters interfaces by private IPv4 only) and
    /// `absent_instances`, so the planner can tell "gone" from "not read".
    fn topology_for_targets(
        &self,
        keys: &[ReconcileKey],
        targets: &ReadTargets,
    ) -> impl Future<Output = Result<Topology, InventoryError>> + Send;
}
