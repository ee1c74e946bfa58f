//! Shared helpers for the events scenarios: parse a fixture, and the provenance our fixtures
//! carry (account 111122223333, us-east-1, event ids `5f0c7e2a-…-<n>` at 01:MM:<n> UTC).
#![allow(dead_code)]

pub mod synthetic_log;
pub mod yields;

use events::{EventFilter, Ingest, Skip, SkipReason, Trigger, parse_payload};
use model::{Provenance, ReconcileKey};

pub const ACCOUNT: &str = "111122223333";
pub const REGION: &str = "us-east-1";
pub const ALICE_ARN: &str = "arn:aws:iam::111122223333:user/alice";
pub const DEPLOY_ARN: &str = "arn:aws:sts::111122223333:assumed-role/deploy/ci-pipeline";

/// Parses a fixture accepting any region and account; fixtures must parse.
pub fn parse(bytes: &[u8]) -> Ingest {
    parse_with(bytes, &EventFilter::any())
}

pub fn parse_with(bytes: &[u8], filter: &EventFilter) -> Ingest {
    match parse_payload(bytes, filter) {
        Ok(ingest) => ingest,
        Err(err) => panic!("fixture did not parse: {err}"),
    }
}

pub fn deployment() -> EventFilter {
    EventFilter {
        region: Some(REGION.to_owned()),
        account: Some(ACCOUNT.to_owned()),
        served: Vec::new(),
    }
}

pub fn event_id(n: u64) -> String {
    format!("5f0c7e2a-3b41-4d8e-9a6f-{n:012x}")
}

fn cloudtrail(event_name: &str, n: u64, arn: &str, kind: &str, source_ip: &str) -> Provenance {
    Provenance {
        event_name: event_name.to_owned(),
        event_id: Some(event_id(n)),
        event_time: Some(format!("2026-11-27T01:00:{:02}Z", n % 60)),
        principal_arn: Some(arn.to_owned()),
        principal_type: Some(kind.to_owned()),
        source_ip: Some(source_ip.to_owned()),
        region: Some(REGION.to_owned()),
        account: Some(ACCOUNT.to_owned()),
    }
}

/// A call by the IAM user alice from 203.0.113.10.
pub fn by_alice(event_name: &str, n: u64) -> Provenance {
    cloudtrail(event_name, n, ALICE_ARN, "IAMUser", "203.0.113.10")
}

/// A call by the assumed role deploy/ci-pipeline from `source_ip`.
pub fn by_deploy(event_name: &str, n: u64, source_ip: &str) -> Provenance {
    cloudtrail(event_name, n, DEPLOY_ARN, "AssumedRole", source_ip)
}

pub fn triggers(keys: Vec<ReconcileKey>, provenance: &Provenance) -> Vec<Trigger> {
    keys.into_iter()
        .map(|key| Trigger {
            key,
            provenance: provenance.clone(),
        })
        .collect()
}

pub fn skip(event_name: &str, event_id: Option<String>, reason: SkipReason) -> Skip {
    Skip {
        event_name: Some(event_name.to_owned()),
        event_id,
        reason,
    }
}

/// Asserts the payload produced exactly `expected` and nothing else.
pub fn assert_only_triggers(ingest: &Ingest, expected: Vec<Trigger>) {
    assert_eq!(ingest.triggers, expected);
    assert_eq!(ingest.skips, vec![]);
    assert_eq!(ingest.skip_tallies, vec![]);
    assert_eq!(ingest.log_objects, vec![]);
    assert_eq!(ingest.messages, vec![]);
}

/// Asserts the payload produced exactly one skip and nothing else.
pub fn assert_only_skip(ingest: &Ingest, expected: Skip) {
    assert_eq!(ingest.triggers, vec![]);
    assert_eq!(ingest.skips, vec![expected]);
    assert_eq!(ingest.skip_tallies, vec![]);
    assert_eq!(ingest.log_objects, vec![]);
}
