//! Scenarios for the two-phase API (policy-match questions and answers), the reconcile keys
//! other than instance and group, and descriptions kept up to date.

mod support;

use model::{InstanceState, ReconcileKey};
use planner::{
    Operation, PlanInput, PolicyAnswers, PolicyMatch, PolicyMatchQuery, RuleAction, Scope, plan,
    plan_candidates,
};
use std::collections::BTreeSet;
use support::*;

fn two_servers() -> model::Topology {
    Net::new()
        .server("i-1", "10.0.1.1", &["sg-1"])
        .server("i-2", "10.0.1.2", &["sg-1"])
        .group(
            "sg-1",
            vec![
                allow(tcp(22, 22), &["203.0.113.7/32", "198.51.100.0/24"]),
                allow(tcp(8080, 8080), &["203.0.113.7/32"]),
            ],
        )
        .build()
}

fn with_fqdn_partner(firewall: &mut planner::testing::InMemoryFirewall) {
    firewall.objects.addresses.push(planner::ObservedAddress {
        name: "partner".into(),
        value: planner::AddressValue::Fqdn("partner.example.com".into()),
        tags: Vec::new(),
    });
}

#[test]
fn only_single_flow_allowances_are_asked_about() {
    let topology = two_servers();
    let settings = settings();
    let mut firewall = empty_firewall();
    // An operator rule only the device can evaluate (an FQDN source): static analysis cannot
    // decide, so one-flow allowances are asked about and wider ones are not.
    with_fqdn_partner(&mut firewall);
    firewall
        .rules
        .insert(0, unmanaged_allow("partner", "partner", "any", "any"));
    let scope = sync();
    let candidates = plan_candidates(PlanInput {
        topology: &topology,
        settings: &settings,
        scope: &scope,
        rules: &firewall.rules,
        services: &firewall.services,
        objects: &firewall.objects,
    })
    .expect("candidates");
    // ssh from a /32: one flow each; ssh from a /24 and any-application 8080: never asked.
    let asked: Vec<String> = candidates
        .queries()
        .iter()
        .map(|q| {
            format!(
                "{}>{} {}>{} {}/{:?} {:?}",
                q.from_zone, q.to_zone, q.source, q.destination, q.protocol, q.port, q.application
            )
        })
        .collect();
    assert_eq!(
        asked,
        [
            "untrust>trust 203.0.113.7>10.0.1.1 6/Some(22) Some(\"ssh\")",
            "untrust>trust 203.0.113.7>10.0.1.2 6/Some(22) Some(\"ssh\")",
        ]
    );
    assert_eq!(candidates.missing().count(), 6);
}

#[test]
fn an_answer_naming_an_unmanaged_allow_above_the_bottom_shadows_and_anything_else_does_not() {
    let topology = two_servers();
    let settings = settings();
    let mut firewall = empty_firewall();
    // FQDN sources: only the device can tell what these rules match, so the answers decide.
    with_fqdn_partner(&mut firewall);
    firewall
        .rules
        .insert(0, unmanaged_allow("ops", "partner", "any", "ssh"));
    firewall.rules.insert(1, {
        let mut deny = unmanaged_allow("block", "partner", "any", "ssh");
        deny.action = RuleAction::Deny;
        deny
    });
    let answer_for = |rule: &str, action: RuleAction| {
        let rule = rule.to_owned();
        move |q: &PolicyMatchQuery| match q.destination.to_string().as_str() {
            "10.0.1.1" => PolicyMatch::Rule {
                name: rule.clone(),
                action,
            },
            _ => PolicyMatch::NoMatch,
        }
    };
    let input = PlanInput {
        topology: &topology,
        settings: &settings,
        scope: &sync(),
        rules: &firewall.rules,
        services: &firewall.services,
        objects: &firewall.objects,
    };
    let shadowed = plan(input, answer_for("ops", RuleAction::Allow)).expect("plan");
    assert_eq!(shadowed.shadowed.len(), 1);
    assert_eq!(shadowed.shadowed[0].rule, "ops");
    for (rule, action) in [
        ("block", RuleAction::Deny),
        (BOTTOM, RuleAction::Deny),
        ("no such rule", RuleAction::Allow),
    ] {
        let plan = plan(input, answer_for(rule, action)).expect("plan");
        assert!(plan.shadowed.is_empty(), "{rule}");
    }
    // No answers at all: nothing is shadowed (conservative).
    let candidates = plan_candidates(input).expect("candidates");
    assert!(candidates.finish(&PolicyAnswers::new()).shadowed.is_empty());
}

#[test]
fn a_route_table_key_reconciles_the_interfaces_behind_it() {
    let mut topology = two_servers();
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &topology, &settings, &sync());
    // rtb-fw now sends the default route to the internet gateway: both servers leave scope.
    let table = topology
        .route_tables
        .iter_mut()
        .find(|t| t.id == "rtb-fw")
        .expect("rtb-fw");
    table.routes = vec![route("0.0.0.0/0", igw())];
    let scope = Scope::single(
        ReconcileKey::RouteTable("rtb-fw".into()),
        event("ReplaceRoute"),
    );
    converge(&mut firewall, &topology, &settings, &scope);
    assert!(allowances(&firewall, &settings).is_empty());
}

#[test]
fn a_vpc_key_reconciles_every_interface_of_the_vpc() {
    let topology = two_servers();
    let settings = settings();
    let mut firewall = empty_firewall();
    let scope = Scope::single(ReconcileKey::Vpc("vpc-1".into()), event("CreateVpc"));
    let plan = converge(&mut firewall, &topology, &settings, &scope);
    assert_eq!(allowances(&firewall, &settings).len(), 6);
    assert!(rule_names(&plan).iter().all(|n| n.starts_with("sg-1-")));
}

#[test]
fn an_attachment_key_names_rules_after_the_attached_instance() {
    let topology = two_servers();
    let settings = settings();
    let mut firewall = empty_firewall();
    let scope = Scope::single(
        ReconcileKey::Attachment("eni-attach-eni-2".into()),
        event("AttachNetworkInterface"),
    );
    let plan = converge(&mut firewall, &topology, &settings, &scope);
    let names: BTreeSet<String> = rule_names(&plan).into_iter().collect();
    assert!(names.iter().all(|n| n.starts_with("i-2-")), "{names:?}");
    assert!(
        allowances(&firewall, &settings)
            .iter()
            .all(|a| a.contains("10.0.1.2"))
    );
}

#[test]
fn a_description_goes_stale_when_another_group_starts_backing_the_rule() {
    let mut topology = two_servers();
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &topology, &settings, &sync());
    topology = Net { topology }
        .group("sg-2", vec![allow(tcp(8080, 8080), &["203.0.113.7/32"])])
        .build();
    for eni in &mut topology.network_interfaces {
        if eni.id == "eni-1" {
            eni.security_groups.push("sg-2".into());
        }
    }
    let scope = Scope::single(
        ReconcileKey::NetworkInterface("eni-1".into()),
        event("ModifyNetworkInterfaceAttribute"),
    );
    let plan = converge(&mut firewall, &topology, &settings, &scope);
    let [Operation::ReplaceRule { rule, why }] = plan.operations.as_slice() else {
        panic!("one replace expected: {:#?}", plan.operations);
    };
    assert!(rule.description.starts_with("to i-1 eni-1; allows sg-1 tcp/8080, sg-2 tcp/8080; last change: ModifyNetworkInterfaceAttribute"));
    assert!(
        why.text.contains("description brought up to date"),
        "{}",
        why.text
    );
}

#[test]
fn a_pending_instance_is_in_scope() {
    let topology = Net::new()
        .instance("i-1", InstanceState::Pending)
        .eni("eni-1", "i-1", "subnet-a", &["10.0.1.1"], &[], &["sg-1"])
        .group("sg-1", vec![allow(tcp(22, 22), &["0.0.0.0/0"])])
        .build();
    let mut firewall = empty_firewall();
    converge(
        &mut firewall,
        &topology,
        &settings(),
        &instance_key("i-1", "RunInstances"),
    );
    assert_eq!(
        allowances(&firewall, &settings()),
        ["any -> 10.0.1.1 ssh/application-default"]
    );
}

#[test]
fn a_firewall_restart_changes_no_rule() {
    let mut topology = two_servers();
    let settings = settings();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &topology, &settings, &sync());
    for instance in &mut topology.instances {
        if instance.id == FIREWALL {
            instance.state = InstanceState::Stopped;
        }
    }
    for table in &mut topology.route_tables {
        for route in &mut table.routes {
            if route
                .targets
                .instance_id
                .as_ref()
                .is_some_and(|i| i == FIREWALL)
            {
                route.state = model::RouteState::Blackhole;
            }
        }
    }
    let plan = firewall
        .plan(
            &topology,
            &settings,
            &instance_key(FIREWALL, "StopInstances"),
        )
        .expect("plan");
    assert!(plan.is_empty(), "{:#?}", plan.operations);
    assert!(
        firewall
            .plan(&topology, &settings, &sync())
            .expect("plan")
            .is_empty()
    );
}

/// `claims_everything` is what a multi-account reader asks before merging reads; it must agree
/// with how the planner resolves the key, or one account's widening would claim another's rules.
#[test]
fn claims_everything_agrees_with_how_keys_resolve() {
    let topology = two_servers();
    let table = topology.route_tables[0].id.clone();
    let association = topology.route_tables[0].associations[0].id.clone();
    let keys = [
        (ReconcileKey::Everything, true),
        (ReconcileKey::Attachment("eni-attach-gone".into()), true),
        (ReconcileKey::RouteTable("rtb-gone".into()), true),
        (
            ReconcileKey::RouteTableAssociation("rtbassoc-gone".into()),
            true,
        ),
        (ReconcileKey::RouteTable(table), false),
        (ReconcileKey::RouteTableAssociation(association), false),
        (ReconcileKey::Instance("i-1".into()), false),
        (ReconcileKey::Instance("i-gone".into()), false),
        (ReconcileKey::SecurityGroup("sg-1".into()), false),
        (ReconcileKey::Vpc(topology.vpcs[0].id.clone()), false),
    ];
    for (key, widens) in keys {
        let scope = Scope::single(key.clone(), model::Provenance::sync("test"));
        let focus = planner::focus::resolve(&scope, &topology, &[]);
        assert_eq!(focus.is_everything(), widens, "{key}");
        assert_eq!(
            planner::focus::claims_everything(&key, &topology),
            widens,
            "{key}"
        );
    }
}
