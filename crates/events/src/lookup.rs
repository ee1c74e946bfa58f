//! The output of `aws cloudtrail lookup-events`, as an operator saves it for `palosync handle`.
//!
//! Shape (AWS CLI reference, *cloudtrail lookup-events*, Output): `{"Events":[{"EventId",
//! "EventName","ReadOnly","AccessKeyId","EventTime","EventSource","Username","Resources",
//! "CloudTrailEvent":"<the whole record as a JSON string>"}],"NextToken"?}`. Only
//! `CloudTrailEvent` is read as the record; the summary fields name an entry whose record cannot
//! be read (absent, not a string, not JSON), which is a skip, never an error. Records are tallied
//! like a log file's: a page is up to 50 records of any service. A `NextToken` only says more
//! pages exist; what this page holds is still exact.

use crate::collector::{Collector, Origin};
use crate::ec2_json::text;
use crate::error::{Envelope, EventsError};
use crate::record::Record;
use crate::skip::SkipReason;
use serde_json::Value;

pub(crate) fn lookup_events(
    output: &Value,
    collector: &mut Collector<'_>,
) -> Result<(), EventsError> {
    let events = output
        .get("Events")
        .and_then(Value::as_array)
        .ok_or_else(|| EventsError::malformed(Envelope::LookupEvents, "Events is not an array"))?;
    for (index, entry) in events.iter().enumerate() {
        let name = text(Some(entry), "EventName").map(str::to_owned);
        let id = text(Some(entry), "EventId").map(str::to_owned);
        let unreadable = |problem: String| SkipReason::MalformedRecord { problem };
        let Some(embedded) = entry.get("CloudTrailEvent").and_then(Value::as_str) else {
            let problem = format!("Events[{index}] has no CloudTrailEvent string");
            collector.skip(name, id, unreadable(problem));
            continue;
        };
        match serde_json::from_str::<Record>(embedded) {
            Ok(record) => collector.record(record, &Origin::default()),
            Err(err) => {
                let problem = format!("Events[{index}].CloudTrailEvent is not JSON: {err}");
                collector.skip(name, id, unreadable(problem));
            }
        }
    }
    Ok(())
}
