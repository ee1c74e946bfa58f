//! The candidate and running configurations and the per-administrator change log.
//!
//! Every write is applied to the candidate through [`apply_write`], which validates the touched
//! objects and refuses deletes of referenced objects; a failed write leaves the candidate as it
//! was (copy-on-write snapshots make that O(1)). Each accepted write is recorded with its admin,
//! with device-assigned uuids filled in, so that a partial commit can replay exactly that admin's
//! changes onto the running configuration.
//!
//! Approximation (documented for users): a partial commit replays the admin's operations in
//! order onto running; it does not reproduce PAN-OS's object-level dependency analysis, so a
//! change that depends on another admin's uncommitted object fails the commit validation.
//! This module must never check locks or credentials.

use crate::actions::{self, MoveWhere};
use crate::failure::{ApiFailure, code};
use crate::known_entries::KnownEntries;
use crate::references::{reference_lines, referrers, rename_references};
use crate::validate::{Stage, affected_objects, check_objects};
use crate::xml::Element;
use crate::xpath::{NodePath, XPath, node_at};

/// One `type=config` write, in a form that can be replayed onto another tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    Set {
        xpath: String,
        elements: Vec<Element>,
    },
    Edit {
        xpath: String,
        element: Element,
    },
    Delete {
        xpath: String,
    },
    Move {
        xpath: String,
        whereto: MoveWhere,
    },
    Rename {
        xpath: String,
        new_name: String,
    },
    Clone {
        xpath: String,
        from: String,
        new_name: String,
    },
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Changed,
    /// `delete` of a node that does not exist: success with code 7.
    Absent,
}

/// An accepted write, attributed to the admin who made it.
#[derive(Debug, Clone)]
pub struct Change {
    pub seq: u64,
    pub admin: String,
    pub op: WriteOp,
}

/// Candidate, running and the log of uncommitted changes.
#[derive(Debug, Clone)]
pub struct ConfigStore {
    /// Private so that every change goes through this store, which keeps `known` exact.
    candidate: Element,
    pub running: Element,
    changes: Vec<Change>,
    next_seq: u64,
    sw_major: u32,
    /// The candidate's list entries by name, kept across requests: a rulebase written in
    /// batches of 200 would otherwise be hashed (or scanned) once per batch.
    known: KnownEntries,
}

/// Applies one write to `root` with set-time validation. On error `root` may be half-changed:
/// callers restore their snapshot. `known` carries list entries across a run of writes.
pub fn apply_write(
    root: &mut Element,
    op: &WriteOp,
    sw_major: u32,
    known: &mut KnownEntries,
) -> Result<Applied, ApiFailure> {
    let mut uuids = || uuid::Uuid::new_v4().to_string();
    if !matches!(op, WriteOp::Set { .. } | WriteOp::Move { .. }) {
        known.forget_all();
    }
    match op {
        WriteOp::Set { xpath, elements } => {
            let path = XPath::parse(xpath)?;
            let target = actions::set(root, path.single()?, elements, &mut uuids, known)?;
            let els: Vec<&Element> = elements.iter().collect();
            validate_touched(root, &target, &els, sw_major)?;
        }
        WriteOp::Edit { xpath, element } => {
            let path = XPath::parse(xpath)?;
            let target = actions::edit(root, path.single()?, element, &mut uuids)?;
            let kids: Vec<&Element> = element.children.iter().map(|c| c.as_ref()).collect();
            validate_touched(root, &target, &kids, sw_major)?;
        }
        WriteOp::Delete { xpath } => {
            let path = XPath::parse(xpath)?;
            let targets = path.select(root);
            if targets.is_empty() {
                return Ok(Applied::Absent);
            }
            refuse_referenced_deletes(root, &targets)?;
            actions::delete(root, targets);
        }
        WriteOp::Move { xpath, whereto } => {
            let target = select_one(root, xpath)?;
            known.after_move_within(&target[..target.len().saturating_sub(1)]);
            actions::move_entry(root, &target, whereto)?;
        }
        WriteOp::Rename { xpath, new_name } => {
            let target = select_one(root, xpath)?;
            let old = node_at(root, &target)
                .and_then(|n| n.entry_name())
                .unwrap_or_default()
                .to_string();
            let refs = referrers(root, &target, &[]);
            actions::rename(root, &target, new_name)?;
            rename_references(root, &refs, &old, new_name);
            let lines = check_objects(root, &[target], Stage::Set, sw_major);
            if !lines.is_empty() {
                return Err(ApiFailure::invalid(lines));
            }
        }
        WriteOp::Clone {
            xpath,
            from,
            new_name,
        } => {
            let container = select_one(root, xpath)?;
            let source = select_one(root, from)?;
            let copy = actions::clone_entry(root, &container, &source, new_name, &mut uuids)?;
            let lines = check_objects(root, &[copy], Stage::Set, sw_major);
            if !lines.is_empty() {
                return Err(ApiFailure::invalid(lines));
            }
        }
    }
    Ok(Applied::Changed)
}

/// Code 10 when anything outside the deleted nodes names an object being deleted: the
/// selected entries themselves, or the object entries of a selected list container.
fn refuse_referenced_deletes(root: &Element, targets: &[NodePath]) -> Result<(), ApiFailure> {
    for t in targets {
        let Some(node) = node_at(root, t) else {
            continue;
        };
        let objects: Vec<NodePath> = if node.entry_name().is_some() {
            vec![t.clone()]
        } else {
            (0..node.children.len())
                .filter(|&i| node.children[i].entry_name().is_some())
                .map(|i| {
                    let mut p = t.clone();
                    p.push(i);
                    p
                })
                .collect()
        };
        for object in &objects {
            let refs = referrers(root, object, targets);
            if !refs.is_empty() {
                let name = node_at(root, object)
                    .and_then(|n| n.entry_name())
                    .unwrap_or_default();
                return Err(ApiFailure::with_lines(
                    code::REFERENCE_COUNT_NOT_ZERO,
                    reference_lines(root, name, &refs),
                ));
            }
        }
    }
    Ok(())
}

fn validate_touched(
    root: &Element,
    target: &[usize],
    els: &[&Element],
    sw_major: u32,
) -> Result<(), ApiFailure> {
    let affected = affected_objects(root, target, els);
    let lines = check_objects(root, &affected, Stage::Set, sw_major);
    if lines.is_empty() {
        Ok(())
    } else {
        Err(ApiFailure::invalid(lines))
    }
}

fn select_one(root: &Element, xpath: &str) -> Result<Vec<usize>, ApiFailure> {
    let path = XPath::parse(xpath)?;
    let mut hits = path.select(root);
    match hits.len() {
        1 => Ok(hits.swap_remove(0)),
        0 => Err(ApiFailure::new(
            code::OBJECT_NOT_PRESENT,
            "Object doesn't exist",
        )),
        _ => Err(ApiFailure::new(
            code::OBJECT_NOT_UNIQUE,
            "Object is not unique",
        )),
    }
}

/// Copies the uuids the candidate assigned into the recorded op, so a replay onto running
/// creates rules with the same uuid.
fn annotate_uuids(op: &mut WriteOp, candidate: &Element) {
    let target = |xpath: &str| {
        XPath::parse(xpath)
            .ok()
            .and_then(|p| p.select(candidate).into_iter().next())
    };
    match op {
        WriteOp::Set { xpath, elements } => {
            if let Some(node) = target(xpath).and_then(|t| node_at(candidate, &t)) {
                for el in elements.iter_mut() {
                    copy_uuids(el, node);
                }
            }
        }
        WriteOp::Edit { xpath, element } => {
            if let Some(node) = target(xpath).and_then(|t| node_at(candidate, &t)) {
                if let Some(u) = node.attr("uuid") {
                    element.set_attr("uuid", u);
                }
                for child in element.children.iter_mut() {
                    copy_uuids(std::sync::Arc::make_mut(child), node);
                }
            }
        }
        _ => {}
    }
}

fn copy_uuids(el: &mut Element, parent_in_candidate: &Element) {
    let Some(name) = el.entry_name() else {
        if let Some(twin) = parent_in_candidate
            .children
            .iter()
            .find(|c| c.name == el.name && c.entry_name().is_none())
        {
            for child in el.children.iter_mut() {
                copy_uuids(std::sync::Arc::make_mut(child), twin);
            }
        }
        return;
    };
    let Some(twin) = parent_in_candidate.entry(&el.name, name) else {
        return;
    };
    if let Some(u) = twin.attr("uuid") {
        el.set_attr("uuid", u);
    }
    for child in el.children.iter_mut() {
        copy_uuids(std::sync::Arc::make_mut(child), twin);
    }
}

impl ConfigStore {
    pub fn new(config: Element, sw_major: u32) -> ConfigStore {
        ConfigStore {
            candidate: config.clone(),
            running: config,
            changes: Vec::new(),
            next_seq: 1,
            sw_major,
            known: KnownEntries::new(),
        }
    }

    pub fn candidate(&self) -> &Element {
        &self.candidate
    }

    /// Every wholesale change of the candidate (a restored snapshot, a revert) goes through here.
    fn replace_candidate(&mut self, candidate: Element) {
        self.candidate = candidate;
        self.known.forget_all();
    }

    pub fn sw_major(&self) -> u32 {
        self.sw_major
    }

    /// Applies a write to the candidate; on failure the candidate is unchanged.
    pub fn write(&mut self, admin: &str, op: WriteOp) -> Result<Applied, ApiFailure> {
        let snapshot = self.candidate.clone();
        let result = self.write_unguarded(admin, op);
        if result.is_err() {
            self.replace_candidate(snapshot);
        }
        result
    }

    /// Applies and records one write without a snapshot of its own: on error the candidate may
    /// be half-changed, and the caller restores the snapshot it holds. A batch takes one
    /// snapshot, not one per op: a per-op snapshot shares the rule list with the candidate, so
    /// the next op's copy-on-write clones the whole list, and a batch into N rules costs N².
    fn write_unguarded(&mut self, admin: &str, op: WriteOp) -> Result<Applied, ApiFailure> {
        let applied = apply_write(&mut self.candidate, &op, self.sw_major, &mut self.known)?;
        if applied == Applied::Changed {
            self.record(admin, op);
        }
        Ok(applied)
    }

    fn record(&mut self, admin: &str, mut op: WriteOp) {
        if let WriteOp::Clone {
            xpath, new_name, ..
        } = &op
        {
            // Replays as a set of the finished copy, keeping its uuid.
            let copy = XPath::parse(xpath)
                .ok()
                .and_then(|p| p.select(&self.candidate).into_iter().next())
                .and_then(|t| node_at(&self.candidate, &t))
                .and_then(|c| {
                    c.children
                        .iter()
                        .find(|e| e.entry_name() == Some(new_name.as_str()))
                })
                .map(|e| e.as_ref().clone());
            if let Some(copy) = copy {
                op = WriteOp::Set {
                    xpath: xpath.clone(),
                    elements: vec![copy],
                };
            }
        }
        annotate_uuids(&mut op, &self.candidate);
        self.changes.push(Change {
            seq: self.next_seq,
            admin: admin.to_string(),
            op,
        });
        self.next_seq += 1;
    }

    /// Applies several writes atomically: all or none. Returns each op's outcome up to and
    /// including the first failure.
    pub fn write_all(
        &mut self,
        admin: &str,
        ops: Vec<WriteOp>,
    ) -> (Vec<Result<Applied, ApiFailure>>, bool) {
        let snapshot = (self.candidate.clone(), self.changes.len(), self.next_seq);
        let mut results = Vec::new();
        for op in ops {
            let r = self.write_unguarded(admin, op);
            let failed = r.is_err();
            results.push(r);
            if failed {
                self.replace_candidate(snapshot.0);
                self.changes.truncate(snapshot.1);
                self.next_seq = snapshot.2;
                return (results, false);
            }
        }
        (results, true)
    }

    /// `multi-config` with `strict-transactional=yes` (the caller has checked that no commit is
    /// queued or running): first reverts `admin`'s own uncommitted changes, then applies `ops`
    /// atomically. If any op fails, the revert is undone too: the request changes nothing [?].
    pub fn write_all_strict(
        &mut self,
        admin: &str,
        ops: Vec<WriteOp>,
    ) -> Result<(Vec<Result<Applied, ApiFailure>>, bool), ApiFailure> {
        let snapshot = (self.candidate.clone(), self.changes.clone(), self.next_seq);
        self.revert_admin(admin)?;
        let (results, ok) = self.write_all(admin, ops);
        if !ok {
            self.replace_candidate(snapshot.0);
            self.changes = snapshot.1;
            self.next_seq = snapshot.2;
        }
        Ok((results, ok))
    }

    pub fn pending_changes(&self) -> bool {
        self.candidate != self.running
    }

    /// Uncommitted changes made by any of `admins`.
    pub fn changes_by(&self, admins: &[String]) -> Vec<Change> {
        self.changes
            .iter()
            .filter(|c| admins.contains(&c.admin))
            .cloned()
            .collect()
    }

    pub fn all_change_seqs(&self) -> Vec<u64> {
        self.changes.iter().map(|c| c.seq).collect()
    }

    /// Forgets committed changes (a set lookup: a commit of 100,000 changes must not cost
    /// their square).
    pub fn mark_committed(&mut self, seqs: &[u64]) {
        let committed: std::collections::HashSet<u64> = seqs.iter().copied().collect();
        self.changes.retain(|c| !committed.contains(&c.seq));
    }

    /// Admins with uncommitted changes, in the order of their first change.
    pub fn admins_with_changes(&self) -> Vec<String> {
        let mut admins: Vec<String> = Vec::new();
        for c in &self.changes {
            if !admins.contains(&c.admin) {
                admins.push(c.admin.clone());
            }
        }
        admins
    }

    /// `revert config partial admin NAME`: drops `admin`'s uncommitted changes and rebuilds the
    /// candidate as running plus everyone else's changes, replayed in order. Refused (candidate
    /// unchanged) when another admin's change depends on one being reverted. Returns whether
    /// anything was reverted.
    pub fn revert_admin(&mut self, admin: &str) -> Result<bool, ApiFailure> {
        if !self.changes.iter().any(|c| c.admin == admin) {
            return Ok(false);
        }
        let kept: Vec<Change> = self
            .changes
            .iter()
            .filter(|c| c.admin != admin)
            .cloned()
            .collect();
        let (tree, _skipped_moves) = self.replay_on_running(&kept).map_err(|mut lines| {
            lines.insert(
                0,
                format!(
                    "Cannot revert changes of {admin}: other administrators' changes depend on them"
                ),
            );
            ApiFailure::with_lines(code::OPERATION_FAILED, lines)
        })?;
        self.replace_candidate(tree);
        self.changes = kept;
        Ok(true)
    }

    /// Replaces the Panorama-pushed part (`/config/panorama`) of running and candidate alike:
    /// pushed policy is not the firewall's own change and never shows as pending.
    pub fn install_pushed(&mut self, pushed: &Element) {
        self.running = crate::push::with_pushed(&self.running, pushed);
        let candidate = crate::push::with_pushed(&self.candidate, pushed);
        self.replace_candidate(candidate);
    }

    /// `load config from running-config.xml`: the candidate becomes running again.
    pub fn revert(&mut self) {
        self.replace_candidate(self.running.clone());
        self.changes.clear();
    }

    /// Replays `changes` onto a copy of running. Moves whose anchor is not in running are
    /// skipped (reported as warnings); any other failure fails the commit.
    pub fn replay_on_running(
        &self,
        changes: &[Change],
    ) -> Result<(Element, Vec<String>), Vec<String>> {
        let mut tree = self.running.clone();
        let mut warnings = Vec::new();
        let mut known = KnownEntries::new();
        for c in changes {
            match apply_write(&mut tree, &c.op, self.sw_major, &mut known) {
                Ok(_) => {}
                Err(e) if matches!(c.op, WriteOp::Move { .. }) => {
                    warnings.push(format!(
                        "move skipped in partial commit: {}",
                        e.lines.join(" ")
                    ));
                }
                Err(e) => return Err(e.lines),
            }
        }
        Ok((tree, warnings))
    }
}
