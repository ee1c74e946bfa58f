//! Scenarios for `type=config` actions: get/show shapes, set merge, edit replace, delete,
//! move, rename, clone, multi-config.

mod support;

use support::{Fw, VSYS, lines, rules_xpath, status};

#[test]
fn get_reports_counts_and_missing_nodes_answer_code_7_while_show_says_no_such_node() {
    let mut fw = Fw::new();
    let got = fw.get(&rules_xpath());
    assert_eq!(status(&got), ("success", Some("19")));
    let result = got.child("result").expect("result");
    assert_eq!(
        (result.attr("total-count"), result.attr("count")),
        (Some("1"), Some("1"))
    );
    assert!(
        result.child("rules").is_some(),
        "the selected node itself is inside <result>"
    );

    let missing = fw.get(&format!("{VSYS}/address/entry[@name='nope']"));
    assert_eq!(status(&missing), ("success", Some("7")));
    assert!(
        missing
            .child("result")
            .is_some_and(|r| r.children.is_empty())
    );

    let shown = fw.config("show", &format!("{VSYS}/address"), &[]);
    assert_eq!(status(&shown), ("error", None));
    assert_eq!(lines(&shown), "No such node");
}

#[test]
fn get_by_name_union_uuid_and_name_only() {
    let mut fw = Fw::new();
    fw.add_rule("a", "10.0.0.1");
    fw.add_rule("b", "10.0.0.2");
    let union = fw.get(&format!(
        "{0}/entry[@name='b']|{0}/entry[@name='a']",
        rules_xpath()
    ));
    assert_eq!(
        union.child("result").and_then(|r| r.attr("count")),
        Some("2")
    );
    let names_only = fw.get(&format!("{}/entry/@name", rules_xpath()));
    let entries: Vec<_> = names_only
        .child("result")
        .expect("result")
        .children
        .iter()
        .map(|e| (e.entry_name().map(str::to_string), e.children.len()))
        .collect();
    assert_eq!(
        entries,
        [
            (Some("Clean up".into()), 0),
            (Some("a".into()), 0),
            (Some("b".into()), 0)
        ]
    );
    let uuid = fw.get(&format!("{}/entry[@name='b']", rules_xpath()));
    let uuid = uuid
        .descend(&["result", "entry"])
        .and_then(|e| e.attr("uuid"))
        .expect("rules get a uuid")
        .to_string();
    let by_uuid = fw.get(&format!("{}/entry[@uuid='{uuid}']", rules_xpath()));
    assert_eq!(
        by_uuid
            .descend(&["result", "entry"])
            .and_then(|e| e.entry_name()),
        Some("b")
    );
}

#[test]
fn set_merges_members_creates_intermediates_and_appends_new_entries() {
    let mut fw = Fw::new();
    let r = fw.set(
        &format!("{VSYS}/tag"),
        "<entry name='t1'><color>color1</color></entry>",
    );
    assert_eq!(status(&r), ("success", Some("20")));
    // Intermediates (address list) are created.
    fw.set(
        &format!("{VSYS}/address/entry[@name='h1']"),
        "<ip-netmask>10.0.0.1</ip-netmask>",
    );
    fw.add_rule("web", "10.0.0.1");
    assert_eq!(fw.rule_names(), ["Clean up", "web"]);
    // Members are unioned, leaf text replaced, nothing removed.
    fw.set(&format!("{}/entry[@name='web']", rules_xpath()), "<destination><member>h1</member></destination><description>d2</description><tag><member>t1</member></tag>");
    let web = fw.get(&format!("{}/entry[@name='web']", rules_xpath()));
    let entry = web.descend(&["result", "entry"]).expect("entry");
    assert_eq!(entry.members("destination"), ["10.0.0.1", "h1"]);
    assert_eq!(entry.child_text("description"), Some("d2"));
    assert_eq!(entry.child_text("action"), Some("allow"));
    // Same set again is idempotent.
    fw.set(
        &format!("{}/entry[@name='web']", rules_xpath()),
        "<destination><member>h1</member></destination>",
    );
    let again = fw.get(&format!("{}/entry[@name='web']/destination", rules_xpath()));
    assert_eq!(
        again
            .descend(&["result", "destination"])
            .map(|d| d.children.len()),
        Some(2)
    );
}

#[test]
fn edit_replaces_or_creates_and_its_root_must_match() {
    let mut fw = Fw::new();
    fw.add_rule("web", "10.0.0.1");
    let x = format!("{}/entry[@name='web']", rules_xpath());
    let uuid = fw
        .get(&x)
        .descend(&["result", "entry"])
        .and_then(|e| e.attr("uuid"))
        .map(str::to_string);
    fw.edit(
        &format!("{x}/destination"),
        "<destination><member>10.0.0.9</member></destination>",
    );
    let dest = fw.get(&format!("{x}/destination"));
    assert_eq!(
        dest.descend(&["result", "destination"])
            .map(|d| d.members_of_self()),
        Some(vec!["10.0.0.9".to_string()])
    );
    fw.edit(&x, "<entry name='web'><from><member>any</member></from><to><member>any</member></to><source><member>any</member></source><destination><member>any</member></destination><application><member>any</member></application><service><member>any</member></service><action>deny</action></entry>");
    let entry = fw.get(&x);
    let entry = entry.descend(&["result", "entry"]).expect("entry");
    assert_eq!(entry.child_text("action"), Some("deny"));
    assert_eq!(
        entry.attr("uuid").map(str::to_string),
        uuid,
        "edit keeps the uuid"
    );
    let created = fw.edit(
        &format!("{}/entry[@name='new']", rules_xpath()),
        "<entry name='new'><action>allow</action></entry>",
    );
    assert_eq!(status(&created), ("success", Some("20")));
    assert_eq!(fw.rule_names(), ["Clean up", "web", "new"]);
    let mismatch = fw.edit(&x, "<entry name='other'/>");
    assert_eq!(status(&mismatch), ("error", Some("12")));
    let wrong_tag = fw.edit(&format!("{x}/description"), "<comment>x</comment>");
    assert_eq!(status(&wrong_tag), ("error", Some("12")));
}

trait SelfMembers {
    fn members_of_self(&self) -> Vec<String>;
}
impl SelfMembers for panos_sim::Element {
    fn members_of_self(&self) -> Vec<String> {
        self.children_named("member")
            .map(|m| m.text.clone())
            .collect()
    }
}

#[test]
fn delete_missing_is_success_code_7_and_referenced_is_code_10_with_referrers() {
    let mut fw = Fw::new();
    let missing = fw.config(
        "delete",
        &format!("{}/entry[@name='web']/tag", rules_xpath()),
        &[],
    );
    assert_eq!(status(&missing), ("success", Some("7")));
    fw.set(
        &format!("{VSYS}/address"),
        "<entry name='h1'><ip-netmask>10.0.0.1</ip-netmask></entry>",
    );
    fw.add_rule("web", "h1");
    let refused = fw.config("delete", &format!("{VSYS}/address/entry[@name='h1']"), &[]);
    assert_eq!(status(&refused), ("error", Some("10")));
    assert_eq!(
        lines(&refused),
        "h1 cannot be deleted because of references from:\n vsys -> vsys1 -> rulebase -> security -> rules -> web -> destination"
    );
    let member = fw.config(
        "delete",
        &format!(
            "{}/entry[@name='web']/destination/member[text()='h1']",
            rules_xpath()
        ),
        &[],
    );
    assert_eq!(status(&member), ("success", Some("20")));
    let ok = fw.config("delete", &format!("{VSYS}/address/entry[@name='h1']"), &[]);
    assert_eq!(status(&ok), ("success", Some("20")));
}

#[test]
fn move_rename_and_clone() {
    let mut fw = Fw::new();
    for n in ["a", "b", "c"] {
        fw.add_rule(n, "10.0.0.1");
    }
    let at = |n: &str| format!("{}/entry[@name='{n}']", rules_xpath());
    fw.config("move", &at("c"), &[("where", "top")]);
    assert_eq!(fw.rule_names(), ["c", "Clean up", "a", "b"]);
    let top = fw.config("move", &at("c"), &[("where", "top"), ("dst", "top")]);
    assert_eq!(status(&top), ("error", None));
    assert_eq!(lines(&top), "c is already at the top");
    fw.config("move", &at("Clean up"), &[("where", "bottom")]);
    assert_eq!(fw.rule_names(), ["c", "a", "b", "Clean up"]);
    fw.config("move", &at("c"), &[("where", "after"), ("dst", "b")]);
    assert_eq!(fw.rule_names(), ["a", "b", "c", "Clean up"]);
    fw.config(
        "move",
        &at("a"),
        &[("where", "before"), ("dst", "Clean up")],
    );
    assert_eq!(fw.rule_names(), ["b", "c", "a", "Clean up"]);
    let no_dst = fw.config("move", &at("a"), &[("where", "before")]);
    assert_eq!(status(&no_dst).0, "error");
    let unknown_dst = fw.config("move", &at("a"), &[("where", "after"), ("dst", "zz")]);
    assert_eq!(status(&unknown_dst).0, "error");

    fw.config("rename", &at("c"), &[("newname", "c2")]);
    assert_eq!(fw.rule_names(), ["b", "c2", "a", "Clean up"]);
    let dup = fw.config("rename", &at("c2"), &[("newname", "a")]);
    assert_eq!(status(&dup), ("error", Some("12")));

    let cloned = fw.config(
        "clone",
        &rules_xpath(),
        &[("from", &at("b")), ("newname", "b-copy")],
    );
    assert_eq!(status(&cloned), ("success", Some("20")));
    assert_eq!(fw.rule_names(), ["b", "b-copy", "c2", "a", "Clean up"]);
    let uuid = |fw: &mut Fw, n: &str| {
        fw.get(&at(n))
            .descend(&["result", "entry"])
            .and_then(|e| e.attr("uuid"))
            .map(str::to_string)
    };
    assert_ne!(uuid(&mut fw, "b"), uuid(&mut fw, "b-copy"));
}

#[test]
fn multi_config_is_atomic() {
    let mut fw = Fw::new();
    let rules = rules_xpath();
    let good = format!(
        "<multi-configure-request><set id=\"1\" xpath=\"{rules}\"><entry name=\"m1\"><action>allow</action></entry></set>\
         <move id=\"2\" xpath=\"{rules}/entry[@name='m1']\" where=\"top\" dst=\"top\"/>\
         <delete id=\"3\" xpath=\"{rules}/entry[@name='absent']\"/></multi-configure-request>"
    );
    let ok = fw.call(&[
        ("type", "config"),
        ("action", "multi-config"),
        ("element", &good),
    ]);
    assert_eq!(status(&ok), ("success", Some("20")));
    let inner: Vec<_> = ok
        .children
        .iter()
        .map(|r| (r.attr("id").unwrap_or(""), r.attr("code").unwrap_or("")))
        .collect();
    assert_eq!(inner, [("1", "20"), ("2", "20"), ("3", "7")]);
    assert_eq!(fw.rule_names(), ["m1", "Clean up"]);

    let bad = format!(
        "<multi-config><set id=\"a\" xpath=\"{rules}\"><entry name=\"m2\"><action>allow</action></entry></set>\
         <set id=\"b\" xpath=\"{rules}/entry[@name='m2']\"><bogus>1</bogus></set></multi-config>"
    );
    let failed = fw.call(&[
        ("type", "config"),
        ("action", "multi-config"),
        ("element", &bad),
    ]);
    assert_eq!(status(&failed), ("error", Some("13")));
    assert_eq!(failed.children.len(), 2);
    assert!(lines(&failed).contains(" bogus unexpected here"));
    assert_eq!(
        fw.rule_names(),
        ["m1", "Clean up"],
        "nothing of the failed batch was applied"
    );
}

/// A batch remembers the entries of the list it sets into (the 20,000-rule write would scan the
/// list once per rule otherwise): every write that can add, remove or reorder entries unseen
/// must leave it exact, or a rule would be duplicated or merged into the wrong entry.
#[test]
fn a_batch_of_sets_mixed_with_other_writes_never_duplicates_or_misplaces_an_entry() {
    let mut fw = Fw::new();
    let rules = rules_xpath();
    let security = rules.trim_end_matches("/rules");
    let rule = |name: &str, dst: &str| {
        format!(
            "<entry name=\"{name}\"><destination><member>{dst}</member></destination>\
             <action>allow</action></entry>"
        )
    };
    let batch = format!(
        "<multi-config>\
         <set id=\"1\" xpath=\"{rules}\">{a}{b}</set>\
         <set id=\"2\" xpath=\"{security}\"><rules>{c}</rules></set>\
         <set id=\"3\" xpath=\"{rules}\">{c2}</set>\
         <delete id=\"4\" xpath=\"{rules}/entry[@name='a']\"/>\
         <set id=\"5\" xpath=\"{rules}\">{b2}</set>\
         <set id=\"6\" xpath=\"{rules}/entry[@name='d']\"><action>deny</action></set>\
         <set id=\"7\" xpath=\"{rules}\">{d}{a}</set>\
         <move id=\"8\" xpath=\"{rules}/entry[@name='b']\" where=\"bottom\"/>\
         <set id=\"9\" xpath=\"{rules}\">{b3}{e}</set>\
         </multi-config>",
        a = rule("a", "10.0.0.1"),
        b = rule("b", "10.0.0.2"),
        c = rule("c", "10.0.0.3"),
        c2 = rule("c", "10.0.0.33"),
        b2 = rule("b", "10.0.0.22"),
        d = rule("d", "10.0.0.4"),
        b3 = rule("b", "10.0.0.222"),
        e = rule("e", "10.0.0.5"),
    );
    let ok = fw.call(&[
        ("type", "config"),
        ("action", "multi-config"),
        ("element", &batch),
    ]);
    assert_eq!(status(&ok), ("success", Some("20")), "{ok:?}");
    assert_eq!(fw.rule_names(), ["Clean up", "c", "d", "a", "b", "e"]);
    let destinations = |fw: &mut Fw, name: &str| {
        let got = fw.get(&format!("{rules}/entry[@name='{name}']/destination"));
        got.child("result")
            .map(|r| r.members("destination"))
            .unwrap_or_default()
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        destinations(&mut fw, "b"),
        ["10.0.0.2", "10.0.0.22", "10.0.0.222"]
    );
    assert_eq!(destinations(&mut fw, "e"), ["10.0.0.5"]);
    assert_eq!(destinations(&mut fw, "c"), ["10.0.0.3", "10.0.0.33"]);
    assert_eq!(destinations(&mut fw, "d"), ["10.0.0.4"]);
    assert_eq!(destinations(&mut fw, "a"), ["10.0.0.1"]);
}

#[test]
fn a_refused_set_leaves_no_trace_for_the_next_writes_to_find() {
    let mut fw = Fw::new();
    let rules = rules_xpath();
    let ok = |el: &panos_sim::xml::Element| status(el).0 == "success";
    assert!(ok(&fw.set(
        &rules,
        "<entry name=\"a\"><action>allow</action></entry>"
    )));
    let refused = fw.set(
        &rules,
        "<entry name=\"b\"><action>allow</action></entry><entry name=\"x\"><bogus/></entry>",
    );
    assert_eq!(status(&refused), ("error", Some("12")), "{refused:?}");
    assert_eq!(fw.rule_names(), ["Clean up", "a"]);
    assert!(ok(
        &fw.set(&rules, "<entry name=\"b\"><action>deny</action></entry>")
    ));
    assert!(ok(&fw.config(
        "delete",
        &format!("{rules}/entry[@name='a']"),
        &[]
    )));
    assert!(ok(&fw.set(
        &rules,
        "<entry name=\"b\"><action>allow</action></entry>"
    )));
    assert!(ok(&fw.set(
        &rules,
        "<entry name=\"a\"><action>allow</action></entry>"
    )));
    assert_eq!(fw.rule_names(), ["Clean up", "b", "a"]);
}
