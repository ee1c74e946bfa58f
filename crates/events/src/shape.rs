//! Recognising a payload by its shape, never by a setting.
//!
//! One streaming pass over the bytes reads only the top-level key names, a few short values and
//! the event source of the first element of `Records`; everything else is skipped unbuilt, so a
//! large plain log file costs no memory here. Invalid JSON is reported with its position. This
//! module only classifies; it never interprets a payload.

use crate::error::{Envelope, EventsError};
use crate::lenient::{Lenient, ObjectVisitor, Scalar, drain_map, drain_seq};
use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

/// The kinds of payload palosync accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Top-level `detail-type`.
    EventBridge,
    /// `Records[0].eventSource == "aws:s3"`.
    S3Notification,
    /// `{"Service":"Amazon S3","Event":"s3:TestEvent"}`.
    S3TestEvent,
    /// `Records[0].eventSource == "aws:sqs"`.
    SqsBatch,
    /// `Records[0].EventSource == "aws:sns"` (the Lambda SNS record).
    SnsRecords,
    /// `{"Type":"Notification","Message":"…"}` (SNS delivered to SQS or HTTP).
    SnsEnvelope,
    /// `{"Records":[…]}` of CloudTrail records.
    LogFile,
    /// A single CloudTrail record.
    Record,
    /// A top-level JSON array of CloudTrail records (attack-simulation logs, `jq '.Records'`).
    RecordArray,
    /// `aws cloudtrail lookup-events` output: `{"Events":[{"CloudTrailEvent":"<record>",…}]}`.
    LookupEvents,
    /// EventBridge Scheduler `{"action":"sync"}`.
    SchedulerAction,
    /// A trail's own SNS notice `{"s3Bucket":"…","s3ObjectKey":[…]}`.
    DeliveryNotice,
}

/// What one pass over the top level saw.
#[derive(Debug, Default)]
struct Peek {
    /// The first top-level key names, for error messages.
    key_names: Vec<String>,
    /// The JSON type when the payload is not an object.
    not_an_object: Option<&'static str>,
    /// The payload is an array.
    array: bool,
    /// A top-level `Events` key (lookup-events output).
    lookup_events: bool,
    detail_type: bool,
    /// `Some` when `Records` is present: the event source of its first element, if any.
    records: Option<RecordsPeek>,
    s3_test_event: bool,
    action: bool,
    s3_bucket: bool,
    sns_type: bool,
    sns_message: bool,
    cloudtrail_field: bool,
}

#[derive(Debug)]
enum RecordsPeek {
    FirstSource(Option<String>),
    NotAnArray,
}

/// Classifies `bytes` in the context of `envelope` (which decides what is accepted there).
pub(crate) fn detect(bytes: &[u8], envelope: Envelope) -> Result<Shape, EventsError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let peek = deserializer
        .deserialize_any(Lenient(PeekVisitor))
        .and_then(|peek| deserializer.end().map(|()| peek))
        .map_err(|err| EventsError::from_json(envelope, &err))?;
    let shape = classify(&peek);
    match shape {
        Some(shape) if accepted_in(envelope, shape) => Ok(shape),
        _ => Err(EventsError::NotRecognised {
            envelope,
            found: describe(&peek),
            accepted: accepted_description(envelope).to_owned(),
        }),
    }
}

fn classify(peek: &Peek) -> Option<Shape> {
    if peek.array {
        return Some(Shape::RecordArray);
    }
    if peek.detail_type {
        return Some(Shape::EventBridge);
    }
    if let Some(records) = &peek.records {
        return match records {
            RecordsPeek::NotAnArray => None,
            RecordsPeek::FirstSource(source) => Some(match source.as_deref() {
                Some("aws:s3") => Shape::S3Notification,
                Some("aws:sqs") => Shape::SqsBatch,
                Some("aws:sns") => Shape::SnsRecords,
                _ => Shape::LogFile,
            }),
        };
    }
    if peek.lookup_events {
        return Some(Shape::LookupEvents);
    }
    if peek.s3_test_event {
        return Some(Shape::S3TestEvent);
    }
    if peek.action {
        return Some(Shape::SchedulerAction);
    }
    if peek.s3_bucket {
        return Some(Shape::DeliveryNotice);
    }
    if peek.sns_type && peek.sns_message {
        return Some(Shape::SnsEnvelope);
    }
    peek.cloudtrail_field.then_some(Shape::Record)
}

fn accepted_in(envelope: Envelope, shape: Shape) -> bool {
    match envelope {
        Envelope::SqsMessageBody => matches!(
            shape,
            Shape::EventBridge | Shape::S3Notification | Shape::S3TestEvent | Shape::SnsEnvelope
        ),
        Envelope::SnsMessage => matches!(
            shape,
            Shape::EventBridge | Shape::S3Notification | Shape::S3TestEvent | Shape::DeliveryNotice
        ),
        // Record arrays and lookup-events output are what a person hands to `palosync handle`;
        // no queue carries them, so only the whole payload may be one.
        _ => true,
    }
}

fn accepted_description(envelope: Envelope) -> &'static str {
    match envelope {
        Envelope::SqsMessageBody => {
            "an EventBridge event, an S3 event notification, or an SNS envelope"
        }
        Envelope::SnsMessage => {
            "an EventBridge event, an S3 event notification, or a CloudTrail delivery notice \
             {\"s3Bucket\",\"s3ObjectKey\"}"
        }
        _ => {
            "an EventBridge event (AWS API Call via CloudTrail, EC2 Instance State-change \
             Notification, Scheduled Event), an S3 event notification, an SQS batch, an SNS \
             notification, a CloudTrail record, a CloudTrail log file {\"Records\":[...]} \
             (plain or gzip), a JSON array of CloudTrail records, the output of `aws cloudtrail \
             lookup-events` {\"Events\":[...]}, or an EventBridge Scheduler {\"action\":\"sync\"}"
        }
    }
}

fn describe(peek: &Peek) -> String {
    if let Some(kind) = peek.not_an_object {
        return format!("found {kind}");
    }
    if matches!(peek.records, Some(RecordsPeek::NotAnArray)) {
        return "\"Records\" is not an array".to_owned();
    }
    if peek.key_names.is_empty() {
        return "found an empty object".to_owned();
    }
    let names: Vec<String> = peek.key_names.iter().map(|n| format!("{n:?}")).collect();
    format!("found an object with keys {}", names.join(", "))
}

const KEY_NAMES_KEPT: usize = 8;

struct PeekVisitor;

impl<'de> ObjectVisitor<'de> for PeekVisitor {
    type Value = Peek;
    const EXPECTING: &'static str = "a JSON payload";

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Peek, A::Error> {
        let mut peek = Peek::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "Records" => {
                    let records = Lenient(RecordsPeekVisitor);
                    peek.records = Some(map.next_value_seed(AnySeed(records))?);
                }
                "Event" => {
                    let event = map.next_value::<Scalar>()?.text();
                    peek.s3_test_event = event.as_deref() == Some("s3:TestEvent");
                }
                other => {
                    match other {
                        "detail-type" => peek.detail_type = true,
                        "Events" => peek.lookup_events = true,
                        "action" => peek.action = true,
                        "s3Bucket" => peek.s3_bucket = true,
                        "Type" => peek.sns_type = true,
                        "Message" => peek.sns_message = true,
                        "eventSource" | "eventName" | "eventVersion" => {
                            peek.cloudtrail_field = true;
                        }
                        _ => {}
                    }
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if peek.key_names.len() < KEY_NAMES_KEPT {
                peek.key_names.push(key);
            }
        }
        Ok(peek)
    }

    fn not_an_object(self, kind: &'static str) -> Peek {
        Peek {
            not_an_object: Some(kind),
            ..Peek::default()
        }
    }

    fn array<A: SeqAccess<'de>>(self, seq: A) -> Result<Peek, A::Error> {
        drain_seq(seq)?;
        Ok(Peek {
            array: true,
            ..Peek::default()
        })
    }
}

/// Runs a visitor through `deserialize_any` as a seed.
struct AnySeed<V>(V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for AnySeed<V> {
    type Value = V::Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        deserializer.deserialize_any(self.0)
    }
}

struct RecordsPeekVisitor;

impl<'de> ObjectVisitor<'de> for RecordsPeekVisitor {
    type Value = RecordsPeek;
    const EXPECTING: &'static str = "an array of records";

    fn array<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RecordsPeek, A::Error> {
        let first = seq.next_element::<FirstSource>()?.and_then(|first| first.0);
        drain_seq(seq)?;
        Ok(RecordsPeek::FirstSource(first))
    }

    fn object<A: MapAccess<'de>>(self, map: A) -> Result<RecordsPeek, A::Error> {
        drain_map(map)?;
        Ok(RecordsPeek::NotAnArray)
    }

    fn not_an_object(self, _: &'static str) -> RecordsPeek {
        RecordsPeek::NotAnArray
    }
}

/// `eventSource` (S3, SQS, CloudTrail) or `EventSource` (SNS) of one record.
struct FirstSource(Option<String>);

impl<'de> Deserialize<'de> for FirstSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Lenient(FirstSourceVisitor))
    }
}

struct FirstSourceVisitor;

impl<'de> ObjectVisitor<'de> for FirstSourceVisitor {
    type Value = FirstSource;
    const EXPECTING: &'static str = "a record";

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<FirstSource, A::Error> {
        let mut source = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "eventSource" || key == "EventSource" {
                source = source.or(map.next_value::<Scalar>()?.text());
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(FirstSource(source))
    }

    fn not_an_object(self, _: &'static str) -> FirstSource {
        FirstSource(None)
    }
}
