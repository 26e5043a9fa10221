# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, fields, models


class QueueJob(models.Model):
    _inherit = "queue.job"

    lightspeed_sync_run_ids = fields.One2many(
        "lightspeed.sync.run",
        "job_id",
        string="Lightspeed sync runs",
        readonly=True,
        help="The import runs of this job: one per attempt.",
    )

    def related_action_lightspeed_runs(self):
        """Related action of the Lightspeed jobs: the runs of the job, else its backend."""
        self.ensure_one()
        runs = self.lightspeed_sync_run_ids
        if not runs:
            return self.related_action_open_record()
        action = {
            "type": "ir.actions.act_window",
            "name": _("Sync Runs"),
            "res_model": "lightspeed.sync.run",
            "view_mode": "list,form",
            "domain": [("id", "in", runs.ids)],
        }
        if len(runs) == 1:
            action.update(view_mode="form", res_id=runs.id)
        return action
