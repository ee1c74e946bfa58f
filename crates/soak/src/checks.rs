//! The soak's judgement of palosync, counted. After every run: no operator entry edited, moved
//! or deleted; no managed allowance the AWS state never asked for; an acknowledged run left
//! nothing written but uncommitted (once its commit job ended); the rulebase owned, placed and
//! unique. After the settling sync: all of that, plus exact (every desired probe allowed by a
//! managed rule, nothing else) and no lock left behind. Decides; reads only.

use crate::device::{self, OperatorSnapshot};
use crate::engine::Outcome;
use crate::oracle::{self, Flow};
use crate::world::World;
use panos_sim::RunningSimulator;
use std::collections::BTreeSet;
use std::time::Duration;

pub const TAG: &str = "palosync";

/// Checks done and the breaches found.
#[derive(Debug, Default)]
pub struct Verdict {
    pub checks: u64,
    pub violations: Vec<String>,
    /// Breaches of a documented, known defect (counted, not violations unless strict).
    pub known: Vec<String>,
}

impl Verdict {
    pub fn check(&mut self) {
        self.checks += 1;
    }

    pub fn fail(&mut self, what: String) {
        self.violations.push(what);
    }

    /// One check: each breach a violation.
    fn expect_none(&mut self, breaches: Vec<String>) {
        self.checks += 1;
        self.violations.extend(breaches);
    }

    pub fn merge(&mut self, other: Verdict) {
        self.checks += other.checks;
        self.violations.extend(other.violations);
        self.known.extend(other.known);
    }
}

/// What the checks remember across runs.
#[derive(Debug)]
pub struct Checker {
    snapshot: OperatorSnapshot,
    /// Every probe flow some AWS state of this soak desired.
    ever_desired: BTreeSet<Flow>,
    /// A config lock left behind by a killed run is a violation (else known defect D2).
    pub strict_locks: bool,
}

impl Checker {
    pub async fn new(sim: &RunningSimulator, world: &World) -> anyhow::Result<Checker> {
        Ok(Checker {
            snapshot: OperatorSnapshot::take(sim, TAG),
            ever_desired: oracle::desired(world).await?,
            strict_locks: false,
        })
    }

    /// Remember what AWS desires after a change.
    pub async fn learn(&mut self, world: &World) -> anyhow::Result<()> {
        self.ever_desired.extend(oracle::desired(world).await?);
        Ok(())
    }

    fn common(&self, sim: &RunningSimulator, world: &World, verdict: &mut Verdict) {
        verdict.expect_none(self.snapshot.differences(sim, TAG));
        let universe = oracle::universe(world);
        let stray: Vec<String> = oracle::allowed(sim, &universe, TAG)
            .difference(&self.ever_desired)
            .map(|f| format!("allowance never desired in running: {f}"))
            .collect();
        verdict.expect_none(stray);
        verdict.expect_none(device::structure(sim, TAG));
    }

    pub async fn after_run(
        &mut self,
        sim: &RunningSimulator,
        world: &World,
        outcome: Outcome,
    ) -> anyhow::Result<Verdict> {
        let mut verdict = Verdict::default();
        self.common(sim, world, &mut verdict);
        if matches!(outcome, Outcome::Acked | Outcome::AckedCommitStillRunning) {
            if outcome == Outcome::AckedCommitStillRunning {
                crate::faults::commits_settled(sim, Duration::from_secs(30)).await;
            }
            let pending = device::uncommitted(sim, TAG);
            verdict.expect_none(
                pending
                    .into_iter()
                    .map(|p| format!("acknowledged ({outcome:?}) but not committed: {p}"))
                    .collect(),
            );
        }
        Ok(verdict)
    }

    pub async fn after_settle(
        &mut self,
        sim: &RunningSimulator,
        world: &World,
    ) -> anyhow::Result<Verdict> {
        let mut verdict = Verdict::default();
        self.common(sim, world, &mut verdict);
        let desired = oracle::desired(world).await?;
        self.ever_desired.extend(desired.iter().copied());
        let universe = oracle::universe(world);
        let allowed = oracle::allowed(sim, &universe, TAG);
        let mut exact = vec![];
        for flow in desired.difference(&allowed) {
            exact.push(format!("exact: desired but not allowed: {flow}"));
        }
        for flow in allowed.difference(&desired) {
            exact.push(format!("exact: allowed but not desired: {flow}"));
        }
        verdict.expect_none(exact);
        verdict.expect_none(
            device::uncommitted(sim, TAG)
                .into_iter()
                .map(|p| format!("committed: still pending after the sync: {p}"))
                .collect(),
        );
        let locks = sim.with_state(|s| s.locks.show(panos_sim::locks::LockKind::Config).to_xml());
        let commit_locks =
            sim.with_state(|s| s.locks.show(panos_sim::locks::LockKind::Commit).to_xml());
        let mut left = vec![];
        for xml in [locks, commit_locks] {
            if xml.contains("<entry") {
                left.push(format!("a lock is still held after the sync: {xml}"));
            }
        }
        if self.strict_locks {
            verdict.expect_none(left);
        } else {
            verdict.check();
            verdict
                .known
                .extend(left.into_iter().map(|l| format!("D2: {l}")));
        }
        Ok(verdict)
    }
}
