//! Print the region's topology as a snapshot file (what `palosync snapshot` does), using the
//! SDK's standard configuration chain: `AWS_REGION`, `AWS_ENDPOINT_URL`, credentials.
//!
//! `FIREWALL_INSTANCE_ID=i-… cargo run -p aws --example snapshot > snapshot.json`
//!
//! Also the probe for the SDK's binary-size cost quoted in the crate docs.

use aws::{Inventory, InventoryOptions, ScopeOptions, SdkInventory};
use model::{InstanceId, ReconcileKey};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = aws::load_config(None).await;
    let firewall = std::env::var("FIREWALL_INSTANCE_ID")
        .ok()
        .map(InstanceId::new);
    let inventory = SdkInventory::new(
        &config,
        InventoryOptions::new(ScopeOptions {
            firewall_instance_id: firewall,
            extra_route_targets: Vec::new(),
        }),
    );
    let snapshot = inventory.snapshot_everything().await?;
    println!("{}", snapshot.to_json_pretty());
    let synced = inventory.topology_for(&[ReconcileKey::Everything]).await?;
    eprintln!(
        "{} VPCs in the region, {} behind the firewall; {} AWS calls",
        snapshot.topology.vpcs.len(),
        synced.vpcs.len(),
        inventory.call_count().total()
    );
    Ok(())
}
