//! Shared scenario plumbing: start the in-process simulator, build clients for its admins,
//! inject faults through its HTTP fault endpoint, and the rule/objects palosync would write.

#![allow(dead_code, reason = "each test binary uses part of the support module")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use panos::{
    ApiKey, Client, ClientBuilder, CommitOutcome, CommitRequest, Error, Location, PolicyMatchQuery,
    ProfileSetting, RetryPolicy, RuleAction, SecurityRule, Tag, Timeouts,
};
pub use panos_sim::{RunningSimulator, Simulator, SimulatorBuilder};

/// The key of the simulator's `admin` (the account palosync uses in these scenarios).
pub const ADMIN_KEY: &str = "LUFRPT1testAdminKeyDoNotLeak0123456789==";
/// A second administrator whose pending changes must never be committed by us.
pub const BOB: &str = "bob";
pub const BOB_PASSWORD: &str = "bob-Secret-pw-42";

/// A simulator with `admin` (key [`ADMIN_KEY`]) and `bob`, committing in 100 ms.
pub fn sim_builder() -> SimulatorBuilder {
    Simulator::builder()
        .api_key(ADMIN_KEY)
        .admin(BOB, BOB_PASSWORD)
        .commit_delay(Duration::from_millis(100))
}

pub async fn start_sim() -> RunningSimulator {
    sim_builder().start().await.expect("simulator starts")
}

/// Fast retries and polls so scenarios run in well under a second.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        max_elapsed: Duration::from_secs(10),
    }
}

pub fn builder_for(sim: &RunningSimulator) -> ClientBuilder {
    Client::builder(sim.url())
        .timeouts(Timeouts {
            connect: Duration::from_secs(2),
            request: Duration::from_secs(5),
        })
        .retry(fast_retry())
        .job_poll_interval(Duration::from_millis(25))
}

/// palosync's client: the `admin` account, by key.
pub fn admin_client(sim: &RunningSimulator) -> Client {
    builder_for(sim)
        .api_key(ApiKey::new(ADMIN_KEY))
        .build()
        .expect("client builds")
}

/// Another administrator's client, by keygen.
pub async fn bob_client(sim: &RunningSimulator) -> Client {
    builder_for(sim)
        .build_with_credentials(BOB, BOB_PASSWORD)
        .await
        .expect("keygen for bob")
}

/// `POST /_sim/faults` with a JSON fault plan.
pub async fn inject_faults(sim: &RunningSimulator, plan_json: &str) {
    let response = reqwest::Client::new()
        .post(format!("{}/_sim/faults", sim.url()))
        .header("content-type", "application/json")
        .body(plan_json.to_owned())
        .send()
        .await
        .expect("fault endpoint reachable");
    assert!(
        response.status().is_success(),
        "fault plan refused: {}",
        response.text().await.unwrap_or_default()
    );
}

pub fn vsys1() -> Location {
    Location::vsys("vsys1")
}

pub const MANAGED_TAG: &str = "palosync";

pub fn managed_tag() -> Tag {
    Tag {
        color: Some("color1".into()),
        comments: Some("managed by palosync".into()),
        ..Tag::new(MANAGED_TAG)
    }
}

/// An allow rule shaped like the ones palosync writes.
pub fn managed_rule(name: &str, source: &str, destination: &str) -> SecurityRule {
    SecurityRule {
        name: name.into(),
        from: vec!["untrust".into()],
        to: vec!["trust".into()],
        source: vec![source.into()],
        destination: vec![destination.into()],
        source_user: vec!["any".into()],
        category: vec!["any".into()],
        application: vec!["ssl".into()],
        service: vec!["application-default".into()],
        action: Some(RuleAction::Allow),
        description: Some("sg-0abc tcp/443 from 203.0.113.0/24 (RunInstances)".into()),
        tags: vec![MANAGED_TAG.into()],
        profile_setting: Some(ProfileSetting::Group(vec!["default".into()])),
        ..SecurityRule::default()
    }
}

/// Commits `admin`'s changes and waits up to 10 s for the job.
pub async fn commit_admin_changes(client: &Client) -> Result<CommitOutcome, Error> {
    client
        .commit_and_wait(
            &CommitRequest::partial_for("admin"),
            Duration::from_secs(10),
        )
        .await
}

pub fn names(rules: &[SecurityRule]) -> Vec<&str> {
    rules.iter().map(|r| r.name.as_str()).collect()
}

/// An HTTPS flow from the internet (`untrust`) to a protected address (`trust`).
pub fn https_query(source: &str, destination: &str) -> PolicyMatchQuery {
    PolicyMatchQuery {
        from: "untrust".into(),
        to: "trust".into(),
        source: source.parse().expect("ip"),
        destination: destination.parse().expect("ip"),
        protocol: 6,
        destination_port: Some(443),
        application: Some("ssl".into()),
        source_user: None,
        vsys: None,
    }
}

/// A `tracing` writer that keeps everything written to it.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
