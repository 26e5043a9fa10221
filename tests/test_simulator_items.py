"""Simulator catalogue and Item writes (spec §6.9, §6.11, §13): prices, ItemShops, categories,
matrices, archived items, the timeStamp filter, PUT Item (counts, prices, cost, 400s, costs)."""

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from lightspeed_connector.api import AuthenticationError, RequestValidationError
from lightspeed_simulator.data import NORMAL, World

NOW = ("--now", "2026-03-31T12:00:00Z", "--seed", "42", "--sales", "20")


@pytest.fixture
def shop_sim(fresh_sim):
    return fresh_sim(*NOW)


def test_item_payload_prices_shops_attributes(shop_sim):
    client = shop_sim.client()
    items = {
        i.item_id: i
        for i in client.iter_items(relations=["ItemShops", "ItemAttributes", "Category"])
    }
    assert len(items) == 66  # 60 base items + 6 matrix items, archived included
    assert sorted(i for i, item in items.items() if item.archived) == ["55", "56", "57", "58", "59"]
    jersey = items["62"]
    assert jersey.item_matrix_id == "1"
    assert jersey.attributes == ("Red", "M", "")
    assert jersey.description == "Club jersey Red M"
    assert jersey.prices == {"Default": Decimal("45"), "MSRP": Decimal("0"), "Online": Decimal("0")}
    assert jersey.default_cost == Decimal("20.25")
    assert jersey.category.full_path_name == "Apparel"
    assert items["3"].item_matrix_id is None and items["3"].attributes == ("", "", "")
    assert items["10"].category.full_path_name == "Apparel/Gloves"
    assert items["3"].category.full_path_name == "Parts"
    rows = items["3"].item_shops
    assert [r.shop_id for r in rows] == [None, "1", "2", "3"]
    assert [r.item_shop_id for r in rows] == ["30", "31", "32", "33"]
    assert rows[0].qoh == sum(r.qoh for r in rows[1:])
    # a service item holds no stock
    assert {r.qoh for r in items["50"].item_shops} == {Decimal(0)}
    assert items["50"].item_type == "non_inventory"


def test_item_matrix_and_category_endpoints(shop_sim):
    client = shop_sim.client()
    matrices = list(client.iter_item_matrices())
    assert [(m.item_matrix_id, m.description, m.attribute_names) for m in matrices] == [
        ("1", "Club jersey", ("Color", "Size", "")),
        ("2", "Trail helmet", ("Size", "", "")),
    ]
    categories = {c.category_id: (c.name, c.parent_id) for c in client.iter_categories()}
    assert categories == {
        "1": ("Bikes", None),
        "2": ("Apparel", None),
        "3": ("Gloves", "2"),
        "4": ("Parts", None),
        "5": ("Services", None),
    }


def test_timestamp_filter_and_sort(shop_sim):
    client = shop_sim.client()
    edited = shop_sim.hook("edit_item", item_id="7", price="12.5")["item"]
    again = shop_sim.hook("edit_item", item_id="4", description="Chain lube XL")["item"]
    since = client.iter_items(updated_from=_dt(edited["timeStamp"]), sort="timeStamp")
    assert [(i.item_id, i.default_price) for i in since] == [
        ("7", Decimal("12.5")),
        ("4", items_price(client, "4")),
    ]
    assert again["description"] == "Chain lube XL"
    assert [i.item_id for i in client.iter_items(archived="only")] == ["55", "56", "57", "58", "59"]


def items_price(client, item_id):
    return next(client.iter_items(item_ids=[item_id])).default_price


def _dt(text):
    return datetime.fromisoformat(text)


def test_put_item_counts_prices_cost(shop_sim):
    client = shop_sim.client()
    shop_sim.hook("reset_stats")
    item = client.update_item(
        "3",
        {
            "ItemShops": {"ItemShop": [{"itemShopID": "31", "qoh": "12"}]},
            "Prices": {"ItemPrice": [{"amount": "24.99", "useType": "Default"}]},
            "defaultCost": "11.00",
        },
    )
    assert item.default_price == Decimal("24.99")
    assert item.default_cost == Decimal("11")
    rows = {r.shop_id: r.qoh for r in item.item_shops}
    assert rows["1"] == 12
    assert rows[None] == rows["1"] + rows["2"] + rows["3"]
    assert shop_sim.hook("item_stock", item_ids=["3"], shop_id="1") == {"stock": {"3": 12}}
    assert shop_sim.hook("item_writes")["writes"] == [
        {"itemID": "3", "itemShopID": "31", "shopID": "1", "qoh": 12},
        {"itemID": "3", "price": "Default", "amount": "24.99"},
        {"itemID": "3", "defaultCost": "11"},
    ]
    # 1 + 0.5 per nested entity (one ItemShop, one ItemPrice)
    assert client.limiter.last_cost == 2.0
    # a count alone does not move the item's stamp; the price did
    assert item.timestamp.isoformat() > "2025"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"ItemShops": {"ItemShop": [{"itemShopID": "41", "qoh": "1"}]}}, "'41' does not belong"),
        ({"ItemShops": {"ItemShop": [{"itemShopID": "31", "qoh": "many"}]}}, "qoh must be an"),
        ({"ItemShops": {"ItemShop": [{"itemShopID": "30", "qoh": "4"}]}}, "account total"),
        ({"Prices": {"ItemPrice": [{"amount": "x", "useType": "Default"}]}}, "amount must be"),
        ({"defaultCost": "free"}, "defaultCost must be a number"),
        ({}, "the body must be a JSON object"),
    ],
)
def test_put_item_bad_bodies(shop_sim, body, message):
    client = shop_sim.client()
    before = shop_sim.hook("item_stock", item_ids=["3"])
    with pytest.raises(RequestValidationError) as caught:
        client.update_item("3", body)
    assert caught.value.status == 400
    assert message in str(caught.value)
    assert shop_sim.hook("item_stock", item_ids=["3"]) == before  # nothing applied
    assert shop_sim.hook("item_writes") == {"writes": []}


def test_hooks_set_stock_and_collide_barcode(shop_sim):
    client = shop_sim.client()
    shop_sim.hook("set_stock", item_id="2", shop_id="2", qoh=9)
    assert shop_sim.hook("item_stock", item_ids=["2"])["stock"]["2"]["2"] == 9
    assert shop_sim.hook("collide_barcode", item_id="5", with_item_id="4") == {
        "itemID": "5",
        "upc": "000000000004",
    }
    assert next(client.iter_items(item_ids=["5"])).upc == "000000000004"


def test_extra_items_are_sold(fresh_sim):
    sim = fresh_sim("--now", "2026-03-31T12:00:00Z", "--sales", "50", "--items", "300")
    client = sim.client()
    assert client.count("Item", {"archived": "true"}) == 366
    world = World(sales=200, extra_items=300, now=datetime(2026, 3, 31, 12, tzinfo=timezone.utc))
    sold = {
        line["itemID"]
        for i in world.sales.ids_of_kind(NORMAL)
        for line in world.sales.full(i)["lines"]
    }
    assert len({i for i in sold if int(i) > 1000}) > 100


def test_put_cost_counts_in_the_bucket(shop_sim):
    client = shop_sim.client()
    shop_sim.hook("reset_stats")
    body = {
        "ItemShops": {
            "ItemShop": [{"itemShopID": "11", "qoh": "1"}, {"itemShopID": "12", "qoh": "2"}]
        }
    }
    client.update_item("1", body)
    assert client.limiter.last_cost == 2.0
    assert json.loads(json.dumps(shop_sim.stats()))["api_by_entity"] == {"Item": 1}


def test_put_needs_the_inventory_write_scope(shop_sim):
    client = shop_sim.client(token=shop_sim.token(scope="employee:inventory_read"))
    with pytest.raises(AuthenticationError) as caught:
        client.update_item("3", {"defaultCost": "1"})
    assert caught.value.status == 403
    assert str(caught.value) == (
        "Writing items requires one of: employee:all, employee:inventory. (HTTP 403, Exception)"
    )
