//! Scenario: AWS changes between two reads (an instance stops, a rule is revoked, a route is
//! replaced, the main table changes), and the next read shows each change.

mod support;

use aws::Inventory;
use aws_sdk_ec2::types::{IpPermission, IpRange};
use model::{AssociationId, InstanceState, ReconcileKey, RouteTableAssociation, Topology};
use support::scenario::Scenario;

const REGION: &str = "eu-west-2";

#[tokio::test]
async fn each_change_shows_in_the_next_read() {
    let config = support::moto_config(REGION).await;
    let ec2 = support::ec2(&config);
    let s = Scenario::build(&ec2).await;
    let inventory = support::inventory(&config, &s.fw);
    let read = |keys: Vec<ReconcileKey>| {
        let inventory = &inventory;
        async move { inventory.topology_for(&keys).await.expect("read") }
    };
    assert_eq!(
        read(vec![ReconcileKey::Vpc(s.vpc.clone())]).await,
        s.whole_vpc()
    );

    // An instance stops.
    ec2.stop_instances()
        .instance_ids(s.web1.as_str())
        .send()
        .await
        .expect("stop");
    let topology = read(vec![ReconcileKey::Instance(s.web1.clone())]).await;
    let mut expected = s.expected(&[&s.app_a], &[&s.web1], &[&s.web1_eth0], &[&s.web], true);
    set_state(&mut expected, &s, InstanceState::Stopped);
    assert_eq!(topology, expected);

    // A rule is revoked: 443 from 0.0.0.0/0 goes, 443 from 10.0.0.0/8 and ::/0 stay.
    ec2.revoke_security_group_ingress()
        .group_id(s.web.as_str())
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .expect("revoke");
    let topology = read(vec![ReconcileKey::SecurityGroup(s.web.clone())]).await;
    let mut expected = s.expected(
        &[&s.app_a, &s.public],
        &[&s.web1, &s.multi, &s.pub1],
        &[&s.web1_eth0, &s.multi_eth0, &s.pub1_eth0],
        &[&s.web],
        true,
    );
    set_state(&mut expected, &s, InstanceState::Stopped);
    let web = &mut expected.security_groups[0];
    web.ingress[1].ipv4_ranges.remove(0);
    assert_eq!(topology, expected);

    // Table A's default route is replaced: to the internet gateway instead of the firewall.
    ec2.replace_route()
        .route_table_id(s.table_a.as_str())
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&s.igw)
        .send()
        .await
        .expect("replace route");
    let topology = read(vec![ReconcileKey::RouteTable(s.table_a.clone())]).await;
    let table_a = topology
        .route_tables
        .iter()
        .find(|t| t.id == s.table_a)
        .expect("table A");
    let default = table_a
        .routes
        .iter()
        .find(|r| r.destination.is_default_route())
        .expect("default route");
    assert_eq!(default, &s.to_igw());

    // The main association moves to table B: the event carries only the old association id.
    let replaced = ec2
        .replace_route_table_association()
        .association_id(s.main_association.as_str())
        .route_table_id(s.table_b.as_str())
        .send()
        .await
        .expect("replace main association");
    let new_main: AssociationId = replaced.new_association_id().expect("new id").into();
    for key in [
        ReconcileKey::RouteTableAssociation(s.main_association.clone()),
        ReconcileKey::RouteTableAssociation(new_main.clone()),
    ] {
        let topology = read(vec![key.clone()]).await;
        let main_tables: Vec<_> = topology
            .route_tables
            .iter()
            .filter(|t| t.is_main())
            .collect();
        assert_eq!(main_tables.len(), 1, "key {key}");
        assert_eq!(main_tables[0].id, s.table_b, "key {key}");
        let mut associations = vec![
            s.subnet_association(&s.assoc_b, &s.app_b),
            RouteTableAssociation {
                id: new_main.clone(),
                main: true,
                subnet_id: None,
                gateway_id: None,
            },
        ];
        associations.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(main_tables[0].associations, associations, "key {key}");
        let old_main = topology
            .route_tables
            .iter()
            .find(|t| t.id == s.main_table)
            .expect("old main table still read");
        assert!(old_main.associations.is_empty(), "key {key}");
    }
}

fn set_state(topology: &mut Topology, s: &Scenario, state: InstanceState) {
    for instance in &mut topology.instances {
        if instance.id == s.web1 {
            instance.state = state;
        }
    }
}
