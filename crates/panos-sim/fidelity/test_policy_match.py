"""`test security-policy-match` through pan-os-python, against the running rulebase."""

from panos.objects import AddressObject, ServiceObject
from panos.policies import SecurityRule


def build_rulebase(sim):
    fw, rb = sim.firewall_with_rulebase()
    for obj in [AddressObject("web-1", value="10.0.1.15"), ServiceObject("tcp_8080", protocol="tcp", destination_port="8080")]:
        fw.add(obj)
        obj.create()
    rules = [
        SecurityRule("block-bad", fromzone=["untrust"], tozone=["trust"], source=["192.0.2.0/24"],
                     destination=["any"], application=["any"], service=["any"], action="deny"),
        SecurityRule("disabled-allow-all", fromzone=["any"], tozone=["any"], source=["any"], destination=["any"],
                     application=["any"], service=["any"], action="allow", disabled=True),
        SecurityRule("https-in", fromzone=["untrust"], tozone=["trust"], source=["any"], destination=["web-1"],
                     application=["ssl"], service=["application-default"], action="allow"),
        SecurityRule("alt-http", fromzone=["untrust"], tozone=["trust"], source=["198.51.100.0/24"],
                     destination=["10.0.1.0/24"], application=["any"], service=["tcp_8080"], action="allow"),
    ]
    for r in rules:
        rb.add(r)
        r.create()
    [r for r in SecurityRule.refreshall(rb) if r.name == "Clean up"][0].move("bottom")
    # Match runs against running, so commit first.
    assert fw.commit(sync=True)["success"] is True
    return fw


def test_policy_match_allow_deny_and_interzone_default(sim):
    fw = build_rulebase(sim)
    allow = fw.test_security_policy_match("203.0.113.9", "10.0.1.15", 6, port=443, application="ssl",
                                          from_zone="untrust", to_zone="trust")
    assert allow == [{"name": "https-in", "index": 3, "action": "allow"}]

    by_service = fw.test_security_policy_match("198.51.100.4", "10.0.1.99", 6, port=8080,
                                               from_zone="untrust", to_zone="trust")
    assert [m["name"] for m in by_service] == ["alt-http"]

    deny = fw.test_security_policy_match("192.0.2.10", "10.0.1.15", 6, port=443, application="ssl",
                                         from_zone="untrust", to_zone="trust")
    assert deny == [{"name": "block-bad", "index": 1, "action": "deny"}]

    # Wrong port for ssl's application-default: falls through to the deny-all rule.
    cleanup = fw.test_security_policy_match("203.0.113.9", "10.0.1.15", 6, port=8443, application="ssl",
                                            from_zone="untrust", to_zone="trust")
    assert [m["name"] for m in cleanup] == ["Clean up"]


def test_policy_match_predefined_defaults(sim):
    fw, rb = sim.firewall_with_rulebase()
    [r for r in SecurityRule.refreshall(rb) if r.name == "Clean up"][0].delete()
    fw.commit(sync=True)
    interzone = fw.test_security_policy_match("203.0.113.9", "10.0.1.15", 6, port=22,
                                              from_zone="untrust", to_zone="trust")
    assert [(m["name"], m["action"]) for m in interzone] == [("interzone-default", "deny")]
    intrazone = fw.test_security_policy_match("10.0.1.5", "10.0.1.15", 6, port=22,
                                              from_zone="trust", to_zone="trust")
    assert [(m["name"], m["action"]) for m in intrazone] == [("intrazone-default", "allow")]
