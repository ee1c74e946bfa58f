//! Op commands and keygen against the simulator: system info, policy match in the structured
//! and the older text shape, pending changes, and keygen success and failure.

mod support;

use std::time::Duration;

use panos::{ApiKey, CommitOutcome, CommitRequest, Error, PolicyMatch, RuleAction, SecurityRule};
use support::*;

async fn commit_managed_rule(sim: &RunningSimulator) -> panos::Client {
    let client = admin_client(sim);
    let loc = vsys1();
    client.create(&loc, &managed_tag()).await.expect("tag");
    client
        .create(
            &loc,
            &managed_rule("sg-0abc-1", "203.0.113.0/24", "10.0.1.10"),
        )
        .await
        .expect("rule");
    client
        .move_rule(&loc, "sg-0abc-1", &panos::Position::Top)
        .await
        .expect("move");
    let outcome = client
        .commit_and_wait(
            &CommitRequest::partial_for("admin"),
            Duration::from_secs(10),
        )
        .await
        .expect("commit");
    assert!(
        matches!(outcome, CommitOutcome::Committed(_)),
        "{outcome:?}"
    );
    client
}

#[tokio::test]
async fn system_info_reports_version_and_model() {
    let sim = start_sim().await;
    let info = admin_client(&sim).system_info().await.expect("system info");
    assert_eq!(info.model, "PA-VM");
    assert_eq!(info.version.map(|v| (v.major, v.minor)), Some((10, 2)));
    assert!(!info.multi_vsys);
    assert!(!info.is_panorama);
}

#[tokio::test]
async fn policy_match_names_the_first_matching_rule() {
    let sim = start_sim().await;
    let client = commit_managed_rule(&sim).await;
    match client
        .policy_match(&https_query("203.0.113.7", "10.0.1.10"))
        .await
        .expect("match")
    {
        PolicyMatch::Match {
            rule,
            action,
            index,
        } => {
            assert_eq!(rule, "sg-0abc-1");
            assert_eq!(action, Some(RuleAction::Allow));
            assert_eq!(index, Some(1));
        }
        PolicyMatch::NoMatch => panic!("the committed rule matches"),
    }
    match client
        .policy_match(&https_query("198.51.100.7", "10.0.1.10"))
        .await
        .expect("match")
    {
        PolicyMatch::Match { rule, action, .. } => {
            assert_eq!(rule, "Clean up");
            assert!(action.is_some_and(|a| !a.allows()));
        }
        PolicyMatch::NoMatch => panic!("the deny-all rule matches everything else"),
    }
}

#[tokio::test]
async fn policy_match_reports_predefined_rules_when_the_rulebase_is_empty() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    client
        .delete_entry::<SecurityRule>(&vsys1(), "Clean up")
        .await
        .expect("delete");
    client
        .commit_and_wait(
            &CommitRequest::partial_for("admin"),
            Duration::from_secs(10),
        )
        .await
        .expect("commit");
    let answer = client
        .policy_match(&https_query("198.51.100.7", "10.0.1.10"))
        .await
        .expect("match");
    match answer {
        PolicyMatch::Match { rule, action, .. } => {
            assert_eq!(rule, "interzone-default");
            assert_eq!(action, Some(RuleAction::Deny));
        }
        PolicyMatch::NoMatch => panic!("this simulator reports the predefined rule"),
    }
}

#[tokio::test]
async fn policy_match_parses_the_older_text_shape() {
    let sim = sim_builder()
        .sw_version("8.1.0")
        .start()
        .await
        .expect("simulator");
    let client = commit_managed_rule(&sim).await;
    assert_eq!(
        client
            .policy_match(&https_query("203.0.113.7", "10.0.1.10"))
            .await
            .expect("match"),
        PolicyMatch::Match {
            rule: "sg-0abc-1".into(),
            action: None,
            index: Some(1)
        }
    );
}

#[tokio::test]
async fn pending_changes_follows_the_candidate() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    assert!(!client.pending_changes().await.expect("pending"));
    client.create(&vsys1(), &managed_tag()).await.expect("tag");
    assert!(client.pending_changes().await.expect("pending"));
}

#[tokio::test]
async fn keygen_returns_a_working_key_and_bad_credentials_are_authentication_errors() {
    let sim = start_sim().await;
    let bob = bob_client(&sim).await;
    assert_eq!(Some(bob.api_key().expose().to_owned()), sim.key_of(BOB));
    bob.system_info().await.expect("bob's key works");
    let again = admin_client(&sim)
        .keygen(BOB, BOB_PASSWORD)
        .await
        .expect("keygen through an existing client");
    assert_eq!(
        &again,
        bob.api_key(),
        "re-running keygen returns a usable key"
    );

    match builder_for(&sim).build_with_credentials(BOB, "wrong").await {
        Err(Error::Authentication { message }) => assert!(message.contains("Invalid Credential")),
        other => panic!("expected an authentication error, got {other:?}"),
    }
    let stranger = builder_for(&sim)
        .api_key(ApiKey::new("not-a-key"))
        .build()
        .expect("client");
    assert!(matches!(
        stranger.system_info().await,
        Err(Error::Authentication { .. })
    ));
    assert_eq!(
        stranger.stats().retries,
        0,
        "authentication errors are never retried"
    );
}
