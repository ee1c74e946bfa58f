//! Scenario: an autoscaled fleet of VM-Series in moto. Three firewalls carry the fleet's tag
//! (and the tag an Auto Scaling group puts on its members); one of them is stopped, and an
//! instance outside the fleet runs beside them. Discovery finds exactly the running members,
//! each with the private address of its management interface (device index 0, or 1 with
//! interface swap), in one `DescribeInstances` call; a tag nothing carries is an error.

mod support;

use aws::{FleetQuery, FleetSelector, InventoryError, SdkInventory};
use aws_sdk_ec2::types::{InstanceType, Tag};
use model::InstanceId;
use std::net::Ipv4Addr;
use testkit::{any_image, create_subnet, create_vpc};

const REGION: &str = "ap-southeast-7";
const GROUP: &str = "vmseries-fleet";

struct Firewall {
    id: String,
    /// eth0: the data port behind a GWLB with interface swap.
    eth0: Ipv4Addr,
    /// eth1: the management port with interface swap.
    eth1: Ipv4Addr,
}

async fn launch_firewall(
    ec2: &aws_sdk_ec2::Client,
    image: &str,
    data: &str,
    management: &str,
    tagged: bool,
) -> Firewall {
    let run = ec2
        .run_instances()
        .image_id(image)
        .instance_type(InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .subnet_id(data)
        .send()
        .await
        .expect("run instance");
    let instance = &run.instances()[0];
    let id = instance.instance_id().expect("id").to_owned();
    let eth0 = instance
        .private_ip_address()
        .expect("address")
        .parse()
        .expect("ipv4");
    let eni = ec2
        .create_network_interface()
        .subnet_id(management)
        .send()
        .await
        .expect("management interface");
    let eni = eni.network_interface().expect("interface");
    ec2.attach_network_interface()
        .instance_id(&id)
        .network_interface_id(eni.network_interface_id().expect("eni id"))
        .device_index(1)
        .send()
        .await
        .expect("attach as eth1");
    let eth1 = eni
        .private_ip_address()
        .expect("address")
        .parse()
        .expect("ipv4");
    if tagged {
        ec2.create_tags()
            .resources(&id)
            .tags(Tag::builder().key("palosync-fleet").value("edge").build())
            // What an Auto Scaling group puts on every instance it launches.
            .tags(
                Tag::builder()
                    .key("aws:autoscaling:groupName")
                    .value(GROUP)
                    .build(),
            )
            .send()
            .await
            .expect("tag");
    }
    Firewall { id, eth0, eth1 }
}

fn inventory(config: &aws_config::SdkConfig) -> SdkInventory {
    support::inventory(config, &InstanceId::new("i-0fleet0000000000"))
}

#[tokio::test]
async fn running_tagged_firewalls_are_discovered_with_their_management_address() {
    let config = support::moto_config(REGION).await;
    let ec2 = support::ec2(&config);
    let vpc = create_vpc(&ec2, "10.40.0.0/16").await;
    let data = create_subnet(&ec2, &vpc, "10.40.1.0/24", None).await;
    let management = create_subnet(&ec2, &vpc, "10.40.2.0/24", None).await;
    let image = any_image(&ec2).await;

    let mut fleet = Vec::new();
    for _ in 0..3 {
        fleet.push(launch_firewall(&ec2, &image, &data, &management, true).await);
    }
    let outsider = launch_firewall(&ec2, &image, &data, &management, false).await;
    let stopped = fleet.pop().expect("third");
    ec2.stop_instances()
        .instance_ids(&stopped.id)
        .send()
        .await
        .expect("stop");
    fleet.sort_by(|a, b| a.id.cmp(&b.id));

    let inventory = inventory(&config);
    let by_tag = FleetQuery {
        selector: FleetSelector::Tag {
            key: "palosync-fleet".into(),
            value: "edge".into(),
        },
        device_index: 0,
    };
    let members = inventory.discover_fleet(&by_tag).await.expect("discovered");
    let found: Vec<(String, Option<Ipv4Addr>)> = members
        .iter()
        .map(|m| (m.instance_id.clone(), m.management_address))
        .collect();
    let expected: Vec<(String, Option<Ipv4Addr>)> =
        fleet.iter().map(|f| (f.id.clone(), Some(f.eth0))).collect();
    assert_eq!(
        found, expected,
        "the running members, not {} nor {}",
        stopped.id, outsider.id
    );
    assert_eq!(
        inventory.call_count().of("DescribeInstances"),
        1,
        "one call: {:?}",
        inventory.call_count()
    );

    // The same fleet by its Auto Scaling group, management on eth1 (interface swap).
    let by_group = FleetQuery {
        selector: FleetSelector::AutoScalingGroup(GROUP.into()),
        device_index: 1,
    };
    let members = inventory
        .discover_fleet(&by_group)
        .await
        .expect("discovered");
    let found: Vec<(String, Option<Ipv4Addr>)> = members
        .iter()
        .map(|m| (m.instance_id.clone(), m.management_address))
        .collect();
    let expected: Vec<(String, Option<Ipv4Addr>)> =
        fleet.iter().map(|f| (f.id.clone(), Some(f.eth1))).collect();
    assert_eq!(found, expected);

    // No interface at device index 2: the members are found, their address is not.
    let no_such_port = FleetQuery {
        device_index: 2,
        ..by_group
    };
    let members = inventory
        .discover_fleet(&no_such_port)
        .await
        .expect("discovered");
    assert_eq!(members.len(), 2);
    assert!(members.iter().all(|m| m.management_address.is_none()));

    // A tag nothing running carries is an error, not an empty success.
    let nobody = FleetQuery {
        selector: FleetSelector::Tag {
            key: "palosync-fleet".into(),
            value: "core".into(),
        },
        device_index: 0,
    };
    let error = inventory
        .discover_fleet(&nobody)
        .await
        .expect_err("empty fleet");
    assert!(
        matches!(error, InventoryError::EmptyFleet { .. }),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "no running firewall carries tag palosync-fleet=core"
    );
}
