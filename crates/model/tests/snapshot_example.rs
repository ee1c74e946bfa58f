//! The sample snapshot shipped in `examples/` is what users copy: it must parse as a
//! `Topology` and lose nothing on the way (every field it has is one the model knows).

use model::{InstanceState, Topology};

const SNAPSHOT: &str = include_str!("../../../examples/snapshot.json");

#[test]
fn example_snapshot_round_trips_without_losing_fields() {
    let topology: Topology = serde_json::from_str(SNAPSHOT).expect("examples/snapshot.json parses");
    let original: serde_json::Value = serde_json::from_str(SNAPSHOT).unwrap();
    let reserialized = serde_json::to_value(&topology).unwrap();
    assert_eq!(reserialized, original);
    assert!(
        topology
            .instances
            .iter()
            .any(|i| i.state == InstanceState::Running)
    );
}
