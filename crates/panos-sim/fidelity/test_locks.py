"""Config and commit locks between two administrators."""

import pytest
from panos.errors import PanDeviceXapiError, PanLockError
from panos.policies import SecurityRule

from simharness import rule_names


def rule(name):
    return SecurityRule(name, fromzone=["any"], tozone=["any"], source=["any"], destination=["10.0.0.1"],
                        application=["any"], service=["any"], action="allow")


def test_config_lock_blocks_other_admin_writes(sim):
    fw_admin, rb_admin = sim.firewall_with_rulebase()
    fw_bob, rb_bob = sim.firewall_with_rulebase(api_key=sim.keygen("bob", "bobpw"))
    assert fw_admin.check_config_locks() is False
    assert fw_admin.add_config_lock(comment="maintenance") is True
    assert fw_bob.check_config_locks() is True
    with pytest.raises(PanLockError, match="currently locked by admin"):
        fw_bob.add_config_lock()
    with pytest.raises(PanLockError, match="You already own a config lock"):
        fw_admin.add_config_lock()
    rb_bob.add(rule("bobs"))
    with pytest.raises(PanLockError, match="Configuration is locked by admin"):
        rb_bob.children[0].create()
    rb_admin.add(rule("admins"))
    rb_admin.children[0].create()  # the holder is not blocked
    assert rule_names(fw_admin) == ["Clean up", "admins"]
    assert fw_admin.remove_config_lock() is True
    with pytest.raises(PanLockError):
        fw_admin.remove_config_lock()
    rb_bob.children[0].create()
    assert rule_names(fw_admin) == ["Clean up", "admins", "bobs"]


def test_commit_lock_blocks_other_admin_commits(sim):
    fw_admin, rb_admin = sim.firewall_with_rulebase()
    fw_bob, _ = sim.firewall_with_rulebase(api_key=sim.keygen("bob", "bobpw"))
    rb_admin.add(rule("r"))
    rb_admin.children[0].create()
    assert fw_admin.add_commit_lock(comment="freeze") is True
    assert fw_bob.check_commit_locks() is True
    with pytest.raises(PanLockError, match="Commit lock is already held by admin"):
        fw_bob.add_commit_lock()
    with pytest.raises(PanDeviceXapiError, match="Other administrators are holding device wide commit locks"):
        fw_bob.commit(sync=True)
    assert fw_admin.commit(sync=True)["success"] is True  # the holder can commit
    assert fw_admin.remove_commit_lock() is True
    assert fw_bob.check_commit_locks() is False
    with pytest.raises(PanLockError, match="Commit lock is not currently held"):
        fw_bob.remove_commit_lock()
