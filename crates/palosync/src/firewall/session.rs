//! Who the key belongs to, and holding the config lock for the length of a write.
//!
//! Why: a partial commit is scoped by administrator name, so with `PANOS_ADMIN=bob` and admin's
//! key palosync's writes are admin's while its commit pushes bob's (issue 12, item 4). The XML
//! API has no "who am I"; taking a config lock does tell: the device answers `Successfully
//! acquired lock. … until lock is released by NAME.` and `show config-locks` lists each lock's
//! holder and comment (agreed device behaviour E). Holding the lock while writing also keeps
//! other administrators from interleaving edits with palosync's batches.
//!
//! A lock palosync's own user already holds (a killed earlier run) is taken over and released at
//! the end. A lock of someone else is never released by palosync.

use super::{Firewall, FirewallError};
use panos::{Acquired, LockInfo, LockScope};
use std::time::{SystemTime, UNIX_EPOCH};

/// An open write: the verified key user, holding the vsys config lock.
#[derive(Debug)]
#[must_use = "end the session to release the config lock"]
pub struct WriteSession {
    /// The administrator the key belongs to (equal to `PANOS_ADMIN` when that is set).
    pub key_user: String,
    /// The lock was already held by the key's user when the session began.
    pub took_over_lock: bool,
}

/// A comment no other lock carries, to find ours in `show config-locks`.
fn lock_comment() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("palosync run {}-{nanos}", std::process::id())
}

/// The holder of our lock: the one with our comment, else the only lock in our vsys.
fn holder_of(locks: &[LockInfo], comment: &str, vsys: &str) -> Option<String> {
    if let Some(lock) = locks.iter().find(|l| l.comment.as_deref() == Some(comment)) {
        return Some(lock.admin.clone());
    }
    match locks
        .iter()
        .filter(|l| l.scope_name.as_deref() == Some(vsys))
        .collect::<Vec<_>>()
        .as_slice()
    {
        [only] => Some(only.admin.clone()),
        _ => None,
    }
}

impl Firewall {
    fn lock_scope(&self) -> LockScope {
        LockScope::Vsys(self.vsys.clone())
    }

    /// Take the vsys config lock and learn (and check) whose key this is. On a mismatch with
    /// `PANOS_ADMIN`, the lock is released again (when palosync took it) and the run refused.
    pub async fn begin_write(&self) -> Result<WriteSession, FirewallError> {
        let scope = self.lock_scope();
        let comment = lock_comment();
        let acquired = self
            .client
            .acquire_config_lock(&scope, &comment)
            .await
            .map_err(FirewallError::Lock)?;
        let took_over_lock = acquired == Acquired::AlreadyOwned;
        let holder = match acquired {
            Acquired::Acquired {
                holder: Some(holder),
            } => Some(holder),
            Acquired::Acquired { holder: None } | Acquired::AlreadyOwned => {
                let locks = self
                    .client
                    .config_locks()
                    .await
                    .map_err(FirewallError::Lock)?;
                holder_of(&locks, &comment, &self.vsys)
            }
        };
        let refusal = match (&holder, &self.admin) {
            (None, _) => Some(FirewallError::KeyUserUnknown),
            (Some(key_user), Some(admin)) if key_user != admin => {
                Some(FirewallError::KeyOfAnotherAdmin {
                    key_user: key_user.clone(),
                    configured: admin.clone(),
                })
            }
            _ => None,
        };
        match (refusal, holder) {
            (None, Some(key_user)) => Ok(WriteSession {
                key_user,
                took_over_lock,
            }),
            (refusal, _) => {
                if !took_over_lock {
                    // Ours: taken a moment ago. Best effort; the refusal is the news.
                    let _ = self.client.release_config_lock(&scope).await;
                }
                Err(refusal.unwrap_or(FirewallError::KeyUserUnknown))
            }
        }
    }

    /// Release the config lock of `session`.
    pub async fn end_write(&self, _session: WriteSession) -> Result<(), FirewallError> {
        self.client
            .release_config_lock(&self.lock_scope())
            .await
            .map(|_| ())
            .map_err(FirewallError::Lock)
    }

    /// For `palosync check`: the key's user, verified against `PANOS_ADMIN`, lock released.
    pub async fn verify_key_user(&self) -> Result<String, FirewallError> {
        let session = self.begin_write().await?;
        let key_user = session.key_user.clone();
        self.end_write(session).await?;
        Ok(key_user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(admin: &str, vsys: &str, comment: Option<&str>) -> LockInfo {
        LockInfo {
            admin: admin.into(),
            scope_type: Some("vsys".into()),
            scope_name: Some(vsys.into()),
            created: None,
            last_activity: None,
            logged_in: Some(true),
            comment: comment.map(str::to_owned),
        }
    }

    #[test]
    fn our_lock_is_found_by_its_comment_else_as_the_only_one_in_the_vsys() {
        let locks = [
            lock("bob", "vsys2", Some("maintenance")),
            lock("admin", "vsys1", Some("palosync run 1-2")),
        ];
        assert_eq!(
            holder_of(&locks, "palosync run 1-2", "vsys1").as_deref(),
            Some("admin")
        );
        assert_eq!(
            holder_of(&locks, "palosync run 9-9", "vsys1").as_deref(),
            Some("admin")
        );
        let two = [lock("a", "vsys1", None), lock("b", "vsys1", None)];
        assert_eq!(holder_of(&two, "palosync run 9-9", "vsys1"), None);
    }

    #[test]
    fn lock_comments_differ_between_runs() {
        let first = lock_comment();
        std::thread::sleep(std::time::Duration::from_millis(1));
        assert_ne!(first, lock_comment());
        assert!(first.starts_with("palosync run "));
    }
}
