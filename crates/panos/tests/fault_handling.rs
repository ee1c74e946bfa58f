//! Faults injected through the simulator's `/_sim/faults` endpoint: transient causes are
//! retried for reads and idempotent writes within the deadline, never for commits or renames,
//! and a hanging device costs at most the caller's deadline.

mod support;

use std::time::{Duration, Instant};

use panos::{
    ApiKey, CommitRequest, Error, RequestKind, RetryPolicy, SecurityRule, Tag, Timeouts,
    TransportKind,
};
use support::*;

#[tokio::test]
async fn server_errors_then_success_are_retried() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    inject_faults(&sim, r#"{"http_errors": 2, "http_status": 503}"#).await;
    let rules = client
        .security_rules(&vsys1())
        .await
        .expect("third attempt succeeds");
    assert_eq!(names(&rules), ["Clean up"]);
    let stats = client.stats();
    assert_eq!(stats.count(RequestKind::ConfigGet), 3);
    assert_eq!(stats.retries, 2);
}

#[tokio::test]
async fn idempotent_writes_are_retried_too() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    inject_faults(&sim, r#"{"http_errors": 1}"#).await;
    client
        .create(&vsys1(), &managed_tag())
        .await
        .expect("set retried");
    assert_eq!(client.stats().count(RequestKind::ConfigSet), 2);
}

#[tokio::test]
async fn persistent_server_errors_stop_after_the_attempt_budget() {
    let sim = start_sim().await;
    let client = admin_client(&sim).with_retry(RetryPolicy {
        max_attempts: 3,
        ..fast_retry()
    });
    inject_faults(&sim, r#"{"http_errors": 10}"#).await;
    match client.security_rules(&vsys1()).await {
        Err(Error::HttpStatus { status: 500, .. }) => {}
        other => panic!("expected HTTP 500, got {other:?}"),
    }
    assert_eq!(client.stats().count(RequestKind::ConfigGet), 3);
}

#[tokio::test]
async fn a_commit_is_never_retried() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    client
        .create(&vsys1(), &managed_tag())
        .await
        .expect("change");
    inject_faults(&sim, r#"{"http_errors": 1}"#).await;
    assert!(matches!(
        client.commit(&CommitRequest::partial_for("admin")).await,
        Err(Error::HttpStatus { status: 500, .. })
    ));
    assert_eq!(client.stats().count(RequestKind::Commit), 1);
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn hanging_device_times_out_within_the_deadline() {
    let sim = start_sim().await;
    let client = builder_for(&sim)
        .api_key(ApiKey::new(ADMIN_KEY))
        .timeouts(Timeouts {
            connect: Duration::from_secs(1),
            request: Duration::from_millis(200),
        })
        .retry(RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(100),
            max_elapsed: Duration::from_secs(1),
        })
        .build()
        .expect("client");
    inject_faults(&sim, r#"{"hang_ms": 5000, "hang_requests": 20}"#).await;
    let started = Instant::now();
    let outcome = client.security_rules(&vsys1()).await;
    let elapsed = started.elapsed();
    match outcome {
        Err(Error::Transport {
            kind: TransportKind::Timeout,
            ..
        }) => {}
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(
        elapsed < Duration::from_millis(1800),
        "bounded by the 1 s deadline (plus scheduling slack), took {elapsed:?}"
    );
    assert!(
        client.stats().count(RequestKind::ConfigGet) >= 2,
        "timeouts are retried"
    );
}

#[tokio::test]
async fn session_timeout_is_retried_for_reads_but_not_for_renames() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    client.create(&vsys1(), &managed_tag()).await.expect("tag");
    inject_faults(&sim, r#"{"session_timeouts": 1}"#).await;
    let tag: Option<Tag> = client
        .get_entry(&vsys1(), MANAGED_TAG)
        .await
        .expect("retried");
    assert!(tag.is_some());
    assert_eq!(client.stats().retries, 1);

    inject_faults(&sim, r#"{"session_timeouts": 1}"#).await;
    assert!(matches!(
        client
            .rename_entry::<Tag>(&vsys1(), MANAGED_TAG, "renamed")
            .await,
        Err(Error::SessionTimedOut { .. })
    ));
    assert_eq!(client.stats().count(RequestKind::ConfigRename), 1);
}

#[tokio::test]
async fn requests_in_flight_are_limited() {
    let sim = sim_builder()
        .latency(Duration::from_millis(100))
        .start()
        .await
        .expect("simulator");
    let client = builder_for(&sim)
        .api_key(ApiKey::new(ADMIN_KEY))
        .max_in_flight(2)
        .build()
        .expect("client");
    let started = Instant::now();
    let mut reads = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let client = client.clone();
        reads.spawn(async move { client.list::<SecurityRule>(&vsys1()).await });
    }
    while let Some(read) = reads.join_next().await {
        assert!(read.expect("task").is_ok());
    }
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "6 requests of 100 ms, 2 at a time, cannot finish in under 3 rounds"
    );
}
