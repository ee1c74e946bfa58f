//! Writing a large rulebase as palosync does (multi-config batches of 200 `set`s under one
//! commit) and committing it, at 2,000 to 20,000 rules: the figure that shows whether the
//! simulator's set-time and commit-time validation stay near-linear in the rulebase.
//!
//! Run: cargo bench -p panos-sim --bench batch_write -- --warm-up-time 1 --measurement-time 3

use std::fmt::Write;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use panos_sim::Simulator;

const KEY: &str = "benchKey";
const BATCH: usize = 200;
const VSYS: &str = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']";
const SIZES: [usize; 4] = [2_000, 5_000, 10_000, 20_000];

/// One palosync-style rule (a destination address, an App-ID, a profile group).
fn rule(i: usize) -> String {
    let (a, b) = (i / 250 % 250, i % 250);
    format!(
        "<entry name=\"i-{i:08x}-1\"><to><member>trust</member></to>\
         <from><member>untrust</member></from><source><member>198.51.{a}.{b}/32</member></source>\
         <destination><member>10.{a}.{b}.10</member></destination><source-user><member>any</member></source-user>\
         <category><member>any</member></category><application><member>ssl</member></application>\
         <service><member>application-default</member></service><action>allow</action>\
         <description>sg-{i:08x} tcp/443 from 198.51.{a}.{b}/32</description>\
         <profile-setting><group><member>default</member></group></profile-setting></entry>"
    )
}

/// The multi-config elements writing rules `from..to`, one `set` each.
fn batch(from: usize, to: usize) -> String {
    let mut element = String::from("<multi-config>");
    for i in from..to {
        write!(
            element,
            "<set id=\"{i}\" xpath=\"{VSYS}/rulebase/security/rules\">{}</set>",
            rule(i)
        )
        .expect("writing to a String cannot fail");
    }
    element.push_str("</multi-config>");
    element
}

fn bench_batch_write(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let client = reqwest::Client::new();
    let mut group = c.benchmark_group("batch_write_and_commit");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for rules in SIZES {
        let batches: Vec<String> = (0..rules)
            .step_by(BATCH)
            .map(|from| batch(from, (from + BATCH).min(rules)))
            .collect();
        group.bench_with_input(
            BenchmarkId::from_parameter(rules),
            &batches,
            |b, batches| {
                b.iter_custom(|iterations| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iterations {
                        total += rt.block_on(write_and_commit(&client, batches, rules));
                    }
                    total
                })
            },
        );
    }
    group.finish();
}

/// A fresh simulator (not timed), then every batch and a commit waited for (timed).
async fn write_and_commit(client: &reqwest::Client, batches: &[String], rules: usize) -> Duration {
    let sim = Simulator::builder()
        .api_key(KEY)
        .commit_delay(Duration::ZERO)
        .start()
        .await
        .expect("simulator starts");
    let api = format!("{}/api/", sim.url());
    let call = |params: Vec<(&'static str, String)>| {
        let req = client.post(&api).form(&params);
        async move {
            req.send()
                .await
                .expect("request")
                .text()
                .await
                .expect("body")
        }
    };
    let started = std::time::Instant::now();
    for element in batches {
        let reply = call(vec![
            ("type", "config".into()),
            ("action", "multi-config".into()),
            ("element", element.clone()),
            ("key", KEY.into()),
        ])
        .await;
        assert!(reply.contains("status=\"success\""), "{reply}");
    }
    let reply = call(vec![
        ("type", "commit".into()),
        ("cmd", "<commit></commit>".into()),
        ("key", KEY.into()),
    ])
    .await;
    let job = reply
        .split("<job>")
        .nth(1)
        .and_then(|rest| rest.split("</job>").next())
        .unwrap_or_else(|| panic!("a commit job: {reply}"))
        .to_owned();
    loop {
        let status = call(vec![
            ("type", "op".into()),
            ("cmd", format!("<show><jobs><id>{job}</id></jobs></show>")),
            ("key", KEY.into()),
        ])
        .await;
        if status.contains("<status>FIN</status>") {
            assert!(status.contains("<result>OK</result>"), "{status}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let elapsed = started.elapsed();
    assert_eq!(
        sim.running_rules("vsys1").len(),
        rules + 1,
        "every rule committed"
    );
    sim.shutdown().await;
    elapsed
}

criterion_group!(benches, bench_batch_write);
criterion_main!(benches);
