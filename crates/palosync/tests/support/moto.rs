//! A small VPC built in moto through the AWS SDK, the way the original Lambda's users run it:
//!
//! | subnet | CIDR | default route | behind the firewall |
//! |---|---|---|---|
//! | fw_trust | 10.0.10.0/24 | internet gateway | no (the firewall's own) |
//! | app | 10.0.1.0/24 | the firewall, by instance id | yes |
//! | public | 10.0.4.0/24 | internet gateway | no |
//!
//! Group `web`: 443 from 0.0.0.0/0, 22 from 10.0.0.0/16 (the VPC itself), 8080 from group `fw` (a
//! group reference). `web1` runs in `app`, `pub1` in `public`, both with `web`.
//! Each test uses its own region: moto keeps state per region, tests run in parallel, and one
//! moto server serves the whole suite. The `aws` crate's tests hold eu-west-1, eu-west-2,
//! us-west-2, ca-central-1, ap-southeast-1, ap-northeast-1 and ap-south-1; palosync's take
//! others (us-east-1, us-east-2, us-west-1, eu-west-3, eu-south-1, eu-central-1, eu-north-1,
//! sa-east-1, ap-east-1, ap-northeast-2, ap-northeast-3, ap-southeast-2, me-south-1, af-south-1).

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{InstanceType, UserIdGroupPair};

pub use testkit::moto_config;
use testkit::{create_group, create_subnet, create_vpc};

#[derive(Debug, Clone)]
pub struct Vpc {
    pub firewall: String,
    pub web_group: String,
    pub fw_group: String,
    pub web1: String,
    pub web1_ip: String,
    pub pub1: String,
    pub pub1_ip: String,
    pub app_table: String,
    pub app_subnet: String,
    /// The explicit association of the app subnet with its table.
    pub app_association: String,
    pub igw: String,
    pub image: String,
}

/// The interface ids of `instance`.
pub async fn interfaces_of(ec2: &Client, instance: &str) -> Vec<String> {
    let out = ec2
        .describe_instances()
        .instance_ids(instance)
        .send()
        .await
        .expect("describe instance");
    out.reservations()
        .iter()
        .flat_map(|r| r.instances())
        .flat_map(|i| i.network_interfaces())
        .filter_map(|n| n.network_interface_id().map(str::to_owned))
        .collect()
}

pub async fn build_vpc(ec2: &Client) -> Vpc {
    let vpc = create_vpc(ec2, "10.0.0.0/16").await;
    let igw = testkit::internet_gateway(ec2, &vpc).await;

    let fw_trust = create_subnet(ec2, &vpc, "10.0.10.0/24", None).await;
    let app = create_subnet(ec2, &vpc, "10.0.1.0/24", None).await;
    let public = create_subnet(ec2, &vpc, "10.0.4.0/24", None).await;

    let fw_group = create_group(ec2, &vpc, "fw", vec![]).await;
    let web_group = create_group(
        ec2,
        &vpc,
        "web",
        vec![
            tcp(443).ip_ranges(cidr("0.0.0.0/0")).build(),
            tcp(22).ip_ranges(cidr("10.0.0.0/16")).build(),
            tcp(8080)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&fw_group).build())
                .build(),
        ],
    )
    .await;

    let image = ec2.describe_images().send().await.expect("describe images");
    let image = image.images()[0]
        .image_id()
        .expect("moto preloads images")
        .to_owned();
    let (firewall, _) = launch(ec2, &image, &fw_trust, &fw_group).await;
    let (web1, web1_ip) = launch(ec2, &image, &app, &web_group).await;
    let (pub1, pub1_ip) = launch(ec2, &image, &public, &web_group).await;

    let (app_table, app_associations) = testkit::route_table(ec2, &vpc, &[&app]).await;
    ec2.create_route()
        .route_table_id(&app_table)
        .destination_cidr_block("0.0.0.0/0")
        .instance_id(&firewall)
        .send()
        .await
        .expect("route to the firewall");
    let (public_table, _) = testkit::route_table(ec2, &vpc, &[&public, &fw_trust]).await;
    ec2.create_route()
        .route_table_id(&public_table)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .expect("route to the internet gateway");

    Vpc {
        firewall,
        web_group,
        fw_group,
        web1,
        web1_ip,
        pub1,
        pub1_ip,
        app_table,
        app_subnet: app,
        app_association: app_associations
            .into_iter()
            .next()
            .expect("one association"),
        igw,
        image,
    }
}

/// A tcp permission for one port.
pub fn tcp(port: i32) -> aws_sdk_ec2::types::builders::IpPermissionBuilder {
    testkit::tcp(port, port)
}

pub use testkit::cidr;

/// Launch one instance; returns its id and private address.
pub async fn launch(ec2: &Client, image: &str, subnet: &str, group: &str) -> (String, String) {
    let out = ec2
        .run_instances()
        .image_id(image)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .subnet_id(subnet)
        .security_group_ids(group)
        .send()
        .await
        .expect("run instance");
    let instance = &out.instances()[0];
    (
        instance.instance_id().expect("instance id").to_owned(),
        instance
            .private_ip_address()
            .expect("private ip")
            .to_owned(),
    )
}

/// Launch one instance whose primary interface carries the groups. moto then keeps the
/// interface's groups apart from the instance's, as AWS always does (aws-events.md §3, quirks
/// 4 and 6); returns the instance, its interface and its address.
pub async fn launch_with_interface(
    ec2: &Client,
    image: &str,
    subnet: &str,
    group: &str,
) -> (String, String, String) {
    let out = ec2
        .run_instances()
        .image_id(image)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .network_interfaces(
            aws_sdk_ec2::types::InstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .subnet_id(subnet)
                .groups(group)
                .build(),
        )
        .send()
        .await
        .expect("run instance");
    let instance = &out.instances()[0];
    let id = instance.instance_id().expect("instance id").to_owned();
    let eni = interfaces_of(ec2, &id).await.remove(0);
    let address = instance
        .private_ip_address()
        .expect("private ip")
        .to_owned();
    (id, eni, address)
}
