//! Group mode against the simulator: tag registrations packed into few User-ID messages, read
//! back by all/tag/address across several pages, idempotent re-registration, limits refusing a
//! message whole, and a dynamic address group resolving in policy match without a commit.

mod support;

use std::net::IpAddr;

use panos::{
    AddressGroup, ConfigEntry, Error, PolicyMatch, Position, RegisteredIp, RegisteredIpFilter,
    RequestKind, UidMessage,
};
use support::*;

const SG_TAG: &str = "palosync.sg-0abc";

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test ip")
}

/// 10.0.0.1 … 10.0.0.n (n ≤ 250) and their tags.
fn hosts(n: u8, tags: &[&str]) -> Vec<(IpAddr, Vec<String>)> {
    (1..=n)
        .map(|i| {
            (
                ip(&format!("10.0.0.{i}")),
                tags.iter().map(|t| (*t).to_owned()).collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn registrations_pack_into_few_messages_and_read_back_across_pages() {
    let sim = start_sim().await;
    let client = builder_for(&sim)
        .api_key(panos::ApiKey::new(ADMIN_KEY))
        .uid_entries_per_message(40)
        .registered_ip_page_size(25)
        .build()
        .expect("client builds");
    let mut register = hosts(100, &[SG_TAG]);
    register.push((ip("2001:db8::10"), vec![SG_TAG.into(), "web".into()]));
    let sent = client
        .update_registrations("vsys1", &register, &[], Some(3600))
        .await
        .expect("registered");
    assert_eq!(sent, 3, "101 entries at 40 per message");
    assert_eq!(client.stats().count(RequestKind::UserId), 3);
    assert_eq!(sim.registered_ips("vsys1").len(), 101);

    let before = client.stats().count(RequestKind::Op);
    let all = client
        .registered_ips("vsys1", RegisteredIpFilter::All)
        .await
        .expect("read all");
    assert_eq!(all.len(), 101);
    assert_eq!(
        client.stats().count(RequestKind::Op) - before,
        5,
        "four full pages of 25 and a short fifth"
    );
    assert_eq!(
        all.last(),
        Some(&RegisteredIp {
            address: ip("2001:db8::10"),
            tags: vec![SG_TAG.into(), "web".into()]
        })
    );
    let web = client
        .registered_ips("vsys1", RegisteredIpFilter::Tag("web".into()))
        .await
        .expect("read by tag");
    assert_eq!(web.len(), 1);
    let one = client
        .registered_ips("vsys1", RegisteredIpFilter::Address(ip("10.0.0.7")))
        .await
        .expect("read one");
    assert_eq!(
        one,
        vec![RegisteredIp {
            address: ip("10.0.0.7"),
            tags: vec![SG_TAG.into()]
        }]
    );
    assert!(
        client
            .registered_ips("vsys1", RegisteredIpFilter::Address(ip("10.9.9.9")))
            .await
            .expect("read none")
            .is_empty()
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn re_registering_and_unregistering_converge_without_errors() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let register = hosts(3, &["a", "b"]);
    client
        .update_registrations("vsys1", &register, &[], None)
        .await
        .expect("first time");
    client
        .update_registrations("vsys1", &register, &[], None)
        .await
        .expect("duplicates are success");
    let unregister = vec![
        (ip("10.0.0.1"), vec!["a".to_owned(), "never".to_owned()]),
        (ip("10.0.0.2"), vec![]),
    ];
    let sent = client
        .update_registrations(
            "vsys1",
            &[(ip("10.0.0.9"), vec!["c".into()])],
            &unregister,
            None,
        )
        .await
        .expect("unregistered");
    assert_eq!(sent, 1, "register and unregister share one message");
    let left: Vec<(IpAddr, Vec<String>)> = sim.registered_ips("vsys1").into_iter().collect();
    assert_eq!(
        left,
        vec![
            (ip("10.0.0.1"), vec!["b".to_owned()]),
            (ip("10.0.0.3"), vec!["a".to_owned(), "b".to_owned()]),
            (ip("10.0.0.9"), vec!["c".to_owned()]),
        ]
    );
    assert_eq!(
        client
            .update_registrations("vsys1", &[], &[], None)
            .await
            .expect("nothing"),
        0
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn limits_and_bad_timeouts_refuse_a_message_whole_with_a_typed_error() {
    let sim = sim_builder()
        .max_tags_per_address(2)
        .start()
        .await
        .expect("simulator starts");
    let client = admin_client(&sim);
    let message = UidMessage::new()
        .register(ip("10.0.0.1"), &["ok"], None)
        .register(ip("10.0.0.2"), &["a", "b", "c"], None);
    match client.user_id("vsys1", &message).await {
        Err(Error::UserIdRefused { entries }) => {
            assert_eq!(entries.len(), 1);
            assert_eq!(entries[0].ip, "10.0.0.2");
            assert!(entries[0].message.contains("(2)"), "{entries:?}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let too_long = UidMessage::new().register(ip("10.0.0.1"), &["t"], Some(2_592_001));
    assert!(matches!(
        client.user_id("vsys1", &too_long).await,
        Err(Error::UserIdRefused { .. })
    ));
    assert!(sim.registered_ips("vsys1").is_empty());
    assert_eq!(sim.registration_limits().max_tags_per_address, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_dynamic_group_resolves_in_policy_match_without_a_commit() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let loc = vsys1();
    client.create(&loc, &managed_tag()).await.expect("tag");
    let dag = AddressGroup {
        name: "sg-0abc".into(),
        static_members: Vec::new(),
        dynamic_filter: Some(format!("'{SG_TAG}' or ('web' and 'prod')")),
        description: Some("instances of sg-0abc".into()),
        tags: vec![MANAGED_TAG.into()],
        other: Vec::new(),
    };
    assert_eq!(
        dag.to_entry().to_xml(),
        "<entry name=\"sg-0abc\"><dynamic><filter>&apos;palosync.sg-0abc&apos; or (&apos;web&apos; and &apos;prod&apos;)</filter></dynamic><description>instances of sg-0abc</description><tag><member>palosync</member></tag></entry>"
    );
    client.create(&loc, &dag).await.expect("dynamic group");
    assert_eq!(
        client
            .get_entry::<AddressGroup>(&loc, "sg-0abc")
            .await
            .expect("get"),
        Some(dag.clone())
    );
    client
        .create(&loc, &managed_rule("sg-0abc-1", "any", "sg-0abc"))
        .await
        .expect("rule to the group");
    client
        .move_rule(&loc, "sg-0abc-1", &Position::Top)
        .await
        .expect("move");
    commit_admin_changes(&client).await.expect("commit");

    let query = https_query("203.0.113.9", "10.0.1.5");
    let before = client.policy_match(&query).await.expect("match");
    assert!(
        matches!(&before, PolicyMatch::Match { rule, .. } if rule == "Clean up"),
        "{before:?}"
    );
    client
        .update_registrations("vsys1", &[(ip("10.0.1.5"), vec![SG_TAG.into()])], &[], None)
        .await
        .expect("registered");
    assert!(!client.pending_changes().await.expect("pending"));
    let after = client.policy_match(&query).await.expect("match");
    assert!(
        matches!(&after, PolicyMatch::Match { rule, .. } if rule == "sg-0abc-1"),
        "{after:?}"
    );
    assert_eq!(
        client
            .dynamic_group_members("vsys1", "sg-0abc")
            .await
            .expect("members"),
        vec![ip("10.0.1.5")]
    );
    assert_eq!(
        sim.dynamic_group_members("vsys1", "sg-0abc"),
        Some(vec![ip("10.0.1.5")])
    );
    assert!(matches!(
        client.dynamic_group_members("vsys1", "no-such-group").await,
        Err(Error::ObjectNotFound { .. })
    ));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_bad_filter_is_refused_and_a_commit_over_max_rules_fails() {
    let sim = sim_builder()
        .max_rules(2)
        .start()
        .await
        .expect("simulator starts");
    let client = admin_client(&sim);
    let loc = vsys1();
    let bad = AddressGroup {
        dynamic_filter: Some("'a' and".into()),
        ..AddressGroup::with_static_members("bad", &[])
    };
    assert!(matches!(
        client.create(&loc, &bad).await,
        Err(Error::Api { code: Some(12), .. })
    ));
    client.create(&loc, &managed_tag()).await.expect("tag");
    for (name, dst) in [("r1", "10.0.0.1"), ("r2", "10.0.0.2")] {
        client
            .create(&loc, &managed_rule(name, "any", dst))
            .await
            .expect("rule");
    }
    match commit_admin_changes(&client).await {
        Err(Error::JobFailed { details, .. }) => assert!(
            details
                .iter()
                .any(|l| l.contains("exceed the maximum of 2")),
            "{details:?}"
        ),
        other => panic!("expected a failed commit, got {other:?}"),
    }
    assert_eq!(sim.max_rules(), Some(2));
    sim.shutdown().await;
}

#[tokio::test]
async fn seeded_and_out_of_band_registrations_are_what_the_client_reads() {
    let sim = sim_builder()
        .registered_ip("vsys1", ip("10.0.0.1"), &[SG_TAG])
        .max_tags_per_address(2)
        .start()
        .await
        .expect("simulator starts");
    let client = admin_client(&sim);
    let read = |c: panos::Client| async move {
        c.registered_ips("vsys1", RegisteredIpFilter::Tag(SG_TAG.into()))
            .await
            .expect("read")
            .into_iter()
            .map(|r| r.address)
            .collect::<Vec<_>>()
    };
    assert_eq!(read(client.clone()).await, vec![ip("10.0.0.1")]);
    sim.register_ip("vsys1", ip("10.0.0.2"), &[SG_TAG], None)
        .expect("registered out of band");
    assert!(
        sim.register_ip("vsys1", ip("10.0.0.2"), &["x", "y"], None)
            .is_err(),
        "a third tag breaks the limit"
    );
    sim.unregister_ip("vsys1", ip("10.0.0.1"));
    assert_eq!(read(client.clone()).await, vec![ip("10.0.0.2")]);
    sim.reset();
    assert_eq!(read(client).await, vec![ip("10.0.0.1")]);
    sim.shutdown().await;
}
