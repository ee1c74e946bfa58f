//! Group mode at its edges: source families, IPv6 scope, shadowing by subnet, someone else's
//! address group, the device's tag limit, partial registration reads, the tag timeout.

mod support;

use model::InstanceState;
use planner::RuleAction;
use support::groups::*;
use support::*;

#[test]
fn ipv4_any_is_never_written_as_any_unless_ipv6_any_is_allowed_too() {
    let topology = Net::new()
        .server("i-0a1", "10.0.1.10", &[WEB])
        .group(
            WEB,
            vec![
                allow(tcp(443, 443), &["0.0.0.0/0"]),
                allow(tcp(80, 80), &["0.0.0.0/0", "::/0"]),
            ],
        )
        .build();
    let settings = group_settings();
    let mut firewall = empty_firewall();
    let plan = converge_all(&mut firewall, &topology, &settings, &sync());
    let sources: Vec<(String, Vec<String>)> = created(&plan)
        .into_iter()
        .map(|c| (c.3[0].clone(), c.1))
        .collect();
    assert_eq!(
        sources,
        [
            ("ssl".into(), vec!["0.0.0.0/0".into()]),
            ("web-browsing".into(), vec!["any".into()]),
        ]
    );
    assert_exact(&firewall, &topology, &settings);
}

#[test]
fn ipv6_members_are_registered_only_where_the_ipv6_default_route_goes_through_the_firewall() {
    let topology = Net::new()
        .route_table(
            "rtb-v4",
            false,
            vec![route("0.0.0.0/0", to_instance(FIREWALL))],
        )
        .subnet("subnet-v4", Some("rtb-v4"))
        .instance("i-0a1", InstanceState::Running)
        .eni(
            "eni-0a1",
            "i-0a1",
            "subnet-a",
            &["10.0.1.10"],
            &["2600:1f00::10"],
            &[WEB],
        )
        .instance("i-0b2", InstanceState::Running)
        .eni(
            "eni-0b2",
            "i-0b2",
            "subnet-v4",
            &["10.0.2.20"],
            &["2600:1f00::20"],
            &[WEB],
        )
        .group(WEB, vec![allow(tcp(443, 443), &["0.0.0.0/0", "::/0"])])
        .build();
    let settings = group_settings();
    let mut firewall = empty_firewall();
    let plan = converge_all(&mut firewall, &topology, &settings, &sync());
    let addresses: Vec<String> = registered(&plan.registrations.register)
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(addresses, ["10.0.1.10", "10.0.2.20", "2600:1f00::10"]);
    assert_exact(&firewall, &topology, &settings);
}

#[test]
fn an_operator_rule_covering_every_in_scope_subnet_shadows_and_a_partial_one_does_not() {
    let topology = web().subnet_cidr("subnet-a", "10.0.1.0/24").build();
    let settings = group_settings();
    // Covers the whole subnet: no ssh rule, reported shadowed for each member.
    let mut firewall = empty_firewall();
    firewall.rules.insert(
        0,
        unmanaged_allow("ops-ssh", "203.0.113.0/24", "10.0.1.0/24", "ssh"),
    );
    let plan = converge_all(&mut firewall, &topology, &settings, &sync());
    let applications: Vec<String> = created(&plan).into_iter().map(|c| c.3[0].clone()).collect();
    assert_eq!(applications, ["any", "web-browsing"]);
    let shadowed: Vec<(String, String)> = plan
        .shadowed
        .iter()
        .map(|s| (s.allowance.destination.to_string(), s.rule.clone()))
        .collect();
    assert_eq!(
        shadowed,
        [
            ("10.0.1.10".into(), "ops-ssh".into()),
            ("10.0.1.20".into(), "ops-ssh".into())
        ]
    );
    // Covers only the lower half of the subnet: a member may appear in the upper half.
    let mut firewall = empty_firewall();
    firewall.rules.insert(
        0,
        unmanaged_allow("ops-ssh", "203.0.113.0/24", "10.0.1.0/25", "ssh"),
    );
    let plan = converge_all(&mut firewall, &topology, &settings, &sync());
    let applications: Vec<String> = created(&plan).into_iter().map(|c| c.3[0].clone()).collect();
    assert_eq!(applications, ["ssh", "any", "web-browsing"]);
    assert!(plan.shadowed.is_empty());
    // A deny above the covering allow for part of it: the rule stays.
    let mut firewall = empty_firewall();
    firewall.rules.insert(
        0,
        unmanaged_allow("ops-ssh", "203.0.113.0/24", "10.0.1.0/24", "ssh"),
    );
    firewall.rules.insert(
        0,
        planner::ObservedRule {
            action: RuleAction::Deny,
            ..unmanaged_allow("ops-deny", "203.0.113.7", "10.0.1.128/25", "any")
        },
    );
    let plan = converge_all(&mut firewall, &topology, &settings, &sync());
    assert!(created(&plan).iter().any(|c| c.3 == ["ssh"]));
}

#[test]
fn a_same_named_address_group_without_the_managed_tag_is_never_touched_or_used() {
    let topology = web().build();
    let settings = group_settings();
    let mut firewall = empty_firewall();
    let theirs = planner::ObservedAddressGroup {
        name: WEB_TAG.into(),
        static_members: vec!["10.9.9.9".into()],
        dynamic_filter: None,
        tags: vec![],
        description: "an operator's".into(),
    };
    firewall.objects.address_groups.push(theirs.clone());
    let plan = converge_all(&mut firewall, &topology, &settings, &sync());
    assert!(created(&plan).is_empty());
    assert!(
        !plan
            .operations
            .iter()
            .any(|op| op.address_group_name().is_some())
    );
    assert!(
        plan.skipped
            .iter()
            .any(|s| s.group == WEB && s.reason.contains("someone else's"))
    );
    assert_eq!(firewall.objects.address_groups, [theirs]);
}

#[test]
fn an_address_that_would_need_more_than_32_tags_is_skipped_whole() {
    let groups: Vec<String> = (0..32).map(|g| format!("sg-{g:02x}")).collect();
    let refs: Vec<&str> = groups.iter().map(String::as_str).collect();
    let mut net = Net::new().server("i-0a1", "10.0.1.10", &refs);
    for group in &groups {
        net = net.group(group, vec![allow(tcp(22, 22), &["203.0.113.7/32"])]);
    }
    let topology = net.build();
    let settings = group_settings();
    let mut firewall = empty_firewall();
    let plan = converge_all(&mut firewall, &topology, &settings, &sync());
    assert!(plan.registrations.is_empty());
    assert!(
        plan.notes.iter().any(|n| n.contains("33 tags")),
        "{:#?}",
        plan.notes
    );
    assert_eq!(plan.skipped.len(), 32);
}

#[test]
fn registrations_outside_the_read_are_never_removed() {
    let topology = web().build();
    let settings = group_settings();
    let mut firewall = synced(&topology);
    // Someone's stale palosync tag on an address no interface holds.
    let stale = planner::Registration {
        address: "10.0.1.99".parse().unwrap(),
        tags: vec![WEB_TAG.into()],
        why: Default::default(),
    };
    firewall.apply_registrations(std::slice::from_ref(&stale), true);
    // A group key reads the group's tag: the stale address is claimed but not read.
    let mut narrowed = firewall.clone();
    narrowed.objects.registrations = firewall.registrations_read(planner::RegistrationRead::Some {
        addresses: vec![],
        tags: vec![WEB_TAG.into()],
    });
    let scope = group_key(WEB, "AuthorizeSecurityGroupIngress");
    let plan = narrowed.plan(&topology, &settings, &scope).expect("plan");
    assert!(plan.registrations.is_empty(), "{:#?}", plan.registrations);
    assert!(plan.notes.iter().any(|n| n.contains("10.0.1.99")));
    let targets = planner::read_targets(planner::PlanInput {
        topology: &topology,
        settings: &settings,
        scope: &scope,
        rules: &narrowed.rules,
        services: &narrowed.services,
        objects: &narrowed.objects,
    });
    assert_eq!(
        targets.addresses,
        ["10.0.1.99".parse::<std::net::IpAddr>().unwrap()]
    );
    // Not read at all: nothing is removed, desired tags are registered again.
    narrowed.objects.registrations =
        firewall.registrations_read(planner::RegistrationRead::Nothing);
    let plan = narrowed.plan(&topology, &settings, &sync()).expect("plan");
    assert!(plan.registrations.unregister.is_empty());
    assert_eq!(plan.registrations.register.len(), 2);
    // A sync that reads everything removes it.
    let plan = firewall.plan(&topology, &settings, &sync()).expect("plan");
    assert_eq!(
        registered(&plan.registrations.unregister),
        [("10.0.1.99".into(), vec![WEB_TAG.into()])]
    );
}

#[test]
fn with_a_registration_timeout_every_run_refreshes_the_tags_it_wants_and_writes_nothing() {
    let topology = web().build();
    let settings = group_settings()
        .with_registration_timeout(Some(3600))
        .expect("valid timeout");
    let mut firewall = empty_firewall();
    converge_all(&mut firewall, &topology, &settings, &sync());
    let again = firewall.plan(&topology, &settings, &sync()).expect("plan");
    assert!(again.is_empty());
    assert_eq!(again.registrations.register.len(), 2);
    assert!(again.registrations.unregister.is_empty());
    let key = instance_key("i-0a1", "StartInstances");
    let again = firewall.plan(&topology, &settings, &key).expect("plan");
    assert_eq!(
        registered(&again.registrations.register),
        [member("10.0.1.10", "i-0a1")]
    );
}
