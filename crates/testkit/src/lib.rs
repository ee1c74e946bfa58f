//! Integration-test support for the crates that talk to moto (`aws`, `palosync`): the server's
//! endpoint, an SDK configuration per test region, and the EC2 calls every scenario repeats.
//!
//! Tests share one moto_server (started by `./scripts/test`) and run in parallel, so each test
//! uses its own region: moto keeps state per region. Credentials are dummies set on the config,
//! never through process-wide environment variables. Test code only: it panics on failure.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::Client;
use aws_sdk_ec2::config::Credentials;
use aws_sdk_ec2::types::{IpPermission, IpRange};

mod routing;
pub use routing::{edge_route_table, gwlb_endpoint, route, route_table};

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

/// As [`moto_config`], acting in AWS account `account` (12 digits): moto keeps each account's
/// state apart and maps credentials from `AssumeRole` to the role's account, so a test given an
/// account of its own shares nothing with any other test, whatever its region.
pub async fn moto_config_in_account(region: &'static str, account: &str) -> SdkConfig {
    let base = moto_config(region).await;
    let role = format!("arn:aws:iam::{account}:role/palosync-test");
    let credentials = aws_config::sts::AssumeRoleProvider::builder(role)
        .session_name("palosync-test")
        .configure(&base)
        .build()
        .await;
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(moto_endpoint())
        .region(Region::new(region))
        .credentials_provider(credentials)
        .load()
        .await
}

/// A new VPC with `cidr`; returns its id.
pub async fn create_vpc(ec2: &Client, cidr: &str) -> String {
    let out = ec2
        .create_vpc()
        .cidr_block(cidr)
        .send()
        .await
        .expect("create vpc");
    out.vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_owned()
}

/// A new internet gateway, attached to `vpc`; returns its id.
pub async fn internet_gateway(ec2: &Client, vpc: &str) -> String {
    let out = ec2
        .create_internet_gateway()
        .send()
        .await
        .expect("create igw");
    let igw = out
        .internet_gateway()
        .and_then(|g| g.internet_gateway_id())
        .expect("igw id")
        .to_owned();
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(vpc)
        .send()
        .await
        .expect("attach igw");
    igw
}

/// A subnet of `vpc`, with an IPv6 block when given; returns its id.
pub async fn create_subnet(ec2: &Client, vpc: &str, cidr: &str, ipv6: Option<String>) -> String {
    let out = ec2
        .create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .set_ipv6_cidr_block(ipv6)
        .send()
        .await
        .expect("create subnet");
    out.subnet()
        .and_then(|s| s.subnet_id())
        .expect("subnet id")
        .to_owned()
}

/// A security group of `vpc` with these ingress permissions; returns its id.
pub async fn create_group(
    ec2: &Client,
    vpc: &str,
    name: &str,
    permissions: Vec<IpPermission>,
) -> String {
    let out = ec2
        .create_security_group()
        .group_name(name)
        .description(name)
        .vpc_id(vpc)
        .send()
        .await
        .expect("create group");
    let id = out.group_id().expect("group id").to_owned();
    if !permissions.is_empty() {
        ec2.authorize_security_group_ingress()
            .group_id(&id)
            .set_ip_permissions(Some(permissions))
            .send()
            .await
            .expect("authorize ingress");
    }
    id
}

/// A tcp permission for ports `from`-`to`; add sources to it.
pub fn tcp(from: i32, to: i32) -> aws_sdk_ec2::types::builders::IpPermissionBuilder {
    IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(from)
        .to_port(to)
}

/// An IPv4 source.
pub fn cidr(cidr: &str) -> IpRange {
    IpRange::builder().cidr_ip(cidr).build()
}

/// The id of an image moto preloads, for launching instances.
pub async fn any_image(ec2: &Client) -> String {
    let images = ec2.describe_images().send().await.expect("describe images");
    images.images()[0]
        .image_id()
        .expect("moto preloads images")
        .to_owned()
}

/// An instance at `ip` in `subnet` with a group of its own allowing tcp/443 from anywhere;
/// returns (instance id, its interface id, the group id).
pub async fn https_server(
    ec2: &Client,
    vpc: &str,
    subnet: &str,
    ip: &str,
) -> (String, String, String) {
    let https = tcp(443, 443).ip_ranges(cidr("0.0.0.0/0"));
    let group = create_group(ec2, vpc, &format!("web-{ip}"), vec![https.build()]).await;
    let out = ec2
        .run_instances()
        .image_id(any_image(ec2).await)
        .min_count(1)
        .max_count(1)
        .subnet_id(subnet)
        .private_ip_address(ip)
        .security_group_ids(&group)
        .send()
        .await
        .expect("run instance");
    let instance = &out.instances()[0];
    let eni = instance.network_interfaces()[0].network_interface_id();
    (
        instance.instance_id().expect("instance id").to_owned(),
        eni.expect("interface id").to_owned(),
        group,
    )
}
