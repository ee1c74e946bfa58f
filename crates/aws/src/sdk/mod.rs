//! [`SdkInventory`]: the topology read live from EC2 with the AWS SDK for Rust.
//!
//! Credentials, region and endpoint come from the SDK's standard chain (`AWS_REGION`,
//! `AWS_ENDPOINT_URL`, profiles, the Lambda role); this module adds the retry policy, the call
//! counter and S3 path-style addressing when an endpoint override (moto) is in use. It only
//! reads: no call here changes anything in AWS.

mod account;
mod calls;
mod convert;
mod endpoints;
mod fleet;
mod source;

pub use account::{ROLE_SESSION_NAME, config_for};
pub use calls::CallCount;
pub use fleet::{FleetMember, FleetQuery, FleetSelector};

use crate::closure;
use crate::error::InventoryError;
use crate::inventory::Inventory;
use crate::snapshot::Snapshot;
use crate::source::{Coverage, ScopeOptions};
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use calls::CallCounter;
use model::{ReadTargets, ReconcileKey, Topology};
use source::Ec2Source;

/// The SDK's standard configuration chain: region from `region` or `AWS_REGION`/profile,
/// endpoint from `AWS_ENDPOINT_URL` (moto in tests), credentials from the environment, profile,
/// web identity, container or instance role. Callers take the SDK config from here rather than
/// depending on `aws-config` themselves, so the workspace builds the SDK with one feature set.
pub async fn load_config(region: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(region) = region {
        loader = loader.region(aws_config::Region::new(region.to_owned()));
    }
    loader.load().await
}

/// CloudTrail delivers a log file about every five minutes; even busy accounts stay far below
/// this compressed size. Larger objects are refused rather than streamed for minutes.
pub const DEFAULT_MAX_LOG_OBJECT_BYTES: u64 = 128 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryOptions {
    pub scope: ScopeOptions,
    /// Attempts per call, first one included (standard retry mode, exponential backoff).
    pub max_attempts: u32,
    /// S3 path-style addressing; `None` = on exactly when the config overrides the endpoint
    /// (moto and other emulators serve buckets only by path).
    pub s3_force_path_style: Option<bool>,
    /// Refuse CloudTrail log objects larger than this (compressed bytes).
    pub max_log_object_bytes: u64,
}

impl InventoryOptions {
    pub fn new(scope: ScopeOptions) -> Self {
        Self {
            scope,
            max_attempts: 5,
            s3_force_path_style: None,
            max_log_object_bytes: DEFAULT_MAX_LOG_OBJECT_BYTES,
        }
    }
}

/// Reads the topology from EC2, CloudTrail log objects from S3.
#[derive(Debug, Clone)]
pub struct SdkInventory {
    source: Ec2Source,
    pub(crate) s3_config: aws_sdk_s3::Config,
    pub(crate) options: InventoryOptions,
    calls: CallCounter,
    region: Option<String>,
}

impl SdkInventory {
    pub fn new(config: &SdkConfig, options: InventoryOptions) -> Self {
        let calls = CallCounter::default();
        let retry = RetryConfig::standard().with_max_attempts(options.max_attempts.max(1));
        let ec2_config = aws_sdk_ec2::config::Builder::from(config)
            .retry_config(retry.clone())
            .interceptor(calls.clone())
            .build();
        let path_style = options
            .s3_force_path_style
            .unwrap_or(config.endpoint_url().is_some());
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .retry_config(retry)
            .force_path_style(path_style)
            .interceptor(calls.clone())
            .build();
        Self {
            source: Ec2Source {
                ec2: aws_sdk_ec2::Client::from_conf(ec2_config),
            },
            s3_config,
            options,
            calls,
            region: config.region().map(ToString::to_string),
        }
    }

    /// AWS calls made since creation (or the last reset), by operation.
    pub fn call_count(&self) -> CallCount {
        self.calls.snapshot()
    }

    pub fn reset_call_count(&self) {
        self.calls.reset();
    }

    /// Every VPC of the region, whole, as a snapshot file's content (`palosync snapshot`).
    pub async fn snapshot_everything(&self) -> Result<Snapshot, InventoryError> {
        let topology = closure::resolve(
            &self.source,
            &[ReconcileKey::Everything],
            &ReadTargets::default(),
            &self.options.scope,
            Coverage::AllVpcs,
        )
        .await?;
        Ok(Snapshot::new(
            topology,
            self.region.clone(),
            &self.options.scope,
        ))
    }
}

impl Inventory for SdkInventory {
    async fn topology_for_targets(
        &self,
        keys: &[ReconcileKey],
        targets: &ReadTargets,
    ) -> Result<Topology, InventoryError> {
        let before = self.calls.snapshot().total();
        let topology = closure::resolve(
            &self.source,
            keys,
            targets,
            &self.options.scope,
            Coverage::FirewallVpcs,
        )
        .await?;
        tracing::debug!(
            keys = keys.len(),
            aws_calls = self.calls.snapshot().total().saturating_sub(before),
            vpcs = topology.vpcs.len(),
            interfaces = topology.network_interfaces.len(),
            "topology read"
        );
        Ok(topology)
    }
}
