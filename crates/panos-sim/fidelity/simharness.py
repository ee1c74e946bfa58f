"""Harness for the fidelity suite: drive the real `panos-sim` binary with Palo Alto Networks' own clients
(pan-os-python and pan-python's panxapi.py) and assert the resulting configuration.

Run from the repository root:
    cargo build -p panos-sim
    PANOS_SIM_BIN=$CARGO_TARGET_DIR/debug/panos-sim python -m pytest crates/panos-sim/fidelity -q
"""

import json
import os
import pathlib
import re
import ssl
import subprocess
import urllib.request

import pytest
from panos.firewall import Firewall
from panos.policies import Rulebase

ADMIN_KEY = "fidelityAdminKey0123456789=="
VSYS = "/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='vsys1']"
RULES = VSYS + "/rulebase/security/rules"
COMMIT_MS = 300


def _sim_binary():
    explicit = os.environ.get("PANOS_SIM_BIN")
    if explicit:
        return explicit
    target = os.environ.get("CARGO_TARGET_DIR") or str(
        pathlib.Path(__file__).resolve().parents[3] / "target"
    )
    return os.path.join(target, "debug", "panos-sim")


class Sim:
    """One running simulator process and helpers to talk to it."""

    def __init__(self, proc, url):
        self.proc = proc
        self.url = url
        m = re.match(r"https://([^:]+):(\d+)", url)
        self.host, self.port = m.group(1), int(m.group(2))
        self._ctx = ssl.create_default_context()
        self._ctx.check_hostname = False
        self._ctx.verify_mode = ssl.CERT_NONE

    def firewall(self, api_key=ADMIN_KEY):
        fw = Firewall(self.host, api_key=api_key, port=self.port)
        return fw

    def panorama(self, api_key=ADMIN_KEY):
        from panos.panorama import Panorama
        return Panorama(self.host, api_key=api_key, port=self.port)

    def firewall_with_rulebase(self, api_key=ADMIN_KEY):
        fw = self.firewall(api_key)
        rb = Rulebase()
        fw.add(rb)
        return fw, rb

    def keygen(self, user, password):
        fw = Firewall(self.host, api_username=user, api_password=password, port=self.port)
        return fw.api_key  # triggers type=keygen with the username and password

    def _sim_call(self, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.url + path, data=data, method="POST" if data is not None or path.endswith("reset") else "GET")
        with urllib.request.urlopen(req, context=self._ctx, timeout=10) as resp:
            return json.loads(resp.read())

    def stats(self):
        return self._sim_call("/_sim/stats")

    def faults(self, **plan):
        return self._sim_call("/_sim/faults", plan)

    def running(self, fw, xpath):
        """The running node(s) at xpath, via `show` (None if absent)."""
        try:
            fw.xapi.show(xpath)
        except Exception as e:  # pan-python raises on `No such node`
            if "No such node" in str(e):
                return None
            raise
        return fw.xapi.element_result

    def candidate(self, fw, xpath):
        """The candidate node(s) at xpath, via `get` (None if absent)."""
        fw.xapi.get(xpath)
        result = fw.xapi.element_result
        return result if result is not None and len(result) else None


def start_sim(*extra_args, commit_ms=COMMIT_MS):
    binary = _sim_binary()
    if not os.path.exists(binary):
        pytest.fail(f"panos-sim binary not found at {binary}; build it and set PANOS_SIM_BIN")
    proc = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0", "--api-key", ADMIN_KEY, "--admin", "admin:adminpw",
         "--admin", "bob:bobpw", "--tls-self-signed", "--commit-ms", str(commit_ms), *extra_args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line = proc.stdout.readline()
    m = re.search(r"listening on (\S+)", line)
    if not m:
        proc.kill()
        pytest.fail(f"panos-sim did not start: {line!r} {proc.stderr.read()}")
    return Sim(proc, m.group(1))


def start_panorama(*devices, commit_ms=COMMIT_MS):
    """Starts `panos-sim --panorama` managing `devices`, each "SERIAL:DG[:HOSTNAME]"."""
    args = ["--panorama"]
    for spec in devices:
        args += ["--managed-device", spec]
    return start_sim(*args, commit_ms=commit_ms)


def stop_sim(s):
    s.proc.terminate()
    try:
        s.proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        s.proc.kill()


def rule_names(fw, xpath=RULES):
    fw.xapi.get(xpath)
    root = fw.xapi.element_result
    return [e.get("name") for e in root.findall("./rules/entry")] if root is not None else []


def members(node, field):
    return [m.text for m in node.findall(f"./{field}/member")]


def add_and_create(parent, *objects):
    """Adds each pan-os-python object to its parent (firewall or rulebase) and creates it."""
    for obj in objects:
        parent.add(obj)
        obj.create()
    return objects
