//! The soak itself: sequences of random AWS changes, their events delivered duplicated,
//! reordered, delayed and dropped to palosync (in-process or the binary, sometimes killed),
//! each run under a random fault and followed by the checks of [`crate::checks`]; each
//! sequence ends with the faults cleared, one sync, and every invariant checked.

use crate::checks::Checker;
use crate::counts::Counts;
use crate::faults::{self, Fault};
use crate::lambda_api::LambdaApi;
use crate::proxy::AwsProxy;
use crate::resets::ResetRelay;
use crate::rng::Rng;
use crate::runner::{self, Exit, Invocation, Kill};
use crate::world::World;
use palosync::app::App;
use panos_sim::RunningSimulator;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The two shapes of palosync's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Addresses,
    Groups,
}

/// How long and how hard to soak.
#[derive(Debug, Clone)]
pub struct Options {
    pub seed: u64,
    pub mode: Mode,
    /// Stop after this many sequences...
    pub sequences: Option<u64>,
    /// ...or at this time, whichever comes first.
    pub until: Option<Instant>,
    /// Share of deliveries run through the binary (0 turns it off).
    pub binary_share: f64,
    /// Also SIGKILL CLI runs (`palosync handle`), whose lock lease is the CLI's 15-minute
    /// budget: shows defect D1 (see the crate's README section in lib.rs).
    pub kill_cli: bool,
    /// A config lock left behind after the settling sync is a violation (defect D2).
    pub strict_locks: bool,
}

/// The invocation deadline the soak's Lambda runs get.
const LAMBDA_BUDGET: Duration = Duration::from_secs(8);

/// Everything one soak holds.
struct Engine {
    options: Options,
    rng: Rng,
    counts: Counts,
    world: World,
    sim: RunningSimulator,
    proxy: AwsProxy,
    relay: ResetRelay,
    app: App,
    env: BTreeMap<String, String>,
    binary: Option<PathBuf>,
    aws: aws_config::SdkConfig,
    checker: Checker,
    held_back: Vec<Vec<u8>>,
    event_sequence: usize,
    scratch: PathBuf,
}

/// A unique 12-digit account, so reruns of a seed against one moto never share state.
fn fresh_account(seed: u64, mode: Mode) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    let salt = Rng::new(seed ^ nanos ^ u64::from(std::process::id())).next_u64();
    format!(
        "{}{:011}",
        if mode == Mode::Groups { 8 } else { 7 },
        salt % 100_000_000_000
    )
}

/// Run one soak; the counts say what happened (violations included).
pub async fn soak(options: Options) -> anyhow::Result<Counts> {
    let mut engine = Engine::start(options).await?;
    let result = engine.run().await;
    let _ = std::fs::remove_dir_all(&engine.scratch);
    result?;
    Ok(engine.counts)
}

impl Engine {
    async fn start(options: Options) -> anyhow::Result<Engine> {
        let groups = options.mode == Mode::Groups;
        let account = fresh_account(options.seed, options.mode);
        let moto = testkit::moto_config_in_account("us-east-1", &account).await;
        let world = World::build(aws_sdk_ec2::Client::new(&moto)).await?;
        let sim = panos_sim::Simulator::builder()
            .api_key(runner::API_KEY)
            .admin("bob", "bob-password")
            .commit_delay(faults::BASE_COMMIT)
            .start()
            .await?;
        let admin = panos::Client::builder(sim.url())
            .api_key(panos::ApiKey::new(runner::API_KEY))
            .build()?;
        let rule = palosync::demo::operator_rule(
            "ops-bastion-ssh",
            "untrust",
            "trust",
            "203.0.113.9",
            "ssh",
        );
        palosync::demo::seed_operator_rules(&admin, &[rule], crate::device::BOTTOM_RULE, "admin")
            .await?;
        let proxy = AwsProxy::start(&testkit::moto_endpoint(), options.seed).await?;
        let aws = moto.to_builder().endpoint_url(&proxy.url).build();
        let relay = ResetRelay::start(sim.addr()).await?;
        let mut env = runner::settings_env(&sim, &world.firewall, groups);
        env.insert("PANOS_URL".into(), relay.url.clone());
        let app = runner::app(&env, &aws)?;
        let binary = if options.binary_share > 0.0 {
            Some(runner::palosync_binary()?)
        } else {
            None
        };
        let mut checker = Checker::new(&sim, &world).await?;
        checker.strict_locks = options.strict_locks;
        let scratch = std::env::temp_dir().join(format!("soak-{account}"));
        std::fs::create_dir_all(&scratch)?;
        Ok(Engine {
            rng: Rng::new(options.seed ^ if groups { 0x6772 } else { 0x6164 }),
            options,
            counts: Counts::default(),
            world,
            sim,
            proxy,
            relay,
            app,
            env,
            binary,
            aws,
            checker,
            held_back: vec![],
            event_sequence: 0,
            scratch,
        })
    }

    fn label(&self, step: &str) -> String {
        format!(
            "seed {} mode {:?} sequence {} {step}",
            self.options.seed, self.options.mode, self.counts.sequences
        )
    }

    async fn run(&mut self) -> anyhow::Result<()> {
        let first = self.label("initial sync");
        self.settle(&first).await?;
        loop {
            let done_by_count = self
                .options
                .sequences
                .is_some_and(|n| self.counts.sequences >= n);
            let done_by_time = self.options.until.is_some_and(|t| Instant::now() >= t);
            if done_by_count || done_by_time {
                return Ok(());
            }
            self.counts.sequences += 1;
            self.sequence().await?;
        }
    }

    async fn sequence(&mut self) -> anyhow::Result<()> {
        let mut fresh = vec![];
        for _ in 0..2 + self.rng.below(4) {
            let Some(change) = self.world.change(&mut self.rng).await? else {
                continue;
            };
            self.counts.aws_changes += 1;
            self.event_sequence += 1;
            let mut event = palosync::demo::api_call_event(
                change.event_name,
                "alice",
                self.event_sequence,
                change.request,
            );
            if let Some(response) = change.response {
                event["detail"]["responseElements"] = response;
            }
            fresh.push(event.to_string().into_bytes());
            self.checker.learn(&self.world).await?;
        }
        let mut deliveries = std::mem::take(&mut self.held_back);
        for event in fresh {
            if self.rng.chance(0.1) {
                self.counts.events_dropped += 1;
                continue;
            }
            if self.rng.chance(0.15) {
                self.counts.events_delayed += 1;
                self.held_back.push(event);
                continue;
            }
            if self.rng.chance(0.2) {
                self.counts.events_duplicated += 1;
                deliveries.push(event.clone());
            }
            deliveries.push(event);
        }
        self.rng.shuffle(&mut deliveries);
        for payload in deliveries {
            self.counts.events_delivered += 1;
            let step = self.label("event");
            self.deliver(Some(&payload), &step).await?;
        }
        if self.rng.chance(0.4) {
            self.counts.scheduled_syncs += 1;
            let step = self.label("scheduled sync under faults");
            self.deliver(None, &step).await?;
        }
        let step = self.label("settling sync");
        self.settle(&step).await
    }

    /// One palosync run over `payload` (`None`: a sync) under a random fault, then the checks.
    async fn deliver(&mut self, payload: Option<&[u8]>, step: &str) -> anyhow::Result<()> {
        let mut fault = Fault::choose(&mut self.rng);
        if !faults::arm(fault, &self.sim, &self.proxy, &self.relay).await? {
            fault = Fault::None;
        }
        if fault != Fault::None {
            self.counts.fault(fault.kind());
        }
        let use_binary = self.binary.is_some() && self.rng.chance(self.options.binary_share);
        if std::env::var_os("SOAK_DEBUG").is_some() {
            eprintln!("{step}: {fault:?} binary={use_binary}");
        }
        let outcome = if use_binary {
            self.run_binary(payload).await?
        } else {
            self.run_in_process(payload, fault).await
        };
        faults::clear(&self.sim, &self.proxy, &self.relay);
        let step = format!(
            "{step} ({}, {}, {outcome:?})",
            fault.kind(),
            if use_binary { "binary" } else { "in-process" }
        );
        let violations = self
            .checker
            .after_run(&self.sim, &self.world, outcome)
            .await?;
        self.record(&step, violations);
        Ok(())
    }

    async fn run_in_process(&mut self, payload: Option<&[u8]>, fault: Fault) -> Outcome {
        self.counts.runs_in_process += 1;
        let budget = if fault == Fault::SlowCommit {
            Duration::from_millis(1200)
        } else {
            Duration::from_secs(60)
        };
        let (report, result) =
            runner::in_process(&self.app, payload, Instant::now() + budget).await;
        let still_running = matches!(
            report.commit(),
            Some(palosync::firewall::CommitReport::StillRunning { .. })
        );
        self.tally(result.is_ok());
        match result {
            Ok(()) if still_running => {
                self.counts.acked_commit_still_running += 1;
                Outcome::AckedCommitStillRunning
            }
            Ok(()) => Outcome::Acked,
            Err(_) => Outcome::Failed,
        }
    }

    /// The binary: as the Lambda (killable: its lock lease is its invocation deadline) or as
    /// the CLI (`handle`/`sync`, killed only with `kill_cli`: see the report's defect D1).
    async fn run_binary(&mut self, payload: Option<&[u8]>) -> anyhow::Result<Outcome> {
        self.counts.runs_binary += 1;
        let lambda = payload.is_some() && self.rng.chance(0.6);
        let kill = match self.rng.below(6) {
            _ if !lambda && !self.options.kill_cli => Kill::Never,
            // Runs take 100-400 ms: most of this range lands mid-run.
            0 => Kill::After(Duration::from_millis(40 + self.rng.below(300) as u64)),
            1 => Kill::AfterWrite,
            2 => {
                self.sim
                    .with_state(|s| s.jobs.duration = faults::SLOW_COMMIT);
                Kill::InCommit
            }
            _ => Kill::Never,
        };
        let mut env = self.env.clone();
        env.extend(runner::aws_env(&self.aws, &self.proxy.url).await?);
        let binary = self
            .binary
            .clone()
            .expect("binary chosen only when present");
        let (started, commits) = (Instant::now(), self.sim.stats().commits_enqueued);
        let mut file = None;
        let exit = if lambda {
            let payload = payload.unwrap_or_default().to_vec();
            let api = LambdaApi::start(payload, LAMBDA_BUDGET).await?;
            runner::binary(&binary, &env, Invocation::Lambda(&api), &self.sim, kill).await?
        } else {
            if let Some(bytes) = payload {
                let path = self
                    .scratch
                    .join(format!("event-{}.json", self.counts.events_delivered));
                std::fs::write(&path, bytes)?;
                file = Some(path);
            }
            runner::binary(
                &binary,
                &env,
                Invocation::Cli(file.as_deref()),
                &self.sim,
                kill,
            )
            .await?
        };
        if let Some(file) = file {
            let _ = std::fs::remove_file(file);
        }
        if std::env::var_os("SOAK_DEBUG").is_some() {
            let now = self.sim.stats().commits_enqueued;
            eprintln!(
                "binary lambda={lambda} {kill:?} -> {exit:?} in {:?}, commits {commits} -> {now}",
                started.elapsed()
            );
        }
        Ok(match exit {
            Exit::Killed => {
                self.counts.kill(kill.kind());
                Outcome::Killed
            }
            Exit::Finished { success } => {
                self.tally(success);
                if success {
                    Outcome::Acked
                } else {
                    Outcome::Failed
                }
            }
        })
    }

    fn tally(&mut self, ok: bool) {
        if ok {
            self.counts.runs_ok += 1;
        } else {
            self.counts.runs_failed += 1;
        }
    }

    fn record(&mut self, step: &str, checks: crate::checks::Verdict) {
        self.counts.invariant_checks += checks.checks;
        for v in checks.violations {
            self.counts.violations.push(format!("{step}: {v}"));
        }
        for v in checks.known {
            self.counts.known_defects.push(format!("{step}: {v}"));
        }
    }

    /// Faults off, pending commits settled, one sync: then every invariant, and a second sync
    /// that must plan nothing.
    async fn settle(&mut self, step: &str) -> anyhow::Result<()> {
        faults::clear(&self.sim, &self.proxy, &self.relay);
        faults::commits_settled(&self.sim, Duration::from_secs(30)).await;
        // bob's lock timers run at most 1.7 s: the settling sync starts once he let go.
        for _ in 0..250 {
            let held = self.sim.with_state(|s| {
                s.locks
                    .show(panos_sim::locks::LockKind::Config)
                    .to_xml()
                    .contains("\"bob\"")
            });
            if !held {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let (report, result) = runner::in_process(&self.app, None, deadline).await;
        let mut verdict = crate::checks::Verdict::default();
        if let Err(e) = result {
            verdict.fail(format!(
                "sync after the faults stopped failed: {e}\n{}",
                report.to_table()
            ));
        }
        let commits = self.sim.stats().commits_enqueued;
        let (again, result) = runner::in_process(&self.app, None, deadline).await;
        verdict.check();
        match result {
            Err(e) => verdict.fail(format!("idempotent: a second sync failed: {e}")),
            Ok(())
                if !again.operations().is_empty()
                    || self.sim.stats().commits_enqueued != commits =>
            {
                verdict.fail(format!(
                    "idempotent: a second sync changed something: {:?}",
                    again.operations()
                ))
            }
            Ok(()) => {}
        }
        let settled = self.checker.after_settle(&self.sim, &self.world).await?;
        verdict.merge(settled);
        self.record(step, verdict);
        Ok(())
    }
}

/// How one palosync run ended, as SQS would see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Success: the event is deleted from the queue; it must be applied and committed.
    Acked,
    /// Success reported while the commit job was still running at the deadline.
    AckedCommitStillRunning,
    /// An error or a non-zero exit: the event is retried.
    Failed,
    /// SIGKILLed: no answer, the event is retried.
    Killed,
}

/// The checks are not blind: after an initial sync, break the rules on purpose (edit the
/// operator's rule, commit a stray managed rule allowing what AWS never asked for) and return
/// what the checker says about it.
pub async fn breach_selftest(options: Options) -> anyhow::Result<Vec<String>> {
    let mut engine = Engine::start(options).await?;
    engine.settle("selftest sync").await?;
    let admin = panos::Client::builder(engine.sim.url())
        .api_key(panos::ApiKey::new(runner::API_KEY))
        .build()?;
    let target = engine.world.instances[0].address.clone();
    let mut stray =
        palosync::demo::operator_rule("sg-0badc0ffee-99", "untrust", "trust", "172.16.0.1", "any");
    stray.destination = vec![target];
    stray.service = vec!["any".into()];
    stray.tags = vec![crate::checks::TAG.into()];
    let mut edited =
        palosync::demo::operator_rule("ops-bastion-ssh", "untrust", "trust", "203.0.113.10", "ssh");
    edited.description = Some("edited by the selftest".into());
    admin
        .replace(&panos::Location::vsys("vsys1"), &edited)
        .await?;
    palosync::demo::seed_operator_rules(&admin, &[stray], crate::device::BOTTOM_RULE, "admin")
        .await?;
    let verdict = engine
        .checker
        .after_run(&engine.sim, &engine.world, Outcome::Failed)
        .await?;
    let _ = std::fs::remove_dir_all(&engine.scratch);
    Ok(verdict.violations)
}
