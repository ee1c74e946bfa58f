//! `soak --minutes N --seed S [--mode addresses|groups|both]`: a long chaos soak of palosync
//! against moto (`MOTO_ENDPOINT`) and an in-process simulator. Prints the counts; exits 1 when
//! any invariant was violated. (The issue names `bench soak`; this is the soak crate's own
//! binary while the bench crate is being changed elsewhere.)

use clap::{Parser, ValueEnum};
use soak::{Mode, Options};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ModeArg {
    Addresses,
    Groups,
    Both,
}

#[derive(Debug, Parser)]
#[command(about = "A seeded chaos soak of palosync against moto and panos-sim")]
struct Args {
    /// How long to soak.
    #[arg(long, default_value_t = 20)]
    minutes: u64,
    /// The seed: the same seed replays the same choices.
    #[arg(long, default_value_t = 15)]
    seed: u64,
    #[arg(long, value_enum, default_value_t = ModeArg::Both)]
    mode: ModeArg,
    /// Stop after this many sequences per mode (instead of, or before, the time).
    #[arg(long)]
    sequences: Option<u64>,
    /// Share of palosync runs that use the binary (0 to 1).
    #[arg(long, default_value_t = 0.35)]
    binary_share: f64,
    /// Also SIGKILL CLI runs (`palosync handle`): shows defect D1.
    #[arg(long)]
    kill_cli: bool,
    /// Count a config lock left behind after a settling sync as a violation (defect D2).
    #[arg(long)]
    strict_locks: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let modes: &[Mode] = match args.mode {
        ModeArg::Addresses => &[Mode::Addresses],
        ModeArg::Groups => &[Mode::Groups],
        ModeArg::Both => &[Mode::Addresses, Mode::Groups],
    };
    let options = Options {
        seed: args.seed,
        mode: Mode::Addresses,
        sequences: args.sequences,
        until: Some(Instant::now() + Duration::from_secs(args.minutes * 60)),
        binary_share: args.binary_share,
        kill_cli: args.kill_cli,
        strict_locks: args.strict_locks,
    };
    let started = Instant::now();
    match soak::soak_both(options, modes).await {
        Ok(counts) => {
            println!(
                "soak seed {} mode {:?}, {:?}:",
                args.seed,
                args.mode,
                started.elapsed()
            );
            print!("{counts}");
            if counts.violations.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("soak: {e:#}");
            ExitCode::from(2)
        }
    }
}
