//! The tables that set the two policy modes side by side: an instance start until its traffic
//! is allowed, the rule count each mode needs against the device tiers, and the planner's peak
//! memory. Rendering only: every figure comes from `figures`.

use crate::figures::{MemoryResults, StartResults};
use crate::fit::{Fit, TIERS};
use crate::floor::floor;
use crate::logparse::MIB;
use crate::report::spread;
use crate::spread::{Spread, ratio};
use crate::start::StartStrategy;
use model::PolicyMode;
use std::fmt::Write;

pub fn render_start(out: &mut String, start: &StartResults) {
    let c = start.costs;
    let _ = writeln!(
        out,
        "### Instance start to enforced: one StartInstances event (an SQS batch of one)\n\n\
         Injected costs: {} ms per API call, **{} ms per commit** (`--start-commit-ms`, a \
         realistic device's), job polled every {} ms. Enforced = the invocation returned after \
         its commit job was seen finished or its User-ID message was answered; then the \
         simulator's `test security-policy-match` confirmed the new member's SSH is allowed \
         (it was denied before).\n",
        c.api.as_millis(),
        c.commit.as_millis(),
        c.poll.as_millis()
    );
    let _ = writeln!(
        out,
        "| strategy | runs | round trips | writes | User-ID messages | commits | start to enforced (s) |\n\
         |---|---|---|---|---|---|---|"
    );
    for (strategy, samples) in &start.runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            strategy.label(),
            samples.len(),
            spread(samples, |u| u.round_trips as f64).show(0),
            spread(samples, |u| u.writes as f64).show(0),
            spread(samples, |u| u.user_id_messages as f64).show(0),
            spread(samples, |u| u.commits as f64).show(0),
            spread(samples, |u| u.wall.as_secs_f64()).show(2),
        );
    }
    let commit_floor = floor(c);
    let _ = writeln!(
        out,
        "| physical floor with a commit (computed) | – | {} | 1 | 0 | 1 | {:.2} |\n\
         | physical floor with a registration (computed) | – | 1 | 0 | 1 | 0 | {:.2} |\n",
        commit_floor.round_trips,
        commit_floor.wall.as_secs_f64(),
        c.api.as_secs_f64()
    );
    let median = |wanted: StartStrategy| {
        start
            .runs
            .iter()
            .find(|(s, _)| *s == wanted)
            .map_or(0.0, |(_, samples)| {
                spread(samples, |u| u.wall.as_secs_f64()).median
            })
    };
    let groups = median(StartStrategy::Palosync(PolicyMode::Groups));
    let addresses = median(StartStrategy::Palosync(PolicyMode::Addresses));
    let legacy = median(StartStrategy::Legacy);
    let _ = writeln!(
        out,
        "| ratio of start to enforced | value |\n|---|---|\n\
         | addresses / groups | {} |\n| legacy / groups | {} |\n| legacy / addresses | {} |\n\
         | groups / registration floor | {} |\n| addresses / commit floor | {} |\n",
        ratio(addresses, groups),
        ratio(legacy, groups),
        ratio(legacy, addresses),
        ratio(groups, c.api.as_secs_f64()),
        ratio(addresses, commit_floor.wall.as_secs_f64()),
    );
}

pub fn render_fit(out: &mut String, fits: &[Fit]) {
    let tiers: Vec<String> = TIERS.iter().map(|t| format!("{t}")).collect();
    let _ = writeln!(
        out,
        "### Device fit: managed rules per mode against the VM-Series tiers ({} rules)\n",
        tiers.join(" / ")
    );
    let _ = writeln!(
        out,
        "| estate | mode | managed rules | address groups | registrations | smallest tier that holds it |\n\
         |---|---|---|---|---|---|"
    );
    for fit in fits {
        let tier = fit
            .smallest_tier()
            .map_or("none (over 65,000)".to_owned(), |t| format!("{t}"));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {tier} |",
            fit.estate,
            fit.mode.as_str(),
            fit.plan.rules,
            fit.plan.address_groups,
            fit.plan.registrations,
        );
    }
    let _ = writeln!(out);
}

pub fn render_memory(out: &mut String, memory: &MemoryResults) {
    let s = memory.size;
    let _ = writeln!(
        out,
        "### Planner memory: peak RSS of planning {} instances / {} groups × {} permissions\n\n\
         Each plan in its own child process reporting its VmHWM (topology generation included); \
         goal ≤ 300 MiB in address mode, ≤ 64 MiB in group mode (a 512 MB Lambda).\n",
        s.instances, s.groups, s.permissions
    );
    let _ = writeln!(
        out,
        "| mode | runs | operations | plan (s) | RSS before planning (MiB) | peak RSS (MiB) |\n\
         |---|---|---|---|---|---|"
    );
    let mib = |kib: u64| kib as f64 * 1024.0 / MIB as f64;
    let mut peaks = Vec::new();
    for (mode, samples) in &memory.modes {
        let peak = Spread::of(samples.iter().map(|m| mib(m.peak_kib)));
        let before = Spread::of(samples.iter().map(|m| mib(m.before_kib)));
        let seconds = Spread::of(samples.iter().map(|m| m.seconds));
        let show = |s: Option<Spread>, d: usize| s.map_or("–".to_owned(), |s| s.show(d));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            mode.as_str(),
            samples.len(),
            samples.first().map_or(0, |m| m.operations),
            show(seconds, 2),
            show(before, 1),
            show(peak, 1),
        );
        peaks.push(peak.map_or(0.0, |p| p.median));
    }
    if let [groups, addresses] = peaks.as_slice() {
        let _ = writeln!(
            out,
            "\nPeak RSS, address mode / group mode: {}.\n",
            ratio(*addresses, *groups)
        );
    }
}
