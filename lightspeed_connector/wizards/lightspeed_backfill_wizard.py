# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..mapping.sale import sale_fingerprint
from ..tools import to_aware_utc

_logger = logging.getLogger(__name__)

# Sales classified per query (the API's page size).
PAGE_SIZE = 100


class LightspeedBackfillWizard(models.TransientModel):
    """Import a historical date range, one day at a time, after an optional dry run."""

    _name = "lightspeed.backfill.wizard"
    _description = "Lightspeed Historical Import"

    backend_id = fields.Many2one("lightspeed.backend", required=True, ondelete="cascade")
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True, default=fields.Date.context_today)
    shop_ids = fields.Many2many(
        "lightspeed.shop",
        domain="[('backend_id', '=', backend_id), ('import_enabled', '=', True)]",
        help="Leave empty for every shop with the import enabled.",
    )
    import_sales = fields.Boolean(default=True)
    import_clock_ins = fields.Boolean(default=True)
    overwrite_approved = fields.Boolean(
        string="Overwrite approved numbers",
        help="Let the re-imported days replace weekly-balance figures that were approved "
        "already. Logged in the chatter.",
    )
    preview = fields.Text(readonly=True)
    preview_create_count = fields.Integer(readonly=True)
    preview_update_count = fields.Integer(readonly=True)
    preview_reverse_count = fields.Integer(readonly=True)
    preview_create_total = fields.Float(readonly=True)
    preview_reverse_total = fields.Float(readonly=True)

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from > wizard.date_to:
                raise UserError(_("The start date must be before the end date."))

    def _shops(self):
        return self.shop_ids or self.backend_id.shop_ids.filtered("import_enabled")

    def _days(self):
        day = self.date_from
        while day <= self.date_to:
            yield day
            day += timedelta(days=1)

    def action_preview(self):
        """Dry run: read the range from Lightspeed and count what an import would do."""
        self.ensure_one()
        backend = self.backend_id
        backend._check_connected()
        client = backend._get_client()
        counts = {"read": 0, "create": 0, "update": 0, "reverse": 0}
        totals = {"create": 0.0, "reverse": 0.0}
        start = to_aware_utc(fields.Datetime.to_datetime(self.date_from))
        end = to_aware_utc(fields.Datetime.to_datetime(self.date_to) + timedelta(days=1))
        with backend._lightspeed_errors():
            page = []
            for sale in client.iter_sales(
                shop_ids=self._shops().mapped("lightspeed_id"),
                completed_from=start,
                completed_to=end,
            ):
                page.append(sale)
                if len(page) == PAGE_SIZE:
                    self._preview_page(page, counts, totals)
                    page = []
            if page:
                self._preview_page(page, counts, totals)
        self.write(
            {
                "preview_create_count": counts["create"],
                "preview_update_count": counts["update"],
                "preview_reverse_count": counts["reverse"],
                "preview_create_total": totals["create"],
                "preview_reverse_total": totals["reverse"],
                "preview": _(
                    "%(read)s sales read: %(create)s orders would be created (%(ctotal).2f), "
                    "%(update)s updated and %(reverse)s reversed (%(rtotal).2f); %(requests)s "
                    "API requests.",
                    read=counts["read"],
                    create=counts["create"],
                    ctotal=totals["create"],
                    update=counts["update"],
                    reverse=counts["reverse"],
                    rtotal=totals["reverse"],
                    requests=client.request_count,
                ),
            }
        )
        return self._reopen()

    def _preview_page(self, sales, counts, totals):
        """Classify one page of sales with one query on sync records and one on orders."""
        backend = self.backend_id
        ids = [sale.sale_id for sale in sales]
        applied = {
            rec["lightspeed_id"]: rec["applied_fingerprint"]
            for rec in self.env["lightspeed.sync.record"].search_read(
                [
                    ("backend_id", "=", backend.id),
                    ("record_type", "=", "sale"),
                    ("lightspeed_id", "in", ids),
                ],
                ["lightspeed_id", "applied_fingerprint"],
            )
        }
        imported = {
            order["lightspeed_id"]
            for order in self.env["pos.order"].search_read(
                [
                    ("lightspeed_backend_id", "=", backend.id),
                    ("lightspeed_id", "in", ids + [f"{sale_id}/void" for sale_id in ids]),
                ],
                ["lightspeed_id"],
            )
        }
        for sale in sales:
            counts["read"] += 1
            if sale.voided:
                if sale.sale_id in imported and f"{sale.sale_id}/void" not in imported:
                    counts["reverse"] += 1
                    totals["reverse"] += float(sale.total)
            elif sale.sale_id not in imported:
                counts["create"] += 1
                totals["create"] += float(sale.total)
            elif applied.get(sale.sale_id) not in (None, sale_fingerprint(sale)):
                counts["update"] += 1

    def action_run(self):
        """Import the range one day at a time: each day is an engine run of its own, which
        commits as it goes (a crash keeps the finished days)."""
        self.ensure_one()
        backend = self.backend_id
        backend._check_connected()
        shops = self._shops()
        days = list(self._days())
        sales = self.env["lightspeed.sale.importer"].with_context(
            lightspeed_overwrite_approved=self.overwrite_approved
        )
        clock_ins = self.env["lightspeed.clock_in.importer"]
        runs = self.env["lightspeed.sync.run"]
        for index, day in enumerate(days, start=1):
            if self.import_sales:
                runs |= sales._run(
                    backend, run_type="backfill", date_from=day, date_to=day, shops=shops
                )
            if self.import_clock_ins:
                runs |= clock_ins._run(backend, date_from=day, date_to=day, shops=shops)
            if self.import_sales:
                # Recompute the day's figures even where no sale changed: a backfill is also how
                # a changed weekly-balance field or an approved day gets recomputed.
                for shop in shops:
                    self.env["lightspeed.kpi.fact"].sudo()._refresh(
                        shop, {day}, overwrite_approved=self.overwrite_approved
                    )
            self.env["ir.cron"]._notify_progress(done=index, remaining=len(days) - index)
        if self.overwrite_approved:
            backend.message_post(
                body=_(
                    "Historical import %(start)s – %(end)s ran with “overwrite approved numbers”.",
                    start=self.date_from,
                    end=self.date_to,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": _("Sync Runs"),
            "res_model": "lightspeed.sync.run",
            "view_mode": "list,form",
            "domain": [("id", "in", runs.ids)],
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
