# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models


class LightspeedItem(models.Model):
    """A Lightspeed item and the Odoo product its sale lines are booked on."""

    _name = "lightspeed.item"
    _inherit = "lightspeed.mapping.mixin"
    _description = "Lightspeed Item"

    product_id = fields.Many2one("product.product", required=True, index=True, ondelete="restrict")
    system_sku = fields.Char(readonly=True)
    custom_sku = fields.Char(readonly=True)
    barcode = fields.Char(readonly=True)

    @api.model
    def _resolve_products(self, backend, items):
        """``{itemID: product id}`` for Lightspeed ``Item`` objects (from the sale payload).

        Matching order: stored mapping, then barcode (UPC, EAN), then internal reference
        (customSku, systemSku); otherwise the product is created from the item when the backend
        allows it. Unknown items without details stay unresolved (the caller reports them).
        """
        ids = {item.item_id for item in items}
        known = {
            rec.lightspeed_id: rec.product_id.id
            for rec in self.with_context(active_test=False).search(
                [("backend_id", "=", backend.id), ("lightspeed_id", "in", list(ids))]
            )
        }
        Product = self.env["product.product"].with_context(active_test=False)
        to_create = []
        for item in items:
            if item.item_id in known:
                continue
            product = Product.browse()
            for code in filter(None, (item.upc, item.ean)):
                product = Product.search([("barcode", "=", code)], limit=1)
                if product:
                    break
            for ref in filter(None, (item.custom_sku, item.system_sku)) if not product else ():
                product = Product.search(
                    [
                        ("default_code", "=", ref),
                        ("company_id", "in", (backend.company_id.id, False)),
                    ],
                    limit=1,
                )
                if product:
                    break
            if not product and backend.create_missing_products:
                product = Product.create(self._prepare_product_vals(item))
            if product:
                known[item.item_id] = product.id
                to_create.append(
                    {
                        "backend_id": backend.id,
                        "lightspeed_id": item.item_id,
                        "name": item.description or item.item_id,
                        "product_id": product.id,
                        "system_sku": item.system_sku or False,
                        "custom_sku": item.custom_sku or False,
                        "barcode": item.upc or item.ean or False,
                        "synced_at": fields.Datetime.now(),
                    }
                )
        if to_create:
            self.create(to_create)
        return known

    @api.model
    def _prepare_product_vals(self, item):
        barcode = item.upc or item.ean or False
        if barcode and self.env["product.product"].with_context(active_test=False).search_count(
            [("barcode", "=", barcode)], limit=1
        ):
            barcode = False  # barcodes are unique in Odoo; keep the product without one
        return {
            "name": item.description or _("Lightspeed item %(id)s", id=item.item_id),
            "type": "consu",
            "is_storable": True,
            "default_code": item.custom_sku or item.system_sku or False,
            "barcode": barcode,
            "list_price": float(item.default_price or 0),
            "standard_price": float(item.default_cost or 0),
            "available_in_pos": True,
            "taxes_id": [(5, 0, 0)],
            "active": not item.archived,
        }
