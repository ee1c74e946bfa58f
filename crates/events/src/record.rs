//! A CloudTrail record as palosync reads it, in one lenient pass.
//!
//! The visitor keeps the few scalar fields that decide relevance and provenance, and builds
//! `requestParameters` / `responseElements` only while the record may still matter: once the
//! event source or name shows it is irrelevant, the rest is skipped with `IgnoredAny`, so a log
//! file of other services' records costs no allocation beyond a few short strings per record.
//! Every field accepts any JSON type: a wrong type yields "absent", never an error, so one odd
//! record cannot fail a whole log file. It must never decide what to reconcile (see `mapping`).

use crate::lenient::{Lenient, ObjectVisitor, Scalar};
use crate::mapping::Ec2Event;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess};
use serde_json::Value;

pub(crate) const EC2_EVENT_SOURCE: &str = "ec2.amazonaws.com";

#[derive(Debug, Default)]
pub(crate) struct Record {
    pub event_source: Option<String>,
    pub event_name: Option<String>,
    pub event_id: Option<String>,
    pub event_time: Option<String>,
    pub aws_region: Option<String>,
    pub source_ip: Option<String>,
    pub recipient_account: Option<String>,
    /// Present and non-null `errorCode`.
    pub error_code: Option<String>,
    pub read_only: bool,
    pub principal_arn: Option<String>,
    pub principal_type: Option<String>,
    pub request: Option<Value>,
    pub response: Option<Value>,
    /// Set when the record is not a JSON object: the JSON type found instead.
    pub not_an_object: Option<&'static str>,
}

impl Record {
    /// True once what was read so far shows the record cannot produce a key.
    fn known_irrelevant(&self) -> bool {
        self.read_only
            || self.error_code.is_some()
            || self
                .event_source
                .as_deref()
                .is_some_and(|source| source != EC2_EVENT_SOURCE)
            || self
                .event_name
                .as_deref()
                .is_some_and(|name| Ec2Event::from_name(name).is_none())
    }
}

#[derive(serde::Deserialize)]
#[serde(field_identifier)]
enum RecordField {
    #[serde(rename = "eventSource")]
    EventSource,
    #[serde(rename = "eventName")]
    EventName,
    #[serde(rename = "eventID")]
    EventId,
    #[serde(rename = "eventTime")]
    EventTime,
    #[serde(rename = "awsRegion")]
    AwsRegion,
    #[serde(rename = "sourceIPAddress")]
    SourceIp,
    #[serde(rename = "recipientAccountId")]
    RecipientAccount,
    #[serde(rename = "errorCode")]
    ErrorCode,
    #[serde(rename = "readOnly")]
    ReadOnly,
    #[serde(rename = "userIdentity")]
    UserIdentity,
    #[serde(rename = "requestParameters")]
    RequestParameters,
    #[serde(rename = "responseElements")]
    ResponseElements,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Lenient(RecordVisitor))
    }
}

struct RecordVisitor;

impl<'de> ObjectVisitor<'de> for RecordVisitor {
    type Value = Record;
    const EXPECTING: &'static str = "a CloudTrail record";

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let mut record = Record::default();
        while let Some(field) = map.next_key::<RecordField>()? {
            match field {
                RecordField::EventSource => {
                    record.event_source = map.next_value::<Scalar>()?.text()
                }
                RecordField::EventName => record.event_name = map.next_value::<Scalar>()?.text(),
                RecordField::EventId => record.event_id = map.next_value::<Scalar>()?.text(),
                RecordField::EventTime => record.event_time = map.next_value::<Scalar>()?.text(),
                RecordField::AwsRegion => record.aws_region = map.next_value::<Scalar>()?.text(),
                RecordField::SourceIp => record.source_ip = map.next_value::<Scalar>()?.text(),
                RecordField::RecipientAccount => {
                    record.recipient_account = map.next_value::<Scalar>()?.text();
                }
                RecordField::ErrorCode => {
                    // Any non-null errorCode means the call failed.
                    record.error_code = match map.next_value::<Scalar>()? {
                        Scalar::Null => None,
                        Scalar::Text(code) => Some(code),
                        Scalar::Bool(_) | Scalar::Other => Some("(non-string errorCode)".into()),
                    };
                }
                RecordField::ReadOnly => {
                    record.read_only = matches!(map.next_value::<Scalar>()?, Scalar::Bool(true));
                }
                RecordField::UserIdentity if !record.known_irrelevant() => {
                    let principal = map.next_value::<Principal>()?;
                    record.principal_arn = principal.arn;
                    record.principal_type = principal.kind;
                }
                RecordField::RequestParameters if !record.known_irrelevant() => {
                    record.request = non_null(map.next_value::<Value>()?);
                }
                RecordField::ResponseElements if !record.known_irrelevant() => {
                    record.response = non_null(map.next_value::<Value>()?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(record)
    }

    fn not_an_object(self, kind: &'static str) -> Record {
        Record {
            not_an_object: Some(kind),
            ..Record::default()
        }
    }
}

fn non_null(value: Value) -> Option<Value> {
    (!value.is_null()).then_some(value)
}

/// `userIdentity`: only what provenance needs.
#[derive(Default)]
struct Principal {
    arn: Option<String>,
    kind: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(field_identifier)]
enum PrincipalField {
    #[serde(rename = "arn")]
    Arn,
    #[serde(rename = "type")]
    Kind,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Lenient(PrincipalVisitor))
    }
}

struct PrincipalVisitor;

impl<'de> ObjectVisitor<'de> for PrincipalVisitor {
    type Value = Principal;
    const EXPECTING: &'static str = "a CloudTrail userIdentity";

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Principal, A::Error> {
        let mut principal = Principal::default();
        while let Some(field) = map.next_key::<PrincipalField>()? {
            match field {
                PrincipalField::Arn => principal.arn = map.next_value::<Scalar>()?.text(),
                PrincipalField::Kind => principal.kind = map.next_value::<Scalar>()?.text(),
                PrincipalField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(principal)
    }

    fn not_an_object(self, _: &'static str) -> Principal {
        Principal::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_types_read_as_absent_not_errors() {
        let json = r#"{"eventSource": 5, "eventName": ["x"], "readOnly": "true",
            "errorCode": null, "userIdentity": "root", "requestParameters": null}"#;
        let record: Record = serde_json::from_str(json).unwrap();
        assert_eq!(record.event_source, None);
        assert_eq!(record.event_name, None);
        assert!(!record.read_only);
        assert_eq!(record.error_code, None);
        assert_eq!(record.principal_arn, None);
        assert_eq!(record.request, None);
    }

    #[test]
    fn irrelevant_record_does_not_build_its_parameters() {
        let json = r#"{"eventSource":"s3.amazonaws.com","eventName":"PutObject",
            "requestParameters":{"bucketName":"b"},"responseElements":{"x":1}}"#;
        let record: Record = serde_json::from_str(json).unwrap();
        assert_eq!(record.request, None);
        assert_eq!(record.response, None);
    }

    #[test]
    fn non_object_record_says_what_it_was() {
        let record: Record = serde_json::from_str("[1,2]").unwrap();
        assert_eq!(record.not_an_object, Some("an array"));
    }
}
