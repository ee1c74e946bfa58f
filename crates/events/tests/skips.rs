//! Records that are readable but not for us: each is skipped with a typed reason, never an error.

mod support;

use events::{EventFilter, SkipReason};
use model::ReconcileKey::{RouteTable, SecurityGroup};
use model::{AccountRegion, Provenance, ReconcileKey};
use support::{
    assert_only_skip, assert_only_triggers, by_alice, deployment, event_id, parse, parse_with,
    skip, triggers,
};

#[test]
fn a_failed_call_is_skipped_with_its_error_code() {
    assert_only_skip(
        &parse(include_bytes!("../fixtures/record_failed_call.json")),
        skip(
            "ModifyInstanceAttribute",
            Some(event_id(28)),
            SkipReason::FailedCall {
                error_code: "Client.InvalidInstanceID".into(),
            },
        ),
    );
}

#[test]
fn a_read_only_call_is_skipped() {
    assert_only_skip(
        &parse(include_bytes!("../fixtures/record_read_only_call.json")),
        skip(
            "DescribeInstances",
            Some(event_id(29)),
            SkipReason::ReadOnly,
        ),
    );
}

#[test]
fn another_services_record_is_skipped_with_its_source() {
    let reason = SkipReason::OtherEventSource {
        event_source: "s3.amazonaws.com".into(),
    };
    assert_only_skip(
        &parse(include_bytes!("../fixtures/record_other_event_source.json")),
        skip("PutObject", Some(event_id(30)), reason),
    );
}

#[test]
fn an_ec2_call_we_do_not_act_on_is_skipped() {
    assert_only_skip(
        &parse(include_bytes!("../fixtures/record_unknown_event_name.json")),
        skip("CreateTags", Some(event_id(31)), SkipReason::NotActedOn),
    );
}

#[test]
fn modify_instance_attribute_without_group_set_is_skipped() {
    assert_only_skip(
        &parse(include_bytes!(
            "../fixtures/record_modify_instance_attribute_instance_type.json"
        )),
        skip(
            "ModifyInstanceAttribute",
            Some(event_id(12)),
            SkipReason::NoSecurityGroupChange,
        ),
    );
}

#[test]
fn a_record_for_another_region_is_skipped_only_when_the_filter_names_a_region() {
    let bytes = include_bytes!("../fixtures/record_other_region.json");
    assert_only_skip(
        &parse_with(bytes, &deployment()),
        skip(
            "CreateRoute",
            Some(event_id(32)),
            SkipReason::OtherRegion {
                region: "us-west-2".into(),
            },
        ),
    );
    let provenance = Provenance {
        region: Some("us-west-2".into()),
        ..by_alice("CreateRoute", 32)
    };
    assert_only_triggers(
        &parse(bytes),
        triggers(
            vec![RouteTable("rtb-0a1b2c3d4e5f6071b".into())],
            &provenance,
        ),
    );
}

#[test]
fn a_record_for_another_account_is_skipped() {
    let filter = EventFilter {
        region: None,
        account: Some("444455556666".into()),
        served: Vec::new(),
    };
    assert_only_skip(
        &parse_with(
            include_bytes!("../fixtures/record_start_instances.json"),
            &filter,
        ),
        skip(
            "StartInstances",
            Some(event_id(1)),
            SkipReason::OtherAccount {
                account: "111122223333".into(),
            },
        ),
    );
}

/// A deployment serving an organisation lists its accounts and regions (`PALOSYNC_ACCOUNTS`).
fn serving(pairs: &[(&str, &str)]) -> EventFilter {
    EventFilter {
        region: Some("eu-west-1".into()),
        account: Some("999999999999".into()),
        served: pairs
            .iter()
            .map(|(account, region)| AccountRegion::new(*account, *region))
            .collect(),
    }
}

#[test]
fn a_record_from_a_served_account_and_region_is_accepted_whatever_the_own_account() {
    let start = include_bytes!("../fixtures/record_start_instances.json");
    let ingest = parse_with(start, &serving(&[("111122223333", "us-east-1")]));
    assert_eq!(ingest.triggers.len(), 1, "{ingest:?}");
    assert!(ingest.skips.is_empty(), "{:?}", ingest.skips);
}

#[test]
fn a_record_from_an_account_not_served_is_skipped_naming_the_account() {
    let start = include_bytes!("../fixtures/record_start_instances.json");
    assert_only_skip(
        &parse_with(start, &serving(&[("444455556666", "us-east-1")])),
        skip(
            "StartInstances",
            Some(event_id(1)),
            SkipReason::OtherAccount {
                account: "111122223333".into(),
            },
        ),
    );
}

#[test]
fn a_record_from_a_served_account_in_a_region_not_served_for_it_is_skipped() {
    let start = include_bytes!("../fixtures/record_start_instances.json");
    let filter = serving(&[("111122223333", "eu-west-1"), ("444455556666", "us-east-1")]);
    assert_only_skip(
        &parse_with(start, &filter),
        skip(
            "StartInstances",
            Some(event_id(1)),
            SkipReason::OtherRegion {
                region: "us-east-1".into(),
            },
        ),
    );
}

#[test]
fn the_deployments_own_schedule_is_accepted_when_its_account_is_not_among_those_served() {
    let schedule = include_bytes!("../fixtures/eventbridge_scheduled_event.json");
    let filter = EventFilter {
        region: Some("us-east-1".into()),
        account: Some("111122223333".into()),
        served: vec![AccountRegion::new("444455556666", "eu-west-1")],
    };
    let ingest = parse_with(schedule, &filter);
    assert_eq!(
        ingest.triggers.iter().map(|t| &t.key).collect::<Vec<_>>(),
        [&ReconcileKey::Everything]
    );
    let elsewhere = EventFilter {
        account: Some("444455556666".into()),
        ..filter
    };
    let ingest = parse_with(schedule, &elsewhere);
    assert!(
        ingest.triggers.is_empty(),
        "another deployment's schedule: {ingest:?}"
    );
}

#[test]
fn duplicate_event_ids_in_one_log_file_count_once() {
    let ingest = parse(include_bytes!("../fixtures/log_file_duplicates.json"));
    let mut expected = triggers(
        vec![SecurityGroup("sg-0a1b2c3d4e5f60718".into())],
        &by_alice("ModifySecurityGroupRules", 9),
    );
    expected.extend(triggers(
        vec![SecurityGroup("sg-0fedcba9876543212".into())],
        &by_alice("RevokeSecurityGroupIngress", 8),
    ));
    assert_eq!(ingest.triggers, expected);
    let duplicate = |name: &str, n| skip(name, Some(event_id(n)), SkipReason::DuplicateEvent);
    assert_eq!(
        ingest.skips,
        vec![
            duplicate("ModifySecurityGroupRules", 9),
            duplicate("ModifySecurityGroupRules", 9),
            duplicate("RevokeSecurityGroupIngress", 8),
        ]
    );
}

#[test]
fn a_record_without_the_ids_it_should_carry_is_skipped() {
    let record = br#"{"eventSource":"ec2.amazonaws.com","eventName":"StartInstances",
        "eventID":"e-1","requestParameters":{"instancesSet":{}},"responseElements":null}"#;
    let reason = SkipReason::MissingResourceId {
        field: "requestParameters.instancesSet".into(),
    };
    assert_only_skip(
        &parse(record),
        skip("StartInstances", Some("e-1".into()), reason),
    );
}

#[test]
fn regression_ids_of_the_wrong_kind_are_not_reconciled() {
    // A group id where an instance id belongs must not become an Instance key.
    let record = br#"{"eventSource":"ec2.amazonaws.com","eventName":"ModifyInstanceAttribute",
        "requestParameters":{"instanceId":"sg-0a1b2c3d4e5f60718","groupSet":{"items":[]}}}"#;
    let ingest = parse(record);
    assert_eq!(ingest.keys(), Vec::<&ReconcileKey>::new());
    assert_eq!(
        ingest.skips[0].reason,
        SkipReason::MissingResourceId {
            field: "requestParameters.instanceId".into()
        }
    );
}
