//! The AWS Lambda entry point: every payload `events` understands, one reconcile and at most
//! one commit per invocation, SQS partial batch responses, and errors whose `errorType` says
//! what failed.
//!
//! The handler is a thin function over [`App::run`], so what it does is what `palosync handle`
//! does; only the response shape and the deadline come from Lambda.

use crate::app::{App, AppError, Work};
use crate::config::Config;
use crate::report::Report;
use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::OnceCell;

/// Run the runtime loop until the process is stopped. The app (and with it the API key) is
/// built on the first invocation and reused while the execution environment lives.
pub async fn run(config: Config) -> Result<(), lambda_runtime::Error> {
    let app = OnceCell::new();
    let config = &config;
    let app = &app;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| async move {
        let app = app
            .get_or_try_init(|| App::new(config.clone(), None))
            .await
            .map_err(|e| diagnostic(e.error_type(), &e.to_string()))?;
        handle(app, event).await
    }))
    .await
}

/// One invocation. Public so tests can drive it without the runtime.
pub async fn handle(app: &App, event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    let deadline = deadline_instant(event.context.deadline);
    let payload = serde_json::to_vec(&event.payload)
        .map_err(|e| diagnostic("InvalidPayload", &e.to_string()))?;
    let ingest = events::parse_payload(&payload, &app.event_filter()).map_err(|e| {
        let error = AppError::Payload(e);
        emit(&Report {
            error: Some(crate::report::ReportedError {
                error_type: error.error_type().to_owned(),
                message: error.to_string(),
            }),
            ..Report::new("lambda", app.config.dry_run)
        });
        diagnostic(error.error_type(), &error.to_string())
    })?;
    let is_sqs_batch = !ingest.messages.is_empty();
    let messages = ingest.messages.clone();
    let (mut report, result) = app
        .run("lambda", Work::Ingest(ingest), false, deadline)
        .await;
    // Some accounts failed, the others were reconciled: only the messages that needed a failed
    // account come again, so they cannot take the others to the dead-letter queue.
    let partial = match &result {
        Err(AppError::Accounts(failed)) if is_sqs_batch && failed.others_reconciled => {
            for message in &messages {
                let unsettled = match &message.result {
                    // A log file's records are known only once fetched: it comes again whole.
                    Ok(ingest) => {
                        !ingest.log_objects.is_empty()
                            || !ingest.triggers.iter().all(|t| failed.settled(t))
                    }
                    // Unreadable: `collect` has already listed it in `failed_messages`.
                    Err(_) => false,
                };
                if unsettled && !report.failed_messages.contains(&message.message_id) {
                    report.failed_messages.push(message.message_id.clone());
                }
            }
            true
        }
        _ => false,
    };
    emit(&report);
    match result {
        Err(_) if partial => Ok(batch_item_failures(&report.failed_messages)),
        // A failed reconcile fails the whole invocation: every message returns to the queue
        // and nothing half-done was committed.
        // A fleet's errorType names every firewall that failed.
        Err(error) => Err(diagnostic(&error.lambda_error_type(), &error.to_string())),
        Ok(()) if is_sqs_batch => Ok(batch_item_failures(&report.failed_messages)),
        Ok(()) if !report.firewalls.is_empty() => Ok(json!({
            "keys": report.keys.len(),
            "operations": report
                .executions()
                .map(|e| e.plan.operations.len())
                .sum::<usize>(),
            "firewalls": report
                .firewalls
                .iter()
                .map(|f| json!({
                    "firewall": f.firewall,
                    "commit": f.execution.as_ref().and_then(|e| e.commit.as_ref()),
                }))
                .collect::<Vec<_>>(),
        })),
        Ok(()) => Ok(json!({
            "keys": report.keys.len(),
            "operations": report.operations().len(),
            "commit": report.commit(),
        })),
    }
}

/// The SQS partial batch response: these messages come again, the others are deleted.
fn batch_item_failures(ids: &[String]) -> Value {
    let failures: Vec<Value> = ids
        .iter()
        .map(|id| json!({ "itemIdentifier": id }))
        .collect();
    json!({ "batchItemFailures": failures })
}

/// The report as one log line on stdout, with its CloudWatch metrics embedded (EMF).
fn emit(report: &Report) {
    let function =
        std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "palosync".to_owned());
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    println!("{}", crate::metrics::report_line(report, &function, now_ms));
}

fn diagnostic(error_type: &str, message: &str) -> Diagnostic {
    Diagnostic {
        error_type: error_type.to_owned(),
        error_message: message.to_owned(),
    }
}

/// Lambda gives the deadline in epoch milliseconds.
fn deadline_instant(deadline_ms: u64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    Instant::now() + Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}
