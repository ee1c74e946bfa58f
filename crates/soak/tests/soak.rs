//! The short seeded soak `./scripts/test` runs: both modes side by side, a fixed seed, a few
//! sequences each; prints its counts and fails on any violation. The last test replays the
//! defects the soak found (see the crate docs in src/lib.rs).

use soak::{Mode, Options};
use std::time::{Duration, Instant};

fn options(sequences: u64) -> Options {
    Options {
        seed: 15,
        mode: Mode::Addresses,
        sequences: Some(sequences),
        until: Some(Instant::now() + Duration::from_secs(75)),
        binary_share: 0.5,
        kill_cli: false,
        strict_locks: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_seeded_soak_keeps_every_invariant() {
    let counts = soak::soak_both(options(5), &[Mode::Addresses, Mode::Groups])
        .await
        .expect("the soak runs");
    println!("{counts}");
    assert!(counts.sequences > 0, "at least one sequence ran");
    assert!(counts.invariant_checks > 0);
    assert!(counts.violations.is_empty(), "violations:\n{counts}");
}

/// D1 + D2, found by the soak: a SIGKILLed CLI run left the vsys config lock with a 15-minute
/// lease that later runs waited out, and that outlived every sync with nothing to write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_runs_leave_no_config_lock_behind() {
    let options = Options {
        binary_share: 0.8,
        kill_cli: true,
        strict_locks: true,
        until: Some(Instant::now() + Duration::from_secs(300)),
        ..options(4)
    };
    let counts = soak::soak_both(options, &[Mode::Addresses])
        .await
        .expect("the soak runs");
    println!("{counts}");
    assert!(counts.violations.is_empty(), "violations:\n{counts}");
}

/// The checks can fail: an edited operator rule and a stray managed allowance are caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checks_catch_deliberate_breaches() {
    let options = Options {
        binary_share: 0.0,
        ..options(0)
    };
    let violations = soak::engine::breach_selftest(options)
        .await
        .expect("the selftest runs");
    let all = violations.join("\n");
    assert!(
        all.contains("operator entry") && all.contains("edited"),
        "{all}"
    );
    assert!(all.contains("allowance never desired"), "{all}");
}
