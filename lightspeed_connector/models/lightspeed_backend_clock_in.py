# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging
import threading

from odoo import _, api, fields, models
from odoo.exceptions import UserError

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
            runs |= self.env["lightspeed.clock_in.importer"]._import(backend)
        if len(runs) == 1 and not self.env.context.get("lightspeed_no_notification"):
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "warning" if runs.failed_count else "success",
                    "title": _("Clock-ins imported"),
                    "message": runs.message,
                    "sticky": False,
                },
            }
        return True

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
        """Hourly: every connected backend, one run each; a failing backend never stops the
        others (its error is stored on the backend and logged)."""
        backends = self.search([("state", "=", "connected")])
        testing = getattr(threading.current_thread(), "testing", False)
        done = 0
        for backend in backends:
            try:
                with self.env.cr.savepoint():
                    self.env["lightspeed.clock_in.importer"]._import(backend)
            except UserError as exc:
                message = str(exc.args[0] if exc.args else exc)
                backend.last_error = message
                self.env["lightspeed.sync.run"].create(
                    {
                        "backend_id": backend.id,
                        "run_type": "clock_in",
                        "state": "failed",
                        "finished_at": fields.Datetime.now(),
                        "message": message,
                    }
                )
                _logger.warning("Lightspeed[%s]: clock-in import failed: %s", backend.name, exc)
            done += 1
            if not testing:
                # keep the finished backends if a later one breaks the worker
                self.env.cr.commit()  # pylint: disable=invalid-commit
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
        return True
