//! Cold start: from spawning the function's process to its first `GET …/invocation/next`
//! (ready for work) and to its first answer, through a local Lambda Runtime API. The real
//! `palosync` binary against a Python function that imports boto3, measured the same way.
//!
//! The event is an S3 test event: it parses to no reconcile keys, so the first answer needs no
//! AWS or firewall call, and the API key is inline so no secret is read. Nothing here contacts
//! anything but 127.0.0.1.

use crate::runtime_api::OneInvocation;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const S3_TEST_EVENT: &[u8] = br#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-27T01:00:00.000Z","Bucket":"trail-bucket","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}"#;
const ANSWER_WITHIN: Duration = Duration::from_secs(60);
pub const PYTHON_HANDLER: &str = include_str!("baselines/python_handler.py");

/// Milliseconds from spawn to the first `/next`, and to the first answer.
#[derive(Debug, Clone, Copy)]
pub struct StartTimes {
    pub ready_ms: f64,
    pub answered_ms: f64,
}

/// The environment a Lambda function sees, minus anything that would reach AWS.
fn lambda_env(command: &mut Command, api: &str) {
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "palosync")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
}

pub fn palosync(binary: &Path) -> Result<StartTimes> {
    time_first_invocation(|api| {
        let mut command = Command::new(binary);
        command.arg("lambda");
        lambda_env(&mut command, api);
        command
            .env("PANOS_URL", "http://127.0.0.1:9")
            .env("PANOS_API_KEY", "cold-start-key")
            .env("PANOS_ADMIN", "palosync")
            .env("PANOS_BOTTOM_RULE", "Clean up")
            .env("PANOS_UNTRUST_ZONE", "untrust")
            .env("PANOS_TRUST_ZONE", "trust")
            .env("FIREWALL_INSTANCE_ID", "i-0f00000000000f00f");
        command
    })
}

/// `variant`: `import` (import boto3 only) or `original` (also the ec2 and s3 resources).
pub fn python(python: &Path, handler: &Path, variant: &str) -> Result<StartTimes> {
    time_first_invocation(|api| {
        let mut command = Command::new(python);
        command.arg(handler).arg(variant);
        lambda_env(&mut command, api);
        command
    })
}

fn time_first_invocation(command: impl FnOnce(&str) -> Command) -> Result<StartTimes> {
    let api = OneInvocation::start(S3_TEST_EVENT)?;
    let mut command = command(&api.address());
    let spawned = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("spawning {command:?}"))?;
    let timed = api.wait(ANSWER_WITHIN);
    let _ = child.kill();
    let _ = child.wait();
    let timed = timed?;
    if !timed.outcome.starts_with("response:") {
        bail!("the function answered with an error: {}", timed.outcome);
    }
    let ms = |at: Instant| at.duration_since(spawned).as_secs_f64() * 1000.0;
    Ok(StartTimes {
        ready_ms: ms(timed.first_next),
        answered_ms: ms(timed.answered),
    })
}

/// Whether `python` can import boto3.
pub fn has_boto3(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import boto3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The `palosync` binary next to this one, built with the same profile when missing.
pub fn palosync_binary() -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    let dir = me.parent().context("the bench binary has a directory")?;
    let binary = dir.join("palosync");
    if binary.exists() {
        return Ok(binary);
    }
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "bench"
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!(
        "building palosync for the cold-start figure: cargo build --profile {profile} -p palosync --bin palosync"
    );
    let status = Command::new(cargo)
        .args([
            "build",
            "--profile",
            profile,
            "-p",
            "palosync",
            "--bin",
            "palosync",
        ])
        .status()?;
    if !status.success() || !binary.exists() {
        bail!("could not build {}", binary.display());
    }
    Ok(binary)
}
