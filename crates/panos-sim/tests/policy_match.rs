//! A table of `test security-policy-match` cases over one rulebase, evaluated on running.

mod support;

use std::time::Duration;

use support::{Fw, VSYS, result_rule_names, rules_xpath};

const RULES: &[&str] = &[
    // 1
    "<entry name='deny-bad'><from><member>untrust</member></from><to><member>any</member></to><source><member>bad-hosts</member></source><destination><member>any</member></destination><application><member>any</member></application><service><member>any</member></service><action>deny</action></entry>",
    // 2
    "<entry name='off'><from><member>any</member></from><to><member>any</member></to><source><member>any</member></source><destination><member>any</member></destination><application><member>any</member></application><service><member>any</member></service><action>allow</action><disabled>yes</disabled></entry>",
    // 3
    "<entry name='ssh-in'><from><member>untrust</member></from><to><member>trust</member></to><source><member>203.0.113.0/24</member></source><destination><member>10.0.1.15</member></destination><application><member>ssh</member></application><service><member>application-default</member></service><action>allow</action></entry>",
    // 4
    "<entry name='svc-range'><from><member>untrust</member></from><to><member>trust</member></to><source><member>any</member></source><destination><member>10.0.1.0/24</member></destination><application><member>any</member></application><service><member>tcp_9000-9010</member></service><action>allow</action></entry>",
    // 5
    "<entry name='not-internal'><from><member>untrust</member></from><to><member>trust</member></to><source><member>10.0.0.0/8</member></source><negate-source>yes</negate-source><destination><member>10.0.2.0-10.0.2.9</member></destination><application><member>any</member></application><service><member>svc-group</member></service><action>allow</action></entry>",
    // 6
    "<entry name='web-std'><from><member>untrust</member></from><to><member>trust</member></to><source><member>any</member></source><destination><member>web-servers</member></destination><application><member>any</member></application><service><member>service-http</member><member>service-https</member></service><action>allow</action></entry>",
    // 7
    "<entry name='icmp-in'><from><member>untrust</member></from><to><member>trust</member></to><source><member>any</member></source><destination><member>any</member></destination><application><member>icmp</member><member>ipv6-icmp</member></application><service><member>application-default</member></service><action>allow</action></entry>",
    // 8
    "<entry name='dns-v6'><from><member>untrust</member></from><to><member>trust</member></to><source><member>any</member></source><destination><member>2001:db8::/64</member></destination><application><member>dns</member></application><service><member>application-default</member></service><action>allow</action></entry>",
];

fn setup() -> Fw {
    let mut fw = Fw::new();
    fw.set(&format!("{VSYS}/address"), "<entry name='web-1'><ip-netmask>10.0.3.10</ip-netmask></entry><entry name='web-2'><ip-range>10.0.3.20-10.0.3.29</ip-range></entry><entry name='evil'><ip-netmask>198.51.100.66</ip-netmask></entry>");
    fw.set(&format!("{VSYS}/address-group"), "<entry name='web-servers'><static><member>web-1</member><member>web-2</member></static></entry><entry name='bad-hosts'><static><member>evil</member></static></entry>");
    fw.set(&format!("{VSYS}/service"), "<entry name='tcp_9000-9010'><protocol><tcp><port>9000-9010</port></tcp></protocol></entry><entry name='udp_500'><protocol><udp><port>500,4500</port></udp></protocol></entry>");
    fw.set(
        &format!("{VSYS}/service-group"),
        "<entry name='svc-group'><members><member>udp_500</member></members></entry>",
    );
    for r in RULES {
        fw.set(&rules_xpath(), r);
    }
    fw.config(
        "move",
        &format!("{}/entry[@name='Clean up']", rules_xpath()),
        &[("where", "bottom")],
    );
    fw.call(&[("type", "commit"), ("cmd", "<commit/>")]);
    fw.advance(Duration::from_secs(2));
    fw
}

/// One test: traffic and the rule expected to match it.
struct Case {
    from: &'static str,
    to: &'static str,
    src: &'static str,
    dst: &'static str,
    proto: u8,
    port: Option<u16>,
    app: Option<&'static str>,
    expect: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn case(
    from: &'static str,
    to: &'static str,
    src: &'static str,
    dst: &'static str,
    proto: u8,
    port: Option<u16>,
    app: Option<&'static str>,
    expect: &'static str,
) -> Case {
    Case {
        from,
        to,
        src,
        dst,
        proto,
        port,
        app,
        expect,
    }
}

fn query(fw: &mut Fw, c: &Case) -> Vec<(String, String, String)> {
    let mut cmd = format!(
        "<test><security-policy-match><source>{}</source><destination>{}</destination><protocol>{}</protocol>",
        c.src, c.dst, c.proto
    );
    if let Some(a) = c.app {
        cmd.push_str(&format!("<application>{a}</application>"));
    }
    if let Some(p) = c.port {
        cmd.push_str(&format!("<destination-port>{p}</destination-port>"));
    }
    cmd.push_str(&format!(
        "<from>{}</from><to>{}</to><show-all>no</show-all></security-policy-match></test>",
        c.from, c.to
    ));
    let resp = fw.op(&cmd);
    resp.descend(&["result", "rules"])
        .map(|rules| {
            rules
                .children_named("entry")
                .map(|e| {
                    (
                        e.entry_name().unwrap_or_default().to_string(),
                        e.child_text("index").unwrap_or_default().to_string(),
                        e.child_text("action").unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[rustfmt::skip]
const TABLE: &[Case] = &[
    case("untrust", "trust", "198.51.100.66", "10.0.1.15", 6, Some(22), Some("ssh"), "deny-bad"),
    case("untrust", "trust", "203.0.113.5", "10.0.1.15", 6, Some(22), Some("ssh"), "ssh-in"),
    case("untrust", "trust", "203.0.113.5", "10.0.1.15", 6, Some(2222), Some("ssh"), "Clean up"),
    case("untrust", "trust", "192.0.2.1", "10.0.1.15", 6, Some(22), Some("ssh"), "Clean up"),
    case("untrust", "trust", "192.0.2.1", "10.0.1.99", 6, Some(9005), None, "svc-range"),
    case("untrust", "trust", "192.0.2.1", "10.0.1.99", 17, Some(9005), None, "Clean up"),
    case("untrust", "trust", "192.0.2.1", "10.0.2.5", 17, Some(4500), None, "not-internal"),
    case("untrust", "trust", "10.9.9.9", "10.0.2.5", 17, Some(4500), None, "Clean up"),
    case("untrust", "trust", "192.0.2.1", "10.0.3.25", 6, Some(8080), None, "web-std"),
    case("untrust", "trust", "192.0.2.1", "10.0.3.10", 6, Some(443), None, "web-std"),
    case("untrust", "trust", "192.0.2.1", "10.0.3.30", 6, Some(443), None, "Clean up"),
    case("untrust", "trust", "192.0.2.1", "10.0.1.15", 1, None, Some("icmp"), "icmp-in"),
    case("untrust", "trust", "2001:db8:1::1", "2001:db8::53", 17, Some(53), Some("dns"), "dns-v6"),
    case("untrust", "trust", "2001:db8:1::1", "2001:db8::53", 58, None, Some("ipv6-icmp"), "icmp-in"),
    case("trust", "untrust", "10.0.1.15", "8.8.8.8", 17, Some(53), Some("dns"), "Clean up"),
];

#[test]
fn first_match_table() {
    let mut fw = setup();
    for (i, c) in TABLE.iter().enumerate() {
        let hits = query(&mut fw, c);
        assert_eq!(hits.len(), 1, "case {i}: {hits:?}");
        assert_eq!(
            hits[0].0, c.expect,
            "case {i}: {} -> {} {}/{:?} {:?}",
            c.src, c.dst, c.proto, c.port, c.app
        );
    }
    let deny = query(&mut fw, &TABLE[0]);
    assert_eq!(deny[0], ("deny-bad".into(), "1".into(), "deny".into()));
}

#[test]
fn predefined_defaults_when_no_rule_matches() {
    let mut fw = Fw::new();
    fw.config(
        "delete",
        &format!("{}/entry[@name='Clean up']", rules_xpath()),
        &[],
    );
    fw.call(&[("type", "commit"), ("cmd", "<commit/>")]);
    fw.advance(Duration::from_secs(2));
    let inter = query(
        &mut fw,
        &case(
            "untrust",
            "trust",
            "192.0.2.1",
            "10.0.0.1",
            6,
            Some(443),
            None,
            "",
        ),
    );
    assert_eq!(
        (inter[0].0.as_str(), inter[0].2.as_str()),
        ("interzone-default", "deny")
    );
    let intra = query(
        &mut fw,
        &case(
            "trust",
            "trust",
            "10.0.0.2",
            "10.0.0.1",
            6,
            Some(443),
            None,
            "",
        ),
    );
    assert_eq!(
        (intra[0].0.as_str(), intra[0].2.as_str()),
        ("intrazone-default", "allow")
    );
}

#[test]
fn pan_os_8_answers_the_text_shape() {
    let mut fw = Fw::with(panos_sim::Simulator::builder().sw_version("8.1.9"));
    let resp = fw.op("<test><security-policy-match><source>1.1.1.1</source><destination>10.0.0.1</destination><protocol>6</protocol><destination-port>22</destination-port><from>untrust</from><to>trust</to></security-policy-match></test>");
    let entry = resp
        .descend(&["result", "rules", "entry"])
        .expect("an entry");
    assert_eq!(entry.text, "Clean up; index: 1");
    assert!(entry.attr("name").is_none());
}

#[test]
fn show_all_lists_candidates_until_the_first_allow() {
    let mut fw = setup();
    let resp = fw.op("<test><security-policy-match><source>198.51.100.66</source><destination>10.0.1.15</destination><protocol>6</protocol><destination-port>22</destination-port><application>ssh</application><from>untrust</from><to>trust</to><show-all>yes</show-all></security-policy-match></test>");
    let names = result_rule_names(&resp);
    assert_eq!(names, ["deny-bad", "Clean up"]);
}
