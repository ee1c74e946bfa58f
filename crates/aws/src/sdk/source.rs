//! The closure's batched queries as EC2 `Describe*` calls.
//!
//! Every query is one paginated call per 200 ids (AWS's limit on filter values), selected by
//! filters moto and AWS both support (`vpc-id`, `instance-id`, `group-id`,
//! `attachment.instance-id`…). Never by id parameters (`InstanceIds=`), which fail the whole
//! call when one id is gone; never per resource.

use super::convert;
use crate::error::InventoryError;
use crate::source::{
    EniQuery, GroupQuery, InstanceQuery, RouteTableQuery, TopologySource, VpcQuery,
};
use aws_sdk_ec2::types::Filter;
use model::{
    Instance, ManagedPrefixList, NetworkInterface, PrefixListId, RouteTable, SecurityGroup, Subnet,
    Vpc, VpcEndpoint, VpcId,
};

/// AWS accepts at most 200 values in one filter.
pub(super) const FILTER_VALUES: usize = 200;
/// The largest page each operation allows: fewer pages, fewer calls.
const PAGE: i32 = 1000;
const ROUTE_TABLE_PAGE: i32 = 100;
const PREFIX_LIST_PAGE: i32 = 100;

type Read<T> = Result<Vec<T>, InventoryError>;

/// Drive a paginator to the end, mapping errors to the operation's name.
macro_rules! each_page {
    ($operation:literal, $request:expr, |$page:ident| $body:block) => {{
        let mut pages = $request.into_paginator().send();
        while let Some(page) = pages.next().await {
            let $page = page.map_err(|e| InventoryError::aws($operation, e))?;
            $body
        }
    }};
}

#[derive(Debug, Clone)]
pub(crate) struct Ec2Source {
    pub(crate) ec2: aws_sdk_ec2::Client,
}

/// `None` (no filter: everything) or one filter per chunk of ids.
fn filters<T: AsRef<str>>(name: &str, ids: Option<&[T]>) -> Vec<Option<Filter>> {
    match ids {
        None => vec![None],
        Some(ids) => ids
            .chunks(FILTER_VALUES)
            .map(|chunk| {
                Some(
                    Filter::builder()
                        .name(name)
                        .set_values(Some(
                            chunk.iter().map(|id| id.as_ref().to_owned()).collect(),
                        ))
                        .build(),
                )
            })
            .collect(),
    }
}

impl Ec2Source {
    async fn describe_route_tables(&self, filter: Option<Filter>) -> Read<RouteTable> {
        let mut out = Vec::new();
        let request = self
            .ec2
            .describe_route_tables()
            .set_filters(filter.map(|f| vec![f]))
            .max_results(ROUTE_TABLE_PAGE);
        each_page!("DescribeRouteTables", request, |page| {
            for table in page.route_tables() {
                out.push(convert::route_table(table)?);
            }
        });
        Ok(out)
    }

    async fn describe_instances(&self, filter: Option<Filter>) -> Read<Instance> {
        let mut out = Vec::new();
        let request = self
            .ec2
            .describe_instances()
            .set_filters(filter.map(|f| vec![f]))
            .max_results(PAGE);
        each_page!("DescribeInstances", request, |page| {
            for reservation in page.reservations() {
                for instance in reservation.instances() {
                    out.push(convert::instance(instance)?);
                }
            }
        });
        Ok(out)
    }

    async fn describe_network_interfaces(&self, filter: Option<Filter>) -> Read<NetworkInterface> {
        let mut out = Vec::new();
        let request = self
            .ec2
            .describe_network_interfaces()
            .set_filters(filter.map(|f| vec![f]))
            .max_results(PAGE);
        each_page!("DescribeNetworkInterfaces", request, |page| {
            for eni in page.network_interfaces() {
                out.push(convert::network_interface(eni)?);
            }
        });
        Ok(out)
    }

    async fn describe_security_groups(&self, filter: Option<Filter>) -> Read<SecurityGroup> {
        let mut out = Vec::new();
        let request = self
            .ec2
            .describe_security_groups()
            .set_filters(filter.map(|f| vec![f]))
            .max_results(PAGE);
        each_page!("DescribeSecurityGroups", request, |page| {
            for group in page.security_groups() {
                out.push(convert::security_group(group)?);
            }
        });
        Ok(out)
    }

    async fn describe_vpcs(&self, filter: Option<Filter>) -> Read<Vpc> {
        let mut out = Vec::new();
        let request = self
            .ec2
            .describe_vpcs()
            .set_filters(filter.map(|f| vec![f]))
            .max_results(PAGE);
        each_page!("DescribeVpcs", request, |page| {
            for vpc in page.vpcs() {
                out.push(convert::vpc(vpc)?);
            }
        });
        Ok(out)
    }

    async fn prefix_list_entries(
        &self,
        list: &aws_sdk_ec2::types::ManagedPrefixList,
    ) -> Result<ManagedPrefixList, InventoryError> {
        let mut entries = Vec::new();
        let request = self
            .ec2
            .get_managed_prefix_list_entries()
            .set_prefix_list_id(list.prefix_list_id().map(str::to_owned))
            .max_results(PREFIX_LIST_PAGE);
        each_page!("GetManagedPrefixListEntries", request, |page| {
            entries.extend_from_slice(page.entries());
        });
        convert::prefix_list(list, &entries)
    }
}

impl TopologySource for Ec2Source {
    async fn vpcs(&self, query: VpcQuery<'_>) -> Read<Vpc> {
        let ids = match query {
            VpcQuery::All => None,
            VpcQuery::Ids(ids) => Some(ids),
        };
        let mut out = Vec::new();
        for filter in filters("vpc-id", ids) {
            out.extend(self.describe_vpcs(filter).await?);
        }
        Ok(out)
    }

    async fn subnets_in(&self, vpcs: &[VpcId]) -> Read<Subnet> {
        let mut out = Vec::new();
        for filter in filters("vpc-id", Some(vpcs)) {
            let request = self
                .ec2
                .describe_subnets()
                .set_filters(filter.map(|f| vec![f]))
                .max_results(PAGE);
            each_page!("DescribeSubnets", request, |page| {
                for subnet in page.subnets() {
                    out.push(convert::subnet(subnet)?);
                }
            });
        }
        Ok(out)
    }

    async fn route_tables(&self, query: RouteTableQuery<'_>) -> Read<RouteTable> {
        let chunks = match query {
            RouteTableQuery::All => filters::<&str>("", None),
            RouteTableQuery::Ids(ids) => filters("route-table-id", Some(ids)),
            RouteTableQuery::Associations(ids) => {
                filters("association.route-table-association-id", Some(ids))
            }
            RouteTableQuery::Vpcs(ids) => filters("vpc-id", Some(ids)),
        };
        let mut out = Vec::new();
        for filter in chunks {
            out.extend(self.describe_route_tables(filter).await?);
        }
        Ok(out)
    }

    async fn instances(&self, query: InstanceQuery<'_>) -> Read<Instance> {
        let chunks = match query {
            InstanceQuery::Ids(ids) => filters("instance-id", Some(ids)),
            InstanceQuery::Vpcs(ids) => filters("vpc-id", Some(ids)),
        };
        let mut out = Vec::new();
        for filter in chunks {
            out.extend(self.describe_instances(filter).await?);
        }
        Ok(out)
    }

    async fn network_interfaces(&self, query: EniQuery<'_>) -> Read<NetworkInterface> {
        let chunks = match query {
            EniQuery::Ids(ids) => filters("network-interface-id", Some(ids)),
            EniQuery::Instances(ids) => filters("attachment.instance-id", Some(ids)),
            // Matches the interface's own groups, which is what decides its traffic.
            EniQuery::Groups(ids) => filters("group-id", Some(ids)),
            EniQuery::Attachments(ids) => filters("attachment.attachment-id", Some(ids)),
            EniQuery::Vpcs(ids) => filters("vpc-id", Some(ids)),
            EniQuery::PrivateIpv4(addresses) => {
                let addresses: Vec<String> = addresses.iter().map(|a| a.to_string()).collect();
                filters("addresses.private-ip-address", Some(addresses.as_slice()))
            }
        };
        let mut out = Vec::new();
        for filter in chunks {
            out.extend(self.describe_network_interfaces(filter).await?);
        }
        Ok(out)
    }

    async fn security_groups(&self, query: GroupQuery<'_>) -> Read<SecurityGroup> {
        let chunks = match query {
            GroupQuery::All => filters::<&str>("", None),
            GroupQuery::Ids(ids) => filters("group-id", Some(ids)),
        };
        let mut out = Vec::new();
        for filter in chunks {
            out.extend(self.describe_security_groups(filter).await?);
        }
        Ok(out)
    }

    async fn gwlb_endpoints(&self, vpcs: &[VpcId]) -> Read<VpcEndpoint> {
        super::endpoints::gwlb_endpoints(self, vpcs).await
    }

    async fn prefix_lists(&self, ids: &[PrefixListId]) -> Read<ManagedPrefixList> {
        let mut lists = Vec::new();
        for filter in filters("prefix-list-id", Some(ids)) {
            let request = self
                .ec2
                .describe_managed_prefix_lists()
                .set_filters(filter.map(|f| vec![f]))
                .max_results(PREFIX_LIST_PAGE);
            each_page!("DescribeManagedPrefixLists", request, |page| {
                lists.extend_from_slice(page.prefix_lists());
            });
        }
        let mut out = Vec::with_capacity(lists.len());
        // One entries call per referenced list: their number depends on the groups' rules,
        // never on the number of instances.
        for list in &lists {
            out.push(self.prefix_list_entries(list).await?);
        }
        Ok(out)
    }
}
