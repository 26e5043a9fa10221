"""One simulator = one Lightspeed account: ``--currency`` (the account's default currency) and
``--shops`` (the shops it has), so a multi-country chain is one simulator per account."""

import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal

import pytest
import requests

from lightspeed_simulator.__main__ import build_parser
from lightspeed_simulator.data import World

NOW = datetime(2025, 3, 20, 12, tzinfo=timezone.utc)
ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def snapshot(world):
    """Everything an account serves, to compare two worlds."""
    return {
        "shops": world.shops,
        "registers": world.registers,
        "employees": world.employees,
        "tax_categories": world.tax_categories,
        "hours": world.hours,
        "sales": [world.sales.full(i) for i in range(1, world.sales.count + 1)],
        "voids": world.sale_voids,
        "item_shops": [world.item_shops(item) for item in world.items[:5]],
    }


def test_defaults_are_the_three_shop_usd_account():
    default = World(sales=200, seed=9, now=NOW)
    explicit = World(sales=200, seed=9, now=NOW, shops=("3", "1", "2"), currency="usd")
    assert default.currency == explicit.currency == "USD"
    assert default.currency_symbol == "$"
    assert default.shop_ids == ("1", "2", "3")
    assert snapshot(default) == snapshot(explicit)


def test_one_shop_account_serves_only_its_shop():
    world = World(sales=400, seed=9, now=NOW, shops=["2"], currency="EUR")
    assert (world.currency, world.currency_symbol) == ("EUR", "€")
    assert [s["shopID"] for s in world.shops] == ["2"]
    assert [r["registerID"] for r in world.registers] == ["3", "4"]
    # the owner (all shops, the authorizing employee) and the shop's own staff
    assert [e["employeeID"] for e in world.employees] == ["1", "3", "4"]
    assert world.employee("1")["lastShopID"] == "2"
    assert [t["taxCategoryID"] for t in world.tax_categories] == ["2"]
    assert world.sales.count == 400
    assert set(world.sales.shop[1:]) == {"2"}
    registers = Counter(world.sales.register[1:])
    assert set(registers) == {"3", "4"}
    employees = {world.sales.employee[i] for i in range(1, 401)}
    assert employees <= {"1", "3", "4"}
    assert world.hours and {row["shopID"] for row in world.hours.values()} == {"2"}
    assert sorted(world.hours, key=int) == [str(n) for n in range(1, len(world.hours) + 1)]
    for i in range(1, 401):
        record = world.sales.full(i)
        sale = record["sale"]
        assert sale["shopID"] == "2" and sale["taxCategoryID"] == "2"
        assert sale["isTaxInclusive"] == "true"
        if sale["completed"] == "true":
            paid = sum((Decimal(p["amount"]) for p in record["payments"]), Decimal(0))
            assert paid == Decimal(sale["total"])
    for void in world.sale_voids:
        assert void["shopID"] == "2"
    rows = world.item_shops(world.item_by_id["2"])
    assert [r["shopID"] for r in rows] == ["0", "2"]
    assert rows[0]["qoh"] == rows[1]["qoh"]  # the account row sums this account's shops


def test_subset_accounts_are_deterministic_per_seed():
    a = World(sales=300, seed=5, now=NOW, shops=("1", "3"), currency="CAD")
    b = World(sales=300, seed=5, now=NOW, shops=("3", "1"), currency="CAD")
    c = World(sales=300, seed=6, now=NOW, shops=("1", "3"), currency="CAD")
    assert snapshot(a) == snapshot(b)
    assert snapshot(a)["sales"] != snapshot(c)["sales"]
    assert set(a.sales.shop[1:]) == {"1", "3"}
    assert [r["registerID"] for r in a.registers] == ["1", "2", "5", "6"]
    assert {e["employeeID"] for e in a.employees} == {"1", "2", "5", "6", "7", "8"}
    # employee 2 (shop 1) is always clocked in, as in the full account
    assert any(r["employeeID"] == "2" and r["_out"] is None for r in a.hours.values())
    added = a.sales.add()
    assert a.sales.full(added)["sale"]["shopID"] in {"1", "3"}


def test_invalid_shops_and_currency_are_refused():
    with pytest.raises(ValueError, match="unknown shop id"):
        World(sales=10, seed=1, now=NOW, shops=("4",))
    for code in ("EURO", "E1", ""):
        with pytest.raises(ValueError, match="currency"):
            World(sales=10, seed=1, now=NOW, currency=code)
    parser = build_parser()
    args = parser.parse_args(["--shops", "2, 3,2", "--currency", "cad"])
    assert (args.shops, args.currency) == (("2", "3"), "CAD")
    defaults = parser.parse_args([])
    assert (defaults.shops, defaults.currency) == (None, "USD")
    for argv in (["--shops", "4"], ["--shops", ","], ["--currency", "dollars"]):
        run = subprocess.run(
            [sys.executable, "-m", "lightspeed_simulator", "--port", "0", *argv],
            capture_output=True,
            text=True,
            cwd=str(ROOT),
            timeout=30,
        )
        assert run.returncode == 2 and "LIGHTSPEED_SIMULATOR_READY" not in run.stdout
        assert argv[0] in run.stderr


def test_help_documents_account_options():
    out = subprocess.run(
        [sys.executable, "-m", "lightspeed_simulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(ROOT),
    ).stdout
    assert "--currency" in out and "--shops" in out


# -- over HTTP ------------------------------------------------------------------------------
def get(sim, path, token):
    response = requests.get(
        f"{sim.base_url}{path}",
        headers={"Authorization": f"Bearer {token.access_token}"},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def test_default_account_is_in_us_dollars(sim):
    account = get(sim, "/API/V3/Account/12345.json", sim.token())["Account"]
    assert account["defaultCurrency"] == {"code": "USD", "symbol": "$"}
    assert sim.state()["currency"] == "USD"


def test_a_canadian_account_with_one_shop(fresh_sim):
    sim = fresh_sim(
        "--account-id", "777", "--currency", "cad", "--shops", "3", "--sales", "60", "--seed", "4"
    )
    token = sim.token()
    account = get(sim, "/API/V3/Account/777.json", token)["Account"]
    assert account["accountID"] == "777"
    assert account["defaultCurrency"] == {"code": "CAD", "symbol": "$"}
    assert account["employeeCount"] == "3"
    base = "/API/V3/Account/777"
    shop = get(sim, f"{base}/Shop.json", token)["Shop"]
    assert isinstance(shop, dict) and shop["name"] == "Gastown Vancouver"  # one: an object
    registers = get(sim, f"{base}/Register.json?archived=true", token)["Register"]
    assert sorted(r["registerID"] for r in registers) == ["5", "6"]
    employees = get(sim, f"{base}/Employee.json", token)["Employee"]
    assert sorted(e["employeeID"] for e in employees) == ["1", "5", "6"]
    taxes = get(sim, f"{base}/TaxCategory.json", token)["TaxCategory"]
    assert isinstance(taxes, dict) and taxes["tax2Name"] == "PST"
    sales = get(sim, f"{base}/Sale.json?archived=true", token)["Sale"]
    assert len(sales) == 60 and {s["shopID"] for s in sales} == {"3"}
    hours = get(sim, f"{base}/EmployeeHours.json", token)["EmployeeHours"]
    assert {h["shopID"] for h in hours} == {"3"}
    session = get(sim, "/API/V3/Session.json", token)
    assert session["systemCustomerID"] == "777" and session["shopCount"] == "1"
    state = sim.state()
    assert state["currency"] == "CAD" and state["account_id"] == "777"
    assert [s["shopID"] for s in state["shops"]] == ["3"]
    added = sim.hook("add_sales", count=2)
    new = [sim.hook("get_sale", sale_id=sale_id)["sale"] for sale_id in added["sale_ids"]]
    assert {s["shopID"] for s in new} == {"3"}
    shift = sim.hook("add_shift", employee_id="1")
    assert shift["shopID"] == "3"
