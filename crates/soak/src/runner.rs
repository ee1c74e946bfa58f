//! Running palosync the two ways deployments do: in-process through `App::run` (as the Lambda
//! handler does) and as the real binary (`palosync handle FILE`, settings in its environment),
//! the latter killed with SIGKILL at a chosen point when the soak says so.
//!
//! The binary is found beside the running executable (`target/debug/palosync`: both the soak
//! binary and the test live in that profile directory), built with `cargo build -p palosync
//! --bin palosync` when missing. `cargo test --workspace` builds it anyway (palosync's own
//! integration tests need it); a nested cargo inside `cargo test` would wait on the build
//! lock, so it is only tried when the file is absent.

use crate::lambda_api::{Answer, LambdaApi};
use anyhow::Context;
use aws_credential_types::provider::ProvideCredentials;
use palosync::app::{App, AppError, TopologySource, Work};
use palosync::config::{Config, RawSettings};
use palosync::report::Report;
use panos_sim::RunningSimulator;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const API_KEY: &str = "soak-key";
pub const ADMIN: &str = "admin";

/// How a binary run ended.
#[derive(Debug)]
pub enum Exit {
    /// It finished (a Lambda run: it answered), successfully or not.
    Finished { success: bool },
    /// The soak killed it.
    Killed,
}

/// When to SIGKILL a binary run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kill {
    Never,
    /// This long after the start.
    After(Duration),
    /// As soon as its first configuration write reached the firewall.
    AfterWrite,
    /// As soon as its commit was enqueued (the commit is slow: the job is still running).
    InCommit,
}

impl Kill {
    pub fn kind(&self) -> &'static str {
        match self {
            Kill::Never => "none",
            Kill::After(_) => "kill_at_random_time",
            Kill::AfterWrite => "kill_after_write",
            Kill::InCommit => "kill_during_commit",
        }
    }
}

/// The environment of one deployment of palosync against `sim`, its AWS calls sent to `aws_url`.
pub fn settings_env(
    sim: &RunningSimulator,
    firewall: &str,
    groups: bool,
) -> BTreeMap<String, String> {
    [
        ("PANOS_URL", sim.url()),
        ("PANOS_API_KEY", API_KEY.to_owned()),
        ("PANOS_ADMIN", ADMIN.to_owned()),
        ("PANOS_BOTTOM_RULE", crate::device::BOTTOM_RULE.to_owned()),
        ("PANOS_UNTRUST_ZONE", "untrust".to_owned()),
        ("PANOS_TRUST_ZONE", "trust".to_owned()),
        ("PANOS_PROFILE_GROUP", "default".to_owned()),
        ("FIREWALL_INSTANCE_ID", firewall.to_owned()),
        (
            "PALOSYNC_MODE",
            if groups { "groups" } else { "addresses" }.to_owned(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// palosync in-process, its AWS reads going through `aws` (the fault proxy).
pub fn app(env: &BTreeMap<String, String>, aws: &aws_config::SdkConfig) -> anyhow::Result<App> {
    let config = Config::validate(&RawSettings::from_env_map(env).0)
        .map_err(|e| anyhow::anyhow!("soak settings: {e}"))?;
    let targets = palosync::targets::Targets::connect(
        &config.target,
        &config.firewall,
        panos::ApiKey::new(API_KEY),
        Duration::from_millis(20),
    )?;
    let scope = aws::ScopeOptions {
        firewall_instance_id: Some(config.policy.firewall_instance_id.clone()),
        extra_route_targets: vec![],
    };
    let inventory = aws::SdkInventory::new(aws, aws::InventoryOptions::new(scope));
    Ok(App::from_targets(
        config,
        targets,
        TopologySource::Aws(Box::new(inventory)),
    ))
}

/// One in-process run over `payload` (`None`: a scheduled sync) that must end by `deadline`.
pub async fn in_process(
    app: &App,
    payload: Option<&[u8]>,
    deadline: Instant,
) -> (Report, Result<(), AppError>) {
    let work = match payload {
        None => Work::Everything(model::Provenance::sync("soak")),
        Some(bytes) => match events::parse_payload(bytes, &app.event_filter()) {
            Ok(ingest) => Work::Ingest(ingest),
            Err(e) => {
                let report = Report::new("soak", false);
                let error = AppError::from(e);
                return (report, Err(error));
            }
        },
    };
    app.run("soak", work, false, deadline).await
}

/// The palosync binary beside this executable, built when missing.
pub fn palosync_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|d| d.join("palosync"))
        .collect();
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "-p", "palosync", "--bin", "palosync"])
        .status()
        .context("building palosync")?;
    anyhow::ensure!(status.success(), "cargo build -p palosync failed");
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .context("palosync binary not found beside the soak after building it")
}

/// AWS settings for the binary: the proxy as endpoint, the account's assumed-role credentials.
pub async fn aws_env(
    aws: &aws_config::SdkConfig,
    proxy: &str,
) -> anyhow::Result<BTreeMap<String, String>> {
    let provider = aws
        .credentials_provider()
        .context("no credentials provider")?;
    let credentials = provider.provide_credentials().await?;
    let mut env = BTreeMap::new();
    env.insert("AWS_ENDPOINT_URL".into(), proxy.to_owned());
    env.insert("AWS_REGION".into(), "us-east-1".into());
    env.insert(
        "AWS_ACCESS_KEY_ID".into(),
        credentials.access_key_id().to_owned(),
    );
    env.insert(
        "AWS_SECRET_ACCESS_KEY".into(),
        credentials.secret_access_key().to_owned(),
    );
    if let Some(token) = credentials.session_token() {
        env.insert("AWS_SESSION_TOKEN".into(), token.to_owned());
    }
    env.insert("AWS_EC2_METADATA_DISABLED".into(), "true".into());
    env.insert("RUST_LOG".into(), "error".into());
    Ok(env)
}

fn writes(sim: &RunningSimulator) -> u64 {
    let stats = sim.stats();
    ["set", "edit", "delete", "move", "rename", "multi-config"]
        .iter()
        .filter_map(|a| stats.by_action.get(*a))
        .sum()
}

/// How the binary is invoked.
#[derive(Debug)]
pub enum Invocation<'a> {
    /// `palosync handle FILE`, or `palosync sync` for `None` (the CLI: a 15-minute budget).
    Cli(Option<&'a std::path::Path>),
    /// `palosync` under a Lambda Runtime API serving one invocation (its deadline the lease).
    Lambda(&'a LambdaApi),
}

/// Run the binary as `invocation` says and kill it per `kill`. A Lambda run is over once it
/// answered; the idle process is then killed (as Lambda freezes it), which is not a kill.
pub async fn binary(
    binary: &std::path::Path,
    env: &BTreeMap<String, String>,
    invocation: Invocation<'_>,
    sim: &RunningSimulator,
    kill: Kill,
) -> anyhow::Result<Exit> {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match &invocation {
        Invocation::Cli(Some(file)) => drop(command.arg("handle").arg(file)),
        Invocation::Cli(None) => drop(command.arg("sync")),
        Invocation::Lambda(api) => drop(
            command
                .env("AWS_LAMBDA_RUNTIME_API", &api.address)
                .env("AWS_LAMBDA_FUNCTION_NAME", "palosync")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ),
    }
    let (writes_before, commits_before) = (writes(sim), sim.stats().commits_enqueued);
    let started = Instant::now();
    let mut child = command.spawn().context("spawn palosync")?;
    let exit = loop {
        if let Invocation::Lambda(api) = &invocation {
            match api.answer() {
                Answer::Pending => {}
                answer => {
                    child.kill()?;
                    child.wait()?;
                    break Exit::Finished {
                        success: answer == Answer::Response,
                    };
                }
            }
        }
        if let Some(status) = child.try_wait()? {
            let lambda = matches!(invocation, Invocation::Lambda(_));
            break Exit::Finished {
                success: status.success() && !lambda,
            };
        }
        let now = match kill {
            Kill::Never => started.elapsed() > Duration::from_secs(120),
            Kill::After(after) => started.elapsed() >= after,
            Kill::AfterWrite => writes(sim) > writes_before,
            Kill::InCommit => sim.stats().commits_enqueued > commits_before,
        };
        if now {
            child.kill()?; // SIGKILL on Unix
            child.wait()?;
            break Exit::Killed;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    if let Invocation::Lambda(api) = &invocation {
        api.stop();
    }
    Ok(exit)
}
