//! The one question the rest of palosync asks about AWS: what does the world look like for
//! these keys, right now?

use crate::error::InventoryError;
use model::{ReconcileKey, Topology};
use std::future::Future;

/// A source of current AWS state. Both implementations answer with the same scope semantics
/// (see the crate docs); resources that no longer exist come back in `absent_*`, not as errors.
pub trait Inventory {
    /// The complete topology the planner needs to reconcile `keys`. Empty keys, empty topology.
    fn topology_for(
        &self,
        keys: &[ReconcileKey],
    ) -> impl Future<Output = Result<Topology, InventoryError>> + Send;
}
