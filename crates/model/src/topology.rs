//! The AWS topology the planner decides from: VPCs, subnets, route tables, instances, network
//! interfaces, security groups and managed prefix lists, as the inventory read them just now.
//!
//! These are plain data with the shape of the EC2 API, minus what palosync never uses. A
//! topology may be partial (only what one event's scope needs); `absent_*` lists what was asked
//! for and no longer exists, so "deleted" is never confused with "not read".

use crate::endpoint::VpcEndpoint;
use crate::ids::{
    AssociationId, AttachmentId, EniId, GroupId, InstanceId, PrefixListId, RouteTableId, SubnetId,
    VpcId,
};
use crate::protocol::Protocol;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Topology {
    pub vpcs: Vec<Vpc>,
    pub subnets: Vec<Subnet>,
    pub route_tables: Vec<RouteTable>,
    pub instances: Vec<Instance>,
    pub network_interfaces: Vec<NetworkInterface>,
    pub security_groups: Vec<SecurityGroup>,
    pub prefix_lists: Vec<ManagedPrefixList>,
    /// The Gateway Load Balancer endpoints of the VPCs whose route tables name one. Absent
    /// from older snapshots, which then cannot say where a route to a `vpce-…` leads.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vpc_endpoints: Vec<VpcEndpoint>,
    /// Endpoints a route names that AWS no longer knows (deleted): such a route leads nowhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absent_vpc_endpoints: Vec<String>,
    /// Instances asked for that AWS no longer knows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absent_instances: Vec<InstanceId>,
    /// Security groups asked for that were deleted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absent_security_groups: Vec<GroupId>,
    /// Interfaces asked for (by id, because a managed rule names them) that no longer exist.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absent_network_interfaces: Vec<EniId>,
    /// Addresses asked for (because a managed rule's destination is one) that no interface
    /// holds any more. An address neither here nor on a read interface was not read: unknown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absent_addresses: Vec<IpAddr>,
}

/// What managed rules point at beyond the reconcile keys: their destination addresses and the
/// interfaces and instances their descriptions name. A narrow read must also read these, so
/// that the planner knows the current state of every destination it may remove allowances
/// from (`to <instance> <eni>`), instead of mistaking "not read" for "gone".
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ReadTargets {
    pub addresses: Vec<IpAddr>,
    pub network_interfaces: Vec<EniId>,
    pub instances: Vec<InstanceId>,
}

impl ReadTargets {
    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty() && self.network_interfaces.is_empty() && self.instances.is_empty()
    }
}

impl Topology {
    pub fn vpc(&self, id: &VpcId) -> Option<&Vpc> {
        self.vpcs.iter().find(|v| &v.id == id)
    }

    pub fn subnet(&self, id: &SubnetId) -> Option<&Subnet> {
        self.subnets.iter().find(|s| &s.id == id)
    }

    pub fn instance(&self, id: &InstanceId) -> Option<&Instance> {
        self.instances.iter().find(|i| &i.id == id)
    }

    pub fn network_interface(&self, id: &EniId) -> Option<&NetworkInterface> {
        self.network_interfaces.iter().find(|n| &n.id == id)
    }

    pub fn security_group(&self, id: &GroupId) -> Option<&SecurityGroup> {
        self.security_groups.iter().find(|g| &g.id == id)
    }

    pub fn prefix_list(&self, id: &PrefixListId) -> Option<&ManagedPrefixList> {
        self.prefix_lists.iter().find(|p| &p.id == id)
    }

    pub fn vpc_endpoint(&self, id: &str) -> Option<&VpcEndpoint> {
        self.vpc_endpoints.iter().find(|e| e.id == id)
    }

    /// The network interfaces attached to `instance`, in device-index order.
    pub fn interfaces_of(&self, instance: &InstanceId) -> Vec<&NetworkInterface> {
        let mut enis: Vec<_> = self
            .network_interfaces
            .iter()
            .filter(|n| n.attached_instance() == Some(instance))
            .collect();
        enis.sort_by_key(|n| n.attachment.as_ref().and_then(|a| a.device_index));
        enis
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vpc {
    pub id: VpcId,
    /// Every associated block, primary and secondary, IPv4 and IPv6.
    pub cidr_blocks: Vec<IpNet>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    pub id: SubnetId,
    pub vpc_id: VpcId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4_cidr: Option<Ipv4Net>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv6_cidrs: Vec<Ipv6Net>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTable {
    pub id: RouteTableId,
    pub vpc_id: VpcId,
    #[serde(default)]
    pub associations: Vec<RouteTableAssociation>,
    #[serde(default)]
    pub routes: Vec<Route>,
}

impl RouteTable {
    pub fn is_main(&self) -> bool {
        self.associations.iter().any(|a| a.main)
    }

    pub fn is_associated_with(&self, subnet: &SubnetId) -> bool {
        self.associations
            .iter()
            .any(|a| a.subnet_id.as_ref() == Some(subnet))
    }
}

/// One association: the VPC's main flag, a subnet, or an edge (gateway) association.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTableAssociation {
    pub id: AssociationId,
    #[serde(default)]
    pub main: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<SubnetId>,
    /// Edge association with an internet or virtual private gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub destination: RouteDestination,
    #[serde(default)]
    pub targets: RouteTargets,
    #[serde(default)]
    pub state: RouteState,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum RouteDestination {
    Cidr(IpNet),
    PrefixList(PrefixListId),
    /// moto drops prefix-list destinations; a route whose destination we cannot read is kept
    /// but never counts as a default route.
    Unknown,
}

impl RouteDestination {
    /// `0.0.0.0/0` or `::/0`.
    pub fn is_default_route(&self) -> bool {
        matches!(self, RouteDestination::Cidr(net) if net.prefix_len() == 0)
    }
}

/// Every target field AWS may fill. Real AWS fills `instance_id` *and* `network_interface_id`
/// for a route to an instance's interface; moto fills only the one the route was created with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteTargets {
    /// Internet gateway, virtual private gateway, `local`, or a gateway load balancer
    /// endpoint (`vpce-…`), which DescribeRouteTables reports here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<InstanceId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_interface_id: Option<EniId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nat_gateway_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transit_gateway_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_peering_connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_endpoint_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub egress_only_internet_gateway_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_gateway_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_gateway_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub core_network_arn: Option<String>,
}

impl RouteTargets {
    /// Every target id the route names, whatever its kind.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        [
            self.gateway_id.as_deref(),
            self.instance_id.as_ref().map(InstanceId::as_str),
            self.network_interface_id.as_ref().map(EniId::as_str),
            self.nat_gateway_id.as_deref(),
            self.transit_gateway_id.as_deref(),
            self.vpc_peering_connection_id.as_deref(),
            self.vpc_endpoint_id.as_deref(),
            self.egress_only_internet_gateway_id.as_deref(),
            self.local_gateway_id.as_deref(),
            self.carrier_gateway_id.as_deref(),
            self.core_network_arn.as_deref(),
        ]
        .into_iter()
        .flatten()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteState {
    #[default]
    Active,
    /// The target is gone (for example the firewall instance is stopped).
    Blackhole,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub id: InstanceId,
    pub state: InstanceState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<VpcId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceState {
    Pending,
    Running,
    ShuttingDown,
    Terminated,
    Stopping,
    Stopped,
}

impl InstanceState {
    /// Parse the EC2 state name (`running`, `shutting-down`, …).
    pub fn from_aws(name: &str) -> Option<Self> {
        Some(match name {
            "pending" => Self::Pending,
            "running" => Self::Running,
            "shutting-down" => Self::ShuttingDown,
            "terminated" => Self::Terminated,
            "stopping" => Self::Stopping,
            "stopped" => Self::Stopped,
            _ => return None,
        })
    }

    /// Pending or running: the instance may receive traffic, so its rules must exist.
    pub fn receives_traffic(self) -> bool {
        matches!(self, Self::Pending | Self::Running)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkInterface {
    pub id: EniId,
    pub vpc_id: VpcId,
    pub subnet_id: SubnetId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    /// Primary address first, then secondaries.
    #[serde(default)]
    pub private_ipv4: Vec<Ipv4Addr>,
    #[serde(default)]
    pub ipv6: Vec<Ipv6Addr>,
    /// The interface's own groups (on AWS, an interface's groups are its own, not the instance's).
    #[serde(default)]
    pub security_groups: Vec<GroupId>,
}

impl NetworkInterface {
    pub fn attached_instance(&self) -> Option<&InstanceId> {
        self.attachment.as_ref().map(|a| &a.instance_id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub instance_id: InstanceId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment_id: Option<AttachmentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_index: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub id: GroupId,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<VpcId>,
    #[serde(default)]
    pub ingress: Vec<IngressPermission>,
}

/// One ingress permission: a protocol/port match and every source it allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngressPermission {
    #[serde(flatten)]
    pub protocol: Protocol,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv4_ranges: Vec<CidrSource<Ipv4Net>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipv6_ranges: Vec<CidrSource<Ipv6Net>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix_lists: Vec<PrefixListReference>,
    /// Group-to-group references: never an external source, kept for reporting.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupReference>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CidrSource<N> {
    pub cidr: N,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrefixListReference {
    pub id: PrefixListId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GroupReference {
    pub group_id: GroupId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPrefixList {
    pub id: PrefixListId,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub entries: Vec<PrefixListEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PrefixListEntry {
    pub cidr: IpNet,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::PortRange;

    fn eni(id: &str, instance: &str, index: u32) -> NetworkInterface {
        NetworkInterface {
            id: EniId::new(id),
            vpc_id: VpcId::new("vpc-1"),
            subnet_id: SubnetId::new("subnet-1"),
            attachment: Some(Attachment {
                instance_id: InstanceId::new(instance),
                attachment_id: None,
                device_index: Some(index),
            }),
            private_ipv4: vec![Ipv4Addr::new(10, 0, 0, 10)],
            ipv6: vec![],
            security_groups: vec![GroupId::new("sg-1")],
        }
    }

    #[test]
    fn interfaces_of_orders_by_device_index() {
        let topology = Topology {
            network_interfaces: vec![
                eni("eni-b", "i-1", 1),
                eni("eni-x", "i-2", 0),
                eni("eni-a", "i-1", 0),
            ],
            ..Topology::default()
        };
        let ids: Vec<_> = topology
            .interfaces_of(&InstanceId::new("i-1"))
            .iter()
            .map(|n| n.id.as_str())
            .collect();
        assert_eq!(ids, ["eni-a", "eni-b"]);
    }

    #[test]
    fn default_route_detection() {
        let v4: IpNet = "0.0.0.0/0".parse().unwrap();
        let v6: IpNet = "::/0".parse().unwrap();
        let local: IpNet = "10.0.0.0/16".parse().unwrap();
        assert!(RouteDestination::Cidr(v4).is_default_route());
        assert!(RouteDestination::Cidr(v6).is_default_route());
        assert!(!RouteDestination::Cidr(local).is_default_route());
        assert!(!RouteDestination::Unknown.is_default_route());
    }

    #[test]
    fn route_targets_list_every_named_id() {
        let targets = RouteTargets {
            instance_id: Some(InstanceId::new("i-fw")),
            network_interface_id: Some(EniId::new("eni-fw")),
            ..RouteTargets::default()
        };
        assert_eq!(targets.ids().collect::<Vec<_>>(), ["i-fw", "eni-fw"]);
    }

    #[test]
    fn permission_serializes_flat_with_protocol_tag() {
        let permission = IngressPermission {
            protocol: Protocol::Tcp {
                ports: PortRange::single(443),
            },
            ipv4_ranges: vec![CidrSource {
                cidr: "203.0.113.0/24".parse().unwrap(),
                description: None,
            }],
            ipv6_ranges: vec![],
            prefix_lists: vec![],
            groups: vec![],
        };
        let json = serde_json::to_value(&permission).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "protocol": "tcp",
                "ports": {"from": 443, "to": 443},
                "ipv4_ranges": [{"cidr": "203.0.113.0/24"}]
            })
        );
        let back: IngressPermission = serde_json::from_value(json).unwrap();
        assert_eq!(back, permission);
    }

    #[test]
    fn instance_states_parse_from_aws_names() {
        assert_eq!(
            InstanceState::from_aws("shutting-down"),
            Some(InstanceState::ShuttingDown)
        );
        assert!(InstanceState::Pending.receives_traffic());
        assert!(!InstanceState::Stopped.receives_traffic());
        assert_eq!(InstanceState::from_aws("rebooting"), None);
    }
}
