# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class LightspeedSyncRun(models.Model):
    """One execution of an import, with what it fetched, created and failed."""

    _name = "lightspeed.sync.run"
    _description = "Lightspeed Sync Run"
    _order = "started_at desc, id desc"

    backend_id = fields.Many2one(
        "lightspeed.backend", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    run_type = fields.Selection(
        [
            ("metadata", "Metadata"),
            ("sale", "Sales"),
            ("clock_in", "Clock-ins"),
            ("customer", "Customers"),
            ("backfill", "Backfill"),
        ],
        required=True,
        readonly=True,
    )
    stream = fields.Selection(
        [
            ("metadata", "Metadata"),
            ("sale", "Sales"),
            ("clock_in", "Clock-in"),
            ("customer", "Customers"),
        ],
        required=True,
        readonly=True,
        index=True,
        help="Which import this run belongs to; one run per backend and stream at a time.",
    )
    state = fields.Selection(
        [
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("interrupted", "Interrupted"),
        ],
        default="running",
        required=True,
        readonly=True,
    )
    started_at = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)
    finished_at = fields.Datetime(readonly=True)
    duration = fields.Float(string="Duration (s)", compute="_compute_duration", store=True)
    fetched_count = fields.Integer(string="Fetched", readonly=True)
    created_count = fields.Integer(string="Created", readonly=True)
    updated_count = fields.Integer(string="Updated", readonly=True)
    skipped_count = fields.Integer(
        string="Skipped",
        readonly=True,
        help="Fetched but nothing to do: unchanged since the last import, voided before it was "
        "imported, an ignored employee...",
    )
    conflict_count = fields.Integer(string="Conflicts", readonly=True)
    failed_count = fields.Integer(string="Failed", readonly=True)
    request_count = fields.Integer(string="API requests", readonly=True)
    message = fields.Text(readonly=True)

    @api.depends("started_at", "finished_at")
    def _compute_duration(self):
        for run in self:
            if run.started_at and run.finished_at:
                run.duration = (run.finished_at - run.started_at).total_seconds()
            else:
                run.duration = 0.0

    @api.depends("run_type", "started_at")
    def _compute_display_name(self):
        types = dict(self._fields["run_type"]._description_selection(self.env))
        for run in self:
            started = fields.Datetime.to_string(run.started_at) if run.started_at else ""
            run.display_name = f"{types.get(run.run_type, '')} {started}".strip()

    def _finish(self, state="done", **counts):
        self.write(dict(counts, state=state, finished_at=fields.Datetime.now()))
        return self
