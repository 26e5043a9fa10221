# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import _, api, fields, models
from odoo.tools.misc import format_datetime


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
        help="Nothing to do, on purpose: voided before it was imported, an ignored "
        "employee... (the sync record says why).",
    )
    unchanged_count = fields.Integer(
        string="Unchanged",
        readonly=True,
        help="Fetched again with nothing new since the last import.",
    )
    conflict_count = fields.Integer(string="Conflicts", readonly=True)
    failed_count = fields.Integer(string="Failed", readonly=True)
    request_count = fields.Integer(string="API requests", readonly=True)
    message = fields.Text(readonly=True)
    backfill_request_id = fields.Many2one(
        "lightspeed.backfill.request",
        string="Historical import",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
    )
    sync_record_count = fields.Integer(compute="_compute_sync_record_count")

    def _compute_sync_record_count(self):
        counts = dict(
            self.env["lightspeed.sync.record"]._read_group(
                [("run_id", "in", self.ids)], ["run_id"], ["__count"]
            )
        )
        for run in self:
            run.sync_record_count = counts.get(run._origin, 0)

    def action_open_sync_records(self):
        """The records this run staged or processed last."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.display_name,
            "res_model": "lightspeed.sync.record",
            "view_mode": "list,form",
            "domain": [("run_id", "=", self.id)],
        }

    @api.depends("started_at", "finished_at")
    def _compute_duration(self):
        for run in self:
            if run.started_at and run.finished_at:
                run.duration = (run.finished_at - run.started_at).total_seconds()
            else:
                run.duration = 0.0

    def _run_type_titles(self):
        return {
            "metadata": _("Metadata sync"),
            "sale": _("Sales import"),
            "clock_in": _("Clock-in import"),
            "customer": _("Customer import"),
            "backfill": _("Historical import"),
        }

    @api.depends("run_type", "started_at")
    @api.depends_context("tz", "lang")
    def _compute_display_name(self):
        """ "Sales import — 12 Dec 14:02", in the user's time zone."""
        titles = self._run_type_titles()
        tz = self.env.context.get("tz") or self.env.user.tz or "UTC"
        for run in self:
            title = titles.get(run.run_type) or _("Import")
            if run.started_at:
                started = format_datetime(self.env, run.started_at, tz=tz, dt_format="d MMM HH:mm")
                run.display_name = f"{title} — {started}"
            else:
                run.display_name = title

    def _finish(self, state="done", **counts):
        self.write(dict(counts, state=state, finished_at=fields.Datetime.now()))
        return self
