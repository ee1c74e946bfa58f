//! A seeded, bounded chaos soak for palosync (issue 15, item 1): moto behind a fault-injecting
//! proxy, `panos-sim` with its fault plan, palosync run in-process and as the binary (some runs
//! SIGKILLed), events duplicated, reordered, delayed and dropped, and counted invariant checks
//! after every run. `soak::engine::soak` runs one mode; [`soak_both`] runs both side by side.
//!
//! Needs a moto server at `MOTO_ENDPOINT`, like every integration test of the workspace.

pub mod checks;
pub mod counts;
pub mod device;
pub mod engine;
pub mod faults;
pub mod lambda_api;
pub mod oracle;
pub mod proxy;
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
