//! Why a record or notification was not turned into a reconcile key.
//!
//! A skip is a normal outcome (a failed call, another service's event, a Describe call), never
//! an error. Every reason is a typed variant so reports and tests can match on it; `Display`
//! gives the sentence an operator reads.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// A record from another AWS service (`s3.amazonaws.com`, `iam.amazonaws.com`…).
    OtherEventSource {
        event_source: String,
    },
    /// `readOnly: true` (`Describe*`, `Get*`…).
    ReadOnly,
    /// An EC2 call that cannot change what the firewall should allow (`CreateTags`…).
    NotActedOn,
    /// The same event id was already seen in this payload.
    DuplicateEvent,
    /// The call failed (`errorCode` set), so nothing changed.
    FailedCall {
        error_code: String,
    },
    OtherRegion {
        region: String,
    },
    OtherAccount {
        account: String,
    },
    /// `ModifyInstanceAttribute` / `ModifyNetworkInterfaceAttribute` without `groupSet`.
    NoSecurityGroupChange,
    /// The record lacks the id that says what changed (e.g. no `instancesSet`).
    MissingResourceId {
        field: String,
    },
    /// The record is not an object or has no event name.
    MalformedRecord {
        problem: String,
    },
    /// `s3:TestEvent`, sent once when a bucket notification is configured.
    S3TestEvent,
    /// An S3 notification that is not `ObjectCreated:*`.
    NotObjectCreated,
    /// An S3 object that is not a CloudTrail log file (digest, insight, other prefix).
    NotCloudTrailLog {
        key: String,
    },
    /// An EventBridge event of a kind we do not act on.
    UnsupportedDetailType {
        detail_type: String,
    },
    /// An SNS envelope that is not a `Notification` (e.g. `SubscriptionConfirmation`).
    NotSnsNotification {
        message_type: String,
    },
    /// An SNS notification whose `Message` is plain text, not JSON (a topic shared with
    /// people or alarms): nothing in it can name what to reconcile.
    SnsMessageNotJson,
    /// An SNS notification whose `Message` is JSON of a kind palosync does not read.
    SnsMessageNotRecognised {
        found: String,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::OtherEventSource { event_source } => {
                write!(f, "event source {event_source} is not EC2")
            }
            SkipReason::ReadOnly => f.write_str("read-only call"),
            SkipReason::NotActedOn => f.write_str("event name not acted on"),
            SkipReason::DuplicateEvent => f.write_str("duplicate event id in this payload"),
            SkipReason::FailedCall { error_code } => write!(f, "call failed with {error_code}"),
            SkipReason::OtherRegion { region } => write!(f, "event for another region {region}"),
            SkipReason::OtherAccount { account } => {
                write!(f, "event for another account {account}")
            }
            SkipReason::NoSecurityGroupChange => f.write_str("no security group change"),
            SkipReason::MissingResourceId { field } => write!(f, "record has no {field}"),
            SkipReason::MalformedRecord { problem } => write!(f, "malformed record: {problem}"),
            SkipReason::S3TestEvent => f.write_str("S3 test event"),
            SkipReason::NotObjectCreated => f.write_str("S3 event is not an object creation"),
            SkipReason::NotCloudTrailLog { key } => {
                write!(f, "S3 object {key} is not a CloudTrail log file")
            }
            SkipReason::UnsupportedDetailType { detail_type } => {
                write!(f, "EventBridge detail-type {detail_type:?} not acted on")
            }
            SkipReason::NotSnsNotification { message_type } => {
                write!(
                    f,
                    "SNS message of type {message_type:?} is not a notification"
                )
            }
            SkipReason::SnsMessageNotJson => {
                f.write_str("SNS notification's Message is not JSON, so not an event")
            }
            SkipReason::SnsMessageNotRecognised { found } => {
                write!(
                    f,
                    "SNS notification's Message is not an event we read ({found})"
                )
            }
        }
    }
}

impl SkipReason {
    /// Irrelevant records are the bulk of a log file: they are tallied there, not listed.
    pub(crate) fn is_irrelevant(&self) -> bool {
        matches!(
            self,
            SkipReason::OtherEventSource { .. } | SkipReason::ReadOnly | SkipReason::NotActedOn
        )
    }
}

/// One record or notification that produced no key, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub event_name: Option<String>,
    pub event_id: Option<String>,
    pub reason: SkipReason,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.event_name.as_deref().unwrap_or("(no event name)"),
            self.event_id.as_deref().unwrap_or("(no event id)"),
            self.reason
        )
    }
}

/// How many irrelevant records of one event name were skipped for one reason (log files).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkipTally {
    pub event_name: Option<String>,
    pub reason: SkipReason,
    pub count: u64,
}
