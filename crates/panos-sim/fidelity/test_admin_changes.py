"""Two administrators' pending changes through pan-os-python: the global pending-changes check,
the list of admins with changes, reverting one admin's changes, and a delete of a service that an
operator's service group still names (issue 12 items 1, 3 and 9)."""

import pytest
from panos.errors import PanDeviceXapiError
from panos.objects import ServiceGroup, ServiceObject
from panos.policies import SecurityRule

from simharness import rule_names

LIST_ADMINS = "<show><config><list><admins></admins></list></config></show>"


def revert_partial(admin):
    return f"<revert><config><partial><admin><member>{admin}</member></admin></partial></config></revert>"


def rule(name):
    return SecurityRule(name, fromzone=["any"], tozone=["any"], source=["any"], destination=["10.0.0.1"],
                        application=["any"], service=["any"], action="allow")


def admins_with_changes(fw):
    fw.xapi.op(cmd=LIST_ADMINS)
    return [m.text for m in fw.xapi.element_result.findall("./admins/member")]


def test_pending_changes_are_global_and_reverting_one_admin_keeps_the_others(sim):
    fw_admin, rb_admin = sim.firewall_with_rulebase()
    fw_bob, rb_bob = sim.firewall_with_rulebase(api_key=sim.keygen("bob", "bobpw"))
    assert fw_admin.pending_changes() is False
    assert admins_with_changes(fw_admin) == []
    rb_bob.add(rule("bobs-allow-all"))
    rb_bob.children[0].create()
    assert fw_admin.pending_changes() is True, "another admin's change counts"
    rb_admin.add(rule("mine"))
    rb_admin.children[0].create()
    assert admins_with_changes(fw_admin) == ["bob", "admin"]

    fw_admin.xapi.op(cmd=revert_partial("admin"))
    assert "reverted" in (fw_admin.xapi.element_result.text or "")
    assert rule_names(fw_admin) == ["Clean up", "bobs-allow-all"]
    assert admins_with_changes(fw_admin) == ["bob"]
    fw_admin.xapi.op(cmd=revert_partial("admin"))  # nothing left to revert: still success
    fw_bob.xapi.op(cmd=revert_partial("bob"))
    assert fw_admin.pending_changes() is False
    assert rule_names(fw_admin) == ["Clean up"]


def test_a_service_in_an_operator_service_group_cannot_be_deleted(sim):
    fw = sim.firewall()
    svc = ServiceObject("tcp_8443", protocol="tcp", destination_port="8443")
    other = ServiceObject("tcp_9443", protocol="tcp", destination_port="9443")
    for obj in (svc, other):
        fw.add(obj)
        obj.create()
    group = ServiceGroup("operator-ports", value=["tcp_9443", "tcp_8443"])
    fw.add(group)
    group.create()
    with pytest.raises(PanDeviceXapiError, match="tcp_8443 cannot be deleted because of references from"):
        svc.delete()
    with pytest.raises(PanDeviceXapiError, match="service-group -> operator-ports -> members"):
        svc.delete()
    group.value = ["tcp_9443"]
    group.apply()
    svc.delete()
    assert [s.name for s in ServiceObject.refreshall(fw)] == ["tcp_9443"]
