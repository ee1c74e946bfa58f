//! Config actions against the simulator: every object type round-trips, absent and present are
//! told apart, benign answers are successes, and multi-config is atomic.

mod support;

use panos::{
    AddressObject, AddressValue, ConfigAction, ConfigEntry, Deleted, Error, ObjectKind, Position,
    RequestKind, SecurityRule, ServiceObject, ServiceProtocol, Tag, XmlNode,
};
use support::*;

#[tokio::test]
async fn security_rule_lives_through_create_read_move_replace_rename_delete() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let loc = vsys1();
    assert_eq!(
        names(&client.security_rules(&loc).await.expect("list")),
        ["Clean up"]
    );

    client.create(&loc, &managed_tag()).await.expect("tag");
    let rule = managed_rule("i-0abc-1", "203.0.113.0/24", "10.0.1.10");
    client.create(&loc, &rule).await.expect("create rule");

    let read: SecurityRule = client
        .get_entry(&loc, "i-0abc-1")
        .await
        .expect("get")
        .expect("present in candidate");
    let uuid = read.uuid.clone().expect("device assigns a uuid");
    assert_eq!(
        SecurityRule {
            uuid: None,
            ..read.clone()
        },
        rule
    );
    assert_eq!(
        names(&client.security_rules(&loc).await.expect("list")),
        ["Clean up", "i-0abc-1"],
        "a new rule lands at the bottom"
    );

    client
        .move_rule(&loc, "i-0abc-1", &Position::Before("Clean up".into()))
        .await
        .expect("move before");
    client
        .move_rule(&loc, "i-0abc-1", &Position::Top)
        .await
        .expect("already at the top is a success");
    assert_eq!(
        names(&client.security_rules(&loc).await.expect("list")),
        ["i-0abc-1", "Clean up"]
    );

    let mut narrowed = read.clone();
    narrowed.source = vec!["198.51.100.0/24".into()];
    narrowed.description = Some("narrowed".into());
    client.replace(&loc, &narrowed).await.expect("edit");
    let reread: SecurityRule = client
        .get_entry(&loc, "i-0abc-1")
        .await
        .expect("get")
        .expect("present");
    assert_eq!(
        reread.source,
        ["198.51.100.0/24"],
        "edit replaces member lists"
    );
    assert_eq!(reread.uuid.as_deref(), Some(uuid.as_str()));

    client
        .rename_entry::<SecurityRule>(&loc, "i-0abc-1", "i-0abc-2")
        .await
        .expect("rename");
    let rules = client.security_rules(&loc).await.expect("list");
    assert_eq!(
        names(&rules),
        ["i-0abc-2", "Clean up"],
        "rename keeps the position"
    );
    assert_eq!(
        rules[0].uuid.as_deref(),
        Some(uuid.as_str()),
        "and the uuid"
    );

    let delete = |name: &'static str| client.delete_entry::<SecurityRule>(&loc, name);
    assert_eq!(delete("i-0abc-2").await.expect("delete"), Deleted::Removed);
    assert_eq!(
        delete("i-0abc-2").await.expect("delete again"),
        Deleted::WasAbsent
    );
    assert!(
        client
            .get_entry::<SecurityRule>(&loc, "i-0abc-2")
            .await
            .expect("get")
            .is_none()
    );
}

#[tokio::test]
async fn service_address_and_tag_objects_round_trip() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let loc = vsys1();
    client.create(&loc, &managed_tag()).await.expect("tag");
    let tag: Tag = client
        .get_entry(&loc, MANAGED_TAG)
        .await
        .expect("get")
        .expect("tag");
    assert_eq!(tag, managed_tag());

    let mut svc = ServiceObject::new("tcp_8080", ServiceProtocol::Tcp, "8080");
    svc.tags = vec![MANAGED_TAG.into()];
    client.create(&loc, &svc).await.expect("service");
    assert_eq!(
        client.get_entry(&loc, "tcp_8080").await.expect("get"),
        Some(svc.clone())
    );
    let mut widened = svc.clone();
    if let Some(ports) = widened.ports.as_mut() {
        ports.port = Some("8080-8081".into());
    }
    client.replace(&loc, &widened).await.expect("edit service");
    assert_eq!(
        client.get_entry(&loc, "tcp_8080").await.expect("get"),
        Some(widened)
    );

    let mut host = AddressObject::new("web-1", AddressValue::IpNetmask("10.0.1.10/32".into()));
    host.tags = vec![MANAGED_TAG.into()];
    host.description = Some("web server".into());
    client.create(&loc, &host).await.expect("address");
    assert_eq!(
        client.get_entry(&loc, "web-1").await.expect("get"),
        Some(host.clone())
    );
    client
        .rename_entry::<AddressObject>(&loc, "web-1", "web-01")
        .await
        .expect("rename address");
    let renamed: Vec<AddressObject> = client.list(&loc).await.expect("list addresses");
    assert_eq!(
        renamed.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        ["web-01"]
    );

    let mut recoloured = managed_tag();
    recoloured.color = Some("color7".into());
    recoloured.comments = None;
    client.replace(&loc, &recoloured).await.expect("edit tag");
    assert_eq!(
        client.get_entry(&loc, MANAGED_TAG).await.expect("get"),
        Some(recoloured)
    );

    assert_eq!(
        client
            .delete_entry::<ServiceObject>(&loc, "tcp_8080")
            .await
            .expect("delete"),
        Deleted::Removed
    );
    assert_eq!(
        client
            .delete_entry::<AddressObject>(&loc, "web-01")
            .await
            .expect("delete"),
        Deleted::Removed
    );
}

#[tokio::test]
async fn get_reads_the_candidate_and_show_the_running_config() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let loc = vsys1();
    let tag_path = Tag::xpath(&loc, MANAGED_TAG);
    assert_eq!(client.get(&tag_path).await.expect("get"), None);
    assert_eq!(client.show(&tag_path).await.expect("show"), None);

    client.create(&loc, &managed_tag()).await.expect("tag");
    let candidate = client
        .get(&tag_path)
        .await
        .expect("get")
        .expect("in candidate");
    assert_eq!(candidate.attr("name"), Some(MANAGED_TAG));
    assert_eq!(
        client.show(&tag_path).await.expect("show"),
        None,
        "not committed yet"
    );

    let running_rules = client
        .show(&loc.security_rules())
        .await
        .expect("show")
        .expect("running rulebase");
    assert_eq!(running_rules.children_named("entry").count(), 1);
}

#[tokio::test]
async fn names_with_quotes_are_quoted_not_pasted() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let loc = vsys1();
    for hostile in [
        "it's",
        r#"say "hi""#,
        r#"a'b"c"#,
        "x'] | /config/shared/*[@a='",
    ] {
        let found: Option<SecurityRule> = client
            .get_entry(&loc, hostile)
            .await
            .unwrap_or_else(|e| panic!("{hostile:?} must be a well-formed xpath literal: {e}"));
        assert_eq!(found, None, "{hostile:?}");
    }
    let clean_up: Option<SecurityRule> = client.get_entry(&loc, "Clean up").await.expect("get");
    assert!(clean_up.is_some_and(|r| r.action.is_some_and(|a| !a.allows())));
}

#[tokio::test]
async fn validation_errors_are_typed_and_never_retried() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let loc = vsys1();
    let mut bad = managed_rule("i-0bad-1", "203.0.113.0/24", "10.0.1.10");
    bad.tags = vec!["no-such-tag".into()];
    match client.create(&loc, &bad).await {
        Err(Error::Api {
            code: Some(12),
            lines,
        }) => {
            assert!(lines.iter().any(|l| l.contains("no-such-tag")), "{lines:?}");
        }
        other => panic!("expected a code 12 validation error, got {other:?}"),
    }
    assert_eq!(client.stats().count(RequestKind::ConfigSet), 1);
    assert_eq!(client.stats().retries, 0);
}

#[tokio::test]
async fn deleting_a_referenced_object_fails_with_the_referrers() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let loc = vsys1();
    client.create(&loc, &managed_tag()).await.expect("tag");
    client
        .create(
            &loc,
            &managed_rule("i-0abc-1", "203.0.113.0/24", "10.0.1.10"),
        )
        .await
        .expect("rule");
    match client.delete_entry::<Tag>(&loc, MANAGED_TAG).await {
        Err(Error::Api {
            code: Some(10),
            lines,
        }) => {
            assert!(lines.iter().any(|l| l.contains("i-0abc-1")), "{lines:?}");
        }
        other => panic!("expected code 10, got {other:?}"),
    }
}

#[tokio::test]
async fn multi_config_applies_a_batch_with_per_action_results() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let loc = vsys1();
    let rule = managed_rule("i-0abc-1", "203.0.113.0/24", "10.0.1.10");
    let batch = [
        ConfigAction::Set {
            xpath: loc.objects(ObjectKind::Tag),
            element: managed_tag().to_entry(),
        },
        ConfigAction::Set {
            xpath: loc.security_rules(),
            element: rule.to_entry(),
        },
        ConfigAction::Move {
            xpath: loc.security_rule("i-0abc-1"),
            position: Position::Before("Clean up".into()),
        },
        ConfigAction::Delete {
            xpath: loc.security_rule("i-0old-9"),
        },
    ];
    let result = client.multi_config(&batch).await.expect("batch applies");
    assert_eq!(result.actions.len(), 4);
    assert!(result.actions.iter().all(|a| a.succeeded()), "{result:?}");
    assert!(result.actions[3].was_absent());
    assert_eq!(
        names(&client.security_rules(&loc).await.expect("list")),
        ["i-0abc-1", "Clean up"]
    );
    assert_eq!(client.stats().count(RequestKind::MultiConfig), 1);
}

#[tokio::test]
async fn multi_config_rolls_back_everything_when_one_action_fails() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let loc = vsys1();
    let mut invalid = managed_rule("i-0bad-1", "203.0.113.0/24", "10.0.1.10");
    invalid.from = vec!["no-such-zone".into()];
    let batch = [
        ConfigAction::Set {
            xpath: loc.objects(ObjectKind::Tag),
            element: managed_tag().to_entry(),
        },
        ConfigAction::Set {
            xpath: loc.security_rules(),
            element: invalid.to_entry(),
        },
    ];
    match client.multi_config(&batch).await {
        Err(Error::BatchRolledBack { actions, .. }) => {
            let failed = actions
                .iter()
                .find(|a| !a.succeeded())
                .expect("a failed action");
            assert_eq!(failed.id, "2");
            assert!(
                failed.lines.iter().any(|l| l.contains("no-such-zone")),
                "{failed:?}"
            );
        }
        other => panic!("expected a rolled-back batch, got {other:?}"),
    }
    assert_eq!(
        client
            .get(&Tag::xpath(&loc, MANAGED_TAG))
            .await
            .expect("get"),
        None,
        "the tag from the successful first action was rolled back too"
    );
}

#[tokio::test]
async fn raw_set_and_edit_address_leaves_by_xpath() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let loc = vsys1();
    let host = AddressObject::xpath(&loc, "h1");
    client
        .set(&host, &XmlNode::with_text_content("ip-netmask", "10.0.0.1"))
        .await
        .expect("set leaf on a new entry");
    client
        .edit(
            &host.clone().child("description"),
            &XmlNode::with_text_content("description", "edited leaf"),
        )
        .await
        .expect("edit a leaf");
    let read: AddressObject = client
        .get_entry(&loc, "h1")
        .await
        .expect("get")
        .expect("h1");
    assert_eq!(read.value, Some(AddressValue::IpNetmask("10.0.0.1".into())));
    assert_eq!(read.description.as_deref(), Some("edited leaf"));
}

#[tokio::test]
async fn rules_move_after_a_sibling_and_to_the_bottom() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let loc = vsys1();
    client.create(&loc, &managed_tag()).await.expect("tag");
    for name in ["sg-0a-1", "sg-0a-2"] {
        client
            .create(&loc, &managed_rule(name, "203.0.113.0/24", "10.0.1.10"))
            .await
            .expect("rule");
    }
    let order = || async { names(&client.security_rules(&loc).await.expect("list")).join(",") };
    assert_eq!(order().await, "Clean up,sg-0a-1,sg-0a-2");
    client
        .move_rule(&loc, "Clean up", &Position::After("sg-0a-2".into()))
        .await
        .expect("after");
    assert_eq!(order().await, "sg-0a-1,sg-0a-2,Clean up");
    client
        .move_rule(&loc, "sg-0a-1", &Position::Bottom)
        .await
        .expect("bottom");
    assert_eq!(order().await, "sg-0a-2,Clean up,sg-0a-1");
    client
        .move_rule(&loc, "sg-0a-1", &Position::Bottom)
        .await
        .expect("already at the bottom is a success");
    assert!(
        matches!(
            client.move_rule(&loc, "sg-0a-9", &Position::Top).await,
            Err(Error::ObjectNotFound { .. })
        ),
        "moving a missing rule is an error, not a silent success"
    );
}

#[tokio::test]
async fn get_all_returns_every_selected_entry() {
    let sim = start_sim().await;
    let client = admin_client(&sim);
    let loc = vsys1();
    client.create(&loc, &managed_tag()).await.expect("tag");
    client.create(&loc, &Tag::new("second")).await.expect("tag");
    let entries = client
        .get_all(&loc.objects(ObjectKind::Tag).child("entry"))
        .await
        .expect("get all");
    let names: Vec<_> = entries.iter().filter_map(|e| e.attr("name")).collect();
    assert_eq!(names, [MANAGED_TAG, "second"]);
    assert!(
        client
            .get_all(&loc.objects(ObjectKind::AddressGroup).child("entry"))
            .await
            .expect("get all")
            .is_empty()
    );
}
