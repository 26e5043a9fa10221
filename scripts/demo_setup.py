#!/usr/bin/env python3
"""Configure a running demo Odoo against the Lightspeed simulators, as a user would.

Called by ``scripts/demo`` once Odoo serves the demo database. A chain in three countries has
three Lightspeed accounts (an R-Series account keeps all its amounts in one currency), so there
is one simulator per account and, in Odoo, one company per currency, each with its chart of
accounts and a backend for its account:

    python3 scripts/demo_setup.py --odoo http://localhost:8069 --db lightspeed_demo \
        --account US:USD:http://127.0.0.1:8011 --account NL:EUR:http://127.0.0.1:8012 \
        --account CA:CAD:http://127.0.0.1:8013 --client-id lightspeed-demo \
        --client-secret demo-secret

Everything goes through Odoo's HTTP interface (JSON-RPC with an admin session), and the OAuth
code flow is the real one: Odoo builds the authorisation URL, the "browser" (this script) opens
it on the simulator, which approves and redirects to Odoo's callback, where Odoo exchanges the
code for tokens. Running it again reuses the companies and backends it made.

Only talks to the local URLs it is given.
"""

import argparse
import sys
import time
from urllib.parse import urlparse

import requests

COUNTRIES = {"US": "USA", "NL": "Netherlands", "CA": "Canada"}


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
        self.uid = result["uid"]
        self.main_company_id = result["user_companies"]["current_company"]

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
        return body.get("result")  # absent when the method returns None

    def call(self, model, method, *args, **kwargs):
        """``kwargs["context"]`` (e.g. ``allowed_company_ids``) is the call's context."""
        return self._rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def search_read(self, model, domain, fields, **kwargs):
        return self.call(model, "search_read", domain, fields, **kwargs)


def step(message):
    print(f"  - {message}", flush=True)


def in_company(company_id):
    """The context of a user working in that company (record rules, defaults)."""
    return {"allowed_company_ids": [company_id]}


def ensure_company(odoo, country, currency_code, claimed):
    """The Odoo company of one country: a chart of accounts, the currency of its Lightspeed
    account. The database's first company (USD) becomes the company of the first account in
    its currency; the others are created."""
    name = f"Demo Cycles {COUNTRIES.get(country, country)}"
    currency = odoo.search_read(
        "res.currency",
        [("name", "=", currency_code)],
        ["id"],
        context={"active_test": False},
    )
    if not currency:
        raise SystemExit(f"Odoo knows no currency {currency_code}")
    currency_id = currency[0]["id"]
    found = odoo.search_read("res.company", [("name", "=", name)], ["id"])
    if found:
        company_id = found[0]["id"]
    else:
        main = odoo.search_read(
            "res.company", [("id", "=", odoo.main_company_id)], ["currency_id"]
        )[0]
        if odoo.main_company_id not in claimed and main["currency_id"][0] == currency_id:
            company_id = odoo.main_company_id
            odoo.call("res.company", "write", [company_id], {"name": name})
        else:
            # Created without a country: a country would install its localisation modules.
            company_id = odoo.call(
                "res.company", "create", {"name": name, "currency_id": currency_id}
            )
    claimed.add(company_id)
    company = odoo.search_read("res.company", [("id", "=", company_id)], ["chart_template"])[0]
    if not company["chart_template"]:
        odoo.call(
            "account.chart.template",
            "try_loading",
            [],
            "generic_coa",
            company_id,
            install_demo=False,
            context=in_company(company_id),
        )
    # Loading a chart resets the currency to its fiscal country's (generic_coa: USD) and gives
    # the company that country: set the currency (and the address's country) afterwards.
    company = odoo.search_read(
        "res.company", [("id", "=", company_id)], ["currency_id", "country_id"]
    )[0]
    vals = {}
    if company["currency_id"][0] != currency_id:
        vals["currency_id"] = currency_id
    countries = odoo.search_read("res.country", [("code", "=", country)], ["id"])
    if company["country_id"] and countries and company["country_id"][0] != countries[0]["id"]:
        vals["country_id"] = countries[0]["id"]  # a country already set installs nothing
    if vals:
        odoo.call("res.company", "write", [company_id], vals, context=in_company(company_id))
    return company_id, name


def connect(odoo, backend_id, simulator, context):
    """The OAuth code flow: Odoo's authorize URL, the consent redirect, Odoo's callback."""
    action = odoo.call("lightspeed.backend", "action_connect", [backend_id], context=context)
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
    return backend_info(odoo, backend_id, context)


def backend_info(odoo, backend_id, context):
    backend = odoo.search_read(
        "lightspeed.backend",
        [("id", "=", backend_id)],
        ["state", "account_id", "last_error", "lightspeed_currency_code", "currency_mismatch"],
        context=context,
    )[0]
    if backend["state"] != "connected":
        raise SystemExit(f"the backend did not connect: {backend['last_error']}")
    return backend


def setup_account(odoo, opts, country, currency_code, simulator, claimed):
    """Company, backend, shops, payment methods and imports of one Lightspeed account."""
    company_id, company_name = ensure_company(odoo, country, currency_code, claimed)
    context = in_company(company_id)
    step(f"company {company_name} ({currency_code}): chart of accounts generic_coa")
    name = f"Lightspeed {COUNTRIES.get(country, country)} (simulator)"
    existing = odoo.search_read(
        "lightspeed.backend", [("name", "=", name)], ["id", "state"], context=context
    )
    if existing and existing[0]["state"] == "connected":
        backend_id = existing[0]["id"]
        backend = backend_info(odoo, backend_id, context)
        step(f"backend '{name}' already connected to account {backend['account_id']}: reusing it")
    else:
        if existing:
            backend_id = existing[0]["id"]
        else:
            backend_id = odoo.call(
                "lightspeed.backend",
                "create",
                {
                    "name": name,
                    "company_id": company_id,
                    "api_url": simulator,
                    "auth_url": simulator,
                    "client_id": opts.client_id,
                    "client_secret": opts.client_secret,
                    "initial_import_days": opts.days + 1,
                    "create_missing_employees": True,
                },
                context=context,
            )
        step(f"backend '{name}': OAuth code flow (authorise → consent → callback)")
        backend = connect(odoo, backend_id, simulator, context)
        step(
            f"connected to Lightspeed account {backend['account_id']} "
            f"(currency {backend['lightspeed_currency_code']}); metadata synced"
        )
    if backend["currency_mismatch"]:
        raise SystemExit(
            f"Lightspeed account {backend['account_id']} is in "
            f"{backend['lightspeed_currency_code']}, company {company_name} in {currency_code}"
        )

    liability_products(odoo, backend_id, company_id, context)
    shops = odoo.search_read(
        "lightspeed.shop",
        [("backend_id", "=", backend_id), ("remote_archived", "=", False)],
        ["name", "lightspeed_id", "timezone", "warehouse_id", "department_id"],
        context=context,
    )
    for shop in shops:
        vals = {"import_enabled": True}
        if not shop["warehouse_id"]:
            vals["warehouse_id"] = odoo.call(
                "stock.warehouse",
                "create",
                {
                    "name": f"Shop {shop['name']}",
                    "code": f"LS{shop['lightspeed_id']}"[:5],
                    "company_id": company_id,
                },
                context=context,
            )
        if not shop["department_id"]:
            vals["department_id"] = odoo.call(
                "hr.department",
                "create",
                {"name": f"Shop {shop['name']}", "company_id": company_id},
                context=context,
            )
        odoo.call("lightspeed.shop", "write", [shop["id"]], vals, context=context)
        step(f"shop {shop['name']} ({shop['timezone']}) → warehouse, point of sale, department")
    payment_types = odoo.call(
        "lightspeed.payment.type", "search", [("backend_id", "=", backend_id)], context=context
    )
    odoo.call(
        "lightspeed.payment.type", "action_create_payment_methods", payment_types, context=context
    )
    step(f"{len(payment_types)} payment types mapped to POS payment methods")

    started = time.monotonic()
    note = odoo.call("lightspeed.backend", "action_import_sales", [backend_id], context=context)
    step(f"sales: {note['params']['message']} ({time.monotonic() - started:.0f} s)")
    started = time.monotonic()
    odoo.call("lightspeed.backend", "action_import_clock_ins", [backend_id], context=context)
    attendances = odoo.call(
        "hr.attendance",
        "search_count",
        [("lightspeed_backend_id", "=", backend_id)],
        context=context,
    )
    step(f"clock-ins imported: {attendances} attendances ({time.monotonic() - started:.0f} s)")
    return {
        "backend_id": backend_id,
        "company_id": company_id,
        "company": company_name,
        "currency": currency_code,
        "account": backend["account_id"],
    }


# Money a sale collects but does not earn: on products whose income account is a liability.
LIABILITY_PRODUCTS = (
    ("deposit_product_id", "Gift card and account deposits", "Customer deposits", "LSDEP"),
    ("tip_product_id", "Staff tips", "Tips payable", "LSTIP"),
)


def liability_products(odoo, backend_id, company_id, context):
    """The backend's deposit and tip products, each on a liability account of the company."""
    backend = odoo.search_read(
        "lightspeed.backend", [("id", "=", backend_id)], [f for f, *_ in LIABILITY_PRODUCTS]
    )[0]
    for field, product_name, account_name, code in LIABILITY_PRODUCTS:
        if backend[field]:
            continue
        found = odoo.search_read(
            "account.account",
            [("code", "=", code), ("company_ids", "in", [company_id])],
            ["id"],
            context=context,
        )
        account_id = (
            found[0]["id"]
            if found
            else odoo.call(
                "account.account",
                "create",
                {
                    "name": account_name,
                    "code": code,
                    "account_type": "liability_current",
                    "company_ids": [(6, 0, [company_id])],
                },
                context=context,
            )
        )
        product_id = odoo.call(
            "product.product",
            "create",
            {
                "name": product_name,
                "type": "service",
                "sale_ok": False,
                "company_id": company_id,
                "taxes_id": [(5, 0, 0)],
                "property_account_income_id": account_id,
            },
            context=context,
        )
        odoo.call("lightspeed.backend", "write", [backend_id], {field: product_id}, context=context)
        step(f"{product_name} booked on liability account {code} {account_name}")


def check_books(odoo, account):
    """Every closing entry of the account's sessions is in its company and currency."""
    context = in_company(account["company_id"])
    company = odoo.search_read(
        "res.company", [("id", "=", account["company_id"])], ["currency_id"], context=context
    )[0]
    if company["currency_id"][1] != account["currency"]:
        raise SystemExit(f"{account['company']} books in {company['currency_id'][1]}")
    sessions = odoo.search_read(
        "pos.session",
        [
            ("lightspeed_shop_id.backend_id", "=", account["backend_id"]),
            ("move_id", "!=", False),
        ],
        ["move_id"],
        context=context,
    )
    moves = odoo.search_read(
        "account.move",
        [("id", "in", [s["move_id"][0] for s in sessions])],
        ["company_id", "currency_id"],
        context=context,
    )
    wrong = [
        m
        for m in moves
        if m["company_id"][0] != account["company_id"] or m["currency_id"][1] != account["currency"]
    ]
    foreign_lines = odoo.call(
        "account.move.line",
        "search_count",
        [
            ("move_id", "in", [m["id"] for m in moves]),
            ("currency_id.name", "!=", account["currency"]),
        ],
        context=context,
    )
    if wrong or foreign_lines or not moves:
        raise SystemExit(
            f"books of {account['company']}: {len(moves)} session entries, {len(wrong)} of them "
            f"in another company or currency, {foreign_lines} lines in another currency"
        )
    return len(moves)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--odoo", default="http://localhost:8069")
    parser.add_argument("--db", default="lightspeed_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument(
        "--account",
        action="append",
        required=True,
        metavar="COUNTRY:CURRENCY:URL",
        help="one Lightspeed account (a simulator URL) per country, e.g. "
        "NL:EUR:http://127.0.0.1:8012; repeat for each account",
    )
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--days", type=int, default=21)
    opts = parser.parse_args()

    odoo = Odoo(opts.odoo, opts.db, opts.login, opts.password)
    accounts, claimed = [], set()
    for spec in opts.account:
        country, currency_code, simulator = spec.split(":", 2)
        print(f"  {COUNTRIES.get(country, country)} ({simulator})", flush=True)
        accounts.append(
            setup_account(odoo, opts, country.upper(), currency_code.upper(), simulator, claimed)
        )
    every_company = {"allowed_company_ids": [a["company_id"] for a in accounts]}

    # Budgets for the weekly balance, so that budget vs actual shows variances: the actuals
    # rounded to a plan that is 5-15 % off, the way a store manager would type them in.
    lines = odoo.search_read(
        "lightspeed.weekly.balance.line",
        [("budget", "=", 0), ("actual", "!=", 0), ("approved", "=", False)],
        ["actual"],
        context=every_company,
    )
    by_budget = {}
    for line in lines:
        factor = (0.85, 0.95, 1.05, 1.15)[line["id"] % 4]
        by_budget.setdefault(round(line["actual"] * factor, -1) or 1.0, []).append(line["id"])
    for budget, ids in by_budget.items():
        odoo.call(
            "lightspeed.weekly.balance.line",
            "write",
            ids,
            {"budget": budget},
            context=every_company,
        )
    print("  Summary", flush=True)
    step(f"budgets typed in for {len(lines)} weekly balance figures")

    totals = dict.fromkeys(("orders", "records", "errors", "balances", "entries"), 0)
    for account in accounts:
        context = in_company(account["company_id"])
        backend = [("backend_id", "=", account["backend_id"])]
        figures = {
            "orders": odoo.call(
                "pos.order",
                "search_count",
                [("lightspeed_backend_id", "=", account["backend_id"])],
                context=context,
            ),
            "records": odoo.call(
                "lightspeed.sync.record", "search_count", backend, context=context
            ),
            "errors": odoo.call(
                "lightspeed.sync.record",
                "search_count",
                [*backend, ("state", "=", "error")],
                context=context,
            ),
            "balances": odoo.call(
                "lightspeed.weekly.balance",
                "search_count",
                [("company_id", "=", account["company_id"])],
                context=context,
            ),
            "entries": check_books(odoo, account),
        }
        for key, value in figures.items():
            totals[key] += value
        step(
            f"{account['company']} ({account['currency']}, account {account['account']}): "
            f"{figures['orders']} POS orders, {figures['records']} sync records "
            f"({figures['errors']} in error), {figures['balances']} weekly balances, "
            f"{figures['entries']} session entries, all in {account['currency']}"
        )
    step(
        f"{totals['orders']} POS orders, {totals['records']} sync records, {totals['errors']} "
        f"sync records in error, {totals['balances']} weekly balances, {totals['entries']} "
        f"session entries in {len(accounts)} companies and currencies"
    )
    for account in accounts:
        print(
            f"BACKEND_ID {account['backend_id']} {account['company_id']} "
            f"{account['company']} ({account['currency']})",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
