# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class LightspeedSyncRun(models.Model):
    _inherit = "lightspeed.sync.run"

    job_id = fields.Many2one(
        "queue.job",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        groups="queue_job.group_queue_job_manager",
        help="The queue job that ran this import (empty for a run started in the request or "
        "the cron thread). A job that was retried has a run per attempt.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        runs = super().create(vals_list)
        # queue_job runs a job's method with ``job_uuid`` in the context; the engine creates
        # the run in that context.
        job_uuid = self.env.context.get("job_uuid")
        if job_uuid:
            job = self.env["queue.job"].sudo().search([("uuid", "=", job_uuid)], limit=1)
            if job:
                runs.sudo().job_id = job
        return runs
