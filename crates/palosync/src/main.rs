//! The `palosync` binary: the Lambda `bootstrap` and the operator's CLI. Thin by design: it
//! parses arguments, loads settings, and hands over to the library.

use anyhow::{Context, Result, bail};
use clap::{CommandFactory, Parser};
use palosync::app::{App, Work};
use palosync::cli::{Cli, Command, OutputFormat};
use palosync::config::{Config, Needs, RawSettings, SnapshotConfig};
use palosync::report::Report;
use std::collections::BTreeMap;
use std::io::Read;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// How long an operator's command may run before the commit poll gives up and reports the job.
const CLI_BUDGET: Duration = Duration::from_secs(15 * 60);

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let lambda = cli.command.is_none() && std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
        || matches!(cli.command, Some(Command::Lambda));
    init_tracing(lambda);
    match run(cli, lambda).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("palosync: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, lambda: bool) -> Result<ExitCode> {
    if lambda {
        let config = load_config(&cli, "lambda", Needs::Write)?;
        palosync::lambda::run(config)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(command) = &cli.command else {
        Cli::command().print_help()?;
        return Ok(ExitCode::from(2));
    };
    let deadline = Instant::now() + CLI_BUDGET;
    match command {
        Command::Demo => {
            palosync::demo::run(&mut std::io::stdout()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Snapshot => {
            let config = SnapshotConfig::validate(&load_raw(&cli)?)
                .context("settings for `palosync snapshot` (it reads AWS only)")?;
            let snapshot = palosync::snapshot::take(&config).await?;
            println!("{snapshot}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            let config = load_config(&cli, "check", Needs::Write)?;
            let app = App::new(config, cli.topology.as_deref()).await?;
            let checks = palosync::check::run(&app).await;
            print!("{}", palosync::check::render(&checks));
            Ok(if checks.iter().all(|c| c.passed) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Plan => {
            let config = load_config(&cli, "plan", Needs::ReadOnly)?;
            let app = App::new(config, cli.topology.as_deref()).await?;
            let work = Work::Everything(model::Provenance::sync("plan"));
            finish(cli.output, app.run("plan", work, true, deadline).await)
        }
        Command::Sync { dry_run } => {
            let config = load_config(&cli, "sync", needs(*dry_run))?;
            let app = App::new(config, cli.topology.as_deref()).await?;
            let work = Work::Everything(model::Provenance::sync("sync"));
            finish(cli.output, app.run("sync", work, *dry_run, deadline).await)
        }
        Command::Handle { input, dry_run } => {
            let bytes = read_input(input)?;
            let config = load_config(&cli, "handle", needs(*dry_run))?;
            let app = App::new(config, cli.topology.as_deref()).await?;
            let ingest = events::parse_payload(&bytes, &app.event_filter())
                .with_context(|| format!("reading {}", input.display()))?;
            finish(
                cli.output,
                app.run("handle", Work::Ingest(ingest), *dry_run, deadline)
                    .await,
            )
        }
        Command::Explain { target } => {
            let target: palosync::explain::Target =
                target.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let config = load_config(&cli, "explain", Needs::ReadOnly)?;
            let app = App::new(config, cli.topology.as_deref()).await?;
            let explained = palosync::explain::explain(&app, &target).await?;
            match cli.output {
                OutputFormat::Json => println!("{}", serde_json::to_string(&explained)?),
                OutputFormat::Table => print!("{}", explained.to_table()),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Lambda => bail!("the lambda loop is started above"),
    }
}

/// The error and its causes on one line, skipping a cause its parent already quotes.
fn one_line(error: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Print the report; a failed run exits non-zero with its error on one line.
fn finish(
    output: OutputFormat,
    (report, result): (Report, Result<(), palosync::app::AppError>),
) -> Result<ExitCode> {
    match output {
        OutputFormat::Json => println!("{}", report.to_json_line()),
        OutputFormat::Table => print!("{}", report.to_table()),
    }
    result?;
    Ok(ExitCode::SUCCESS)
}

fn needs(dry_run: bool) -> Needs {
    if dry_run {
        Needs::ReadOnly
    } else {
        Needs::Write
    }
}

/// The settings `command` needs, validated; an error names the command and the variable.
fn load_config(cli: &Cli, command: &str, needs: Needs) -> Result<Config> {
    let raw = load_raw(cli)?;
    Config::validate_for(&raw, needs).with_context(|| format!("settings for `palosync {command}`"))
}

/// Flags, then the environment, then `--config FILE`.
fn load_raw(cli: &Cli) -> Result<RawSettings> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let (from_env, legacy) = RawSettings::from_env_map(&env);
    if !legacy.is_empty() {
        tracing::warn!(
            "settings read from the original Lambda's variable names {legacy:?}; \
             the new names are listed in docs/configuration.md"
        );
    }
    let from_file = match &cli.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            RawSettings::from_toml(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => RawSettings::default(),
    };
    Ok(cli.settings.to_raw().or(from_env).or(from_file))
}

fn read_input(path: &std::path::Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut bytes)?;
    } else {
        bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(bytes)
}

/// Lambda: JSON lines on stdout (CloudWatch). CLI: readable lines on stderr, so stdout holds
/// only the report.
fn init_tracing(lambda: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = |default: &str| {
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default))
    };
    if lambda {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter("info"))
            .with_current_span(false)
            .without_time()
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter("warn"))
            .with_writer(std::io::stderr)
            .init();
    }
}
