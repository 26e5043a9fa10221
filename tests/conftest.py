"""Pure-pytest fixtures (no Odoo).

``lightspeed_connector/__init__.py`` imports odoo, so a stub package module is registered first:
``import lightspeed_connector.api`` then only executes the ``api`` sub-package.
"""

import json
import os
import subprocess
import sys
import threading
import types
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
_stub = types.ModuleType("lightspeed_connector")
_stub.__path__ = [str(ROOT / "lightspeed_connector")]
sys.modules.setdefault("lightspeed_connector", _stub)

from lightspeed_connector.api import LightspeedClient, LightspeedOAuth, TokenSet  # noqa: E402

READY = "LIGHTSPEED_SIMULATOR_READY "


class SimProcess:
    """A simulator subprocess plus small helpers for its test hooks."""

    def __init__(self, *args, timeout=30):
        cmd = [sys.executable, "-m", "lightspeed_simulator", "--port", "0", *map(str, args)]
        self.proc = subprocess.Popen(
            cmd,
            cwd=str(ROOT),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()))
        reader.daemon = True
        reader.start()
        reader.join(timeout)
        if not line or not line[0].startswith(READY):
            self.stop()
            raise RuntimeError(f"simulator did not start: {line!r}")
        self.base_url = line[0][len(READY) :].strip()

    def hook(self, action, **data):
        req = urllib.request.Request(
            f"{self.base_url}/_sim/{action}",
            data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def get(self, path):
        with urllib.request.urlopen(f"{self.base_url}{path}", timeout=10) as resp:
            return json.loads(resp.read())

    def stats(self):
        return self.get("/_sim/stats")

    def state(self):
        return self.get("/_sim/state")

    def token(self, scope="employee:all"):
        return TokenSet.from_response(self.hook("issue_token", scope=scope))

    def oauth(self, **kwargs):
        return LightspeedOAuth(self.base_url, "sim-client", "sim-secret", **kwargs)

    def client(self, token=None, **kwargs):
        token = token or self.token()
        kwargs.setdefault("oauth", self.oauth())
        return LightspeedClient(self.base_url, "12345", token, **kwargs)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode


# generous limits for the shared instance; rate-limit tests tighten them explicitly
FAST = ("--burst-limit", "10000", "--bucket-size", "100000", "--drip-rate", "1000")


@pytest.fixture(scope="session")
def sim():
    process = SimProcess("--sales", "1500", "--seed", "7", *FAST)
    yield process
    process.stop()


@pytest.fixture
def fresh_sim():
    """Factory for function-scoped simulators (state-changing tests)."""
    started = []

    def start(*args, fast=True):
        process = SimProcess(*((FAST if fast else ()) + tuple(args)))
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def in_process():
    """Factory: ``(Simulator, QueryEngine)`` over a ``World``, without HTTP (fast, and the
    world's state can be inspected directly)."""
    from types import SimpleNamespace

    from lightspeed_simulator.server import QueryEngine, Simulator

    def build(world):
        args = SimpleNamespace(
            client_id="c",
            client_secret="s",
            redirect_uri="https://x",
            token_lifetime=3600,
            strict_rotation=False,
            require_pkce=False,
            registers=1,
            bucket_size=None,
            drip_rate=None,
            burst_limit=20,
            legacy_costs=False,
        )
        simulator = Simulator(world, args)
        return simulator, QueryEngine(simulator)

    return build


class SleepRecorder:
    """Injectable ``sleep`` that records waits (and really waits up to ``cap`` seconds)."""

    def __init__(self, cap=0.0):
        self.cap = cap
        self.waits = []

    def __call__(self, seconds):
        import time

        self.waits.append(seconds)
        if self.cap:
            time.sleep(min(seconds, self.cap))


@pytest.fixture
def sleeper():
    return SleepRecorder


# pytest-odoo's autouse fixtures build an Odoo registry even without --odoo-database; these
# tests are pure Python, so shadow them with no-ops (conftest fixtures win over plugin ones).
@pytest.fixture(scope="session", autouse=True)
def load_registry():
    yield


@pytest.fixture(scope="session", autouse=True)
def load_http():
    yield


@pytest.fixture(scope="module", autouse=True)
def enable_odoo_test_flag():
    yield
