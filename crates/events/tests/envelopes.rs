//! Every envelope a payload can arrive in, recognised by shape: exact keys, provenance, log
//! objects and per-message outcomes.

mod support;

use events::{
    Envelope, EventFilter, EventsError, Ingest, LogObjectRef, SkipReason, SkipTally,
    parse_log_file, parse_payload,
};
use flate2::{Compression, write::GzEncoder};
use model::Provenance;
use model::ReconcileKey::{Everything, Instance, SecurityGroup};
use std::io::Write;
use support::{
    ACCOUNT, REGION, assert_only_skip, assert_only_triggers, by_alice, by_deploy, deployment,
    event_id, parse, parse_with, skip, triggers,
};

const LOG_KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/27/111122223333_CloudTrail_us-east-1_20261127T0105Z_AbCdEfGh12345678.json.gz";

fn eventbridge(detail_type: &str, n: u64, time: &str) -> Provenance {
    Provenance {
        event_name: detail_type.to_owned(),
        event_id: Some(format!("7400a4bd-d520-3e73-7dd9-{n:012x}")),
        event_time: Some(time.to_owned()),
        region: Some(REGION.to_owned()),
        account: Some(ACCOUNT.to_owned()),
        ..Provenance::default()
    }
}

fn log_object(key: &str, region: Option<&str>) -> LogObjectRef {
    LogObjectRef {
        bucket: "trail-bucket".to_owned(),
        key: key.to_owned(),
        region: region.map(str::to_owned),
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(bytes)
        .expect("writing to a Vec cannot fail");
    encoder.finish().expect("writing to a Vec cannot fail")
}

#[test]
fn eventbridge_api_call_yields_the_records_keys_and_provenance() {
    let ingest = parse(include_bytes!("../fixtures/eventbridge_api_call.json"));
    let provenance = by_alice("AuthorizeSecurityGroupIngress", 5);
    assert_only_triggers(
        &ingest,
        triggers(
            vec![SecurityGroup("sg-0a1b2c3d4e5f60718".into())],
            &provenance,
        ),
    );
}

#[test]
fn eventbridge_region_and_account_stand_in_for_a_records_missing_ones() {
    let mut event: serde_json::Value =
        serde_json::from_slice(include_bytes!("../fixtures/eventbridge_api_call.json")).unwrap();
    let detail = event["detail"].as_object_mut().unwrap();
    detail.remove("awsRegion");
    detail.remove("recipientAccountId");
    let ingest = parse_with(&serde_json::to_vec(&event).unwrap(), &deployment());
    assert_eq!(
        ingest.triggers[0].provenance,
        by_alice("AuthorizeSecurityGroupIngress", 5)
    );
}

#[test]
fn eventbridge_state_change_reconciles_the_instance() {
    let ingest = parse(include_bytes!("../fixtures/eventbridge_state_change.json"));
    let provenance = eventbridge(
        "EC2 Instance State-change Notification",
        2,
        "2026-11-27T01:31:07Z",
    );
    assert_only_triggers(
        &ingest,
        triggers(vec![Instance("i-0123456789abcdef0".into())], &provenance),
    );
}

#[test]
fn eventbridge_scheduled_event_means_everything() {
    let ingest = parse(include_bytes!(
        "../fixtures/eventbridge_scheduled_event.json"
    ));
    // A schedule is about everything served, not about the account whose bus ran it.
    let provenance = Provenance {
        account: None,
        region: None,
        ..eventbridge("Scheduled Event", 3, "2026-11-27T02:00:00Z")
    };
    assert_only_triggers(&ingest, triggers(vec![Everything], &provenance));
}

#[test]
fn scheduler_sync_action_means_everything() {
    let ingest = parse(include_bytes!("../fixtures/scheduler_sync.json"));
    assert_only_triggers(
        &ingest,
        triggers(vec![Everything], &Provenance::sync("sync")),
    );
}

#[test]
fn eventbridge_detail_type_we_do_not_act_on_is_skipped() {
    let event = br#"{"version":"0","id":"ev-1","detail-type":"EBS Snapshot Notification",
        "source":"aws.ec2","detail":{}}"#;
    let reason = SkipReason::UnsupportedDetailType {
        detail_type: "EBS Snapshot Notification".into(),
    };
    assert_only_skip(
        &parse(event),
        skip("EBS Snapshot Notification", Some("ev-1".into()), reason),
    );
}

#[test]
fn s3_notification_yields_decoded_cloudtrail_log_objects_only() {
    let bytes = include_bytes!("../fixtures/s3_notification.json");
    let ingest = parse(bytes);
    let other_region = "trail logs/AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/27/111122223333_CloudTrail_eu-west-1_20261127T0105Z_QrStUvWx=9876543.json.gz";
    assert_eq!(
        ingest.log_objects,
        vec![
            log_object(&format!("trail logs/{LOG_KEY}"), Some(REGION)),
            log_object(other_region, Some(REGION)),
        ]
    );
    let not_log = |key: &str| {
        skip(
            "ObjectCreated:Put",
            None,
            SkipReason::NotCloudTrailLog {
                key: format!("trail logs/AWSLogs/111122223333/{key}"),
            },
        )
    };
    assert_eq!(
        ingest.skips,
        vec![
            not_log(
                "CloudTrail-Digest/us-east-1/2026/11/27/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20261127T010512Z.json.gz"
            ),
            not_log(
                "CloudTrail-Insight/us-east-1/2026/11/27/111122223333_CloudTrail-Insight_us-east-1_20261127T0105Z_Zz.json.gz"
            ),
            skip("ObjectRemoved:Delete", None, SkipReason::NotObjectCreated),
        ]
    );
    assert_eq!(ingest.triggers, vec![]);

    let filtered = parse_with(bytes, &deployment());
    assert_eq!(
        filtered.log_objects,
        vec![log_object(&format!("trail logs/{LOG_KEY}"), Some(REGION))]
    );
    let other_region_skip = skip(
        "ObjectCreated:Put",
        None,
        SkipReason::OtherRegion {
            region: "eu-west-1".into(),
        },
    );
    assert!(filtered.skips.contains(&other_region_skip));
}

#[test]
fn s3_test_event_is_ignored() {
    assert_only_skip(
        &parse(include_bytes!("../fixtures/s3_test_event.json")),
        skip("s3:TestEvent", None, SkipReason::S3TestEvent),
    );
}

#[test]
fn sqs_batch_gives_each_message_its_own_outcome_and_one_bad_message_fails_alone() {
    let ingest = parse(include_bytes!("../fixtures/sqs_batch.json"));
    let stop = triggers(
        vec![Instance("i-0f1e2d3c4b5a69781".into())],
        &by_deploy("StopInstances", 2, "198.51.100.7"),
    );
    let state_change = triggers(
        vec![Instance("i-0123456789abcdef0".into())],
        &eventbridge(
            "EC2 Instance State-change Notification",
            2,
            "2026-11-27T01:31:07Z",
        ),
    );
    let message_id = |n: u64| format!("059f36b4-87a3-44ab-83d2-{n:012x}");
    let ok = |triggers, log_objects| Ingest {
        triggers,
        log_objects,
        ..Ingest::default()
    };

    let ids: Vec<&str> = ingest
        .messages
        .iter()
        .map(|m| m.message_id.as_str())
        .collect();
    assert_eq!(
        ids,
        (1..=5).map(message_id).collect::<Vec<_>>(),
        "one outcome per message, in batch order"
    );
    assert_eq!(ingest.messages[0].result, Ok(ok(stop.clone(), vec![])));
    assert_eq!(
        ingest.messages[1].result,
        Ok(ok(vec![], vec![log_object(LOG_KEY, Some(REGION))]))
    );
    assert_eq!(
        ingest.messages[2].result,
        Ok(ok(state_change.clone(), vec![]))
    );
    assert_eq!(
        ingest.messages[3].result,
        Err(EventsError::InvalidJson {
            envelope: Envelope::SqsMessageBody,
            line: 1,
            column: 59,
            message: "EOF while parsing a value".into(),
        })
    );
    assert_eq!(ingest.messages[4].result, Ok(ok(stop.clone(), vec![])));
    assert_eq!(
        ingest.failed_message_ids().collect::<Vec<_>>(),
        vec![message_id(4)]
    );

    // The batch as a whole: the union of the good messages, the redelivered event once.
    assert_eq!(ingest.triggers, [stop, state_change].concat());
    assert_eq!(
        ingest.skips,
        vec![skip(
            "StopInstances",
            Some(event_id(2)),
            SkipReason::DuplicateEvent
        )]
    );
    assert_eq!(ingest.log_objects, vec![log_object(LOG_KEY, Some(REGION))]);
}

#[test]
fn sqs_body_of_a_kind_sqs_does_not_carry_fails_that_message_with_the_accepted_kinds() {
    let record = include_str!("../fixtures/record_start_instances.json");
    let batch = serde_json::json!({"Records": [{"messageId": "m-1", "eventSource": "aws:sqs",
        "body": record}]});
    let ingest = parse(&serde_json::to_vec(&batch).unwrap());
    let Err(EventsError::NotRecognised {
        envelope, accepted, ..
    }) = &ingest.messages[0].result
    else {
        panic!(
            "expected not recognised, got {:?}",
            ingest.messages[0].result
        );
    };
    assert_eq!(*envelope, Envelope::SqsMessageBody);
    assert_eq!(
        accepted,
        "an EventBridge event, an S3 event notification, or an SNS envelope"
    );
}

#[test]
fn sns_message_holding_an_eventbridge_event_yields_its_record() {
    let ingest = parse(include_bytes!("../fixtures/sns_eventbridge.json"));
    let provenance = by_alice("DeleteSecurityGroup", 10);
    assert_only_triggers(
        &ingest,
        triggers(
            vec![SecurityGroup("sg-0fedcba9876543212".into())],
            &provenance,
        ),
    );
}

#[test]
fn sns_message_holding_an_s3_notification_yields_the_log_object() {
    let ingest = parse(include_bytes!("../fixtures/sns_s3_notification.json"));
    assert_eq!(ingest.log_objects, vec![log_object(LOG_KEY, Some(REGION))]);
    assert_eq!((ingest.triggers, ingest.skips), (vec![], vec![]));
}

#[test]
fn sns_cloudtrail_delivery_notice_yields_every_log_object() {
    let ingest = parse(include_bytes!("../fixtures/sns_delivery_notice.json"));
    let second = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/27/111122223333_CloudTrail_us-east-1_20261127T0110Z_HgFeDcBa87654321.json.gz";
    assert_eq!(
        ingest.log_objects,
        vec![log_object(LOG_KEY, None), log_object(second, None)]
    );
    assert_eq!((ingest.triggers, ingest.skips), (vec![], vec![]));
}

fn expected_log_file_ingest() -> Ingest {
    let mut expected_triggers = triggers(
        vec![Instance("i-0f1e2d3c4b5a69781".into())],
        &by_alice("StartInstances", 1),
    );
    expected_triggers.extend(triggers(
        vec![
            Instance("i-0f1e2d3c4b5a69781".into()),
            Instance("i-02468ace13579bdf0".into()),
        ],
        &by_alice("TerminateInstances", 3),
    ));
    let tally = |name: &str, reason| SkipTally {
        event_name: Some(name.to_owned()),
        reason,
        count: 1,
    };
    Ingest {
        triggers: expected_triggers,
        skips: vec![
            skip(
                "ModifyInstanceAttribute",
                Some(event_id(28)),
                SkipReason::FailedCall {
                    error_code: "Client.InvalidInstanceID".into(),
                },
            ),
            skip(
                "StartInstances",
                Some(event_id(1)),
                SkipReason::DuplicateEvent,
            ),
            skip(
                "CreateRoute",
                Some(event_id(32)),
                SkipReason::OtherRegion {
                    region: "us-west-2".into(),
                },
            ),
        ],
        skip_tallies: vec![
            tally("CreateTags", SkipReason::NotActedOn),
            tally("DescribeInstances", SkipReason::ReadOnly),
            tally(
                "PutObject",
                SkipReason::OtherEventSource {
                    event_source: "s3.amazonaws.com".into(),
                },
            ),
        ],
        ..Ingest::default()
    }
}

#[test]
fn cloudtrail_log_file_body_is_parsed_plain() {
    let bytes = include_bytes!("../fixtures/log_file.json");
    assert_eq!(parse_with(bytes, &deployment()), expected_log_file_ingest());
    assert_eq!(
        parse_log_file(&bytes[..], &deployment()),
        Ok(expected_log_file_ingest())
    );
}

#[test]
fn cloudtrail_log_file_body_is_parsed_gzip() {
    let compressed = gzip(include_bytes!("../fixtures/log_file.json"));
    assert_eq!(
        parse_with(&compressed, &deployment()),
        expected_log_file_ingest()
    );
    assert_eq!(
        parse_log_file(compressed.as_slice(), &deployment()),
        Ok(expected_log_file_ingest())
    );
}

#[test]
fn invalid_json_names_the_envelope_and_position() {
    assert_eq!(
        parse_payload(b"{\n \"detail-type\": trux\n}", &EventFilter::any()),
        Err(EventsError::InvalidJson {
            envelope: Envelope::Payload,
            line: 2,
            column: 20,
            message: "expected ident".into(),
        })
    );
}

#[test]
fn an_unrecognised_payload_says_what_it_found_and_what_is_accepted() {
    let err = parse_payload(br#"{"hello": 1, "world": [2]}"#, &EventFilter::any()).unwrap_err();
    let EventsError::NotRecognised {
        envelope, found, ..
    } = &err
    else {
        panic!("expected not recognised, got {err:?}");
    };
    assert_eq!(*envelope, Envelope::Payload);
    assert_eq!(found, r#"found an object with keys "hello", "world""#);
    let message = err.to_string();
    assert!(message.starts_with("payload: not a recognised payload (found an object"));
    assert!(message.contains("an SQS batch"), "{message}");
    let text = parse_payload(br#""StartInstances""#, &EventFilter::any()).unwrap_err();
    assert!(text.to_string().contains("(found a string)"), "{text}");
}

#[test]
fn a_log_file_without_records_is_an_error() {
    assert_eq!(
        parse_log_file(&br#"{"Digest": 1}"#[..], &EventFilter::any()),
        Err(EventsError::Malformed {
            envelope: Envelope::CloudTrailLogFile,
            problem: "no \"Records\" array".into(),
        })
    );
}

#[test]
fn a_truncated_gzip_log_file_is_a_read_error() {
    let compressed = gzip(include_bytes!("../fixtures/log_file.json"));
    let truncated = &compressed[..compressed.len() / 2];
    let err = parse_payload(truncated, &EventFilter::any()).unwrap_err();
    assert!(
        matches!(
            err,
            EventsError::Read {
                envelope: Envelope::CloudTrailLogFile,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn an_api_call_event_without_detail_is_malformed() {
    let event = br#"{"id":"ev-2","detail-type":"AWS API Call via CloudTrail","detail":"x"}"#;
    assert_eq!(
        parse_payload(event, &EventFilter::any()),
        Err(EventsError::Malformed {
            envelope: Envelope::EventBridge,
            problem: "\"AWS API Call via CloudTrail\" event has no detail object".into(),
        })
    );
}

#[test]
fn a_scheduler_action_other_than_sync_is_malformed() {
    assert_eq!(
        parse_payload(br#"{"action":"stop"}"#, &EventFilter::any()),
        Err(EventsError::Malformed {
            envelope: Envelope::Schedule,
            problem: "action Some(\"stop\") is not \"sync\"".into(),
        })
    );
}
