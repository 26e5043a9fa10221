# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import _, api, fields, models

_logger = logging.getLogger(__name__)


class LightspeedBackend(models.Model):
    """Clock-in import entry points: button, XML-RPC and the hourly cron."""

    _inherit = "lightspeed.backend"

    attendance_count = fields.Integer(compute="_compute_attendance_count")
    clock_in_conflict_count = fields.Integer(compute="_compute_attendance_count")

    def _compute_attendance_count(self):
        attendances = dict(
            self.env["hr.attendance"]
            .sudo()
            ._read_group(
                [("lightspeed_backend_id", "in", self.ids)], ["lightspeed_backend_id"], ["__count"]
            )
        )
        conflicts = dict(
            self.env["lightspeed.sync.record"]._read_group(
                [
                    ("backend_id", "in", self.ids),
                    ("record_type", "=", "clock_in"),
                    ("state", "=", "conflict"),
                ],
                ["backend_id"],
                ["__count"],
            )
        )
        for backend in self:
            backend.attendance_count = attendances.get(backend, 0)
            backend.clock_in_conflict_count = conflicts.get(backend, 0)

    def action_import_clock_ins(self):
        """Import the clock-ins of the rolling window now (button and XML-RPC)."""
        runs = self.env["lightspeed.sync.run"]
        for backend in self:
            backend._check_connected()
            runs |= self.env["lightspeed.clock_in.importer"]._run(backend)
        if self.env.context.get("lightspeed_no_notification"):
            return True
        return self._run_notification(runs, _("Clock-ins imported"))

    def action_open_attendances(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Attendances"),
            "res_model": "hr.attendance",
            "view_mode": "list,form",
            "domain": [("lightspeed_backend_id", "=", self.id)],
            "context": {"create": False},
        }

    def action_open_clock_in_conflicts(self):
        action = self._open_related("lightspeed.sync.record", _("Clock-in conflicts"))
        action["domain"] += [("record_type", "=", "clock_in"), ("state", "=", "conflict")]
        return action

    @api.model
    def _cron_import_clock_ins(self):
        """Hourly: every connected backend, one run each (see ``_cron_run_stream``)."""
        self._cron_run_stream("lightspeed.clock_in.importer")
        return True
