//! Record lists a person hands to `palosync handle`: a bare JSON array of CloudTrail records and
//! the output of `aws cloudtrail lookup-events`; and SNS notifications that are not events
//! (issue 12, item 11).

mod support;

use events::{Envelope, EventFilter, EventsError, SkipReason, SkipTally, parse_payload};
use model::ReconcileKey::{Instance, NetworkInterface};
use support::{by_alice, event_id, parse, skip, triggers};

const START: &str = include_str!("../fixtures/record_start_instances.json");
const READ_ONLY: &str = include_str!("../fixtures/record_read_only_call.json");
const FAILED: &str = include_str!("../fixtures/record_failed_call.json");

fn read_only_tally(count: u64) -> SkipTally {
    SkipTally {
        event_name: Some("DescribeInstances".to_owned()),
        reason: SkipReason::ReadOnly,
        count,
    }
}

#[test]
fn regression_a_json_array_of_records_was_refused_as_unrecognised() {
    let array = format!("[{READ_ONLY}, {START}, {FAILED}, {READ_ONLY}]");
    let ingest = parse(array.as_bytes());
    let started = triggers(
        vec![Instance("i-0f1e2d3c4b5a69781".into())],
        &by_alice("StartInstances", 1),
    );
    assert_eq!(ingest.triggers, started);
    // Like a log file: the failed call is itemised, irrelevant records are counted (the same
    // read-only record twice is one event id, but it is irrelevant before it is a duplicate).
    let failed: serde_json::Value = serde_json::from_str(FAILED).unwrap();
    let failed_name = failed["eventName"].as_str().unwrap();
    let failed_code = failed["errorCode"].as_str().unwrap().to_owned();
    assert_eq!(
        ingest.skips,
        vec![skip(
            failed_name,
            Some(event_id(28)),
            SkipReason::FailedCall {
                error_code: failed_code
            }
        )]
    );
    assert_eq!(ingest.skip_tallies, vec![read_only_tally(2)]);
    assert_eq!(ingest.log_objects, vec![]);
}

#[test]
fn an_empty_array_yields_nothing_and_an_array_of_non_records_only_tallies() {
    let empty = parse(b"[]");
    assert_eq!((empty.triggers, empty.skips), (vec![], vec![]));
    let odd = parse(br#"[1, "x", null]"#);
    assert_eq!(odd.triggers, vec![]);
    assert_eq!(odd.tallied_skips(), 3);
}

#[test]
fn a_record_array_is_refused_inside_queue_messages() {
    let batch = serde_json::json!({"Records": [{"messageId": "m-1", "eventSource": "aws:sqs",
        "body": format!("[{START}]")}]});
    let ingest = parse(&serde_json::to_vec(&batch).unwrap());
    assert!(
        matches!(
            ingest.messages[0].result,
            Err(EventsError::NotRecognised {
                envelope: Envelope::SqsMessageBody,
                ..
            })
        ),
        "{:?}",
        ingest.messages[0].result
    );
    assert_eq!(ingest.triggers, vec![]);
}

#[test]
fn regression_lookup_events_output_was_refused_as_unrecognised() {
    let ingest = parse(include_bytes!("../fixtures/lookup_events.json"));
    // Newest first, as lookup-events lists them; each key carries its record's provenance.
    let mut expected = triggers(
        vec![NetworkInterface("eni-0123456789abcdef3".into())],
        &by_alice("UnassignIpv6Addresses", 0x41),
    );
    expected.extend(triggers(
        vec![Instance("i-0f1e2d3c4b5a69781".into())],
        &by_alice("StartInstances", 1),
    ));
    assert_eq!(ingest.triggers, expected);
    assert_eq!(ingest.skips, vec![]);
    assert_eq!(ingest.skip_tallies, vec![read_only_tally(1)]);
}

#[test]
fn a_lookup_events_entry_without_a_readable_record_is_a_skip_not_an_error() {
    let output = serde_json::json!({"Events": [
        {"EventId": "e-1", "EventName": "StartInstances", "CloudTrailEvent": "{\"eventSo"},
        {"EventId": "e-2", "EventName": "StopInstances"},
        {"EventId": "e-3", "EventName": "RunInstances", "CloudTrailEvent": START},
    ]});
    let ingest = parse(&serde_json::to_vec(&output).unwrap());
    assert_eq!(ingest.triggers.len(), 1);
    assert_eq!(ingest.triggers[0].provenance.event_name, "StartInstances");
    let unreadable: Vec<_> = ingest
        .skip_tallies
        .iter()
        .map(|tally| (tally.event_name.as_deref(), tally.count))
        .collect();
    assert_eq!(
        unreadable,
        vec![(Some("StartInstances"), 1), (Some("StopInstances"), 1)]
    );
    assert!(
        ingest
            .skip_tallies
            .iter()
            .all(|tally| matches!(tally.reason, SkipReason::MalformedRecord { .. }))
    );
}

#[test]
fn lookup_events_output_whose_events_is_not_a_list_is_malformed() {
    assert_eq!(
        parse_payload(br#"{"Events": {"x": 1}}"#, &EventFilter::any()),
        Err(EventsError::Malformed {
            envelope: Envelope::LookupEvents,
            problem: "Events is not an array".into(),
        })
    );
}

fn sns_event(message: &str) -> Vec<u8> {
    let payload = serde_json::json!({"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
        "Sns": {"Type": "Notification", "MessageId": "sns-1", "Subject": "disk",
                "Message": message}}]});
    serde_json::to_vec(&payload).unwrap()
}

#[test]
fn regression_sns_notification_with_a_plain_text_message_failed_the_invocation() {
    let ingest = parse(&sns_event("Disk 91% full on build-3"));
    assert_eq!(ingest.triggers, vec![]);
    assert_eq!(
        ingest.skips,
        vec![skip(
            "Notification",
            Some("sns-1".into()),
            SkipReason::SnsMessageNotJson
        )]
    );
}

#[test]
fn sns_notification_with_json_of_no_kind_we_read_is_a_skip() {
    let ingest = parse(&sns_event(
        r#"{"AlarmName": "cpu", "NewStateValue": "ALARM"}"#,
    ));
    assert_eq!(ingest.triggers, vec![]);
    assert_eq!(
        ingest.skips,
        vec![skip(
            "Notification",
            Some("sns-1".into()),
            SkipReason::SnsMessageNotRecognised {
                found: r#"found an object with keys "AlarmName", "NewStateValue""#.into()
            }
        )]
    );
}

#[test]
fn sns_notification_with_a_broken_event_still_fails() {
    // Recognised as an EventBridge API call but unusable: a real fault, retried, not skipped.
    let message = r#"{"detail-type": "AWS API Call via CloudTrail", "detail": "x"}"#;
    assert!(matches!(
        parse_payload(&sns_event(message), &EventFilter::any()),
        Err(EventsError::Malformed {
            envelope: Envelope::EventBridge,
            ..
        })
    ));
}
