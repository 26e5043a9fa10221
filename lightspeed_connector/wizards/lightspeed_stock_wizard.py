# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The two explicit stock actions of a shop: *Full push* (preview what differs, then write
Odoo's free quantities to Lightspeed) and *Import Lightspeed stock* (an inventory adjustment
that sets Odoo's quantities from Lightspeed's ``qoh``)."""

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

ITEM_PAGE_RELATIONS = ("ItemShops",)


class LightspeedStockWizard(models.TransientModel):
    _name = "lightspeed.stock.wizard"
    _description = "Lightspeed Stock: Full Push or Import"

    backend_id = fields.Many2one("lightspeed.backend", required=True, ondelete="cascade")
    shop_id = fields.Many2one(
        "lightspeed.shop",
        required=True,
        ondelete="cascade",
        domain="[('backend_id', '=', backend_id), ('warehouse_id', '!=', False)]",
    )
    line_ids = fields.One2many("lightspeed.stock.wizard.line", "wizard_id", readonly=True)
    previewed = fields.Boolean(readonly=True)
    difference_count = fields.Integer(compute="_compute_difference_count")

    @api.depends("line_ids")
    def _compute_difference_count(self):
        for wizard in self:
            wizard.difference_count = len(wizard.line_ids)

    def _lightspeed_counts(self):
        """``{itemID: qoh}`` of the shop for every bound item (one paged read of the catalogue
        with its ItemShops)."""
        client = self.backend_id._get_client()
        counts = {}
        for item in client.iter_items(relations=ITEM_PAGE_RELATIONS):
            for row in item.item_shops:
                if row.shop_id == self.shop_id.lightspeed_id:
                    counts[item.item_id] = (row.qoh, row.item_shop_id)
        return counts

    def _stock_bindings(self):
        return self.env["lightspeed.item"].search(
            [
                ("backend_id", "=", self.backend_id.id),
                ("product_id.is_storable", "=", True),
            ]
        )

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_preview(self):
        """Lines for the items whose Lightspeed count differs from Odoo's free quantity."""
        self.ensure_one()
        counts = self._lightspeed_counts()
        bindings = self._stock_bindings()
        quantities = self.env["lightspeed.stock.exporter"]._odoo_quantities(
            self.shop_id, bindings.product_id
        )
        lines = []
        for binding in bindings.sorted(lambda b: int(b.lightspeed_id)):
            if binding.lightspeed_id not in counts:
                continue
            qoh, item_shop_id = counts[binding.lightspeed_id]
            odoo_qty = quantities[binding.product_id.id]
            if binding.item_shop_ids is None or self.shop_id.lightspeed_id not in (
                binding.item_shop_ids or {}
            ):
                binding.item_shop_ids = dict(
                    binding.item_shop_ids or {}, **{self.shop_id.lightspeed_id: item_shop_id}
                )
            if int(qoh) != odoo_qty:
                lines.append(
                    Command.create(
                        {
                            "item_id": binding.id,
                            "product_id": binding.product_id.id,
                            "lightspeed_qty": int(qoh),
                            "odoo_qty": odoo_qty,
                        }
                    )
                )
        self.line_ids = [Command.clear(), *lines]
        self.previewed = True
        return self._reopen()

    def action_push(self):
        """Write Odoo's free quantities of the previewed lines to Lightspeed."""
        self.ensure_one()
        if not self.shop_id.export_stock:
            raise UserError(
                _(
                    "Shop %(shop)s does not export its stock: switch the export on first (Odoo "
                    "then becomes the master of its counts).",
                    shop=self.shop_id.name,
                )
            )
        if not self.previewed:
            self.action_preview()
        products = self.line_ids.product_id
        run = self.env["lightspeed.stock.exporter"]._export(
            self.backend_id, shops=self.shop_id, products_by_shop={self.shop_id.id: products}
        )
        return self.backend_id._run_notification(run, _("Lightspeed stock pushed"))

    def action_import_stock(self):
        """Set Odoo's quantities in the shop's warehouse stock location from Lightspeed's
        counts: one inventory adjustment, applied."""
        self.ensure_one()
        warehouse = self.shop_id.warehouse_id
        counts = self._lightspeed_counts()
        location = warehouse.lot_stock_id
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        quants = Quant.browse()
        for binding in self._stock_bindings():
            if binding.lightspeed_id not in counts:
                continue
            qoh = float(counts[binding.lightspeed_id][0])
            quant = Quant.search(
                [("product_id", "=", binding.product_id.id), ("location_id", "=", location.id)],
                limit=1,
            )
            if quant:
                if quant.quantity == qoh:
                    continue
                quant.inventory_quantity = qoh
            else:
                if not qoh:
                    continue
                quant = Quant.create(
                    {
                        "product_id": binding.product_id.id,
                        "location_id": location.id,
                        "inventory_quantity": qoh,
                    }
                )
            quants |= quant
        if quants:
            quants.action_apply_inventory()
        if self.shop_id.export_stock:
            # The counts came from Lightspeed: nothing to write back.
            self.shop_id.stock_export_cursor = fields.Datetime.now()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": _("Lightspeed stock imported"),
                "message": _(
                    "%(count)s quantities set in %(warehouse)s from Lightspeed.",
                    count=len(quants),
                    warehouse=warehouse.name,
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }


class LightspeedStockWizardLine(models.TransientModel):
    _name = "lightspeed.stock.wizard.line"
    _description = "Lightspeed Stock Difference"

    wizard_id = fields.Many2one("lightspeed.stock.wizard", required=True, ondelete="cascade")
    item_id = fields.Many2one("lightspeed.item", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    lightspeed_qty = fields.Integer(string="Lightspeed count", readonly=True)
    odoo_qty = fields.Integer(string="Odoo free quantity", readonly=True)
