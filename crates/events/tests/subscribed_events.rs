//! Every event the deployment subscribes to is acted on (issue 12, item 5).
//!
//! The names come from `deploy/template.yaml` itself, so a name added to an EventBridge pattern
//! without a mapping (as `AssignIpv6Addresses` once was: subscribed, then skipped as "not acted
//! on", so a released IPv6 address kept its rule until a sync) fails here. Each subscribed name
//! must have a real-shaped fixture `fixtures/record_*.json` that yields at least one key and no
//! skip. The template is read with a small extraction of the `eventName:` and `detail-type:`
//! lists of its `EventPattern`s (block or flow style); the workspace has no YAML parser.

mod support;

use events::{Ingest, SkipReason};
use std::collections::BTreeMap;
use support::parse;

const TEMPLATE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../deploy/template.yaml"
));

/// The values of every `key:` list inside an `EventPattern:` block, in template order.
fn pattern_values(template: &str, key: &str) -> Vec<String> {
    let mut values = Vec::new();
    let lines: Vec<&str> = template.lines().collect();
    let indent = |line: &str| line.len() - line.trim_start().len();
    let mut pattern_indent: Option<usize> = None;
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        let trimmed = line.trim();
        index += 1;
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if pattern_indent.is_some_and(|at| indent(line) <= at) {
            pattern_indent = None;
        }
        if trimmed == "EventPattern:" {
            pattern_indent = Some(indent(line));
            continue;
        }
        let Some(rest) = pattern_indent
            .and(trimmed.strip_prefix(key))
            .and_then(|rest| rest.strip_prefix(':'))
        else {
            continue;
        };
        let rest = rest.split(" #").next().unwrap_or("").trim();
        if let Some(flow) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            values.extend(flow.split(',').map(unquote).filter(|v| !v.is_empty()));
            continue;
        }
        assert!(rest.is_empty(), "unexpected {key}: value {rest:?}");
        let key_indent = indent(line);
        while index < lines.len() {
            let item = lines[index];
            let trimmed = item.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                index += 1;
                continue;
            }
            if indent(item) <= key_indent {
                break;
            }
            let value = trimmed
                .strip_prefix("- ")
                .unwrap_or_else(|| panic!("{key}: item {trimmed:?} is not a list entry"));
            values.push(unquote(value.split(" #").next().unwrap_or("")));
            index += 1;
        }
    }
    values
}

fn unquote(value: &str) -> String {
    value
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .to_owned()
}

/// Every fixture record by its event name, with what it yields.
fn fixtures_by_event_name() -> BTreeMap<String, Vec<(String, Ingest)>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let mut by_name: BTreeMap<String, Vec<(String, Ingest)>> = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("fixtures directory") {
        let path = entry.expect("fixture entry").path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(file.starts_with("record_") && file.ends_with(".json")) {
            continue;
        }
        let bytes = std::fs::read(&path).expect("fixture reads");
        let record: serde_json::Value = serde_json::from_slice(&bytes).expect("fixture is JSON");
        if let Some(name) = record["eventName"].as_str() {
            let ingest = parse(&bytes);
            by_name
                .entry(name.to_owned())
                .or_default()
                .push((file, ingest));
        }
    }
    by_name
}

#[test]
fn the_template_lists_are_found() {
    let names = pattern_values(TEMPLATE, "eventName");
    // The extraction must see the whole list, not a prefix of it.
    for name in [
        "RunInstances",
        "AssignIpv6Addresses",
        "DisassociateVpcCidrBlock",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} not in {names:?}");
    }
    assert!(names.len() >= 25, "{names:?}");
    // The central bus's rules repeat the default bus's patterns (deploy/same-patterns.py).
    let mut detail_types = pattern_values(TEMPLATE, "detail-type");
    detail_types.sort();
    detail_types.dedup();
    assert_eq!(
        detail_types,
        vec![
            "AWS API Call via CloudTrail",
            "EC2 Instance State-change Notification"
        ]
    );
}

#[test]
fn regression_subscribed_ipv6_and_prefix_list_restore_events_were_ignored() {
    let by_name = fixtures_by_event_name();
    let mut not_acted_on = Vec::new();
    for name in pattern_values(TEMPLATE, "eventName") {
        let acted_on = by_name.get(&name).is_some_and(|fixtures| {
            fixtures
                .iter()
                .any(|(_, ingest)| !ingest.triggers.is_empty() && ingest.skips.is_empty())
        });
        if !acted_on {
            let outcomes: Vec<_> = by_name
                .get(&name)
                .into_iter()
                .flatten()
                .map(|(file, ingest)| (file.clone(), ingest.skips.clone()))
                .collect();
            not_acted_on.push((name, outcomes));
        }
    }
    assert_eq!(not_acted_on, vec![], "subscribed but not acted on");
}

#[test]
fn every_subscribed_detail_type_is_acted_on() {
    for detail_type in pattern_values(TEMPLATE, "detail-type") {
        let detail = match detail_type.as_str() {
            "AWS API Call via CloudTrail" => serde_json::from_str(include_str!(
                "../fixtures/record_assign_ipv6_addresses.json"
            ))
            .unwrap(),
            _ => serde_json::json!({"instance-id": "i-0123456789abcdef0", "state": "running"}),
        };
        let event = serde_json::json!({"version": "0", "id": "ev-1", "detail-type": detail_type,
            "source": "aws.ec2", "account": "111122223333", "time": "2026-11-27T01:00:00Z",
            "region": "us-east-1", "resources": [], "detail": detail});
        let ingest = parse(&serde_json::to_vec(&event).unwrap());
        assert_eq!(ingest.triggers.len(), 1, "{detail_type}: {ingest:?}");
        assert!(
            !ingest.skips.iter().any(|skip| matches!(
                skip.reason,
                SkipReason::UnsupportedDetailType { .. } | SkipReason::NotActedOn
            )),
            "{detail_type}: {:?}",
            ingest.skips
        );
    }
}
