//! A seeded, bounded chaos soak for palosync (issue 15, item 1): moto behind a fault-injecting
//! proxy, `panos-sim` with its fault plan, palosync run in-process and as the binary (some runs
//! SIGKILLed), events duplicated, reordered, delayed and dropped, and counted invariant checks
//! after every run. `soak::engine::soak` runs one mode; [`soak_both`] runs both side by side.
//!
//! Needs a moto server at `MOTO_ENDPOINT`, like every integration test of the workspace, and
//! the `palosync` binary beside the soak's executable (see [`runner`]).
//!
//! Long runs: `cargo run -p soak -- --minutes 20 --seed 2026 [--mode addresses|groups|both]`
//! (the issue's `bench soak`; an alias in the bench crate can call [`soak_both`]).
//! `SOAK_DEBUG=1` prints every step.
//!
//! # Defects found, and fixed in palosync
//! - **D1** A SIGKILLed CLI run (`palosync handle`/`sync`) left the vsys config lock with a
//!   comment leasing it until the CLI's 15-minute budget ended: every later run that needed to
//!   write waited its whole deadline (`FirewallError::Busy`). Fixed: the lock comment names the
//!   run's host and pid, and a run on the same host treats a lock whose process is gone as
//!   expired (`firewall/session.rs`). A killed run on another host is still waited out until
//!   its lease ends: the safe side, since it may be committing.
//! - **D2** A killed run's config lock was only taken over (and released) by a later run that
//!   writes: runs with nothing to change left it held, locking other administrators out. Fixed:
//!   a sync with nothing to write releases palosync's expired lock
//!   (`Firewall::release_expired_lock`). Both are pinned by
//!   `killed_runs_leave_no_config_lock_behind`; `--kill-cli` and `--strict-locks` exercise them
//!   in long runs.

pub mod checks;
pub mod counts;
pub mod device;
pub mod engine;
pub mod faults;
pub mod lambda_api;
pub mod oracle;
pub mod proxy;
pub mod resets;
pub mod rng;
pub mod runner;
pub mod world;

pub use counts::Counts;
pub use engine::{Mode, Options};

/// Soak each of `modes` (at most two) concurrently, each in an AWS account and a simulator of
/// its own, and add up their counts.
pub async fn soak_both(base: Options, modes: &[Mode]) -> anyhow::Result<Counts> {
    let with = |mode: Mode| Options {
        mode,
        ..base.clone()
    };
    let mut total = Counts::default();
    match modes {
        [one] => total.merge(&engine::soak(with(*one)).await?),
        [a, b] => {
            let (a, b) = tokio::join!(engine::soak(with(*a)), engine::soak(with(*b)));
            total.merge(&a?);
            total.merge(&b?);
        }
        _ => anyhow::bail!("soak one mode or two, not {}", modes.len()),
    }
    Ok(total)
}
