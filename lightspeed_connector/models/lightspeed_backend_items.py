# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..mapping.item import COST_FIELD, PRICE_FIELD

MASTERS = [("lightspeed", "Lightspeed"), ("odoo", "Odoo")]


class LightspeedBackend(models.Model):
    """Catalogue entry points: item import (button, XML-RPC, hourly cron) and the masters of
    the sales price and the cost (see README.md, "Catalogue and stock")."""

    _inherit = "lightspeed.backend"

    items_cursor = fields.Datetime(
        readonly=True, copy=False, help="Change stamp (timeStamp) of the last staged item."
    )
    item_count = fields.Integer(compute="_compute_item_count")
    price_master = fields.Selection(
        MASTERS,
        default="lightspeed",
        required=True,
        help="Lightspeed: the item import sets the sales price from the Default price. Odoo: "
        "the import leaves it alone and the price export writes Odoo's sales price to "
        "Lightspeed (when on).",
    )
    cost_master = fields.Selection(
        MASTERS,
        default="lightspeed",
        required=True,
        help="Lightspeed: the item import sets the cost from defaultCost. Odoo: the import "
        "leaves it alone and the cost export writes Odoo's cost to Lightspeed (when on).",
    )
    export_prices = fields.Boolean(
        help="Write Odoo's sales prices to Lightspeed's Default price (needs Odoo as the price "
        "master)."
    )
    export_costs = fields.Boolean(
        help="Write Odoo's costs to Lightspeed's defaultCost (needs Odoo as the cost master)."
    )

    @api.constrains("export_prices", "price_master", "export_costs", "cost_master")
    def _check_export_masters(self):
        """A field is never both imported and exported: exporting needs Odoo as its master."""
        for backend in self:
            if backend.export_prices and backend.price_master != "odoo":
                raise ValidationError(
                    _(
                        "Backend %(name)s: the price export needs Odoo as the price master "
                        "(otherwise the item import would overwrite what it exports).",
                        name=backend.name,
                    )
                )
            if backend.export_costs and backend.cost_master != "odoo":
                raise ValidationError(
                    _(
                        "Backend %(name)s: the cost export needs Odoo as the cost master "
                        "(otherwise the item import would overwrite what it exports).",
                        name=backend.name,
                    )
                )

    def _check_write_scope(self):
        """Writing items (stock, prices, costs) needs ``employee:inventory``: say so before
        any write rather than collect a refusal per item."""
        self.ensure_one()
        granted = set((self.scope or "").split())
        if not granted & {"employee:inventory", "employee:all"}:
            raise UserError(
                _(
                    "Backend %(name)s may only read items: add employee:inventory to its scopes "
                    "(Technical tab) and connect again, then export.",
                    name=self.name,
                )
            )

    def _compute_item_count(self):
        counts = dict(
            self.env["lightspeed.item"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.item_count = counts.get(backend, 0)

    def _item_field_masters(self):
        self.ensure_one()
        return {PRICE_FIELD: self.price_master, COST_FIELD: self.cost_master}

    def _main_tax_shop(self):
        shops = self.shop_ids.sorted("id")
        return shops.filtered("import_enabled")[:1] or shops[:1]

    def _item_tax_ids(self, taxable, tax_class_id):
        """Odoo taxes of an item: the mapped rates of the main shop's tax category (the first
        shop with the import on), its per tax class rates when it has some for the class."""
        self.ensure_one()
        shop = self._main_tax_shop()
        if not taxable or not shop.tax_category_lightspeed_id:
            return []
        category = shop.tax_category_lightspeed_id
        rows = self.env["lightspeed.tax"].search(
            [("backend_id", "=", self.id), ("tax_category_lightspeed_id", "=", category)]
        )
        prefix = f"{category}/class{tax_class_id}/" if tax_class_id else None
        own = rows.filtered(lambda r: prefix and r.lightspeed_id.startswith(prefix))
        base = rows.filtered(lambda r: "/class" not in r.lightspeed_id)
        return (own or base).tax_id.ids

    def action_import_items(self):
        """Import new and changed items now (button and XML-RPC); returns a notification."""
        runs = self.env["lightspeed.sync.run"]
        for backend in self:
            backend._check_connected()
            runs |= self.env["lightspeed.item.importer"]._run(backend)
        if self.env.context.get("lightspeed_no_notification"):
            return True
        return self._run_notification(runs, _("Lightspeed items imported"))

    def action_open_items(self):
        return self._open_related("lightspeed.item", _("Items"))

    @api.model
    def _cron_import_items(self):
        """Hourly, before the sales: every connected backend, one run each."""
        self._cron_run_stream("lightspeed.item.importer")
        return True


class LightspeedSyncRecord(models.Model):
    _inherit = "lightspeed.sync.record"

    record_type = fields.Selection(
        selection_add=[("item", "Item"), ("stock", "Stock export"), ("price", "Price export")],
        ondelete={"item": "cascade", "stock": "cascade", "price": "cascade"},
    )


class LightspeedSyncRun(models.Model):
    _inherit = "lightspeed.sync.run"

    run_type = fields.Selection(
        selection_add=[("item", "Items"), ("stock", "Stock export"), ("price", "Price export")],
        ondelete={"item": "cascade", "stock": "cascade", "price": "cascade"},
    )
    stream = fields.Selection(
        selection_add=[("item", "Items"), ("stock", "Stock export")],
        ondelete={"item": "cascade", "stock": "cascade"},
    )


class ProductTemplate(models.Model):
    _inherit = "product.template"

    lightspeed_matrix_lightspeed_id = fields.Char(
        string="Lightspeed item matrix",
        copy=False,
        index="btree_not_null",
        help="The Lightspeed ItemMatrix whose items are this template's variants.",
    )
