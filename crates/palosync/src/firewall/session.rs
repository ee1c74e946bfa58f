//! Who the key belongs to, and holding the config lock for the length of a write.
//!
//! Why: a partial commit is scoped by administrator name, so with `PANOS_ADMIN=bob` and admin's
//! key palosync's writes are admin's while its commit pushes bob's (issue 12, item 4). The XML
//! API has no "who am I"; taking a config lock does tell: the device answers `Successfully
//! acquired lock. … until lock is released by NAME.` and `show config-locks` lists each lock's
//! holder and comment (agreed device behaviour E). Holding the lock while writing also keeps
//! other administrators from interleaving edits with palosync's batches.
//!
//! The lock is held through the write and the commit, so two palosync runs (the Lambda and an
//! operator's `sync`, or two Lambdas) never interleave (issue 15, item 3). Both run as the same
//! administrator, and a config lock excludes other administrators only, so each run's lock
//! comment says until when it may hold the lock: a second run that finds palosync's user holding
//! the lock with a comment whose time has not passed waits for it (within its own deadline) or
//! gives up with a retryable error; one whose time has passed (a killed run) is taken over and
//! released at the end. A lock of someone else is never released by palosync.

use super::{Firewall, FirewallError};
use panos::{Acquired, LockInfo, LockScope};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How often a run waiting for another run's lock looks again.
const LOCK_POLL: Duration = Duration::from_millis(250);

/// An open write: the verified key user, holding the vsys config lock.
#[derive(Debug)]
#[must_use = "end the session to release the config lock"]
pub struct WriteSession {
    /// The administrator the key belongs to (equal to `PANOS_ADMIN` when that is set).
    pub key_user: String,
    /// The lock was already held by the key's user when the session began.
    pub took_over_lock: bool,
    /// Another palosync run held the lock and this one waited for it: what it planned before
    /// is stale.
    pub waited_for_other_run: bool,
}

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// This kernel's boot id, so a run can tell a lock left by a dead process of the same kernel.
/// Not the host name: Lambda execution environments may share one, but each runs its own
/// kernel, so a pid is only meaningful under the same boot id.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

/// A comment no other lock carries, to find ours in `show config-locks`, saying where it runs
/// (boot id and pid) and until when (Unix seconds) this run may hold the lock.
fn lock_comment(hold_until: Instant) -> String {
    let now = unix_now();
    let until = now + hold_until.saturating_duration_since(Instant::now());
    format!(
        "palosync run {}/{}-{} until {}",
        host(),
        std::process::id(),
        now.as_nanos(),
        until.as_secs()
    )
}

/// Until when (Unix seconds) another palosync run holds a lock, from its comment.
fn held_until(comment: &str) -> Option<u64> {
    let rest = comment.strip_prefix("palosync run ")?;
    rest.rsplit_once(" until ")?.1.parse().ok()
}

/// The lock's run is a process of this kernel that no longer exists (a killed CLI run, found by
/// the soak): its time need not be waited out.
fn dead_here(comment: &str) -> bool {
    let Some(rest) = comment.strip_prefix("palosync run ") else {
        return false;
    };
    // `<boot id>/<pid>-<nanos> until <t>`; the boot id has dashes of its own.
    let Some((host_name, after)) = rest.split_once('/') else {
        return false;
    };
    let Some((pid, _)) = after.split_once('-') else {
        return false;
    };
    let here = host();
    !here.is_empty()
        && host_name == here
        && pid.parse::<u32>().is_ok_and(|pid| {
            pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        })
}

/// A live lock of another palosync run in `vsys` (its time not yet passed, its process not
/// known dead): (comment, until).
fn live_palosync_lock(locks: &[LockInfo], vsys: &str, now_secs: u64) -> Option<(String, u64)> {
    locks
        .iter()
        .filter(|l| l.scope_name.as_deref() == Some(vsys))
        .filter_map(|l| {
            let comment = l.comment.as_deref()?;
            let until = held_until(comment)?;
            (until > now_secs && !dead_here(comment)).then(|| (comment.to_owned(), until))
        })
        .next()
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
        LockScope::Vsys(self.lock_scope_name().to_owned())
    }

    /// The scope palosync's config lock is taken in: the vsys, or behind Panorama the device
    /// group (Panorama scopes locks by device group, as pan-os-python does with `vsys=<dg>`).
    fn lock_scope_name(&self) -> &str {
        self.panorama()
            .map_or(self.vsys.as_str(), |p| p.device_group.as_str())
    }

    /// Take the vsys config lock, to hold until `hold_until` at the latest, and learn (and
    /// check) whose key this is. Another palosync run's live lock is waited for until
    /// `hold_until`, then [`FirewallError::Busy`]. On a mismatch with `PANOS_ADMIN`, the lock is
    /// released again (when palosync took it) and the run refused.
    pub async fn begin_write(&self, hold_until: Instant) -> Result<WriteSession, FirewallError> {
        // Nothing is written that could not be committed.
        self.commit_scope()?;
        if let Some(panorama) = self.panorama() {
            self.check_panorama(panorama).await?;
        }
        let scope = self.lock_scope();
        let comment = lock_comment(hold_until);
        let mut waited_for_other_run = false;
        let (acquired, locks) = loop {
            let acquired = self
                .client
                .acquire_config_lock(&scope, &comment)
                .await
                .map_err(FirewallError::Lock)?;
            let locks = match acquired {
                Acquired::Acquired { holder: Some(_) } => None,
                Acquired::Acquired { holder: None } | Acquired::AlreadyOwned => Some(
                    self.client
                        .config_locks()
                        .await
                        .map_err(FirewallError::Lock)?,
                ),
            };
            let other = match (&acquired, &locks) {
                (Acquired::AlreadyOwned, Some(locks)) => {
                    live_palosync_lock(locks, self.lock_scope_name(), unix_now().as_secs())
                }
                _ => None,
            };
            let Some((holder_comment, until)) = other else {
                break (acquired, locks);
            };
            let remaining = hold_until.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(FirewallError::Busy {
                    comment: holder_comment,
                    until,
                });
            }
            tracing::info!(lock = %holder_comment, "another palosync run holds the config lock; waiting");
            waited_for_other_run = true;
            tokio::time::sleep(LOCK_POLL.min(remaining)).await;
        };
        let took_over_lock = acquired == Acquired::AlreadyOwned;
        let holder = match (acquired, locks) {
            (
                Acquired::Acquired {
                    holder: Some(holder),
                },
                _,
            ) => Some(holder),
            (_, Some(locks)) => holder_of(&locks, &comment, self.lock_scope_name()),
            (_, None) => None,
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
                waited_for_other_run,
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

    /// Release a config lock palosync's user holds in this vsys whose run is over (its time has
    /// passed, or its process on this host is gone): a killed run's. A run that writes takes
    /// such a lock over anyway; this lets a run with nothing to write (a scheduled sync) free it,
    /// so other administrators are not locked out. Returns whether it released one.
    pub async fn release_expired_lock(&self) -> Result<bool, FirewallError> {
        let locks = self
            .client
            .config_locks()
            .await
            .map_err(FirewallError::Lock)?;
        let now = unix_now().as_secs();
        let expired = locks.iter().any(|l| {
            l.scope_name.as_deref() == Some(self.lock_scope_name())
                && self.admin.as_deref().is_none_or(|admin| admin == l.admin)
                && l.comment.as_deref().is_some_and(|c| {
                    held_until(c).is_some_and(|until| until <= now) || dead_here(c)
                })
        });
        if expired {
            self.client
                .release_config_lock(&self.lock_scope())
                .await
                .map_err(FirewallError::Lock)?;
            tracing::info!("released a config lock a killed palosync run left behind");
        }
        Ok(expired)
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
        let session = self
            .begin_write(Instant::now() + Duration::from_secs(30))
            .await?;
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
    fn lock_comments_differ_between_runs_and_say_until_when() {
        let until = Instant::now() + Duration::from_secs(60);
        let first = lock_comment(until);
        std::thread::sleep(std::time::Duration::from_millis(1));
        assert_ne!(first, lock_comment(until));
        assert!(first.starts_with("palosync run "));
        let now = unix_now().as_secs();
        let held = held_until(&first).expect("until");
        assert!((now + 59..=now + 61).contains(&held), "{first}");
        assert_eq!(
            held_until("palosync run 1-2"),
            None,
            "an older run's comment"
        );
        assert_eq!(held_until("maintenance until 9999999999"), None);
        assert!(!dead_here(&first), "this process is alive");
        let gone = format!("palosync run {}/4194304-1 until 9999999999", host());
        assert!(dead_here(&gone), "no such process on this host");
        assert!(!dead_here(
            "palosync run elsewhere/4194304-1 until 9999999999"
        ));
    }

    #[test]
    fn only_another_runs_unexpired_lock_in_the_vsys_is_live() {
        let locks = [
            lock("palosync", "vsys1", Some("palosync run 7-1 until 1000")),
            lock("palosync", "vsys2", Some("palosync run 8-1 until 5000")),
        ];
        assert_eq!(
            live_palosync_lock(&locks, "vsys1", 999),
            Some(("palosync run 7-1 until 1000".to_owned(), 1000))
        );
        assert_eq!(live_palosync_lock(&locks, "vsys1", 1000), None, "expired");
        assert_eq!(live_palosync_lock(&locks, "vsys3", 0), None);
    }
}
