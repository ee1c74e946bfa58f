//! User-ID tag registrations as a device keeps them: registered at once without a commit, read
//! back by all/tag/address and paged, unregistered, expired by timeout, per vsys, and refused
//! whole when a message would break a limit.

mod support;

use std::time::Duration;

use panos_sim::{Element, Simulator};
use support::{Fw, status};

fn uid(fw: &mut Fw, payload: &str) -> Element {
    let cmd = format!(
        "<uid-message><version>1.0</version><type>update</type><payload>{payload}</payload></uid-message>"
    );
    fw.call(&[("type", "user-id"), ("cmd", &cmd)])
}

fn register(ip: &str, tags: &[&str]) -> String {
    let members: String = tags
        .iter()
        .map(|t| format!("<member>{t}</member>"))
        .collect();
    format!("<register><entry ip=\"{ip}\"><tag>{members}</tag></entry></register>")
}

/// `show object registered-ip` with extra children, as (ip, tags) pairs in answer order.
fn show(fw: &mut Fw, query: &str) -> Vec<(String, Vec<String>)> {
    let resp = fw.op(&format!(
        "<show><object><registered-ip>{query}</registered-ip></object></show>"
    ));
    assert_eq!(status(&resp).0, "success", "{}", resp.to_xml());
    let result = resp.child("result").expect("result");
    let entries: Vec<(String, Vec<String>)> = result
        .children_named("entry")
        .map(|e| {
            (
                e.attr("ip").unwrap_or_default().to_string(),
                e.members("tag").iter().map(|t| t.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(
        result.child_text("count"),
        Some(entries.len().to_string().as_str())
    );
    entries
}

/// The `message` attributes of a uid-response.
fn uid_messages(resp: &Element) -> Vec<String> {
    let Some(payload) = resp.descend(&["msg", "line", "uid-response", "payload"]) else {
        return Vec::new();
    };
    payload
        .children
        .iter()
        .flat_map(|list| list.children_named("entry"))
        .map(|e| e.attr("message").unwrap_or_default().to_string())
        .collect()
}

#[test]
fn registration_is_immediate_needs_no_commit_and_reads_back_by_tag_and_address() {
    let mut fw = Fw::new();
    let resp = uid(
        &mut fw,
        &format!(
            "{}{}",
            register("10.0.1.5", &["palosync.sg-0abc", "web"]),
            "<register><entry ip=\"2001:db8::7\" persistent=\"0\"><tag><member timeout=\"0\">web</member></tag></entry></register>"
        ),
    );
    assert_eq!(status(&resp).0, "success", "{}", resp.to_xml());
    let pending = fw.op("<check><pending-changes></pending-changes></check>");
    assert_eq!(pending.child_text("result"), Some("no"));

    let all = show(&mut fw, "<all/>");
    assert_eq!(
        all,
        vec![
            (
                "10.0.1.5".to_string(),
                vec!["palosync.sg-0abc".to_string(), "web".to_string()]
            ),
            ("2001:db8::7".to_string(), vec!["web".to_string()]),
        ]
    );
    let tagged = show(&mut fw, "<tag><entry name=\"palosync.sg-0abc\"/></tag>");
    assert_eq!(tagged.len(), 1);
    assert_eq!(tagged[0].0, "10.0.1.5");
    let one = show(&mut fw, "<ip>2001:db8::7</ip>");
    assert_eq!(one.len(), 1);
    assert!(show(&mut fw, "<ip>10.9.9.9</ip>").is_empty());
    let count = fw.op("<show><object><registered-ip><all><option>count</option></all></registered-ip></object></show>");
    assert_eq!(
        count.descend(&["result", "count"]).map(|c| c.text.as_str()),
        Some("2")
    );
}

#[test]
fn paging_with_limit_and_start_point_walks_every_address_once() {
    let mut fw = Fw::new();
    let entries: String = (1..=12)
        .map(|i| format!("<entry ip=\"10.0.0.{i}\"><tag><member>t</member></tag></entry>"))
        .collect();
    uid(&mut fw, &format!("<register>{entries}</register>"));
    let mut seen = Vec::new();
    let mut start = 1;
    let mut pages = 0;
    loop {
        let page = show(
            &mut fw,
            &format!("<limit>5</limit><start-point>{start}</start-point>"),
        );
        pages += 1;
        start += page.len();
        let short = page.len() < 5;
        seen.extend(page.into_iter().map(|(ip, _)| ip));
        if short {
            break;
        }
    }
    assert_eq!(pages, 3);
    let want: Vec<String> = {
        let mut v: Vec<std::net::IpAddr> = (1..=12)
            .map(|i| format!("10.0.0.{i}").parse().expect("ip"))
            .collect();
        v.sort();
        v.iter().map(|ip| ip.to_string()).collect()
    };
    assert_eq!(seen, want);
}

#[test]
fn duplicates_and_absent_tags_answer_the_texts_pan_os_python_ignores() {
    let mut fw = Fw::new();
    uid(&mut fw, &register("10.0.0.1", &["a"]));
    let dup = uid(&mut fw, &register("10.0.0.1", &["a"]));
    assert_eq!(status(&dup).0, "error");
    let msgs = uid_messages(&dup);
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0].ends_with("already exists, ignore"), "{msgs:?}");
    let entry = dup
        .descend(&[
            "msg",
            "line",
            "uid-response",
            "payload",
            "register",
            "entry",
        ])
        .expect("entry");
    assert_eq!(
        entry.attrs.last().map(|(k, _)| k.as_str()),
        Some("message"),
        "pan-python joins attributes in order; the message must come last"
    );
    let absent = uid(
        &mut fw,
        "<unregister><entry ip=\"10.0.0.1\"><tag><member>zz</member></tag></entry></unregister>",
    );
    assert!(uid_messages(&absent)[0].ends_with("does not exist, ignore unreg"));
    assert_eq!(show(&mut fw, "").len(), 1);
}

#[test]
fn unregister_removes_named_tags_or_every_tag_without_a_tag_list() {
    let mut fw = Fw::new();
    uid(
        &mut fw,
        &format!(
            "{}{}",
            register("10.0.0.1", &["a", "b"]),
            register("10.0.0.2", &["a", "b"])
        ),
    );
    let resp = uid(
        &mut fw,
        "<unregister><entry ip=\"10.0.0.1\"><tag><member>a</member></tag></entry><entry ip=\"10.0.0.2\"/></unregister>",
    );
    assert_eq!(status(&resp).0, "success", "{}", resp.to_xml());
    assert_eq!(
        show(&mut fw, ""),
        vec![("10.0.0.1".to_string(), vec!["b".to_string()])]
    );
}

#[test]
fn one_message_may_register_and_unregister() {
    let mut fw = Fw::new();
    uid(&mut fw, &register("10.0.0.1", &["old"]));
    uid(
        &mut fw,
        "<register><entry ip=\"10.0.0.1\"><tag><member>new</member></tag></entry></register><unregister><entry ip=\"10.0.0.1\"><tag><member>old</member></tag></entry></unregister>",
    );
    assert_eq!(
        show(&mut fw, ""),
        vec![("10.0.0.1".to_string(), vec!["new".to_string()])]
    );
}

#[test]
fn tags_with_a_timeout_expire_and_others_stay() {
    let mut fw = Fw::new();
    uid(
        &mut fw,
        "<register><entry ip=\"10.0.0.1\"><tag><member timeout=\"60\">short</member><member>forever</member></tag></entry><entry ip=\"10.0.0.2\"><tag><member timeout=\"30\">short</member></tag></entry></register>",
    );
    fw.advance(Duration::from_secs(29));
    assert_eq!(show(&mut fw, "").len(), 2);
    fw.advance(Duration::from_secs(2));
    assert_eq!(show(&mut fw, "").len(), 1);
    assert_eq!(show(&mut fw, "")[0].1.len(), 2);
    fw.advance(Duration::from_secs(30));
    assert_eq!(
        show(&mut fw, ""),
        vec![("10.0.0.1".to_string(), vec!["forever".to_string()])]
    );
}

#[test]
fn invalid_entries_refuse_the_whole_message() {
    let mut fw = Fw::new();
    for bad in [
        "<register><entry ip=\"10.0.0.1\"><tag><member>ok</member></tag></entry><entry ip=\"xxx\"><tag><member>t</member></tag></entry></register>",
        "<register><entry ip=\"10.0.0.1\"><tag><member timeout=\"2592001\">t</member></tag></entry></register>",
        "<register><entry ip=\"10.0.0.0/24\"><tag><member>t</member></tag></entry></register>",
    ] {
        let resp = uid(&mut fw, bad);
        assert_eq!(status(&resp).0, "error", "{bad}");
        assert!(!uid_messages(&resp).is_empty());
    }
    assert!(show(&mut fw, "").is_empty());
    let max = uid(
        &mut fw,
        "<register><entry ip=\"10.0.0.1\"><tag><member timeout=\"2592000\">t</member></tag></entry></register>",
    );
    assert_eq!(status(&max).0, "success");
}

#[test]
fn malformed_messages_get_error_responses() {
    let mut fw = Fw::new();
    let not_xml = fw.call(&[("type", "user-id"), ("cmd", "<uid-message><type>")]);
    assert_eq!(status(&not_xml), ("error", Some("18")));
    for bad in [
        "<uid-message><version>3.0</version><type>update</type><payload/></uid-message>",
        "<uid-message><version>1.0</version><type>other</type><payload/></uid-message>",
        "<uid-message><version>1.0</version><type>update</type></uid-message>",
        "<something/>",
    ] {
        let resp = fw.call(&[("type", "user-id"), ("cmd", bad)]);
        assert_eq!(status(&resp).0, "error", "{bad}");
    }
    let no_version = fw.call(&[
        ("type", "user-id"),
        (
            "cmd",
            "<uid-message><type>update</type><payload><register><entry ip=\"10.0.0.1\"><tag><member>t</member></tag></entry></register></payload></uid-message>",
        ),
    ]);
    assert_eq!(status(&no_version).0, "success");
}

#[test]
fn the_tag_limit_refuses_a_message_whole_and_changes_nothing() {
    let mut fw = Fw::with(Simulator::builder().max_tags_per_address(3));
    uid(&mut fw, &register("10.0.0.1", &["a", "b"]));
    let resp = uid(
        &mut fw,
        &format!(
            "{}{}",
            register("10.0.0.2", &["x"]),
            register("10.0.0.1", &["c", "d"])
        ),
    );
    assert_eq!(status(&resp).0, "error");
    let msgs = uid_messages(&resp);
    assert!(
        msgs.iter()
            .any(|m| m.contains("maximum number of tags (3)")),
        "{msgs:?}"
    );
    assert_eq!(
        show(&mut fw, ""),
        vec![(
            "10.0.0.1".to_string(),
            vec!["a".to_string(), "b".to_string()]
        )]
    );
}

#[test]
fn the_address_limit_refuses_whole_messages() {
    let mut fw = Fw::with(Simulator::builder().max_registered_ips(2));
    uid(&mut fw, &register("10.0.0.1", &["a"]));
    let resp = uid(
        &mut fw,
        "<register><entry ip=\"10.0.0.2\"><tag><member>a</member></tag></entry><entry ip=\"10.0.0.3\"><tag><member>a</member></tag></entry></register>",
    );
    let msgs = uid_messages(&resp);
    assert!(
        msgs.iter()
            .any(|m| m.contains("maximum number of registered IP addresses (2)")),
        "{msgs:?}"
    );
    assert_eq!(show(&mut fw, "").len(), 1);
    // Re-registering a known address does not count again.
    let again = uid(&mut fw, &register("10.0.0.1", &["b"]));
    assert_eq!(status(&again).0, "success");
}

#[test]
fn registrations_are_per_vsys_and_survive_commits() {
    let mut fw = Fw::new();
    let cmd = "<uid-message><version>2.0</version><type>update</type><payload><register><entry ip=\"10.0.0.1\"><tag><member>a</member></tag></entry></register></payload></uid-message>";
    let resp = fw.call(&[("type", "user-id"), ("vsys", "vsys1"), ("cmd", cmd)]);
    assert_eq!(status(&resp).0, "success");
    let unknown = fw.call(&[("type", "user-id"), ("vsys", "vsys9"), ("cmd", cmd)]);
    assert_eq!(status(&unknown).0, "error");
    fw.add_rule("r1", "10.0.0.1");
    fw.call(&[("type", "commit"), ("cmd", "<commit/>")]);
    fw.advance(Duration::from_secs(2));
    assert_eq!(show(&mut fw, "").len(), 1);
}
