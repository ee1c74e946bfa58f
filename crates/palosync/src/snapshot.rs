//! `palosync snapshot`: the AWS topology palosync sees, as a snapshot file for offline runs,
//! `--topology`, and bug reports. Reads only.

use crate::config::Config;

pub async fn take(config: &Config) -> Result<String, aws::InventoryError> {
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let inventory = aws::SdkInventory::new(
        &sdk,
        aws::InventoryOptions::new(aws::ScopeOptions {
            firewall_instance_id: Some(config.policy.firewall_instance_id.clone()),
            extra_route_targets: config.policy.extra_route_targets.clone(),
        }),
    );
    Ok(inventory.snapshot_everything().await?.to_json_pretty())
}
