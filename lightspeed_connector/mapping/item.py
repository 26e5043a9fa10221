"""Pure mappers from a Lightspeed ``Item`` to product values (no Odoo imports).

The importer resolves what needs the database (the product category and POS category records
of ``category_path``, the taxes, the matrix template, barcode owners); these functions turn the
payload into plain values. See README.md, "Catalogue and stock".
"""

import hashlib
import json

from .errors import MappingError

ROOT_CATEGORY = "Lightspeed"
# itemType values (spec §6.9): non-inventory items are services, every other type (default,
# box, assembly, serialized...) is goods tracked in stock.
SERVICE_ITEM_TYPES = frozenset({"non_inventory"})
# The fields a price/cost master setting decides about.
PRICE_FIELD = "list_price"
COST_FIELD = "standard_price"


class ItemMappingError(MappingError):
    """The item cannot be mapped as it is."""


def default_code(item):
    """Internal reference: ``customSku``, else ``systemSku``."""
    return (item.custom_sku or "").strip() or (item.system_sku or "").strip() or False


def barcode(item):
    """Barcode: ``upc``, else ``ean``."""
    return (item.upc or "").strip() or (item.ean or "").strip() or False


def is_service(item):
    return (item.item_type or "default") in SERVICE_ITEM_TYPES


def type_vals(item):
    """``non_inventory`` -> a service; other types -> goods tracked in stock."""
    if is_service(item):
        return {"type": "service", "is_storable": False}
    return {"type": "consu", "is_storable": True}


def category_path(item):
    """Names from the root "Lightspeed" down to the item's category, e.g. ``["Lightspeed",
    "Apparel", "Gloves"]``; only the root without a (loaded) category."""
    category = item.category
    if category is None or not item.category_id:
        return [ROOT_CATEGORY]
    path = category.full_path_name or category.name
    parts = [part.strip() for part in path.split("/") if part.strip()]
    if not parts:
        raise ItemMappingError(
            f"Category {category.category_id} of item {item.item_id} has no name."
        )
    return [ROOT_CATEGORY, *parts]


def attribute_values(item, attribute_names=("", "", "")):
    """``[(attribute name, value)]`` of a matrix item, from ``ItemAttributes.attribute1..3``
    and the matrix's attribute set names ("Attribute 2" when the set names none)."""
    pairs = []
    for index, value in enumerate(item.attributes or ()):
        value = (value or "").strip()
        if not value:
            continue
        name = attribute_names[index] if index < len(attribute_names) else ""
        pairs.append(((name or "").strip() or f"Attribute {index + 1}", value))
    if item.item_matrix_id and not pairs:
        raise ItemMappingError(
            f"Item {item.item_id} belongs to matrix {item.item_matrix_id} but has no attribute "
            "values (ItemAttributes.attribute1..3)."
        )
    return pairs


def _money(value):
    return float(value or 0)


def prepare_product_vals(item, masters=None):
    """Values of the product of ``item`` that Lightspeed owns (the importer adds the category,
    POS category and taxes). ``masters``: ``{field: "lightspeed"|"odoo"}`` for ``list_price``
    and ``standard_price``; a field Odoo is master of is left out (never imported)."""
    masters = masters or {}
    vals = {
        "name": (item.description or "").strip() or f"Lightspeed item {item.item_id}",
        "default_code": default_code(item),
        "barcode": barcode(item),
        "available_in_pos": True,
        "sale_ok": True,
        "active": not item.archived,
        **type_vals(item),
    }
    if masters.get(PRICE_FIELD, "lightspeed") == "lightspeed":
        vals[PRICE_FIELD] = _money(item.default_price)
    if masters.get(COST_FIELD, "lightspeed") == "lightspeed":
        vals[COST_FIELD] = _money(item.default_cost)
    return vals


def prepare_variant_vals(vals):
    """The per-variant part of ``prepare_product_vals`` (a matrix template keeps the rest)."""
    keys = ("default_code", "barcode", "active", COST_FIELD)
    return {key: vals[key] for key in keys if key in vals}


def prepare_matrix_template_vals(item, matrix_description, vals):
    """Template values of a matrix: its name, the first item's price, type and flags."""
    keys = ("available_in_pos", "sale_ok", "type", "is_storable", PRICE_FIELD)
    template = {key: vals[key] for key in keys if key in vals}
    template["name"] = (matrix_description or "").strip() or vals["name"]
    return template


def changed_vals(current, wanted, float_fields=(PRICE_FIELD, COST_FIELD)):
    """The part of ``wanted`` that differs from ``current`` (money compared to the cent)."""
    changed = {}
    for key, value in wanted.items():
        old = current.get(key)
        if key in float_fields:
            if round(float(old or 0) - float(value or 0), 2) != 0:
                changed[key] = value
        elif isinstance(value, list | tuple | set) and not isinstance(value, str):
            if sorted(old or ()) != sorted(value):
                changed[key] = value
        elif (old or False) != (value or False):
            changed[key] = value
    return changed


def item_fingerprint(item):
    """Digest of what the import applies (not the counts: ItemShops are read, not imported)."""
    content = {
        "description": item.description,
        "sku": [item.custom_sku, item.system_sku],
        "barcode": [item.upc, item.ean],
        "prices": {str(k): str(v) for k, v in sorted(item.prices.items(), key=str)},
        "cost": str(item.default_cost),
        "archived": item.archived,
        "type": item.item_type,
        "tax": [item.tax, item.tax_class_id],
        "category": [item.category_id, item.category.full_path_name if item.category else None],
        "matrix": [item.item_matrix_id, list(item.attributes or ())],
    }
    return hashlib.sha1(json.dumps(content, sort_keys=True).encode()).hexdigest()
