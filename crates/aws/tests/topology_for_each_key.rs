//! Scenario: the scenario VPC (see `support/scenario.rs`) is read for every kind of reconcile
//! key, and each answer is compared with the complete expected topology.

mod support;

use aws::Inventory;
use model::{AssociationId, AttachmentId, GroupId, InstanceId, ReconcileKey, Topology};
use support::scenario::Scenario;
use tokio::sync::OnceCell;

/// Read-only tests share one build of the scenario in this binary's region.
const REGION: &str = "eu-west-1";
static SCENARIO: OnceCell<Scenario> = OnceCell::const_new();

async fn scenario() -> &'static Scenario {
    SCENARIO
        .get_or_init(|| async {
            let config = support::moto_config(REGION).await;
            Scenario::build(&support::ec2(&config)).await
        })
        .await
}

async fn read(keys: &[ReconcileKey]) -> Topology {
    let s = scenario().await;
    let config = support::moto_config(REGION).await;
    support::inventory(&config, &s.fw)
        .topology_for(keys)
        .await
        .expect("topology read")
}

#[tokio::test]
async fn running_instance_brings_its_interface_subnet_groups_prefix_list_and_the_vpc_tables() {
    let s = scenario().await;
    let topology = read(&[ReconcileKey::Instance(s.web1.clone())]).await;
    assert_eq!(
        topology,
        s.expected(&[&s.app_a], &[&s.web1], &[&s.web1_eth0], &[&s.web], true)
    );
}

#[tokio::test]
async fn stopped_instance_comes_back_with_its_state() {
    let s = scenario().await;
    let topology = read(&[ReconcileKey::Instance(s.app1.clone())]).await;
    assert_eq!(
        topology,
        s.expected(&[&s.app_b], &[&s.app1], &[&s.app1_eth0], &[&s.app], false)
    );
}

#[tokio::test]
async fn two_interface_instance_brings_both_interfaces_and_both_groups() {
    let s = scenario().await;
    let topology = read(&[ReconcileKey::Instance(s.multi.clone())]).await;
    assert_eq!(
        topology,
        s.expected(
            &[&s.app_a, &s.public],
            &[&s.multi],
            &[&s.multi_eth0, &s.multi_eth1],
            &[&s.web, &s.app],
            true
        )
    );
}

#[tokio::test]
async fn interface_key_brings_the_interface_and_its_instance() {
    let s = scenario().await;
    let topology = read(&[ReconcileKey::NetworkInterface(s.multi_eth1.clone())]).await;
    assert_eq!(
        topology,
        s.expected(
            &[&s.public],
            &[&s.multi],
            &[&s.multi_eth1],
            &[&s.app],
            false
        )
    );
}

#[tokio::test]
async fn attachment_key_resolves_to_the_attached_interface() {
    let s = scenario().await;
    let topology = read(&[ReconcileKey::Attachment(s.multi_eth1_attachment.clone())]).await;
    assert_eq!(
        topology,
        s.expected(
            &[&s.public],
            &[&s.multi],
            &[&s.multi_eth1],
            &[&s.app],
            false
        )
    );
}

#[tokio::test]
async fn group_key_brings_every_interface_that_uses_the_group() {
    let s = scenario().await;
    let topology = read(&[ReconcileKey::SecurityGroup(s.app.clone())]).await;
    assert_eq!(
        topology,
        s.expected(
            &[&s.app_b, &s.public],
            &[&s.app1, &s.multi],
            &[&s.app1_eth0, &s.multi_eth1],
            &[&s.app],
            false
        )
    );
    let topology = read(&[ReconcileKey::SecurityGroup(s.db.clone())]).await;
    assert_eq!(
        topology,
        s.expected(&[&s.implicit], &[&s.db1], &[&s.db1_eth0], &[&s.db], false)
    );
}

#[tokio::test]
async fn prefix_list_key_brings_the_groups_referencing_it_and_their_interfaces() {
    let s = scenario().await;
    let topology = read(&[ReconcileKey::PrefixList(s.corp.clone())]).await;
    assert_eq!(
        topology,
        s.expected(
            &[&s.app_a, &s.public],
            &[&s.web1, &s.multi, &s.pub1],
            &[&s.web1_eth0, &s.multi_eth0, &s.pub1_eth0],
            &[&s.web],
            true
        )
    );
}

#[tokio::test]
async fn route_table_association_vpc_and_everything_keys_read_the_whole_vpc() {
    let s = scenario().await;
    let whole = s.whole_vpc();
    for key in [
        ReconcileKey::RouteTable(s.table_b.clone()),
        ReconcileKey::RouteTableAssociation(s.assoc_a.clone()),
        ReconcileKey::RouteTableAssociation(s.main_association.clone()),
        ReconcileKey::Vpc(s.vpc.clone()),
        ReconcileKey::Everything,
    ] {
        assert_eq!(read(std::slice::from_ref(&key)).await, whole, "key {key}");
    }
}

#[tokio::test]
async fn routes_by_instance_id_and_by_interface_id_both_name_the_firewall() {
    let s = scenario().await;
    let topology = read(&[ReconcileKey::Vpc(s.vpc.clone())]).await;
    let fw_enis = [s.fw_eth0.clone(), s.fw_eth1.clone()].into();
    let options = aws::ScopeOptions {
        firewall_instance_id: Some(s.fw.clone()),
        extra_route_targets: vec![],
    };
    for table in [&s.main_table, &s.table_a, &s.table_b] {
        let table = topology
            .route_tables
            .iter()
            .find(|t| &t.id == table)
            .expect("table");
        let default = table
            .routes
            .iter()
            .find(|r| r.destination.is_default_route())
            .expect("default route");
        assert!(
            aws::targets_firewall(&default.targets, &options, &fw_enis),
            "{table:?}"
        );
    }
}

#[tokio::test]
async fn deleted_instances_and_groups_come_back_absent_not_as_errors() {
    let s = scenario().await;
    let gone_instance = InstanceId::new("i-0123456789abcdef0");
    let gone_group = GroupId::new("sg-0123456789abcdef0");
    let topology = read(&[
        ReconcileKey::Instance(gone_instance.clone()),
        ReconcileKey::SecurityGroup(gone_group.clone()),
        ReconcileKey::Instance(s.db1.clone()),
    ])
    .await;
    let mut expected = s.expected(&[&s.implicit], &[&s.db1], &[&s.db1_eth0], &[&s.db], false);
    expected.absent_instances = vec![gone_instance];
    expected.absent_security_groups = vec![gone_group];
    assert_eq!(topology, expected);
}

#[tokio::test]
async fn unknown_association_or_attachment_widens_to_everything() {
    let s = scenario().await;
    for key in [
        ReconcileKey::RouteTableAssociation(AssociationId::new("rtbassoc-0123456789abcdef0")),
        ReconcileKey::Attachment(AttachmentId::new("eni-attach-0123456789abcdef0")),
    ] {
        assert_eq!(
            read(std::slice::from_ref(&key)).await,
            s.whole_vpc(),
            "key {key}"
        );
    }
}

#[tokio::test]
async fn no_keys_read_nothing() {
    let s = scenario().await;
    let config = support::moto_config(REGION).await;
    let inventory = support::inventory(&config, &s.fw);
    assert_eq!(
        inventory.topology_for(&[]).await.expect("read"),
        Topology::default()
    );
    assert_eq!(inventory.call_count().total(), 0);
}

/// Issue 12, item 7: a narrow group read must also read what the managed rules in scope point
/// at, or the planner would take "not read" for "gone" and delete another group's rules.
#[tokio::test]
async fn a_group_key_with_rule_targets_reads_the_interfaces_behind_the_claimed_rules() {
    let s = scenario().await;
    let config = support::moto_config(REGION).await;
    let web1_address = std::net::IpAddr::V4(s.expected_eni(&s.web1_eth0).private_ipv4[0]);
    let gone_address: std::net::IpAddr = "10.0.250.250".parse().expect("address");
    let gone_eni = model::EniId::new("eni-0123456789abcdef0");
    let targets = model::ReadTargets {
        addresses: vec![web1_address, gone_address],
        network_interfaces: vec![s.app1_eth0.clone(), gone_eni.clone()],
        instances: vec![],
    };
    let topology = support::inventory(&config, &s.fw)
        .topology_for_targets(&[ReconcileKey::SecurityGroup(s.db.clone())], &targets)
        .await
        .expect("topology read");
    let mut expected = s.expected(
        &[&s.app_a, &s.app_b, &s.implicit],
        &[&s.app1, &s.db1, &s.web1],
        &[&s.app1_eth0, &s.db1_eth0, &s.web1_eth0],
        &[&s.app, &s.db, &s.web],
        true,
    );
    expected.absent_addresses = vec![gone_address];
    expected.absent_network_interfaces = vec![gone_eni];
    assert_eq!(topology, expected);
}
