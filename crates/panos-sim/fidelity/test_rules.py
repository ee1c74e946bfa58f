"""Security rules through pan-os-python: refresh, create, apply, update, move, rename, delete."""

import pytest
from panos.errors import PanDeviceXapiError
from panos.policies import SecurityRule

from simharness import RULES, members, rule_names


def palosync_rule(name="i-0abc-1", **overrides):
    fields = dict(
        name=name,
        fromzone=["untrust"],
        tozone=["trust"],
        source=["203.0.113.0/24", "198.51.100.7"],
        source_user=["any"],
        destination=["10.0.1.15"],
        category=["any"],
        application=["ssh"],
        service=["application-default"],
        action="allow",
        description="sg-123 tcp/22 from 203.0.113.0/24 (RunInstances ev-1)",
        tag=["palosync"],
        group="default",
        log_start=False,
        log_end=True,
        disabled=False,
    )
    fields.update(overrides)
    return SecurityRule(**fields)


def add_palosync_tag(fw):
    from panos.objects import Tag

    tag = Tag("palosync", color="color3")
    fw.add(tag)
    tag.create()


def test_refreshall_reads_default_rulebase(sim):
    fw, rb = sim.firewall_with_rulebase()
    rules = SecurityRule.refreshall(rb)
    assert [r.name for r in rules] == ["Clean up"]
    assert rules[0].action == "deny"
    assert rules[0].uuid


def test_create_rule_with_every_palosync_field(sim):
    fw, rb = sim.firewall_with_rulebase()
    add_palosync_tag(fw)
    rule = palosync_rule()
    rb.add(rule)
    rule.create()
    assert rule_names(fw) == ["Clean up", "i-0abc-1"]
    fresh = SecurityRule.refreshall(rb)[1]
    assert fresh.uuid and fresh.uuid != SecurityRule.refreshall(rb)[0].uuid
    assert fresh.fromzone == ["untrust"] and fresh.tozone == ["trust"]
    assert fresh.source == ["203.0.113.0/24", "198.51.100.7"]
    assert fresh.destination == ["10.0.1.15"]
    assert fresh.application == ["ssh"] and fresh.service == ["application-default"]
    assert fresh.action == "allow" and fresh.tag == ["palosync"] and fresh.group in ("default", ["default"])
    assert fresh.description.startswith("sg-123") and fresh.log_end is True


def test_apply_replaces_rule_and_keeps_uuid(sim):
    fw, rb = sim.firewall_with_rulebase()
    add_palosync_tag(fw)
    rb.add(palosync_rule())
    rb.children[0].create()
    before = SecurityRule.refreshall(rb)[1]
    before.destination = ["10.0.1.16", "10.0.1.17"]
    before.description = "replaced"
    before.tag = None
    before.apply()
    after = SecurityRule.refreshall(rb)[1]
    assert after.uuid == before.uuid
    assert after.destination == ["10.0.1.16", "10.0.1.17"]
    assert after.description == "replaced"
    assert after.tag is None  # edit replaces: fields absent from the element are gone


def test_update_one_field_and_delete_absent_leaf(sim):
    fw, rb = sim.firewall_with_rulebase()
    rule = palosync_rule(tag=None)
    rb.add(rule)
    rule.create()
    rule.description = "new description"
    rule.update("description")
    rule.update("tag")  # tag is None: a delete of an absent leaf must succeed
    fw.xapi.get(RULES + "/entry[@name='i-0abc-1']")
    entry = fw.xapi.element_result.find("./entry")
    assert entry.findtext("description") == "new description"
    assert entry.find("tag") is None
    assert members(entry, "destination") == ["10.0.1.15"]


def test_move_before_after_top_bottom(sim):
    fw, rb = sim.firewall_with_rulebase()
    for n in ["r1", "r2", "r3"]:
        r = palosync_rule(name=n, tag=None)
        rb.add(r)
        r.create()
    r1, r2, r3 = rb.children
    assert rule_names(fw) == ["Clean up", "r1", "r2", "r3"]
    r3.move("before", "Clean up")
    assert rule_names(fw) == ["r3", "Clean up", "r1", "r2"]
    r3.move("after", "r1")
    assert rule_names(fw) == ["Clean up", "r1", "r3", "r2"]
    r2.move("top")
    assert rule_names(fw) == ["r2", "Clean up", "r1", "r3"]
    r2.move("bottom")
    assert rule_names(fw) == ["Clean up", "r1", "r3", "r2"]
    with pytest.raises(PanDeviceXapiError, match="already at the bottom"):
        r2.move("bottom")


def test_rename_keeps_position_and_uuid_then_delete(sim):
    fw, rb = sim.firewall_with_rulebase()
    for n in ["a", "b"]:
        r = palosync_rule(name=n, tag=None)
        rb.add(r)
        r.create()
    rule_a = SecurityRule.refreshall(rb)[1]
    uuid_a = rule_a.uuid
    rule_a.rename("a2")
    assert rule_names(fw) == ["Clean up", "a2", "b"]
    fresh = SecurityRule.refreshall(rb)
    assert fresh[1].name == "a2" and fresh[1].uuid == uuid_a
    fresh[1].delete()
    assert rule_names(fw) == ["Clean up", "b"]


def test_set_time_validation_rejects_bad_rules(sim):
    fw, rb = sim.firewall_with_rulebase()
    cases = [
        (dict(fromzone=["nowhere"]), "from 'nowhere' is not a valid reference"),
        (dict(service=["tcp_9999"]), "service 'tcp_9999' is not a valid reference"),
        (dict(destination=["10.0.0.300"]), "destination 10.0.0.300 is an invalid ipv4/v6 address"),
        (dict(action="permit"), "action 'permit' is not an allowed keyword"),
        (dict(group="nope"), "group 'nope' is not a valid reference"),
        (dict(tag=["ghost"]), "tag 'ghost' is not a valid reference"),
        (dict(name="x" * 64), "can be at most 63 characters, but current length: 64"),
    ]
    for overrides, message in cases:
        rule = palosync_rule(**{"tag": None, **overrides})
        rb.add(rule)
        with pytest.raises(PanDeviceXapiError, match=message):
            rule.create()
        rb.remove(rule)
    assert rule_names(fw) == ["Clean up"]
