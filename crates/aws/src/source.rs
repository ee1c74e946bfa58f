//! The questions the scope closure asks a source of AWS state, and the options it asks them
//! with.
//!
//! A [`TopologySource`] answers batched lookups (by id lists or VPCs) and nothing else: it
//! never decides what belongs to a scope, so the live SDK source and the snapshot source
//! cannot drift apart in meaning.

use crate::error::InventoryError;
use model::{
    AssociationId, AttachmentId, EniId, GroupId, InstanceId, ManagedPrefixList, NetworkInterface,
    PrefixListId, RouteTable, RouteTableId, SecurityGroup, Subnet, Vpc, VpcEndpoint, VpcId,
};
use std::future::Future;

/// What decides whether a route goes "through the firewall", and what `Everything` covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeOptions {
    /// The VM-Series instance. Routes to it or to any of its interfaces send a subnet through
    /// the firewall; `Everything` covers the VPCs holding such routes. Without it, `Everything`
    /// covers every VPC.
    pub firewall_instance_id: Option<InstanceId>,
    /// Other route target ids that also mean "through the firewall" (ENIs, GWLB endpoints).
    pub extra_route_targets: Vec<String>,
}

/// Which VPCs a full read covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coverage {
    /// `Everything` = the VPCs routed through the firewall (plus the firewall's own).
    FirewallVpcs,
    /// `Everything` = every VPC (snapshots for bug reports).
    AllVpcs,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum VpcQuery<'a> {
    All,
    Ids(&'a [VpcId]),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum RouteTableQuery<'a> {
    All,
    Ids(&'a [RouteTableId]),
    /// Tables holding any of these associations (main, subnet or edge).
    Associations(&'a [AssociationId]),
    Vpcs(&'a [VpcId]),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum InstanceQuery<'a> {
    Ids(&'a [InstanceId]),
    Vpcs(&'a [VpcId]),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum EniQuery<'a> {
    Ids(&'a [EniId]),
    /// Interfaces attached to these instances.
    Instances(&'a [InstanceId]),
    /// Interfaces whose own groups include any of these.
    Groups(&'a [GroupId]),
    Attachments(&'a [AttachmentId]),
    Vpcs(&'a [VpcId]),
    /// Interfaces holding any of these private IPv4 addresses (primary or secondary).
    PrivateIpv4(&'a [std::net::Ipv4Addr]),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum GroupQuery<'a> {
    All,
    Ids(&'a [GroupId]),
}

type Read<T> = Result<Vec<T>, InventoryError>;

/// Batched lookups the closure is built from. Missing ids are simply not returned.
pub(crate) trait TopologySource: Sync {
    fn vpcs(&self, query: VpcQuery<'_>) -> impl Future<Output = Read<Vpc>> + Send;
    fn subnets_in(&self, vpcs: &[VpcId]) -> impl Future<Output = Read<Subnet>> + Send;
    fn route_tables(
        &self,
        query: RouteTableQuery<'_>,
    ) -> impl Future<Output = Read<RouteTable>> + Send;
    fn instances(
        &self,
        query: InstanceQuery<'_>,
    ) -> impl Future<Output = Read<model::Instance>> + Send;
    fn network_interfaces(
        &self,
        query: EniQuery<'_>,
    ) -> impl Future<Output = Read<NetworkInterface>> + Send;
    fn security_groups(
        &self,
        query: GroupQuery<'_>,
    ) -> impl Future<Output = Read<SecurityGroup>> + Send;
    /// The Gateway Load Balancer endpoints of these VPCs that still carry traffic.
    fn gwlb_endpoints(&self, vpcs: &[VpcId]) -> impl Future<Output = Read<VpcEndpoint>> + Send;
    /// The lists with their entries.
    fn prefix_lists(
        &self,
        ids: &[PrefixListId],
    ) -> impl Future<Output = Read<ManagedPrefixList>> + Send;
}
