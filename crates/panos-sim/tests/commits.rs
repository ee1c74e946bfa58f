//! Commit scenarios with a controlled clock: job progress, queueing, nothing to commit,
//! partial commits by admin, commit-time validation, forced failures, locks.

mod support;

use std::time::Duration;

use panos_sim::Element;
use support::{Fw, VSYS, lines, result_rule_names, rules_xpath, status};

fn job_of(resp: &Element) -> String {
    resp.descend(&["result", "job"])
        .map(|j| j.text.clone())
        .expect("commit enqueued a job")
}

fn job(fw: &mut Fw, id: &str) -> Element {
    let r = fw.op(&format!("<show><jobs><id>{id}</id></jobs></show>"));
    r.descend(&["result", "job"]).cloned().expect("job exists")
}

fn running_rule_names(fw: &mut Fw) -> Vec<String> {
    let shown = fw.config("show", &rules_xpath(), &[]);
    result_rule_names(&shown)
}

#[test]
fn commit_job_progresses_from_act_to_fin_and_applies_the_candidate() {
    let mut fw = Fw::new();
    assert_eq!(
        lines(&fw.call(&[("type", "commit"), ("cmd", "<commit></commit>")])),
        "There are no changes to commit."
    );
    fw.add_rule("web", "10.0.0.1");
    assert_eq!(
        fw.op("<check><pending-changes/></check>")
            .child_text("result"),
        Some("yes")
    );
    let id = job_of(&fw.call(&[("type", "commit"), ("cmd", "<commit />")]));
    let active = job(&mut fw, &id);
    assert_eq!(
        (
            active.child_text("status"),
            active.child_text("result"),
            active.child_text("tfin")
        ),
        (Some("ACT"), Some("PEND"), Some("Still Active"))
    );
    fw.advance(Duration::from_millis(500));
    let halfway = job(&mut fw, &id);
    assert_eq!(halfway.child_text("progress"), Some("50"));
    assert_eq!(running_rule_names(&mut fw), ["Clean up"]);
    fw.advance(Duration::from_millis(600));
    let done = job(&mut fw, &id);
    for field in [
        "id", "user", "tenq", "tdeq", "tfin", "status", "result", "progress", "details", "warnings",
    ] {
        assert!(done.child(field).is_some(), "job lacks {field}");
    }
    assert_eq!(
        (
            done.child_text("status"),
            done.child_text("result"),
            done.child_text("progress")
        ),
        (Some("FIN"), Some("OK"), Some("100"))
    );
    assert_eq!(lines(&done), "Configuration committed successfully");
    assert_eq!(running_rule_names(&mut fw), ["Clean up", "web"]);
    assert_eq!(
        fw.op("<check><pending-changes/></check>")
            .child_text("result"),
        Some("no")
    );
    let unknown = fw.op("<show><jobs><id>99</id></jobs></show>");
    assert_eq!(
        (status(&unknown), lines(&unknown).as_str()),
        (("error", Some("7")), "job 99 not found")
    );
}

#[test]
fn concurrent_commits_queue_behind_each_other() {
    let mut fw = Fw::new();
    fw.add_rule("a", "10.0.0.1");
    let first = job_of(&fw.call(&[("type", "commit"), ("cmd", "<commit/>")]));
    fw.add_rule("b", "10.0.0.2");
    let second = job_of(&fw.call(&[("type", "commit"), ("cmd", "<commit/>")]));
    let queued = job(&mut fw, &second);
    assert_eq!(
        (
            queued.child_text("status"),
            queued.child_text("queued"),
            queued.child_text("positionInQ")
        ),
        (Some("PEND"), Some("YES"), Some("1"))
    );
    fw.advance(Duration::from_millis(1100));
    assert_eq!(job(&mut fw, &first).child_text("status"), Some("FIN"));
    assert_eq!(job(&mut fw, &second).child_text("status"), Some("ACT"));
    assert_eq!(running_rule_names(&mut fw), ["Clean up", "a"]);
    fw.advance(Duration::from_millis(1000));
    assert_eq!(job(&mut fw, &second).child_text("result"), Some("OK"));
    assert_eq!(running_rule_names(&mut fw), ["Clean up", "a", "b"]);
}

#[test]
fn partial_commit_applies_only_that_admins_changes() {
    let mut fw = Fw::new();
    let bob = fw.key_of("bob");
    fw.add_rule("admins", "10.0.0.1");
    let el = "<entry name='bobs'><from><member>any</member></from><to><member>any</member></to><source><member>any</member></source><destination><member>10.0.0.2</member></destination><application><member>any</member></application><service><member>any</member></service><action>allow</action></entry>";
    fw.call_as(
        &bob,
        &[
            ("type", "config"),
            ("action", "set"),
            ("xpath", &rules_xpath()),
            ("element", el),
        ],
    );
    let cmd = "<commit><partial><admin><member>bob</member></admin></partial></commit>";
    let id = job_of(&fw.call_as(
        &bob,
        &[("type", "commit"), ("action", "partial"), ("cmd", cmd)],
    ));
    fw.advance(Duration::from_secs(2));
    assert_eq!(job(&mut fw, &id).child_text("result"), Some("OK"));
    assert_eq!(running_rule_names(&mut fw), ["Clean up", "bobs"]);
    assert_eq!(
        fw.op("<check><pending-changes/></check>")
            .child_text("result"),
        Some("yes")
    );
    // Bob has nothing left; admin's partial commit (force nesting as pan-python sends it) does.
    assert_eq!(
        lines(&fw.call_as(&bob, &[("type", "commit"), ("cmd", cmd)])),
        "There are no changes to commit."
    );
    let forced =
        "<commit><force><partial><admin><member>admin</member></admin></partial></force></commit>";
    job_of(&fw.call(&[("type", "commit"), ("cmd", forced)]));
    fw.advance(Duration::from_secs(2));
    assert_eq!(running_rule_names(&mut fw), ["Clean up", "bobs", "admins"]);
}

#[test]
fn commit_time_validation_and_injected_failures_end_fin_fail() {
    let mut fw = Fw::new();
    fw.set(
        &format!("{VSYS}/service"),
        "<entry name='tcp_x'><protocol><tcp/></protocol></entry>",
    );
    let id = job_of(&fw.call(&[("type", "commit"), ("cmd", "<commit/>")]));
    fw.advance(Duration::from_secs(2));
    let failed = job(&mut fw, &id);
    assert_eq!(failed.child_text("result"), Some("FAIL"));
    assert!(
        lines(&failed)
            .contains(" vsys -> vsys1 -> service -> tcp_x -> protocol -> tcp is missing 'port'"),
        "{}",
        lines(&failed)
    );
    assert_eq!(running_rule_names(&mut fw), ["Clean up"]);
    fw.set(
        &format!("{VSYS}/service/entry[@name='tcp_x']/protocol/tcp"),
        "<port>81</port>",
    );
    fw.state.jobs.forced_failures = 1;
    let id = job_of(&fw.call(&[("type", "commit"), ("cmd", "<commit/>")]));
    fw.advance(Duration::from_secs(2));
    assert_eq!(job(&mut fw, &id).child_text("result"), Some("FAIL"));
    let id = job_of(&fw.call(&[("type", "commit"), ("cmd", "<commit/>")]));
    fw.advance(Duration::from_secs(2));
    assert_eq!(job(&mut fw, &id).child_text("result"), Some("OK"));
}

#[test]
fn negate_with_any_fails_at_commit_not_at_set() {
    let mut fw = Fw::new();
    let el = "<entry name='neg'><from><member>any</member></from><to><member>any</member></to><source><member>any</member></source><destination><member>any</member></destination><application><member>any</member></application><service><member>any</member></service><action>allow</action><negate-source>yes</negate-source></entry>";
    assert_eq!(status(&fw.set(&rules_xpath(), el)), ("success", Some("20")));
    let id = job_of(&fw.call(&[("type", "commit"), ("cmd", "<commit/>")]));
    fw.advance(Duration::from_secs(2));
    let j = job(&mut fw, &id);
    assert!(
        lines(&j).contains(
            "Negate cannot be enabled for security rule neg with source address as 'any'"
        )
    );
}

#[test]
fn locks_block_other_admins() {
    let mut fw = Fw::new();
    let bob = fw.key_of("bob");
    let add = fw.call_as(
        &bob,
        &[
            ("type", "op"),
            ("vsys", "shared"),
            (
                "cmd",
                "<request><commit-lock><add><comment>c</comment></add></commit-lock></request>",
            ),
        ],
    );
    assert!(
        lines(&add).is_empty()
            && add
                .child_text("result")
                .is_some_and(|t| t.starts_with("Successfully acquired lock"))
    );
    fw.add_rule("a", "10.0.0.1");
    let blocked = fw.call(&[("type", "commit"), ("cmd", "<commit/>")]);
    assert_eq!(status(&blocked), ("error", Some("14")));
    let shown = fw.op("<show><commit-locks/></show>");
    assert_eq!(
        shown
            .descend(&["result", "commit-locks", "entry"])
            .and_then(|e| e.entry_name()),
        Some("bob")
    );
    fw.call_as(
        &bob,
        &[
            ("type", "op"),
            (
                "cmd",
                "<request><config-lock><add/></config-lock></request>",
            ),
        ],
    );
    let write = fw.add_rule("b", "10.0.0.2");
    assert_eq!(
        (status(&write), lines(&write).as_str()),
        (("error", Some("14")), "Configuration is locked by bob")
    );
    let released = fw.call(&[
        ("type", "op"),
        (
            "cmd",
            "<request><commit-lock><remove><admin>bob</admin></remove></commit-lock></request>",
        ),
    ]);
    assert_eq!(
        released.child_text("result"),
        Some("Commit lock released for bob")
    );
    assert_eq!(
        status(&fw.call(&[("type", "commit"), ("cmd", "<commit/>")])),
        ("success", Some("19"))
    );
}

#[test]
fn commit_all_is_refused_on_a_firewall() {
    let mut fw = Fw::new();
    let all = fw.call(&[
        ("type", "commit"),
        ("action", "all"),
        ("cmd", "<commit-all/>"),
    ]);
    assert_eq!(status(&all), ("error", Some("17")));
}

#[test]
fn revert_restores_running_into_candidate() {
    let mut fw = Fw::new();
    fw.add_rule("temp", "10.0.0.1");
    fw.op("<load><config><from>running-config.xml</from></config></load>");
    assert_eq!(fw.rule_names(), ["Clean up"]);
    assert_eq!(
        fw.op("<check><pending-changes/></check>")
            .child_text("result"),
        Some("no")
    );
}
