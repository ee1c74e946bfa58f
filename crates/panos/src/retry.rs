//! When and how long to wait before trying a request again.
//!
//! Exponential backoff with jitter, bounded by attempts and by a deadline the caller gives.
//! Only reads and idempotent writes are retried, and only on transient causes
//! ([`crate::Error::is_transient`]); this module never decides that a validation error is worth
//! another try.

use std::time::{Duration, Instant};

/// Whether a request may be sent again after a failure whose outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads, and writes whose repetition converges (set, edit, delete, move, lock listing).
    Idempotent,
    /// Writes that must not run twice (commit, rename, lock acquire/release).
    NotIdempotent,
}

/// Backoff parameters. The default: 4 attempts, 250 ms doubling to at most 4 s, 30 s in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 = no retry).
    pub max_attempts: u32,
    /// Wait before the first retry.
    pub initial_backoff: Duration,
    /// Upper bound of one wait.
    pub max_backoff: Duration,
    /// No attempt starts, and no attempt runs, past this time after the first one began.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Exactly one attempt.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The same policy with a different overall deadline.
    #[must_use]
    pub fn with_max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.max_elapsed = max_elapsed;
        self
    }

    /// Wait before retry number `retry` (1-based): `initial * 2^(retry-1)` capped at
    /// `max_backoff`, then a uniformly random point in its upper half ("equal jitter").
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(20);
        let full = self
            .initial_backoff
            .saturating_mul(1u32 << exponent)
            .min(self.max_backoff);
        let half = full / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        half + Duration::from_millis(fastrand::u64(0..=jitter_ms))
    }

    /// The wait before the next attempt, or `None` when the policy says stop.
    pub(crate) fn next_wait(
        &self,
        attempts_made: u32,
        deadline: Instant,
        idempotency: Idempotency,
        transient: bool,
    ) -> Option<Duration> {
        if !transient || idempotency == Idempotency::NotIdempotent {
            return None;
        }
        if attempts_made >= self.max_attempts {
            return None;
        }
        let wait = self.backoff(attempts_made);
        let resume = Instant::now().checked_add(wait)?;
        (resume < deadline).then_some(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(800),
            max_elapsed: Duration::from_secs(60),
        };
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let tenth = policy.backoff(10);
            assert!(tenth >= Duration::from_millis(400) && tenth <= Duration::from_millis(800));
        }
    }

    #[test]
    fn stops_on_non_transient_non_idempotent_exhausted_or_past_deadline() {
        let policy = RetryPolicy::default();
        let far = Instant::now() + Duration::from_secs(60);
        let transient = true;
        assert!(
            policy
                .next_wait(1, far, Idempotency::Idempotent, transient)
                .is_some()
        );
        assert!(
            policy
                .next_wait(1, far, Idempotency::Idempotent, false)
                .is_none()
        );
        assert!(
            policy
                .next_wait(1, far, Idempotency::NotIdempotent, transient)
                .is_none()
        );
        assert!(
            policy
                .next_wait(4, far, Idempotency::Idempotent, transient)
                .is_none()
        );
        let near = Instant::now() + Duration::from_millis(1);
        assert!(
            policy
                .next_wait(1, near, Idempotency::Idempotent, transient)
                .is_none()
        );
        assert!(
            RetryPolicy::never()
                .next_wait(1, far, Idempotency::Idempotent, transient)
                .is_none()
        );
    }
}
