//! Errors for input that cannot be read at all.
//!
//! An error always names the envelope it happened in and what was wrong, with line and column
//! for invalid JSON. Records that are readable but not for us are never errors: they become
//! skips (see `skip`). Nothing here may panic on any input.

use serde::Serialize;
use std::fmt;

/// Where in a payload something went wrong (or was found).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Envelope {
    /// The payload as handed to us, before its kind is known.
    Payload,
    EventBridge,
    S3Notification,
    SqsBatch,
    /// The body of one SQS message.
    SqsMessageBody,
    Sns,
    /// The `Message` of one SNS notification.
    SnsMessage,
    CloudTrailRecord,
    CloudTrailLogFile,
    /// A top-level JSON array of CloudTrail records.
    CloudTrailRecordArray,
    /// The output of `aws cloudtrail lookup-events`.
    LookupEvents,
    CloudTrailDeliveryNotice,
    Schedule,
}

impl fmt::Display for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Envelope::Payload => "payload",
            Envelope::EventBridge => "EventBridge event",
            Envelope::S3Notification => "S3 event notification",
            Envelope::SqsBatch => "SQS batch",
            Envelope::SqsMessageBody => "SQS message body",
            Envelope::Sns => "SNS notification",
            Envelope::SnsMessage => "SNS message",
            Envelope::CloudTrailRecord => "CloudTrail record",
            Envelope::CloudTrailLogFile => "CloudTrail log file",
            Envelope::CloudTrailRecordArray => "array of CloudTrail records",
            Envelope::LookupEvents => "lookup-events output",
            Envelope::CloudTrailDeliveryNotice => "CloudTrail delivery notice",
            Envelope::Schedule => "scheduled trigger",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum EventsError {
    #[error("{envelope}: invalid JSON at line {line}, column {column}: {message}")]
    InvalidJson {
        envelope: Envelope,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{envelope}: not a recognised payload ({found}); accepted: {accepted}")]
    NotRecognised {
        envelope: Envelope,
        /// What the input looked like: its top-level keys or JSON type.
        found: String,
        /// The kinds accepted in this place.
        accepted: String,
    },
    #[error("{envelope}: {problem}")]
    Malformed { envelope: Envelope, problem: String },
    #[error("{envelope}: cannot read the input: {message}")]
    Read { envelope: Envelope, message: String },
}

impl EventsError {
    pub(crate) fn malformed(envelope: Envelope, problem: impl Into<String>) -> Self {
        EventsError::Malformed {
            envelope,
            problem: problem.into(),
        }
    }

    /// Maps a serde_json error to the envelope it happened in; keeps the position.
    pub(crate) fn from_json(envelope: Envelope, err: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let message = strip_position(&err.to_string());
        match err.classify() {
            Category::Io => EventsError::Read { envelope, message },
            Category::Syntax | Category::Eof => EventsError::InvalidJson {
                envelope,
                line: err.line(),
                column: err.column(),
                message,
            },
            Category::Data => EventsError::Malformed {
                envelope,
                problem: format!("{message} at line {}, column {}", err.line(), err.column()),
            },
        }
    }
}

/// serde_json appends " at line L column C"; we report the position in our own fields.
fn strip_position(message: &str) -> String {
    match message.rsplit_once(" at line ") {
        Some((head, _)) => head.to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_json_names_envelope_and_position() {
        let err = serde_json::from_str::<serde_json::Value>("{\n  \"a\": tru }").unwrap_err();
        let mapped = EventsError::from_json(Envelope::SqsMessageBody, &err);
        let EventsError::InvalidJson { line, column, .. } = &mapped else {
            panic!("expected invalid JSON, got {mapped:?}");
        };
        assert_eq!((*line, *column), (2, 11));
        assert_eq!(
            mapped.to_string(),
            "SQS message body: invalid JSON at line 2, column 11: expected ident"
        );
    }
}
