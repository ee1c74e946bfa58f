//! Gateway Load Balancer endpoints: `DescribeVpcEndpoints` by VPC, and its shape into
//! `model::VpcEndpoint`.
//!
//! Selected with the filters `vpc-id` and `vpc-endpoint-type=GatewayLoadBalancer`, which AWS and
//! moto both support (moto has no `vpc-endpoint-id` filter, and `VpcEndpointIds=` fails the whole
//! call when one endpoint is gone). One paginated call per 200 VPCs, never per endpoint.

use super::source::{Ec2Source, FILTER_VALUES};
use crate::error::InventoryError;
use aws_sdk_ec2::types::{self as ec2, Filter};
use model::{VpcEndpoint, VpcId};

const OPERATION: &str = "DescribeVpcEndpoints";
const PAGE: i32 = 1000;

/// The Gateway Load Balancer endpoints of `vpcs` that still carry traffic.
pub(crate) async fn gwlb_endpoints(
    source: &Ec2Source,
    vpcs: &[VpcId],
) -> Result<Vec<VpcEndpoint>, InventoryError> {
    let mut out = Vec::new();
    for chunk in vpcs.chunks(FILTER_VALUES) {
        let in_vpcs = Filter::builder()
            .name("vpc-id")
            .set_values(Some(chunk.iter().map(|v| v.as_str().to_owned()).collect()))
            .build();
        let gwlb = Filter::builder()
            .name("vpc-endpoint-type")
            .values("GatewayLoadBalancer")
            .build();
        let mut pages = source
            .ec2
            .describe_vpc_endpoints()
            .filters(in_vpcs)
            .filters(gwlb)
            .max_results(PAGE)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| InventoryError::aws(OPERATION, e))?;
            for endpoint in page.vpc_endpoints() {
                if let Some(endpoint) = convert(endpoint)? {
                    out.push(endpoint);
                }
            }
        }
    }
    Ok(out)
}

/// `None` for an endpoint that no longer carries traffic (deleted, rejected, failed, expired)
/// or is not a Gateway Load Balancer endpoint (a source that ignored the type filter).
fn convert(endpoint: &ec2::VpcEndpoint) -> Result<Option<VpcEndpoint>, InventoryError> {
    let required = |resource: &str, field: &str, value: Option<&str>| {
        value
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                InventoryError::malformed(OPERATION, resource, format!("without {field}"))
            })
    };
    let id = required(
        "a VPC endpoint",
        "VpcEndpointId",
        endpoint.vpc_endpoint_id(),
    )?;
    let gwlb = matches!(
        endpoint.vpc_endpoint_type(),
        Some(ec2::VpcEndpointType::GatewayLoadBalancer)
    );
    // AWS spells states in lowercase on the wire, the SDK's enum in PascalCase: compare both.
    let state = endpoint.state().map(|s| s.as_str().to_ascii_lowercase());
    let gone = matches!(
        state.as_deref(),
        Some("deleted" | "rejected" | "failed" | "expired")
    );
    if !gwlb || gone {
        return Ok(None);
    }
    let vpc_id = required(&id, "VpcId", endpoint.vpc_id())?;
    let service_name = required(&id, "ServiceName", endpoint.service_name())?;
    Ok(Some(VpcEndpoint {
        id,
        vpc_id: vpc_id.into(),
        service_name,
        subnet_ids: endpoint
            .subnet_ids()
            .iter()
            .map(|s| s.as_str().into())
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(kind: ec2::VpcEndpointType, state: &str) -> ec2::VpcEndpoint {
        ec2::VpcEndpoint::builder()
            .vpc_endpoint_id("vpce-1")
            .vpc_endpoint_type(kind)
            .vpc_id("vpc-1")
            .service_name("com.amazonaws.vpce.eu-west-1.vpce-svc-0f1")
            .state(ec2::State::from(state))
            .subnet_ids("subnet-1")
            .build()
    }

    #[test]
    fn live_gateway_load_balancer_endpoints_only() {
        let live = convert(&endpoint(
            ec2::VpcEndpointType::GatewayLoadBalancer,
            "available",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(live.service_id(), Some("vpce-svc-0f1"));
        assert_eq!(live.subnet_ids, [model::SubnetId::new("subnet-1")]);
        for state in ["deleted", "Deleted", "rejected", "failed", "expired"] {
            let gone = endpoint(ec2::VpcEndpointType::GatewayLoadBalancer, state);
            assert_eq!(convert(&gone).unwrap(), None, "{state}");
        }
        let interface = endpoint(ec2::VpcEndpointType::Interface, "available");
        assert_eq!(convert(&interface).unwrap(), None);
    }
}
