//! The soak's tallies, printed at the end of a run: what was done to palosync and what was
//! checked. Violations carry enough to replay them (seed, mode, sequence, step).

use std::collections::BTreeMap;

#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub sequences: u64,
    pub aws_changes: u64,
    /// Events handed to palosync (duplicates counted each time).
    pub events_delivered: u64,
    pub events_dropped: u64,
    pub events_duplicated: u64,
    pub events_delayed: u64,
    pub runs_in_process: u64,
    pub runs_binary: u64,
    pub runs_ok: u64,
    pub runs_failed: u64,
    pub scheduled_syncs: u64,
    /// Successful runs whose commit job was still running at their deadline.
    pub acked_commit_still_running: u64,
    pub faults: BTreeMap<String, u64>,
    pub kills: BTreeMap<String, u64>,
    pub invariant_checks: u64,
    pub violations: Vec<String>,
    /// Hits of documented defects that the default soak tolerates (see lib.rs).
    pub known_defects: Vec<String>,
}

impl Counts {
    pub fn fault(&mut self, kind: &str) {
        *self.faults.entry(kind.to_owned()).or_default() += 1;
    }

    pub fn kill(&mut self, kind: &str) {
        *self.kills.entry(kind.to_owned()).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Counts) {
        self.sequences += other.sequences;
        self.aws_changes += other.aws_changes;
        self.events_delivered += other.events_delivered;
        self.events_dropped += other.events_dropped;
        self.events_duplicated += other.events_duplicated;
        self.events_delayed += other.events_delayed;
        self.runs_in_process += other.runs_in_process;
        self.runs_binary += other.runs_binary;
        self.runs_ok += other.runs_ok;
        self.runs_failed += other.runs_failed;
        self.scheduled_syncs += other.scheduled_syncs;
        self.acked_commit_still_running += other.acked_commit_still_running;
        for (k, v) in &other.faults {
            *self.faults.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &other.kills {
            *self.kills.entry(k.clone()).or_default() += v;
        }
        self.invariant_checks += other.invariant_checks;
        self.violations.extend(other.violations.iter().cloned());
        self.known_defects
            .extend(other.known_defects.iter().cloned());
    }

    pub fn kills_total(&self) -> u64 {
        self.kills.values().sum()
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "sequences:         {}", self.sequences)?;
        writeln!(f, "aws changes:       {}", self.aws_changes)?;
        writeln!(
            f,
            "events:            {} delivered ({} duplicates, {} delayed), {} dropped",
            self.events_delivered, self.events_duplicated, self.events_delayed, self.events_dropped
        )?;
        writeln!(
            f,
            "palosync runs:     {} in-process, {} binary; {} ok, {} failed; {} scheduled syncs",
            self.runs_in_process,
            self.runs_binary,
            self.runs_ok,
            self.runs_failed,
            self.scheduled_syncs
        )?;
        writeln!(
            f,
            "acked, commit still running at the deadline: {}",
            self.acked_commit_still_running
        )?;
        writeln!(f, "faults injected:   {:?}", self.faults)?;
        writeln!(
            f,
            "kills (SIGKILL):   {} {:?}",
            self.kills_total(),
            self.kills
        )?;
        writeln!(f, "invariant checks:  {}", self.invariant_checks)?;
        writeln!(f, "violations:        {}", self.violations.len())?;
        for v in &self.violations {
            writeln!(f, "  - {v}")?;
        }
        writeln!(f, "known defect hits: {}", self.known_defects.len())?;
        for v in self.known_defects.iter().take(5) {
            writeln!(f, "  - {}", v.chars().take(240).collect::<String>())?;
        }
        Ok(())
    }
}
