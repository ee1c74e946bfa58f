//! The results as Markdown: one table per scenario, medians with min–max, ratios against the
//! baseline measured in the same run, and the exact costs and machine. Also puts that text
//! between the result markers of a file (BENCHMARKS.md), leaving the rest of it alone.

use crate::Options;
use crate::burst_runs::Strategy;
use crate::coldstart::StartTimes;
use crate::device::Usage;
use crate::figures::{BurstResults, ColdStartResults, LogResults, Results};
use crate::floor::floor;
use crate::logparse::{MIB, Parse};
use crate::spread::{Spread, ratio};
use anyhow::{Context, Result};
use model::PolicyMode;
use std::fmt::Write;
use std::path::Path;

pub const BEGIN: &str = "<!-- bench:results:begin -->";
pub const END: &str = "<!-- bench:results:end -->";

pub fn render(options: &Options, results: &Results) -> String {
    let mut out = String::new();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let _ = writeln!(out, "Measured with `bench {}`", args.join(" "));
    let _ = writeln!(
        out,
        "on {}; whole run {:.0} s.\n",
        crate::machine::describe(),
        results.seconds
    );
    if let Some(burst) = &results.burst {
        render_burst(&mut out, burst);
    }
    if let Some(start) = &results.start {
        crate::report_modes::render_start(&mut out, start);
    }
    if let Some(fleet) = &results.fleet {
        crate::fleet_report::render(&mut out, fleet);
    }
    if let Some(fit) = &results.fit {
        crate::report_modes::render_fit(&mut out, fit);
    }
    if let Some(memory) = &results.memory {
        crate::report_modes::render_memory(&mut out, memory);
    }
    if let Some(log) = &results.log {
        render_log(&mut out, log);
    }
    if let Some(cold) = &results.cold_start {
        render_cold_start(&mut out, cold, options);
    }
    out
}

pub fn spread(samples: &[Usage], field: impl Fn(&Usage) -> f64) -> Spread {
    Spread::of(samples.iter().map(field)).unwrap_or(Spread {
        median: 0.0,
        min: 0.0,
        max: 0.0,
        runs: 0,
    })
}

fn seconds(u: &Usage) -> f64 {
    u.wall.as_secs_f64()
}

fn render_burst(out: &mut String, burst: &BurstResults) {
    let c = burst.costs;
    let _ = writeln!(
        out,
        "### Burst of 50 events (15 starts, 15 stops, 10 authorizes, 10 revokes; 20 instances, 5 groups)\n\n\
         Injected costs: {} ms per API call, {} ms per commit, job polled every {} ms.\n",
        c.api.as_millis(),
        c.commit.as_millis(),
        c.poll.as_millis()
    );
    let _ = writeln!(
        out,
        "| strategy | runs | round trips | policy matches | writes | commits | job polls | wall to converge (s) |\n\
         |---|---|---|---|---|---|---|---|"
    );
    for (strategy, samples) in &burst.runs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            strategy.label(),
            samples.len(),
            spread(samples, |u| u.round_trips as f64).show(0),
            spread(samples, |u| u.policy_matches as f64).show(0),
            spread(samples, |u| u.writes as f64).show(0),
            spread(samples, |u| u.commits as f64).show(0),
            spread(samples, |u| u.job_polls as f64).show(0),
            spread(samples, seconds).show(1),
        );
    }
    let f = floor(c);
    let _ = writeln!(
        out,
        "| physical floor (computed) | – | {} | 0 | 1 | 1 | {} | {:.1} |\n",
        f.round_trips,
        f.job_polls,
        f.wall.as_secs_f64()
    );
    let median = |strategy: Strategy, field: fn(&Usage) -> f64| {
        burst
            .runs
            .iter()
            .find(|(s, _)| *s == strategy)
            .map_or(0.0, |(_, samples)| spread(samples, field).median)
    };
    let trips = |u: &Usage| u.round_trips as f64;
    let commits = |u: &Usage| u.commits as f64;
    let legacy = Strategy::Legacy;
    let _ = writeln!(
        out,
        "| ratio | round trips | commits | wall |\n|---|---|---|---|"
    );
    let groups_batch = Strategy::PalosyncBatch(PolicyMode::Groups);
    let addresses_batch = Strategy::PalosyncBatch(PolicyMode::Addresses);
    let groups_each = Strategy::PalosyncPerEvent(PolicyMode::Groups);
    let addresses_each = Strategy::PalosyncPerEvent(PolicyMode::Addresses);
    for (label, over, under) in [
        (
            "addresses batch / groups batch",
            addresses_batch,
            groups_batch,
        ),
        (
            "addresses per event / groups per event",
            addresses_each,
            groups_each,
        ),
        ("legacy / groups batch", legacy, groups_batch),
        ("legacy / addresses batch", legacy, addresses_batch),
        ("legacy / groups per event", legacy, groups_each),
        ("legacy / addresses per event", legacy, addresses_each),
    ] {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} |",
            ratio(median(over, trips), median(under, trips)),
            ratio(median(over, commits), median(under, commits)),
            ratio(median(over, seconds), median(under, seconds)),
        );
    }
    for (label, strategy) in [
        ("groups batch / floor", groups_batch),
        ("addresses batch / floor", addresses_batch),
        ("groups per event / floor", groups_each),
        ("addresses per event / floor", addresses_each),
        ("legacy / floor", legacy),
    ] {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} |",
            ratio(median(strategy, trips), f.round_trips as f64),
            ratio(median(strategy, commits), 1.0),
            ratio(median(strategy, seconds), f.wall.as_secs_f64()),
        );
    }
    let _ = writeln!(
        out,
        "\nEnd state: all four palosync runs (both deliveries, both modes; a dynamic address group \
         counted as its registered members) enforce {} allowances; legacy's end state holds {} \
         allowances palosync's does not and lacks {} that it holds.\n",
        if burst.palosync_deliveries_agree {
            "exactly the same"
        } else {
            "DIFFERENT (a bug)"
        },
        burst.legacy_extra,
        burst.legacy_missing
    );
}

fn render_log(out: &mut String, log: &LogResults) {
    let mib = log.json_bytes as f64 / MIB as f64;
    let _ = writeln!(
        out,
        "### Parsing a CloudTrail log file: {:.0} MiB of JSON ({:.1} MiB gzip), {} records, 1,000 acted on\n",
        mib,
        log.gzip_bytes as f64 / MIB as f64,
        log.records
    );
    let python = log
        .python
        .as_deref()
        .and_then(crate::machine::python_version)
        .unwrap_or_else(|| "Python".to_owned());
    let _ = writeln!(
        out,
        "| parser | file | runs | MiB/s of JSON | seconds | peak RSS (MiB) |\n|---|---|---|---|---|---|"
    );
    let rows: [(&str, &str, Option<&Vec<Parse>>); 4] = [
        ("palosync (streaming)", "gzip", Some(&log.palosync_gzip)),
        ("palosync (streaming)", "plain", Some(&log.palosync_plain)),
        ("original loop", "gzip", log.original_gzip.as_ref()),
        ("original loop", "plain", log.original_plain.as_ref()),
    ];
    for (parser, file, samples) in rows {
        let parser = if parser == "original loop" {
            format!("original: gzip + json.loads + loop ({python})")
        } else {
            parser.to_owned()
        };
        match samples.filter(|s| !s.is_empty()) {
            Some(samples) => {
                let rate = Spread::of(samples.iter().map(|p| mib / p.seconds));
                let secs = Spread::of(samples.iter().map(|p| p.seconds));
                let rss = Spread::of(samples.iter().map(|p| p.peak_rss_kib as f64 / 1024.0));
                let show = |s: Option<Spread>, d| s.map_or("–".to_owned(), |s| s.show(d));
                let _ = writeln!(
                    out,
                    "| {parser} | {file} | {} | {} | {} | {} |",
                    samples.len(),
                    show(rate, 0),
                    show(secs, 2),
                    show(rss, 1)
                );
            }
            None => {
                let _ = writeln!(out, "| {parser} | {file} | skipped: no Python | | | |");
            }
        }
    }
    let median = |samples: Option<&Vec<Parse>>, field: fn(&Parse) -> f64| {
        samples
            .and_then(|s| Spread::of(s.iter().map(field)))
            .map_or(0.0, |s| s.median)
    };
    let secs = |p: &Parse| p.seconds;
    let rss = |p: &Parse| p.peak_rss_kib as f64;
    let _ = writeln!(
        out,
        "\n| ratio (gzip file) | throughput | peak memory |\n|---|---|---|"
    );
    let _ = writeln!(
        out,
        "| palosync vs original | {} faster | {} less |\n",
        ratio(
            median(log.original_gzip.as_ref(), secs),
            median(Some(&log.palosync_gzip), secs)
        ),
        ratio(
            median(log.original_gzip.as_ref(), rss),
            median(Some(&log.palosync_gzip), rss)
        ),
    );
}

fn render_cold_start(out: &mut String, cold: &ColdStartResults, options: &Options) {
    let _ = options;
    let _ = writeln!(
        out,
        "### Cold start: process start to first handled event (local Lambda Runtime API, S3 test event)\n\n\
         | function | runs | to first `/next` (ms) | to first answer (ms) |\n|---|---|---|---|"
    );
    let row = |out: &mut String, label: &str, samples: &[StartTimes]| {
        let ready = Spread::of(samples.iter().map(|s| s.ready_ms));
        let answered = Spread::of(samples.iter().map(|s| s.answered_ms));
        let show = |s: Option<Spread>| s.map_or("–".to_owned(), |s| s.show(1));
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} |",
            samples.len(),
            show(ready),
            show(answered)
        );
    };
    row(out, "palosync (`palosync lambda`, Rust)", &cold.palosync);
    let answered = |samples: &[StartTimes]| {
        Spread::of(samples.iter().map(|s| s.answered_ms)).map_or(0.0, |s| s.median)
    };
    match &cold.python {
        Ok((import_only, original)) => {
            let python = cold
                .python_path
                .as_deref()
                .and_then(crate::machine::python_version)
                .unwrap_or_else(|| "Python".to_owned());
            row(out, &format!("{python}: `import boto3`"), import_only);
            row(
                out,
                &format!("{python}: `import boto3` + ec2 and s3 resources (as the original)"),
                original,
            );
            let _ = writeln!(
                out,
                "\nTo first answer, Python / palosync: {} (import boto3 only), {} (as the original).\n",
                ratio(answered(import_only), answered(&cold.palosync)),
                ratio(answered(original), answered(&cold.palosync)),
            );
        }
        Err(why) => {
            let _ = writeln!(
                out,
                "| Python handler importing boto3 | skipped: {why} | | |\n"
            );
        }
    }
}

/// Replace what lies between the markers in `path` with `table` (append markers if absent).
pub fn write_between_markers(path: &Path, table: &str) -> Result<()> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let block = format!("{BEGIN}\n{table}{END}");
    let updated = match (text.find(BEGIN), text.find(END)) {
        (Some(begin), Some(end)) if begin < end => {
            format!("{}{block}{}", &text[..begin], &text[end + END.len()..])
        }
        _ => format!("{text}\n{block}\n"),
    };
    std::fs::write(path, updated).with_context(|| format!("writing {}", path.display()))
}
