"""Service, address and tag objects through pan-os-python, with references."""

import pytest
from panos.errors import PanDeviceXapiError
from panos.objects import AddressObject, ServiceObject, Tag
from panos.policies import SecurityRule

from simharness import VSYS, members


def test_service_address_and_tag_objects(sim):
    fw = sim.firewall()
    tag = Tag("palosync", color="color5", comments="managed")
    svc = ServiceObject("tcp_8080", protocol="tcp", destination_port="8080,9000-9010", tag=["palosync"])
    host = AddressObject("web-1", value="10.0.1.15", tag=["palosync"])
    net = AddressObject("partners", value="198.51.100.1-198.51.100.9", type="ip-range")
    name = AddressObject("api", value="api.example.com", type="fqdn")
    for obj in [tag, svc, host, net, name]:
        fw.add(obj)
        obj.create()

    fw.xapi.get(VSYS + "/service/entry[@name='tcp_8080']")
    entry = fw.xapi.element_result.find("./entry")
    assert entry.findtext("protocol/tcp/port") == "8080,9000-9010"
    assert members(entry, "tag") == ["palosync"]
    fw.xapi.get(VSYS + "/tag/entry[@name='palosync']")
    assert fw.xapi.element_result.findtext("./entry/color") == "color5"

    refreshed = AddressObject.refreshall(fw)
    values = {a.name: (a.type, a.value) for a in refreshed}
    assert values == {
        "web-1": ("ip-netmask", "10.0.1.15"),
        "partners": ("ip-range", "198.51.100.1-198.51.100.9"),
        "api": ("fqdn", "api.example.com"),
    }
    services = ServiceObject.refreshall(fw)
    assert [(s.name, s.protocol, s.destination_port) for s in services] == [("tcp_8080", "tcp", "8080,9000-9010")]


def test_object_validation_errors(sim):
    fw = sim.firewall()
    bad = [
        ServiceObject("bad-port", protocol="tcp", destination_port="70000"),
        AddressObject("bad-ip", value="10.0.0.999"),
        AddressObject("x" * 64, value="10.0.0.1"),
        ServiceObject("ghost-tag", protocol="udp", destination_port="53", tag=["ghost"]),
    ]
    messages = ["port '70000' is not a valid port", "10.0.0.999 is an invalid ipv4/v6 address",
                "can be at most 63 characters", "tag 'ghost' is not a valid reference"]
    for obj, message in zip(bad, messages):
        fw.add(obj)
        with pytest.raises(PanDeviceXapiError, match=message):
            obj.create()
        fw.remove(obj)
    assert AddressObject.refreshall(fw) == [] and ServiceObject.refreshall(fw) == []


def test_referenced_service_cannot_be_deleted_until_the_rule_is_gone(sim):
    fw, rb = sim.firewall_with_rulebase()
    svc = ServiceObject("tcp_8443", protocol="tcp", destination_port="8443")
    fw.add(svc)
    svc.create()
    rule = SecurityRule("uses-svc", fromzone=["untrust"], tozone=["trust"], source=["any"],
                        destination=["10.0.0.5"], application=["any"], service=["tcp_8443"], action="allow")
    rb.add(rule)
    rule.create()
    with pytest.raises(PanDeviceXapiError, match="tcp_8443 cannot be deleted because of references from"):
        svc.delete()
    with pytest.raises(PanDeviceXapiError, match="rules -> uses-svc -> service"):
        svc.delete()
    rule.delete()
    svc.delete()
    assert ServiceObject.refreshall(fw) == []


def test_renamed_address_is_renamed_in_rules(sim):
    fw, rb = sim.firewall_with_rulebase()
    addr = AddressObject("old-name", value="10.0.0.7/32")
    fw.add(addr)
    addr.create()
    rule = SecurityRule("to-host", fromzone=["any"], tozone=["any"], source=["any"],
                        destination=["old-name"], application=["any"], service=["any"], action="allow")
    rb.add(rule)
    rule.create()
    addr.rename("new-name")
    fresh = [r for r in SecurityRule.refreshall(rb) if r.name == "to-host"][0]
    assert fresh.destination == ["new-name"]
