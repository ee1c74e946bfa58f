"""User-ID tag registrations and dynamic address groups through pan-os-python's `userid`
(register, unregister, get_registered_ip with its 500-entry paging, audit_registered_ip) and a
DAG resolving in `test security-policy-match` without a commit; and `--max-rules` failing a commit."""

import pytest
from pan.xapi import PanXapiError

import panos.errors as err
from panos.objects import AddressGroup
from panos.policies import SecurityRule
from simharness import RULES, add_and_create


def test_register_read_back_and_unregister(sim):
    fw = sim.firewall()
    fw.userid.register("10.0.1.5", ["palosync.sg-0abc", "web"])
    fw.userid.register(["10.0.1.6", "2001:db8::6"], "web", timeout=3600)
    assert fw.userid.get_registered_ip() == {
        "10.0.1.5": ["palosync.sg-0abc", "web"],
        "10.0.1.6": ["web"],
        "2001:db8::6": ["web"],
    }
    assert set(fw.userid.get_registered_ip(tags="palosync.sg-0abc")) == {"10.0.1.5"}
    assert fw.userid.get_registered_ip(ip="10.0.1.6") == {"10.0.1.6": ["web"]}

    fw.userid.unregister("10.0.1.5", "web")
    fw.userid.unregister(["10.0.1.6", "2001:db8::6"], "web")
    assert fw.userid.get_registered_ip() == {"10.0.1.5": ["palosync.sg-0abc"]}


def test_duplicates_and_missing_tags_are_ignored_as_on_a_device(sim):
    fw = sim.firewall()
    fw.userid.register("10.0.0.1", "a")
    fw.userid.register("10.0.0.1", "a")  # "already exists, ignore": no exception
    fw.userid.unregister("10.0.0.1", "never-there")  # "does not exist, ignore unreg"
    assert fw.userid.get_registered_ip() == {"10.0.0.1": ["a"]}

    strict = sim.firewall()
    strict.userid.ignore_dup_errors = False
    with pytest.raises((err.PanDeviceXapiError, PanXapiError)) as raised:
        strict.userid.register("10.0.0.1", "a")
    assert str(raised.value).endswith("already exists, ignore")


def test_get_registered_ip_pages_past_500_entries(sim):
    fw = sim.firewall()
    ips = [f"10.1.{i // 250}.{i % 250 + 1}" for i in range(1203)]
    fw.userid.batch_start()
    fw.userid.register(ips, "bulk")
    fw.userid.batch_end()
    got = fw.userid.get_registered_ip(tags="bulk")
    assert len(got) == 1203
    assert set(got) == set(ips)
    stats = sim.stats()
    assert stats["by_op"].get("show object registered-ip", 0) == 3


def test_audit_registered_ip_converges_in_one_message(sim):
    fw = sim.firewall()
    fw.userid.register("10.0.0.1", ["keep", "drop"])
    fw.userid.register("10.0.0.2", "gone")
    fw.userid.audit_registered_ip({"10.0.0.1": ("keep", "add"), "10.0.0.3": ("new",)})
    assert fw.userid.get_registered_ip() == {"10.0.0.1": ["add", "keep"], "10.0.0.3": ["new"]}


def test_invalid_address_is_refused(sim):
    fw = sim.firewall()
    with pytest.raises((err.PanDeviceXapiError, PanXapiError)) as raised:
        fw.userid.register("not-an-ip", "t")
    assert "Invalid IP address" in str(raised.value)
    assert fw.userid.get_registered_ip() == {}


def test_tag_limit_refuses_the_whole_message(sim_with):
    sim = sim_with("--max-tags-per-address", "2")
    fw = sim.firewall()
    with pytest.raises((err.PanDeviceXapiError, PanXapiError)) as raised:
        fw.userid.register("10.0.0.1", ["a", "b", "c"])
    assert "maximum number of tags (2)" in str(raised.value)
    assert fw.userid.get_registered_ip() == {}


def test_dynamic_group_matches_registrations_without_a_commit(sim):
    fw, rb = sim.firewall_with_rulebase()
    add_and_create(fw, AddressGroup("web-sg", dynamic_value="'palosync.sg-0abc' or ('web' and 'prod')"))
    (rule,) = add_and_create(rb, SecurityRule(
        "ssh-to-sg", fromzone=["untrust"], tozone=["trust"], source=["any"], destination=["web-sg"],
        application=["any"], service=["any"], action="allow"))
    rule.move("top")
    assert fw.commit(sync=True)["success"] is True

    def match(dst):
        hits = fw.test_security_policy_match("192.0.2.1", dst, 6, port=22, from_zone="untrust", to_zone="trust")
        return hits[0]["name"]

    assert match("10.0.1.5") == "Clean up"
    fw.userid.register("10.0.1.5", "palosync.sg-0abc")
    assert match("10.0.1.5") == "ssh-to-sg"
    fw.userid.unregister("10.0.1.5", "palosync.sg-0abc")
    assert match("10.0.1.5") == "Clean up"


def test_bad_filter_is_refused_at_set(sim):
    fw = sim.firewall()
    dag = AddressGroup("bad", dynamic_value="'a' and")
    fw.add(dag)
    with pytest.raises(err.PanDeviceXapiError) as raised:
        dag.create()
    assert "dynamic -> filter is invalid" in str(raised.value)


def test_commit_over_max_rules_fails_with_the_limit_in_its_messages(sim_with):
    sim = sim_with("--max-rules", "2")
    fw, rb = sim.firewall_with_rulebase()
    add_and_create(rb, *[
        SecurityRule(name, fromzone=["any"], tozone=["any"], source=["any"], destination=[dst],
                     application=["any"], service=["any"], action="allow")
        for name, dst in [("r1", "10.0.0.1"), ("r2", "10.0.0.2")]
    ])
    result = fw.commit(sync=True)
    assert result["success"] is False and result["result"] == "FAIL"
    assert "exceed the maximum of 2" in str(result["messages"])
    running = sim.running(fw, RULES)
    assert [e.get("name") for e in running.findall("./rules/entry")] == ["Clean up"]
