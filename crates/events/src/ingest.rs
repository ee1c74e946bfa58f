//! What parsing a payload produces: triggers, skips, log objects to fetch, SQS outcomes.
//!
//! These types are the crate's output contract; they are plain data (Debug, Clone, PartialEq,
//! Serialize) so the invocation report can carry them unchanged.

use crate::error::EventsError;
use crate::skip::{Skip, SkipTally};
use model::{AccountRegion, Provenance, ReconcileKey};
use serde::Serialize;

/// Which events concern this deployment. Records for another region or account are skipped
/// with a reason; a record that names neither is accepted (the reader decides where it goes).
///
/// `region` and `account` are the deployment's own (`None` accepts any). When `served` lists
/// accounts and regions (a deployment serving an organisation), an event about resources is
/// accepted only when its account and region are one of those pairs; a schedule is the
/// deployment's own and is still checked against `region` and `account`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EventFilter {
    pub region: Option<String>,
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub served: Vec<AccountRegion>,
}

impl EventFilter {
    /// Accepts every region and account.
    pub fn any() -> Self {
        Self::default()
    }

    /// Only the deployment's own account and region (either may be unknown: `None`).
    pub fn own(region: Option<String>, account: Option<String>) -> Self {
        Self {
            region,
            account,
            served: Vec::new(),
        }
    }
}

/// One thing to re-read and reconcile, and the event that asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub key: ReconcileKey,
    pub provenance: Provenance,
}

/// A CloudTrail log object to fetch from S3 and feed to [`crate::parse_log_file`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct LogObjectRef {
    pub bucket: String,
    /// Already URL-decoded: pass it to `GetObject` as is.
    pub key: String,
    /// The bucket's region when the notification says it.
    pub region: Option<String>,
}

/// The result of one SQS message, so one bad message fails alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageOutcome {
    pub message_id: String,
    pub result: Result<Ingest, EventsError>,
}

impl MessageOutcome {
    pub fn is_failure(&self) -> bool {
        self.result.is_err()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Ingest {
    /// What to reconcile. One record may name several keys (each with the record's provenance);
    /// an event id seen twice in one payload counts once.
    pub triggers: Vec<Trigger>,
    /// Records and notifications that produced no key, one entry each. In CloudTrail log files
    /// the bulk (other services, read-only calls, EC2 calls we do not act on, malformed records)
    /// is counted in `skip_tallies` instead, so memory does not grow with them.
    pub skips: Vec<Skip>,
    /// Per (event name, reason) counts of the irrelevant records of log files.
    pub skip_tallies: Vec<SkipTally>,
    /// CloudTrail log objects to fetch from S3, each once.
    pub log_objects: Vec<LogObjectRef>,
    /// SQS only: one outcome per message, in batch order. The fields above then hold the union
    /// of the successful messages (an event id in several messages counts once).
    pub messages: Vec<MessageOutcome>,
}

impl Ingest {
    /// Each key once, in first-seen order.
    pub fn keys(&self) -> Vec<&ReconcileKey> {
        let mut keys: Vec<&ReconcileKey> = Vec::new();
        for trigger in &self.triggers {
            if !keys.contains(&&trigger.key) {
                keys.push(&trigger.key);
            }
        }
        keys
    }

    /// How many irrelevant records the tallies count.
    pub fn tallied_skips(&self) -> u64 {
        self.skip_tallies.iter().map(|tally| tally.count).sum()
    }

    /// The SQS messages that failed, for `batchItemFailures`.
    pub fn failed_message_ids(&self) -> impl Iterator<Item = &str> {
        self.messages
            .iter()
            .filter(|message| message.is_failure())
            .map(|message| message.message_id.as_str())
    }
}
