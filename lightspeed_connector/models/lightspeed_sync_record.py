# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


class LightspeedSyncRecord(models.Model):
    """One remote object (a sale, a shift) staged for import, with its outcome.

    The raw payload is kept so a failed record can be retried after fixing a mapping without
    asking Lightspeed again. ``unique(backend, type, Lightspeed ID)`` makes staging idempotent.
    """

    _name = "lightspeed.sync.record"
    _description = "Lightspeed Sync Record"
    _order = "id desc"
    _rec_name = "display_label"

    backend_id = fields.Many2one(
        "lightspeed.backend", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    record_type = fields.Selection(
        [("sale", "Sale"), ("clock_in", "Clock-in"), ("customer", "Customer")],
        required=True,
        readonly=True,
    )
    lightspeed_id = fields.Char(string="Lightspeed ID", required=True, readonly=True, index=True)
    display_label = fields.Char(compute="_compute_display_label")
    remote_version = fields.Char(
        readonly=True, help="Lightspeed change stamp of the staged payload."
    )
    # Not prefetched with the other columns: a run reads its records' states and keys for
    # thousands of records at once, their payloads only a chunk at a time.
    payload = fields.Json(
        readonly=True, prefetch=False, groups="lightspeed_connector.group_lightspeed_manager"
    )
    payload_text = fields.Text(
        string="Payload (indented)",
        compute="_compute_payload_text",
        groups="lightspeed_connector.group_lightspeed_manager",
        help="The staged payload as Lightspeed sent it, indented.",
    )
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("done", "Done"),
            ("error", "Error"),
            ("skipped", "Skipped"),
            ("conflict", "Conflict"),
        ],
        default="pending",
        required=True,
        readonly=True,
        index=True,
    )
    error_message = fields.Text(readonly=True)
    attempt_count = fields.Integer(readonly=True)
    res_model = fields.Char(string="Odoo model", readonly=True)
    res_id = fields.Many2oneReference(string="Odoo record", model_field="res_model", readonly=True)
    shop_id = fields.Many2one("lightspeed.shop", readonly=True, index=True)
    remote_date = fields.Datetime(readonly=True, help="When it happened in Lightspeed (UTC).")
    remote_deleted = fields.Boolean(
        string="Deleted in Lightspeed",
        readonly=True,
        help="The object no longer exists in Lightspeed; what it produced in Odoo is removed.",
    )
    synced_at = fields.Datetime(readonly=True)
    run_id = fields.Many2one("lightspeed.sync.run", string="Last run", readonly=True)
    fingerprint = fields.Char(readonly=True, help="Digest of the staged payload.")
    applied_fingerprint = fields.Char(
        readonly=True, help="Digest of the payload last turned into Odoo documents."
    )

    _sql_constraints = [
        (
            "remote_uniq",
            "unique(backend_id, record_type, lightspeed_id)",
            "This Lightspeed object is already staged for this backend.",
        ),
    ]

    @api.depends("record_type", "lightspeed_id")
    def _compute_display_label(self):
        labels = dict(self._fields["record_type"]._description_selection(self.env))
        for rec in self:
            rec.display_label = f"{labels.get(rec.record_type, '')} {rec.lightspeed_id or ''}"

    @api.depends("payload")
    def _compute_payload_text(self):
        for rec in self:
            payload = rec.payload
            rec.payload_text = (
                json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False)
                if payload not in (None, False)
                else False
            )

    def _importer(self):
        """The import engine adapter of this record type."""
        return self.env[f"lightspeed.{self.record_type}.importer"]

    def _reprocess(self, **context):
        """Process the records again from their stored payloads, one engine run per backend
        and type, inside the caller's transaction (a request stays all-or-nothing)."""
        for (backend, _type), records in self.grouped(
            lambda r: (r.backend_id, r.record_type)
        ).items():
            importer = records[:1]._importer().with_context(lightspeed_no_commit=True, **context)
            importer._run(backend, records=records)
        return True

    def action_retry(self):
        return self._reprocess()

    def action_open_record(self):
        self.ensure_one()
        if not self.res_model or not self.res_id:
            raise UserError(_("This record did not produce an Odoo document."))
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }

    def _mark(self, state, run=None, **vals):
        """Write one outcome (a single write per record and outcome)."""
        vals.update(state=state, synced_at=fields.Datetime.now())
        if run:
            vals["run_id"] = run.id
        self.write(vals)

    def _mark_done(self, document, run=None, **extra):
        """The record produced (or updated) ``document``; ``extra`` adds stream fields."""
        self._mark(
            "done",
            run,
            error_message=False,
            res_model=document._name if document else False,
            res_id=document.id if document else False,
            applied_fingerprint=self.fingerprint,
            **extra,
        )

    def _mark_skipped(self, message, run=None):
        """Nothing to do, on purpose (not an error): says why."""
        self._mark("skipped", run, error_message=message, applied_fingerprint=self.fingerprint)

    def _mark_error(self, message, run=None):
        self._mark("error", run, error_message=message, attempt_count=self.attempt_count + 1)
