//! Config and commit locks per administrator, with the texts PAN-OS (and pan-os-python's
//! matching) use. Another admin's config lock blocks writes; another admin's commit lock
//! blocks commits (code 14). The holder is never blocked by its own lock.
//!
//! This module must never touch configuration.

use std::time::SystemTime;

use crate::clock;
use crate::failure::{ApiFailure, code};
use crate::xml::Element;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    Config,
    Commit,
}

impl LockKind {
    fn word(self) -> &'static str {
        match self {
            LockKind::Config => "Config",
            LockKind::Commit => "Commit",
        }
    }
}

#[derive(Debug, Clone)]
struct Lock {
    kind: LockKind,
    admin: String,
    scope: String,
    comment: Option<String>,
    created: SystemTime,
}

#[derive(Debug, Default, Clone)]
pub struct Locks {
    held: Vec<Lock>,
}

impl Locks {
    pub fn add(
        &mut self,
        kind: LockKind,
        admin: &str,
        scope: &str,
        comment: Option<&str>,
    ) -> Result<String, ApiFailure> {
        if let Some(l) = self.held.iter().find(|l| l.kind == kind) {
            return Err(ApiFailure::uncoded(match (kind, l.admin == admin) {
                (LockKind::Config, true) => {
                    format!("You already own a config lock for scope {}", l.scope)
                }
                (LockKind::Config, false) => format!(
                    "Config for scope {} is currently locked by {}",
                    l.scope, l.admin
                ),
                (LockKind::Commit, _) => format!("Commit lock is already held by {}", l.admin),
            }));
        }
        self.held.push(Lock {
            kind,
            admin: admin.to_string(),
            scope: scope.to_string(),
            comment: comment.map(str::to_string),
            created: SystemTime::now(),
        });
        let what = match kind {
            LockKind::Config => "modify",
            LockKind::Commit => "commit",
        };
        Ok(format!(
            "Successfully acquired lock. Other administrators will not be able to {what} configuration until lock is released by {admin}."
        ))
    }

    /// Removes `kind` held by `owner` (default: the caller).
    pub fn remove(
        &mut self,
        kind: LockKind,
        caller: &str,
        owner: Option<&str>,
        scope: &str,
    ) -> Result<String, ApiFailure> {
        let owner = owner.unwrap_or(caller);
        let before = self.held.len();
        self.held.retain(|l| !(l.kind == kind && l.admin == owner));
        if self.held.len() == before {
            return Err(ApiFailure::uncoded(match kind {
                LockKind::Config => format!("Config is not currently locked for scope {scope}"),
                LockKind::Commit => format!("Commit lock is not currently held by {owner}"),
            }));
        }
        Ok(format!("{} lock released for {owner}", kind.word()))
    }

    /// Refuses a config write by `admin` while another admin holds the config lock.
    pub fn check_write(&self, admin: &str) -> Result<(), ApiFailure> {
        match self
            .held
            .iter()
            .find(|l| l.kind == LockKind::Config && l.admin != admin)
        {
            Some(l) => Err(ApiFailure::new(
                code::OPERATION_NOT_POSSIBLE,
                format!("Configuration is locked by {}", l.admin),
            )),
            None => Ok(()),
        }
    }

    /// Refuses a commit by `admin` while another admin holds the commit lock.
    pub fn check_commit(&self, admin: &str) -> Result<(), ApiFailure> {
        if self
            .held
            .iter()
            .any(|l| l.kind == LockKind::Commit && l.admin != admin)
        {
            return Err(ApiFailure::new(
                code::OPERATION_NOT_POSSIBLE,
                "Other administrators are holding device wide commit locks.",
            ));
        }
        Ok(())
    }

    /// `<config-locks>` / `<commit-locks>` as `show config-locks` prints them.
    pub fn show(&self, kind: LockKind) -> Element {
        let tag = match kind {
            LockKind::Config => "config-locks",
            LockKind::Commit => "commit-locks",
        };
        let mut list = Element::new(tag);
        for l in self.held.iter().filter(|l| l.kind == kind) {
            list.push(
                Element::named("entry", l.admin.clone())
                    .with_child(Element::leaf(
                        "type",
                        if l.scope == "shared" {
                            "shared"
                        } else {
                            "vsys"
                        },
                    ))
                    .with_child(Element::leaf("name", l.scope.clone()))
                    .with_child(Element::leaf("created", clock::datetime(l.created)))
                    .with_child(Element::leaf("last-activity", clock::datetime(l.created)))
                    .with_child(Element::leaf("loggedin", "yes"))
                    .with_child(Element::leaf(
                        "comment",
                        l.comment.clone().unwrap_or_else(|| "(null)".into()),
                    )),
            );
        }
        list
    }

    pub fn clear(&mut self) {
        self.held.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_admins_config_lock_blocks_writes_but_not_the_holder() {
        let mut locks = Locks::default();
        locks
            .add(LockKind::Config, "admin", "shared", Some("c"))
            .expect("free lock");
        assert!(locks.check_write("admin").is_ok());
        let err = locks.check_write("bob").expect_err("bob is blocked");
        assert_eq!(err.lines, ["Configuration is locked by admin"]);
        let again = locks
            .add(LockKind::Config, "bob", "shared", None)
            .expect_err("held");
        assert!(again.lines[0].starts_with("Config for scope shared is currently locked by admin"));
        locks
            .remove(LockKind::Config, "admin", None, "shared")
            .expect("held by admin");
        assert!(locks.check_write("bob").is_ok());
    }

    #[test]
    fn commit_lock_blocks_other_admins_with_code_14() {
        let mut locks = Locks::default();
        locks
            .add(LockKind::Commit, "bob", "shared", None)
            .expect("free lock");
        assert_eq!(
            locks.check_commit("admin").expect_err("blocked").code,
            Some(14)
        );
        assert!(locks.check_commit("bob").is_ok());
        assert!(
            locks
                .remove(LockKind::Commit, "admin", None, "shared")
                .is_err()
        );
        assert!(
            locks
                .remove(LockKind::Commit, "admin", Some("bob"), "shared")
                .is_ok()
        );
    }
}
