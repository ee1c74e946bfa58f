//! Batching: what goes together, in which order.

use super::*;
use crate::test_plans::{create, rule};
use planner::Explanation;

fn replace(name: &str) -> Operation {
    Operation::ReplaceRule {
        rule: Box::new(rule(name)),
        why: Explanation::default(),
    }
}

fn move_(name: &str) -> Operation {
    Operation::MoveAboveBottom {
        name: name.into(),
        bottom_rule: "Clean up".into(),
        why: Explanation::default(),
    }
}

fn delete_service(name: &str) -> Operation {
    Operation::DeleteService {
        name: name.into(),
        why: Explanation::default(),
    }
}

/// `set r`, `move r`, `delete r`, `edit r` for each action, by the rule or object it names.
fn describe(action: &ConfigAction) -> String {
    let (verb, xpath, element) = match action {
        ConfigAction::Set { xpath, element } => ("set", xpath, Some(element)),
        ConfigAction::Edit { xpath, element } => ("edit", xpath, Some(element)),
        ConfigAction::Delete { xpath } => ("delete", xpath, None),
        ConfigAction::Move { xpath, .. } => ("move", xpath, None),
        ConfigAction::Rename { xpath, .. } => ("rename", xpath, None),
    };
    let name = element
        .and_then(|e| e.attr("name").map(str::to_owned))
        .unwrap_or_else(|| {
            let path = xpath.as_str();
            let start = path.rfind("@name='").map_or(0, |i| i + 7);
            path[start..].trim_end_matches("']").to_owned()
        });
    format!("{verb} {name}")
}

/// A plan whose operations are already in the planner's order (services, rule deletes,
/// replaces, creates, moves, service deletes).
fn plan(operations: Vec<Operation>) -> Plan {
    Plan {
        operations,
        ..Plan::default()
    }
}

#[test]
fn a_rule_and_its_move_never_land_in_different_batches() {
    let location = Location::vsys("vsys1");
    let plan = plan(vec![
        replace("a-3"),
        create("a-1"),
        create("a-2"),
        move_("a-1"),
        move_("a-2"),
        move_("a-3"),
    ]);
    let batches = pack(write_units(&location, &plan, Some("palosync")), 3);
    let described: Vec<Vec<String>> = batches
        .iter()
        .map(|b| b.iter().map(describe).collect())
        .collect();
    assert_eq!(
        described,
        vec![
            vec!["set palosync", "set a-1", "move a-1"],
            vec!["set a-2", "move a-2"],
            vec!["edit a-3", "move a-3"],
        ],
        "every batch holds whole units"
    );
}

#[test]
fn moves_keep_the_plans_order_and_unmoved_writes_come_first() {
    let location = Location::vsys("vsys1");
    // Bucketed as the planner orders them: replaces, creates, then moves (b before a).
    let plan = Plan {
        operations: vec![
            replace("r-1"),
            create("a-1"),
            create("b-1"),
            move_("b-1"),
            move_("a-1"),
            move_("old-1"),
        ],
        ..Plan::default()
    };
    let batches = pack(write_units(&location, &plan, None), 200);
    let described: Vec<String> = batches.concat().iter().map(describe).collect();
    assert_eq!(
        described,
        [
            "edit r-1",
            "set b-1",
            "move b-1",
            "set a-1",
            "move a-1",
            "move old-1"
        ]
    );
}

#[test]
fn object_deletes_are_cleanup_never_part_of_the_rule_batches() {
    let location = Location::vsys("vsys1");
    let mut plan = plan(vec![
        Operation::DeleteRule {
            name: "i-1-1".into(),
            why: Explanation::default(),
        },
        delete_service("tcp_8080"),
    ]);
    plan.cleanup.push(delete_service("udp_53-54"));
    let units: Vec<String> = write_units(&location, &plan, None)
        .concat()
        .iter()
        .map(describe)
        .collect();
    assert_eq!(units, ["delete i-1-1"]);
    let cleanup: Vec<(&str, String)> = cleanup_actions(&location, &plan)
        .into_iter()
        .map(|(kind, name, _)| (kind, name))
        .collect();
    assert_eq!(
        cleanup,
        [
            ("service", "tcp_8080".to_owned()),
            ("service", "udp_53-54".to_owned())
        ]
    );
}

#[test]
fn batches_fill_up_to_the_size_and_a_tiny_size_still_keeps_pairs() {
    let location = Location::vsys("vsys1");
    let mut operations = Vec::new();
    for i in 0..5 {
        operations.push(create(&format!("g-{i}")));
    }
    for i in 0..5 {
        operations.push(move_(&format!("g-{i}")));
    }
    let units = write_units(&location, &plan(operations), None);
    let sizes: Vec<usize> = pack(units.clone(), 5).iter().map(Vec::len).collect();
    assert_eq!(sizes, [4, 4, 2]);
    let sizes: Vec<usize> = pack(units, 1).iter().map(Vec::len).collect();
    assert_eq!(
        sizes,
        [2, 2, 2, 2, 2],
        "a batch is never smaller than a pair"
    );
}
