"""Items: the pure mapper (``mapping/item.py``)."""

import copy

import pytest

from lightspeed_connector.api import Item
from lightspeed_connector.mapping.item import (
    ItemMappingError,
    attribute_values,
    barcode,
    category_path,
    changed_vals,
    default_code,
    item_fingerprint,
    prepare_matrix_template_vals,
    prepare_product_vals,
    prepare_variant_vals,
    type_vals,
)

# The reference's Item sample (spec §6.9) with its Category loaded.
ITEM = {
    "itemID": "210",
    "systemSku": "210000000210",
    "customSku": "GLV-TRL-M",
    "upc": "012345678905",
    "ean": "8712345678906",
    "description": "Trail gloves M",
    "defaultCost": "11",
    "tax": "true",
    "archived": "false",
    "itemType": "default",
    "categoryID": "3",
    "taxClassID": "1",
    "itemMatrixID": "0",
    "timeStamp": "2025-02-20T16:12:45+00:00",
    "Prices": {
        "ItemPrice": [
            {"amount": "24.99", "useTypeID": "1", "useType": "Default"},
            {"amount": "29.99", "useTypeID": "2", "useType": "MSRP"},
            {"amount": "0", "useTypeID": "3", "useType": "Online"},
        ]
    },
    "Category": {
        "categoryID": "3",
        "name": "Gloves",
        "fullPathName": "Apparel/Gloves",
        "parentID": "2",
    },
}


def item(**changes):
    raw = copy.deepcopy(ITEM)
    raw.update(changes)
    return Item.from_payload(raw)


def test_product_vals_of_the_sample():
    assert prepare_product_vals(item()) == {
        "name": "Trail gloves M",
        "default_code": "GLV-TRL-M",
        "barcode": "012345678905",
        "list_price": 24.99,
        "standard_price": 11.0,
        "available_in_pos": True,
        "sale_ok": True,
        "active": True,
        "type": "consu",
        "is_storable": True,
    }


def test_reference_and_barcode_fallbacks():
    assert default_code(item(customSku="")) == "210000000210"
    assert default_code(item(customSku="", systemSku="")) is False
    assert barcode(item(upc="")) == "8712345678906"
    assert barcode(item(upc="", ean="")) is False


@pytest.mark.parametrize(
    ("item_type", "vals"),
    [
        ("non_inventory", {"type": "service", "is_storable": False}),
        ("default", {"type": "consu", "is_storable": True}),
        ("box", {"type": "consu", "is_storable": True}),
        ("assembly", {"type": "consu", "is_storable": True}),
    ],
)
def test_types(item_type, vals):
    assert type_vals(item(itemType=item_type)) == vals


def test_archived_item_is_an_archived_product():
    assert prepare_product_vals(item(archived="true"))["active"] is False


def test_masters_leave_odoo_fields_out():
    vals = prepare_product_vals(item(), {"list_price": "odoo", "standard_price": "lightspeed"})
    assert "list_price" not in vals and vals["standard_price"] == 11.0
    vals = prepare_product_vals(item(), {"list_price": "lightspeed", "standard_price": "odoo"})
    assert "standard_price" not in vals and vals["list_price"] == 24.99


def test_category_path():
    assert category_path(item()) == ["Lightspeed", "Apparel", "Gloves"]
    raw = copy.deepcopy(ITEM)
    del raw["Category"]
    assert category_path(Item.from_payload(raw)) == ["Lightspeed"]
    assert category_path(item(categoryID="0")) == ["Lightspeed"]


def test_matrix_attribute_values():
    jersey = item(itemMatrixID="7", ItemAttributes={"attribute1": "Red", "attribute2": "M"})
    assert attribute_values(jersey, ("Color", "Size", "")) == [("Color", "Red"), ("Size", "M")]
    assert attribute_values(jersey) == [("Attribute 1", "Red"), ("Attribute 2", "M")]
    with pytest.raises(ItemMappingError, match="matrix 7 but has no attribute values"):
        attribute_values(item(itemMatrixID="7"))
    vals = prepare_product_vals(jersey)
    assert prepare_variant_vals(vals) == {
        "default_code": "GLV-TRL-M",
        "barcode": "012345678905",
        "active": True,
        "standard_price": 11.0,
    }
    assert prepare_matrix_template_vals(jersey, "Club jersey", vals) == {
        "name": "Club jersey",
        "available_in_pos": True,
        "sale_ok": True,
        "type": "consu",
        "is_storable": True,
        "list_price": 24.99,
    }


def test_changed_vals():
    current = {"list_price": 24.991, "name": "A", "taxes_id": [2, 1], "barcode": False}
    wanted = {"list_price": 24.99, "name": "B", "taxes_id": [1, 2], "barcode": ""}
    assert changed_vals(current, wanted) == {"name": "B"}


def test_fingerprint_follows_what_is_imported_only():
    base = item_fingerprint(item())
    assert item_fingerprint(item()) == base
    assert item_fingerprint(item(defaultCost="12")) != base
    assert item_fingerprint(item(archived="true")) != base
    counts = item(ItemShops={"ItemShop": [{"itemShopID": "1", "shopID": "1", "qoh": "4"}]})
    assert item_fingerprint(counts) == base
