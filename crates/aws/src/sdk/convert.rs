//! EC2 API shapes (from the SDK) into `model` types.
//!
//! Pure functions, no IO. They keep only what the planner uses and refuse what the model cannot
//! hold faithfully (a missing id, an unparsable address): a wrong topology is worse than a failed
//! read, which the next event or sync retries. Associations, CIDR blocks and attachments that
//! AWS reports as going away are dropped: they no longer route or carry traffic.

use crate::error::InventoryError;
use aws_sdk_ec2::types as ec2;
use model::{
    Attachment, CidrSource, GroupReference, IngressPermission, Instance, InstanceState,
    ManagedPrefixList, NetworkInterface, PrefixListEntry, PrefixListReference, Protocol, Route,
    RouteDestination, RouteState, RouteTable, RouteTableAssociation, RouteTargets, SecurityGroup,
    Subnet, Vpc,
};
use std::str::FromStr;

type Converted<T> = Result<T, InventoryError>;

fn required<'a>(
    operation: &'static str,
    resource: &str,
    field: &str,
    value: Option<&'a str>,
) -> Converted<&'a str> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| InventoryError::malformed(operation, resource, format!("without {field}")))
}

fn parse<T: FromStr>(
    operation: &'static str,
    resource: &str,
    what: &str,
    text: &str,
) -> Converted<T> {
    text.trim().parse().map_err(|_| {
        InventoryError::malformed(
            operation,
            resource,
            format!("with unparsable {what} {text:?}"),
        )
    })
}

pub(crate) fn vpc(vpc: &ec2::Vpc) -> Converted<Vpc> {
    const OP: &str = "DescribeVpcs";
    let id = required(OP, "a VPC", "VpcId", vpc.vpc_id())?;
    let mut cidr_blocks = Vec::new();
    let ipv4_live = |state: Option<&ec2::VpcCidrBlockState>| {
        !matches!(
            state.and_then(|s| s.state()),
            Some(ec2::VpcCidrBlockStateCode::Disassociated)
                | Some(ec2::VpcCidrBlockStateCode::Disassociating)
                | Some(ec2::VpcCidrBlockStateCode::Failed)
                | Some(ec2::VpcCidrBlockStateCode::Failing)
        )
    };
    for block in vpc.cidr_block_association_set() {
        if let (Some(cidr), true) = (block.cidr_block(), ipv4_live(block.cidr_block_state())) {
            cidr_blocks.push(parse(OP, id, "CIDR block", cidr)?);
        }
    }
    // Older responses may omit the association set; the primary block is always there.
    if cidr_blocks.is_empty()
        && let Some(primary) = vpc.cidr_block()
    {
        cidr_blocks.push(parse(OP, id, "CIDR block", primary)?);
    }
    for block in vpc.ipv6_cidr_block_association_set() {
        if let (Some(cidr), true) = (
            block.ipv6_cidr_block(),
            ipv4_live(block.ipv6_cidr_block_state()),
        ) {
            cidr_blocks.push(parse(OP, id, "IPv6 CIDR block", cidr)?);
        }
    }
    Ok(Vpc {
        id: id.into(),
        cidr_blocks,
    })
}

pub(crate) fn subnet(subnet: &ec2::Subnet) -> Converted<Subnet> {
    const OP: &str = "DescribeSubnets";
    let id = required(OP, "a subnet", "SubnetId", subnet.subnet_id())?;
    let vpc_id = required(OP, id, "VpcId", subnet.vpc_id())?;
    let ipv4_cidr = match subnet.cidr_block() {
        Some(cidr) => Some(parse(OP, id, "CIDR block", cidr)?),
        None => None,
    };
    let mut ipv6_cidrs = Vec::new();
    for block in subnet.ipv6_cidr_block_association_set() {
        let live = !matches!(
            block.ipv6_cidr_block_state().and_then(|s| s.state()),
            Some(ec2::SubnetCidrBlockStateCode::Disassociated)
                | Some(ec2::SubnetCidrBlockStateCode::Disassociating)
                | Some(ec2::SubnetCidrBlockStateCode::Failed)
                | Some(ec2::SubnetCidrBlockStateCode::Failing)
        );
        if let (Some(cidr), true) = (block.ipv6_cidr_block(), live) {
            ipv6_cidrs.push(parse(OP, id, "IPv6 CIDR block", cidr)?);
        }
    }
    Ok(Subnet {
        id: id.into(),
        vpc_id: vpc_id.into(),
        ipv4_cidr,
        ipv6_cidrs,
    })
}

pub(crate) fn route_table(table: &ec2::RouteTable) -> Converted<RouteTable> {
    const OP: &str = "DescribeRouteTables";
    let id = required(OP, "a route table", "RouteTableId", table.route_table_id())?;
    let vpc_id = required(OP, id, "VpcId", table.vpc_id())?;
    let mut associations = Vec::new();
    for association in table.associations() {
        let gone = matches!(
            association.association_state().and_then(|s| s.state()),
            Some(ec2::RouteTableAssociationStateCode::Disassociated)
                | Some(ec2::RouteTableAssociationStateCode::Disassociating)
                | Some(ec2::RouteTableAssociationStateCode::Failed)
        );
        if gone {
            continue;
        }
        let association_id = required(
            OP,
            id,
            "RouteTableAssociationId",
            association.route_table_association_id(),
        )?;
        associations.push(RouteTableAssociation {
            id: association_id.into(),
            main: association.main().unwrap_or(false),
            subnet_id: association.subnet_id().map(Into::into),
            gateway_id: association.gateway_id().map(str::to_owned),
        });
    }
    let routes = table
        .routes()
        .iter()
        .map(|r| route(id, r))
        .collect::<Converted<Vec<_>>>()?;
    Ok(RouteTable {
        id: id.into(),
        vpc_id: vpc_id.into(),
        associations,
        routes,
    })
}

fn route(table: &str, route: &ec2::Route) -> Converted<Route> {
    const OP: &str = "DescribeRouteTables";
    let destination = if let Some(cidr) = route.destination_cidr_block() {
        RouteDestination::Cidr(parse(OP, table, "route destination", cidr)?)
    } else if let Some(cidr) = route.destination_ipv6_cidr_block() {
        RouteDestination::Cidr(parse(OP, table, "route destination", cidr)?)
    } else if let Some(list) = route.destination_prefix_list_id() {
        RouteDestination::PrefixList(list.into())
    } else {
        // moto drops prefix-list destinations; keep the route, it never counts as default.
        RouteDestination::Unknown
    };
    let owned = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(str::to_owned);
    let targets = RouteTargets {
        gateway_id: owned(route.gateway_id()),
        instance_id: owned(route.instance_id()).map(Into::into),
        network_interface_id: owned(route.network_interface_id()).map(Into::into),
        nat_gateway_id: owned(route.nat_gateway_id()),
        transit_gateway_id: owned(route.transit_gateway_id()),
        vpc_peering_connection_id: owned(route.vpc_peering_connection_id()),
        // DescribeRouteTables reports gateway load balancer endpoints in GatewayId.
        vpc_endpoint_id: None,
        egress_only_internet_gateway_id: owned(route.egress_only_internet_gateway_id()),
        local_gateway_id: owned(route.local_gateway_id()),
        carrier_gateway_id: owned(route.carrier_gateway_id()),
        core_network_arn: owned(route.core_network_arn()),
    };
    let state = match route.state() {
        Some(ec2::RouteState::Blackhole) => RouteState::Blackhole,
        _ => RouteState::Active,
    };
    Ok(Route {
        destination,
        targets,
        state,
    })
}

pub(crate) fn instance(instance: &ec2::Instance) -> Converted<Instance> {
    const OP: &str = "DescribeInstances";
    let id = required(OP, "an instance", "InstanceId", instance.instance_id())?;
    let name = required(
        OP,
        id,
        "State.Name",
        instance.state().and_then(|s| s.name()).map(|n| n.as_str()),
    )?;
    let state = InstanceState::from_aws(name)
        .ok_or_else(|| InventoryError::malformed(OP, id, format!("in unknown state {name:?}")))?;
    Ok(Instance {
        id: id.into(),
        state,
        vpc_id: instance.vpc_id().map(Into::into),
    })
}

pub(crate) fn network_interface(eni: &ec2::NetworkInterface) -> Converted<NetworkInterface> {
    const OP: &str = "DescribeNetworkInterfaces";
    let id = required(
        OP,
        "a network interface",
        "NetworkInterfaceId",
        eni.network_interface_id(),
    )?;
    let vpc_id = required(OP, id, "VpcId", eni.vpc_id())?;
    let subnet_id = required(OP, id, "SubnetId", eni.subnet_id())?;
    let attachment = match eni.attachment() {
        // An interface attached to something that is not an instance (a NAT gateway, a
        // Lambda) has no instance id and no instance state to honour.
        Some(a) if !matches!(a.status(), Some(ec2::AttachmentStatus::Detached)) => {
            a.instance_id().map(|instance| Attachment {
                instance_id: instance.into(),
                attachment_id: a.attachment_id().map(Into::into),
                device_index: a.device_index().and_then(|i| u32::try_from(i).ok()),
            })
        }
        _ => None,
    };
    let mut private_ipv4 = Vec::new();
    let primary = eni.private_ip_address();
    if let Some(primary) = primary {
        private_ipv4.push(parse(OP, id, "private address", primary)?);
    }
    for address in eni.private_ip_addresses() {
        if let Some(text) = address.private_ip_address()
            && Some(text) != primary
        {
            private_ipv4.push(parse(OP, id, "private address", text)?);
        }
    }
    let ipv6 = eni
        .ipv6_addresses()
        .iter()
        .filter_map(|a| a.ipv6_address())
        .map(|text| parse(OP, id, "IPv6 address", text))
        .collect::<Converted<Vec<_>>>()?;
    let security_groups = eni
        .groups()
        .iter()
        .filter_map(|g| g.group_id())
        .map(Into::into)
        .collect();
    Ok(NetworkInterface {
        id: id.into(),
        vpc_id: vpc_id.into(),
        subnet_id: subnet_id.into(),
        attachment,
        private_ipv4,
        ipv6,
        security_groups,
    })
}

pub(crate) fn security_group(group: &ec2::SecurityGroup) -> Converted<SecurityGroup> {
    const OP: &str = "DescribeSecurityGroups";
    let id = required(OP, "a security group", "GroupId", group.group_id())?;
    let ingress = group
        .ip_permissions()
        .iter()
        .map(|p| permission(id, p))
        .collect::<Converted<Vec<_>>>()?;
    Ok(SecurityGroup {
        id: id.into(),
        name: group.group_name().unwrap_or_default().to_owned(),
        vpc_id: group.vpc_id().map(Into::into),
        ingress,
    })
}

fn permission(group: &str, permission: &ec2::IpPermission) -> Converted<IngressPermission> {
    const OP: &str = "DescribeSecurityGroups";
    let protocol_name = required(OP, group, "IpProtocol", permission.ip_protocol())?;
    let protocol = Protocol::from_aws(
        protocol_name,
        permission.from_port().map(i64::from),
        permission.to_port().map(i64::from),
    )
    .map_err(|e| InventoryError::malformed(OP, group, format!("with a bad permission: {e}")))?;
    let description = |d: Option<&str>| d.filter(|s| !s.is_empty()).map(str::to_owned);
    let mut ipv4_ranges = Vec::new();
    for range in permission.ip_ranges() {
        let cidr = required(OP, group, "CidrIp", range.cidr_ip())?;
        ipv4_ranges.push(CidrSource {
            cidr: parse(OP, group, "IPv4 source", cidr)?,
            description: description(range.description()),
        });
    }
    let mut ipv6_ranges = Vec::new();
    for range in permission.ipv6_ranges() {
        let cidr = required(OP, group, "CidrIpv6", range.cidr_ipv6())?;
        ipv6_ranges.push(CidrSource {
            cidr: parse(OP, group, "IPv6 source", cidr)?,
            description: description(range.description()),
        });
    }
    let mut prefix_lists = Vec::new();
    for reference in permission.prefix_list_ids() {
        let list = required(OP, group, "PrefixListId", reference.prefix_list_id())?;
        prefix_lists.push(PrefixListReference {
            id: list.into(),
            description: description(reference.description()),
        });
    }
    let mut groups = Vec::new();
    for pair in permission.user_id_group_pairs() {
        let referenced = required(OP, group, "UserIdGroupPair.GroupId", pair.group_id())?;
        groups.push(GroupReference {
            group_id: referenced.into(),
            user_id: pair.user_id().map(str::to_owned),
        });
    }
    Ok(IngressPermission {
        protocol,
        ipv4_ranges,
        ipv6_ranges,
        prefix_lists,
        groups,
    })
}

pub(crate) fn prefix_list(
    list: &ec2::ManagedPrefixList,
    entries: &[ec2::PrefixListEntry],
) -> Converted<ManagedPrefixList> {
    const OP: &str = "GetManagedPrefixListEntries";
    let id = required(OP, "a prefix list", "PrefixListId", list.prefix_list_id())?;
    let entries = entries
        .iter()
        .map(|entry| {
            let cidr = required(OP, id, "Cidr", entry.cidr())?;
            Ok(PrefixListEntry {
                cidr: parse(OP, id, "entry", cidr)?,
                description: entry
                    .description()
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned),
            })
        })
        .collect::<Converted<Vec<_>>>()?;
    Ok(ManagedPrefixList {
        id: id.into(),
        name: list.prefix_list_name().unwrap_or_default().to_owned(),
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_to_eni_keeps_only_given_targets() {
        let route = ec2::Route::builder()
            .destination_cidr_block("0.0.0.0/0")
            .network_interface_id("eni-fw")
            .state(ec2::RouteState::Active)
            .build();
        let converted = super::route("rtb-1", &route).unwrap();
        assert_eq!(
            converted.destination,
            RouteDestination::Cidr("0.0.0.0/0".parse().unwrap())
        );
        assert_eq!(
            converted.targets.network_interface_id,
            Some("eni-fw".into())
        );
        assert_eq!(converted.targets.instance_id, None);
    }

    #[test]
    fn route_without_readable_destination_is_unknown_not_default() {
        let route = ec2::Route::builder().network_interface_id("eni-x").build();
        let converted = super::route("rtb-1", &route).unwrap();
        assert_eq!(converted.destination, RouteDestination::Unknown);
    }

    #[test]
    fn blackhole_routes_say_so() {
        let route = ec2::Route::builder()
            .destination_cidr_block("0.0.0.0/0")
            .instance_id("i-fw")
            .state(ec2::RouteState::Blackhole)
            .build();
        assert_eq!(
            super::route("rtb-1", &route).unwrap().state,
            RouteState::Blackhole
        );
    }

    #[test]
    fn disassociated_associations_are_dropped() {
        let association = |id: &str, state| {
            ec2::RouteTableAssociation::builder()
                .route_table_association_id(id)
                .subnet_id("subnet-1")
                .association_state(
                    ec2::RouteTableAssociationState::builder()
                        .state(state)
                        .build(),
                )
                .build()
        };
        let table = ec2::RouteTable::builder()
            .route_table_id("rtb-1")
            .vpc_id("vpc-1")
            .associations(association(
                "rtbassoc-old",
                ec2::RouteTableAssociationStateCode::Disassociated,
            ))
            .associations(association(
                "rtbassoc-new",
                ec2::RouteTableAssociationStateCode::Associated,
            ))
            .build();
        let converted = route_table(&table).unwrap();
        let ids: Vec<&str> = converted
            .associations
            .iter()
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(ids, ["rtbassoc-new"]);
    }

    #[test]
    fn interface_addresses_primary_first_without_duplicates() {
        let address = |ip: &str, primary: bool| {
            ec2::NetworkInterfacePrivateIpAddress::builder()
                .private_ip_address(ip)
                .primary(primary)
                .build()
        };
        let eni = ec2::NetworkInterface::builder()
            .network_interface_id("eni-1")
            .vpc_id("vpc-1")
            .subnet_id("subnet-1")
            .private_ip_address("10.0.1.5")
            .private_ip_addresses(address("10.0.1.5", true))
            .private_ip_addresses(address("10.0.1.6", false))
            .ipv6_addresses(
                ec2::NetworkInterfaceIpv6Address::builder()
                    .ipv6_address("2600:1f18::5")
                    .build(),
            )
            .attachment(
                ec2::NetworkInterfaceAttachment::builder()
                    .instance_id("i-1")
                    .status(ec2::AttachmentStatus::Detached)
                    .build(),
            )
            .build();
        let converted = network_interface(&eni).unwrap();
        assert_eq!(
            converted.private_ipv4,
            [
                "10.0.1.5".parse::<std::net::Ipv4Addr>().unwrap(),
                "10.0.1.6".parse().unwrap()
            ]
        );
        assert_eq!(converted.ipv6.len(), 1);
        assert_eq!(
            converted.attachment, None,
            "a detached interface carries no traffic"
        );
    }

    #[test]
    fn interface_without_subnet_is_an_error_not_a_guess() {
        let eni = ec2::NetworkInterface::builder()
            .network_interface_id("eni-1")
            .vpc_id("vpc-1")
            .build();
        let error = network_interface(&eni).unwrap_err();
        assert_eq!(
            error.to_string(),
            "AWS DescribeNetworkInterfaces returned eni-1 without SubnetId"
        );
    }

    #[test]
    fn unknown_protocol_name_is_an_error() {
        let group = ec2::SecurityGroup::builder()
            .group_id("sg-1")
            .ip_permissions(ec2::IpPermission::builder().ip_protocol("bogus").build())
            .build();
        assert!(security_group(&group).is_err());
    }
}
