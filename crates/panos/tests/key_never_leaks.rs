//! A full session with every log level captured (the client's, reqwest's, hyper's, rustls's) and
//! every error kept: neither the API keys nor the password appear in any of it.
//!
//! One test in this binary, because it installs the process-wide subscriber.

mod support;

use std::time::Duration;

use panos::{
    ApiKey, Client, CommitRequest, ConfigAction, Error, LockScope, ObjectKind, SecurityRule, Tag,
};
use support::*;

/// Everything a user could see: error messages, their `Debug`, and client `Debug`s.
#[derive(Default)]
struct Observed(Vec<String>);

impl Observed {
    fn error(&mut self, result: Result<impl std::fmt::Debug, Error>) {
        match result {
            Ok(value) => self.0.push(format!("{value:?}")),
            Err(error) => {
                self.0.push(error.to_string());
                self.0.push(format!("{error:?}"));
                let mut source = std::error::Error::source(&error);
                while let Some(cause) = source {
                    self.0.push(cause.to_string());
                    source = cause.source();
                }
            }
        }
    }
}

#[tokio::test]
async fn keys_and_passwords_never_reach_logs_or_errors() {
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .init();

    let sim = start_sim().await;
    let ours = admin_client(&sim);
    let bob = bob_client(&sim).await;
    let bob_key = bob.api_key().expose().to_owned();
    let mut seen = Observed::default();
    let loc = vsys1();

    seen.0
        .push(format!("{ours:?} {bob:?} {:?}", ours.api_key()));
    seen.error(ours.system_info().await);
    seen.error(ours.security_rules(&loc).await);
    seen.error(ours.create(&loc, &managed_tag()).await);
    seen.error(
        ours.create(
            &loc,
            &managed_rule("sg-0abc-1", "203.0.113.0/24", "10.0.1.10"),
        )
        .await,
    );
    let mut invalid = managed_rule("sg-0bad-1", "203.0.113.0/24", "10.0.1.10");
    invalid.tags = vec!["missing".into()];
    seen.error(ours.create(&loc, &invalid).await);
    seen.error(
        ours.multi_config(&[ConfigAction::Set {
            xpath: loc.objects(ObjectKind::Tag),
            element: panos::ConfigEntry::to_entry(&Tag::new("x y")),
        }])
        .await,
    );

    inject_faults(&sim, r#"{"http_errors": 1, "session_timeouts": 1}"#).await;
    seen.error(ours.get_entry::<SecurityRule>(&loc, "sg-0abc-1").await);
    seen.error(ours.pending_changes().await);

    seen.error(bob.acquire_config_lock(&LockScope::Shared, "hold").await);
    seen.error(ours.create(&loc, &Tag::new("blocked")).await);
    seen.error(bob.release_config_lock(&LockScope::Shared).await);

    seen.error(
        ours.policy_match(&https_query("203.0.113.9", "10.0.1.10"))
            .await,
    );
    let host: std::net::IpAddr = "10.0.1.10".parse().expect("ip");
    seen.error(
        ours.update_registrations(
            "vsys1",
            &[(host, vec!["palosync.sg-0abc".into()])],
            &[],
            None,
        )
        .await,
    );
    seen.error(
        ours.user_id(
            "vsys1",
            &panos::UidMessage::new().register(host, &["t"], Some(2_592_001)),
        )
        .await,
    );
    seen.error(
        ours.registered_ips("vsys1", panos::RegisteredIpFilter::All)
            .await,
    );
    inject_faults(&sim, r#"{"fail_commits": 1}"#).await;
    seen.error(
        ours.commit_and_wait(
            &CommitRequest::partial_for("admin"),
            Duration::from_secs(10),
        )
        .await,
    );
    seen.error(
        ours.commit_and_wait(
            &CommitRequest::partial_for("admin"),
            Duration::from_secs(10),
        )
        .await,
    );

    let wrong_key = "LUFRPT1wrongKeyNeverValid987654321==";
    let stranger = builder_for(&sim)
        .api_key(ApiKey::new(wrong_key))
        .build()
        .expect("client");
    seen.error(stranger.system_info().await);
    seen.error(
        builder_for(&sim)
            .build_with_credentials(BOB, "wrong-pw-123")
            .await,
    );
    let unreachable = Client::builder("http://127.0.0.1:9")
        .api_key(ApiKey::new(ADMIN_KEY))
        .build()
        .expect("client");
    seen.error(unreachable.system_info().await);

    let logs = logs.contents();
    assert!(
        logs.contains("PAN-OS reply"),
        "our own logs are captured: {logs}"
    );
    assert!(
        logs.contains("hyper_util") && logs.contains("reqwest"),
        "the HTTP stack's logs are captured too: {logs}"
    );
    assert!(
        seen.0.iter().any(|s| s.contains("JobFailed"))
            && seen.0.iter().any(|s| s.contains("UserIdRefused")),
        "the session produced the errors it meant to"
    );
    for secret in [
        ADMIN_KEY,
        bob_key.as_str(),
        wrong_key,
        BOB_PASSWORD,
        "wrong-pw-123",
    ] {
        assert!(!logs.contains(secret), "a secret leaked into the logs");
        for observed in &seen.0 {
            assert!(
                !observed.contains(secret),
                "a secret leaked into: {observed}"
            );
        }
    }
}
