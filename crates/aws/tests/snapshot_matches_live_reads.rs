//! Scenario: a snapshot of the scenario VPC answers every key exactly as the live inventory
//! does, survives a file round trip, and refuses versions it does not know.

mod support;

use aws::{Inventory, InventoryError, ScopeOptions, Snapshot, SnapshotInventory};
use model::{AssociationId, AttachmentId, GroupId, InstanceId, InstanceState, ReconcileKey};
use support::scenario::Scenario;

const REGION: &str = "ca-central-1";

#[tokio::test]
async fn snapshot_answers_every_key_like_the_live_inventory() {
    let config = support::moto_config(REGION).await;
    let s = Scenario::build(&support::ec2(&config)).await;
    let live = support::inventory(&config, &s.fw);
    let snapshot = live.snapshot_everything().await.expect("snapshot");
    assert_eq!(snapshot.version, aws::SNAPSHOT_VERSION);
    assert_eq!(snapshot.region.as_deref(), Some(REGION));
    assert_eq!(snapshot.firewall_instance_id.as_ref(), Some(&s.fw));

    let path = std::env::temp_dir().join(format!("palosync-snapshot-{}.json", std::process::id()));
    std::fs::write(&path, snapshot.to_json_pretty()).expect("write snapshot");
    let offline = SnapshotInventory::from_path(&path).expect("read snapshot");
    std::fs::remove_file(&path).expect("remove snapshot");

    let keys = [
        ReconcileKey::Instance(s.web1.clone()),
        ReconcileKey::Instance(s.app1.clone()),
        ReconcileKey::Instance(s.multi.clone()),
        ReconcileKey::NetworkInterface(s.multi_eth1.clone()),
        ReconcileKey::Attachment(s.multi_eth1_attachment.clone()),
        ReconcileKey::SecurityGroup(s.app.clone()),
        ReconcileKey::SecurityGroup(s.db.clone()),
        ReconcileKey::PrefixList(s.corp.clone()),
        ReconcileKey::RouteTable(s.table_b.clone()),
        ReconcileKey::RouteTableAssociation(s.assoc_a.clone()),
        ReconcileKey::RouteTableAssociation(s.main_association.clone()),
        ReconcileKey::Vpc(s.vpc.clone()),
        ReconcileKey::Everything,
        ReconcileKey::Instance(InstanceId::new("i-0123456789abcdef0")),
        ReconcileKey::SecurityGroup(GroupId::new("sg-0123456789abcdef0")),
        ReconcileKey::RouteTableAssociation(AssociationId::new("rtbassoc-0123456789abcdef0")),
        ReconcileKey::Attachment(AttachmentId::new("eni-attach-0123456789abcdef0")),
    ];
    for key in &keys {
        let keys = std::slice::from_ref(key);
        let from_aws = live.topology_for(keys).await.expect("live read");
        let from_file = offline.topology_for(keys).await.expect("snapshot read");
        assert_eq!(from_file, from_aws, "key {key}");
    }
    let all = offline.topology_for(&keys).await.expect("all keys at once");
    assert_eq!(all, live.topology_for(&keys).await.expect("live, all keys"));
}

#[test]
fn other_snapshot_versions_and_shapes_are_refused_clearly() {
    let error = Snapshot::from_json(r#"{"version": 2, "vpcs": []}"#).expect_err("version 2");
    assert!(matches!(
        error,
        InventoryError::SnapshotVersion {
            found: 2,
            supported: 1
        }
    ));
    assert_eq!(
        error.to_string(),
        "snapshot version 2 is not supported (this build reads version 1)"
    );
    let error = Snapshot::from_json(r#"{"version": 1, "vpcs": [{"id": 5}]}"#).expect_err("shape");
    assert!(
        matches!(error, InventoryError::SnapshotFormat(_)),
        "{error:?}"
    );
    let error = SnapshotInventory::from_path("/nonexistent/snapshot.json").expect_err("no file");
    assert!(
        error
            .to_string()
            .starts_with("cannot read snapshot /nonexistent/snapshot.json")
    );
}

#[tokio::test]
async fn the_shipped_example_snapshot_resolves_keys() {
    let example = include_str!("../../../examples/snapshot.json");
    let inventory = SnapshotInventory::from_json(example)
        .expect("a bare topology reads as version 1")
        .with_scope(ScopeOptions {
            firewall_instance_id: Some(InstanceId::new("i-07cc661e97589ca4a")),
            extra_route_targets: vec![],
        });
    let everything = inventory
        .topology_for(&[ReconcileKey::Everything])
        .await
        .expect("everything");
    let original: model::Topology = serde_json::from_str(example).expect("example parses");
    assert_eq!(everything.vpcs.len(), original.vpcs.len());
    assert_eq!(everything.instances.len(), original.instances.len());
    assert_eq!(
        everything.network_interfaces.len(),
        original.network_interfaces.len()
    );
    let stopped: Vec<_> = everything
        .instances
        .iter()
        .filter(|i| i.state == InstanceState::Stopped)
        .collect();
    assert_eq!(stopped.len(), 1, "batch is stopped");
    let batch = ReconcileKey::Instance(stopped[0].id.clone());
    let one = inventory.topology_for(&[batch]).await.expect("batch");
    assert_eq!(one.instances.len(), 2, "batch and the firewall");
}
