# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from odoo import _, api, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


class LightspeedBackend(models.Model):
    """What every stream's entry points share: the cron loop and the run notification."""

    _inherit = "lightspeed.backend"

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
