# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..models.lightspeed_backend import CLOCK_IN_IMPORTER, SALE_IMPORTER


class LightspeedBackfillWizard(models.TransientModel):
    _inherit = "lightspeed.backfill.wizard"

    chunk_days = fields.Integer(
        string="Days per job",
        default=7,
        help="The range is queued as one job per shop, stream and chunk of this many days; "
        "each job is an ordinary import run. The jobs of one Lightspeed account run one at a "
        "time, different accounts in parallel.",
    )

    @api.constrains("chunk_days")
    def _check_chunk_days(self):
        for wizard in self:
            if wizard.chunk_days < 1:
                raise ValidationError(_("A job covers at least one day."))

    def _chunks(self):
        """``(first day, last day)`` of each chunk of the range, in order."""
        self.ensure_one()
        start = self.date_from
        while start <= self.date_to:
            end = min(start + timedelta(days=self.chunk_days - 1), self.date_to)
            yield start, end
            start = end + timedelta(days=1)

    def action_run(self):
        """Queue the range instead of importing it here: one job per shop, chunk of days and
        stream. The jobs commit as they go; a chunk whose stream is busy waits its turn."""
        self.ensure_one()
        backend = self.backend_id
        backend._check_connected()
        importers = []
        if self.import_sales:
            importers.append(SALE_IMPORTER)
        if self.import_clock_ins:
            importers.append(CLOCK_IN_IMPORTER)
        shops = self._shops()
        queued = waiting = 0
        for start, end in self._chunks():
            for shop in shops:
                for importer_name in importers:
                    _job, created = backend._lightspeed_enqueue_backfill(
                        importer_name, shop, start, end, self.overwrite_approved
                    )
                    queued += created
                    waiting += not created
        if self.overwrite_approved and queued:
            backend.message_post(
                body=_(
                    "Historical import %(start)s – %(end)s queued with “overwrite approved "
                    "numbers”.",
                    start=self.date_from,
                    end=self.date_to,
                )
            )
        if not shops:
            message = _("No shop has the import enabled: nothing was queued.")
        else:
            message = _(
                "%(queued)s job(s) queued (%(shops)s shop(s), %(chunks)s chunk(s) of up to "
                "%(days)s day(s)) in channel %(channel)s; %(waiting)s identical job(s) were "
                "already waiting. The runs appear in Sync Runs as the jobs run.",
                queued=queued,
                shops=len(shops),
                chunks=len(list(self._chunks())),
                days=self.chunk_days,
                channel=backend._lightspeed_job_channel(),
                waiting=waiting,
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info" if queued else "warning",
                "title": _("Historical import queued"),
                "message": message,
                "sticky": False,
                "next": {"type": "ir.actions.act_window_close"},
            },
        }
