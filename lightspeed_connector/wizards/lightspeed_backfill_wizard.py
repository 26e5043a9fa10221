# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from ..mapping.attendance import clock_in_fingerprint
from ..mapping.sale import sale_fingerprint
from ..models.lightspeed_backfill_request import INLINE_MAX_DAYS
from ..tools import business_day_bounds, to_aware_utc

_logger = logging.getLogger(__name__)

# Sales classified per query (the API's page size).
PAGE_SIZE = 100


class LightspeedBackfillWizard(models.TransientModel):
    """Import a historical date range, one day at a time, after an optional dry run."""

    _name = "lightspeed.backfill.wizard"
    _description = "Lightspeed Historical Import"

    backend_id = fields.Many2one("lightspeed.backend", required=True, ondelete="cascade")
    date_from = fields.Date(string="From (business day)", required=True)
    date_to = fields.Date(
        string="To (business day)", required=True, default=fields.Date.context_today
    )
    shop_ids = fields.Many2many(
        "lightspeed.shop",
        string="Shops",
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
    preview_sale_count = fields.Integer(string="Sales read", readonly=True)
    preview_clock_in_count = fields.Integer(string="Clock-ins read", readonly=True)
    preview_clock_in_create_count = fields.Integer(readonly=True)
    preview_clock_in_update_count = fields.Integer(readonly=True)
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

    def _shop_bounds(self, shop):
        """(start, end) of the range in ``shop``'s business days, as naive UTC datetimes."""
        zone = shop.get_zoneinfo()
        cutoff = self.backend_id.day_cutoff_hour
        return (
            business_day_bounds(self.date_from, zone, cutoff)[0],
            business_day_bounds(self.date_to, zone, cutoff)[1],
        )

    def action_preview(self):
        """Dry run: read the range from Lightspeed, in each shop's business days (its time zone
        and the day cut-off), and count what an import would change; nothing is written."""
        self.ensure_one()
        backend = self.backend_id
        backend._check_connected()
        client = backend._get_client()
        counts = {"read": 0, "create": 0, "update": 0, "reverse": 0}
        totals = {"create": 0.0, "reverse": 0.0}
        hours = {"read": 0, "create": 0, "update": 0}
        shop_lines = []
        with backend._lightspeed_errors():
            for shop in self._shops():
                start, end = self._shop_bounds(shop)
                sales_before, hours_before = counts["read"], hours["read"]
                if self.import_sales:
                    page = []
                    for sale in client.iter_sales(
                        shop_ids=[shop.lightspeed_id],
                        completed_from=to_aware_utc(start),
                        completed_to=to_aware_utc(end),
                    ):
                        page.append(sale)
                        if len(page) == PAGE_SIZE:
                            self._preview_page(page, counts, totals)
                            page = []
                    if page:
                        self._preview_page(page, counts, totals)
                if self.import_clock_ins:
                    entries = list(
                        client.iter_employee_hours(
                            check_in_from=to_aware_utc(start),
                            check_in_to=to_aware_utc(end),
                            shop_id=shop.lightspeed_id,
                        )
                    )
                    self._preview_clock_ins(entries, hours)
                shop_lines.append(
                    _(
                        "%(shop)s (%(tz)s): %(sales)s sales, %(hours)s clock-ins",
                        shop=shop.name,
                        tz=shop.timezone or "UTC",
                        sales=counts["read"] - sales_before,
                        hours=hours["read"] - hours_before,
                    )
                )
        summary = _(
            "Read from Lightspeed for the business days %(start)s to %(end)s (each shop's "
            "time zone): %(sales)s sales and %(hours)s clock-ins, with %(requests)s API "
            "requests.",
            start=fields.Date.to_string(self.date_from),
            end=fields.Date.to_string(self.date_to),
            sales=counts["read"],
            hours=hours["read"],
            requests=client.request_count,
        )
        changes = []
        if self.import_sales:
            changes.append(
                _(
                    "Sales: %(create)s orders would be created (%(ctotal).2f), %(update)s "
                    "updated and %(reverse)s reversed (%(rtotal).2f).",
                    create=counts["create"],
                    ctotal=totals["create"],
                    update=counts["update"],
                    reverse=counts["reverse"],
                    rtotal=totals["reverse"],
                )
            )
        if self.import_clock_ins:
            changes.append(
                _(
                    "Clock-ins: %(create)s new and %(update)s changed attendances.",
                    create=hours["create"],
                    update=hours["update"],
                )
            )
        if len(list(self._days())) > INLINE_MAX_DAYS:
            changes.append(
                _(
                    "More than %(days)s days: Import runs in the background and shows its "
                    "progress.",
                    days=INLINE_MAX_DAYS,
                )
            )
        self.write(
            {
                "preview_sale_count": counts["read"],
                "preview_clock_in_count": hours["read"],
                "preview_create_count": counts["create"],
                "preview_update_count": counts["update"],
                "preview_reverse_count": counts["reverse"],
                "preview_create_total": totals["create"],
                "preview_reverse_total": totals["reverse"],
                "preview_clock_in_create_count": hours["create"],
                "preview_clock_in_update_count": hours["update"],
                "preview": "\n".join([summary, *changes, *shop_lines]),
            }
        )
        return self._reopen()

    def _preview_clock_ins(self, entries, hours):
        """Classify clock entries: new (never imported) or changed since imported."""
        applied = {
            rec["lightspeed_id"]: rec
            for rec in self.env["lightspeed.sync.record"].search_read(
                [
                    ("backend_id", "=", self.backend_id.id),
                    ("record_type", "=", "clock_in"),
                    ("lightspeed_id", "in", [entry.employee_hours_id for entry in entries]),
                ],
                ["lightspeed_id", "applied_fingerprint", "res_id"],
            )
        }
        for entry in entries:
            hours["read"] += 1
            record = applied.get(entry.employee_hours_id)
            if not record or not record["res_id"]:
                hours["create"] += 1
            elif record["applied_fingerprint"] != clock_in_fingerprint(entry):
                hours["update"] += 1

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
        """Import the range one business day at a time, each day an engine run per stream that
        commits as it goes (a crash keeps the finished days). Up to a few days run now; a longer
        range runs in the background (scheduled action) and opens its progress."""
        self.ensure_one()
        self.backend_id._check_connected()
        request = self.env["lightspeed.backfill.request"].create(
            {
                "backend_id": self.backend_id.id,
                "date_from": self.date_from,
                "date_to": self.date_to,
                "shop_ids": [Command.set(self.shop_ids.ids)],
                "import_sales": self.import_sales,
                "import_clock_ins": self.import_clock_ins,
                "overwrite_approved": self.overwrite_approved,
            }
        )
        if request.day_count > INLINE_MAX_DAYS:
            request._schedule()
            return {
                "type": "ir.actions.act_window",
                "name": request.display_name,
                "res_model": request._name,
                "res_id": request.id,
                "view_mode": "form",
                "target": "current",
            }
        runs = request._run_all()
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
