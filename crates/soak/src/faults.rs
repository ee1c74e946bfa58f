//! Firewall and AWS faults, chosen per palosync run and undone after it: the simulator's fault
//! plan (HTTP 5xx, hangs, session expiry code 22, commit FAIL), another administrator's config
//! lock held for a while, a slow commit under a short deadline (the job outlives the run), and
//! throttling or 5xx from the AWS proxy. Decides and applies; never checks anything.

use crate::proxy::{AwsFault, AwsProxy};
use crate::resets::ResetRelay;
use crate::rng::Rng;
use panos_sim::{FaultPlan, RunningSimulator};
use std::time::Duration;

/// The commit time of a healthy simulator.
pub const BASE_COMMIT: Duration = Duration::from_millis(20);
/// The commit time while a commit is meant to outlive its run.
pub const SLOW_COMMIT: Duration = Duration::from_millis(2500);

/// One fault for one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    Http5xx {
        count: u32,
        status: u16,
    },
    Hang {
        count: u32,
        ms: u64,
    },
    SessionExpiry,
    CommitFail,
    /// bob holds the config lock for this long.
    ForeignLock {
        ms: u64,
    },
    /// Commits take [`SLOW_COMMIT`]; an in-process run gets a deadline shorter than that.
    SlowCommit,
    /// The next connections to the firewall, and every open one, reset.
    ConnectionReset {
        count: u32,
    },
    Aws {
        fault: AwsFault,
        percent: u64,
    },
}

impl Fault {
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::Http5xx { .. } => "firewall_http_5xx",
            Fault::Hang { .. } => "firewall_hang",
            Fault::SessionExpiry => "firewall_session_expiry_22",
            Fault::CommitFail => "firewall_commit_fail",
            Fault::ForeignLock { .. } => "firewall_foreign_config_lock",
            Fault::SlowCommit => "firewall_commit_past_deadline",
            Fault::Aws {
                fault: AwsFault::Throttling,
                ..
            } => "aws_throttling_400",
            Fault::Aws {
                fault: AwsFault::Unavailable,
                ..
            } => "aws_503",
            Fault::Aws { .. } => "aws_500",
            Fault::ConnectionReset { .. } => "firewall_connection_reset",
        }
    }

    /// A random fault (none about half the time).
    pub fn choose(rng: &mut Rng) -> Fault {
        match rng.below(17) {
            0 | 1 => Fault::Http5xx {
                count: 1 + rng.below(3) as u32,
                status: *rng.pick(&[500, 502, 503]),
            },
            2 => Fault::Hang {
                count: 1 + rng.below(2) as u32,
                ms: 200 + rng.below(1300) as u64,
            },
            3 => Fault::SessionExpiry,
            4 => Fault::CommitFail,
            5 => Fault::ForeignLock {
                ms: 200 + rng.below(1500) as u64,
            },
            6 => Fault::SlowCommit,
            7 => Fault::Aws {
                fault: *rng.pick(&[
                    AwsFault::Throttling,
                    AwsFault::Unavailable,
                    AwsFault::Internal,
                ]),
                percent: 20 + rng.below(40) as u64,
            },
            8 => Fault::ConnectionReset {
                count: 1 + rng.below(2) as u32,
            },
            _ => Fault::None,
        }
    }
}

/// Another administrator's client, for holding locks palosync must respect.
pub fn bob(sim: &RunningSimulator) -> anyhow::Result<panos::Client> {
    let key = sim
        .key_of("bob")
        .ok_or_else(|| anyhow::anyhow!("bob has no key"))?;
    Ok(panos::Client::builder(sim.url())
        .api_key(panos::ApiKey::new(key))
        .build()?)
}

/// Arm `fault` for the next run; false when it could not be (bob cannot take the config lock
/// while a killed palosync run still holds it).
pub async fn arm(
    fault: Fault,
    sim: &RunningSimulator,
    proxy: &AwsProxy,
    relay: &ResetRelay,
) -> anyhow::Result<bool> {
    match fault {
        Fault::None => {}
        Fault::Http5xx { count, status } => sim.inject_faults(FaultPlan {
            http_errors: count,
            http_status: Some(status),
            ..Default::default()
        }),
        Fault::Hang { count, ms } => sim.inject_faults(FaultPlan {
            hang_ms: ms,
            hang_requests: count,
            ..Default::default()
        }),
        Fault::SessionExpiry => sim.inject_faults(FaultPlan {
            session_timeouts: 1,
            ..Default::default()
        }),
        Fault::CommitFail => sim.inject_faults(FaultPlan {
            fail_commits: 1,
            ..Default::default()
        }),
        Fault::ForeignLock { ms } => {
            let bob = bob(sim)?;
            let scope = panos::LockScope::Vsys("vsys1".into());
            if bob
                .acquire_config_lock(&scope, "soak: bob at work")
                .await
                .is_err()
            {
                return Ok(false);
            }
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                let _ = bob.release_config_lock(&scope).await;
            });
        }
        Fault::SlowCommit => sim.with_state(|s| s.jobs.duration = SLOW_COMMIT),
        Fault::Aws { fault, percent } => proxy.arm(fault, percent),
        Fault::ConnectionReset { count } => relay.arm(count),
    }
    Ok(true)
}

/// Undo every armed fault: the fault plan emptied, commits fast again, the proxy forwarding.
/// bob's lock is released by its own timer.
pub fn clear(sim: &RunningSimulator, proxy: &AwsProxy, relay: &ResetRelay) {
    relay.disarm();
    sim.with_state(|s| {
        s.faults = FaultPlan::default();
        s.jobs.forced_failures = 0;
        s.jobs.duration = BASE_COMMIT;
    });
    proxy.arm(AwsFault::None, 0);
}

/// Wait until no commit job is queued or running (at most `limit`).
pub async fn commits_settled(sim: &RunningSimulator, limit: Duration) -> bool {
    let until = std::time::Instant::now() + limit;
    loop {
        let stats = sim.stats();
        if stats.commits_finished + stats.commits_failed >= stats.commits_enqueued {
            return true;
        }
        if std::time::Instant::now() > until {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
