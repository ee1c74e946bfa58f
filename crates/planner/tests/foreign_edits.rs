//! Scenario for issue 12, item 8: an owned rule edited by someone else is replaced in the same
//! run by what is desired for everything it served, not just deleted under a narrow key.

mod support;

use planner::Operation;
use support::*;

#[test]
fn an_edited_rule_is_replaced_for_every_group_it_served_under_a_narrow_key() {
    let settings = settings();
    let topology = Net::new()
        .server("i-0b", "10.0.1.20", &["sg-0admin", "sg-0web"])
        .group("sg-0admin", vec![allow(tcp(22, 22), &["203.0.113.7/32"])])
        .group("sg-0web", vec![allow(tcp(80, 80), &["0.0.0.0/0"])])
        .build();
    let mut firewall = empty_firewall();
    converge(&mut firewall, &topology, &settings, &sync());
    let desired = allowances(&firewall, &settings);
    // Another administrator adds an application to the ssh rule: palosync cannot read it back.
    let edited = firewall
        .rules
        .iter_mut()
        .find(|r| r.applications == ["ssh"])
        .expect("the ssh rule");
    edited.applications.push("facebook-base".into());
    let edited = edited.name.clone();

    // web's rules change; the edited rule is on b, which web's key claims.
    let plan = converge(
        &mut firewall,
        &topology,
        &settings,
        &group_key("sg-0web", "ModifySecurityGroupRules"),
    );
    assert!(
        plan.operations.iter().any(
            |op| matches!(op, Operation::DeleteRule { name, .. } if *name == edited)
                || matches!(op, Operation::ReplaceRule { rule, .. } if rule.name == edited)
        ),
        "{:#?}",
        plan.operations
    );
    assert_eq!(
        allowances(&firewall, &settings),
        desired,
        "admin's ssh comes back in the same run"
    );
    assert!(
        firewall
            .rules
            .iter()
            .all(|r| !r.applications.contains(&"facebook-base".to_owned()))
    );
}
