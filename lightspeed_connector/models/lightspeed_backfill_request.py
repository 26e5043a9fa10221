# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A historical import the backfill wizard hands to the scheduler: a few days run in the
request, a longer range runs in the background, one business day per cron batch, and shows
its progress and its runs."""

from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from .lightspeed_importer import error_text

# Longer ranges than this many days run in the background (scheduled action).
INLINE_MAX_DAYS = 3


class LightspeedBackfillRequest(models.Model):
    _name = "lightspeed.backfill.request"
    _description = "Lightspeed Historical Import"
    _order = "id desc"

    backend_id = fields.Many2one(
        "lightspeed.backend", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True)
    user_id = fields.Many2one(
        "res.users", string="Requested by", default=lambda self: self.env.user, readonly=True
    )
    date_from = fields.Date(string="From (business day)", required=True, readonly=True)
    date_to = fields.Date(string="To (business day)", required=True, readonly=True)
    shop_ids = fields.Many2many("lightspeed.shop", readonly=True)
    import_sales = fields.Boolean(readonly=True)
    import_clock_ins = fields.Boolean(readonly=True)
    overwrite_approved = fields.Boolean(string="Overwrite approved numbers", readonly=True)
    state = fields.Selection(
        [
            ("queued", "Waiting"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        default="queued",
        required=True,
        readonly=True,
        index=True,
    )
    next_day = fields.Date(string="Next day", readonly=True)
    day_count = fields.Integer(string="Days", compute="_compute_progress")
    done_day_count = fields.Integer(string="Days imported", readonly=True)
    progress = fields.Float(string="Progress (%)", compute="_compute_progress")
    message = fields.Text(readonly=True)
    run_ids = fields.One2many("lightspeed.sync.run", "backfill_request_id", string="Runs")

    @api.depends("date_from", "date_to", "done_day_count")
    def _compute_progress(self):
        for request in self:
            days = (request.date_to - request.date_from).days + 1 if request.date_from else 0
            request.day_count = max(days, 0)
            request.progress = 100.0 * request.done_day_count / days if days > 0 else 0.0

    @api.depends("backend_id", "date_from", "date_to")
    def _compute_display_name(self):
        for request in self:
            request.display_name = _(
                "Historical import %(start)s – %(end)s",
                start=fields.Date.to_string(request.date_from),
                end=fields.Date.to_string(request.date_to),
            )

    # === RUNNING === #

    def _shops(self):
        return self.shop_ids or self.backend_id.shop_ids.filtered("import_enabled")

    def _run_day(self, day):
        """Import one business day of every shop: each stream an engine run of its own (which
        commits as it goes), then the day's figures recomputed."""
        self.ensure_one()
        backend = self.backend_id
        shops = self._shops()
        sales = self.env["lightspeed.sale.importer"].with_context(
            lightspeed_overwrite_approved=self.overwrite_approved
        )
        runs = self.env["lightspeed.sync.run"]
        if self.import_sales:
            runs |= sales._run(
                backend,
                run_type="backfill",
                date_from=day,
                date_to=day,
                shops=shops,
                business_days=True,
            )
        if self.import_clock_ins:
            runs |= self.env["lightspeed.clock_in.importer"]._run(
                backend, date_from=day, date_to=day, shops=shops
            )
        if self.import_sales:
            # Recompute the day's figures even where no sale changed: a backfill is also how a
            # changed weekly-balance field or an approved day gets recomputed.
            for shop in shops:
                self.env["lightspeed.kpi.fact"].sudo()._refresh(
                    shop, {day}, overwrite_approved=self.overwrite_approved
                )
        runs.sudo().write({"backfill_request_id": self.id})
        return runs

    def _run_next_day(self):
        """Import the next day of the request; returns whether days are left."""
        self.ensure_one()
        day = self.next_day or self.date_from
        if self.state == "queued":
            self.state = "running"
        try:
            self.backend_id._check_connected()
            self._run_day(day)
        except UserError as exc:
            # A busy stream waits for the next call; a refused token ends the request.
            self.message = error_text(exc)
            if self.backend_id.state != "connected":
                self.state = "failed"
            return False
        self.write({"next_day": day + timedelta(days=1), "done_day_count": self.done_day_count + 1})
        if day >= self.date_to:
            self._finish()
            return False
        return True

    def _run_all(self):
        """All days now, in the caller's request (short ranges)."""
        self.ensure_one()
        while self.state in ("queued", "running") and self._run_next_day():
            pass
        return self.run_ids

    def _finish(self):
        self.write(
            {
                "state": "done",
                "message": _(
                    "%(days)s day(s) imported in %(runs)s run(s).",
                    days=self.done_day_count,
                    runs=len(self.run_ids),
                ),
            }
        )
        if self.overwrite_approved:
            self.backend_id.message_post(
                body=_(
                    "Historical import %(start)s – %(end)s ran with “overwrite approved numbers”.",
                    start=self.date_from,
                    end=self.date_to,
                )
            )

    def _schedule(self):
        """Run in the background: the scheduled action starts at once."""
        self.env.ref("lightspeed_connector.ir_cron_lightspeed_backfill")._trigger()

    @api.model
    def _cron_process_backfills(self):
        """One business day of the oldest waiting request per batch; Odoo runs the next batch
        at once while days remain (cron progress API)."""
        requests = self.search([("state", "in", ("queued", "running"))], order="id")
        if not requests:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return
        request = requests[0]
        progressed = request._run_next_day()
        remaining = sum(
            max((r.date_to - (r.next_day or r.date_from)).days + 1, 0)
            for r in requests
            if r.state in ("queued", "running")
        )
        # A request that made no progress (its stream busy) waits for the next scheduled call.
        self.env["ir.cron"]._notify_progress(
            done=1, remaining=remaining if progressed or request.state == "done" else 0
        )

    # === ACTIONS === #

    def action_open_runs(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.display_name,
            "res_model": "lightspeed.sync.run",
            "view_mode": "list,form",
            "domain": [("backfill_request_id", "=", self.id)],
        }
