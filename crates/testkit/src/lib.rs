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

/// A new route table of `vpc`, associated with `subnet`; returns its id.
pub async fn route_table_for(ec2: &Client, vpc: &str, subnet: &str) -> String {
    let out = ec2
        .create_route_table()
        .vpc_id(vpc)
        .send()
        .await
        .expect("create route table");
    let table = out
        .route_table()
        .and_then(|t| t.route_table_id())
        .expect("route table id")
        .to_owned();
    ec2.associate_route_table()
        .route_table_id(&table)
        .subnet_id(subnet)
        .send()
        .await
        .expect("associate route table");
    table
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
