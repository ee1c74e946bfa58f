//! Scenario: a VPC behind the firewall grows from one to 300 instances; the number of AWS calls
//! per scope is asserted, and a full sync costs the same with 300 instances as with one.

mod support;

use aws::{CallCount, Inventory, SdkInventory};
use aws_sdk_ec2::types::{AddPrefixListEntry, InstanceType, IpPermission, PrefixListId};
use model::{GroupId, InstanceId, ReconcileKey, SubnetId, VpcId};
use std::collections::BTreeMap;

const REGION: &str = "us-west-2";

struct Fleet {
    vpc: VpcId,
    subnet: SubnetId,
    web: GroupId,
    fw: InstanceId,
    corp: model::PrefixListId,
    image: String,
}

async fn build(ec2: &aws_sdk_ec2::Client) -> Fleet {
    let vpc = testkit::create_vpc(ec2, "10.20.0.0/16").await;
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.20.0.0/22")
        .send()
        .await
        .expect("subnet");
    let subnet: SubnetId = subnet
        .subnet()
        .and_then(|s| s.subnet_id())
        .expect("id")
        .into();
    let corp = ec2
        .create_managed_prefix_list()
        .prefix_list_name("corp")
        .address_family("IPv4")
        .max_entries(2)
        .entries(AddPrefixListEntry::builder().cidr("192.0.2.0/24").build())
        .send()
        .await
        .expect("prefix list");
    let corp: model::PrefixListId = corp
        .prefix_list()
        .and_then(|p| p.prefix_list_id())
        .expect("id")
        .into();
    let web = ec2
        .create_security_group()
        .group_name("web")
        .description("web")
        .vpc_id(&vpc)
        .send()
        .await
        .expect("group");
    let web: GroupId = web.group_id().expect("id").into();
    ec2.authorize_security_group_ingress()
        .group_id(web.as_str())
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .prefix_list_ids(
                    PrefixListId::builder()
                        .prefix_list_id(corp.as_str())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("authorize");
    let image = support::scenario::image(ec2).await;
    let (fw, _, _) =
        support::scenario::launch(ec2, &image, &subnet, &[&web], "10.20.3.250", None).await;
    let (main, _) = support::scenario::main_table(ec2, &VpcId::new(vpc.clone())).await;
    ec2.create_route()
        .route_table_id(main.as_str())
        .destination_cidr_block("0.0.0.0/0")
        .instance_id(fw.as_str())
        .send()
        .await
        .expect("route");
    Fleet {
        vpc: vpc.into(),
        subnet,
        web,
        fw,
        corp,
        image,
    }
}

async fn launch(ec2: &aws_sdk_ec2::Client, fleet: &Fleet, count: i32) -> Vec<InstanceId> {
    let out = ec2
        .run_instances()
        .image_id(&fleet.image)
        .instance_type(InstanceType::T2Micro)
        .min_count(count)
        .max_count(count)
        .subnet_id(fleet.subnet.as_str())
        .security_group_ids(fleet.web.as_str())
        .send()
        .await
        .expect("run instances");
    out.instances()
        .iter()
        .map(|i| i.instance_id().expect("id").into())
        .collect()
}

async fn calls_for(inventory: &SdkInventory, keys: &[ReconcileKey]) -> CallCount {
    inventory.reset_call_count();
    inventory.topology_for(keys).await.expect("read");
    inventory.call_count()
}

fn calls(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[tokio::test]
async fn calls_per_scope_do_not_grow_with_the_number_of_instances() {
    let config = support::moto_config(REGION).await;
    let ec2 = support::ec2(&config);
    let fleet = build(&ec2).await;
    let inventory = support::inventory(&config, &fleet.fw);
    let first = launch(&ec2, &fleet, 1).await;

    let full_sync = calls(&[
        ("DescribeInstances", 1),
        ("DescribeManagedPrefixLists", 1),
        ("DescribeNetworkInterfaces", 2),
        ("DescribeRouteTables", 1),
        ("DescribeSecurityGroups", 1),
        ("DescribeSubnets", 1),
        ("DescribeVpcs", 1),
        ("GetManagedPrefixListEntries", 1),
    ]);
    let small = calls_for(&inventory, &[ReconcileKey::Everything]).await;
    assert_eq!(small.by_operation, full_sync);

    let mut instances = first;
    instances.extend(launch(&ec2, &fleet, 299).await);
    let everything = inventory
        .topology_for(&[ReconcileKey::Everything])
        .await
        .expect("read");
    assert_eq!(
        everything.instances.len(),
        301,
        "300 instances and the firewall"
    );
    let large = calls_for(&inventory, &[ReconcileKey::Everything]).await;
    assert_eq!(
        large.by_operation, full_sync,
        "a full sync costs the same at 300 instances"
    );

    // One instance: its interfaces, it and the firewall, groups, prefix list, VPC, tables, subnet.
    let one = calls_for(&inventory, &[ReconcileKey::Instance(instances[0].clone())]).await;
    assert_eq!(
        one.by_operation,
        calls(&[
            ("DescribeInstances", 1),
            ("DescribeManagedPrefixLists", 1),
            ("DescribeNetworkInterfaces", 1),
            ("DescribeRouteTables", 1),
            ("DescribeSecurityGroups", 1),
            ("DescribeSubnets", 1),
            ("DescribeVpcs", 1),
            ("GetManagedPrefixListEntries", 1),
        ])
    );

    // 300 instance keys at once: batched, one call per 200 ids (AWS's filter limit).
    let keys: Vec<ReconcileKey> = instances
        .iter()
        .cloned()
        .map(ReconcileKey::Instance)
        .collect();
    let batch = calls_for(&inventory, &keys).await;
    assert_eq!(batch.of("DescribeInstances"), 2);
    assert_eq!(batch.of("DescribeNetworkInterfaces"), 2);
    assert_eq!(batch.total(), 10);

    // A group used by all 300 instances: the group, its interfaces, their instances by id.
    let group = calls_for(
        &inventory,
        &[ReconcileKey::SecurityGroup(fleet.web.clone())],
    )
    .await;
    assert_eq!(
        group.of("DescribeNetworkInterfaces"),
        2,
        "firewall's, then the group's"
    );
    assert_eq!(group.of("DescribeInstances"), 2, "301 ids in two batches");
    assert_eq!(group.total(), 10);

    // A VPC: the same reads as a full sync. A prefix list: the groups using it, their
    // interfaces and their instances (by id, 301 of them).
    let vpc = calls_for(&inventory, &[ReconcileKey::Vpc(fleet.vpc.clone())]).await;
    assert_eq!(vpc.by_operation, full_sync);
    let list = calls_for(&inventory, &[ReconcileKey::PrefixList(fleet.corp.clone())]).await;
    assert_eq!(
        list.of("DescribeSecurityGroups"),
        1,
        "the account's groups, once"
    );
    assert_eq!(list.of("DescribeInstances"), 2);
    assert_eq!(list.total(), 10);
}
