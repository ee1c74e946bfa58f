"""Fixtures of the panos-sim fidelity suite (helpers live in simharness.py, a name that cannot
collide with other conftest modules when several suites run in one pytest session)."""

import os
import subprocess
import sys

import pytest

from simharness import start_sim, stop_sim


@pytest.fixture
def sim():
    s = start_sim()
    yield s
    stop_sim(s)


@pytest.fixture
def sim_with():
    """Starts simulators with extra command-line arguments; stops them after the test."""
    started = []

    def start(*args, **kwargs):
        s = start_sim(*args, **kwargs)
        started.append(s)
        return s

    yield start
    for s in started:
        stop_sim(s)


@pytest.fixture
def panxapi():
    """Runs pan-python's panxapi.py from the same environment as pytest."""
    script = os.path.join(os.path.dirname(sys.executable), "panxapi.py")

    def run(*args):
        out = subprocess.run([sys.executable, script, *args], capture_output=True, text=True, timeout=60)
        return out.returncode, out.stdout + out.stderr

    return run


