//! Scenarios for the device's reference check on delete (issue 12 item 1): an object that
//! anything else in its vsys or in shared still names cannot be deleted (code 10, one line per
//! referring field), neither alone nor inside a multi-config, whatever rulebase or group names it.

mod support;

use support::{Fw, VSYS, lines, rules_xpath, status};

const SHARED: &str = "/config/shared";

fn service(fw: &mut Fw, scope: &str, name: &str, port: &str) {
    let r = fw.set(
        &format!("{scope}/service"),
        &format!(
            "<entry name='{name}'><protocol><tcp><port>{port}</port></tcp></protocol></entry>"
        ),
    );
    assert_eq!(status(&r), ("success", Some("20")), "{}", lines(&r));
}

fn address(fw: &mut Fw, scope: &str, name: &str, ip: &str) {
    let r = fw.set(
        &format!("{scope}/address"),
        &format!("<entry name='{name}'><ip-netmask>{ip}</ip-netmask></entry>"),
    );
    assert_eq!(status(&r), ("success", Some("20")), "{}", lines(&r));
}

fn set_ok(fw: &mut Fw, xpath: &str, element: &str) {
    let r = fw.set(xpath, element);
    assert_eq!(status(&r), ("success", Some("20")), "{}", lines(&r));
}

fn delete(fw: &mut Fw, xpath: &str) -> panos_sim::Element {
    fw.config("delete", xpath, &[])
}

fn exists(fw: &mut Fw, xpath: &str) -> bool {
    status(&fw.get(xpath)) == ("success", Some("19"))
}

/// A security rule untrust→trust naming `service` and `destination`.
fn rule_using(fw: &mut Fw, name: &str, destination: &str, service: &str) {
    let el = format!(
        "<entry name=\"{name}\"><from><member>untrust</member></from><to><member>trust</member></to>\
         <source><member>any</member></source><destination><member>{destination}</member></destination>\
         <application><member>any</member></application><service><member>{service}</member></service>\
         <action>allow</action></entry>"
    );
    set_ok(fw, &rules_xpath(), &el);
}

#[test]
fn a_service_named_by_an_operator_service_group_nat_and_pbf_rule_cannot_be_deleted() {
    let mut fw = Fw::new();
    service(&mut fw, VSYS, "tcp_8080", "8080");
    service(&mut fw, VSYS, "tcp_8443", "8443");
    set_ok(
        &mut fw,
        &format!("{VSYS}/rulebase/nat/rules"),
        "<entry name='n1'><from><member>untrust</member></from><to><member>untrust</member></to>\
         <source><member>any</member></source><destination><member>any</member></destination>\
         <service>tcp_8080</service></entry>",
    );
    set_ok(
        &mut fw,
        &format!("{VSYS}/rulebase/pbf/rules"),
        "<entry name='p1'><from><zone><member>trust</member></zone></from>\
         <source><member>any</member></source><destination><member>any</member></destination>\
         <service><member>tcp_8080</member></service><action><forward/></action></entry>",
    );
    set_ok(
        &mut fw,
        &format!("{VSYS}/service-group"),
        "<entry name='web-ports'><members><member>tcp_8443</member><member>tcp_8080</member></members></entry>",
    );

    let refused = delete(&mut fw, &format!("{VSYS}/service/entry[@name='tcp_8080']"));
    assert_eq!(status(&refused), ("error", Some("10")));
    assert_eq!(
        lines(&refused),
        "tcp_8080 cannot be deleted because of references from:\n \
         vsys -> vsys1 -> rulebase -> nat -> rules -> n1 -> service\n \
         vsys -> vsys1 -> rulebase -> pbf -> rules -> p1 -> service\n \
         vsys -> vsys1 -> service-group -> web-ports -> members"
    );
    assert!(exists(
        &mut fw,
        &format!("{VSYS}/service/entry[@name='tcp_8080']")
    ));

    // The group alone still holds tcp_8443; removing the member frees it.
    let refused = delete(&mut fw, &format!("{VSYS}/service/entry[@name='tcp_8443']"));
    assert_eq!(
        lines(&refused),
        "tcp_8443 cannot be deleted because of references from:\n \
         vsys -> vsys1 -> service-group -> web-ports -> members"
    );
    let member = delete(
        &mut fw,
        &format!("{VSYS}/service-group/entry[@name='web-ports']/members/member[text()='tcp_8443']"),
    );
    assert_eq!(status(&member), ("success", Some("20")));
    let freed = delete(&mut fw, &format!("{VSYS}/service/entry[@name='tcp_8443']"));
    assert_eq!(status(&freed), ("success", Some("20")));
}

#[test]
fn an_address_named_by_a_group_a_nat_translation_decryption_and_app_override_rule_cannot_be_deleted()
 {
    let mut fw = Fw::new();
    address(&mut fw, VSYS, "web-1", "10.0.1.15");
    set_ok(
        &mut fw,
        &format!("{VSYS}/rulebase/nat/rules"),
        "<entry name='dnat'><destination-translation><translated-address>web-1</translated-address>\
         </destination-translation></entry>",
    );
    set_ok(
        &mut fw,
        &format!("{VSYS}/rulebase/decryption/rules"),
        "<entry name='d1'><source><member>web-1</member></source><destination><member>any</member></destination></entry>",
    );
    set_ok(
        &mut fw,
        &format!("{VSYS}/rulebase/application-override/rules"),
        "<entry name='ao1'><source><member>any</member></source><destination><member>web-1</member></destination>\
         <port>8080</port><application>web-browsing</application></entry>",
    );
    set_ok(
        &mut fw,
        &format!("{VSYS}/address-group"),
        "<entry name='web-servers'><static><member>web-1</member></static></entry>",
    );
    let refused = delete(&mut fw, &format!("{VSYS}/address/entry[@name='web-1']"));
    assert_eq!(status(&refused), ("error", Some("10")));
    assert_eq!(
        lines(&refused),
        "web-1 cannot be deleted because of references from:\n \
         vsys -> vsys1 -> rulebase -> nat -> rules -> dnat -> destination-translation -> translated-address\n \
         vsys -> vsys1 -> rulebase -> decryption -> rules -> d1 -> source\n \
         vsys -> vsys1 -> rulebase -> application-override -> rules -> ao1 -> destination\n \
         vsys -> vsys1 -> address-group -> web-servers -> static"
    );
    // A group named by a rule is itself protected.
    rule_using(&mut fw, "to-web", "web-servers", "any");
    let group = delete(
        &mut fw,
        &format!("{VSYS}/address-group/entry[@name='web-servers']"),
    );
    assert_eq!(
        lines(&group),
        "web-servers cannot be deleted because of references from:\n \
         vsys -> vsys1 -> rulebase -> security -> rules -> to-web -> destination"
    );
}

#[test]
fn a_tag_and_an_application_group_in_use_cannot_be_deleted_but_unrelated_names_do_not_count() {
    let mut fw = Fw::new();
    set_ok(
        &mut fw,
        &format!("{VSYS}/tag"),
        "<entry name='palosync'><color>color5</color></entry>",
    );
    set_ok(
        &mut fw,
        &format!("{VSYS}/address"),
        "<entry name='h1'><ip-netmask>10.0.0.1</ip-netmask><tag><member>palosync</member></tag></entry>",
    );
    set_ok(
        &mut fw,
        &format!("{VSYS}/application-group"),
        "<entry name='palosync'><members><member>ssl</member></members></entry>",
    );
    let tag = delete(&mut fw, &format!("{VSYS}/tag/entry[@name='palosync']"));
    assert_eq!(
        lines(&tag),
        "palosync cannot be deleted because of references from:\n \
         vsys -> vsys1 -> address -> h1 -> tag"
    );
    // The tag's name in an application group's members is no tag reference, and nothing
    // names the application group: it can go.
    let group = delete(
        &mut fw,
        &format!("{VSYS}/application-group/entry[@name='palosync']"),
    );
    assert_eq!(status(&group), ("success", Some("20")));
    set_ok(
        &mut fw,
        &format!("{VSYS}/application-group"),
        "<entry name='web-apps'><members><member>ssl</member></members></entry>",
    );
    set_ok(
        &mut fw,
        &rules_xpath(),
        "<entry name='apps'><from><member>any</member></from><to><member>any</member></to>\
         <source><member>any</member></source><destination><member>any</member></destination>\
         <application><member>web-apps</member></application><service><member>application-default</member></service>\
         <action>allow</action><description>web-apps</description></entry>",
    );
    let in_use = delete(
        &mut fw,
        &format!("{VSYS}/application-group/entry[@name='web-apps']"),
    );
    assert_eq!(
        lines(&in_use),
        "web-apps cannot be deleted because of references from:\n \
         vsys -> vsys1 -> rulebase -> security -> rules -> apps -> application"
    );
}

#[test]
fn a_shared_object_is_protected_by_vsys_rules_unless_the_vsys_has_its_own_of_that_name() {
    let mut fw = Fw::new();
    service(&mut fw, SHARED, "tcp_9000", "9000");
    rule_using(&mut fw, "uses-shared", "any", "tcp_9000");
    let refused = delete(
        &mut fw,
        &format!("{SHARED}/service/entry[@name='tcp_9000']"),
    );
    assert_eq!(status(&refused), ("error", Some("10")));
    assert_eq!(
        lines(&refused),
        "tcp_9000 cannot be deleted because of references from:\n \
         vsys -> vsys1 -> rulebase -> security -> rules -> uses-shared -> service"
    );
    // Once vsys1 defines its own tcp_9000, the rule names that one and the shared one is free.
    service(&mut fw, VSYS, "tcp_9000", "9000");
    let freed = delete(
        &mut fw,
        &format!("{SHARED}/service/entry[@name='tcp_9000']"),
    );
    assert_eq!(status(&freed), ("success", Some("20")));
    let local = delete(&mut fw, &format!("{VSYS}/service/entry[@name='tcp_9000']"));
    assert_eq!(status(&local), ("error", Some("10")));
}

#[test]
fn a_vsys_object_is_not_held_by_another_vsys_using_the_same_name() {
    let mut fw = Fw::new();
    let vsys2 = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys2']";
    service(&mut fw, vsys2, "tcp_7000", "7000");
    service(&mut fw, VSYS, "tcp_7000", "7000");
    set_ok(
        &mut fw,
        &format!("{vsys2}/service-group"),
        "<entry name='g2'><members><member>tcp_7000</member></members></entry>",
    );
    let ok = delete(&mut fw, &format!("{VSYS}/service/entry[@name='tcp_7000']"));
    assert_eq!(status(&ok), ("success", Some("20")));
    let refused = delete(&mut fw, &format!("{vsys2}/service/entry[@name='tcp_7000']"));
    assert_eq!(
        lines(&refused),
        "tcp_7000 cannot be deleted because of references from:\n \
         vsys -> vsys2 -> service-group -> g2 -> members"
    );
}

#[test]
fn a_multi_config_that_deletes_a_rule_and_its_still_grouped_service_fails_whole() {
    let mut fw = Fw::new();
    service(&mut fw, VSYS, "tcp_8080", "8080");
    rule_using(&mut fw, "i-0abc-1", "10.0.0.5", "tcp_8080");
    set_ok(
        &mut fw,
        &format!("{VSYS}/service-group"),
        "<entry name='operator-ports'><members><member>tcp_8080</member></members></entry>",
    );
    let rule = format!("{}/entry[@name='i-0abc-1']", rules_xpath());
    let svc = format!("{VSYS}/service/entry[@name='tcp_8080']");
    let batch = |extra: &str| {
        format!(
            "<multi-configure-request><delete id=\"1\" xpath=\"{rule}\"/>{extra}\
             <delete id=\"2\" xpath=\"{svc}\"/></multi-configure-request>"
        )
    };
    let resp = fw.call(&[
        ("type", "config"),
        ("action", "multi-config"),
        ("element", &batch("")),
    ]);
    assert_eq!(status(&resp), ("error", Some("13")));
    let inner: Vec<_> = resp.children_named("response").collect();
    assert_eq!(inner.len(), 2);
    assert_eq!(
        (inner[0].attr("status"), inner[0].attr("id")),
        (Some("success"), Some("1"))
    );
    assert_eq!(
        (
            inner[1].attr("status"),
            inner[1].attr("code"),
            inner[1].attr("id")
        ),
        (Some("error"), Some("10"), Some("2"))
    );
    assert_eq!(
        lines(inner[1]),
        "tcp_8080 cannot be deleted because of references from:\n \
         vsys -> vsys1 -> service-group -> operator-ports -> members"
    );
    assert!(exists(&mut fw, &rule), "the rule delete was rolled back");

    // With the group's member removed in the same batch, the rule was the last referrer.
    let member = format!(
        "<delete id=\"3\" xpath=\"{VSYS}/service-group/entry[@name='operator-ports']/members/member[text()='tcp_8080']\"/>"
    );
    let resp = fw.call(&[
        ("type", "config"),
        ("action", "multi-config"),
        ("element", &batch(&member)),
    ]);
    assert_eq!(status(&resp), ("success", Some("20")), "{}", lines(&resp));
    assert!(!exists(&mut fw, &rule) && !exists(&mut fw, &svc));
}

#[test]
fn deleting_the_whole_service_list_is_refused_while_one_entry_is_in_use() {
    let mut fw = Fw::new();
    service(&mut fw, VSYS, "tcp_1", "1");
    service(&mut fw, VSYS, "tcp_2", "2");
    rule_using(&mut fw, "r", "any", "tcp_2");
    let refused = delete(&mut fw, &format!("{VSYS}/service"));
    assert_eq!(status(&refused), ("error", Some("10")));
    assert!(lines(&refused).starts_with("tcp_2 cannot be deleted because of references from:"));
    assert!(exists(
        &mut fw,
        &format!("{VSYS}/service/entry[@name='tcp_1']")
    ));
}

#[test]
fn renaming_a_service_rewrites_group_members_and_nat_services() {
    let mut fw = Fw::new();
    service(&mut fw, VSYS, "old", "81");
    set_ok(
        &mut fw,
        &format!("{VSYS}/service-group"),
        "<entry name='g'><members><member>old</member></members></entry>",
    );
    set_ok(
        &mut fw,
        &format!("{VSYS}/rulebase/nat/rules"),
        "<entry name='n1'><service>old</service><description>old</description></entry>",
    );
    let r = fw.config(
        "rename",
        &format!("{VSYS}/service/entry[@name='old']"),
        &[("newname", "new")],
    );
    assert_eq!(status(&r), ("success", Some("20")), "{}", lines(&r));
    let group = fw.get(&format!("{VSYS}/service-group/entry[@name='g']/members"));
    let members: Vec<_> = group
        .descend(&["result", "members"])
        .map(|m| m.children_named("member").map(|x| x.text.clone()).collect())
        .unwrap_or_default();
    assert_eq!(members, ["new"]);
    let nat = fw.get(&format!("{VSYS}/rulebase/nat/rules/entry[@name='n1']"));
    let entry = nat.descend(&["result", "entry"]).expect("nat rule");
    assert_eq!(entry.child_text("service"), Some("new"));
    assert_eq!(
        entry.child_text("description"),
        Some("old"),
        "free text is no reference"
    );
}
