"""Panorama through pan-os-python: device groups, pre/post rulebases, the commit to Panorama, the
push with sync_all, show devicegroups via refresh_devices, and firewalls reached with target=."""

import pytest
from panos.firewall import Firewall
from panos.objects import AddressGroup, AddressObject
from panos.panorama import DeviceGroup, PanoramaCommit, PanoramaCommitAll
from panos.policies import PostRulebase, PreRulebase, SecurityRule

from simharness import start_panorama, stop_sim

FW1 = "007951000000001"
FW2 = "007951000000002"
DG1 = "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='dg1']"


@pytest.fixture
def pano_sim():
    s = start_panorama(f"{FW1}:dg1:edge-1", f"{FW2}:dg1:edge-2")
    yield s
    stop_sim(s)


def allow(name, dst, fromzone="untrust"):
    return SecurityRule(name, fromzone=[fromzone], tozone=["trust"], source=["any"], destination=[dst],
                        application=["any"], service=["application-default"], action="allow")


def push(pano, description="push"):
    return pano.commit(cmd=PanoramaCommitAll("device group", "dg1", description=description),
                       sync=True, sync_all=True)


def managed(pano, serial):
    fw = Firewall(serial=serial)
    pano.add(fw)
    return fw


def match(fw, dst, port=443):
    return [r["name"] for r in fw.test_security_policy_match(
        "10.9.9.9", dst, 6, port=port, from_zone="untrust", to_zone="trust", application="ssl")]


def test_system_info_says_panorama(pano_sim):
    pano = pano_sim.panorama()
    version = pano.refresh_system_info().version
    assert version == "10.2.4"
    info = pano.op("show system info").find("./result/system")
    assert info.findtext("model") == "Panorama"


def test_device_group_rule_committed_then_pushed_to_every_firewall(pano_sim):
    pano = pano_sim.panorama()
    dg = DeviceGroup("dg1")
    pano.add(dg)
    addr = AddressObject("web-srv", "10.1.1.5")
    dg.add(addr)
    addr.create()
    pre, post = PreRulebase(), PostRulebase()
    dg.add(pre)
    dg.add(post)
    pre.add(allow("allow-web", "web-srv"))
    pre.children[0].create()
    post.add(allow("late", "10.1.1.6"))
    post.children[0].create()
    assert [r.name for r in SecurityRule.refreshall(pre)] == ["allow-web"]

    committed = pano.commit(sync=True)
    assert committed["success"] is True and committed["result"] == "OK"
    fw1 = managed(pano, FW1)
    assert match(fw1, "10.1.1.5") == ["Clean up"], "a Panorama commit changes no firewall"

    result = push(pano)
    assert result["success"] is True, result
    assert set(result["devices"]) == {FW1, FW2}
    device = result["devices"][FW1]
    assert device["result"] == "OK" and device["name"] == "edge-1" and device["starttime"]
    assert "Configuration committed successfully" in str(device["messages"])
    assert match(fw1, "10.1.1.5") == ["allow-web"]
    assert match(managed(pano, FW2), "10.1.1.6") == ["Clean up"], "post-rules follow local rules"

    job = result["xml"].find("./result/job")
    assert job.findtext("type") == "CommitAll" and job.findtext("dgname") == "dg1"
    assert job.findtext("description") == "push"


def test_refresh_devices_reads_sync_status(pano_sim):
    pano = pano_sim.panorama()
    groups = pano.refresh_devices()
    [dg] = [g for g in groups if isinstance(g, DeviceGroup)]
    fws = {fw.serial: fw for fw in dg.children if isinstance(fw, Firewall)}
    assert set(fws) == {FW1, FW2}
    assert fws[FW1].state.connected is True
    assert fws[FW1].state.shared_policy_synced is False, "never pushed"
    assert push(pano)["success"] is True
    dg = [g for g in pano.refresh_devices() if isinstance(g, DeviceGroup)][0]
    assert all(fw.state.shared_policy_synced for fw in dg.children if isinstance(fw, Firewall))


def test_a_zone_missing_on_the_firewalls_fails_their_push(pano_sim):
    pano = pano_sim.panorama()
    dg = DeviceGroup("dg1")
    pano.add(dg)
    pre = PreRulebase()
    dg.add(pre)
    pre.add(allow("from-dmz", "any", fromzone="dmz"))
    pre.children[0].create()  # Panorama does not check zones
    assert pano.commit(sync=True)["success"] is True
    result = push(pano)
    assert result["success"] is False and result["result"] == "OK"
    device = result["devices"][FW2]
    assert device["success"] is False and device["result"] == "FAIL"
    assert any("from 'dmz' is not a valid reference" in m for m in device["messages"]), device


def test_push_faults_through_the_test_endpoint(pano_sim):
    pano = pano_sim.panorama()
    pano_sim.faults(fail_pushes={FW1: 1})
    result = push(pano)
    assert result["devices"][FW1]["success"] is False
    assert result["devices"][FW2]["success"] is True
    stats = pano_sim.stats()
    assert stats["commit_all_requests"] == 1 and stats["pushes"] == 2 and stats["pushes_failed"] == 1


def test_user_id_through_target_feeds_the_pushed_dynamic_group(pano_sim):
    pano = pano_sim.panorama()
    dg = DeviceGroup("dg1")
    pano.add(dg)
    group = AddressGroup("web-servers", dynamic_value="'palosync.web'")
    dg.add(group)
    group.create()
    pre = PreRulebase()
    dg.add(pre)
    pre.add(allow("to-web", "web-servers"))
    pre.children[0].create()
    assert pano.commit(sync=True)["success"] is True
    assert push(pano)["success"] is True
    fw1 = managed(pano, FW1)
    assert match(fw1, "10.6.0.7") == ["Clean up"]
    fw1.userid.register("10.6.0.7", tags=["palosync.web"])
    assert fw1.userid.get_registered_ip(tags=["palosync.web"]) == {"10.6.0.7": ["palosync.web"]}
    assert match(fw1, "10.6.0.7") == ["to-web"]
    assert match(managed(pano, FW2), "10.6.0.7") == ["Clean up"]


def test_partial_commit_scoped_to_an_admin_and_device_group(pano_sim):
    pano = pano_sim.panorama()
    bob = pano_sim.panorama(api_key=pano_sim.keygen("bob", "bobpw"))
    pano.xapi.set(DG1 + "/address", "<entry name='a1'><ip-netmask>10.0.0.1</ip-netmask></entry>")
    bob.xapi.set(DG1 + "/address", "<entry name='b1'><ip-netmask>10.0.0.2</ip-netmask></entry>")
    result = bob.commit(sync=True, cmd=PanoramaCommit(admins=["bob"], device_groups=["dg1"], description="bob"))
    assert result["success"] is True and result["user"] == "bob"
    assert pano_sim.running(pano, DG1 + "/address/entry[@name='b1']") is not None
    assert pano_sim.running(pano, DG1 + "/address/entry[@name='a1']") is None
    assert pano.pending_changes() is True
