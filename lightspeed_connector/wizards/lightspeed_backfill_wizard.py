# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..mapping.sale import sale_fingerprint
from ..models.lightspeed_sale_importer import _testing
from ..tools import to_aware_utc

_logger = logging.getLogger(__name__)


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
        shops = self._shops()
        client = backend._get_client()
        Order = self.env["pos.order"]
        records = {
            rec.lightspeed_id: rec
            for rec in self.env["lightspeed.sync.record"].search(
                [("backend_id", "=", backend.id), ("record_type", "=", "sale")]
            )
        }
        create = update = reverse = 0
        create_total = reverse_total = 0.0
        start = to_aware_utc(fields.Datetime.to_datetime(self.date_from))
        end = to_aware_utc(fields.Datetime.to_datetime(self.date_to) + timedelta(days=1))
        with backend._lightspeed_errors():
            for sale in client.iter_sales(
                shop_ids=shops.mapped("lightspeed_id"), completed_from=start, completed_to=end
            ):
                imported = Order.search_count(
                    [
                        ("lightspeed_backend_id", "=", backend.id),
                        ("lightspeed_id", "=", sale.sale_id),
                    ]
                )
                record = records.get(sale.sale_id)
                if sale.voided:
                    if imported and not Order.search_count(
                        [
                            ("lightspeed_backend_id", "=", backend.id),
                            ("lightspeed_id", "=", f"{sale.sale_id}/void"),
                        ]
                    ):
                        reverse += 1
                        reverse_total += float(sale.total)
                elif not imported:
                    create += 1
                    create_total += float(sale.total)
                elif record and record.applied_fingerprint != sale_fingerprint(sale):
                    update += 1
        self.write(
            {
                "preview_create_count": create,
                "preview_update_count": update,
                "preview_reverse_count": reverse,
                "preview_create_total": create_total,
                "preview_reverse_total": reverse_total,
                "preview": _(
                    "%(create)s orders would be created (%(ctotal).2f), %(update)s updated and "
                    "%(reverse)s reversed (%(rtotal).2f); %(requests)s API requests.",
                    create=create,
                    ctotal=create_total,
                    update=update,
                    reverse=reverse,
                    rtotal=reverse_total,
                    requests=client.request_count,
                ),
            }
        )
        return self._reopen()

    def action_run(self):
        """Import the range day by day (each day commits on its own outside tests)."""
        self.ensure_one()
        backend = self.backend_id
        backend._check_connected()
        shops = self._shops()
        days = list(self._days())
        importer = self.env["lightspeed.sale.importer"].with_context(
            lightspeed_overwrite_approved=self.overwrite_approved
        )
        clock_ins = self.env.get("lightspeed.clock_in.importer")
        runs = self.env["lightspeed.sync.run"]
        for index, day in enumerate(days, start=1):
            if self.import_sales:
                runs |= importer._import(backend, date_from=day, date_to=day, shops=shops)
            if self.import_clock_ins and clock_ins is not None:
                runs |= clock_ins._import(backend, date_from=day, date_to=day, shops=shops)
            if self.import_sales:
                # Recompute the day's figures even where no sale changed: a backfill is also how
                # a changed weekly-balance field or an approved day gets recomputed.
                for shop in shops:
                    self.env["lightspeed.kpi.fact"].sudo()._refresh(
                        shop, {day}, overwrite_approved=self.overwrite_approved
                    )
            self.env["ir.cron"]._notify_progress(done=index, remaining=len(days) - index)
            if not _testing():
                # Keep finished days.
                self.env.cr.commit()  # pylint: disable=invalid-commit
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
