//! Test support: the moto endpoint, an SDK config per test region, and the scenario VPC.
//!
//! Tests share one moto_server (started by ./scripts/test) and run in parallel, so each test
//! uses its own region: moto keeps state per region. Credentials are dummies set on the config,
//! never through process-wide environment variables.

#![allow(dead_code)]

pub mod expected;
pub mod scenario;

use aws::{InventoryOptions, ScopeOptions, SdkInventory};
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::config::Credentials;
use model::InstanceId;

/// The moto server's URL; fails the test (never skips it) when unset.
pub fn moto_endpoint() -> String {
    match std::env::var("MOTO_ENDPOINT") {
        Ok(url) if !url.trim().is_empty() => url.trim().to_owned(),
        _ => panic!("MOTO_ENDPOINT is not set: run ./scripts/test, which starts moto_server"),
    }
}

/// An SDK config pointing at moto in `region`, with dummy credentials.
pub async fn moto_config(region: &'static str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(moto_endpoint())
        .region(Region::new(region))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .load()
        .await
}

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
