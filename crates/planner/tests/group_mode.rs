//! Group mode scenarios: one address group per security group, one rule per (group, service),
//! members as registrations; exact coverage (address groups expanded with the registrations),
//! idempotence, and the changes each kind of event makes.

mod support;

use model::{GroupId, InstanceState, ReconcileKey, Topology};
use planner::testing::InMemoryFirewall;
use planner::{Operation, Scope};
use support::groups::*;
use support::*;

#[test]
fn a_sync_writes_one_address_group_one_rule_per_service_and_registers_every_member() {
    let topology = web().build();
    let settings = group_settings();
    let mut firewall = empty_firewall();
    let plan = converge_all(&mut firewall, &topology, &settings, &sync());
    let groups: Vec<_> = plan
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::CreateAddressGroup { group, .. } => Some(group.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].name, WEB_TAG);
    assert_eq!(groups[0].filter, "'palosync.sg-0web'");
    assert_eq!(groups[0].tags, ["palosync"]);
    assert_eq!(
        created(&plan),
        [
            (
                "sg-0web-1".into(),
                vec!["203.0.113.7/32".into()],
                vec![WEB_TAG.into()],
                vec!["ssh".into()]
            ),
            (
                "sg-0web-2".into(),
                vec!["198.51.100.0/24".into()],
                vec![WEB_TAG.into()],
                vec!["any".into()]
            ),
            (
                "sg-0web-3".into(),
                vec!["0.0.0.0/0".into()],
                vec![WEB_TAG.into()],
                vec!["web-browsing".into()]
            ),
        ]
    );
    let rule = firewall
        .rules
        .iter()
        .find(|r| r.name == "sg-0web-1")
        .unwrap();
    assert!(
        rule.description
            .starts_with("to members of sg-0web; allows sg-0web tcp/22; last change: sync"),
        "{}",
        rule.description
    );
    assert_eq!(
        registered(&plan.registrations.register),
        [member("10.0.1.10", "i-0a1"), member("10.0.1.20", "i-0b2"),]
    );
    assert!(firewall.managed_rules_placed(&settings));
    assert_exact(&firewall, &topology, &settings);
}

/// DESIGN.md's figure for this shape is 809 rules in address mode; the planner today gives one
/// rule per (address, service): 200 x 4. Group mode gives one per (group, service).
#[test]
fn two_hundred_web_servers_with_four_permissions_need_four_rules() {
    let mut net = Net::new().group(
        WEB,
        vec![
            allow(tcp(22, 22), &["203.0.113.0/24"]),
            allow(tcp(80, 80), &["0.0.0.0/0"]),
            allow(tcp(443, 443), &["0.0.0.0/0"]),
            allow(tcp(8080, 8080), &["198.51.100.0/24"]),
        ],
    );
    for n in 0..200u32 {
        let address = format!("10.0.{}.{}", 1 + n / 200, 10 + n % 200);
        net = net.server(&format!("i-{n:04x}"), &address, &[WEB]);
    }
    let topology = net.build();
    let address_plan = empty_firewall()
        .plan(&topology, &settings(), &sync())
        .expect("plan");
    let group_plan = empty_firewall()
        .plan(&topology, &group_settings(), &sync())
        .expect("plan");
    let (address_rules, group_rules) = (
        count(&address_plan, is_create),
        count(&group_plan, is_create),
    );
    println!(
        "200 servers x 4 permissions: address mode {address_rules} rules ({} operations), group mode {group_rules} rules ({} operations, {} registrations)",
        address_plan.operations.len(),
        group_plan.operations.len(),
        group_plan.registrations.register.len()
    );
    assert_eq!(address_rules, 800);
    assert_eq!(group_rules, 4);
    assert_eq!(group_plan.registrations.register.len(), 200);
}

#[test]
fn start_stop_and_terminate_are_registrations_only_and_match_the_full_plan() {
    let mut topology = web().build();
    let settings = group_settings();
    let mut firewall = synced(&topology);
    let groups = vec![WEB_TAG.to_owned()];
    let membership = |firewall: &InMemoryFirewall, topology: &Topology, scope: &Scope| {
        let read = planner::membership_reads(topology, &settings, scope);
        let observed = firewall.registrations_read(read);
        let fast = planner::plan_membership(topology, &settings, scope, &observed, &groups);
        let mut narrowed = firewall.clone();
        narrowed.objects.registrations = observed;
        let full = narrowed.plan(topology, &settings, scope).expect("plan");
        assert!(
            full.is_empty(),
            "a member change writes config: {:#?}",
            full.operations
        );
        assert_eq!(
            fast.changes, full.registrations,
            "fast path and full plan differ"
        );
        assert!(fast.needs_policy.is_empty());
        fast
    };
    // Stop: both tags of its address go, nothing else.
    topology
        .instances
        .iter_mut()
        .find(|i| i.id == "i-0b2")
        .unwrap()
        .state = InstanceState::Stopped;
    let stop = instance_key("i-0b2", "StopInstances");
    let fast = membership(&firewall, &topology, &stop);
    assert!(fast.changes.register.is_empty());
    assert_eq!(
        registered(&fast.changes.unregister),
        [member("10.0.1.20", "i-0b2")]
    );
    firewall.apply_registrations(&fast.changes.unregister, false);
    assert_exact(&firewall, &topology, &settings);
    // Start again.
    topology
        .instances
        .iter_mut()
        .find(|i| i.id == "i-0b2")
        .unwrap()
        .state = InstanceState::Running;
    let start = instance_key("i-0b2", "StartInstances");
    let fast = membership(&firewall, &topology, &start);
    assert_eq!(
        registered(&fast.changes.register),
        [member("10.0.1.20", "i-0b2")]
    );
    firewall.apply_registrations(&fast.changes.register, true);
    assert_exact(&firewall, &topology, &settings);
    // Terminate: the instance and its interface are gone from the read; its tag finds it.
    topology.instances.retain(|i| i.id != "i-0b2");
    topology
        .network_interfaces
        .retain(|n| n.attached_instance().is_none_or(|i| i != "i-0b2"));
    topology.absent_instances.push("i-0b2".into());
    let terminate = instance_key("i-0b2", "TerminateInstances");
    let read = planner::membership_reads(&topology, &settings, &terminate);
    assert_eq!(
        read,
        planner::RegistrationRead::Some {
            addresses: vec![],
            tags: vec!["palosync.i-0b2".into()]
        }
    );
    let fast = membership(&firewall, &topology, &terminate);
    assert_eq!(
        registered(&fast.changes.unregister),
        [member("10.0.1.20", "i-0b2")]
    );
    firewall.apply_registrations(&fast.changes.unregister, false);
    assert_exact(&firewall, &topology, &settings);
    assert!(tags(&firewall, "10.0.1.20").is_empty());
}

#[test]
fn the_first_member_of_a_group_needs_its_policy_and_the_full_plan_creates_it() {
    let mut net = web().group("sg-0db", vec![allow(tcp(3306, 3306), &["198.51.100.0/24"])]);
    net = net.instance("i-0c3", InstanceState::Stopped).eni(
        "eni-0c3",
        "i-0c3",
        "subnet-a",
        &["10.0.1.30"],
        &[],
        &["sg-0db"],
    );
    let mut topology = net.build();
    let settings = group_settings();
    let mut firewall = synced(&topology);
    assert!(!firewall.rules.iter().any(|r| r.name.starts_with("sg-0db")));
    topology
        .instances
        .iter_mut()
        .find(|i| i.id == "i-0c3")
        .unwrap()
        .state = InstanceState::Running;
    let start = instance_key("i-0c3", "StartInstances");
    let read = planner::membership_reads(&topology, &settings, &start);
    let fast = planner::plan_membership(
        &topology,
        &settings,
        &start,
        &firewall.registrations_read(read),
        &[WEB_TAG.to_owned()],
    );
    assert_eq!(fast.needs_policy, [GroupId::new("sg-0db")]);
    let plan = converge_all(&mut firewall, &topology, &settings, &start);
    let names: Vec<String> = created(&plan).into_iter().map(|c| c.0).collect();
    assert_eq!(names, ["sg-0db-1"]);
    assert!(
        plan.operations
            .iter()
            .any(|op| op.address_group_name() == Some("palosync.sg-0db"))
    );
    assert_eq!(
        tags(&firewall, "10.0.1.30"),
        ["palosync.i-0c3", "palosync.sg-0db"]
    );
    assert_exact(&firewall, &topology, &settings);
}

#[test]
fn revoke_and_authorize_change_only_that_groups_rules() {
    let mut topology = web().build();
    let settings = group_settings();
    let mut firewall = synced(&topology);
    // Revoke tcp/8080: its rule and its service object go; members stay registered.
    topology.security_groups[0].ingress.remove(1);
    let revoke = group_key(WEB, "RevokeSecurityGroupIngress");
    let plan = converge_all(&mut firewall, &topology, &settings, &revoke);
    let deleted: Vec<_> = plan
        .operations
        .iter()
        .filter_map(Operation::rule_name)
        .collect();
    assert_eq!(deleted, ["sg-0web-2"]);
    assert!(matches!(plan.operations[0], Operation::DeleteRule { .. }));
    assert_eq!(
        plan.cleanup.len(),
        1,
        "tcp_8080 is cleaned up: {:#?}",
        plan.cleanup
    );
    assert!(plan.registrations.is_empty());
    assert_exact(&firewall, &topology, &settings);
    // Authorize https from ::/0: one new rule, keeping the family (`-2` is free again: no
    // rule holds it any more).
    topology.security_groups[0]
        .ingress
        .push(allow(tcp(443, 443), &["::/0"]));
    let authorize = group_key(WEB, "AuthorizeSecurityGroupIngress");
    let plan = converge_all(&mut firewall, &topology, &settings, &authorize);
    assert_eq!(
        created(&plan),
        [(
            "sg-0web-2".into(),
            vec!["::/0".into()],
            vec![WEB_TAG.into()],
            vec!["ssl".into()]
        )]
    );
    assert!(plan.registrations.is_empty());
    assert_exact(&firewall, &topology, &settings);
}

#[test]
fn an_interface_group_swap_moves_its_registrations_and_creates_the_new_groups_policy() {
    let mut topology = web()
        .group("sg-0db", vec![allow(tcp(3306, 3306), &["198.51.100.0/24"])])
        .build();
    let settings = group_settings();
    let mut firewall = synced(&topology);
    let eni = topology
        .network_interfaces
        .iter_mut()
        .find(|n| n.id == "eni-0b2")
        .unwrap();
    eni.security_groups = vec![GroupId::new("sg-0db")];
    let scope = Scope::single(
        ReconcileKey::NetworkInterface("eni-0b2".into()),
        event("ModifyNetworkInterfaceAttribute"),
    );
    let plan = converge_all(&mut firewall, &topology, &settings, &scope);
    assert_eq!(
        registered(&plan.registrations.register),
        [("10.0.1.20".into(), vec!["palosync.sg-0db".into()])]
    );
    assert_eq!(
        registered(&plan.registrations.unregister),
        [("10.0.1.20".into(), vec![WEB_TAG.into()])]
    );
    let names: Vec<String> = created(&plan).into_iter().map(|c| c.0).collect();
    assert_eq!(names, ["sg-0db-1"]);
    assert!(
        !plan
            .operations
            .iter()
            .any(|op| matches!(op, Operation::DeleteRule { .. }))
    );
    assert_exact(&firewall, &topology, &settings);
}

#[test]
fn a_route_change_moves_registrations_only_and_keeps_a_memberless_groups_rules() {
    let mut topology = web().build();
    let settings = group_settings();
    let mut firewall = synced(&topology);
    let rules_before = firewall.rules.clone();
    let table = topology
        .route_tables
        .iter_mut()
        .find(|t| t.id == "rtb-fw")
        .unwrap();
    table
        .routes
        .retain(|r| r.destination != model::RouteDestination::Cidr(net("0.0.0.0/0")));
    let scope = Scope::single(
        ReconcileKey::RouteTable("rtb-fw".into()),
        event("DeleteRoute"),
    );
    let plan = converge_all(&mut firewall, &topology, &settings, &scope);
    assert!(plan.is_empty(), "{:#?}", plan.operations);
    assert_eq!(
        registered(&plan.registrations.unregister),
        [member("10.0.1.10", "i-0a1"), member("10.0.1.20", "i-0b2"),]
    );
    assert_eq!(firewall.rules, rules_before);
    assert_exact(&firewall, &topology, &settings);
    // A sync finds the group memberless and removes its policy.
    let plan = converge_all(&mut firewall, &topology, &settings, &sync());
    assert_eq!(
        count(&plan, |op| matches!(op, Operation::DeleteRule { .. })),
        3
    );
    assert!(
        plan.cleanup
            .iter()
            .any(|op| op.address_group_name() == Some(WEB_TAG))
    );
    assert_exact(&firewall, &topology, &settings);
}

#[test]
fn a_prefix_list_change_rewrites_the_rules_of_the_groups_that_reference_it_only() {
    let mut topology = web()
        .prefix_list("pl-1", &["192.0.2.0/24"])
        .group("sg-0db", vec![allow_prefix_list(tcp(3306, 3306), "pl-1")])
        .server("i-0c3", "10.0.1.30", &["sg-0db"])
        .build();
    let settings = group_settings();
    let mut firewall = synced(&topology);
    topology.prefix_lists[0]
        .entries
        .push(model::PrefixListEntry {
            cidr: net("198.51.100.0/24"),
            description: None,
        });
    let scope = Scope::single(
        ReconcileKey::PrefixList("pl-1".into()),
        event("ModifyManagedPrefixList"),
    );
    let plan = converge_all(&mut firewall, &topology, &settings, &scope);
    let replaced: Vec<(String, Vec<String>)> = plan
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::ReplaceRule { rule, .. } => Some((rule.name.clone(), rule.sources.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        replaced,
        [(
            "sg-0db-1".into(),
            vec!["192.0.2.0/24".into(), "198.51.100.0/24".into()]
        )]
    );
    assert_eq!(plan.operations.len(), 1);
    assert!(plan.registrations.is_empty());
    assert_exact(&firewall, &topology, &settings);
}
