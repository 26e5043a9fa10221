# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .lightspeed_importer import error_text

_logger = logging.getLogger(__name__)


class LightspeedBackend(models.Model):
    """What every stream's entry points share: the cron loop and the run notification."""

    _inherit = "lightspeed.backend"

    last_run_id = fields.Many2one(
        "lightspeed.sync.run", string="Last run", compute="_compute_last_run"
    )
    last_run_state = fields.Selection(
        lambda self: self.env["lightspeed.sync.run"]._fields["state"].selection,
        string="Last run status",
        compute="_compute_last_run",
    )
    last_run_at = fields.Datetime(string="Last run on", compute="_compute_last_run")

    def _compute_last_run(self):
        runs = self.env["lightspeed.sync.run"].search(
            [("backend_id", "in", self.ids)], order="id desc"
        )
        last = {}
        for run in runs:
            last.setdefault(run.backend_id.id, run)
        for backend in self:
            run = last.get(backend._origin.id) or runs.browse()
            backend.last_run_id = run
            backend.last_run_state = run.state
            backend.last_run_at = run.started_at

    def action_open_runs(self):
        return self._open_related("lightspeed.sync.run", _("Sync runs"))

    def action_open_sync_errors(self):
        action = self._open_related("lightspeed.sync.record", _("Sync errors"))
        action["domain"] += [("state", "=", "error")]
        return action

    # === IMPORT ALL === #

    def _import_all_steps(self):
        """``(label, method)`` of every stream "Import all" runs, in order: the metadata first
        (shops, registers, employees, payment types, taxes), customers before the sales that
        refer to them, then sales and clock-ins. A stream added later appends its own."""
        return [
            (_("Metadata"), "action_sync_metadata"),
            (_("Customers"), "action_import_customers"),
            (_("Sales"), "action_import_sales"),
            (_("Clock-ins"), "action_import_clock_ins"),
        ]

    def action_import_all(self):
        """Every stream of the backend now, each through its own button's method (so the
        engine's lock rules apply, and with the queue addon each is queued). A stream that is
        already running or fails is reported and the next one still runs; a refused token
        stops the backend. Returns one notification."""
        lines = []
        warning = False
        for backend in self:
            backend._check_connected()
            for label, method in backend._import_all_steps():
                try:
                    result = getattr(
                        backend.with_context(lightspeed_no_notification=False), method
                    )()
                except UserError as exc:
                    warning = True
                    lines.append(_("%(stream)s: %(error)s", stream=label, error=error_text(exc)))
                    if backend.state != "connected":
                        break
                    continue
                if isinstance(result, dict) and result.get("params"):
                    params = result["params"]
                    warning = warning or params.get("type") == "warning"
                    message = params.get("message") or params.get("title") or ""
                else:
                    message = _("done")
                lines.append(_("%(stream)s: %(result)s", stream=label, result=message))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if warning else "success",
                "title": _("Lightspeed import"),
                "message": "\n".join(lines),
                "sticky": warning,
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _cron_run_stream(self, importer_name):
        """Run one stream for every connected backend. The engine ends and commits each run,
        failed or not, so a failing backend never stops the others; one another worker is
        importing is skipped (its lock is held)."""
        backends = self.search([("state", "=", "connected")])
        for done, backend in enumerate(backends, start=1):
            try:
                self.env[importer_name]._run(backend, busy="skip")
            except UserError as exc:
                # The run and the backend already carry the message; a refused token put the
                # backend in "re-authorisation needed".
                _logger.info("Lightspeed[%s]: %s stopped: %s", backend.name, importer_name, exc)
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(backends) - done)

    def _run_notification(self, runs, title):
        """A notification summing up ``runs`` for a button."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "warning" if sum(runs.mapped("failed_count")) else "success",
                "title": title,
                "message": "\n".join(run.message or "" for run in runs)
                or _("Nothing was imported."),
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
