//! Commits and jobs: start a (partial) commit, poll its job to the end or to a deadline.
//!
//! Honest about outcomes: a job that finishes with anything but `OK` is a failure
//! ([`Error::JobFailed`] from [`Job::into_ok`] and [`Client::commit_and_wait`]), a reply without
//! a job is "nothing to commit", a deadline returns the job id as still running. A commit is
//! never retried (a lost reply may mean a job was queued).

use std::fmt;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::envelope::{Envelope, lines_of};
use crate::error::Error;
use crate::op::op_command;
use crate::panorama::DevicePush;
use crate::retry::Idempotency;
use crate::stats::RequestKind;
use crate::transport::ApiRequest;
use crate::xml::XmlNode;

/// A job id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct JobId(pub u64);

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What a commit covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitScope {
    /// Everything pending, from every administrator.
    Full,
    /// Only the changes of these administrators (PAN-OS 8.0+).
    PartialAdmins(Vec<String>),
}

/// A commit to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRequest {
    /// Full or admin-scoped.
    pub scope: CommitScope,
    /// Commit description.
    pub description: Option<String>,
    /// `force`: commit even when the device thinks nothing changed.
    pub force: bool,
    /// Panorama: narrow a partial commit to these device groups' changes (empty: no such
    /// narrowing; a firewall has no device groups).
    pub device_groups: Vec<String>,
}

impl CommitRequest {
    /// A partial commit of `admin`'s changes.
    pub fn partial_for(admin: impl Into<String>) -> Self {
        Self {
            scope: CommitScope::PartialAdmins(vec![admin.into()]),
            description: None,
            force: false,
            device_groups: Vec::new(),
        }
    }

    /// `<commit>…</commit>`; with force, pango's form `<commit><force>…</force></commit>`.
    fn to_command(&self) -> XmlNode {
        let mut body = Vec::new();
        if let Some(description) = &self.description {
            body.push(XmlNode::with_text_content("description", description));
        }
        if let CommitScope::PartialAdmins(admins) = &self.scope {
            let mut partial = XmlNode::new("partial");
            if !self.device_groups.is_empty() {
                partial
                    .children
                    .push(XmlNode::member_list("device-group", &self.device_groups));
            }
            body.push(partial.with_child(XmlNode::member_list("admin", admins)));
        }
        let mut commit = XmlNode::new("commit");
        if self.force {
            let mut force = XmlNode::new("force");
            force.children = body;
            commit.children.push(force);
        } else {
            commit.children = body;
        }
        commit
    }
}

/// The reply to a commit request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitStarted {
    /// A job was enqueued.
    Job(JobId),
    /// The device found nothing to commit (no job).
    NothingToCommit,
}

/// `status` of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobStatus {
    /// `PEND`: queued.
    Pending,
    /// `ACT`: running.
    Active,
    /// `FIN`: finished; see [`Job::result`].
    Finished,
    /// Anything else, as written.
    Other(String),
}

/// `result` of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobResult {
    /// `PEND`: not finished.
    Pending,
    /// `OK`.
    Ok,
    /// `FAIL`.
    Fail,
    /// Anything else, as written.
    Other(String),
}

impl JobResult {
    pub(crate) fn parse(text: Option<&str>) -> Self {
        match text {
            Some("PEND") | None => Self::Pending,
            Some("OK") => Self::Ok,
            Some("FAIL") => Self::Fail,
            Some(other) => Self::Other(other.to_owned()),
        }
    }
}

/// A job as `show jobs id N` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Id.
    pub id: JobId,
    /// `Commit`, `Validate`, `CommitAll`, ….
    pub kind: Option<String>,
    /// PEND / ACT / FIN.
    pub status: JobStatus,
    /// PEND / OK / FAIL.
    pub result: JobResult,
    /// 0–100 when numeric (some builds send text).
    pub progress: Option<u8>,
    /// Who started it.
    pub user: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Enqueued at.
    pub enqueued: Option<String>,
    /// Finished at (`Still Active` while running).
    pub finished: Option<String>,
    /// `details` lines.
    pub details: Vec<String>,
    /// `warnings` lines.
    pub warnings: Vec<String>,
    /// A Panorama push (`CommitAll`): each firewall's part.
    pub devices: Vec<DevicePush>,
}

impl Job {
    /// Reads a `<job>` element.
    pub fn from_node(job: &XmlNode) -> Result<Self, Error> {
        let id = job
            .child_text("id")
            .and_then(|t| t.parse().ok())
            .map(JobId)
            .ok_or_else(|| Error::malformed("job without a numeric id"))?;
        let text = |name: &str| job.child_text(name).map(str::to_owned);
        let status = match job.child_text("status") {
            Some("PEND") => JobStatus::Pending,
            Some("ACT") => JobStatus::Active,
            Some("FIN") => JobStatus::Finished,
            Some(other) => JobStatus::Other(other.to_owned()),
            None => return Err(Error::malformed(format!("job {id} has no status"))),
        };
        let result = JobResult::parse(job.child_text("result"));
        let devices = job
            .child("devices")
            .map(|d| {
                d.children_named("entry")
                    .map(DevicePush::from_node)
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        Ok(Self {
            id,
            kind: text("type"),
            status,
            result,
            progress: job.child_text("progress").and_then(|p| p.parse().ok()),
            user: text("user"),
            description: text("description").filter(|d| !d.is_empty()),
            enqueued: text("tenq"),
            finished: text("tfin"),
            details: job.child("details").map(all_lines).unwrap_or_default(),
            warnings: job.child("warnings").map(all_lines).unwrap_or_default(),
            devices,
        })
    }

    /// Whether the job has finished (whatever its result).
    pub fn is_finished(&self) -> bool {
        self.status == JobStatus::Finished
    }

    /// `Ok(self)` when the job finished `OK`; [`Error::JobFailed`] when it finished otherwise.
    /// An unfinished job is returned as is.
    pub fn into_ok(self) -> Result<Self, Error> {
        if !self.is_finished() || self.result == JobResult::Ok {
            return Ok(self);
        }
        Err(Error::JobFailed {
            id: self.id,
            details: self.details,
            warnings: self.warnings,
        })
    }
}

/// Every `line` under a `details`/`warnings` element, at any depth (`details/line`,
/// `details/msg/errors/line`), or its bare text.
fn all_lines(container: &XmlNode) -> Vec<String> {
    let direct = lines_of(container);
    if !direct.is_empty() {
        return direct;
    }
    container.children.iter().flat_map(all_lines).collect()
}

/// Result of waiting for a job.
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "returned once per commit; a box would only add noise for callers"
)]
pub enum JobOutcome {
    /// The job finished; check [`Job::result`] (or use [`Job::into_ok`]).
    Finished(Job),
    /// The deadline passed first; the job may still finish.
    StillRunning(JobId),
}

/// Result of [`Client::commit_and_wait`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[expect(
    clippy::large_enum_variant,
    reason = "returned once per commit; a box would only add noise for callers"
)]
pub enum CommitOutcome {
    /// The commit job finished OK.
    Committed(Job),
    /// Nothing to commit.
    NothingToCommit,
    /// The deadline passed while the job ran.
    StillRunning(JobId),
}

fn is_nothing_to_commit(reply: &Envelope) -> bool {
    reply.lines().iter().any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.contains("no changes to commit")
            || lower.contains("would be the same as the previous")
    })
}

pub(crate) fn interpret_commit_reply(reply: &Envelope) -> Result<CommitStarted, Error> {
    if !reply.success {
        return if is_nothing_to_commit(reply) {
            Ok(CommitStarted::NothingToCommit)
        } else {
            Err(reply.to_error())
        };
    }
    match reply.result().and_then(|r| r.child_text("job")) {
        Some(id) => id
            .parse()
            .map(|id| CommitStarted::Job(JobId(id)))
            .map_err(|_| Error::malformed(format!("commit job id {id:?} is not a number"))),
        None => Ok(CommitStarted::NothingToCommit),
    }
}

impl Client {
    /// Starts a commit. Never retried.
    pub async fn commit(&self, request: &CommitRequest) -> Result<CommitStarted, Error> {
        let api_request = ApiRequest {
            kind: RequestKind::Commit,
            params: vec![
                ("type", "commit".to_owned()),
                ("cmd", request.to_command().to_xml()),
            ],
            idempotency: Idempotency::NotIdempotent,
        };
        let reply = self.send(api_request).await?;
        interpret_commit_reply(&reply).map_err(|e| self.scrub(e))
    }

    /// `show jobs id N`. An unknown id is [`Error::ObjectNotFound`].
    pub async fn job(&self, id: JobId) -> Result<Job, Error> {
        let mut cmd = op_command(&["show", "jobs"]);
        cmd.children[0]
            .children
            .push(XmlNode::with_text_content("id", id.to_string()));
        let result = self.op(&cmd, None).await?;
        let job = result
            .child("job")
            .ok_or_else(|| Error::malformed(format!("job {id} reply has no result/job")))?;
        Job::from_node(job)
    }

    /// `show jobs all`: every job the device still lists, in its order.
    pub async fn jobs(&self) -> Result<Vec<Job>, Error> {
        let mut cmd = op_command(&["show", "jobs"]);
        cmd.children[0].children.push(XmlNode::new("all"));
        let result = self.op(&cmd, None).await?;
        result.children_named("job").map(Job::from_node).collect()
    }

    /// Polls job `id` every poll interval until it finishes or `timeout` passes.
    pub async fn wait_for_job(&self, id: JobId, timeout: Duration) -> Result<JobOutcome, Error> {
        self.wait_until(id, timeout, Job::is_finished).await
    }

    /// Polls job `id` every poll interval until `done` holds or `timeout` passes.
    pub(crate) async fn wait_until(
        &self,
        id: JobId,
        timeout: Duration,
        done: impl Fn(&Job) -> bool,
    ) -> Result<JobOutcome, Error> {
        let deadline = Instant::now() + timeout;
        let interval = self.transport.job_poll_interval;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            // Never a floor above the cap: `clamp` panics when min > max (a retry policy
            // shorter than 100 ms did; found by tests/fuzzed_responses.rs).
            let cap = self.retry.max_elapsed;
            let floor = Duration::from_millis(100).min(cap);
            let poller = self.with_retry(self.retry.with_max_elapsed(remaining.clamp(floor, cap)));
            let job = poller.job(id).await?;
            if done(&job) {
                return Ok(JobOutcome::Finished(job));
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Ok(JobOutcome::StillRunning(id));
            }
            tokio::time::sleep(interval.min(remaining)).await;
        }
    }

    /// Commits and waits: OK → `Committed`, FAIL → [`Error::JobFailed`] with the device's lines.
    pub async fn commit_and_wait(
        &self,
        request: &CommitRequest,
        timeout: Duration,
    ) -> Result<CommitOutcome, Error> {
        match self.commit(request).await? {
            CommitStarted::NothingToCommit => Ok(CommitOutcome::NothingToCommit),
            CommitStarted::Job(id) => match self.wait_for_job(id, timeout).await? {
                JobOutcome::Finished(job) => job.into_ok().map(CommitOutcome::Committed),
                JobOutcome::StillRunning(id) => Ok(CommitOutcome::StillRunning(id)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(body: &str) -> Envelope {
        Envelope::parse(body).expect("valid")
    }

    #[test]
    fn commit_commands() {
        let full = CommitRequest {
            scope: CommitScope::Full,
            description: None,
            force: false,
            device_groups: Vec::new(),
        };
        assert_eq!(full.to_command().to_xml(), "<commit/>");
        let mut partial = CommitRequest::partial_for("palosync");
        partial.description = Some("sync <1>".into());
        assert_eq!(
            partial.to_command().to_xml(),
            "<commit><description>sync &lt;1&gt;</description><partial><admin><member>palosync</member></admin></partial></commit>"
        );
        partial.device_groups = vec!["dg1".into()];
        assert!(
            partial.to_command().to_xml().contains(
                "<partial><device-group><member>dg1</member></device-group><admin><member>palosync</member></admin></partial>"
            )
        );
        partial.force = true;
        assert!(
            partial
                .to_command()
                .to_xml()
                .starts_with("<commit><force><description>")
        );
    }

    #[test]
    fn enqueued_nothing_and_blocked_replies() {
        let enqueued = reply(
            r#"<response status="success" code="19"><result><msg><line>Commit job enqueued with jobid 4</line></msg><job>4</job></result></response>"#,
        );
        assert_eq!(
            interpret_commit_reply(&enqueued).expect("ok"),
            CommitStarted::Job(JobId(4))
        );
        for nothing in [
            r#"<response status="success" code="19"><msg>There are no changes to commit.</msg></response>"#,
            r#"<response status="success" code="19"><msg><line>There are no changes to commit.</line></msg></response>"#,
            r#"<response status="error" code="13"><msg><line>The result of this commit would be the same as the previous commit queued/processed.</line></msg></response>"#,
        ] {
            assert_eq!(
                interpret_commit_reply(&reply(nothing)).expect("ok"),
                CommitStarted::NothingToCommit,
                "{nothing}"
            );
        }
        let locked = reply(
            r#"<response status="error" code="14"><msg><line>Other administrators are holding device wide commit locks.</line></msg></response>"#,
        );
        assert!(matches!(
            interpret_commit_reply(&locked),
            Err(Error::LockHeld { .. })
        ));
        let busy = reply(
            r#"<response status="error"><msg><line>Another commit/validate is in progress. Please try again later</line></msg></response>"#,
        );
        assert!(matches!(
            interpret_commit_reply(&busy),
            Err(Error::CommitInProgress { .. })
        ));
    }

    #[test]
    fn running_job_shape() {
        let body = r#"<response status="success"><result><job>
  <tenq>2018/06/12 04:36:45</tenq><tdeq>04:36:45</tdeq><id>2</id><user>admin</user><type>Commit</type>
  <status>ACT</status><queued>NO</queued><stoppable>yes</stoppable><result>PEND</result><tfin>Still Active</tfin>
  <description/><positionInQ>0</positionInQ><progress>75</progress><warnings/><details/></job></result></response>"#;
        let env = reply(body);
        let job = Job::from_node(env.root.path(&["result", "job"]).expect("job")).expect("parses");
        assert_eq!(job.id, JobId(2));
        assert_eq!(job.status, JobStatus::Active);
        assert_eq!(job.result, JobResult::Pending);
        assert_eq!(job.progress, Some(75));
        assert_eq!(job.kind.as_deref(), Some("Commit"));
        assert_eq!(job.description, None);
        assert!(job.details.is_empty() && job.warnings.is_empty());
        assert!(!job.is_finished());
        assert!(job.into_ok().is_ok(), "a running job is not a failure yet");
    }

    #[test]
    fn finished_ok_and_failed_jobs() {
        let ok = reply(
            r#"<response status="success"><result><job><id>5</id><user>admin</user><tenq>t</tenq><tfin>t2</tfin><status>FIN</status><result>OK</result><progress>100</progress><details><line>Configuration committed successfully</line><line>Local configuration size: 9 KB</line></details><warnings><line>rule r1 shadows r2</line></warnings></job></result></response>"#,
        );
        let job = Job::from_node(ok.root.path(&["result", "job"]).expect("job")).expect("parses");
        assert_eq!(job.result, JobResult::Ok);
        assert_eq!(job.details.len(), 2);
        assert_eq!(job.warnings, vec!["rule r1 shadows r2"]);
        assert!(job.into_ok().is_ok());

        let failed = reply(
            r#"<response status="success"><result><job><id>6</id><status>FIN</status><result>FAIL</result><progress>100</progress><details><line>Validation Error:</line><line><![CDATA[ address -> address-3 Node ip-netmask(line 30226) and ip-range(line 30227) are mutually exclusive]]></line><line><![CDATA[ address is invalid]]></line></details></job></result></response>"#,
        );
        let job =
            Job::from_node(failed.root.path(&["result", "job"]).expect("job")).expect("parses");
        match job.into_ok() {
            Err(Error::JobFailed { id, details, .. }) => {
                assert_eq!(id, JobId(6));
                assert_eq!(details[0], "Validation Error:");
                assert_eq!(details[2], "address is invalid");
            }
            other => panic!("a FAIL job must be an error, got {other:?}"),
        }
    }

    #[test]
    fn commit_all_device_errors_and_text_progress() {
        let body = r#"<job><id>9</id><type>CommitAll</type><status>FIN</status><result>FAIL</result><progress>done</progress><details><msg><errors><line>push failed</line></errors></msg></details></job>"#;
        let job = Job::from_node(&XmlNode::parse(body).expect("valid")).expect("parses");
        assert_eq!(job.progress, None);
        assert_eq!(job.details, vec!["push failed"]);
        let missing_id = XmlNode::parse("<job><status>FIN</status></job>").expect("valid");
        assert!(Job::from_node(&missing_id).is_err());
    }
}
