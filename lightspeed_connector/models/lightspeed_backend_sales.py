# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .lightspeed_sale_importer import _testing

_logger = logging.getLogger(__name__)


class LightspeedBackend(models.Model):
    """Sales import entry points: button, XML-RPC and the scheduled action."""

    _inherit = "lightspeed.backend"

    order_count = fields.Integer(compute="_compute_order_count")

    def _compute_order_count(self):
        groups = self.env["pos.order"]._read_group(
            [("lightspeed_backend_id", "in", self.ids)], ["lightspeed_backend_id"], ["__count"]
        )
        counts = {backend.id: count for backend, count in groups}
        for backend in self:
            backend.order_count = counts.get(backend.id, 0)

    def action_open_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("point_of_sale.action_pos_pos_form")
        action["domain"] = [("lightspeed_backend_id", "=", self.id)]
        action["context"] = {"search_default_filter_lightspeed": 1}
        return action

    def action_import_sales(self):
        """Import new and changed sales now (button and XML-RPC); returns a notification."""
        runs = self.env["lightspeed.sync.run"]
        for backend in self:
            backend._check_connected()
            runs |= self.env["lightspeed.sale.importer"]._import(backend)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if sum(runs.mapped("failed_count")) else "success",
                "title": _("Lightspeed sales imported"),
                "message": _(
                    "%(fetched)s sales fetched, %(created)s orders created, %(updated)s updated, "
                    "%(failed)s failed.",
                    fetched=sum(runs.mapped("fetched_count")),
                    created=sum(runs.mapped("created_count")),
                    updated=sum(runs.mapped("updated_count")),
                    failed=sum(runs.mapped("failed_count")),
                ),
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    @api.model
    def _cron_import_sales(self):
        """Scheduled import: every connected backend, one transaction each."""
        backends = self.search([("state", "=", "connected")])
        done = 0
        for backend in backends:
            # Another worker (button, second cron) importing the same backend: skip it.
            self.env.cr.execute(
                "SELECT pg_try_advisory_xact_lock(hashtext('lightspeed_sales'), %s)", [backend.id]
            )
            if not self.env.cr.fetchone()[0]:
                continue
            try:
                self.env["lightspeed.sale.importer"]._import(backend)
            except UserError as exc:
                # Lightspeed refused or failed (the message says why; a refused token already
                # put the backend in "re-authorisation needed"). Keep the other backends going.
                self.env.cr.rollback()
                backend.last_error = str(exc)
                _logger.info("Lightspeed[%s]: sales import stopped: %s", backend.name, exc)
            if not _testing():
                # One backend at a time.
                self.env.cr.commit()  # pylint: disable=invalid-commit
            done += 1
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(backends) - done)
        return True
