# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Stock export: Odoo is the master of stock for a shop with ``export_stock`` on.

Change-driven: a product bound to a Lightspeed item whose stock moved in the shop's warehouse
since the shop's last export gets its free quantity there (``free_qty`` with the warehouse in
context) written to that shop's ``ItemShop.qoh`` (``PUT Item/{itemID}.json``, the shop's
``itemShopID``; never the ``shopID`` 0 total row). Every write is a sync record of type
``stock`` (failed ones are retried by the next export). Switching the export on starts the
cursor at that moment: it never overwrites Lightspeed's counts by itself. The *Full push* and
*Import Lightspeed stock* wizards cover the rest. See README.md, "Catalogue and stock".
"""

import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..api import LightspeedError
from ..const import PARAM_MAX_ATTEMPTS

_logger = logging.getLogger(__name__)


class LightspeedShop(models.Model):
    _inherit = "lightspeed.shop"

    export_stock = fields.Boolean(
        default=False,
        help="Odoo is the master of this shop's stock: the free quantity of the shop's warehouse "
        "is written to Lightspeed for products whose stock moved since the last export.",
    )
    stock_export_cursor = fields.Datetime(
        readonly=True,
        copy=False,
        help="Stock moves done after this moment are exported by the next run.",
    )

    @api.constrains("export_stock", "warehouse_id")
    def _check_export_stock(self):
        for shop in self:
            if shop.export_stock and not shop.warehouse_id:
                raise UserError(
                    _(
                        "Shop %(shop)s needs a warehouse before its stock can be exported.",
                        shop=shop.name,
                    )
                )

    def write(self, vals):
        switched_on = (
            self.filtered(lambda s: not s.export_stock)
            if vals.get("export_stock")
            else self.browse()
        )
        result = super().write(vals)
        if switched_on:
            # From now on: what moved before is not Odoo's news to Lightspeed.
            switched_on.write({"stock_export_cursor": fields.Datetime.now()})
        return result

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("export_stock"):
                vals.setdefault("stock_export_cursor", fields.Datetime.now())
        return super().create(vals_list)


class LightspeedStockExporter(models.AbstractModel):
    """Runs under the import engine's lock and run rules (stream ``stock``)."""

    _name = "lightspeed.stock.exporter"
    _inherit = "lightspeed.importer"
    _description = "Lightspeed Stock Export"

    _stream = "stock"
    _requires_shops = False

    @api.model
    def _export(self, backend, shops=None, products_by_shop=None, busy="raise"):
        """Export the stock of ``shops`` (default: every exporting shop of the backend).

        ``products_by_shop``: ``{shop id: product.product}`` to write whatever moved (the full
        push); without it, the products whose stock moved since each shop's cursor plus those
        whose last write failed. Returns the ``lightspeed.sync.run``.
        """
        shops = (shops or backend.shop_ids).filtered(lambda s: s.export_stock and s.warehouse_id)
        shops = shops.sorted(lambda s: (len(s.lightspeed_id), s.lightspeed_id))

        def body(run):
            self.with_env(run.env)._export_body(
                backend.with_env(run.env), run, shops.with_env(run.env), products_by_shop
            )

        return self._locked_run(backend, "stock", body, busy=busy)

    def _export_body(self, backend, run, shops, products_by_shop):
        if not shops:
            run._finish(message=_("No shop has the stock export on."))
            return
        backend._check_write_scope()
        client = backend._get_client()
        requests_before = client.request_count
        stats = {"created": 0, "updated": 0, "failed": 0, "unchanged": 0}
        for shop in shops:
            now = fields.Datetime.now()
            if products_by_shop is not None:
                products = products_by_shop.get(shop.id, self.env["product.product"])
            else:
                products = self._moved_products(backend, shop, now) | self._failed_products(
                    backend, shop
                )
            self._export_shop(
                backend, client, run, shop, products, stats, full=products_by_shop is not None
            )
            if products_by_shop is None:
                shop.stock_export_cursor = now
            self._commit()
        run._finish(
            request_count=client.request_count - requests_before,
            created_count=stats["created"],
            updated_count=stats["updated"],
            failed_count=stats["failed"],
            skipped_count=stats["unchanged"],
            message=_(
                "%(written)s stock counts written to Lightspeed, %(failed)s failed.",
                written=stats["created"] + stats["updated"],
                failed=stats["failed"],
            ),
        )

    def _bindings(self, backend, products):
        return self.env["lightspeed.item"].search(
            [("backend_id", "=", backend.id), ("product_id", "in", products.ids)]
        )

    def _moved_products(self, backend, shop, now):
        """Bound storable products with a done move into or out of the shop's warehouse after
        the shop's cursor (all of them on a first run without a cursor: none)."""
        if not shop.stock_export_cursor:
            return self.env["product.product"]
        view = shop.warehouse_id.view_location_id
        moves = self.env["stock.move"].search(
            [
                ("state", "=", "done"),
                # inclusive: a move of the cursor's second is not lost (the unchanged
                # quantities it brings are skipped by _export_shop)
                ("date", ">=", shop.stock_export_cursor),
                ("date", "<=", now),
                ("product_id.is_storable", "=", True),
                "|",
                ("location_id", "child_of", view.id),
                ("location_dest_id", "child_of", view.id),
            ]
        )
        products = moves.product_id
        return self._bindings(backend, products).product_id

    def _failed_products(self, backend, shop):
        max_attempts = backend._default_param(PARAM_MAX_ATTEMPTS, 3)
        records = self.env["lightspeed.sync.record"].search(
            [
                ("backend_id", "=", backend.id),
                ("record_type", "=", "stock"),
                ("shop_id", "=", shop.id),
                ("state", "=", "error"),
                ("attempt_count", "<", max_attempts),
                ("res_model", "=", "product.product"),
            ]
        )
        return self.env["product.product"].browse(records.mapped("res_id")).exists()

    @api.model
    def _odoo_quantities(self, shop, products):
        """``{product id: whole free quantity}`` in the shop's warehouse."""
        located = products.with_context(warehouse_id=shop.warehouse_id.id)
        return {product.id: int(round(product.free_qty)) for product in located}

    def _export_shop(self, backend, client, run, shop, products, stats, full=False):
        """Write the counts of ``products``; change-driven runs skip a count equal to the one
        last written for the shop (nothing moved it in the end)."""
        if not products:
            return
        quantities = self._odoo_quantities(shop, products)
        written = {}
        if not full:
            for record in self.env["lightspeed.sync.record"].search(
                [
                    ("backend_id", "=", backend.id),
                    ("record_type", "=", "stock"),
                    ("shop_id", "=", shop.id),
                    ("state", "=", "done"),
                    ("res_id", "in", products.ids),
                ]
            ):
                written[record.res_id] = record.remote_version
        for binding in self._bindings(backend, products).sorted(lambda b: int(b.lightspeed_id)):
            quantity = quantities[binding.product_id.id]
            if written.get(binding.product_id.id) == str(quantity):
                stats["unchanged"] += 1
                continue
            self._write_count(client, run, shop, binding, quantity, stats)

    def _stock_record(self, backend, shop, binding):
        key = f"{binding.lightspeed_id}/{shop.lightspeed_id}"
        SyncRecord = self.env["lightspeed.sync.record"]
        record = SyncRecord.search(
            [
                ("backend_id", "=", backend.id),
                ("record_type", "=", "stock"),
                ("lightspeed_id", "=", key),
            ]
        )
        if record:
            return record, False
        return (
            SyncRecord.create(
                {
                    "backend_id": backend.id,
                    "record_type": "stock",
                    "lightspeed_id": key,
                    "shop_id": shop.id,
                    "res_model": "product.product",
                    "res_id": binding.product_id.id,
                }
            ),
            True,
        )

    def _item_shop_id(self, client, shop, binding):
        """The itemShopID of the binding's item in ``shop``, read once from Lightspeed when the
        item was first met in a sale (its ItemShops were not loaded then)."""
        item_shops = binding.item_shop_ids or {}
        if shop.lightspeed_id not in item_shops:
            item = next(
                iter(client.iter_items(item_ids=[binding.lightspeed_id], relations=["ItemShops"])),
                None,
            )
            if item is not None:
                item_shops = {
                    row.shop_id: row.item_shop_id for row in item.item_shops if row.shop_id
                }
                binding.item_shop_ids = item_shops
        return item_shops.get(shop.lightspeed_id)

    def _write_count(self, client, run, shop, binding, quantity, stats):
        backend = binding.backend_id
        record, new = self._stock_record(backend, shop, binding)
        try:
            item_shop_id = self._item_shop_id(client, shop, binding)
            if not item_shop_id:
                raise UserError(
                    _(
                        "Item %(item)s has no ItemShop in shop %(shop)s in Lightspeed.",
                        item=binding.lightspeed_id,
                        shop=shop.name,
                    )
                )
            body = {"ItemShops": {"ItemShop": [{"itemShopID": item_shop_id, "qoh": str(quantity)}]}}
            record.payload = body
            client.update_item(binding.lightspeed_id, body)
        except (LightspeedError, UserError) as exc:
            message = _(
                "Lightspeed refused the count %(qty)s of item %(item)s in shop %(shop)s: %(err)s",
                qty=quantity,
                item=binding.lightspeed_id,
                shop=shop.name,
                err=exc.args[0] if exc.args else exc,
            )
            record._mark_error(message, run=run)
            stats["failed"] += 1
            return
        record._mark("done", run, error_message=False, remote_version=str(quantity))
        binding.stock_exported_at = fields.Datetime.now()
        stats["created" if new else "updated"] += 1


class LightspeedBackend(models.Model):
    _inherit = "lightspeed.backend"

    def action_export_stock(self):
        """Export the stock that moved since the last export (button and XML-RPC)."""
        runs = self.env["lightspeed.sync.run"]
        for backend in self:
            backend._check_connected()
            runs |= self.env["lightspeed.stock.exporter"]._export(backend)
        if self.env.context.get("lightspeed_no_notification"):
            return True
        return self._run_notification(runs, _("Lightspeed stock exported"))

    def action_open_stock_push(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Stock: full push or import"),
            "res_model": "lightspeed.stock.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_backend_id": self.id},
        }

    @api.model
    def _cron_export_stock(self):
        """Every 15 minutes: each connected backend with an exporting shop (or the price or
        cost export on), one run each."""
        backends = self.search(
            [
                ("state", "=", "connected"),
                "|",
                "|",
                ("shop_ids.export_stock", "=", True),
                ("export_prices", "=", True),
                ("export_costs", "=", True),
            ]
        )
        for done, backend in enumerate(backends, start=1):
            try:
                if backend.shop_ids.filtered("export_stock"):
                    self.env["lightspeed.stock.exporter"]._export(backend, busy="skip")
                if backend.export_prices or backend.export_costs:
                    self.env["lightspeed.price.exporter"]._export(backend, busy="skip")
            except UserError as exc:
                _logger.info("Lightspeed[%s]: stock export stopped: %s", backend.name, exc)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(backends) - done)
        return True
