//! The scenario VPC, built through the SDK in moto, and the model values a read must return.
//!
//! VPC 10.0.0.0/16 + secondary 10.1.0.0/16 + an Amazon IPv6 /56, an internet gateway, and:
//!
//! | subnet | CIDR | route table | default route |
//! |---|---|---|---|
//! | fw_untrust | 10.0.0.0/24 | C (explicit) | internet gateway |
//! | fw_trust | 10.0.10.0/24 | C (explicit) | internet gateway |
//! | app_a | 10.0.1.0/24 + IPv6 /64 | A (explicit) | firewall by instance id |
//! | app_b | 10.1.2.0/24 (secondary CIDR) | B (explicit) | firewall eth1 by ENI id, also `::/0` |
//! | implicit | 10.0.3.0/24 | main (no association) | firewall eth1 by ENI id |
//! | public | 10.0.4.0/24 | C (explicit) | internet gateway |
//!
//! Instances: the firewall (eth0 in fw_untrust, eth1 10.0.10.10 in fw_trust), `web1` running in
//! app_a with an IPv6 address, `app1` stopped in app_b, `db1` running in implicit, `multi`
//! running with eth0 in app_a and eth1 (two addresses) in public, `pub1` running in public.
//! Groups: `web` (443 from 0.0.0.0/0, 10.0.0.0/8 and ::/0; 22 from prefix list `corp`),
//! `app` (8080 from group `web`, 8000-8100 from 198.51.100.0/24, all traffic from
//! 10.0.0.0/16), `db` (5432 from group `app`, icmp from 203.0.113.0/24), `fw` (no ingress).
//! Instances are launched with explicit interface specs, so moto's merging of instance and
//! interface groups (aws-events.md §3 quirks 4-6) cannot make the groups differ from AWS.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    AddPrefixListEntry, Filter, InstanceNetworkInterfaceSpecification, InstanceType, IpPermission,
    Ipv6Range, PrefixListId as SdkPrefixListId, PrivateIpAddressSpecification, UserIdGroupPair,
};
use ipnet::Ipv6Net;
use model::{
    AssociationId, AttachmentId, EniId, GroupId, InstanceId, PrefixListId, RouteTableId, SubnetId,
    VpcId,
};
use std::net::Ipv6Addr;

/// Every id the scenario created, and the IPv6 block AWS (moto) assigned.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub vpc: VpcId,
    pub ipv6_block: Ipv6Net,
    pub igw: String,
    pub fw_untrust: SubnetId,
    pub fw_trust: SubnetId,
    pub app_a: SubnetId,
    pub app_b: SubnetId,
    pub implicit: SubnetId,
    pub public: SubnetId,
    pub corp: PrefixListId,
    pub web: GroupId,
    pub app: GroupId,
    pub db: GroupId,
    pub fw_group: GroupId,
    pub fw: InstanceId,
    pub fw_eth0: EniId,
    pub fw_eth1: EniId,
    pub fw_eth1_attachment: AttachmentId,
    pub web1: InstanceId,
    pub web1_eth0: EniId,
    pub app1: InstanceId,
    pub app1_eth0: EniId,
    pub db1: InstanceId,
    pub db1_eth0: EniId,
    pub multi: InstanceId,
    pub multi_eth0: EniId,
    pub multi_eth1: EniId,
    pub multi_eth1_attachment: AttachmentId,
    pub pub1: InstanceId,
    pub pub1_eth0: EniId,
    pub main_table: RouteTableId,
    pub main_association: AssociationId,
    pub table_a: RouteTableId,
    pub table_b: RouteTableId,
    pub table_c: RouteTableId,
    /// Explicit associations, by subnet.
    pub assoc_a: AssociationId,
    pub assoc_b: AssociationId,
    pub assoc_fw_untrust: AssociationId,
    pub assoc_fw_trust: AssociationId,
    pub assoc_public: AssociationId,
    /// Attachment ids of the primary interfaces, by instance.
    pub primary_attachments: Vec<(InstanceId, EniId, AttachmentId)>,
}

pub use testkit::any_image as image;
use testkit::{cidr as from_cidr, create_group, create_subnet, tcp};

async fn subnet(ec2: &Client, vpc: &str, cidr: &str, ipv6: Option<Ipv6Net>) -> SubnetId {
    create_subnet(ec2, vpc, cidr, ipv6.map(|n| n.to_string()))
        .await
        .into()
}

async fn group(ec2: &Client, vpc: &str, name: &str, permissions: Vec<IpPermission>) -> GroupId {
    create_group(ec2, vpc, name, permissions).await.into()
}

/// Launch one instance whose primary interface is `spec`d; returns (instance, eni, attachment).
pub async fn launch(
    ec2: &Client,
    image: &str,
    subnet: &SubnetId,
    groups: &[&GroupId],
    address: &str,
    ipv6: Option<Ipv6Addr>,
) -> (InstanceId, EniId, AttachmentId) {
    let spec = InstanceNetworkInterfaceSpecification::builder()
        .device_index(0)
        .subnet_id(subnet.as_str())
        .private_ip_address(address)
        .set_groups(Some(groups.iter().map(|g| g.to_string()).collect()));
    let out = ec2
        .run_instances()
        .image_id(image)
        .instance_type(InstanceType::T2Micro)
        .min_count(1)
        .max_count(1)
        .network_interfaces(spec.build())
        .send()
        .await
        .expect("run instance");
    let instance = &out.instances()[0];
    let eni = &instance.network_interfaces()[0];
    if let Some(ipv6) = ipv6 {
        // moto ignores `Ipv6Addresses` in RunInstances' interface spec; assign it afterwards.
        ec2.assign_ipv6_addresses()
            .network_interface_id(eni.network_interface_id().expect("eni id"))
            .ipv6_addresses(ipv6.to_string())
            .send()
            .await
            .expect("assign IPv6 address");
    }
    (
        instance.instance_id().expect("instance id").into(),
        eni.network_interface_id().expect("eni id").into(),
        eni.attachment()
            .and_then(|a| a.attachment_id())
            .expect("attachment id")
            .into(),
    )
}

/// Create an interface with `addresses` (first = primary) and attach it at device index 1.
pub async fn second_interface(
    ec2: &Client,
    instance: &InstanceId,
    subnet: &SubnetId,
    groups: &[&GroupId],
    addresses: &[&str],
) -> (EniId, AttachmentId) {
    let specs = addresses
        .iter()
        .enumerate()
        .map(|(i, a)| {
            PrivateIpAddressSpecification::builder()
                .private_ip_address(*a)
                .primary(i == 0)
                .build()
        })
        .collect();
    let out = ec2
        .create_network_interface()
        .subnet_id(subnet.as_str())
        .set_groups(Some(groups.iter().map(|g| g.to_string()).collect()))
        .set_private_ip_addresses(Some(specs))
        .send()
        .await
        .expect("create interface");
    let eni: EniId = out
        .network_interface()
        .and_then(|n| n.network_interface_id())
        .expect("eni id")
        .into();
    let attached = ec2
        .attach_network_interface()
        .network_interface_id(eni.as_str())
        .instance_id(instance.as_str())
        .device_index(1)
        .send()
        .await
        .expect("attach interface");
    (eni, attached.attachment_id().expect("attachment id").into())
}

async fn table(ec2: &Client, vpc: &str) -> RouteTableId {
    let (table, _) = testkit::route_table(ec2, vpc, &[]).await;
    table.as_str().into()
}

async fn associate(ec2: &Client, table: &RouteTableId, subnet: &SubnetId) -> AssociationId {
    let out = ec2
        .associate_route_table()
        .route_table_id(table.as_str())
        .subnet_id(subnet.as_str())
        .send()
        .await
        .expect("associate route table");
    out.association_id().expect("association id").into()
}

/// The VPC's main table and its main association.
pub async fn main_table(ec2: &Client, vpc: &VpcId) -> (RouteTableId, AssociationId) {
    let filter = |name: &str, value: &str| Filter::builder().name(name).values(value).build();
    let out = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", vpc.as_str()))
        .filters(filter("association.main", "true"))
        .send()
        .await
        .expect("describe main table");
    let table = &out.route_tables()[0];
    let association = table
        .associations()
        .iter()
        .find(|a| a.main() == Some(true))
        .and_then(|a| a.route_table_association_id())
        .expect("main association");
    (
        table.route_table_id().expect("table id").into(),
        association.into(),
    )
}

impl Scenario {
    pub async fn build(ec2: &Client) -> Scenario {
        let vpc_out = ec2
            .create_vpc()
            .cidr_block("10.0.0.0/16")
            .amazon_provided_ipv6_cidr_block(true)
            .send()
            .await
            .expect("create vpc");
        let vpc = vpc_out
            .vpc()
            .and_then(|v| v.vpc_id())
            .expect("vpc id")
            .to_owned();
        ec2.associate_vpc_cidr_block()
            .vpc_id(&vpc)
            .cidr_block("10.1.0.0/16")
            .send()
            .await
            .expect("secondary CIDR");
        let described = ec2.describe_vpcs().vpc_ids(&vpc).send().await.expect("vpc");
        let ipv6_block: Ipv6Net = described.vpcs()[0].ipv6_cidr_block_association_set()[0]
            .ipv6_cidr_block()
            .expect("ipv6 block")
            .parse()
            .expect("ipv6 block parses");
        let app_a_v6 = Ipv6Net::new(ipv6_block.network(), 64).expect("/64");
        let igw = testkit::internet_gateway(ec2, &vpc).await;

        let fw_untrust = subnet(ec2, &vpc, "10.0.0.0/24", None).await;
        let fw_trust = subnet(ec2, &vpc, "10.0.10.0/24", None).await;
        let app_a = subnet(ec2, &vpc, "10.0.1.0/24", Some(app_a_v6)).await;
        let app_b = subnet(ec2, &vpc, "10.1.2.0/24", None).await;
        let implicit = subnet(ec2, &vpc, "10.0.3.0/24", None).await;
        let public = subnet(ec2, &vpc, "10.0.4.0/24", None).await;

        let corp_out = ec2
            .create_managed_prefix_list()
            .prefix_list_name("corp")
            .address_family("IPv4")
            .max_entries(5)
            .entries(
                AddPrefixListEntry::builder()
                    .cidr("192.0.2.0/24")
                    .description("office")
                    .build(),
            )
            .entries(AddPrefixListEntry::builder().cidr("198.18.0.0/15").build())
            .send()
            .await
            .expect("prefix list");
        let corp: PrefixListId = corp_out
            .prefix_list()
            .and_then(|p| p.prefix_list_id())
            .expect("prefix list id")
            .into();

        let web = group(
            ec2,
            &vpc,
            "web",
            vec![
                tcp(443, 443)
                    .ip_ranges(from_cidr("0.0.0.0/0"))
                    .ip_ranges(from_cidr("10.0.0.0/8"))
                    .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
                    .build(),
                tcp(22, 22)
                    .prefix_list_ids(
                        SdkPrefixListId::builder()
                            .prefix_list_id(corp.as_str())
                            .build(),
                    )
                    .build(),
            ],
        )
        .await;
        let app = group(
            ec2,
            &vpc,
            "app",
            vec![
                tcp(8080, 8080)
                    .user_id_group_pairs(UserIdGroupPair::builder().group_id(web.as_str()).build())
                    .build(),
                tcp(8000, 8100)
                    .ip_ranges(from_cidr("198.51.100.0/24"))
                    .build(),
                IpPermission::builder()
                    .ip_protocol("-1")
                    .ip_ranges(from_cidr("10.0.0.0/16"))
                    .build(),
            ],
        )
        .await;
        let db = group(
            ec2,
            &vpc,
            "db",
            vec![
                tcp(5432, 5432)
                    .user_id_group_pairs(UserIdGroupPair::builder().group_id(app.as_str()).build())
                    .build(),
                IpPermission::builder()
                    .ip_protocol("icmp")
                    .from_port(-1)
                    .to_port(-1)
                    .ip_ranges(from_cidr("203.0.113.0/24"))
                    .build(),
            ],
        )
        .await;
        let fw_group = group(ec2, &vpc, "fw", Vec::new()).await;

        let image = image(ec2).await;
        let fw_primary = launch(ec2, &image, &fw_untrust, &[&fw_group], "10.0.0.10", None).await;
        let (fw_eth1, fw_eth1_attachment) =
            second_interface(ec2, &fw_primary.0, &fw_trust, &[&fw_group], &["10.0.10.10"]).await;
        let web1_ipv6 = Ipv6Addr::from(u128::from(app_a_v6.network()) + 0x10);
        let web1 = launch(ec2, &image, &app_a, &[&web], "10.0.1.10", Some(web1_ipv6)).await;
        let app1 = launch(ec2, &image, &app_b, &[&app], "10.1.2.10", None).await;
        let db1 = launch(ec2, &image, &implicit, &[&db], "10.0.3.10", None).await;
        let multi = launch(ec2, &image, &app_a, &[&web], "10.0.1.20", None).await;
        let (multi_eth1, multi_eth1_attachment) =
            second_interface(ec2, &multi.0, &public, &[&app], &["10.0.4.20", "10.0.4.21"]).await;
        let pub1 = launch(ec2, &image, &public, &[&web], "10.0.4.10", None).await;
        ec2.stop_instances()
            .instance_ids(app1.0.as_str())
            .send()
            .await
            .expect("stop app1");

        let (main_table, main_association) = main_table(ec2, &VpcId::new(vpc.clone())).await;
        ec2.create_route()
            .route_table_id(main_table.as_str())
            .destination_cidr_block("0.0.0.0/0")
            .network_interface_id(fw_eth1.as_str())
            .send()
            .await
            .expect("main default route");
        let table_a = table(ec2, &vpc).await;
        ec2.create_route()
            .route_table_id(table_a.as_str())
            .destination_cidr_block("0.0.0.0/0")
            .instance_id(fw_primary.0.as_str())
            .send()
            .await
            .expect("route A");
        let table_b = table(ec2, &vpc).await;
        for (v4_dest, v6_dest) in [(Some("0.0.0.0/0"), None), (None, Some("::/0"))] {
            ec2.create_route()
                .route_table_id(table_b.as_str())
                .set_destination_cidr_block(v4_dest.map(str::to_owned))
                .set_destination_ipv6_cidr_block(v6_dest.map(str::to_owned))
                .network_interface_id(fw_eth1.as_str())
                .send()
                .await
                .expect("route B");
        }
        let table_c = table(ec2, &vpc).await;
        ec2.create_route()
            .route_table_id(table_c.as_str())
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id(&igw)
            .send()
            .await
            .expect("route C");
        let assoc_a = associate(ec2, &table_a, &app_a).await;
        let assoc_b = associate(ec2, &table_b, &app_b).await;
        let assoc_fw_untrust = associate(ec2, &table_c, &fw_untrust).await;
        let assoc_fw_trust = associate(ec2, &table_c, &fw_trust).await;
        let assoc_public = associate(ec2, &table_c, &public).await;

        Scenario {
            vpc: vpc.into(),
            ipv6_block,
            igw,
            fw_untrust,
            fw_trust,
            app_a,
            app_b,
            implicit,
            public,
            corp,
            web,
            app,
            db,
            fw_group,
            fw: fw_primary.0.clone(),
            fw_eth0: fw_primary.1.clone(),
            fw_eth1,
            fw_eth1_attachment,
            web1: web1.0.clone(),
            web1_eth0: web1.1.clone(),
            app1: app1.0.clone(),
            app1_eth0: app1.1.clone(),
            db1: db1.0.clone(),
            db1_eth0: db1.1.clone(),
            multi: multi.0.clone(),
            multi_eth0: multi.1.clone(),
            multi_eth1,
            multi_eth1_attachment,
            pub1: pub1.0.clone(),
            pub1_eth0: pub1.1.clone(),
            main_table,
            main_association,
            table_a,
            table_b,
            table_c,
            assoc_a,
            assoc_b,
            assoc_fw_untrust,
            assoc_fw_trust,
            assoc_public,
            primary_attachments: vec![fw_primary, web1, app1, db1, multi, pub1],
        }
    }
}
