//! Route tables, routes and Gateway Load Balancer endpoints: the shapes of the designs that put
//! a subnet behind the firewall.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::VpcEndpointType;

/// A new route table of `vpc`, associated with each of `subnets`; returns its id and the
/// associations' ids.
pub async fn route_table(ec2: &Client, vpc: &str, subnets: &[&str]) -> (String, Vec<String>) {
    let table = new_table(ec2, vpc).await;
    let mut associations = Vec::new();
    for subnet in subnets {
        let out = ec2
            .associate_route_table()
            .route_table_id(&table)
            .subnet_id(*subnet)
            .send()
            .await
            .expect("associate route table");
        associations.push(out.association_id().expect("association id").to_owned());
    }
    (table, associations)
}

/// The edge table of the internet gateway `igw` (ingress routing); returns its id.
pub async fn edge_route_table(ec2: &Client, vpc: &str, igw: &str) -> String {
    let table = new_table(ec2, vpc).await;
    ec2.associate_route_table()
        .route_table_id(&table)
        .gateway_id(igw)
        .send()
        .await
        .expect("edge association");
    table
}

async fn new_table(ec2: &Client, vpc: &str) -> String {
    let out = ec2
        .create_route_table()
        .vpc_id(vpc)
        .send()
        .await
        .expect("create route table");
    out.route_table()
        .and_then(|t| t.route_table_id())
        .expect("route table id")
        .to_owned()
}

/// A route for `cidr` in `table` to `target`, whose kind its id prefix says (`vpce-`, `eni-`,
/// else a gateway).
pub async fn route(ec2: &Client, table: &str, cidr: &str, target: &str) {
    let request = ec2
        .create_route()
        .route_table_id(table)
        .destination_cidr_block(cidr);
    let request = match target.split('-').next() {
        Some("vpce") => request.vpc_endpoint_id(target),
        Some("eni") => request.network_interface_id(target),
        _ => request.gateway_id(target),
    };
    request.send().await.expect("create route");
}

/// A Gateway Load Balancer endpoint of the service `service_id` (`vpce-svc-…`) in `subnet`;
/// returns its id.
pub async fn gwlb_endpoint(
    ec2: &Client,
    region: &str,
    vpc: &str,
    subnet: &str,
    service_id: &str,
) -> String {
    let out = ec2
        .create_vpc_endpoint()
        .vpc_id(vpc)
        .vpc_endpoint_type(VpcEndpointType::GatewayLoadBalancer)
        .service_name(format!("com.amazonaws.vpce.{region}.{service_id}"))
        .subnet_ids(subnet)
        .send()
        .await
        .expect("create GWLB endpoint");
    out.vpc_endpoint()
        .and_then(|e| e.vpc_endpoint_id())
        .expect("endpoint id")
        .to_owned()
}
