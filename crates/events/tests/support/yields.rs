//! What a payload yields, flattened to one comparable list, for tables of inputs and outcomes.

use Yield::*;
use events::{Envelope, EventsError, Ingest, LogObjectRef, SkipReason};
use model::ReconcileKey::{self, Instance, SecurityGroup};

/// One thing a payload yields, in the order `Ingest` lists it.
#[derive(Debug, Clone, PartialEq)]
pub enum Yield {
    /// A reconcile key and the event name of the record (or detail-type) that named it.
    Key(String, ReconcileKey),
    /// An itemised skip: event name and reason.
    Skip(Option<String>, SkipReason),
    /// Irrelevant records of a log or record list, counted: event name, reason, count.
    Tally(Option<String>, SkipReason, u64),
    Log(LogObjectRef),
    /// An SQS message that succeeded.
    MessageOk(String),
    /// An SQS message that failed alone, and where.
    MessageFailed(String, Envelope),
    /// The payload as a whole was refused as not a recognised shape.
    NotRecognised(Envelope),
}

pub fn yields(result: Result<Ingest, EventsError>) -> Vec<Yield> {
    let ingest = match result {
        Ok(ingest) => ingest,
        Err(EventsError::NotRecognised { envelope, .. }) => return vec![NotRecognised(envelope)],
        Err(other) => panic!("unexpected error {other}"),
    };
    let mut out = Vec::new();
    for trigger in ingest.triggers {
        out.push(Key(trigger.provenance.event_name, trigger.key));
    }
    for skip in ingest.skips {
        out.push(Skip(skip.event_name, skip.reason));
    }
    for tally in ingest.skip_tallies {
        out.push(Tally(tally.event_name, tally.reason, tally.count));
    }
    out.extend(ingest.log_objects.into_iter().map(Log));
    for message in ingest.messages {
        out.push(match message.result {
            Ok(_) => MessageOk(message.message_id),
            Err(err) => MessageFailed(message.message_id, envelope_of(&err)),
        });
    }
    out
}

pub fn envelope_of(err: &EventsError) -> Envelope {
    match err {
        EventsError::InvalidJson { envelope, .. }
        | EventsError::NotRecognised { envelope, .. }
        | EventsError::Malformed { envelope, .. }
        | EventsError::Read { envelope, .. } => *envelope,
    }
}

pub fn key(event_name: &str, key: ReconcileKey) -> Yield {
    Key(event_name.to_owned(), key)
}

pub fn skip(event_name: &str, reason: SkipReason) -> Yield {
    Skip(Some(event_name.to_owned()), reason)
}

pub fn tally(event_name: &str, reason: SkipReason, count: u64) -> Yield {
    Tally(Some(event_name.to_owned()), reason, count)
}

pub fn log(bucket: &str, key: &str, region: Option<&str>) -> Yield {
    Log(LogObjectRef {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        region: region.map(str::to_owned),
    })
}

pub fn failed(error_code: &str) -> SkipReason {
    SkipReason::FailedCall {
        error_code: error_code.to_owned(),
    }
}

pub fn instance(id: &str) -> ReconcileKey {
    Instance(id.into())
}

pub fn group(id: &str) -> ReconcileKey {
    SecurityGroup(id.into())
}

pub fn other_source(source: &str) -> SkipReason {
    SkipReason::OtherEventSource {
        event_source: source.to_owned(),
    }
}
