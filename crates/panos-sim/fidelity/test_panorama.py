"""Panorama through pan-os-python: device-group rules, a commit to Panorama that changes no
firewall, a push with PanoramaCommitAll waited on with sync_all, and a managed firewall asked
through Panorama (pan-os-python's Firewall(serial=...) under a Panorama sends target=<serial>)."""

from panos.firewall import Firewall
from panos.panorama import DeviceGroup, Panorama, PanoramaCommitAll
from panos.policies import PostRulebase, PreRulebase, SecurityRule

from simharness import ADMIN_KEY

DG = "/config/devices/entry[@name='localhost.localdomain']/device-group/entry[@name='aws']"


def start_panorama(sim_with):
    return sim_with(
        "--panorama", "--sw-version", "11.1.2",
        "--managed-device", "0079001:aws:fw-a",
        "--managed-device", "0079002:aws:fw-b",
        "--managed-device", "0079003:branch:fw-c",
    )


def partner_rule(name="partner-web"):
    return SecurityRule(name, fromzone=["untrust"], tozone=["trust"], source=["198.51.100.0/24"],
                        destination=["10.0.1.10"], application=["ssl"], service=["application-default"],
                        action="allow")


def first_match(pano, serial):
    fw = Firewall(serial=serial)
    pano.add(fw)
    answer = fw.test_security_policy_match(
        "198.51.100.7", "10.0.1.10", 6, port=443, from_zone="untrust", to_zone="trust", application="ssl")
    pano.remove(fw)
    return answer[0]["name"] if answer else None


def test_device_group_rules_commit_to_panorama_and_reach_firewalls_only_by_a_push(sim_with):
    sim = start_panorama(sim_with)
    pano = Panorama(sim.host, api_key=ADMIN_KEY, port=sim.port)
    dg = DeviceGroup("aws")
    pano.add(dg)
    pre = PreRulebase()
    dg.add(pre)
    pre.add(partner_rule())
    pre.children[0].create()
    post = PostRulebase()
    dg.add(post)
    post.add(SecurityRule("last-deny", fromzone=["any"], tozone=["any"], action="deny"))
    post.children[0].create()

    names = [r.name for r in SecurityRule.refreshall(pre)]
    assert names == ["partner-web"]
    assert [r.name for r in SecurityRule.refreshall(post)] == ["last-deny"]

    result = pano.commit(sync=True)
    assert result["success"] is True and result["result"] == "OK"
    assert first_match(pano, "0079001") == "Clean up", "a commit to Panorama changes no firewall"

    push = pano.commit(cmd=PanoramaCommitAll("device group", "aws", description="push"),
                       sync=True, sync_all=True)
    assert push["success"] is True, push
    devices = push["devices"]
    assert sorted(devices) == ["0079001", "0079002"], "only the group's firewalls"
    assert devices["0079001"]["name"] == "fw-a" and devices["0079001"]["result"] == "OK"
    assert first_match(pano, "0079001") == "partner-web"
    assert first_match(pano, "0079002") == "partner-web"
    assert first_match(pano, "0079003") == "Clean up", "another group's firewall gets nothing"


def test_a_failed_push_is_reported_per_firewall(sim_with):
    sim = start_panorama(sim_with)
    pano = Panorama(sim.host, api_key=ADMIN_KEY, port=sim.port)
    dg = DeviceGroup("aws")
    pano.add(dg)
    pre = PreRulebase()
    dg.add(pre)
    pre.add(SecurityRule("to-dmz", fromzone=["dmz"], tozone=["trust"], action="allow"))
    pre.children[0].create()  # zones live in templates: Panorama accepts it
    pano.commit(sync=True)
    sim.faults(fail_pushes={"0079002": 1})
    push = pano.commit(cmd=PanoramaCommitAll("device group", "aws"), sync=True, sync_all=True)
    assert push["success"] is False
    assert push["devices"]["0079001"]["result"] == "FAIL", "dmz is no zone of the firewall"
    assert "not a valid reference" in str(push["devices"]["0079001"]["messages"])
    assert push["devices"]["0079002"]["result"] == "FAIL"


def test_refresh_devices_reads_devicegroups_and_sync_status(sim_with):
    sim = start_panorama(sim_with)
    pano = Panorama(sim.host, api_key=ADMIN_KEY, port=sim.port)
    xml = pano.op("show devicegroups")
    entries = xml.findall("./result/devicegroups/entry")
    assert sorted(e.get("name") for e in entries) == ["aws", "branch"]
    statuses = {d.findtext("serial"): d.findtext("shared-policy-status")
                for d in xml.findall("./result/devicegroups/entry/devices/entry")}
    assert statuses == {"0079001": "Out of Sync", "0079002": "Out of Sync", "0079003": "Out of Sync"}
