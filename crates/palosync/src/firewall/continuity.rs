//! Commit continuity (issue 15, item 2): a run that reaches its deadline while its commit job is
//! still running returns (`CommitReport::StillRunning`) and the job goes on. The next run finds
//! it again in `show jobs all` (a commit by palosync's admin with palosync's description) and
//! waits for it before writing or committing anything, rather than queueing another commit over
//! it; its report says which job it waited for and how that ended.

use super::{Firewall, FirewallError};
use panos::{JobOutcome, JobResult, JobStatus};
use serde::Serialize;
use std::time::Duration;

/// Commit descriptions palosync writes start with this.
pub const COMMIT_DESCRIPTION_PREFIX: &str = "palosync:";

/// An earlier commit of palosync's that this run waited for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AwaitedCommit {
    pub job_id: u64,
    /// `OK` or `FAIL`.
    pub result: String,
    /// The device's lines, for a failed job.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<String>,
}

impl Firewall {
    /// palosync's commit jobs that have not finished.
    pub async fn running_own_commits(&self) -> Result<Vec<u64>, FirewallError> {
        let jobs = self.client.jobs().await.map_err(FirewallError::Read)?;
        Ok(jobs
            .into_iter()
            .filter(|job| job.status != JobStatus::Finished)
            .filter(|job| {
                job.kind
                    .as_deref()
                    .is_some_and(|k| k.eq_ignore_ascii_case("commit"))
            })
            .filter(|job| {
                job.description
                    .as_deref()
                    .is_some_and(|d| d.starts_with(COMMIT_DESCRIPTION_PREFIX))
            })
            .filter(|job| match (&self.admin, &job.user) {
                (Some(admin), Some(user)) => admin == user,
                _ => true,
            })
            .map(|job| job.id.0)
            .collect())
    }

    /// Wait for each of palosync's unfinished commits, within `budget` in all. One still running
    /// at the end is [`FirewallError::CommitStillRunning`]: retry later, never commit over it.
    pub async fn await_own_commits(
        &self,
        budget: Duration,
    ) -> Result<Vec<AwaitedCommit>, FirewallError> {
        let deadline = std::time::Instant::now() + budget;
        let mut awaited = Vec::new();
        for job_id in self.running_own_commits().await? {
            let remaining = deadline.saturating_duration_since(std::time::Instant::now());
            let outcome = self
                .client
                .wait_for_job(panos::JobId(job_id), remaining)
                .await
                .map_err(FirewallError::Read)?;
            let job = match outcome {
                JobOutcome::Finished(job) => job,
                JobOutcome::StillRunning(_) => {
                    return Err(FirewallError::CommitStillRunning { job_id });
                }
            };
            tracing::info!(job_id, result = ?job.result, "waited for palosync's earlier commit");
            awaited.push(AwaitedCommit {
                job_id,
                result: if job.result == JobResult::Ok {
                    "OK"
                } else {
                    "FAIL"
                }
                .to_owned(),
                lines: if job.result == JobResult::Ok {
                    Vec::new()
                } else {
                    job.details
                },
            });
        }
        Ok(awaited)
    }
}
