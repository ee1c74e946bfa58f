//! The short seeded soak `./scripts/test` runs: both modes side by side, a fixed seed, a few
//! sequences each; prints its counts and fails on any violation.

use soak::{Mode, Options};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_seeded_soak_keeps_every_invariant() {
    let options = Options {
        seed: 15,
        mode: Mode::Addresses,
        sequences: Some(4),
        until: Some(Instant::now() + Duration::from_secs(75)),
        binary_share: 0.35,
    };
    let counts = soak::soak_both(options, &[Mode::Addresses, Mode::Groups])
        .await
        .expect("the soak runs");
    println!("{counts}");
    assert!(counts.sequences > 0, "at least one sequence ran");
    assert!(counts.invariant_checks > 0);
    assert!(counts.violations.is_empty(), "violations:\n{counts}");
}
