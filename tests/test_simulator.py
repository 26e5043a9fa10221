"""The simulator's own contract: data arithmetic, determinism, paging, shapes, OAuth edges."""

import base64
import json
import signal
import subprocess
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal

import pytest
import requests

from lightspeed_simulator.data import (
    ABANDONED,
    DEPOSIT,
    EXCHANGE,
    OPEN,
    REFUND,
    VOIDED,
    World,
    parse_ts,
    round2,
)
from lightspeed_simulator.server import ENTITIES

NOW = datetime(2025, 3, 20, 12, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def world():
    return World(sales=3000, seed=11, days=21, now=NOW)


def D(text):  # noqa: N802
    return Decimal(text)


def check_sale(record, inclusive_ids):
    sale, lines, payments = record["sale"], record["lines"], record["payments"]
    sub = disc = tax1 = tax2 = Decimal(0)
    for line in lines:
        qty, price = D(line["unitQuantity"]), D(line["unitPrice"])
        assert D(line["calcSubtotal"]) == qty * price
        line_disc = D(line["calcLineDiscount"])
        assert line_disc == round2(line_disc), "line discount rounded to cents"
        if D(line["discountPercent"]):
            assert line_disc == round2(qty * price * D(line["discountPercent"]))
        base = qty * price - line_disc - D(line["calcTransactionDiscount"])
        t1, t2 = D(line["calcTax1"]), D(line["calcTax2"])
        if sale["taxCategoryID"] in inclusive_ids:
            assert D(line["calcTotal"]) == base
        else:
            assert t1 == base * D(line["tax1Rate"]) and t2 == base * D(line["tax2Rate"])
            assert D(line["calcTotal"]) == base + t1 + t2
        sub += qty * price
        disc += line_disc + D(line["calcTransactionDiscount"])
        tax1 += t1
        tax2 += t2
    assert D(sale["calcSubtotal"]) == sub and D(sale["calcDiscount"]) == disc
    assert D(sale["calcTax1"]) == round2(tax1) and D(sale["calcTax2"]) == round2(tax2)
    assert D(sale["taxTotal"]) == round2(tax1) + round2(tax2)
    extra = Decimal(0) if sale["taxCategoryID"] in inclusive_ids else round2(tax1) + round2(tax2)
    assert D(sale["total"]) == sub - disc + extra
    paid = sum((D(p["amount"]) for p in payments), Decimal(0))
    assert D(sale["calcPayments"]) == paid
    if sale["completed"] == "true":
        assert paid == D(sale["total"]) and D(sale["balance"]) == 0
        assert "completeTime" in sale
    else:
        assert not payments and "completeTime" not in sale


def test_sale_arithmetic_holds_for_every_sale(world):
    inclusive = {t["taxCategoryID"] for t in world.tax_categories if t["isTaxInclusive"] == "true"}
    assert inclusive == {"2"}
    kinds = defaultdict(int)
    for i in range(1, world.sales.count + 1):
        record = world.sales.full(i)
        check_sale(record, inclusive)
        kinds[record["kind"]] += 1
    for kind in (REFUND, EXCHANGE, OPEN, ABANDONED, VOIDED):
        assert kinds[kind] > 10


def test_sale_arithmetic_holds_with_deposits_and_zero_payments():
    world = World(sales=1500, seed=11, now=NOW, deposits_share=0.1, zero_payments_share=0.2)
    for i in range(1, world.sales.count + 1):
        check_sale(world.sales.full(i), {"2"})
    assert world.sales.ids_of_kind(DEPOSIT)


def test_refunds_link_to_earlier_lines(world):
    lines_by_id = {}
    checked = 0
    for i in range(1, world.sales.count + 1):
        record = world.sales.full(i)
        for line in record["lines"]:
            lines_by_id[line["saleLineID"]] = (i, line)
            if D(line["unitQuantity"]) < 0:
                parent_sale, parent = lines_by_id[line["parentSaleLineID"]]
                assert parent_sale < i and parent["itemID"] == line["itemID"]
                assert -D(line["unitQuantity"]) <= D(parent["unitQuantity"])
                assert D(line["calcTotal"]) < 0
                checked += 1
    assert checked > 50


def test_scenarios_present(world):
    sales = [world.sales.full(i) for i in range(1, 600)]
    assert any(len(r["lines"]) == 1 for r in sales)
    assert any(len(r["payments"]) == 2 for r in sales)
    assert any(ln["itemID"] == "0" and ln.get("_note") for r in sales for ln in r["lines"])
    assert any(D(ln["calcTransactionDiscount"]) for r in sales for ln in r["lines"])
    assert any(p["paymentTypeID"] == "4" for r in sales for p in r["payments"])
    assert any(r["sale"]["employeeID"] == "8" for r in sales)  # archived employee
    assert {s["timeZone"] for s in world.shops} >= {"America/New_York", "Europe/Amsterdam"}
    assert any(t["tax2Rate"] != "0" for t in world.tax_categories)
    for record in sales:
        sale = record["sale"]
        assert world.start_ts <= parse_ts(sale["createTime"]) < world.now_ts
        assert sale["ticketNumber"] == "22" + sale["saleID"].zfill(10)
    assert [e["employeeID"] for e in world.employees if e["archived"] == "true"] == ["8"]
    assert {i["itemID"] for i in world.items if i["upc"]} and any(
        i["archived"] == "true" for i in world.items
    )


def test_business_hours_follow_shop_time_zone_across_dst():
    # US DST started 2025-03-09: local opening hours stay 09:00-20:00 on both sides
    world = World(sales=800, seed=3, days=21, now=NOW)
    for i in range(1, world.sales.count + 1):
        header = world.sales.header(i)
        local = datetime.fromtimestamp(
            parse_ts(header["createTime"]), world.zones[header["shopID"]]
        )
        assert 9 <= local.hour < 20 or (local.hour == 20 and local.minute == 0)
    moved = World(sales=10, seed=3, days=21, now=NOW, dst_shop_tz="Europe/Amsterdam")
    assert moved.shops[0]["timeZone"] == "Europe/Amsterdam"


def test_employee_hours_do_not_overlap(world):
    by_emp = defaultdict(list)
    for row in world.hours.values():
        by_emp[row["employeeID"]].append(row)
    open_rows = [r for r in world.hours.values() if r["_out"] is None]
    assert open_rows, "at least one employee is clocked in"
    for rows in by_emp.values():
        rows.sort(key=lambda r: r["_in"])
        for a, b in zip(rows, rows[1:], strict=False):
            assert a["_out"] is not None and a["_out"] <= b["_in"]
    clocked = {e["employeeID"]: e["clockInEmployeeHoursID"] for e in world.employees}
    for row in open_rows:
        assert clocked[row["employeeID"]] == row["employeeHoursID"]
        assert "checkOut" not in world.hours_record(row)


def test_deterministic_for_a_seed():
    a = World(sales=300, seed=5, now=NOW)
    b = World(sales=300, seed=5, now=NOW)
    c = World(sales=300, seed=6, now=NOW)
    full = [a.sales.full(i) for i in range(1, 301)]
    assert full == [b.sales.full(i) for i in range(1, 301)]
    assert full != [c.sales.full(i) for i in range(1, 301)]
    assert a.hours == b.hours


def test_100k_sales_start_lazily_and_page(in_process):
    big = World(sales=100_000, seed=1, now=NOW)
    assert big.sales.count == 100_000 and len(big.sales._cache) == 0  # nothing generated yet
    _sim, engine = in_process(big)
    params = {"sort": "timeStamp", "load_relations": '["SaleLines","SalePayments"]'}
    page = engine.list(ENTITIES["Sale"], params)
    assert len(page["Sale"]) == 100 and page["@attributes"]["next"]
    assert len(big.sales._cache) < 1000  # only what the page needed
    stamps = [parse_ts(s["timeStamp"]) for s in page["Sale"]]
    assert stamps == sorted(stamps)
    assert all(s["updateTime"] == s["timeStamp"] for s in page["Sale"])  # camelCase default


# -- over HTTP ------------------------------------------------------------------------------
def api(sim, path, token, **kwargs):
    headers = {"Authorization": f"Bearer {token.access_token}", **kwargs.pop("headers", {})}
    return requests.get(f"{sim.base_url}/API/V3/Account/12345/{path}", headers=headers, **kwargs)


def test_json_suffix_and_error_shapes(sim):
    token = sim.token()
    assert api(sim, "Shop", token).status_code == 406  # XML is the default
    assert api(sim, "Shop", token, headers={"Accept": "application/json"}).status_code == 200
    missing = api(sim, "Sale/99999999.json", token)
    assert missing.status_code == 404
    assert (
        missing.json()["message"] == "Object of type 'Sale' not found with primary ID '99999999'."
    )
    bad_sort = api(sim, "Sale.json?sort=total", token)
    assert bad_sort.status_code == 400 and "updatetime" in bad_sort.json()["message"]
    for header in ("X-LS-API-Bucket-Level", "X-LS-API-Drip-Rate", "X-LS-Acct-Id"):
        assert header in missing.headers
    assert api(sim, "Sale.json?count=1&limit=5", token).status_code == 400
    assert requests.get(f"{sim.base_url}/API/V3/Account/99/Shop.json").status_code == 401


def test_paging_shapes_and_stability(sim):
    token = sim.token()
    first = api(sim, "Sale.json?sort=saleID", token).json()
    again = api(sim, "Sale.json?sort=saleID", token).json()
    assert first == again and first["@attributes"]["previous"] == ""
    nxt = first["@attributes"]["next"]
    assert nxt.startswith(sim.base_url) and "limit=100" in nxt
    cursor = requests.utils.unquote(nxt.split("after=")[1])
    assert json.loads(base64.b64decode(cursor)) == [int(first["Sale"][-1]["saleID"])]
    count = int(api(sim, "Sale.json?count=1", token).json()["@attributes"]["count"])
    archived = api(sim, "Sale.json?count=1&archived=only", token).json()
    assert count == 1500 - int(archived["@attributes"]["count"])
    one = api(sim, "Sale.json?saleID=2&load_relations=%5B%22SaleLines%22%5D", token).json()
    assert isinstance(one["Sale"], dict)
    empty = api(sim, "Sale.json?saleID=IN,[999999]", token).json()
    assert list(empty) == ["@attributes"]


def test_token_endpoint_contract(sim):
    url = f"{sim.base_url}/auth/oauth/token"
    assert requests.get(url).status_code == 405
    bad = requests.post(url, json={"grant_type": "refresh_token", "client_id": "sim-client"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"
    secret = requests.post(
        url,
        json={"grant_type": "refresh_token", "client_id": "sim-client", "client_secret": "no"},
    )
    assert secret.status_code == 401 and secret.json()["error"] == "invalid_client"
    token = sim.token()
    body = {
        "grant_type": "refresh_token",
        "client_id": "sim-client",
        "client_secret": "sim-secret",
        "refresh_token": token.refresh_token,
    }
    multipart = requests.post(url, files={k: (None, v) for k, v in body.items()})
    assert multipart.status_code == 200 and set(multipart.json()) == {
        "token_type",
        "expires_in",
        "access_token",
        "refresh_token",
    }
    jwks = requests.get(f"{sim.base_url}/.well-known/jwks").json()
    assert jwks["keys"][0]["kid"]


def test_sigterm_exits_cleanly(fresh_sim):
    process = fresh_sim("--sales", "10")
    process.proc.send_signal(signal.SIGTERM)
    try:
        assert process.proc.wait(10) == 0
    except subprocess.TimeoutExpired:  # pragma: no cover - the assertion is the point
        pytest.fail("simulator ignored SIGTERM")


def _refresh(sim, refresh_token, form=False):
    body = {
        "grant_type": "refresh_token",
        "client_id": "sim-client",
        "client_secret": "sim-secret",
        "refresh_token": refresh_token,
    }
    url = f"{sim.base_url}/auth/oauth/token"
    return requests.post(url, data=body) if form else requests.post(url, json=body)


def test_rotation_modes_and_refresh_limits(fresh_sim):
    lenient = fresh_sim("--sales", "5")
    first = lenient.token()
    second = _refresh(lenient, first.refresh_token).json()
    # 2026 behaviour: the old refresh token survives until the new access token is used
    assert _refresh(lenient, first.refresh_token).status_code == 200
    requests.get(
        f"{lenient.base_url}/API/V3/Account.json",
        headers={"Authorization": f"Bearer {second['access_token']}"},
    ).raise_for_status()
    assert _refresh(lenient, first.refresh_token).json()["error"] == "invalid_grant"
    statuses = [_refresh(lenient, second["refresh_token"]).status_code for _ in range(5)]
    assert statuses[-1] == 429  # max 5 refreshes per minute per connection
    lenient.hook("age_refresh_tokens", days=31)
    fresh = lenient.token()
    lenient.hook("age_refresh_tokens", days=31)
    assert _refresh(lenient, fresh.refresh_token).status_code == 400

    strict = fresh_sim("--sales", "5", "--strict-rotation", "--reject-form-token-body")
    token = strict.token()
    assert _refresh(strict, token.refresh_token, form=True).status_code == 400
    assert _refresh(strict, token.refresh_token).status_code == 200
    assert _refresh(strict, token.refresh_token).json()["error"] == "invalid_grant"


def test_help_documents_options():
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "lightspeed_simulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]),
    ).stdout
    for option in ("--sales", "--seed", "--days", "--now", "--dst-shop-tz", "--token-lifetime"):
        assert option in out
    for option in ("--stamp-spelling", "--zero-payments-share", "--deposits-share"):
        assert option in out
