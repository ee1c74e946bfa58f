//! palosync's view of AWS: the topology a reconcile key needs, CloudTrail log objects from S3,
//! and the firewall API key.
//!
//! Every decision starts here. [`Inventory::topology_for`] turns reconcile keys into the
//! complete [`model::Topology`] the planner needs for them, read either live with the AWS SDK
//! for Rust ([`SdkInventory`]) or from a saved file ([`SnapshotInventory`]). This crate only
//! reads: it never changes anything in AWS, and it never decides what the firewall should allow.
//!
//! # Scope of a key
//!
//! Both inventories resolve keys with the same closure (`closure.rs`, asking a
//! `source::TopologySource` batched questions), so they agree:
//!
//! | key | what comes back |
//! |---|---|
//! | `Instance` | the instance (state) and all its interfaces; absent → `absent_instances` |
//! | `NetworkInterface` | the interface and the instance it is attached to |
//! | `Attachment` | the interface holding that attachment; if none does any more (detached), `Everything` |
//! | `SecurityGroup` | the group (deleted → `absent_security_groups`) and every interface whose *own* groups include it, with their instances |
//! | `PrefixList` | the list with its entries, every group referencing it, and those groups' interfaces |
//! | `RouteTable` | its whole VPC |
//! | `RouteTableAssociation` | the whole VPC of the table holding it; if no table does (disassociated or replaced), `Everything` |
//! | `Vpc` | the whole VPC |
//! | `Everything` | every VPC with a route to the firewall (its instance, any of its interfaces, or an extra route target), plus the VPCs of the firewall's interfaces; every VPC when no firewall is configured |
//!
//! [`Inventory::topology_for_targets`] also reads what managed rules in scope point at
//! (`model::ReadTargets`, computed by `planner::read_targets` from the owned rules): the
//! interfaces holding those IPv4 addresses (`addresses.private-ip-address`), the named
//! interfaces, and every interface of the named instances; what is not found comes back in
//! `absent_addresses`, `absent_network_interfaces`, `absent_instances`.
//!
//! Around that core every answer also holds: the VPCs involved with all their CIDR blocks
//! (primary, secondary, IPv6), **all** route tables of those VPCs with associations and routes
//! (a subnet without an explicit association follows the main table), the subnets in scope
//! (all subnets of a whole VPC, else those of the interfaces), every security group on an
//! interface in scope with its ingress permissions, the prefix lists those groups reference
//! with their entries, and the firewall instance with its interfaces. A "whole VPC" is all of
//! its instances, interfaces and subnets.
//!
//! Canonical form (both inventories): lists sorted by id, permissions with the same protocol
//! and ports merged, and a route to an instance's interface names the instance too, as AWS
//! reports it (moto names only the target a route was created with).
//!
//! # Efficiency
//!
//! Reads go by filter (`vpc-id`, `instance-id`, `group-id`, `attachment.instance-id`, …) with
//! up to 200 ids per call and the largest page size, never per resource, and never with
//! filters moto lacks (those are applied in Rust). A full sync costs
//! 8 calls plus one `GetManagedPrefixListEntries` per referenced prefix list, whatever the
//! number of instances up to a page (1,000); see `tests/call_counts.rs`.
//! [`SdkInventory::call_count`] reports calls by operation.
//!
//! # Snapshot file format (version 1)
//!
//! A JSON object with the fields of [`model::Topology`] at the top level (`vpcs`, `subnets`,
//! `route_tables`, `instances`, `network_interfaces`, `security_groups`, `prefix_lists`,
//! optional `absent_instances`, `absent_security_groups`) plus `"version": 1` (always written;
//! other versions are refused; a file without it, a bare serialized `Topology` such as
//! `examples/snapshot.json`, is read as version 1), and optionally `region`, `firewall_instance_id` and
//! `extra_route_targets` (the scope options the snapshot resolves keys with unless
//! [`SnapshotInventory::with_scope`] replaces them). [`SdkInventory::snapshot_everything`]
//! writes one covering every VPC of the region (`palosync snapshot`).
//!
//! ```json
//! {"version": 1, "region": "eu-west-1", "firewall_instance_id": "i-0fw",
//!  "vpcs": [{"id": "vpc-1", "cidr_blocks": ["10.0.0.0/16", "2600:1f18::/56"]}],
//!  "subnets": [{"id": "subnet-1", "vpc_id": "vpc-1", "ipv4_cidr": "10.0.1.0/24"}],
//!  "route_tables": [{"id": "rtb-1", "vpc_id": "vpc-1",
//!    "associations": [{"id": "rtbassoc-1", "main": true}],
//!    "routes": [{"destination": {"kind": "cidr", "value": "0.0.0.0/0"},
//!                "targets": {"instance_id": "i-0fw"}, "state": "active"}]}],
//!  "instances": [{"id": "i-1", "state": "running", "vpc_id": "vpc-1"}],
//!  "network_interfaces": [{"id": "eni-1", "vpc_id": "vpc-1", "subnet_id": "subnet-1",
//!    "attachment": {"instance_id": "i-1", "device_index": 0},
//!    "private_ipv4": ["10.0.1.10"], "ipv6": [], "security_groups": ["sg-1"]}],
//!  "security_groups": [{"id": "sg-1", "name": "web", "vpc_id": "vpc-1", "ingress": [
//!    {"protocol": "tcp", "ports": {"from": 443, "to": 443},
//!     "ipv4_ranges": [{"cidr": "0.0.0.0/0"}]}]}],
//!  "prefix_lists": []}
//! ```
//!
//! # Also here
//!
//! * [`SdkInventory::read_log_object`]: a CloudTrail log object streamed from S3 as a blocking
//!   `Read`, with a size limit, for the `events` parser (which detects and undoes gzip).
//! * [`fetch_api_key`]: the firewall API key from Secrets Manager or SSM, never logged.
//! * [`SdkInventory::discover_fleet`]: the running firewalls of a fleet (by tag or Auto Scaling
//!   group) and their management addresses, one filtered `DescribeInstances` per run.
//!
//! # Configuration
//!
//! [`SdkInventory::new`] takes an [`SdkConfig`] from the standard chain ([`load_config`]:
//! `AWS_REGION`, `AWS_ENDPOINT_URL`, credentials; use it rather than depending on `aws-config`
//! elsewhere, so the SDK keeps one feature set) and [`InventoryOptions`]: scope, attempts per call
//! (standard retry mode, default 5), S3 path-style addressing (default: on when the endpoint is
//! overridden, as moto needs) and the log object size limit (default 128 MiB).
//!
//! # Build cost of the SDK
//!
//! All five SDK crates use one slim feature set (`default-features = false`, `rt-tokio`,
//! `behavior-version-latest`, one HTTPS client via aws-config's `default-https-client`), so the
//! SDK compiles once per workspace and pulls neither the legacy hyper 0.14/rustls 0.21 stack,
//! nor the SSO clients, nor the sigv4a/p256 chain. Other crates should take [`SdkConfig`] from
//! [`load_config`] instead of declaring `aws-config` with other features (a second feature set
//! compiles the SDK a second time).
//!
//! Measured on the project's 2-core build machine (shared with other builds at the time, so
//! upper bounds), clean target directory, crates already downloaded, workspace dev profile
//! (no debuginfo for dependencies):
//!
//! | build | crates | wall time | output |
//! |---|---|---|---|
//! | debug, `cargo build -p aws --tests` | 201 | 3 min 12 s | `examples/snapshot` 67 MB (unstripped, no dependency debuginfo) |
//! | release, `cargo build --release -p aws --example snapshot` (fat LTO, 1 codegen unit, stripped) | 177 | 18 min 49 s wall, 11 min 41 s CPU (the machine was busy), peak 9.3 GB RSS in the fat-LTO link | `examples/snapshot` 9.2 MB stripped (EC2, S3, Secrets Manager and SSM clients, tokio, rustls) |
//!
//! `aws-sdk-ec2` alone is the critical path (about 3 of the 3 debug minutes); incremental
//! rebuilds of this crate take seconds. Feature trimming saves only 10–25 s per clean build;
//! keeping `target/` between builds is what matters (see `aws-events.md` §4.2–4.3).

mod closure;
mod error;
mod inventory;
mod normalize;
mod s3_log;
mod sdk;
mod secrets;
mod snapshot;
mod source;

pub use aws_config::SdkConfig;
pub use error::InventoryError;
pub use inventory::Inventory;
pub use normalize::targets_firewall;
pub use s3_log::LogObjectLocation;
pub use sdk::{
    CallCount, DEFAULT_MAX_LOG_OBJECT_BYTES, FleetMember, FleetQuery, FleetSelector,
    InventoryOptions, ROLE_SESSION_NAME, SdkInventory, config_for, load_config,
};
pub use secrets::{ApiKey, ApiKeySource, SecretError, fetch_api_key};
pub use snapshot::{SNAPSHOT_VERSION, Snapshot, SnapshotInventory};
pub use source::ScopeOptions;
