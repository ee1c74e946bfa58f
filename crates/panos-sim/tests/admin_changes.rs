//! Scenarios for what one administrator's key may see and undo among several admins' pending
//! changes (issue 12 items 3, 4 and 9): `strict-transactional=yes`, the list of admins with
//! uncommitted changes, reverting one admin's changes, and which admin a key's locks name.

mod support;

use std::time::Duration;

use panos_sim::Element;
use support::{Fw, KEY, VSYS, lines, rules_xpath, status};

fn rule_xml(name: &str, dst: &str) -> String {
    format!(
        "<entry name=\"{name}\"><from><member>untrust</member></from><to><member>trust</member></to>\
         <source><member>any</member></source><destination><member>{dst}</member></destination>\
         <application><member>any</member></application><service><member>any</member></service>\
         <action>allow</action></entry>"
    )
}

fn add_rule_as(fw: &mut Fw, key: &str, name: &str) {
    let r = fw.call_as(
        key,
        &[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &rules_xpath()),
            ("element", &rule_xml(name, "10.0.0.9")),
        ],
    );
    assert_eq!(status(&r), ("success", Some("20")), "{}", lines(&r));
}

fn multi_config(fw: &mut Fw, key: &str, strict: bool, actions: &str) -> Element {
    let element = format!("<multi-configure-request>{actions}</multi-configure-request>");
    let mut params = vec![
        ("type", "config"),
        ("action", "multi-config"),
        ("element", element.as_str()),
    ];
    if strict {
        params.push(("strict-transactional", "yes"));
    }
    fw.call_as(key, &params)
}

fn set_rule_action(id: u32, name: &str) -> String {
    format!(
        "<set id=\"{id}\" xpath=\"{}\">{}</set>",
        rules_xpath(),
        rule_xml(name, "10.0.0.8")
    )
}

fn admins_with_changes(fw: &mut Fw) -> Vec<String> {
    let r = fw.op("<show><config><list><admins></admins></list></config></show>");
    assert_eq!(status(&r).0, "success", "{}", lines(&r));
    let admins = r
        .descend(&["result", "admins"])
        .expect("result/admins, empty when none");
    admins
        .children_named("member")
        .map(|m| m.text.clone())
        .collect()
}

fn result_text(r: &Element) -> String {
    r.child_text("result").unwrap_or_default().to_string()
}

fn commit_partial(fw: &mut Fw, key: &str, admin: &str) {
    let cmd =
        format!("<commit><partial><admin><member>{admin}</member></admin></partial></commit>");
    let r = fw.call_as(key, &[("type", "commit"), ("cmd", &cmd)]);
    assert!(
        r.descend(&["result", "job"]).is_some(),
        "commit enqueued: {}",
        r.to_xml()
    );
}

#[test]
fn a_second_strict_batch_undoes_the_first_uncommitted_batch_of_the_same_admin() {
    let mut fw = Fw::new();
    let bob = fw.key_of("bob");
    add_rule_as(&mut fw, &bob, "bobs-staged");
    let first = multi_config(&mut fw, KEY, true, &set_rule_action(1, "batch-1"));
    assert_eq!(status(&first), ("success", Some("20")), "{}", lines(&first));
    let second = multi_config(&mut fw, KEY, true, &set_rule_action(1, "batch-2"));
    assert_eq!(
        status(&second),
        ("success", Some("20")),
        "{}",
        lines(&second)
    );
    assert_eq!(
        fw.rule_names(),
        ["Clean up", "bobs-staged", "batch-2"],
        "batch 1 was the caller's own uncommitted change: reverted; bob's stays"
    );
    // Without the parameter nothing is reverted.
    let plain = multi_config(&mut fw, KEY, false, &set_rule_action(1, "batch-3"));
    assert_eq!(status(&plain), ("success", Some("20")));
    assert_eq!(
        fw.rule_names(),
        ["Clean up", "bobs-staged", "batch-2", "batch-3"]
    );
}

#[test]
fn a_strict_batch_is_refused_while_any_admins_commit_is_pending_and_changes_nothing() {
    let mut fw = Fw::new();
    let bob = fw.key_of("bob");
    add_rule_as(&mut fw, &bob, "bobs");
    add_rule_as(&mut fw, KEY, "mine");
    commit_partial(&mut fw, &bob, "bob");
    let refused = multi_config(&mut fw, KEY, true, &set_rule_action(1, "late"));
    assert_eq!(status(&refused), ("error", Some("13")));
    assert_eq!(lines(&refused), "A commit is in progress.");
    assert_eq!(fw.rule_names(), ["Clean up", "bobs", "mine"]);
    // A plain batch is not blocked by the commit.
    let plain = multi_config(&mut fw, KEY, false, &set_rule_action(1, "plain"));
    assert_eq!(status(&plain), ("success", Some("20")));
    fw.advance(Duration::from_secs(2));
    let after = multi_config(&mut fw, KEY, true, &set_rule_action(1, "late"));
    assert_eq!(status(&after), ("success", Some("20")), "{}", lines(&after));
    assert_eq!(fw.rule_names(), ["Clean up", "bobs", "late"]);
}

#[test]
fn a_failed_strict_batch_leaves_even_the_callers_changes_in_place() {
    let mut fw = Fw::new();
    add_rule_as(&mut fw, KEY, "mine");
    let bad = format!(
        "{}<move id=\"2\" xpath=\"{}/entry[@name='ghost']\" where=\"top\"/>",
        set_rule_action(1, "new"),
        rules_xpath()
    );
    let refused = multi_config(&mut fw, KEY, true, &bad);
    assert_eq!(status(&refused), ("error", Some("13")));
    assert_eq!(fw.rule_names(), ["Clean up", "mine"]);
    assert_eq!(admins_with_changes(&mut fw), ["admin"]);
}

#[test]
fn admins_with_uncommitted_changes_are_listed_while_pending_changes_stays_global() {
    let mut fw = Fw::new();
    assert!(admins_with_changes(&mut fw).is_empty());
    let r = fw.op("<show><config><list><admins></admins></list></config></show>");
    assert_eq!(
        r.descend(&["result", "admins"]).map(|a| a.children.len()),
        Some(0)
    );
    let bob = fw.key_of("bob");
    add_rule_as(&mut fw, &bob, "bobs");
    add_rule_as(&mut fw, KEY, "mine");
    assert_eq!(admins_with_changes(&mut fw), ["bob", "admin"]);
    commit_partial(&mut fw, KEY, "bob");
    fw.advance(Duration::from_secs(2));
    assert_eq!(admins_with_changes(&mut fw), ["admin"]);
    let pending = fw.op("<check><pending-changes></pending-changes></check>");
    assert_eq!(result_text(&pending), "yes");
}

#[test]
fn reverting_one_admins_changes_keeps_the_others_and_nothing_to_revert_is_success() {
    let mut fw = Fw::new();
    let bob = fw.key_of("bob");
    add_rule_as(&mut fw, &bob, "bobs-allow-all");
    add_rule_as(&mut fw, KEY, "mine");
    let cmd = "<revert><config><partial><admin><member>admin</member></admin></partial></config></revert>";
    let r = fw.op(cmd);
    assert_eq!(status(&r).0, "success", "{}", lines(&r));
    assert!(result_text(&r).contains("reverted"), "{}", r.to_xml());
    assert_eq!(fw.rule_names(), ["Clean up", "bobs-allow-all"]);
    assert_eq!(admins_with_changes(&mut fw), ["bob"]);
    let again = fw.op(cmd);
    assert_eq!(status(&again).0, "success");
    assert_eq!(fw.rule_names(), ["Clean up", "bobs-allow-all"]);
    // Bob's change still commits as his.
    commit_partial(&mut fw, &bob, "bob");
    fw.advance(Duration::from_secs(2));
    let running = fw.config("show", &rules_xpath(), &[]);
    assert_eq!(
        support::result_rule_names(&running),
        ["Clean up", "bobs-allow-all"]
    );
}

#[test]
fn a_revert_that_would_orphan_another_admins_change_is_refused() {
    let mut fw = Fw::new();
    let bob = fw.key_of("bob");
    let svc = fw.call_as(
        &bob,
        &[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &format!("{VSYS}/service")),
            (
                "element",
                "<entry name='tcp_81'><protocol><tcp><port>81</port></tcp></protocol></entry>",
            ),
        ],
    );
    assert_eq!(status(&svc), ("success", Some("20")));
    let uses = rule_xml("mine", "any").replace(
        "<service><member>any</member></service>",
        "<service><member>tcp_81</member></service>",
    );
    let r = fw.set(&rules_xpath(), &uses);
    assert_eq!(status(&r), ("success", Some("20")), "{}", lines(&r));
    let refused = fw.op(
        "<revert><config><partial><admin><member>bob</member></admin></partial></config></revert>",
    );
    assert_eq!(status(&refused), ("error", Some("13")));
    assert_eq!(fw.rule_names(), ["Clean up", "mine"]);
    assert_eq!(admins_with_changes(&mut fw), ["bob", "admin"]);
}

#[test]
fn locks_taken_with_two_admins_keys_name_the_admin_the_key_belongs_to() {
    let mut fw = Fw::new();
    let keygen = fw.call_as(
        "",
        &[("type", "keygen"), ("user", "bob"), ("password", "bobpw")],
    );
    let bob = keygen
        .descend(&["result", "key"])
        .map(|k| k.text.clone())
        .expect("keygen hands out bob's key");
    assert_eq!(bob, fw.key_of("bob"));
    assert_ne!(bob, KEY);
    let lock = |fw: &mut Fw, key: &str, comment: &str| {
        fw.call_as(
            key,
            &[
                ("type", "op"),
                ("vsys", "vsys1"),
                (
                    "cmd",
                    &format!("<request><config-lock><add><comment>{comment}</comment></add></config-lock></request>"),
                ),
            ],
        )
    };
    let owner = |fw: &mut Fw| -> Vec<(String, String)> {
        let r = fw.op("<show><config-locks></config-locks></show>");
        r.descend(&["result", "config-locks"])
            .expect("config-locks")
            .children_named("entry")
            .map(|e| {
                (
                    e.entry_name().unwrap_or_default().to_string(),
                    e.child_text("comment").unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let unlock = "<request><config-lock><remove></remove></config-lock></request>";

    let mine = lock(&mut fw, KEY, "palosync whoami");
    assert_eq!(
        result_text(&mine),
        "Successfully acquired lock. Other administrators will not be able to modify configuration until lock is released by admin."
    );
    assert_eq!(
        owner(&mut fw),
        [("admin".to_string(), "palosync whoami".to_string())]
    );
    let blocked = fw.call_as(
        &bob,
        &[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &rules_xpath()),
            ("element", &rule_xml("bobs", "any")),
        ],
    );
    assert_eq!(lines(&blocked), "Configuration is locked by admin");
    fw.call_as(KEY, &[("type", "op"), ("vsys", "vsys1"), ("cmd", unlock)]);
    assert!(owner(&mut fw).is_empty());

    let his = lock(&mut fw, &bob, "bob's check");
    assert!(
        result_text(&his).ends_with("until lock is released by bob."),
        "{}",
        his.to_xml()
    );
    assert_eq!(
        owner(&mut fw),
        [("bob".to_string(), "bob's check".to_string())]
    );
    let released = fw.call_as(&bob, &[("type", "op"), ("vsys", "vsys1"), ("cmd", unlock)]);
    assert_eq!(result_text(&released), "Config lock released for bob");
}
