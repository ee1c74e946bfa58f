//! S3 event notifications and CloudTrail delivery notices: references to log objects.
//!
//! Neither carries a CloudTrail record; both name objects to fetch and feed to
//! `parse_log_file`. Notification keys are URL-encoded with spaces as `+` and are decoded here;
//! delivery-notice keys are plain. Only `/CloudTrail/` objects ending `.json.gz` are log files
//! (digests live under `CloudTrail-Digest/`, insights under `CloudTrail-Insight/`). Objects whose
//! key names another region or account than the filter are skipped without fetching.

use crate::collector::Collector;
use crate::ec2_json::text;
use crate::envelope::records_of;
use crate::error::{Envelope, EventsError};
use crate::ingest::LogObjectRef;
use crate::skip::SkipReason;
use percent_encoding::percent_decode_str;
use serde_json::Value;

pub(crate) fn notification(
    payload: &Value,
    collector: &mut Collector<'_>,
) -> Result<(), EventsError> {
    for (index, record) in records_of(payload).enumerate() {
        let malformed = |problem: &str| {
            EventsError::malformed(
                Envelope::S3Notification,
                format!("Records[{index}] {problem}"),
            )
        };
        let source = text(Some(record), "eventSource");
        if source != Some("aws:s3") {
            return Err(malformed(&format!(
                "has eventSource {source:?}, not \"aws:s3\""
            )));
        }
        let event_name = text(Some(record), "eventName").map(str::to_owned);
        if !event_name
            .as_deref()
            .is_some_and(|name| name.starts_with("ObjectCreated:"))
        {
            collector.skip(event_name, None, SkipReason::NotObjectCreated);
            continue;
        }
        let s3 = record.get("s3");
        let bucket = text(s3.and_then(|s3| s3.get("bucket")), "name")
            .ok_or_else(|| malformed("has no s3.bucket.name"))?;
        let raw_key = text(s3.and_then(|s3| s3.get("object")), "key")
            .ok_or_else(|| malformed("has no s3.object.key"))?;
        let key = decode_key(raw_key).ok_or_else(|| {
            malformed(&format!(
                "s3.object.key {raw_key:?} is not URL-encoded UTF-8"
            ))
        })?;
        let object = LogObjectRef {
            bucket: bucket.to_owned(),
            key,
            region: text(Some(record), "awsRegion").map(str::to_owned),
        };
        offer(collector, object, event_name);
    }
    Ok(())
}

/// A trail's own SNS notice: `{"s3Bucket":"…","s3ObjectKey":["…", …]}` (keys not encoded).
pub(crate) fn delivery_notice(
    notice: &Value,
    collector: &mut Collector<'_>,
) -> Result<(), EventsError> {
    let malformed =
        |problem: &str| EventsError::malformed(Envelope::CloudTrailDeliveryNotice, problem);
    let bucket =
        text(Some(notice), "s3Bucket").ok_or_else(|| malformed("s3Bucket is not a string"))?;
    let keys: Vec<&str> = match notice.get("s3ObjectKey") {
        Some(Value::String(key)) => vec![key.as_str()],
        Some(Value::Array(keys)) => keys.iter().filter_map(Value::as_str).collect(),
        _ => return Err(malformed("s3ObjectKey is not a list of strings")),
    };
    for key in keys {
        let object = LogObjectRef {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            region: None,
        };
        offer(collector, object, None);
    }
    Ok(())
}

fn offer(collector: &mut Collector<'_>, object: LogObjectRef, event_name: Option<String>) {
    if !is_cloudtrail_log_key(&object.key) {
        let reason = SkipReason::NotCloudTrailLog { key: object.key };
        return collector.skip(event_name, None, reason);
    }
    let (account, region) = account_and_region(&object.key);
    if let Some(reason) = collector.outside_filter(region, account, false) {
        return collector.skip(event_name, None, reason);
    }
    collector.log_object(object);
}

/// S3 encodes a space as `+` and everything else as `%XX`.
pub(crate) fn decode_key(raw: &str) -> Option<String> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|key| key.into_owned())
}

pub(crate) fn is_cloudtrail_log_key(key: &str) -> bool {
    key.contains("/CloudTrail/") && key.ends_with(".json.gz")
}

/// `…/<account>/CloudTrail/<region>/…` (organization trails put the org id before the account).
fn account_and_region(key: &str) -> (Option<&str>, Option<&str>) {
    let segments: Vec<&str> = key.split('/').collect();
    match segments.iter().position(|segment| *segment == "CloudTrail") {
        Some(at) => (
            at.checked_sub(1)
                .and_then(|before| segments.get(before))
                .copied(),
            segments.get(at + 1).copied(),
        ),
        None => (None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_plus_as_space_and_percent_escapes() {
        assert_eq!(
            decode_key("my+logs/AWSLogs/111122223333/CloudTrail/us-east-1/a%2Bb%3D.json.gz")
                .as_deref(),
            Some("my logs/AWSLogs/111122223333/CloudTrail/us-east-1/a+b=.json.gz")
        );
        assert_eq!(decode_key("bad%FF"), None);
    }

    #[test]
    fn only_cloudtrail_log_files_are_fetched() {
        let prefix = "AWSLogs/111122223333";
        assert!(is_cloudtrail_log_key(&format!(
            "{prefix}/CloudTrail/us-east-1/2026/11/27/x.json.gz"
        )));
        assert!(!is_cloudtrail_log_key(&format!(
            "{prefix}/CloudTrail-Digest/us-east-1/2026/11/27/x.json.gz"
        )));
        assert!(!is_cloudtrail_log_key(&format!(
            "{prefix}/CloudTrail-Insight/us-east-1/x.json.gz"
        )));
        assert!(!is_cloudtrail_log_key(&format!(
            "{prefix}/CloudTrail/us-east-1/x.json"
        )));
    }

    #[test]
    fn account_and_region_come_from_the_key_path() {
        assert_eq!(
            account_and_region("p/AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/2026/x.json.gz"),
            (Some("111122223333"), Some("eu-west-1"))
        );
        assert_eq!(account_and_region("CloudTrail"), (None, None));
    }
}
