//! Test support: the moto endpoint, an SDK config per test region, and the scenario VPC.
//!
//! Tests share one moto_server (started by ./scripts/test) and run in parallel, so each test
//! uses its own region: moto keeps state per region. Credentials are dummies set on the config,
//! never through process-wide environment variables.

#![allow(dead_code)]

pub mod expected;
pub mod scenario;

use aws::{InventoryOptions, ScopeOptions, SdkInventory};
use aws_config::SdkConfig;
use model::InstanceId;

pub use testkit::moto_config;

pub fn ec2(config: &SdkConfig) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(config)
}

pub fn inventory(config: &SdkConfig, firewall: &InstanceId) -> SdkInventory {
    SdkInventory::new(
        config,
        InventoryOptions::new(ScopeOptions {
            firewall_instance_id: Some(firewall.clone()),
            extra_route_targets: Vec::new(),
        }),
    )
}
