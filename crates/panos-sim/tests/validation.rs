//! Set-time validation: each bad write is refused with code 12 and PAN-OS style lines, and
//! leaves the candidate unchanged.

mod support;

use support::{Fw, VSYS, lines, rules_xpath, status};

const GOOD_RULE: &str = "<from><member>untrust</member></from><to><member>trust</member></to>\
    <source><member>any</member></source><destination><member>10.0.0.1</member></destination>\
    <application><member>ssh</member></application><service><member>application-default</member></service>\
    <action>allow</action>";

fn rule(name: &str, replace: (&str, &str)) -> String {
    format!(
        "<entry name=\"{name}\">{}</entry>",
        GOOD_RULE.replace(replace.0, replace.1)
    )
}

#[test]
fn bad_rules_are_refused_with_device_style_lines() {
    let r = "vsys -> vsys1 -> rulebase -> security -> rules -> r1";
    let cases: Vec<(String, Vec<String>)> = vec![
        (
            rule("r1", ("<action>allow</action>", "<action>permit</action>")),
            vec![format!(" {r} -> action 'permit' is not an allowed keyword")],
        ),
        (
            rule("r1", ("untrust", "dmz")),
            vec![
                format!(" {r} -> from 'dmz' is not a valid reference"),
                format!(" {r} -> from is invalid"),
            ],
        ),
        (
            rule("r1", ("application-default", "tcp_81")),
            vec![format!(" {r} -> service 'tcp_81' is not a valid reference")],
        ),
        (
            rule("r1", ("10.0.0.1", "10.0.0.256")),
            vec![
                format!(" {r} -> destination '10.0.0.256' is not an allowed keyword"),
                format!(" {r} -> destination 10.0.0.256 is an invalid ipv4/v6 address"),
                format!(" {r} -> destination '10.0.0.256' is not a valid reference"),
                format!(" {r} -> destination 10.0.0.256 range separator('-') not found"),
                format!(" {r} -> destination is invalid"),
            ],
        ),
        (
            rule(
                "r1",
                (
                    "<action>allow</action>",
                    "<action>allow</action><bogus>1</bogus>",
                ),
            ),
            vec![" bogus unexpected here".into()],
        ),
        (
            rule(
                "r1",
                (
                    "<action>allow</action>",
                    "<action>allow</action><disabled>maybe</disabled>",
                ),
            ),
            vec![format!(
                " {r} -> disabled 'maybe' is not an allowed keyword"
            )],
        ),
        (
            rule(
                "r1",
                (
                    "<action>allow</action>",
                    "<action>allow</action><tag><member>nope</member></tag>",
                ),
            ),
            vec![format!(" {r} -> tag 'nope' is not a valid reference")],
        ),
        (
            rule(
                "r1",
                (
                    "<action>allow</action>",
                    "<action>allow</action><profile-setting><group><member>strict</member></group></profile-setting>",
                ),
            ),
            vec![format!(
                " {r} -> profile-setting -> group 'strict' is not a valid reference"
            )],
        ),
        (
            rule(
                "r1",
                (
                    "<action>allow</action>",
                    "<action>allow</action><source-hip><member>any</member></source-hip><hip-profiles><member>any</member></hip-profiles>",
                ),
            ),
            vec![" hip-profiles unexpected here".into()],
        ),
        (
            rule(&"n".repeat(64), ("", "")),
            vec![format!(
                " vsys -> vsys1 -> rulebase -> security -> rules -> {} can be at most 63 characters, but current length: 64",
                "n".repeat(64)
            )],
        ),
    ];
    for (element, expected) in cases {
        let mut fw = Fw::new();
        let resp = fw.set(&rules_xpath(), &element);
        assert_eq!(status(&resp), ("error", Some("12")), "{element}");
        let got = lines(&resp);
        for line in &expected {
            assert!(got.contains(line.as_str()), "expected {line:?} in:\n{got}");
        }
        assert!(got.ends_with(" is invalid"), "{got}");
        assert_eq!(
            fw.rule_names(),
            ["Clean up"],
            "candidate unchanged after {element}"
        );
    }
}

#[test]
fn bad_objects_are_refused() {
    let cases = [
        (
            "address",
            "<entry name='a'><ip-netmask>10.0.0.0/33</ip-netmask></entry>",
            "ip-netmask 10.0.0.0/33 is an invalid ipv4/v6 address",
        ),
        (
            "address",
            "<entry name='a'><ip-range>10.0.0.9-10.0.0.1</ip-range></entry>",
            "is an invalid ipv4/v6 address range",
        ),
        (
            "address",
            "<entry name='a'><fqdn>bad name!</fqdn></entry>",
            "is not a valid fqdn",
        ),
        (
            "service",
            "<entry name='s'><protocol><tcp><port>80-70</port></tcp></protocol></entry>",
            "protocol -> tcp -> port '80-70' is not a valid port",
        ),
        (
            "service",
            "<entry name='s'><protocol><tcp><port>1,2,x</port></tcp></protocol></entry>",
            "protocol -> tcp -> port is invalid",
        ),
        (
            "service",
            "<entry name='s'><protocol><icmp/></protocol></entry>",
            " icmp unexpected here",
        ),
        (
            "service-group",
            "<entry name='g'><members><member>nope</member></members></entry>",
            "members 'nope' is not a valid reference",
        ),
        (
            "address-group",
            "<entry name='g'><static><member>nope</member></static></entry>",
            "static 'nope' is not a valid reference",
        ),
        (
            "tag",
            "<entry name='t'><color>purple</color></entry>",
            "color 'purple' is not an allowed keyword",
        ),
    ];
    for (list, element, expected) in cases {
        let mut fw = Fw::new();
        let resp = fw.set(&format!("{VSYS}/{list}"), element);
        assert_eq!(status(&resp), ("error", Some("12")), "{element}");
        assert!(
            lines(&resp).contains(expected),
            "expected {expected:?} in:\n{}",
            lines(&resp)
        );
        assert_eq!(
            status(&fw.get(&format!("{VSYS}/{list}/entry"))),
            ("success", Some("7"))
        );
    }
}

#[test]
fn address_and_group_names_share_a_namespace() {
    let mut fw = Fw::new();
    fw.set(
        &format!("{VSYS}/address"),
        "<entry name='web'><ip-netmask>10.0.0.1</ip-netmask></entry>",
    );
    let clash = fw.set(
        &format!("{VSYS}/address-group"),
        "<entry name='web'><static><member>web</member></static></entry>",
    );
    assert_eq!(status(&clash), ("error", Some("12")));
    assert!(lines(&clash).contains("'web' is already in use"));
}

#[test]
fn hip_profiles_are_accepted_on_9x_and_source_hip_is_not() {
    let mut fw = Fw::with(panos_sim::Simulator::builder().sw_version("9.1.0"));
    let ok = fw.set(
        &rules_xpath(),
        &rule(
            "r1",
            (
                "<action>allow</action>",
                "<action>allow</action><hip-profiles><member>any</member></hip-profiles>",
            ),
        ),
    );
    assert_eq!(status(&ok), ("success", Some("20")));
    let bad = fw.set(
        &rules_xpath(),
        &rule(
            "r2",
            (
                "<action>allow</action>",
                "<action>allow</action><source-hip><member>any</member></source-hip>",
            ),
        ),
    );
    assert!(lines(&bad).contains(" source-hip unexpected here"));
}
