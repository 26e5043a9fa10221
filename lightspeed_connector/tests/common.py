# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Test harness: a real Lightspeed simulator over HTTP and a POS-ready company.

The simulator (``lightspeed_simulator`` at the repository root) runs as a subprocess on a free
localhost port; tests talk to it exactly as production talks to Lightspeed.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import freezegun
import requests

from odoo.tests import tagged  # noqa: F401  (re-exported for the test modules)
from odoo.tests.common import TransactionCase

REPO_ROOT = Path(__file__).resolve().parents[2]
# The instant the simulator's data is built around (its ``--now``) and Odoo's clock starts from
# in the tests that share one process with it: what a test sees never depends on the date or
# the time of day it runs at. A Wednesday afternoon: today's sessions are still open in every
# shop's time zone, the earlier days' are over.
SIMULATOR_NOW = "2026-11-18T15:00:00Z"
CLIENT_ID = "odoo-test-client"
CLIENT_SECRET = "odoo-test-secret"


class LightspeedSimulator:
    """A running simulator process and helpers for its admin hooks."""

    def __init__(self, *extra_args):
        if not (REPO_ROOT / "lightspeed_simulator" / "__main__.py").exists():
            raise FileNotFoundError(
                f"lightspeed_simulator not found next to the addon in {REPO_ROOT}"
            )
        self.redirect_uri = "http://localhost:8069/lightspeed_connector/oauth/callback"
        args = [
            sys.executable,
            "-m",
            "lightspeed_simulator",
            "--port",
            "0",
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            "--redirect-uri",
            self.redirect_uri,
            *extra_args,
        ]
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        self.process = subprocess.Popen(
            args,
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.url = self._read_ready_line()

    def _read_ready_line(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("LIGHTSPEED_SIMULATOR_READY "):
                return line.split(" ", 1)[1].strip()
            if not line and self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError("the Lightspeed simulator did not start")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()

    def admin(self, action, **body):
        response = requests.post(f"{self.url}/_sim/{action}", json=body, timeout=30)
        response.raise_for_status()
        return response.json() if response.content else {}

    def stats(self):
        response = requests.get(f"{self.url}/_sim/stats", timeout=30)
        response.raise_for_status()
        return response.json()

    def approve(self, authorize_url):
        """Play the merchant approving on Lightspeed: returns (code, state) of the redirect."""
        response = requests.get(authorize_url, allow_redirects=False, timeout=30)
        if response.status_code not in (301, 302, 303):
            raise AssertionError(f"authorize answered {response.status_code}: {response.text}")
        query = parse_qs(urlparse(response.headers["Location"]).query)
        return query.get("code", [None])[0], query.get("state", [None])[0]


def pinned_args(args):
    """``args`` of a simulator with ``--now`` (``SIMULATOR_NOW`` unless they give one)."""
    return tuple(args) if "--now" in args else (*args, "--now", SIMULATOR_NOW)


def pin_clock(cls, args):
    """Run Odoo's clock of test class ``cls`` from the simulator's ``--now`` in ``args``,
    ticking (rate limiter pauses, timeouts and token lifetimes go on as in production), for the
    whole class. Only for tests in this process: a browser or another Odoo process has its own
    clock (those tests compare Odoo with Lightspeed sale by sale, whatever the hour)."""
    now = args[list(args).index("--now") + 1]
    cls.startClassPatcher(freezegun.freeze_time(now, tick=True))


class LightspeedCommon(TransactionCase):
    """Company with POS-ready accounting, a warehouse, employees and a simulator backend, on a
    clock pinned to the simulator's (``SIMULATOR_NOW`` unless the class gives ``--now``)."""

    simulator_args = ("--seed", "42", "--sales", "300", "--days", "10")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.simulator_args = pinned_args(cls.simulator_args)
        pin_clock(cls, cls.simulator_args)
        # One cursor serves the "new" transactions the connector opens (token refresh), as in
        # HttpCase; tests of real separate transactions live in test_token_concurrency.py.
        cls.registry.enter_test_mode(cls.cr)
        cls.addClassCleanup(cls.registry.leave_test_mode)
        # The importer commits at its boundaries in production; a TransactionCase cannot
        # commit, so these tests run it in the caller's transaction (process tests commit).
        cls.env = cls.env(
            context=dict(cls.env.context, tracking_disable=True, lightspeed_no_commit=True)
        )
        cls.simulator = LightspeedSimulator(*cls.simulator_args)
        cls.addClassCleanup(cls.simulator.stop)
        cls.company = cls.env.company
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.department = cls.env["hr.department"].create({"name": "Lightspeed shops"})
        cls.backend = cls.env["lightspeed.backend"].create(cls._backend_vals())

    @classmethod
    def _backend_vals(cls, **overrides):
        vals = {
            "name": "Simulated account",
            "api_url": cls.simulator.url,
            "auth_url": cls.simulator.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "company_id": cls.env.company.id,
        }
        vals.update(overrides)
        return vals

    @classmethod
    def connect_and_map_shops(cls, code_prefix="LS"):
        """Connect ``cls.backend`` and give every live shop a warehouse (hence its own point of
        sale) and a department, with the import on; returns ``{shop Lightspeed ID: dept}``."""
        code, _state = cls.simulator.approve(cls.backend.action_connect()["url"])
        cls.backend._complete_authorization(code)
        departments = {}
        for shop in cls.backend.shop_ids.filtered(lambda s: not s.remote_archived):
            warehouse = cls.env["stock.warehouse"].create(
                {"name": f"{code_prefix} {shop.name}", "code": f"{code_prefix}{shop.lightspeed_id}"}
            )
            departments[shop.lightspeed_id] = cls.env["hr.department"].create(
                {"name": f"Shop {shop.name}"}
            )
            shop.write(
                {
                    "warehouse_id": warehouse.id,
                    "department_id": departments[shop.lightspeed_id].id,
                    "import_enabled": True,
                }
            )
        return departments

    def connect(self, backend=None):
        """The real OAuth code flow, minus the browser: authorize, approve, exchange."""
        backend = backend or self.backend
        action = backend.action_connect()
        code, state = self.simulator.approve(action["url"])
        self.assertEqual(state, backend.sudo().oauth_state, "state must be echoed back")
        backend._complete_authorization(code)
        return backend

    def stored_refresh_token(self, backend=None):
        backend = backend or self.backend
        self.env["lightspeed.oauth.token"].invalidate_model()
        return backend._token_record().refresh_token

    @staticmethod
    def dumps(value):
        return json.dumps(value, sort_keys=True, default=str)
