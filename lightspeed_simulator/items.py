"""Catalogue of the simulated account beyond the 60 base items, and Item writes.

* Item matrices (spec §6.9): ``ItemMatrix`` 1 "Club jersey" (Color × Size, items 61-64) and 2
  "Trail helmet" (Size, items 65-66); their items carry ``itemMatrixID`` and, with
  ``load_relations=["ItemAttributes"]``, ``ItemAttributes.attribute1..3``.
* ``--items N``: N more plain items (ids 1001...), sold like the base ones (benchmarks).
* ``PUT /Account/{a}/Item/{id}.json`` (spec §13): ``ItemShops.ItemShop[].qoh`` per
  ``itemShopID`` (never the ``shopID`` 0 total row), ``Prices.ItemPrice[].amount`` per
  ``useType`` and ``defaultCost``. The whole body is checked before anything is applied; a bad
  body is a 400 with a message. Every applied write is logged in ``sim.item_writes``.
"""

from decimal import Decimal, InvalidOperation

MATRICES = [
    # itemMatrixID, description, attribute names, category, price, items (id, attribute values)
    (
        "1",
        "Club jersey",
        ("Color", "Size", ""),
        "2",
        Decimal("45"),
        [
            ("61", ("Red", "S", "")),
            ("62", ("Red", "M", "")),
            ("63", ("Blue", "S", "")),
            ("64", ("Blue", "M", "")),
        ],
    ),
    (
        "2",
        "Trail helmet",
        ("Size", "", ""),
        "2",
        Decimal("89.5"),
        [("65", ("M", "", "")), ("66", ("L", "", ""))],
    ),
]
EXTRA_ITEM_BASE = 1000
PRICE_USE_TYPES = {"1": "Default", "2": "MSRP", "3": "Online"}


def _fmt(value):
    from .data import fmt

    return fmt(value)


def _cost(price):
    from .data import round2

    return _fmt(round2(price * Decimal("0.45")))


def _item(item_id, description, custom_sku, category, price, base, **extra):
    row = {
        "itemID": item_id,
        "systemSku": f"21{int(item_id):010d}",
        "defaultCost": _cost(price),
        "avgCost": _cost(price),
        "discountable": "true",
        "tax": "true",
        "archived": "false",
        "itemType": "default",
        "serialized": "false",
        "description": description,
        "modelYear": "0",
        "upc": "",
        "ean": "",
        "customSku": custom_sku,
        "manufacturerSku": "",
        "createTime": base,
        "timeStamp": base,
        "publishToEcom": "false",
        "categoryID": category,
        "taxClassID": "1",
        "departmentID": "0",
        "itemMatrixID": "0",
        "manufacturerID": "0",
        "seasonID": "0",
        "defaultVendorID": "0",
        "_price": price,
    }
    row.update(extra)
    return row


def build_item_matrices(base):
    return [
        {
            "itemMatrixID": matrix_id,
            "description": description,
            "attributeSetID": matrix_id,
            "itemType": "default",
            "defaultCost": _cost(price),
            "archived": "false",
            "categoryID": category,
            "taxClassID": "1",
            "timeStamp": base,
            "_names": names,
        }
        for matrix_id, description, names, category, price, _items in MATRICES
    ]


def build_matrix_items(base):
    rows = []
    for matrix_id, description, _names, category, price, items in MATRICES:
        for item_id, values in items:
            label = " ".join(v for v in values if v)
            sku = "-".join([description.split()[-1].upper()[:3], *(v.upper() for v in values if v)])
            rows.append(
                _item(
                    item_id,
                    f"{description} {label}",
                    sku,
                    category,
                    price,
                    base,
                    itemMatrixID=matrix_id,
                    _attributes=values,
                )
            )
    return rows


def build_extra_items(base, count):
    from .data import unit_hash

    rows = []
    for k in range(1, count + 1):
        n = EXTRA_ITEM_BASE + k
        price = Decimal(300 + int(unit_hash("extra-price", n) * 14700)) / 100
        rows.append(
            _item(
                str(n),
                f"Catalogue item #{n}",
                f"CAT-{n:06d}",
                str(1 + k % 4),
                price,
                base,
                upc=f"2{n:011d}",
            )
        )
    return rows


# -- rendering ----------------------------------------------------------------------------
def item_prices(row):
    return [
        {"amount": _fmt(row["_price"]), "useTypeID": "1", "useType": "Default"},
        {"amount": _fmt(row.get("_msrp", 0)), "useTypeID": "2", "useType": "MSRP"},
        {"amount": _fmt(row.get("_online", 0)), "useTypeID": "3", "useType": "Online"},
    ]


def item_attributes(row):
    values = row.get("_attributes") or ("", "", "")
    return {
        "itemAttributeSetID": row["itemMatrixID"],
        "attribute1": values[0],
        "attribute2": values[1],
        "attribute3": values[2],
    }


def attribute_set(matrix):
    names = matrix["_names"]
    return {
        "itemAttributeSetID": matrix["attributeSetID"],
        "name": " / ".join(n for n in names if n),
        "attributeName1": names[0],
        "attributeName2": names[1],
        "attributeName3": names[2],
    }


# -- writes -------------------------------------------------------------------------------
def write_cost(body, legacy=False):
    """Drips of an Item PUT: 1 plus 0.5 per nested entity (10 under the pre-2026 prices)."""
    if legacy:
        return 10.0
    nested = 0
    if isinstance(body, dict):
        nested += len(_rows(body.get("ItemShops"), "ItemShop"))
        nested += len(_rows(body.get("Prices"), "ItemPrice"))
    return 1.0 + 0.5 * nested


def _rows(container, key):
    if not isinstance(container, dict):
        return []
    rows = container.get(key)
    if rows is None:
        return []
    return rows if isinstance(rows, list) else [rows]


def _number(value, what, integer=False):
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or (integer and number != int(number)):
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{what} must be {kind}, got {value!r}.")
    return number


def _checked_counts(world, row, body):
    own_rows = {r["itemShopID"]: r["shopID"] for r in world.item_shops(row)}
    if "ItemShops" in body and not isinstance(body["ItemShops"], dict):
        raise ValueError("ItemShops must be an object with an ItemShop list.")
    counts = []
    for entry in _rows(body.get("ItemShops"), "ItemShop"):
        if not isinstance(entry, dict):
            raise ValueError("Each ItemShop must be an object.")
        item_shop_id = str(entry.get("itemShopID") or "")
        shop_id = own_rows.get(item_shop_id)
        if shop_id is None:
            raise ValueError(f"ItemShop {item_shop_id!r} does not belong to Item {row['itemID']}.")
        if shop_id == "0":
            raise ValueError(
                f"ItemShop {item_shop_id} is the account total (shopID 0) and cannot be written."
            )
        if "qoh" in entry:
            qoh = _number(entry["qoh"], "qoh", integer=True)
            counts.append((shop_id, item_shop_id, int(qoh)))
    return counts


def _checked_prices(body):
    if "Prices" in body and not isinstance(body["Prices"], dict):
        raise ValueError("Prices must be an object with an ItemPrice list.")
    prices = []
    for entry in _rows(body.get("Prices"), "ItemPrice"):
        if not isinstance(entry, dict):
            raise ValueError("Each ItemPrice must be an object.")
        use_type = entry.get("useType") or PRICE_USE_TYPES.get(str(entry.get("useTypeID")))
        if use_type not in PRICE_USE_TYPES.values():
            raise ValueError(f"Unknown price level {use_type!r}.")
        prices.append((use_type, _number(entry.get("amount"), "amount")))
    return prices


def apply_item_put(sim, item_id, body):
    """Apply a PUT body to item ``item_id``; returns the item row. ``LookupError`` for an
    unknown item, ``ValueError`` (the 400 message) for a bad body; nothing is applied then."""
    world = sim.world
    row = world.item_by_id.get(str(item_id))
    if row is None:
        raise LookupError(item_id)
    if not isinstance(body, dict) or not body:
        raise ValueError("Item not updated: the body must be a JSON object with fields to set.")
    counts = _checked_counts(world, row, body)
    prices = _checked_prices(body)
    cost = _number(body["defaultCost"], "defaultCost") if "defaultCost" in body else None
    # everything checked: apply
    for shop_id, item_shop_id, qoh in counts:
        world.stock[(row["itemID"], shop_id)] = qoh
        sim.item_writes.append(
            {"itemID": row["itemID"], "itemShopID": item_shop_id, "shopID": shop_id, "qoh": qoh}
        )
    keys = {"Default": "_price", "MSRP": "_msrp", "Online": "_online"}
    for use_type, amount in prices:
        row[keys[use_type]] = amount
        sim.item_writes.append({"itemID": row["itemID"], "price": use_type, "amount": str(amount)})
    if cost is not None:
        row["defaultCost"] = _fmt(cost)
        sim.item_writes.append({"itemID": row["itemID"], "defaultCost": row["defaultCost"]})
    if prices or cost is not None:
        # an Item change moves its stamp; ItemShop changes do not (spec §6.9, §13)
        from .data import ts

        row["timeStamp"] = ts(world.stamp())
    return row


# -- admin hooks (registered in hooks.py) -------------------------------------------------
def _item_row(sim, data):
    row = sim.world.item_by_id.get(str(data.get("item_id")))
    if row is None:
        raise KeyError(f"item {data.get('item_id')}")
    return row


def hook_item_stock(sim, data):
    """``{"item_ids": [...], "shop_id": "1"}`` (both optional): ``{"stock": {itemID: {shopID:
    qoh}}}`` as ``ItemShops`` lists them (shop "0" = the total)."""
    world = sim.world
    wanted = data.get("item_ids")
    rows = [world.item_by_id[str(i)] for i in wanted] if wanted else world.items
    shop = data.get("shop_id")
    stock = {}
    for row in rows:
        counts = {r["shopID"]: int(r["qoh"]) for r in world.item_shops(row)}
        stock[row["itemID"]] = counts[str(shop)] if shop is not None else counts
    return {"stock": stock}


def hook_set_stock(sim, data):
    """``{"item_id": "3", "shop_id": "1", "qoh": 7}``: set a count (no write is logged)."""
    row = _item_row(sim, data)
    shop = str(data["shop_id"])
    if shop not in sim.world.shop_ids:
        raise KeyError(f"shop {shop}")
    sim.world.stock[(row["itemID"], shop)] = int(data["qoh"])
    return {"itemID": row["itemID"], "shopID": shop, "qoh": int(data["qoh"])}


def hook_item_writes(sim, data):
    """Item writes applied since the start (or the last ``reset_item_writes``)."""
    return {"writes": list(sim.item_writes)}


def hook_reset_item_writes(sim, data):
    sim.item_writes.clear()
    return {"reset": True}


ITEM_FIELDS = {
    "description": "description",
    "custom_sku": "customSku",
    "upc": "upc",
    "ean": "ean",
    "default_cost": "defaultCost",
    "category_id": "categoryID",
    "item_type": "itemType",
}


def hook_edit_item(sim, data):
    """Edit an item: ``description``, ``custom_sku``, ``upc``, ``ean``, ``default_cost``,
    ``category_id``, ``item_type``, ``price`` (Default), ``archived``; its ``timeStamp``
    moves to now."""
    from .data import b, ts

    row = _item_row(sim, data)
    for key, field in ITEM_FIELDS.items():
        if key in data:
            row[field] = str(data[key])
    if "price" in data:
        row["_price"] = Decimal(str(data["price"]))
    if "archived" in data:
        row["archived"] = b(data["archived"])
    row["timeStamp"] = ts(sim.world.stamp())
    return {"item": {k: v for k, v in row.items() if not k.startswith("_")}}


def hook_collide_barcode(sim, data):
    """``{"item_id": "5", "with_item_id": "4"}``: item 5 gets item 4's barcode (UPC, else
    EAN) as its UPC, and a new ``timeStamp``."""
    from .data import ts

    row = _item_row(sim, data)
    other = _item_row(sim, {"item_id": data.get("with_item_id")})
    code = other["upc"] or other["ean"]
    if not code:
        raise ValueError(f"item {other['itemID']} has no barcode")
    row["upc"] = code
    row["timeStamp"] = ts(sim.world.stamp())
    return {"itemID": row["itemID"], "upc": code}
