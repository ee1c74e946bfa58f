//! Accumulates one payload's outcome: applies the skip rules, the region/account filter and
//! de-duplication by event id, and builds provenance from a record.
//!
//! The order of the checks is fixed so a record's skip reason is predictable: event source,
//! read-only, event name, duplicate, `errorCode`, region, account, ids. Only records whose name
//! we act on are remembered for de-duplication, so a log file of irrelevant records costs no
//! memory per record. It never reads input and never fails.

use crate::ingest::{EventFilter, Ingest, LogObjectRef, MessageOutcome, Trigger};
use crate::mapping::Ec2Event;
use crate::record::{EC2_EVENT_SOURCE, Record};
use crate::skip::{Skip, SkipReason, SkipTally};
use model::{AccountRegion, Provenance, ReconcileKey};
use std::collections::{BTreeMap, HashSet};

/// Region and account of an enclosing EventBridge event, used when the record lacks them.
#[derive(Debug, Default, Clone)]
pub(crate) struct Origin {
    pub region: Option<String>,
    pub account: Option<String>,
}

#[derive(Debug)]
pub(crate) struct Collector<'f> {
    filter: &'f EventFilter,
    /// Log-file mode: irrelevant records are counted, not listed.
    tally_irrelevant: bool,
    triggers: Vec<Trigger>,
    skips: Vec<Skip>,
    tallies: BTreeMap<(Option<String>, SkipReason), u64>,
    log_objects: Vec<LogObjectRef>,
    messages: Vec<MessageOutcome>,
    seen_events: HashSet<String>,
}

impl<'f> Collector<'f> {
    pub(crate) fn new(filter: &'f EventFilter) -> Self {
        Self {
            filter,
            tally_irrelevant: false,
            triggers: Vec::new(),
            skips: Vec::new(),
            tallies: BTreeMap::new(),
            log_objects: Vec::new(),
            messages: Vec::new(),
            seen_events: HashSet::new(),
        }
    }

    pub(crate) fn for_log_file(filter: &'f EventFilter) -> Self {
        Self {
            tally_irrelevant: true,
            ..Self::new(filter)
        }
    }

    pub(crate) fn filter(&self) -> &'f EventFilter {
        self.filter
    }

    pub(crate) fn skip(
        &mut self,
        event_name: Option<String>,
        event_id: Option<String>,
        reason: SkipReason,
    ) {
        let tallied =
            matches!(reason, SkipReason::MalformedRecord { .. }) || reason.is_irrelevant();
        if self.tally_irrelevant && tallied {
            *self.tallies.entry((event_name, reason)).or_insert(0) += 1;
        } else {
            self.skips.push(Skip {
                event_name,
                event_id,
                reason,
            });
        }
    }

    /// First sighting of an event id in this payload (events without an id always are).
    fn first_sighting(&mut self, event_id: Option<&str>) -> bool {
        match event_id {
            Some(id) if self.seen_events.contains(id) => false,
            Some(id) => self.seen_events.insert(id.to_owned()),
            None => true,
        }
    }

    /// The filter's verdict on an event's region and account; missing values are accepted.
    /// `schedule`: the deployment's own schedule, checked against its own account and region
    /// even when it serves others.
    pub(crate) fn outside_filter(
        &self,
        region: Option<&str>,
        account: Option<&str>,
        schedule: bool,
    ) -> Option<SkipReason> {
        let filter = self.filter;
        if !filter.served.is_empty() && !schedule {
            return outside_served(&filter.served, region, account);
        }
        let differs = |want: &Option<String>, got: Option<&str>| match (want, got) {
            (Some(want), Some(got)) if want != got => Some(got.to_owned()),
            _ => None,
        };
        if let Some(region) = differs(&filter.region, region) {
            return Some(SkipReason::OtherRegion { region });
        }
        differs(&filter.account, account).map(|account| SkipReason::OtherAccount { account })
    }

    fn provenance_outside_filter(
        &self,
        provenance: &Provenance,
        schedule: bool,
    ) -> Option<SkipReason> {
        self.outside_filter(
            provenance.region.as_deref(),
            provenance.account.as_deref(),
            schedule,
        )
    }

    /// A CloudTrail record, from any envelope.
    pub(crate) fn record(&mut self, record: Record, origin: &Origin) {
        if let Some(kind) = record.not_an_object {
            let problem = format!("record is {kind}, not an object");
            return self.skip(None, None, SkipReason::MalformedRecord { problem });
        }
        let name = record.event_name.clone();
        let id = record.event_id.clone();
        match record.event_source.as_deref() {
            Some(EC2_EVENT_SOURCE) => {}
            Some(other) => {
                let reason = SkipReason::OtherEventSource {
                    event_source: other.to_owned(),
                };
                return self.skip(name, id, reason);
            }
            None => {
                let problem = "no eventSource".to_owned();
                return self.skip(name, id, SkipReason::MalformedRecord { problem });
            }
        }
        if record.read_only {
            return self.skip(name, id, SkipReason::ReadOnly);
        }
        let Some(event) = name.as_deref().and_then(Ec2Event::from_name) else {
            let reason = match name {
                Some(_) => SkipReason::NotActedOn,
                None => SkipReason::MalformedRecord {
                    problem: "no eventName".to_owned(),
                },
            };
            return self.skip(name, id, reason);
        };
        if !self.first_sighting(id.as_deref()) {
            return self.skip(name, id, SkipReason::DuplicateEvent);
        }
        if let Some(error_code) = record.error_code {
            return self.skip(name, id, SkipReason::FailedCall { error_code });
        }
        let keys = event.keys(record.request.as_ref(), record.response.as_ref());
        let provenance = Provenance {
            event_name: name.clone().unwrap_or_default(),
            event_id: id.clone(),
            event_time: record.event_time,
            principal_arn: record.principal_arn,
            principal_type: record.principal_type,
            source_ip: record.source_ip,
            region: record.aws_region.or_else(|| origin.region.clone()),
            account: record.recipient_account.or_else(|| origin.account.clone()),
        };
        if let Some(reason) = self.provenance_outside_filter(&provenance, false) {
            return self.skip(name, id, reason);
        }
        match keys {
            Ok(keys) => self.push_triggers(keys, &provenance),
            Err(reason) => self.skip(name, id, reason),
        }
    }

    /// A non-CloudTrail event (state change, schedule): de-duplicated and filtered like a record.
    pub(crate) fn event(&mut self, keys: Vec<ReconcileKey>, provenance: Provenance) {
        let name = Some(provenance.event_name.clone());
        let id = provenance.event_id.clone();
        if !self.first_sighting(id.as_deref()) {
            return self.skip(name, id, SkipReason::DuplicateEvent);
        }
        let schedule = keys == [ReconcileKey::Everything];
        if let Some(reason) = self.provenance_outside_filter(&provenance, schedule) {
            return self.skip(name, id, reason);
        }
        // A schedule syncs everything served, not the account whose bus ran it: its
        // triggers name no account or region.
        let provenance = if schedule {
            Provenance {
                account: None,
                region: None,
                ..provenance
            }
        } else {
            provenance
        };
        self.push_triggers(keys, &provenance);
    }

    fn push_triggers(&mut self, keys: Vec<ReconcileKey>, provenance: &Provenance) {
        self.triggers.extend(keys.into_iter().map(|key| Trigger {
            key,
            provenance: provenance.clone(),
        }));
    }

    pub(crate) fn log_object(&mut self, object: LogObjectRef) {
        if !self.log_objects.contains(&object) {
            self.log_objects.push(object);
        }
    }

    /// Takes in the outcome of a nested payload (an SNS message, a successful SQS message);
    /// an event id already seen here counts once.
    pub(crate) fn absorb(&mut self, part: Ingest) {
        let mut fresh: HashSet<String> = HashSet::new();
        for trigger in part.triggers {
            if let Some(id) = &trigger.provenance.event_id
                && !fresh.contains(id)
            {
                if self.seen_events.contains(id) {
                    let skip = Skip {
                        event_name: Some(trigger.provenance.event_name.clone()),
                        event_id: Some(id.clone()),
                        reason: SkipReason::DuplicateEvent,
                    };
                    if !self.skips.contains(&skip) {
                        self.skips.push(skip);
                    }
                    continue;
                }
                fresh.insert(id.clone());
            }
            self.triggers.push(trigger);
        }
        self.seen_events.extend(fresh);
        self.skips.extend(part.skips);
        for tally in part.skip_tallies {
            *self
                .tallies
                .entry((tally.event_name, tally.reason))
                .or_insert(0) += tally.count;
        }
        for object in part.log_objects {
            self.log_object(object);
        }
        self.messages.extend(part.messages);
    }

    pub(crate) fn message(&mut self, outcome: MessageOutcome) {
        if let Ok(ingest) = &outcome.result {
            self.absorb(ingest.clone());
        }
        self.messages.push(outcome);
    }

    pub(crate) fn finish(self) -> Ingest {
        Ingest {
            triggers: self.triggers,
            skips: self.skips,
            skip_tallies: self
                .tallies
                .into_iter()
                .map(|((event_name, reason), count)| SkipTally {
                    event_name,
                    reason,
                    count,
                })
                .collect(),
            log_objects: self.log_objects,
            messages: self.messages,
        }
    }
}

/// Outside the served accounts and regions: an unlisted account, or a listed account in a
/// region not listed for it.
fn outside_served(
    served: &[AccountRegion],
    region: Option<&str>,
    account: Option<&str>,
) -> Option<SkipReason> {
    let of_account: Vec<&AccountRegion> = served
        .iter()
        .filter(|s| account.is_none_or(|a| s.account == a))
        .collect();
    if of_account.is_empty() {
        let account = account.unwrap_or_default().to_owned();
        return Some(SkipReason::OtherAccount { account });
    }
    match region {
        Some(region) if !of_account.iter().any(|s| s.region == region) => {
            Some(SkipReason::OtherRegion {
                region: region.to_owned(),
            })
        }
        _ => None,
    }
}
