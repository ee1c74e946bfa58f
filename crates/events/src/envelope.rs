//! The entry point for any payload: detect its envelope by shape and hand it to the parser for
//! that envelope. Nested payloads (an SQS body, an SNS message) come back through here with
//! their own envelope, so errors name where they happened. Plain log files go to the streaming
//! parser; everything else is small and is read as a JSON value first.

use crate::collector::{Collector, Origin};
use crate::error::{Envelope, EventsError};
use crate::ingest::{EventFilter, Ingest};
use crate::logfile::{is_gzip, parse_log_file, parse_record_array, parse_with};
use crate::record::Record;
use crate::shape::{self, Shape};
use crate::skip::SkipReason;
use crate::{eventbridge, lookup, queues, s3};
use serde::Deserialize;
use serde_json::Value;

/// Any Lambda payload or CLI input: EventBridge, S3 notification, SQS, SNS, bare CloudTrail
/// record, CloudTrail log file body (plain or gzip), a JSON array of records, `aws cloudtrail
/// lookup-events` output, or a schedule.
pub fn parse_payload(bytes: &[u8], filter: &EventFilter) -> Result<Ingest, EventsError> {
    if is_gzip(bytes) {
        return parse_log_file(bytes, filter);
    }
    parse_in(bytes, Envelope::Payload, filter)
}

/// Parses `bytes` found in `envelope` (the whole payload, an SQS body, an SNS message).
pub(crate) fn parse_in(
    bytes: &[u8],
    envelope: Envelope,
    filter: &EventFilter,
) -> Result<Ingest, EventsError> {
    parse_shape(bytes, shape::detect(bytes, envelope)?, envelope, filter)
}

/// Parses `bytes` already classified as `shape`.
pub(crate) fn parse_shape(
    bytes: &[u8],
    shape: Shape,
    envelope: Envelope,
    filter: &EventFilter,
) -> Result<Ingest, EventsError> {
    let value = || {
        serde_json::from_slice::<Value>(bytes).map_err(|err| EventsError::from_json(envelope, &err))
    };
    let mut collector = Collector::new(filter);
    match shape {
        Shape::LogFile => {
            return parse_with(&mut serde_json::Deserializer::from_slice(bytes), filter);
        }
        Shape::RecordArray => {
            return parse_record_array(&mut serde_json::Deserializer::from_slice(bytes), filter);
        }
        Shape::LookupEvents => {
            let mut collector = Collector::for_log_file(filter);
            lookup::lookup_events(&value()?, &mut collector)?;
            return Ok(collector.finish());
        }
        Shape::EventBridge => eventbridge::event(value()?, &mut collector)?,
        Shape::SchedulerAction => eventbridge::scheduler_action(&value()?, &mut collector)?,
        Shape::S3Notification => s3::notification(&value()?, &mut collector)?,
        Shape::S3TestEvent => {
            let name = Some("s3:TestEvent".to_owned());
            collector.skip(name, None, SkipReason::S3TestEvent);
        }
        Shape::DeliveryNotice => s3::delivery_notice(&value()?, &mut collector)?,
        Shape::SqsBatch => queues::sqs_batch(&value()?, &mut collector),
        Shape::SnsRecords => queues::sns_records(&value()?, &mut collector)?,
        Shape::SnsEnvelope => {
            queues::sns_notification(&value()?, &mut collector)?;
        }
        Shape::Record => collector.record(read_record(value()?)?, &Origin::default()),
    }
    Ok(collector.finish())
}

/// A CloudTrail record from a JSON value; the record reader accepts any value.
pub(crate) fn read_record(value: Value) -> Result<Record, EventsError> {
    Record::deserialize(value)
        .map_err(|err| EventsError::from_json(Envelope::CloudTrailRecord, &err))
}

/// The elements of a `Records` array (empty when there is none).
pub(crate) fn records_of(value: &Value) -> impl Iterator<Item = &Value> {
    value
        .get("Records")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}
