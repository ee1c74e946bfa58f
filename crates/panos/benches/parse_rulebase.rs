//! How long reading a large rulebase reply takes: XML parse plus typed rule conversion, and the
//! reverse (serialising rules as `element=` values).

use criterion::{Criterion, criterion_group, criterion_main};
use panos::{ConfigEntry, RuleAction, SecurityRule, XmlNode};

fn rule(i: usize) -> SecurityRule {
    SecurityRule {
        name: format!("i-0123456789abcdef{i:04}-1"),
        uuid: Some(format!("00000000-0000-4000-8000-{i:012}")),
        from: vec!["untrust".into()],
        to: vec!["trust".into()],
        source: vec![format!("203.0.{}.{}/32", i / 250, i % 250)],
        destination: vec![format!("10.0.{}.{}", i / 250, i % 250)],
        source_user: vec!["any".into()],
        category: vec!["any".into()],
        application: vec!["ssl".into()],
        service: vec!["application-default".into()],
        action: Some(RuleAction::Allow),
        description: Some(format!(
            "sg-0abc{i} tcp/443 from 203.0.113.0/24 by RunInstances"
        )),
        tags: vec!["palosync".into()],
        profile_setting: Some(panos::ProfileSetting::Group(vec!["default".into()])),
        ..SecurityRule::default()
    }
}

fn rulebase_reply(n: usize) -> String {
    let mut rules = XmlNode::new("rules");
    for i in 0..n {
        rules.children.push(rule(i).to_entry());
    }
    let result = XmlNode::new("result")
        .with_attr("total-count", "1")
        .with_attr("count", "1")
        .with_child(rules);
    XmlNode::new("response")
        .with_attr("status", "success")
        .with_attr("code", "19")
        .with_child(result)
        .to_xml()
}

fn bench(c: &mut Criterion) {
    let reply = rulebase_reply(1000);
    c.bench_function("parse 1000-rule get reply into SecurityRules", |b| {
        b.iter(|| {
            let root = XmlNode::parse(&reply).expect("valid reply");
            let rules = root
                .path(&["result", "rules"])
                .expect("rules")
                .children_named("entry")
                .map(SecurityRule::from_entry)
                .collect::<Result<Vec<_>, _>>()
                .expect("rules parse");
            assert_eq!(rules.len(), 1000);
        });
    });
    let rules: Vec<SecurityRule> = (0..1000).map(rule).collect();
    c.bench_function("serialise 1000 rules as entry elements", |b| {
        b.iter(|| {
            rules
                .iter()
                .map(|r| r.to_entry().to_xml().len())
                .sum::<usize>()
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
