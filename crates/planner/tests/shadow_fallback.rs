//! Scenarios for what the rulebase alone cannot decide (issue 12 item 10): FQDN objects,
//! dynamic address groups, external dynamic lists and applications outside the planner's
//! table. Only an allowance that is one flow is asked about with `test security-policy-match`
//! (answered here by the in-memory firewall's first-match evaluator); a wider one gets its rule.

mod support;

use planner::testing::InMemoryFirewall;
use planner::{
    AddressValue, ObservedAddress, ObservedAddressGroup, ObservedRule, PlanInput, RuleAction,
    plan_candidates,
};
use support::*;

fn server() -> model::Topology {
    Net::new()
        .server("i-0a1", "10.0.1.10", &["sg-0web"])
        .group(
            "sg-0web",
            vec![allow(tcp(22, 22), &["203.0.113.7/32", "198.51.100.0/24"])],
        )
        .build()
}

fn above(firewall: &mut InMemoryFirewall, rule: ObservedRule) {
    let bottom = firewall.rules.len() - 1;
    firewall.rules.insert(bottom, rule);
}

/// The sources asked about, as text.
fn asked(firewall: &InMemoryFirewall, topology: &model::Topology) -> Vec<String> {
    let settings = settings();
    let scope = sync();
    let candidates = plan_candidates(PlanInput {
        topology,
        settings: &settings,
        scope: &scope,
        rules: &firewall.rules,
        services: &firewall.services,
        objects: &firewall.objects,
    })
    .expect("candidates");
    candidates
        .queries()
        .iter()
        .map(|q| format!("{} {:?}", q.source, q.application))
        .collect()
}

fn fqdn_partner(firewall: &mut InMemoryFirewall) {
    firewall.objects.addresses.push(ObservedAddress {
        name: "partner".into(),
        value: AddressValue::Fqdn("partner.example.com".into()),
        tags: vec![],
    });
}

fn dynamic_partner(firewall: &mut InMemoryFirewall) {
    firewall.objects.address_groups.push(ObservedAddressGroup {
        name: "partner".into(),
        static_members: vec![],
        dynamic_filter: Some("'partner' and 'ssh'".into()),
        tags: vec![],
        description: String::new(),
    });
}

#[test]
fn fqdn_and_dynamic_groups_fall_back_to_policy_match_for_one_flow() {
    let topology = server();
    let settings = settings();
    for define in [fqdn_partner, dynamic_partner] {
        let mut firewall = empty_firewall();
        define(&mut firewall);
        // The device resolves the name to both sources: it does allow all of them.
        firewall.resolved.insert(
            "partner".into(),
            vec![net("203.0.113.0/24"), net("198.51.100.0/24")],
        );
        above(
            &mut firewall,
            unmanaged_allow("partner ssh", "partner", "any", "ssh"),
        );
        assert_eq!(
            asked(&firewall, &topology),
            ["203.0.113.7 Some(\"ssh\")"],
            "only the one-flow allowance is asked about"
        );
        let plan = converge(&mut firewall, &topology, &settings, &sync());
        assert_eq!(plan.shadowed.len(), 1);
        assert_eq!(plan.shadowed[0].rule, "partner ssh");
        assert_eq!(
            plan.shadowed[0].allowance.source.to_string(),
            "203.0.113.7/32"
        );
        assert_eq!(
            allowances(&firewall, &settings),
            ["198.51.100.0/24 -> 10.0.1.10 ssh/application-default"],
            "the /24 cannot be proven covered, so it keeps its rule"
        );
    }
}

#[test]
fn a_device_answer_that_the_fqdn_does_not_hold_the_host_keeps_its_rule() {
    let topology = server();
    let settings = settings();
    let mut firewall = empty_firewall();
    fqdn_partner(&mut firewall);
    firewall
        .resolved
        .insert("partner".into(), vec![net("192.0.2.0/24")]);
    above(
        &mut firewall,
        unmanaged_allow("partner ssh", "partner", "any", "ssh"),
    );
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    assert!(plan.shadowed.is_empty());
    assert_eq!(allowances(&firewall, &settings).len(), 2);
}

#[test]
fn an_edl_deny_above_a_covering_rule_is_asked_about_for_one_flow_only() {
    let topology = server();
    let settings = settings();
    for (listed, shadowed) in [(vec![net("203.0.113.7/32")], 0), (vec![], 1)] {
        let mut firewall = empty_firewall();
        firewall.resolved.insert("edl-bad-hosts".into(), listed);
        above(
            &mut firewall,
            ObservedRule {
                action: RuleAction::Deny,
                ..unmanaged_allow("bad hosts", "edl-bad-hosts", "any", "any")
            },
        );
        above(
            &mut firewall,
            unmanaged_allow("ssh in", "any", "any", "ssh"),
        );
        assert_eq!(asked(&firewall, &topology), ["203.0.113.7 Some(\"ssh\")"]);
        let plan = converge(&mut firewall, &topology, &settings, &sync());
        assert_eq!(plan.shadowed.len(), shadowed);
        assert_eq!(allowances(&firewall, &settings).len(), 2 - shadowed);
    }
}

#[test]
fn an_application_outside_the_planners_table_cannot_be_decided() {
    let topology = server();
    let settings = settings();
    let mut firewall = empty_firewall();
    // Could be an application group holding ssh: only the device knows.
    above(
        &mut firewall,
        ObservedRule {
            action: RuleAction::Deny,
            ..unmanaged_allow("no remote shells", "any", "any", "remote-access")
        },
    );
    above(
        &mut firewall,
        unmanaged_allow("ssh in", "any", "any", "ssh"),
    );
    assert_eq!(asked(&firewall, &topology), ["203.0.113.7 Some(\"ssh\")"]);
    let plan = converge(&mut firewall, &topology, &settings, &sync());
    // The in-memory device knows `remote-access` only as itself, so ssh reaches "ssh in".
    assert_eq!(plan.shadowed.len(), 1);
    assert_eq!(plan.shadowed[0].rule, "ssh in");
    assert_eq!(
        allowances(&firewall, &settings),
        ["198.51.100.0/24 -> 10.0.1.10 ssh/application-default"]
    );
}
