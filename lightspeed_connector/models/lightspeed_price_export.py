# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Price and cost export: for a field Odoo is the master of (``price_master`` /
``cost_master`` = ``odoo``) and whose export is on, a product whose sales price (or cost)
differs from what Lightspeed last said (``lightspeed.item.remote_price`` / ``remote_cost``,
kept up to date by every item import) is written to the item: ``Prices.ItemPrice`` Default and
``defaultCost`` (``PUT Item/{itemID}.json``). The import never applies a field Odoo is master
of, so a write never comes back as a change. Runs under the stock export's lock."""

from odoo import _, api, fields, models

from ..api import LightspeedError
from ..mapping.item import COST_FIELD, PRICE_FIELD


def _cents(value):
    return round(float(value or 0), 2)


class LightspeedPriceExporter(models.AbstractModel):
    _name = "lightspeed.price.exporter"
    _inherit = "lightspeed.importer"
    _description = "Lightspeed Price and Cost Export"

    _stream = "stock"  # one writer per backend: shares the stock export's lock
    _requires_shops = False

    @api.model
    def _export(self, backend, busy="raise"):
        def body(run):
            self.with_env(run.env)._export_body(backend.with_env(run.env), run)

        return self._locked_run(backend, "price", body, busy=busy)

    @api.model
    def _exported_fields(self, backend):
        exported = []
        if backend.export_prices and backend.price_master == "odoo":
            exported.append(PRICE_FIELD)
        if backend.export_costs and backend.cost_master == "odoo":
            exported.append(COST_FIELD)
        return exported

    @api.model
    def _body_of(self, binding, exported):
        """The PUT body bringing Lightspeed to Odoo's values, or ``{}`` when equal."""
        product = binding.product_id
        body = {}
        if PRICE_FIELD in exported and _cents(product.lst_price) != _cents(binding.remote_price):
            amount = f"{_cents(product.lst_price):.2f}"
            body["Prices"] = {"ItemPrice": [{"amount": amount, "useType": "Default"}]}
        if COST_FIELD in exported and _cents(product.standard_price) != _cents(binding.remote_cost):
            body["defaultCost"] = f"{_cents(product.standard_price):.2f}"
        return body

    def _export_body(self, backend, run):
        exported = self._exported_fields(backend)
        if not exported:
            run._finish(message=_("Neither the price nor the cost export is on."))
            return
        backend._check_write_scope()
        client = backend._get_client()
        requests_before = client.request_count
        written = failed = 0
        bindings = self.env["lightspeed.item"].search(
            [("backend_id", "=", backend.id), ("product_id.active", "=", True)]
        )
        for binding in bindings.sorted(lambda b: int(b.lightspeed_id)):
            body = self._body_of(binding, exported)
            if not body:
                continue
            record = self._price_record(backend, binding)
            record.payload = body
            try:
                client.update_item(binding.lightspeed_id, body)
            except LightspeedError as exc:
                record._mark_error(
                    _(
                        "Lightspeed refused the price or cost of item %(item)s: %(err)s",
                        item=binding.lightspeed_id,
                        err=exc.args[0] if exc.args else exc,
                    ),
                    run=run,
                )
                failed += 1
                continue
            vals = {}
            if "Prices" in body:
                vals["remote_price"] = float(body["Prices"]["ItemPrice"][0]["amount"])
            if "defaultCost" in body:
                vals["remote_cost"] = float(body["defaultCost"])
            binding.write(vals)
            record._mark("done", run, error_message=False)
            written += 1
        run._finish(
            request_count=client.request_count - requests_before,
            updated_count=written,
            failed_count=failed,
            message=_(
                "%(written)s items' prices or costs written to Lightspeed, %(failed)s failed.",
                written=written,
                failed=failed,
            ),
        )

    def _price_record(self, backend, binding):
        SyncRecord = self.env["lightspeed.sync.record"]
        domain = [
            ("backend_id", "=", backend.id),
            ("record_type", "=", "price"),
            ("lightspeed_id", "=", binding.lightspeed_id),
        ]
        return SyncRecord.search(domain) or SyncRecord.create(
            {
                "backend_id": backend.id,
                "record_type": "price",
                "lightspeed_id": binding.lightspeed_id,
                "res_model": "product.product",
                "res_id": binding.product_id.id,
                "synced_at": fields.Datetime.now(),
            }
        )


class LightspeedBackend(models.Model):
    _inherit = "lightspeed.backend"

    def action_export_prices(self):
        """Write the prices and costs Odoo is master of to Lightspeed (button, XML-RPC)."""
        runs = self.env["lightspeed.sync.run"]
        for backend in self:
            backend._check_connected()
            runs |= self.env["lightspeed.price.exporter"]._export(backend)
        if self.env.context.get("lightspeed_no_notification"):
            return True
        return self._run_notification(runs, _("Lightspeed prices exported"))
