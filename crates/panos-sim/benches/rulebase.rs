//! A 20,000-rule firewall served over HTTP: `get` of the whole candidate rulebase, and one
//! `test security-policy-match` that walks almost the whole rulebase before matching.
//!
//! Run: cargo bench -p panos-sim --bench rulebase -- --warm-up-time 1 --measurement-time 3

use std::fmt::Write;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use panos_sim::{DEFAULT_CONFIG_XML, Simulator};

const RULES: usize = 20_000;
const KEY: &str = "benchKey";
const RULES_XPATH: &str = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']/rulebase/security/rules";

/// The default configuration with `RULES` palosync-style rules above `Clean up`.
fn big_config() -> String {
    let mut rules = String::new();
    for i in 0..RULES {
        let (a, b) = (i / 250, i % 250);
        write!(
            rules,
            "<entry name=\"i-{i:08x}-1\" uuid=\"00000000-0000-4000-8000-{i:012}\"><to><member>trust</member></to>\
             <from><member>untrust</member></from><source><member>198.51.{a}.{b}/32</member></source>\
             <destination><member>10.{a}.{b}.10</member></destination><source-user><member>any</member></source-user>\
             <category><member>any</member></category><application><member>ssl</member></application>\
             <service><member>application-default</member></service><action>allow</action>\
             <description>sg-{i:08x} tcp/443 from 198.51.{a}.{b}/32</description>\
             <profile-setting><group><member>default</member></group></profile-setting></entry>"
        )
        .expect("writing to a String cannot fail");
    }
    DEFAULT_CONFIG_XML.replacen("<rules>", &format!("<rules>{rules}"), 1)
}

fn bench_rulebase(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let sim = rt
        .block_on(
            Simulator::builder()
                .api_key(KEY)
                .config_xml(big_config())
                .start(),
        )
        .expect("simulator starts");
    let client = reqwest::Client::new();
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

    let get = vec![
        ("type", "config".to_string()),
        ("action", "get".into()),
        ("xpath", RULES_XPATH.into()),
        ("key", KEY.into()),
    ];
    let body = rt.block_on(call(get.clone()));
    assert_eq!(
        body.matches("<entry name=").count(),
        RULES + 1,
        "whole rulebase returned"
    );

    // Matches the last generated rule: every rule before it is evaluated and rejected.
    let last = RULES - 1;
    let cmd = format!(
        "<test><security-policy-match><source>198.51.{a}.{b}</source><destination>10.{a}.{b}.10</destination>\
         <protocol>6</protocol><destination-port>443</destination-port><application>ssl</application>\
         <from>untrust</from><to>trust</to><show-all>no</show-all></security-policy-match></test>",
        a = last / 250,
        b = last % 250
    );
    let matching = vec![
        ("type", "op".to_string()),
        ("cmd", cmd),
        ("key", KEY.into()),
    ];
    let answer = rt.block_on(call(matching.clone()));
    assert!(
        answer.contains(&format!("name=\"i-{last:08x}-1\"")),
        "{answer}"
    );

    let mut group = c.benchmark_group("rulebase_20k");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    group.bench_function("get_whole_rulebase", |b| {
        b.iter(|| rt.block_on(call(get.clone())))
    });
    group.bench_function("policy_match_last_rule", |b| {
        b.iter(|| rt.block_on(call(matching.clone())))
    });
    group.finish();
    rt.block_on(sim.shutdown());
}

criterion_group!(benches, bench_rulebase);
criterion_main!(benches);
