//! Property: no input makes the parser panic. Arbitrary JSON trees (also wrapped in each of our
//! envelopes, with acted-on event names and random parameters), truncated and garbled fixture
//! bytes, and garbage behind a gzip header all end in `Ok` or a clear error.

use events::{EventFilter, EventsError, Ingest, parse_log_file, parse_payload};
use proptest::prelude::*;
use serde_json::{Value, json};

const FIXTURES: &[&[u8]] = &[
    include_bytes!("../fixtures/eventbridge_api_call.json"),
    include_bytes!("../fixtures/eventbridge_state_change.json"),
    include_bytes!("../fixtures/eventbridge_scheduled_event.json"),
    include_bytes!("../fixtures/scheduler_sync.json"),
    include_bytes!("../fixtures/s3_notification.json"),
    include_bytes!("../fixtures/s3_test_event.json"),
    include_bytes!("../fixtures/sqs_batch.json"),
    include_bytes!("../fixtures/sns_eventbridge.json"),
    include_bytes!("../fixtures/sns_s3_notification.json"),
    include_bytes!("../fixtures/sns_delivery_notice.json"),
    include_bytes!("../fixtures/log_file.json"),
    include_bytes!("../fixtures/record_run_instances.json"),
    include_bytes!("../fixtures/record_modify_security_group_rules.json"),
    include_bytes!("../fixtures/record_authorize_security_group_ingress.json"),
];

const WORDS: &[&str] = &[
    "Records",
    "detail-type",
    "detail",
    "eventSource",
    "EventSource",
    "eventName",
    "eventID",
    "body",
    "Sns",
    "Message",
    "Type",
    "Notification",
    "s3",
    "bucket",
    "object",
    "key",
    "name",
    "requestParameters",
    "responseElements",
    "instancesSet",
    "items",
    "item",
    "instanceId",
    "groupId",
    "groupName",
    "groupSet",
    "networkInterfaceId",
    "attachmentId",
    "routeTableId",
    "associationId",
    "vpcId",
    "prefixListId",
    "prefixList",
    "securityGroupRuleSet",
    "ModifySecurityGroupRulesRequest",
    "GroupId",
    "errorCode",
    "readOnly",
    "userIdentity",
    "awsRegion",
    "recipientAccountId",
    "action",
    "sync",
    "s3Bucket",
    "s3ObjectKey",
    "Event",
    "s3:TestEvent",
    "aws:s3",
    "aws:sqs",
    "aws:sns",
    "ec2.amazonaws.com",
    "ObjectCreated:Put",
    "AWS API Call via CloudTrail",
    "EC2 Instance State-change Notification",
    "Scheduled Event",
    "instance-id",
    "StartInstances",
    "RunInstances",
    "AuthorizeSecurityGroupIngress",
    "DetachNetworkInterface",
    "DisassociateVpcCidrBlock",
    "i-0123",
    "sg-0123",
    "eni-0123",
    "eni-attach-01",
    "rtb-01",
    "rtbassoc-01",
    "vpc-01",
    "pl-01",
    "%ZZ+a%2F/CloudTrail/x.json.gz",
    "messageId",
    "{",
    "[",
    "\"",
    "",
];

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(WORDS).prop_map(str::to_owned),
        1 => ".{0,10}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        word().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(word(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

const ACTED_ON: &[&str] = &[
    "StartInstances",
    "StopInstances",
    "RunInstances",
    "TerminateInstances",
    "AuthorizeSecurityGroupIngress",
    "RevokeSecurityGroupIngress",
    "ModifySecurityGroupRules",
    "DeleteSecurityGroup",
    "ModifyInstanceAttribute",
    "ModifyNetworkInterfaceAttribute",
    "AttachNetworkInterface",
    "DetachNetworkInterface",
    "CreateRoute",
    "ReplaceRoute",
    "DeleteRoute",
    "AssociateRouteTable",
    "ReplaceRouteTableAssociation",
    "DisassociateRouteTable",
    "AssignPrivateIpAddresses",
    "UnassignPrivateIpAddresses",
    "AssociateVpcCidrBlock",
    "DisassociateVpcCidrBlock",
    "ModifyManagedPrefixList",
    "RestoreManagedPrefixListVersion",
    "AssignIpv6Addresses",
    "UnassignIpv6Addresses",
];

/// A random value placed where each envelope expects its content.
fn enveloped() -> impl Strategy<Value = Value> {
    let name = proptest::sample::select(ACTED_ON);
    (json_value(), json_value(), name, 0..10u8).prop_map(|(a, b, name, shape)| {
        let record = json!({"eventSource": "ec2.amazonaws.com", "eventName": name,
            "eventID": "e-1", "requestParameters": a, "responseElements": b});
        match shape {
            0 => record,
            1 => json!({"detail-type": "AWS API Call via CloudTrail", "detail": record}),
            2 => json!({"detail-type": "EC2 Instance State-change Notification", "detail": a}),
            3 => json!({"Records": [{"eventSource": "aws:sqs", "messageId": b,
                                     "body": record.to_string()}, {"eventSource": "aws:sqs",
                                     "body": json!({"Type": "Notification",
                                                    "Message": a.to_string()}).to_string()}]}),
            4 => {
                json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": a.to_string()}}]})
            }
            5 => json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                                     "s3": {"bucket": {"name": a}, "object": {"key": b}}}]}),
            6 => json!({"Records": [a, record, b]}),
            7 => json!({"s3Bucket": a, "s3ObjectKey": b}),
            8 => json!({"action": a, "detail-type": b}),
            _ => json!({"Records": [{"eventSource": "aws:sqs", "body": a.to_string()}]}),
        }
    })
}

/// Parses through both entry points; whatever comes back must be usable.
fn parse_everywhere(bytes: &[u8]) {
    let filter = EventFilter {
        region: Some("us-east-1".into()),
        account: None,
        served: Vec::new(),
    };
    check(parse_payload(bytes, &filter));
    check(parse_log_file(bytes, &filter));
}

fn check(result: Result<Ingest, EventsError>) {
    match result {
        Ok(ingest) => {
            serde_json::to_string(&ingest).expect("an ingest always serializes");
        }
        Err(err) => assert!(!err.to_string().is_empty()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        parse_everywhere(&serde_json::to_vec(&value).expect("a Value serializes"));
    }

    #[test]
    fn arbitrary_content_in_every_envelope_never_panics(value in enveloped()) {
        parse_everywhere(&serde_json::to_vec(&value).expect("a Value serializes"));
    }

    #[test]
    fn truncated_and_garbled_fixtures_never_panic(
        fixture in proptest::sample::select(FIXTURES),
        cut in 0.0..=1.0f64,
        garble in prop::collection::vec((0.0..1.0f64, any::<u8>()), 0..8),
    ) {
        let mut bytes = fixture.to_vec();
        for (at, byte) in garble {
            let index = (at * bytes.len() as f64) as usize;
            if let Some(slot) = bytes.get_mut(index) {
                *slot = byte;
            }
        }
        bytes.truncate((cut * bytes.len() as f64) as usize);
        parse_everywhere(&bytes);
    }

    #[test]
    fn garbage_behind_a_gzip_header_never_panics(
        tail in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let mut bytes = vec![0x1f, 0x8b];
        bytes.extend(tail);
        parse_everywhere(&bytes);
    }
}

#[test]
fn regression_deeply_nested_input_neither_overflows_the_stack_nor_yields_keys() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for payload in [
        deep.clone(),
        format!("{{\"Records\":[{deep}]}}"),
        format!("{{\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":{deep}}}"),
        format!("{{\"eventSource\":\"ec2.amazonaws.com\",\"requestParameters\":{deep}}}"),
    ] {
        let results = [
            parse_payload(payload.as_bytes(), &EventFilter::any()),
            parse_log_file(payload.as_bytes(), &EventFilter::any()),
        ];
        for ingest in results.into_iter().flatten() {
            assert_eq!(ingest.triggers, vec![], "{}", &payload[..40]);
        }
    }
}
