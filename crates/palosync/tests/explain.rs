//! `palosync explain` through the real binary (issue 16, item 2), offline on the bundled
//! snapshot against a simulator: an allowed case (held by a managed rule), a shadowed case (an
//! operator's rule already allows it), a permission that opens nothing, an interface out of
//! scope, and drift before the sync.

mod support;

use serde_json::Value;
use std::process::Output;
use support::*;

fn snapshot() -> std::path::PathBuf {
    examples().join("snapshot.json")
}

async fn palosync(sim: &panos_sim::RunningSimulator, args: &[&str]) -> Output {
    palosync_offline(sim, &["PANOS_ADMIN"], args).await
}

async fn explain(sim: &panos_sim::RunningSimulator, target: &str) -> Value {
    let output = palosync(sim, &["explain", target, "--output", "json"]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

fn statuses(explained: &Value, service: &str) -> Vec<Value> {
    explained["allowances"]
        .as_array()
        .expect("allowances")
        .iter()
        .filter(|a| a["service"] == service)
        .map(|a| a["status"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_shows_scope_rules_shadows_what_opens_nothing_and_drift() {
    let sim = start_simulator().await;
    let admin = admin_client(&sim);
    // An operator's rule that already allows ssh from the partner's whole /24.
    let partner_ssh =
        palosync::demo::operator_rule("partner-ssh", "untrust", "trust", "192.0.2.0/24", "ssh");
    palosync::demo::seed_operator_rules(&admin, &[partner_ssh], "Clean up", ADMIN)
        .await
        .expect("seed");

    // Before any sync: the web server's https is missing, and explain says what would change.
    let before = explain(&sim, "i-063f65da874007cb4").await;
    assert!(
        statuses(&before, "ssl/application-default")
            .iter()
            .all(|s| s["status"] == "missing"),
        "{before}"
    );
    assert!(!before["drift"].as_array().expect("drift").is_empty());

    let mut sync = palosync_command(&sim, FIREWALL_INSTANCE);
    sync.arg("--topology").arg(snapshot()).arg("sync");
    let output = tokio::task::spawn_blocking(move || sync.output().expect("runs"))
        .await
        .expect("join");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let web = explain(&sim, "i-063f65da874007cb4").await;
    let v4 = &web["interfaces"][0]["families"][0];
    assert_eq!(v4["in_scope"], true, "{web}");
    assert!(
        v4["why"]
            .as_str()
            .unwrap_or_default()
            .contains("through the firewall"),
        "{v4}"
    );
    for status in statuses(&web, "ssl/application-default") {
        assert_eq!(status["status"], "implemented", "{web}");
    }
    for status in statuses(&web, "ssh/application-default") {
        assert_eq!(status["status"], "already_allowed", "{web}");
        assert_eq!(status["rule"], "partner-ssh");
    }
    assert_eq!(web["drift"].as_array().map(Vec::len), Some(0), "{web}");

    // The api server by address: its udp/53 comes only from inside the VPC.
    let api = explain(&sim, "10.0.11.40").await;
    let permissions = api["groups"][0]["permissions"].to_string();
    assert!(
        permissions.contains("udp/53 from 10.0.0.0/16: opens nothing through the firewall"),
        "{permissions}"
    );
    assert_eq!(api["drift"].as_array().map(Vec::len), Some(0), "{api}");

    // A stopped instance is out of scope, and says why.
    let stopped = explain(&sim, "i-0e5b8063831360a40").await;
    let family = &stopped["interfaces"][0]["families"][0];
    assert_eq!(family["in_scope"], false);
    assert!(
        family["why"]
            .as_str()
            .unwrap_or_default()
            .contains("Stopped"),
        "{family}"
    );

    // The human form, for the closing note and for people.
    let table = palosync(&sim, &["explain", "i-063f65da874007cb4"]).await;
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("already allowed by partner-ssh"), "{text}");
    assert!(text.contains("held by sg-0a9b7e3ea1d1d784f-"), "{text}");
    println!("{text}");
    sim.shutdown().await;
}
