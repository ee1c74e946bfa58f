//! The capacity guard (issue 13, item 4) through the app against moto and the simulator: a sync
//! that would leave more security rules than the device holds writes nothing and says why.

mod support;

use support::*;

#[tokio::test]
async fn a_sync_over_the_devices_rule_capacity_writes_nothing_and_names_the_numbers() {
    let mut h = Harness::new("ap-east-2").await;
    // The device holds its two rules (the operator's and the bottom rule) and no more.
    let mut config = firewall_config();
    config.max_rules = Some(2);
    h.reconnect(&config, 1000);
    let commits = h.sim.stats().commits_enqueued;
    let (report, result) = h.sync().await;
    let error = result.expect_err("over capacity");
    assert_eq!(error.error_type(), "CapacityExceeded");
    let text = error.to_string();
    assert!(
        text.contains("3 security rules") && text.contains("holds 2"),
        "{text}"
    );
    assert!(text.contains("PALOSYNC_MODE=groups"), "{text}");
    assert_eq!(h.sim.stats().commits_enqueued, commits, "no commit");
    assert_eq!(candidate_rule_names(&h.sim).len(), 2, "nothing written");
    assert!(report.error.is_some());

    // With room for it, the same sync lands.
    config.max_rules = Some(3);
    h.reconnect(&config, 1000);
    h.sync().await.1.expect("fits");
    assert_eq!(running_rule_names(&h.sim).len(), 3);
}
