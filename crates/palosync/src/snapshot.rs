//! `palosync snapshot`: the AWS topology palosync sees, as a snapshot file for offline runs,
//! `--topology`, and bug reports. Reads only.

use crate::config::SnapshotConfig;

pub async fn take(config: &SnapshotConfig) -> Result<String, aws::InventoryError> {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let inventory = aws::SdkInventory::new(
        &sdk,
        aws::InventoryOptions::new(aws::ScopeOptions {
            firewall_instance_id: Some(config.firewall_instance_id.clone()),
            extra_route_targets: config.extra_route_targets.clone(),
        }),
    );
    Ok(inventory.snapshot_everything().await?.to_json_pretty())
}
