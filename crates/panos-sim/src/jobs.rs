//! Commit and validate jobs: ids, a FIFO queue (one job runs at a time), PEND → ACT → FIN over the
//! configured commit duration with numeric progress, and the job XML pan-os-python polls.
//!
//! Jobs advance lazily: every API call (and every in-process read) first calls
//! [`JobQueue::advance`] with the current instant, which finishes jobs whose time has come, in
//! order, and starts the next. What a commit applies is fixed when it is enqueued (the candidate
//! snapshot for a full commit, the admin's logged changes for a partial one).
//! This module must never parse requests or check locks.

use std::time::{Duration, Instant, SystemTime};

use crate::clock;
use crate::commit_all::{PushPlan, devices_xml};
use crate::store::{Change, ConfigStore};
use crate::validate::commit_problems;
use crate::xml::Element;

/// What a commit job will apply to running.
#[derive(Debug, Clone)]
pub enum CommitScope {
    /// The whole candidate as it was at enqueue time, and the change-log entries it covers.
    Full { snapshot: Element, seqs: Vec<u64> },
    /// Only these admins' changes, replayed onto running when the job runs.
    Partial { changes: Vec<Change> },
}

#[derive(Debug, Clone)]
pub enum JobKind {
    Commit(CommitScope),
    Validate {
        snapshot: Element,
    },
    /// A Panorama push (`commit-all`); see [`crate::commit_all`].
    CommitAll(Box<PushPlan>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Pend,
    Act,
    Fin,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: u32,
    pub user: String,
    pub description: String,
    kind: JobKind,
    enqueued: Instant,
    enqueued_wall: SystemTime,
    started: Option<Instant>,
    finished: Option<Instant>,
    pub state: JobState,
    pub ok: Option<bool>,
    pub details: Vec<String>,
    pub warnings: Vec<String>,
}

impl Job {
    fn wall(&self, at: Instant) -> SystemTime {
        self.enqueued_wall + at.saturating_duration_since(self.enqueued)
    }

    fn type_name(&self) -> &'static str {
        match self.kind {
            JobKind::Commit(_) => "Commit",
            JobKind::Validate { .. } => "Validate",
            JobKind::CommitAll(_) => "CommitAll",
        }
    }

    pub fn is_commit(&self) -> bool {
        matches!(self.kind, JobKind::Commit(_))
    }
}

/// All jobs since start, and the commit behaviour knobs.
#[derive(Debug)]
pub struct JobQueue {
    jobs: Vec<Job>,
    next_id: u32,
    pub duration: Duration,
    /// Commits that will end FAIL regardless of the configuration (fault injection).
    pub forced_failures: u32,
    pub commits_finished: u64,
    pub commits_failed: u64,
    /// Platform capacity: most security rules a configuration may hold (`None`: unlimited).
    pub max_rules: Option<usize>,
}

impl JobQueue {
    pub fn new(duration: Duration) -> JobQueue {
        JobQueue {
            jobs: Vec::new(),
            next_id: 1,
            duration,
            forced_failures: 0,
            commits_finished: 0,
            commits_failed: 0,
            max_rules: None,
        }
    }

    pub fn enqueue(&mut self, user: &str, description: &str, kind: JobKind, now: Instant) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        self.jobs.push(Job {
            id,
            user: user.to_string(),
            description: description.to_string(),
            kind,
            enqueued: now,
            enqueued_wall: SystemTime::now(),
            started: None,
            finished: None,
            state: JobState::Pend,
            ok: None,
            details: Vec::new(),
            warnings: Vec::new(),
        });
        id
    }

    pub fn get(&self, id: u32) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id == id)
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Whether a commit is queued or running.
    pub fn commit_outstanding(&self) -> bool {
        self.jobs
            .iter()
            .any(|j| j.is_commit() && j.state != JobState::Fin)
    }

    /// Finishes every job whose time has come (applying commits to `store`) and starts the next.
    pub fn advance(&mut self, store: &mut ConfigStore, now: Instant) {
        let mut last_finish: Option<Instant> = self.jobs.iter().filter_map(|j| j.finished).max();
        loop {
            if let Some(i) = self.jobs.iter().position(|j| j.state == JobState::Act) {
                let due = self.jobs[i].started.unwrap_or(now) + self.duration;
                if now < due {
                    return;
                }
                self.finish(i, store, due);
                last_finish = Some(due);
                continue;
            }
            let Some(i) = self.jobs.iter().position(|j| j.state == JobState::Pend) else {
                return;
            };
            let job = &mut self.jobs[i];
            let start = last_finish.map_or(job.enqueued, |f| f.max(job.enqueued));
            if start > now {
                return;
            }
            job.started = Some(start);
            job.state = JobState::Act;
        }
    }

    fn finish(&mut self, i: usize, store: &mut ConfigStore, at: Instant) {
        let sw_major = store.sw_major();
        let max_rules = self.max_rules;
        let forced = self.jobs[i].is_commit() && self.forced_failures > 0;
        if forced {
            self.forced_failures -= 1;
        }
        let job = &mut self.jobs[i];
        if let JobKind::CommitAll(plan) = &mut job.kind {
            // The push takes Panorama's running configuration as it is when the job runs.
            plan.snapshot = Some(store.running.clone());
            job.state = JobState::Fin;
            job.finished = Some(at);
            job.ok = Some(true);
            return;
        }
        let outcome: Result<Vec<String>, Vec<String>> = match &job.kind {
            JobKind::Validate { snapshot } => {
                let problems = commit_problems(snapshot, sw_major, max_rules);
                if problems.is_empty() {
                    Ok(vec!["Configuration is valid".into()])
                } else {
                    Err(problems)
                }
            }
            JobKind::CommitAll(_) => Ok(Vec::new()),
            JobKind::Commit(_) if forced => Err(vec![
                " Commit failed: injected failure (panos-sim fault)".into(),
            ]),
            JobKind::Commit(CommitScope::Full { snapshot, seqs }) => {
                let problems = commit_problems(snapshot, sw_major, max_rules);
                if problems.is_empty() {
                    store.running = snapshot.clone();
                    store.mark_committed(seqs);
                    Ok(vec!["Configuration committed successfully".into()])
                } else {
                    Err(problems)
                }
            }
            JobKind::Commit(CommitScope::Partial { changes }) => {
                match store.replay_on_running(changes) {
                    Ok((tree, warnings)) => {
                        let problems = commit_problems(&tree, sw_major, max_rules);
                        if problems.is_empty() {
                            store.running = tree;
                            let seqs: Vec<u64> = changes.iter().map(|c| c.seq).collect();
                            store.mark_committed(&seqs);
                            job.warnings = warnings;
                            Ok(vec!["Partial changes to commit: changes to configuration by administrators: ".to_string()
                            + &admins_of(changes).join(","), "Configuration committed successfully".into()])
                        } else {
                            Err(problems)
                        }
                    }
                    Err(lines) => Err(lines),
                }
            }
        };
        job.state = JobState::Fin;
        job.finished = Some(at);
        match outcome {
            Ok(lines) => {
                job.ok = Some(true);
                job.details = lines;
            }
            Err(lines) => {
                job.ok = Some(false);
                let mut details = vec!["Validation Error:".to_string()];
                details.extend(lines);
                details.push(if job.is_commit() {
                    "Commit failed".into()
                } else {
                    "Validation failed".into()
                });
                job.details = details;
            }
        }
        if job.is_commit() {
            self.commits_finished += 1;
            if job.ok == Some(false) {
                self.commits_failed += 1;
            }
        }
    }

    /// `<job>` as `show jobs id N` prints it.
    pub fn job_xml(&self, job: &Job, now: Instant) -> Element {
        let position = if job.state == JobState::Pend {
            1 + self
                .jobs
                .iter()
                .filter(|j| j.state == JobState::Pend && j.id < job.id)
                .count()
        } else {
            0
        };
        let progress = match (job.state, job.started) {
            (JobState::Fin, _) => 100,
            (JobState::Act, Some(s)) if !self.duration.is_zero() => {
                let pct =
                    now.saturating_duration_since(s).as_millis() * 100 / self.duration.as_millis();
                pct.min(99) as u32
            }
            _ => 0,
        };
        let (status, result) = match (job.state, job.ok) {
            (JobState::Pend, _) => ("PEND", "PEND"),
            (JobState::Act, _) => ("ACT", "PEND"),
            (JobState::Fin, Some(true)) => ("FIN", "OK"),
            (JobState::Fin, _) => ("FIN", "FAIL"),
        };
        let tdeq = job
            .started
            .map(|s| clock::time_of_day(job.wall(s)))
            .unwrap_or_default();
        let tfin = match job.finished {
            Some(f) => clock::datetime(job.wall(f)),
            None => "Still Active".to_string(),
        };
        let lines = |name: &str, lines: &[String]| {
            let mut el = Element::new(name);
            for l in lines {
                el.push(Element::leaf("line", l.clone()));
            }
            el
        };
        let el = Element::new("job")
            .with_child(Element::leaf("tenq", clock::datetime(job.enqueued_wall)))
            .with_child(Element::leaf("tdeq", tdeq))
            .with_child(Element::leaf("id", job.id.to_string()))
            .with_child(Element::leaf("user", job.user.clone()))
            .with_child(Element::leaf("type", job.type_name()))
            .with_child(Element::leaf("status", status))
            .with_child(Element::leaf(
                "queued",
                if job.state == JobState::Pend {
                    "YES"
                } else {
                    "NO"
                },
            ))
            .with_child(Element::leaf(
                "stoppable",
                if job.state == JobState::Fin {
                    "no"
                } else {
                    "yes"
                },
            ))
            .with_child(Element::leaf("result", result))
            .with_child(Element::leaf("tfin", tfin))
            .with_child(Element::leaf("description", job.description.clone()))
            .with_child(Element::leaf("positionInQ", position.to_string()))
            .with_child(Element::leaf("progress", progress.to_string()));
        let JobKind::CommitAll(plan) = &job.kind else {
            return el
                .with_child(lines("warnings", &job.warnings))
                .with_child(lines("details", &job.details));
        };
        el.with_child(Element::leaf("push_type", "shared-policy"))
            .with_child(Element::leaf("dgname", plan.device_groups.join(",")))
            .with_child(lines("warnings", &job.warnings))
            .with_child(lines("details", &job.details))
            .with_child(devices_xml(plan, job.finished, |at| job.wall(at)))
    }

    /// The plans of finished pushes with devices still to deliver, with when each job finished.
    pub fn pushes_mut(&mut self) -> impl Iterator<Item = (Instant, &mut PushPlan)> {
        self.jobs
            .iter_mut()
            .filter_map(|j| match (&mut j.kind, j.finished) {
                (JobKind::CommitAll(plan), Some(f))
                    if plan.targets.iter().any(|t| t.outcome.is_none()) =>
                {
                    Some((f, plan.as_mut()))
                }
                _ => None,
            })
    }

    /// Every job, newest first (`show jobs all`).
    pub fn all(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter().rev()
    }
}

fn admins_of(changes: &[Change]) -> Vec<String> {
    let mut admins: Vec<String> = Vec::new();
    for c in changes {
        if !admins.contains(&c.admin) {
            admins.push(c.admin.clone());
        }
    }
    admins
}
