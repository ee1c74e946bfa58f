//! EventBridge events and schedules.
//!
//! "AWS API Call via CloudTrail" carries one CloudTrail record in `detail`; "EC2 Instance
//! State-change Notification" names an instance; "Scheduled Event" and the EventBridge
//! Scheduler payload `{"action":"sync"}` mean "reconcile everything". Other detail types are
//! skipped with a reason. The envelope's region and account stand in for a record's missing
//! `awsRegion` / `recipientAccountId`.

use crate::collector::{Collector, Origin};
use crate::ec2_json::text;
use crate::envelope::read_record;
use crate::error::{Envelope, EventsError};
use crate::skip::SkipReason;
use model::{InstanceId, Provenance, ReconcileKey};
use serde_json::Value;

const API_CALL: &str = "AWS API Call via CloudTrail";
const STATE_CHANGE: &str = "EC2 Instance State-change Notification";
const SCHEDULED: &str = "Scheduled Event";

pub(crate) fn event(mut event: Value, collector: &mut Collector<'_>) -> Result<(), EventsError> {
    let detail_type = text(Some(&event), "detail-type")
        .ok_or_else(|| {
            EventsError::malformed(Envelope::EventBridge, "detail-type is not a string")
        })?
        .to_owned();
    let owned = |field: &str| text(Some(&event), field).map(str::to_owned);
    let provenance = Provenance {
        event_name: detail_type.clone(),
        event_id: owned("id"),
        event_time: owned("time"),
        region: owned("region"),
        account: owned("account"),
        ..Provenance::default()
    };
    let detail = event
        .as_object_mut()
        .and_then(|event| event.remove("detail"))
        .filter(Value::is_object);
    match (detail_type.as_str(), detail) {
        (API_CALL, Some(detail)) => {
            let origin = Origin {
                region: provenance.region,
                account: provenance.account,
            };
            collector.record(read_record(detail)?, &origin);
        }
        (STATE_CHANGE, Some(detail)) => {
            match text(Some(&detail), "instance-id").filter(|id| InstanceId::looks_like(id)) {
                Some(instance) => {
                    let key = ReconcileKey::Instance(instance.into());
                    collector.event(vec![key], provenance);
                }
                None => {
                    let reason = SkipReason::MissingResourceId {
                        field: "detail.instance-id".to_owned(),
                    };
                    collector.skip(Some(detail_type), provenance.event_id, reason);
                }
            }
        }
        (API_CALL | STATE_CHANGE, None) => {
            let problem = format!("{detail_type:?} event has no detail object");
            return Err(EventsError::malformed(Envelope::EventBridge, problem));
        }
        (SCHEDULED, _) => collector.event(vec![ReconcileKey::Everything], provenance),
        (_, _) => {
            let reason = SkipReason::UnsupportedDetailType {
                detail_type: detail_type.clone(),
            };
            collector.skip(Some(detail_type), provenance.event_id, reason);
        }
    }
    Ok(())
}

/// EventBridge Scheduler's `{"action": "sync"}`.
pub(crate) fn scheduler_action(
    payload: &Value,
    collector: &mut Collector<'_>,
) -> Result<(), EventsError> {
    match payload.get("action").and_then(Value::as_str) {
        Some("sync") => {
            collector.event(vec![ReconcileKey::Everything], Provenance::sync("sync"));
            Ok(())
        }
        other => Err(EventsError::malformed(
            Envelope::Schedule,
            format!("action {other:?} is not \"sync\""),
        )),
    }
}
