#!/usr/bin/env python3
"""Configure a running demo Odoo against the Lightspeed simulator, as a user would.

Called by ``scripts/demo`` once Odoo serves the demo database. Everything goes through Odoo's
HTTP interface (JSON-RPC with an admin session), and the OAuth code flow is the real one: Odoo
builds the authorisation URL, the "browser" (this script) opens it on the simulator, which
approves and redirects to Odoo's callback, where Odoo exchanges the code for tokens.

    python3 scripts/demo_setup.py --odoo http://localhost:8069 --db lightspeed_demo \
        --simulator http://127.0.0.1:8011 --client-id lightspeed-demo --client-secret demo-secret

Only talks to the two local URLs it is given.
"""

import argparse
import sys
import time
from urllib.parse import urlparse

import requests


class Odoo:
    """A logged-in JSON-RPC session on the demo Odoo."""

    def __init__(self, url, db, login, password):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        result = self._rpc(
            "/web/session/authenticate", {"db": db, "login": login, "password": password}
        )
        if not result.get("uid"):
            raise SystemExit(f"cannot log in to {url} as {login}")

    def _rpc(self, path, params, timeout=1800):
        response = self.session.post(
            self.url + path,
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=timeout,
        )
        response.raise_for_status()
        body = response.json()
        if body.get("error"):
            data = body["error"].get("data", {})
            raise RuntimeError(data.get("message") or body["error"].get("message"))
        return body["result"]

    def call(self, model, method, *args, **kwargs):
        return self._rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def search_read(self, model, domain, fields, **kwargs):
        return self.call(model, "search_read", domain, fields, **kwargs)


def step(message):
    print(f"  - {message}", flush=True)


def connect(odoo, backend_id, simulator):
    """The OAuth code flow: Odoo's authorize URL, the consent redirect, Odoo's callback."""
    action = odoo.call("lightspeed.backend", "action_connect", [backend_id])
    authorize_url = action["url"]
    if urlparse(authorize_url).netloc != urlparse(simulator).netloc:
        raise SystemExit(f"refusing to open a non-local authorisation URL: {authorize_url}")
    consent = requests.get(authorize_url, allow_redirects=False, timeout=30)
    if consent.status_code not in (301, 302, 303):
        raise SystemExit(f"the simulator refused the authorisation: {consent.text}")
    callback = consent.headers["Location"]
    if urlparse(callback).netloc != urlparse(odoo.url).netloc:
        raise SystemExit(f"unexpected redirect URI {callback}")
    # The administrator's browser lands on Odoo's callback with its session cookie.
    odoo.session.get(callback, allow_redirects=False, timeout=300).raise_for_status()
    backend = odoo.search_read(
        "lightspeed.backend", [("id", "=", backend_id)], ["state", "account_id", "last_error"]
    )[0]
    if backend["state"] != "connected":
        raise SystemExit(f"the backend did not connect: {backend['last_error']}")
    return backend


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--odoo", default="http://localhost:8069")
    parser.add_argument("--db", default="lightspeed_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--simulator", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--days", type=int, default=21)
    opts = parser.parse_args()

    odoo = Odoo(opts.odoo, opts.db, opts.login, opts.password)
    existing = odoo.search_read(
        "lightspeed.backend", [("name", "=", "Demo (simulator)")], ["id", "state"]
    )
    if existing and existing[0]["state"] == "connected":
        step("backend 'Demo (simulator)' already connected: reusing it")
        backend_id = existing[0]["id"]
    else:
        if existing:
            backend_id = existing[0]["id"]
        else:
            backend_id = odoo.call(
                "lightspeed.backend",
                "create",
                {
                    "name": "Demo (simulator)",
                    "api_url": opts.simulator,
                    "auth_url": opts.simulator,
                    "client_id": opts.client_id,
                    "client_secret": opts.client_secret,
                    "initial_import_days": opts.days + 1,
                    "create_missing_employees": True,
                },
            )
        step("connecting through the OAuth code flow (authorise → consent → callback)")
        backend = connect(odoo, backend_id, opts.simulator)
        step(f"connected to Lightspeed account {backend['account_id']}; metadata synced")

    shops = odoo.search_read(
        "lightspeed.shop",
        [("backend_id", "=", backend_id), ("remote_archived", "=", False)],
        ["name", "lightspeed_id", "timezone", "warehouse_id", "department_id"],
    )
    for shop in shops:
        vals = {"import_enabled": True}
        if not shop["warehouse_id"]:
            vals["warehouse_id"] = odoo.call(
                "stock.warehouse",
                "create",
                {"name": f"Shop {shop['name']}", "code": f"LS{shop['lightspeed_id']}"[:5]},
            )
        if not shop["department_id"]:
            vals["department_id"] = odoo.call(
                "hr.department", "create", {"name": f"Shop {shop['name']}"}
            )
        odoo.call("lightspeed.shop", "write", [shop["id"]], vals)
        step(f"shop {shop['name']} ({shop['timezone']}) → warehouse, point of sale, department")
    payment_types = odoo.call(
        "lightspeed.payment.type", "search", [("backend_id", "=", backend_id)]
    )
    odoo.call("lightspeed.payment.type", "action_create_payment_methods", payment_types)
    step(f"{len(payment_types)} payment types mapped to POS payment methods")

    started = time.monotonic()
    step("importing sales (this is the longest step)...")
    note = odoo.call("lightspeed.backend", "action_import_sales", [backend_id])
    step(f"{note['params']['message']} ({time.monotonic() - started:.0f} s)")
    started = time.monotonic()
    odoo.call("lightspeed.backend", "action_import_clock_ins", [backend_id])
    attendances = odoo.call(
        "hr.attendance", "search_count", [("lightspeed_backend_id", "=", backend_id)]
    )
    step(f"clock-ins imported: {attendances} attendances ({time.monotonic() - started:.0f} s)")

    # Budgets for the weekly balance, so that budget vs actual shows variances: the actuals
    # rounded to a plan that is 5-15 % off, the way a store manager would type them in.
    lines = odoo.search_read(
        "lightspeed.weekly.balance.line",
        [("budget", "=", 0), ("actual", "!=", 0), ("approved", "=", False)],
        ["actual"],
    )
    by_budget = {}
    for line in lines:
        factor = (0.85, 0.95, 1.05, 1.15)[line["id"] % 4]
        by_budget.setdefault(round(line["actual"] * factor, -1) or 1.0, []).append(line["id"])
    for budget, ids in by_budget.items():
        odoo.call("lightspeed.weekly.balance.line", "write", ids, {"budget": budget})
    step(f"budgets typed in for {len(lines)} weekly balance figures")

    counts = {
        "POS orders": ("pos.order", [("lightspeed_backend_id", "=", backend_id)]),
        "sync records": ("lightspeed.sync.record", [("backend_id", "=", backend_id)]),
        "sync records in error": (
            "lightspeed.sync.record",
            [("backend_id", "=", backend_id), ("state", "=", "error")],
        ),
        "weekly balances": ("lightspeed.weekly.balance", []),
    }
    summary = ", ".join(
        f"{odoo.call(model, 'search_count', domain)} {label}"
        for label, (model, domain) in counts.items()
    )
    step(summary)
    print(f"BACKEND_ID {backend_id}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
