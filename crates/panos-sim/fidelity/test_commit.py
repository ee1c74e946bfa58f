"""Commits and jobs through pan-os-python and panxapi.py."""

from panos.firewall import FirewallCommit
from panos.policies import SecurityRule

from simharness import ADMIN_KEY, RULES, VSYS, rule_names


def allow_rule(name, dst="10.0.0.5"):
    return SecurityRule(name, fromzone=["untrust"], tozone=["trust"], source=["any"], destination=[dst],
                        application=["ssl"], service=["application-default"], action="allow")


def running_rule_names(sim, fw):
    result = sim.running(fw, RULES)
    return [e.get("name") for e in result.findall("./rules/entry")]


def test_commit_sync_ok_moves_candidate_to_running(sim):
    fw, rb = sim.firewall_with_rulebase()
    rb.add(allow_rule("web"))
    rb.children[0].create()
    assert fw.pending_changes() is True
    assert running_rule_names(sim, fw) == ["Clean up"]
    result = fw.commit(sync=True)
    assert result["success"] is True and result["result"] == "OK"
    assert result["user"] == "admin" and result["starttime"] and result["endtime"]
    assert "Configuration committed successfully" in str(result["messages"])
    assert running_rule_names(sim, fw) == ["Clean up", "web"]
    assert fw.pending_changes() is False
    # Nothing left: no job, pan-os-python returns None.
    assert fw.commit(sync=True) is None


def test_commit_progresses_act_to_fin_and_queues(sim_with):
    # Long enough that the first job is still running when we look, even on a busy machine.
    sim = sim_with(commit_ms=3000)
    fw, rb = sim.firewall_with_rulebase()
    rb.add(allow_rule("web"))
    rb.children[0].create()
    first = fw.commit()
    second = fw.commit(cmd=FirewallCommit(force=True))
    assert int(second) == int(first) + 1
    job = fw.op('show jobs id "%s"' % first).find("./result/job")
    assert job.findtext("status") == "ACT" and 0 <= int(job.findtext("progress")) < 100
    queued = fw.op('show jobs id "%s"' % second).find("./result/job")
    assert queued.findtext("status") == "PEND" and queued.findtext("queued") == "YES"
    result = fw.syncjob(second)
    assert result["success"] is True
    all_jobs = fw.op("show jobs all").findall("./result/job")
    assert [j.findtext("status") for j in all_jobs] == ["FIN", "FIN"]
    assert all(j.findtext("progress") == "100" for j in all_jobs)


def test_commit_fail_from_fault_and_from_commit_time_validation(sim):
    fw, rb = sim.firewall_with_rulebase()
    rb.add(allow_rule("web"))
    rb.children[0].create()
    sim.faults(fail_commits=1)
    failed = fw.commit(sync=True)
    assert failed["success"] is False and failed["result"] == "FAIL"
    assert running_rule_names(sim, fw) == ["Clean up"]
    assert fw.pending_changes() is True

    # An address without a type passes `set` but fails the commit, as on a device.
    fw.xapi.set(VSYS + "/address", "<entry name='typeless'><description>d</description></entry>")
    failed = fw.commit(sync=True)
    assert failed["success"] is False
    assert any("typeless is missing one of ip-netmask" in m for m in failed["messages"])
    fw.xapi.delete(VSYS + "/address/entry[@name='typeless']")
    ok = fw.commit(sync=True)
    assert ok["success"] is True
    assert running_rule_names(sim, fw) == ["Clean up", "web"]
    stats = sim.stats()
    assert stats["commits_failed"] == 2 and stats["commits_finished"] == 3


def test_partial_commit_leaves_other_admins_change_pending(sim):
    bob_key = sim.keygen("bob", "bobpw")
    assert bob_key and bob_key != ADMIN_KEY
    fw_admin, rb_admin = sim.firewall_with_rulebase()
    fw_bob, rb_bob = sim.firewall_with_rulebase(api_key=bob_key)
    rb_bob.add(allow_rule("bobs-rule", "10.0.0.6"))
    rb_bob.children[0].create()
    rb_admin.add(allow_rule("admins-rule", "10.0.0.7"))
    rb_admin.children[0].create()
    result = fw_bob.commit(sync=True, cmd=FirewallCommit(admins=["bob"], description="bob only"))
    assert result["success"] is True and result["user"] == "bob"
    assert running_rule_names(sim, fw_admin) == ["Clean up", "bobs-rule"]
    assert rule_names(fw_admin) == ["Clean up", "bobs-rule", "admins-rule"]
    assert fw_admin.pending_changes() is True
    # bob has nothing left to commit; admin's own partial commit picks up admin's rule.
    assert fw_bob.commit(sync=True, admins=["bob"]) is None
    result = fw_admin.commit(sync=True, admins=["admin"])
    assert result["success"] is True
    assert running_rule_names(sim, fw_admin) == ["Clean up", "bobs-rule", "admins-rule"]
    # uuids in running are the ones the candidate assigned.
    cand = {e.get("name"): e.get("uuid") for e in sim.candidate(fw_admin, RULES).findall("./rules/entry")}
    run = {e.get("name"): e.get("uuid") for e in sim.running(fw_admin, RULES).findall("./rules/entry")}
    assert cand == run
    assert fw_admin.pending_changes() is False


def test_panxapi_keygen_get_set_commit(sim, panxapi):
    host = f"{sim.host}"
    port = str(sim.port)
    rc, out = panxapi("-h", host, "-P", port, "-l", "bob:bobpw", "-k")
    assert rc == 0, out
    key = out.split('"')[1] if '"' in out else out.strip().split()[-1]
    common = ["-h", host, "-P", port, "-K", key]
    rc, out = panxapi(*common, "-S", "<entry name='cli-host'><ip-netmask>10.9.9.9</ip-netmask></entry>", VSYS + "/address")
    assert rc == 0, out
    rc, out = panxapi(*common, "-x", "-g", VSYS + "/address/entry[@name='cli-host']")
    assert rc == 0 and "10.9.9.9" in out, out
    rc, out = panxapi(*common, "-x", "--sync", "-C", "")
    assert rc == 0 and "Configuration committed successfully" in out, out
    fw = sim.firewall()
    shown = sim.running(fw, VSYS + "/address/entry[@name='cli-host']")
    assert shown.findtext("./entry/ip-netmask") == "10.9.9.9"
    assert fw.op("show jobs all").find("./result/job/user").text == "bob"
