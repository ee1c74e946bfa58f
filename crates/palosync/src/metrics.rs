//! CloudWatch metrics in Embedded Metric Format (issue 16, item 3): the Lambda's report line is
//! one JSON object whose `_aws` member tells CloudWatch Logs which of its numbers are metrics,
//! so no agent and no PutMetricData call is needed. The numbers are computed from the same
//! [`Report`] that is logged beside them, so the two cannot disagree.
//!
//! Namespace `palosync`, dimension `Function`; failures also by `ErrorType`.
//! EMF specification: docs.aws.amazon.com, "Embedded metric format specification".

use crate::firewall::CommitReport;
use crate::report::Report;
use model::ReconcileKey;
use planner::Operation;
use serde_json::{Map, Value, json};

pub const NAMESPACE: &str = "palosync";

/// One invocation's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metrics {
    pub rules_created: u64,
    pub rules_replaced: u64,
    pub rules_deleted: u64,
    /// Address-tag registrations and unregistrations (group mode).
    pub registrations: u64,
    pub commits: u64,
    pub commit_ms: Option<u64>,
    pub shadowed_allowances: u64,
    pub skipped_permissions: u64,
    /// Changes a full sync made: drift the events did not repair (a missed event, a hand edit).
    pub drift_repaired: u64,
    pub failures: u64,
}

impl Metrics {
    pub fn of(report: &Report) -> Self {
        let mut metrics = Metrics::default();
        // A fleet's figures are the sums over its firewalls.
        let full_sync = report.keys.contains(&ReconcileKey::Everything);
        for execution in report.executions() {
            let count = |f: fn(&Operation) -> bool| {
                execution.plan.operations.iter().filter(|o| f(o)).count() as u64
            };
            metrics.rules_created += count(|o| matches!(o, Operation::CreateRule { .. }));
            metrics.rules_replaced += count(|o| matches!(o, Operation::ReplaceRule { .. }));
            metrics.rules_deleted += count(|o| matches!(o, Operation::DeleteRule { .. }));
            let changes = &execution.plan.registrations;
            let registrations = changes.len() as u64;
            metrics.registrations += registrations;
            metrics.shadowed_allowances += execution.plan.shadowed.len() as u64;
            metrics.skipped_permissions += execution.plan.skipped.len() as u64;
            // The slowest commit: the one the run waited for longest.
            metrics.commit_ms = metrics.commit_ms.max(execution.commit_ms);
            if matches!(execution.commit, Some(CommitReport::Committed { .. })) {
                metrics.commits += 1;
            }
            if full_sync && !execution.dry_run {
                let operations = execution.plan.operations.len() + execution.plan.cleanup.len();
                metrics.drift_repaired += operations as u64 + registrations;
            }
        }
        metrics.failures = u64::from(report.error.is_some());
        metrics
    }

    fn values(&self) -> Vec<(&'static str, &'static str, Option<u64>)> {
        vec![
            ("RulesCreated", "Count", Some(self.rules_created)),
            ("RulesReplaced", "Count", Some(self.rules_replaced)),
            ("RulesDeleted", "Count", Some(self.rules_deleted)),
            ("Registrations", "Count", Some(self.registrations)),
            ("Commits", "Count", Some(self.commits)),
            ("CommitDuration", "Milliseconds", self.commit_ms),
            (
                "ShadowedAllowances",
                "Count",
                Some(self.shadowed_allowances),
            ),
            (
                "SkippedPermissions",
                "Count",
                Some(self.skipped_permissions),
            ),
            ("DriftRepaired", "Count", Some(self.drift_repaired)),
            ("Failures", "Count", Some(self.failures)),
        ]
    }
}

/// The report line: the report itself under `report`, the metrics at the top level, and the
/// `_aws` directives that make them metrics.
pub fn report_line(report: &Report, function: &str, timestamp_ms: u64) -> Value {
    let metrics = Metrics::of(report);
    let mut line = Map::new();
    let mut definitions = Vec::new();
    for (name, unit, value) in metrics.values() {
        if let Some(value) = value {
            definitions.push(json!({ "Name": name, "Unit": unit }));
            line.insert(name.to_owned(), json!(value));
        }
    }
    let mut directives = vec![json!({
        "Namespace": NAMESPACE,
        "Dimensions": [["Function"]],
        "Metrics": definitions,
    })];
    if let Some(error) = &report.error {
        line.insert("ErrorType".to_owned(), json!(error.error_type));
        directives.push(json!({
            "Namespace": NAMESPACE,
            "Dimensions": [["Function", "ErrorType"]],
            "Metrics": [{ "Name": "Failures", "Unit": "Count" }],
        }));
    }
    line.insert("Function".to_owned(), json!(function));
    line.insert("message".to_owned(), json!("invocation report"));
    line.insert(
        "report".to_owned(),
        serde_json::to_value(report).unwrap_or(Value::Null),
    );
    line.insert(
        "_aws".to_owned(),
        json!({ "Timestamp": timestamp_ms, "CloudWatchMetrics": directives }),
    );
    Value::Object(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ReportedError;

    #[test]
    fn a_failed_run_counts_a_failure_by_its_error_type() {
        let report = Report {
            error: Some(ReportedError {
                error_type: "FirewallBusy".into(),
                message: "another run".into(),
            }),
            ..Report::new("lambda", false)
        };
        let line = report_line(&report, "palosync", 1);
        assert_eq!(line["Failures"], 1);
        assert_eq!(line["ErrorType"], "FirewallBusy");
        let directives = line["_aws"]["CloudWatchMetrics"]
            .as_array()
            .expect("directives");
        assert_eq!(directives.len(), 2);
        assert_eq!(directives[1]["Dimensions"][0][1], "ErrorType");
        // Every metric named in a directive is a number at the top level.
        for directive in directives {
            for metric in directive["Metrics"].as_array().expect("metrics") {
                let name = metric["Name"].as_str().expect("name");
                assert!(line[name].is_u64(), "{name}");
            }
        }
        assert_eq!(line["report"]["trigger"], "lambda");
    }

    #[test]
    fn a_fleets_figures_are_the_sums_over_its_firewalls() {
        use crate::executor::Execution;
        use crate::firewall::CommitReport;
        use crate::report::FirewallReport;
        let firewall = |name: &str, rules: &[&str], commit_ms: u64| {
            let plan = planner::Plan {
                operations: rules.iter().map(|r| crate::test_plans::create(r)).collect(),
                ..planner::Plan::default()
            };
            let mut execution = Execution::new(plan, 0, false);
            execution.commit = Some(CommitReport::Committed {
                job_id: 1,
                warnings: vec![],
            });
            execution.commit_ms = Some(commit_ms);
            FirewallReport {
                execution: Some(execution),
                ..FirewallReport::new(name.into(), None)
            }
        };
        let report = Report {
            firewalls: vec![
                firewall("https://fw-a", &["sg-1-1", "sg-1-2"], 30),
                firewall("https://fw-b", &["sg-1-1"], 50),
                FirewallReport::new("https://fw-c".into(), None),
            ],
            ..Report::new("lambda", false)
        };
        let metrics = Metrics::of(&report);
        assert_eq!(metrics.rules_created, 3);
        assert_eq!(metrics.commits, 2, "one commit per firewall that committed");
        assert_eq!(metrics.commit_ms, Some(50), "the slowest commit");
    }
}
