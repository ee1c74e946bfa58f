//! SQS batches and SNS notifications: envelopes whose payload is a JSON string.
//!
//! An SQS body may hold an EventBridge event, an S3 notification or an SNS envelope; each message
//! gets its own outcome so one bad message fails alone (for `batchItemFailures`). An SNS
//! `Message` may hold an EventBridge event, an S3 notification or a CloudTrail delivery notice;
//! SNS retries whole invocations, so a bad SNS message fails the payload. A `Message` that is
//! not JSON at all, or JSON of no kind we read (a topic shared with alarms or people), is not
//! for us: it is a skip with its reason, since retrying cannot make it an event.

use crate::collector::Collector;
use crate::ec2_json::text;
use crate::envelope::{parse_in, parse_shape, records_of};
use crate::error::{Envelope, EventsError};
use crate::ingest::{EventFilter, Ingest, MessageOutcome};
use crate::shape;
use crate::skip::SkipReason;
use serde_json::Value;

pub(crate) fn sqs_batch(batch: &Value, collector: &mut Collector<'_>) {
    for (index, message) in records_of(batch).enumerate() {
        let message_id = text(Some(message), "messageId")
            .map_or_else(|| format!("Records[{index}]"), str::to_owned);
        let result = sqs_message(message, collector.filter());
        collector.message(MessageOutcome { message_id, result });
    }
}

fn sqs_message(message: &Value, filter: &EventFilter) -> Result<Ingest, EventsError> {
    let source = text(Some(message), "eventSource");
    if source != Some("aws:sqs") {
        let problem = format!("message has eventSource {source:?}, not \"aws:sqs\"");
        return Err(EventsError::malformed(Envelope::SqsBatch, problem));
    }
    let body = message
        .get("body")
        .and_then(Value::as_str)
        .ok_or_else(|| EventsError::malformed(Envelope::SqsBatch, "message has no string body"))?;
    parse_in(body.as_bytes(), Envelope::SqsMessageBody, filter)
}

/// The Lambda SNS event: `{"Records":[{"EventSource":"aws:sns","Sns":{…}}]}`.
pub(crate) fn sns_records(
    payload: &Value,
    collector: &mut Collector<'_>,
) -> Result<(), EventsError> {
    for (index, record) in records_of(payload).enumerate() {
        let sns = record
            .get("Sns")
            .filter(|sns| sns.is_object())
            .ok_or_else(|| {
                EventsError::malformed(Envelope::Sns, format!("Records[{index}] has no Sns object"))
            })?;
        sns_notification(sns, collector)?;
    }
    Ok(())
}

/// One SNS notification (`Type`, `MessageId`, `Message`…), from Lambda or inside an SQS body.
pub(crate) fn sns_notification(
    sns: &Value,
    collector: &mut Collector<'_>,
) -> Result<(), EventsError> {
    if let Some(kind) = text(Some(sns), "Type").filter(|kind| *kind != "Notification") {
        let reason = SkipReason::NotSnsNotification {
            message_type: kind.to_owned(),
        };
        let id = text(Some(sns), "MessageId").map(str::to_owned);
        collector.skip(Some(kind.to_owned()), id, reason);
        return Ok(());
    }
    let message = sns.get("Message").and_then(Value::as_str).ok_or_else(|| {
        EventsError::malformed(Envelope::Sns, "notification has no string Message")
    })?;
    let not_for_us = match shape::detect(message.as_bytes(), Envelope::SnsMessage) {
        Ok(shape) => {
            let filter = collector.filter();
            let part = parse_shape(message.as_bytes(), shape, Envelope::SnsMessage, filter)?;
            collector.absorb(part);
            return Ok(());
        }
        Err(EventsError::InvalidJson { .. }) => SkipReason::SnsMessageNotJson,
        Err(EventsError::NotRecognised { found, .. }) => {
            SkipReason::SnsMessageNotRecognised { found }
        }
        Err(other) => return Err(other),
    };
    let kind = text(Some(sns), "Type").map(str::to_owned);
    let id = text(Some(sns), "MessageId").map(str::to_owned);
    collector.skip(kind, id, not_for_us);
    Ok(())
}
