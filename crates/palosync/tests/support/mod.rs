//! Test harness: a simulated firewall in-process, the example topology, and settings that
//! match both, so a scenario is a few readable lines.

#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod runtime_api;

use model::{Settings, Topology};
use palosync::config::{ApiKeySource, FirewallConfig, TlsChoice};
use palosync::firewall::Firewall;
use panos_sim::RunningSimulator;
use std::time::Duration;

pub const API_KEY: &str = "palosync-test-key";
pub const ADMIN: &str = "admin";
pub const FIREWALL_INSTANCE: &str = "i-07cc661e97589ca4a";
pub const WEB_INSTANCE: &str = "i-063f65da874007cb4";
pub const WEB_GROUP: &str = "sg-0a9b7e3ea1d1d784f";

/// The sample topology users see in `examples/snapshot.json`.
pub fn example_topology() -> Topology {
    serde_json::from_str(include_str!("../../../../examples/snapshot.json"))
        .expect("examples/snapshot.json is a topology")
}

pub fn settings() -> Settings {
    Settings::new(FIREWALL_INSTANCE, "Clean up", "untrust", "trust")
        .and_then(|s| s.with_profile_group(Some("default")))
        .expect("valid settings")
}

pub async fn start_simulator() -> RunningSimulator {
    panos_sim::Simulator::builder()
        .api_key(API_KEY)
        .admin("other-admin", "other-password")
        .commit_delay(Duration::from_millis(20))
        .start()
        .await
        .expect("simulator starts")
}

pub fn firewall_config(sim: &RunningSimulator) -> FirewallConfig {
    FirewallConfig {
        url: sim.url(),
        api_key: ApiKeySource::Inline(API_KEY.to_owned()),
        admin: Some(ADMIN.to_owned()),
        full_commit: false,
        vsys: "vsys1".to_owned(),
        tls: TlsChoice::Verified { ca_file: None },
    }
}

pub fn firewall(sim: &RunningSimulator) -> Firewall {
    Firewall::connect(&firewall_config(sim), panos::ApiKey::new(API_KEY)).expect("client builds")
}

/// Names of the committed (running) rules, in order.
pub fn running_rule_names(sim: &RunningSimulator) -> Vec<String> {
    sim.running_rules("vsys1")
        .iter()
        .filter_map(|r| r.entry_name().map(str::to_owned))
        .collect()
}

/// Names of the candidate rules, in order.
pub fn candidate_rule_names(sim: &RunningSimulator) -> Vec<String> {
    sim.candidate_rules("vsys1")
        .iter()
        .filter_map(|r| r.entry_name().map(str::to_owned))
        .collect()
}
