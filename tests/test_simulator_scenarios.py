"""Simulator scenarios taken from real captures (spec §12): stamp spelling, stamps that stay put,
zero-amount payments, gift-card / credit-account deposits, ItemShop totals, token delays."""

import json
import time
from datetime import datetime, timezone
from decimal import Decimal

import pytest
import requests

from lightspeed_connector.api import Item, Sale
from lightspeed_connector.mapping.sale import expected_total
from lightspeed_simulator.data import DEPOSIT, World, parse_ts
from lightspeed_simulator.hooks import run_hook
from lightspeed_simulator.server import ENTITIES

NOW = datetime(2025, 3, 20, 12, tzinfo=timezone.utc)
PAYMENTS_WITH_TYPES = json.dumps(
    ["SaleLines", "SaleLines.Note", "SalePayments", "SalePayments.PaymentType"]
)


def D(text):  # noqa: N802
    return Decimal(text)


def sale_ids(engine, **params):
    """Every Sale id of a query, following the cursors like a client."""
    params = {"archived": "true", "limit": "100", **params}
    ids = []
    while True:
        page = engine.list(ENTITIES["Sale"], params)
        rows = page.get("Sale", [])
        ids += [r["saleID"] for r in (rows if isinstance(rows, list) else [rows])]
        nxt = page["@attributes"]["next"]
        if not nxt:
            return ids
        params = {**params, "after": requests.utils.unquote(nxt.split("after=")[1])}


# -- 1. update stamp spelling, timeStamp filters -------------------------------------------
def test_sale_payloads_spell_update_time_camel_case_by_default(in_process):
    _sim, camel = in_process(World(sales=50, seed=2, now=NOW))
    _sim, lower = in_process(World(sales=50, seed=2, now=NOW, stamp_spelling="lower"))
    a = camel.single(ENTITIES["Sale"], "5", {})["Sale"]
    b = lower.single(ENTITIES["Sale"], "5", {})["Sale"]
    assert "updateTime" in a and "updatetime" not in a
    assert "updatetime" in b and "updateTime" not in b
    assert a["updateTime"] == b["updatetime"] and list(a).index("updateTime") == list(b).index(
        "updatetime"
    )
    with pytest.raises(ValueError):
        World(sales=1, now=NOW, stamp_spelling="snake")


def test_update_time_chaos_drifts_to_the_other_spelling(in_process):
    _sim, engine = in_process(World(sales=30, seed=2, now=NOW, chaos={"update_time_spelling"}))
    sale = engine.single(ENTITIES["Sale"], "14", {})["Sale"]  # id % 7 == 0
    assert "updatetime" in sale and "updateTime" not in sale
    assert "updateTime" in engine.single(ENTITIES["Sale"], "15", {})["Sale"]


def test_time_stamp_and_old_update_filters_select_the_same_sales(in_process):
    world = World(sales=700, seed=4, now=NOW)
    _sim, engine = in_process(world)
    stamps = sorted(world.sales.update[1:])
    pivot = datetime.fromtimestamp(stamps[len(stamps) // 2], timezone.utc).isoformat()
    expected = sorted(str(i) for i in range(1, 701) if world.sales.update[i] >= parse_ts(pivot))
    by_stamp = sale_ids(engine, sort="timeStamp", timeStamp=f">=,{pivot}")
    assert len(by_stamp) > 300 and sorted(by_stamp) == expected  # several pages, each sale once
    order = [world.sales.update[int(i)] for i in by_stamp]
    assert order == sorted(order)
    for field in ("updatetime", "updateTime"):  # old clients keep working
        assert sale_ids(engine, sort="timeStamp", **{field: f">=,{pivot}"}) == by_stamp
    assert sorted(sale_ids(engine, sort="updatetime", timeStamp=f">=,{pivot}")) == expected


# -- 2. voids / edits that leave the stamps alone ------------------------------------------
def stamps_of(world, sale_id):
    record = world.sales.full(sale_id)
    sale = record["sale"]
    return sale["timeStamp"], sale["updatetime"], [ln["timeStamp"] for ln in record["lines"]]


def test_keep_stamps_void_and_edit_change_the_sale_not_its_stamps(in_process):
    world = World(sales=120, seed=8, now=NOW)
    sim, engine = in_process(world)
    target, edited, bumped = (int(i) for i in run_hook(sim, "find_sales", {"limit": 3})["sale_ids"])
    before = {i: stamps_of(world, i) for i in (target, edited, bumped)}
    total = world.sales.full(edited)["sale"]["total"]
    newest = datetime.fromtimestamp(max(world.sales.update[1:]), timezone.utc).isoformat()

    answer = run_hook(sim, "void_sale", {"sale_id": target, "keep_stamps": True})
    assert answer["timeStamp"] == before[target][0]
    assert world.sales.full(target)["sale"]["voided"] == "true"
    assert [v["saleID"] for v in world.sale_voids].count(str(target)) == 1
    run_hook(sim, "edit_sale", {"sale_id": edited, "unit_quantity": 9, "keep_stamps": True})
    assert world.sales.full(edited)["sale"]["total"] != total
    assert world.sales.full(edited)["lines"][0]["unitQuantity"] == "9"
    assert stamps_of(world, target) == before[target]
    assert stamps_of(world, edited) == before[edited]
    run_hook(sim, "void_sale", {"sale_id": bumped})  # default: stamps move
    assert stamps_of(world, bumped)[0] > before[bumped][0]
    assert set(stamps_of(world, bumped)[2]) == {stamps_of(world, bumped)[0]}
    # an incremental poll only sees the bumped sale; the others need a completeTime re-read
    assert sale_ids(engine, sort="timeStamp", timeStamp=f">,{newest}") == [str(bumped)]
    rendered = engine.single(ENTITIES["Sale"], str(target), {})["Sale"]
    assert rendered["voided"] == "true" and rendered["timeStamp"] == before[target][0]


# -- 3. zero-amount payments ---------------------------------------------------------------
def test_zero_payments_are_noise_on_a_share_of_completed_sales():
    on = World(sales=2000, seed=11, now=NOW)
    off = World(sales=2000, seed=11, now=NOW, zero_payments_share=0)
    hits = 0
    completed = 0
    for i in range(1, 2001):
        a, b = on.sales.full(i), off.sales.full(i)
        completed += a["sale"]["completed"] == "true"
        assert a["sale"] == b["sale"] and a["lines"] == b["lines"]  # totals untouched
        nonzero = [p for p in a["payments"] if D(p["amount"]) != 0]
        assert nonzero == b["payments"]
        zeros = [p for p in a["payments"] if D(p["amount"]) == 0]
        if zeros:
            hits += 1
            assert a["sale"]["completed"] == "true" and len(zeros) == 1
            assert zeros[0]["archived"] == "false" and zeros[0]["amount"] == "0"
            assert zeros[0]["paymentTypeID"] == "1"
            ids = [p["salePaymentID"] for p in a["payments"]]
            assert len(set(ids)) == len(ids)
    assert 0.03 * completed < hits < 0.07 * completed


def test_edits_leave_zero_payments_at_zero(in_process):
    world = World(sales=200, seed=11, now=NOW, zero_payments_share=1)
    sim, _engine = in_process(world)
    for kind in ("normal", "refund"):
        sale_id = run_hook(sim, "find_sales", {"kind": kind, "limit": 1})["sale_ids"][0]
        run_hook(
            sim, "edit_sale", {"sale_id": sale_id, "unit_quantity": -1 if kind == "refund" else 2}
        )
        record = world.sales.full(int(sale_id))
        amounts = [D(p["amount"]) for p in record["payments"]]
        assert amounts[-1] == 0 and amounts[0] and sum(amounts) == D(record["sale"]["total"])


def test_zero_payment_rows_are_served_and_ignored_by_the_client_model(in_process):
    world = World(sales=400, seed=11, now=NOW)
    _sim, engine = in_process(world)
    sale_id = next(
        i for i in range(1, 401) if any(p["amount"] == "0" for p in world.sales.full(i)["payments"])
    )
    raw = engine.single(ENTITIES["Sale"], str(sale_id), {"load_relations": PAYMENTS_WITH_TYPES})
    sale = Sale.from_payload(raw["Sale"])
    assert any(p.amount == 0 for p in sale.payments)
    assert all(p.amount != 0 for p in sale.active_payments)
    assert sum(p.amount for p in sale.tender_payments) == sale.total == expected_total(sale)


# -- 4. gift-card / credit-account deposits ------------------------------------------------
def test_deposit_sales_are_zero_total_top_ups(in_process):
    world = World(sales=600, seed=13, now=NOW, deposits_share=0.1, zero_payments_share=0)
    assert not World(sales=600, seed=13, now=NOW).sales.ids_of_kind(DEPOSIT)  # off by default
    _sim, engine = in_process(world)
    deposits = world.sales.ids_of_kind(DEPOSIT)
    assert 0.06 * 600 < len(deposits) < 0.14 * 600
    kinds = set()
    for i in deposits:
        record = world.sales.full(i)
        sale, lines, payments = record["sale"], record["lines"], record["payments"]
        assert sale["total"] == "0" and sale["completed"] == "true" and sale["balance"] == "0"
        assert sale["customerID"] != "0"
        [line] = lines
        assert line["itemID"] == "0" and line["calcTotal"] == "0" and line["_note"]
        tender, loaded = payments
        assert D(tender["amount"]) > 0 and D(loaded["amount"]) == -D(tender["amount"])
        assert loaded["paymentTypeID"] in ("3", "4") and tender["paymentTypeID"] not in ("3", "4")
        assert D(sale["totalDue"]) == D(tender["amount"])
        gift = loaded["paymentTypeID"] == "4"
        assert D(sale["displayableTotal"]) == (D(tender["amount"]) if gift else 0)
        kinds.add(loaded["paymentTypeID"])
    assert kinds == {"3", "4"}
    types = {p["paymentTypeID"]: (p["name"], p["type"]) for p in world.payment_types}
    assert types["3"] == ("Credit Account", "credit account")
    assert types["4"] == ("Gift Card", "gift card")
    raw = engine.single(
        ENTITIES["Sale"], str(deposits[0]), {"load_relations": PAYMENTS_WITH_TYPES}
    )["Sale"]
    assert all("PaymentType" in p for p in raw["SalePayments"]["SalePayment"])
    sale = Sale.from_payload(raw)
    [deposit] = sale.deposit_payments
    [tender] = sale.tender_payments
    assert deposit.amount == -tender.amount and expected_total(sale) == tender.amount
    assert [line.note.note for line in sale.lines] == [raw["SaleLines"]["SaleLine"]["Note"]["note"]]


def test_deposit_sale_edit_keeps_the_deposit(in_process):
    world = World(sales=300, seed=13, now=NOW, deposits_share=0.2)
    sim, _engine = in_process(world)
    sale_id = run_hook(sim, "find_sales", {"kind": "deposit", "limit": 1})["sale_ids"][0]
    before = [p["amount"] for p in world.sales.full(int(sale_id))["payments"]]
    run_hook(sim, "edit_sale", {"sale_id": sale_id, "customer_id": "2"})
    record = world.sales.full(int(sale_id))
    assert [p["amount"] for p in record["payments"]] == before
    assert record["sale"]["totalDue"] == before[0] and record["sale"]["customerID"] == "2"


# -- 5. tips on card tenders ---------------------------------------------------------------
def test_tips_ride_on_card_tenders_and_leave_the_other_sales_alone(in_process):
    world = World(sales=400, seed=13, now=NOW, tips_share=0.3, zero_payments_share=0)
    plain = World(sales=400, seed=13, now=NOW, zero_payments_share=0)
    _sim, engine = in_process(world)
    tipped = []
    for i in range(1, 401):
        record, before = world.sales.full(i), plain.sales.full(i)
        sale, payments = record["sale"], record["payments"]
        tips = sum(D(p["tipAmount"]) for p in payments)
        assert D(sale["calcTips"]) == tips and sale["tipEnabled"] == ("true" if tips else "false")
        assert sale["total"] == before["sale"]["total"]  # a tip never changes the sale itself
        if not tips:
            assert payments == before["payments"]
            continue
        tipped.append(i)
        [card] = [p for p in payments if D(p["tipAmount"])]
        assert card["paymentTypeID"] in ("5", "6", "7")
        share = D(card["tipAmount"]) / (D(card["amount"]) - D(card["tipAmount"]))
        assert D("0.09") < share < D("0.21")
        assert sum(D(p["amount"]) for p in payments) == D(sale["total"]) + tips
        assert D(sale["calcPayments"]) == D(sale["total"]) and sale["balance"] == "0"
        assert sale["tipEmployeeID"] == sale["employeeID"]
    assert 0.1 * 400 < len(tipped) < 0.3 * 400
    raw = engine.single(ENTITIES["Sale"], str(tipped[0]), {"load_relations": PAYMENTS_WITH_TYPES})
    parsed = Sale.from_payload(raw["Sale"])
    assert parsed.tips == D(world.sales.full(tipped[0])["sale"]["calcTips"])
    assert expected_total(parsed) == parsed.total + parsed.tips


def test_an_edited_tipped_sale_keeps_its_tip(in_process):
    world = World(sales=300, seed=13, now=NOW, tips_share=0.5, zero_payments_share=0)
    sim, _engine = in_process(world)
    [sale_id] = run_hook(sim, "find_sales", {"kind": "tipped", "limit": 1})["sale_ids"]
    tip = world.sales.full(int(sale_id))["sale"]["calcTips"]
    total = world.sales.full(int(sale_id))["sale"]["total"]
    run_hook(sim, "edit_sale", {"sale_id": sale_id, "unit_quantity": 3})
    record = world.sales.full(int(sale_id))
    assert record["sale"]["total"] != total  # the edit moved the total, not the tip
    assert record["sale"]["calcTips"] == tip and record["sale"]["balance"] == "0"
    paid = sum(D(p["amount"]) for p in record["payments"])
    assert paid == D(record["sale"]["total"]) + D(tip)


# -- 7. ItemShops with the account-total row -----------------------------------------------
def test_item_shops_include_the_account_total_row(in_process):
    world = World(sales=5, seed=2, now=NOW)
    _sim, engine = in_process(world)
    page = engine.list(ENTITIES["Item"], {"load_relations": '["ItemShops"]', "archived": "true"})
    for raw in page["Item"]:
        rows = raw["ItemShops"]["ItemShop"]
        total = [r for r in rows if r["shopID"] == "0"]
        shops = [r for r in rows if r["shopID"] != "0"]
        assert len(total) == 1 and len(shops) == len(world.shops)
        assert int(total[0]["qoh"]) == sum(int(r["qoh"]) for r in shops)
        assert len({r["itemShopID"] for r in rows}) == len(rows)
        if raw["itemType"] != "default" or raw["archived"] == "true":
            assert total[0]["qoh"] == "0"
        assert Item.from_payload(raw).item_id == raw["itemID"]
    assert any(int(r["ItemShops"]["ItemShop"][0]["qoh"]) for r in page["Item"])
    assert "ItemShops" not in engine.single(ENTITIES["Item"], "1", {})["Item"]  # only on demand
    again = World(sales=5, seed=2, now=NOW)
    assert [again.item_shops(i) for i in again.items] == [world.item_shops(i) for i in world.items]


# -- over HTTP: CLI flags and the token delay ----------------------------------------------
def test_cli_flags_reach_the_payloads(fresh_sim):
    sim = fresh_sim(
        "--sales", "150", "--stamp-spelling", "lower", "--deposits-share", "0.2",
        "--zero-payments-share", "0",
    )  # fmt: skip
    state = sim.state()
    assert state["stamp_spelling"] == "updatetime" and state["deposits_share"] == 0.2
    sales = list(sim.client().iter_sales(completed=None, archived=True))
    assert all("updatetime" in s.raw and "updateTime" not in s.raw for s in sales)
    assert all(p.amount != 0 for s in sales for p in s.payments)
    deposits = [s for s in sales if s.deposit_payments]
    assert deposits and all(s.total == 0 and expected_total(s) > 0 for s in deposits)


def test_token_delay_hook_slows_only_the_token_endpoint(fresh_sim):
    sim = fresh_sim("--sales", "5")
    token = sim.token()
    assert sim.hook("set_token_delay", seconds=0.6) == {"token_delay": 0.6}
    oauth = sim.oauth()
    started = time.monotonic()
    oauth.refresh(token.refresh_token)
    assert time.monotonic() - started >= 0.6
    started = time.monotonic()
    sim.client(token=token, oauth=oauth).get_account()  # the API is not delayed
    assert time.monotonic() - started < 0.5
    assert sim.hook("set_token_delay", seconds=0)["token_delay"] == 0
    assert sim.state()["token_delay"] == 0
    bad = requests.post(f"{sim.base_url}/_sim/set_token_delay", json={"seconds": -1})
    assert bad.status_code == 400
