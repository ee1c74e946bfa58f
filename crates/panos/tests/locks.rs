//! Locks against the simulator: another admin's config or commit lock surfaces as the typed
//! error with the holder, listing shows who holds what, and our own lock operations converge.

mod support;

use panos::{CommitRequest, Error, LockKind, LockScope, Released, Tag};
use support::*;

#[tokio::test]
async fn another_admins_config_lock_blocks_our_writes_with_the_holder() {
    let sim = start_sim().await;
    let ours = admin_client(&sim);
    let bob = bob_client(&sim).await;
    bob.acquire_config_lock(&LockScope::Shared, "maintenance")
        .await
        .expect("bob locks");

    match ours.create(&vsys1(), &Tag::new("t1")).await {
        Err(Error::LockHeld { kind, holder, .. }) => {
            assert_eq!(kind, LockKind::Config);
            assert_eq!(holder.as_deref(), Some(BOB));
        }
        other => panic!("expected LockHeld, got {other:?}"),
    }
    match ours
        .acquire_config_lock(&LockScope::Shared, "palosync")
        .await
    {
        Err(Error::LockHeld { holder, .. }) => assert_eq!(holder.as_deref(), Some(BOB)),
        other => panic!("expected LockHeld, got {other:?}"),
    }
    let locks = ours.config_locks().await.expect("list");
    assert_eq!(locks.len(), 1);
    assert_eq!(locks[0].admin, BOB);
    assert_eq!(locks[0].comment.as_deref(), Some("maintenance"));

    assert_eq!(
        bob.release_config_lock(&LockScope::Shared)
            .await
            .expect("release"),
        Released::Released
    );
    ours.create(&vsys1(), &Tag::new("t1"))
        .await
        .expect("write after release");
    assert!(ours.config_locks().await.expect("list").is_empty());
}

#[tokio::test]
async fn another_admins_commit_lock_blocks_our_commit() {
    let sim = start_sim().await;
    let ours = admin_client(&sim);
    let bob = bob_client(&sim).await;
    ours.create(&vsys1(), &managed_tag()).await.expect("change");
    bob.acquire_commit_lock(&LockScope::Shared, "freeze")
        .await
        .expect("bob locks commits");

    match ours.commit(&CommitRequest::partial_for("admin")).await {
        Err(Error::LockHeld { kind, .. }) => assert_eq!(kind, LockKind::Commit),
        other => panic!("expected LockHeld(commit), got {other:?}"),
    }
    let holders: Vec<String> = ours
        .commit_locks()
        .await
        .expect("list")
        .into_iter()
        .map(|l| l.admin)
        .collect();
    assert_eq!(holders, [BOB], "who holds the commit lock");
    match ours
        .acquire_commit_lock(&LockScope::Shared, "palosync")
        .await
    {
        Err(Error::LockHeld { kind, holder, .. }) => {
            assert_eq!(kind, LockKind::Commit);
            assert_eq!(holder.as_deref(), Some(BOB));
        }
        other => panic!("expected LockHeld, got {other:?}"),
    }
}

#[tokio::test]
async fn our_own_locks_converge_when_repeated() {
    let sim = start_sim().await;
    let ours = admin_client(&sim);
    let scope = LockScope::Shared;
    ours.acquire_config_lock(&scope, "palosync run")
        .await
        .expect("lock");
    ours.acquire_config_lock(&scope, "palosync run")
        .await
        .expect("already own it");
    ours.create(&vsys1(), &managed_tag())
        .await
        .expect("the holder can write");
    assert_eq!(
        ours.release_config_lock(&scope).await.expect("release"),
        Released::Released
    );
    assert_eq!(
        ours.release_config_lock(&scope)
            .await
            .expect("release again"),
        Released::WasNotHeld
    );

    ours.acquire_commit_lock(&scope, "palosync run")
        .await
        .expect("commit lock");
    assert_eq!(ours.commit_locks().await.expect("list").len(), 1);
    assert_eq!(
        ours.release_commit_lock(&scope, None)
            .await
            .expect("release"),
        Released::Released
    );
    assert_eq!(
        ours.release_commit_lock(&scope, None)
            .await
            .expect("release again"),
        Released::WasNotHeld
    );
}
