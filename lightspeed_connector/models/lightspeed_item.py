# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..api import Item, PayloadError
from ..mapping.item import barcode as item_barcode
from ..mapping.item import default_code, prepare_product_vals


class LightspeedItem(models.Model):
    """A Lightspeed item and the Odoo product its sale lines are booked on.

    One binding per (backend, itemID), whoever meets the item first: the item import
    (``lightspeed.item.importer``) or a sale line (``_resolve_products``). Both resolve through
    this model, so an item is one product however it arrived.
    """

    _name = "lightspeed.item"
    _inherit = "lightspeed.mapping.mixin"
    _description = "Lightspeed Item"

    product_id = fields.Many2one("product.product", required=True, index=True, ondelete="restrict")
    product_tmpl_id = fields.Many2one(related="product_id.product_tmpl_id", string="Template")
    system_sku = fields.Char(readonly=True)
    custom_sku = fields.Char(readonly=True)
    barcode = fields.Char(readonly=True)
    item_matrix_lightspeed_id = fields.Char(string="Item matrix ID", readonly=True, index=True)
    item_type = fields.Char(readonly=True)
    item_shop_ids = fields.Json(
        string="ItemShop IDs",
        readonly=True,
        help="{shopID: itemShopID} of the item's ItemShops (the shop 0 total row excluded).",
    )
    remote_price = fields.Float(
        string="Lightspeed price",
        digits="Product Price",
        readonly=True,
        help="The item's Default price as last read from or written to Lightspeed.",
    )
    remote_cost = fields.Float(
        string="Lightspeed cost",
        digits="Product Price",
        readonly=True,
        help="The item's defaultCost as last read from or written to Lightspeed.",
    )
    stock_exported_at = fields.Datetime(
        readonly=True, help="Last time the stock export wrote this item's counts."
    )

    @api.model
    def _binding_vals(self, backend, item, product_id):
        vals = {
            "backend_id": backend.id,
            "lightspeed_id": item.item_id,
            "name": item.description or item.item_id,
            "product_id": product_id,
            "system_sku": item.system_sku or False,
            "custom_sku": item.custom_sku or False,
            "barcode": item_barcode(item),
            "item_matrix_lightspeed_id": item.item_matrix_id or False,
            "item_type": item.item_type or False,
            "remote_archived": bool(item.archived),
            "remote_price": float(item.default_price or 0),
            "remote_cost": float(item.default_cost or 0),
            "synced_at": fields.Datetime.now(),
        }
        shops = {row.shop_id: row.item_shop_id for row in item.item_shops if row.shop_id}
        if shops:
            vals["item_shop_ids"] = shops
        return vals

    @api.model
    def _create_products(self, vals_list):
        """``product.product.create`` of a batch, with the defaults that cost a query per
        record (routes available, unit of measure) computed once for the batch."""
        Product = self.env["product.product"].with_context(active_test=False)
        if not vals_list:
            return Product
        defaults = Product.default_get(["has_available_route_ids", "uom_id"])
        if defaults.get("uom_id"):
            defaults["uom_po_id"] = defaults["uom_id"]
        return Product.create([{**defaults, **vals} for vals in vals_list])

    @api.model
    def _match_products(self, backend, items):
        """``{itemID: product id}`` of existing products matching ``items`` by barcode (UPC,
        then EAN), else internal reference (customSku, then systemSku): two searches in all."""
        Product = self.env["product.product"].with_context(active_test=False)
        codes = {c for item in items for c in (item.upc, item.ean) if c}
        refs = {r for item in items for r in (item.custom_sku, item.system_sku) if r}
        by_code, by_ref = {}, {}
        if codes:
            for product in Product.search([("barcode", "in", list(codes))], order="id"):
                by_code.setdefault(product.barcode, product.id)
        if refs:
            for product in Product.search(
                [
                    ("default_code", "in", list(refs)),
                    ("company_id", "in", (backend.company_id.id, False)),
                ],
                order="id",
            ):
                by_ref.setdefault(product.default_code, product.id)
        matches = {}
        for item in items:
            for key, table in (
                (item.upc, by_code),
                (item.ean, by_code),
                (item.custom_sku, by_ref),
                (item.system_sku, by_ref),
            ):
                if key and key in table:
                    matches[item.item_id] = table[key]
                    break
        return matches, set(by_code)

    @api.model
    def _resolve_products(self, backend, items):
        """``{itemID: product id}`` for Lightspeed ``Item`` objects (from the sale payload).

        Matching order: stored binding, then barcode (UPC, EAN), then internal reference
        (customSku, systemSku); otherwise the product is created from the item when the backend
        allows it. Lookups are prefetched and new products created in one batch. Unknown items
        without details stay unresolved (the caller reports them).
        """
        unique = {}
        for item in items:
            unique.setdefault(item.item_id, item)
        known = {
            rec.lightspeed_id: rec.product_id.id
            for rec in self.with_context(active_test=False).search(
                [("backend_id", "=", backend.id), ("lightspeed_id", "in", list(unique))]
            )
        }
        missing = [item for item_id, item in unique.items() if item_id not in known]
        if not missing:
            return known
        matches, used_codes = self._match_products(backend, missing)
        to_bind = []
        to_create = []
        for item in missing:
            if item.item_id in matches:
                to_bind.append((item, matches[item.item_id]))
            elif backend.create_missing_products:
                vals = self._prepare_product_vals(item)
                if vals["barcode"] in used_codes:
                    vals["barcode"] = False  # barcodes are unique in Odoo: keep it without one
                used_codes.add(vals["barcode"])
                to_create.append((item, vals))
        if to_create:
            products = self._create_products([vals for _item, vals in to_create])
            to_bind += [
                (item, product.id)
                for (item, _vals), product in zip(to_create, products, strict=True)
            ]
        if to_bind:
            self.create(
                [self._binding_vals(backend, item, product_id) for item, product_id in to_bind]
            )
            known.update({item.item_id: product_id for item, product_id in to_bind})
        return known

    @api.model
    def _prefetch_sale_items(self, records, batch_size=200):
        """Bind (and create, when allowed) the products of every item the staged sales
        ``records`` embed, in batches, before the sales are processed one by one: a first
        import meeting many new items then creates them ``batch_size`` at a time. A batch that
        fails is left to the per-sale resolution (which reports the faulty sale)."""
        groups = self.env["lightspeed.sync.record"]._read_group(
            [("id", "in", records.ids)], ["backend_id"], ["id:array_agg"]
        )
        for backend, record_ids in groups:
            self.env.cr.execute(
                """SELECT DISTINCT ON (item->>'itemID') item
                     FROM lightspeed_sync_record rec,
                          jsonb_path_query(rec.payload, 'lax $.SaleLines.SaleLine[*].Item') item
                    WHERE rec.id = ANY(%s) AND jsonb_typeof(item) = 'object'""",
                [record_ids],
            )
            items = []
            for (raw,) in self.env.cr.fetchall():
                try:
                    item = Item.from_payload(raw)
                except PayloadError:
                    continue
                if item.item_id != "0":
                    items.append(item)
            for start in range(0, len(items), batch_size):
                try:
                    with self.env.cr.savepoint():
                        self._resolve_products(backend, items[start : start + batch_size])
                except (UserError, ValidationError, psycopg2.Error):
                    continue

    @api.model
    def _prepare_product_vals(self, item):
        """A product created from a sale line's item: what the item says, no taxes (sale lines
        carry their own); the item import completes it (category, taxes) when it runs."""
        vals = prepare_product_vals(item)
        vals.update(taxes_id=[(5, 0, 0)], default_code=default_code(item))
        if not (item.description or "").strip():
            vals["name"] = _("Lightspeed item %(id)s", id=item.item_id)
        return vals
