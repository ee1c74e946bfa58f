"""Starting from a configuration file and reporting another PAN-OS version."""

import subprocess

from panos.policies import SecurityRule

from simharness import _sim_binary


def test_config_file_and_pan_os_8_text_policy_match(sim_with, tmp_path):
    # `show config running` output of a small 8.1 firewall, wrapped in its <response>.
    config = tmp_path / "running.xml"
    config.write_text("""<response status="success"><result><config version="8.1.0">
      <devices><entry name="localhost.localdomain"><vsys><entry name="vsys1">
        <zone><entry name="inside"/><entry name="outside"/></zone>
        <rulebase><security><rules>
          <entry name="legacy-web"><from><member>outside</member></from><to><member>inside</member></to>
            <source><member>any</member></source><destination><member>10.1.1.1</member></destination>
            <source-user><member>any</member></source-user><category><member>any</member></category>
            <application><member>web-browsing</member></application>
            <service><member>application-default</member></service>
            <hip-profiles><member>any</member></hip-profiles><action>allow</action></entry>
        </rules></security></rulebase>
      </entry></vsys></entry></devices></config></result></response>""")
    sim = sim_with("--config", str(config), "--sw-version", "8.1.9")
    fw, rb = sim.firewall_with_rulebase()
    assert fw.refresh_system_info().version == "8.1.9"
    rules = SecurityRule.refreshall(rb)
    assert [(r.name, r.hip_profiles) for r in rules] == [("legacy-web", ["any"])]
    assert fw.commit(sync=True) is None  # running == candidate: nothing to commit
    hit = fw.test_security_policy_match("192.0.2.1", "10.1.1.1", 6, port=80, application="web-browsing",
                                        from_zone="outside", to_zone="inside")
    assert hit == [{"name": "legacy-web", "index": 1}]  # the 8.x "name; index: N" text shape


def test_bad_config_file_is_a_clear_startup_error(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<config><unclosed></config>")
    out = subprocess.run([_sim_binary(), "--api-key", "k", "--config", str(bad)], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "configuration is not valid XML" in out.stderr
